/* SPDX-License-Identifier: Apache-2.0 */
/* store_ad_entry.c: the AD store's reading side: the user's entry (sealed secret, parameters,
 * watermark, failure state) turned into a record, and the transaction's bookkeeping that
 * reading and writing share. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "internal.h"
#include "scratch_hash.h"
#include "store_ad_write.h"

#define DOMAIN_SCOPE_OID "1.2.840.113556.1.4.1339" /* LDAP_SERVER_DOMAIN_SCOPE_OID */

void totpi_ad_txn_free(struct ad_txn *t)
{
    if (t == NULL)
        return;
    totpi_ldap_close(t->ld);
    free(t->user);
    free(t->user_dn);
    free(t->blob.bv_val);
    free(t->last);
    free(t->fail_count);
    free(t->scratch_read);
    totpi_scratch_hash_free(t->scratch_stored);
    free(t->enroll_until);
    totpi_sigpipe_restore(&t->sigpipe);
    totp_wipe(t->key, sizeof(t->key));
    free(t);
}

int totpi_ad_fail(struct ad_txn *t, int lrc, const char *what, totp_error *err)
{
    char msg[1200];
    snprintf(msg, sizeof(msg), "%s: %s", t->location, what);
    return totpi_ldap_fail(t->ld, lrc, TOTP_EIO, msg, err);
}

void totpi_ad_set_location(struct ad_txn *t, const char *dn)
{
    snprintf(t->location, sizeof(t->location), "%.200s/%.800s", t->store->first_uri, dn);
}

int totpi_ad_keys(struct ad_txn *t, struct totpi_seal_keys *keys, totp_error *err)
{
    return totpi_seal_keys_read(t->store->key_file, "ad_key_file", keys, err);
}

/* A decimal value of `attr` within min..max into *v; TOTP_ENOENT if absent. */
static int get_number(struct ad_txn *t, LDAPMessage *e, const char *attr, uint64_t min,
                      uint64_t max, uint64_t *v, char **text, totp_error *err)
{
    char *s = totpi_ldap_get_one(t->ld, e, attr);
    if (s == NULL)
        return TOTP_ENOENT;
    int ok = totpi_parse_uint(s, strlen(s), max, v) && *v >= min;
    if (!ok)
        totpi_fail(err, TOTP_EFORMAT, 0, 0, "%s: %s %.24s is not %" PRIu64 " to %" PRIu64,
                   t->location, attr, s, min, max);
    if (ok && text != NULL)
        *text = s;
    else
        free(s);
    return ok ? TOTP_OK : TOTP_EFORMAT;
}

/* The entry's parameters: all three, or none (a broken entry is an error, never defaults). */
static int read_params(struct ad_txn *t, LDAPMessage *e, totp_params *p, totp_error *err)
{
    uint64_t digits = 0, period = 0;
    int rc = get_number(t, e, AD_DIGITS, TOTP_DIGITS_MIN, TOTP_DIGITS_MAX, &digits, NULL, err);
    if (rc == TOTP_OK)
        rc = get_number(t, e, AD_PERIOD, TOTP_PERIOD_MIN, TOTP_PERIOD_MAX, &period, NULL, err);
    char *alg = rc == TOTP_OK ? totpi_ldap_get_one(t->ld, e, AD_ALGORITHM) : NULL;
    if (rc == TOTP_OK && (alg == NULL || totp_algorithm_parse(alg, &p->algorithm) != TOTP_OK))
        rc = totpi_fail(err, TOTP_EFORMAT, 0, 0, "%s: %s %.20s: not SHA1, SHA256 or SHA512",
                        t->location, AD_ALGORITHM, alg != NULL ? alg : "(missing)");
    else if (rc == TOTP_ENOENT)
        rc = totpi_fail(err, TOTP_EFORMAT, 0, 0, "%s: has %s but not %s and %s", t->location,
                        AD_SECRET, AD_DIGITS, AD_PERIOD);
    free(alg);
    p->digits = (unsigned)digits;
    p->period = (unsigned)period;
    return rc;
}

/* The sealed secret opened with the key file's `keys`, for this entry's objectGUID. */
static int open_secret(struct ad_txn *t, const struct totpi_seal_keys *keys, totp_error *err)
{
    totp_error why;
    int rc = totpi_unseal(keys, t->guid, AD_SECRET, (const uint8_t *)t->blob.bv_val, t->blob.bv_len,
                          t->key, &t->key_len, &why);
    if (rc != TOTP_OK)
        return totpi_fail(err, rc == TOTP_ENOENT ? TOTP_EFORMAT : rc, 0, 0, "%s: %s: %s",
                          t->location, AD_SECRET, why.message);
    t->key_id = totpi_seal_key_id((const uint8_t *)t->blob.bv_val, t->blob.bv_len);
    if (t->key_len < TOTP_KEY_MIN)
        return totpi_fail(err, TOTP_EFORMAT, 0, 0, "%s: %s: a %lu-byte secret is too short",
                          t->location, AD_SECRET, (unsigned long)t->key_len);
    return TOTP_OK;
}

/* The record: secret, parameters, watermark (DISALLOW_REUSE) and failures (FAILURES). */
static int make_record(struct ad_txn *t, LDAPMessage *e, totp_record **rec, totp_error *err)
{
    uint64_t last = 0, count = 0, when = 0;
    char buf[48];
    struct totpi_seal_keys keys;
    memset(&keys, 0, sizeof(keys));
    int rc = read_params(t, e, &t->params, err);
    if (rc == TOTP_OK)
        rc = totpi_ad_keys(t, &keys, err);
    if (rc == TOTP_OK)
        rc = open_secret(t, &keys, err);
    if (rc == TOTP_OK && (rc = totp_record_new(t->key, t->key_len, &t->params, rec)) != TOTP_OK) {
        totpi_seal_keys_wipe(&keys);
        return totpi_fail(err, rc, 0, 0, "%s: %s", t->location, totp_strerror(rc));
    }
    if (rc == TOTP_OK && t->last != NULL &&
        totpi_parse_uint(t->last, strlen(t->last), INT64_MAX - 1, &last)) {
        snprintf(buf, sizeof(buf), "%" PRIu64, last);
        rc = totp_record_set(*rec, "DISALLOW_REUSE", buf);
    }
    if (rc == TOTP_OK && t->fail_count != NULL &&
        totpi_parse_uint(t->fail_count, strlen(t->fail_count), UINT32_MAX, &count)) {
        if (get_number(t, e, AD_FAIL_TIME, 0, INT64_MAX, &when, NULL, err) == TOTP_EFORMAT)
            rc = TOTP_EFORMAT;
        snprintf(buf, sizeof(buf), "%" PRIu64 " %" PRIu64, count, when);
        if (rc == TOTP_OK && count > 0)
            rc = totp_record_set(*rec, "FAILURES", buf);
    }
    if (rc == TOTP_OK)
        rc = totpi_ad_scratch_read(t, e, &keys, *rec, err);
    totpi_seal_keys_wipe(&keys);
    if (rc != TOTP_OK && *rec != NULL) {
        totp_record_free(*rec);
        *rec = NULL;
    }
    return rc;
}

int totpi_ad_read(struct ad_txn *t, totp_record **rec, totp_error *err)
{
    struct ad_store *s = t->store;
    char *attrs[] = {"objectGUID", "objectClass", AD_SECRET,       AD_ALGORITHM,
                     AD_DIGITS,    AD_PERIOD,     AD_LAST_STEP,    AD_FAIL_COUNT,
                     AD_FAIL_TIME, AD_SCRATCH,    AD_ENROLL_UNTIL, NULL};
    char *filter = NULL, msg[1200];
    LDAPMessage *res = NULL, *e = NULL;
    struct timeval tv = {(time_t)s->cfg.timeout, 0};
    uint64_t n = 0;

    free(t->blob.bv_val);
    free(t->last);
    free(t->fail_count);
    free(t->enroll_until);
    t->blob.bv_val = t->last = t->fail_count = t->enroll_until = NULL;
    t->blob.bv_len = 0;
    t->enrolled = t->has_class = t->hidden = t->has_enroll_class = t->has_scratch = 0;
    int rc = totpi_ldap_filter(s->cfg.filter, t->user, &filter, err);
    if (rc != TOTP_OK)
        return rc;
    /* Absence is only "the base is there and no entry matches": a missing base, a referral
     * (a search outside this domain), a continuation reference (a part of the tree this DC
     * does not hold, such as another domain's), an unanswered or partial search are failures.
     * The domain-scope control keeps the search in this domain: without it AD answers every
     * search from the domain's root with references to the configuration and DNS partitions
     * (measured on Samba), which would make every absent user an error. */
    LDAPControl scope = {DOMAIN_SCOPE_OID, {0, NULL}, 0}, *ctrls[] = {&scope, NULL};
    int lrc = ldap_search_ext_s(t->ld, s->cfg.base, LDAP_SCOPE_SUBTREE, filter, attrs, 0, ctrls,
                                NULL, &tv, 2, &res);
    int entries = lrc == LDAP_SUCCESS ? ldap_count_entries(t->ld, res) : -1;
    int refs = lrc == LDAP_SUCCESS ? ldap_count_references(t->ld, res) : 0;
    if (lrc == LDAP_NO_SUCH_OBJECT)
        rc = totpi_fail(err, TOTP_EIO, 0, 0, "%.200s: ldap_base %.600s does not exist",
                        s->first_uri, s->cfg.base);
    else if (lrc == LDAP_SIZELIMIT_EXCEEDED || entries > 1)
        rc = totpi_fail(err, TOTP_EFORMAT, 0, 0,
                        "%.200s: more than one entry under %.500s matches %.200s", s->first_uri,
                        s->cfg.base, filter);
    else if (lrc != LDAP_SUCCESS) {
        snprintf(msg, sizeof(msg), "%.200s: searching %.700s", s->first_uri, s->cfg.base);
        rc = totpi_ldap_fail(t->ld, lrc, TOTP_EIO, msg, err);
    } else if (entries == 0 && refs != 0)
        rc = totpi_fail(err, TOTP_EIO, 0, 0,
                        "%.200s: no entry under %.400s matches %.200s, but the search returned "
                        "%d continuation reference(s), not followed (a user there is not known "
                        "to be absent)",
                        s->first_uri, s->cfg.base, filter, refs);
    else if (entries == 0)
        rc = totpi_fail(err, TOTP_ENOENT, 0, 0, "%.200s: no entry under %.500s matches %.200s",
                        s->first_uri, s->cfg.base, filter);
    free(filter);
    if (rc == TOTP_OK)
        e = ldap_first_entry(t->ld, res);
    char *dn = e != NULL ? ldap_get_dn(t->ld, e) : NULL;
    if (rc == TOTP_OK && dn == NULL)
        rc = totpi_fail(err, TOTP_EIO, 0, 0, "%.200s: an entry without a DN", s->first_uri);
    if (rc == TOTP_OK && t->user_dn != NULL && strcmp(dn, t->user_dn) != 0)
        rc = totpi_fail(err, TOTP_EIO, 0, 0, "%s: the entry moved meanwhile", t->location);
    if (rc == TOTP_OK && t->user_dn == NULL) {
        if ((t->user_dn = strdup(dn)) == NULL)
            rc = totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
        else
            totpi_ad_set_location(t, dn);
    }
    ldap_memfree(dn);

    struct berval **guid = rc == TOTP_OK ? ldap_get_values_len(t->ld, e, "objectGUID") : NULL;
    if (rc == TOTP_OK && (guid == NULL || guid[0] == NULL || guid[0]->bv_len != TOTPI_SEAL_GUID))
        rc = totpi_fail(err, TOTP_EFORMAT, 0, 0, "%s: no 16-byte objectGUID (not an AD object?)",
                        t->location);
    else if (rc == TOTP_OK)
        memcpy(t->guid, guid[0]->bv_val, TOTPI_SEAL_GUID);
    ldap_value_free_len(guid);

    struct berval **oc = rc == TOTP_OK ? ldap_get_values_len(t->ld, e, "objectClass") : NULL;
    for (size_t i = 0; oc != NULL && oc[i] != NULL; i++) {
        t->has_class |=
            oc[i]->bv_len == strlen(AD_CLASS) && totpi_strcasecmp(oc[i]->bv_val, AD_CLASS) == 0;
        t->has_enroll_class |= oc[i]->bv_len == strlen(AD_ENROLL_CLASS) &&
                               totpi_strcasecmp(oc[i]->bv_val, AD_ENROLL_CLASS) == 0;
    }
    ldap_value_free_len(oc);
    /* Known even when the record is not read (remove, enroll --force): the old codes must go
     * with the secret, and before the class that allows them. */
    struct berval **hashes = rc == TOTP_OK ? ldap_get_values_len(t->ld, e, AD_SCRATCH) : NULL;
    t->has_scratch = hashes != NULL && hashes[0] != NULL;
    ldap_value_free_len(hashes);

    struct berval **blob = rc == TOTP_OK ? ldap_get_values_len(t->ld, e, AD_SECRET) : NULL;
    if (blob != NULL && blob[0] != NULL) {
        t->enrolled = 1;
        if ((t->blob.bv_val = malloc(blob[0]->bv_len + 1)) == NULL) {
            rc = totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
        } else {
            memcpy(t->blob.bv_val, blob[0]->bv_val, blob[0]->bv_len);
            t->blob.bv_len = blob[0]->bv_len;
        }
    }
    ldap_value_free_len(blob);
    /* AD leaves a confidential attribute out of an answer to anyone without the control-access
     * right (and an RODC or a Global Catalog does not hold it): the class or any other pamTotp*
     * attribute without a visible secret is an enrolled user this bind cannot judge. */
    const char *traces[] = {AD_ALGORITHM, AD_DIGITS,     AD_PERIOD,
                            AD_LAST_STEP, AD_FAIL_COUNT, AD_FAIL_TIME};
    for (size_t i = 0; rc == TOTP_OK && !t->enrolled && i < sizeof(traces) / sizeof(traces[0]);
         i++) {
        struct berval **v = ldap_get_values_len(t->ld, e, traces[i]);
        t->hidden |= v != NULL && v[0] != NULL;
        ldap_value_free_len(v);
    }
    t->hidden |= rc == TOTP_OK && !t->enrolled && t->has_class;

    if (rc == TOTP_OK) {
        rc = get_number(t, e, AD_LAST_STEP, 0, INT64_MAX - 1, &n, &t->last, err);
        rc = rc == TOTP_ENOENT ? TOTP_OK : rc;
    }
    if (rc == TOTP_OK) {
        rc = get_number(t, e, AD_FAIL_COUNT, 0, UINT32_MAX, &n, &t->fail_count, err);
        rc = rc == TOTP_ENOENT ? TOTP_OK : rc;
    }
    if (rc == TOTP_OK)
        t->enroll_until = totpi_ldap_get_one(t->ld, e, AD_ENROLL_UNTIL);
    if (rc == TOTP_OK && rec != NULL && t->enrolled)
        rc = make_record(t, e, rec, err);
    ldap_msgfree(res);
    return rc;
}

int totpi_ad_txn_open(struct ad_store *s, const char *user, totp_record **rec, struct ad_txn **out,
                      totp_error *err)
{
    if (!totpi_user_name_ok(user))
        return totpi_fail(err, TOTP_EUSER, 0, 0, "unusable user name");
    struct ad_txn *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    t->store = s;
    totpi_sigpipe_block(&t->sigpipe);
    totpi_ad_set_location(t, s->cfg.base);
    int rc = (t->user = strdup(user)) != NULL
                 ? TOTP_OK
                 : totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    if (rc == TOTP_OK)
        rc = totpi_ldap_connect(&s->cfg, &t->ld, err);
    if (rc == TOTP_OK)
        rc = totpi_ad_domain_check(t, err);
    if (rc == TOTP_OK)
        rc = totpi_ad_read(t, rec, err);
    if (rc != TOTP_OK) {
        totpi_ad_txn_free(t);
        return rc;
    }
    *out = t;
    return TOTP_OK;
}
