/* SPDX-License-Identifier: Apache-2.0 */
/* store_ad.c: the Active Directory store: a user's sealed secret, parameters, replay watermark
 * and failure state on the user object (schema pamTotpUser), moved with compare-and-swap
 * modifies. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "account.h"
#include "internal.h"
#include "store_ad.h"

#define DEFAULT_FILTER   "(sAMAccountName=%s)"     /* %s: the name without DOMAIN\\ or @realm */
#define DOMAIN_SCOPE_OID "1.2.840.113556.1.4.1339" /* LDAP_SERVER_DOMAIN_SCOPE_OID */
#define CAS_TRIES        64 /* failure-state updates retried after losing a race */

static const struct totp_store_ops ad_ops;

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

static void set_location(struct ad_txn *t, const char *dn)
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

/* The sealed secret opened with the key file, for this entry's objectGUID. */
static int open_secret(struct ad_txn *t, totp_error *err)
{
    struct totpi_seal_keys keys;
    totp_error why;
    int rc = totpi_ad_keys(t, &keys, err);
    if (rc != TOTP_OK)
        return rc;
    rc = totpi_unseal(&keys, t->guid, AD_SECRET, (const uint8_t *)t->blob.bv_val, t->blob.bv_len,
                      t->key, &t->key_len, &why);
    totpi_seal_keys_wipe(&keys);
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
    int rc = read_params(t, e, &t->params, err);
    if (rc == TOTP_OK)
        rc = open_secret(t, err);
    if (rc == TOTP_OK && (rc = totp_record_new(t->key, t->key_len, &t->params, rec)) != TOTP_OK)
        return totpi_fail(err, rc, 0, 0, "%s: %s", t->location, totp_strerror(rc));
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
    if (rc != TOTP_OK && *rec != NULL) {
        totp_record_free(*rec);
        *rec = NULL;
    }
    return rc;
}

int totpi_ad_read(struct ad_txn *t, totp_record **rec, totp_error *err)
{
    struct ad_store *s = t->store;
    char *attrs[] = {"objectGUID", "objectClass", AD_SECRET,     AD_ALGORITHM, AD_DIGITS,
                     AD_PERIOD,    AD_LAST_STEP,  AD_FAIL_COUNT, AD_FAIL_TIME, NULL};
    char *filter = NULL, msg[1200];
    LDAPMessage *res = NULL, *e = NULL;
    struct timeval tv = {(time_t)s->cfg.timeout, 0};
    uint64_t n = 0;

    free(t->blob.bv_val);
    free(t->last);
    free(t->fail_count);
    t->blob.bv_val = t->last = t->fail_count = NULL;
    t->blob.bv_len = 0;
    t->enrolled = t->has_class = t->hidden = 0;
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
            set_location(t, dn);
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
    for (size_t i = 0; oc != NULL && oc[i] != NULL; i++)
        t->has_class |=
            oc[i]->bv_len == strlen(AD_CLASS) && totpi_strcasecmp(oc[i]->bv_val, AD_CLASS) == 0;
    ldap_value_free_len(oc);

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
    if (rc == TOTP_OK && rec != NULL && t->enrolled)
        rc = make_record(t, e, rec, err);
    ldap_msgfree(res);
    return rc;
}

/* ---- Transactions ------------------------------------------------------------------------- */

static int ad_begin(totp_store *store, const char *user, int flags, totp_txn **txn,
                    totp_record **rec, totp_error *err)
{
    struct ad_store *s = (struct ad_store *)store;
    if (!totpi_user_name_ok(user))
        return totpi_fail(err, TOTP_EUSER, 0, 0, "unusable user name");
    struct ad_txn *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    t->base.ops = &ad_ops;
    t->store = s;
    t->create = (flags & TOTP_TXN_CREATE) != 0;
    t->unread = (flags & TOTP_TXN_UNREAD) != 0;
    t->reseal = (flags & TOTP_TXN_RESEAL) != 0;
    totpi_sigpipe_block(&t->sigpipe);
    set_location(t, s->cfg.base);

    int rc = (t->user = strdup(user)) != NULL
                 ? TOTP_OK
                 : totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    if (rc == TOTP_OK)
        rc = totpi_ldap_connect(&s->cfg, &t->ld, err);
    if (rc == TOTP_OK)
        rc = totpi_ad_domain_check(t, err);
    if (rc == TOTP_OK)
        rc = totpi_ad_read(t, t->create || t->unread ? NULL : rec, err);
    if (rc == TOTP_OK && t->create && t->enrolled)
        rc = totpi_fail(err, TOTP_EEXIST, 0, 0, "%s: already has %s", t->location, AD_SECRET);
    else if (rc == TOTP_OK && !t->create && t->hidden)
        rc = totpi_fail(err, TOTP_EIO, 0, 0,
                        "%s: has " AD_CLASS " data but no %s readable by the bind identity (it "
                        "needs the control-access right on %s; an RODC or a Global Catalog does "
                        "not hold it)",
                        t->location, AD_SECRET, AD_SECRET);
    else if (rc == TOTP_OK && !t->create && !t->enrolled)
        rc = totpi_fail(err, TOTP_ENOENT, 0, 0, "%s: no %s (not enrolled)", t->location, AD_SECRET);
    if (rc != TOTP_OK) {
        totpi_ad_txn_free(t);
        return rc;
    }
    *txn = &t->base;
    return TOTP_OK;
}

/* Whether the record carries another secret or parameters than the entry (enroll --force). */
static int new_secret(const struct ad_txn *t, const totp_record *rec)
{
    const totp_params defaults = TOTP_PARAMS_DEFAULT;
    totp_params p;
    uint8_t key[TOTP_KEY_MAX];
    size_t len = 0;
    if (t->unread || totp_record_secret(rec, key, &len) != TOTP_OK ||
        totp_record_params(rec, &defaults, &p) != TOTP_OK)
        return 1;
    int differs = len != t->key_len || CRYPTO_memcmp(key, t->key, len) != 0 ||
                  p.algorithm != t->params.algorithm || p.digits != t->params.digits ||
                  p.period != t->params.period;
    totp_wipe(key, sizeof(key));
    return differs;
}

/* The failure count a record says, 0 if none; and its time. */
static uint64_t record_failures(const totp_record *rec, uint64_t *when)
{
    const char *v = totp_record_get(rec, "FAILURES");
    size_t len = 0, tlen = 0;
    uint64_t count = 0;
    const char *tok = v != NULL ? totpi_next_token(v, &len) : NULL;
    const char *ttok = tok != NULL ? totpi_next_token(tok + len, &tlen) : NULL;
    *when = 0;
    if (tok == NULL || !totpi_parse_uint(tok, len, UINT32_MAX, &count))
        return 0;
    if (ttok != NULL && !totpi_parse_uint(ttok, tlen, INT64_MAX, when))
        *when = 0;
    return count;
}

/*
 * One modify: the watermark from t->last to `step` (delete the value read, add the new one) if
 * `step` >= 0, and the failure count from t->fail_count to `count` (0: none) with its time.
 * If another host changed either meanwhile, a delete or an add of a single value fails and so
 * does the whole modify, and this returns TOTP_ELOCKED. A move of the watermark (a success)
 * always guards the count: it deletes the count read and adds the new one ("0" after a
 * success), so a failure counted since this login read the entry fails it too; with no count
 * read, the add to the single-valued attribute is what fails.
 */
static int swap(struct ad_txn *t, int64_t step, uint64_t count, uint64_t when, totp_error *err)
{
    char stepv[24], countv[24], whenv[24];
    snprintf(stepv, sizeof(stepv), "%" PRId64, step);
    snprintf(countv, sizeof(countv), "%" PRIu64, count);
    snprintf(whenv, sizeof(whenv), "%" PRIu64, when);
    char *old_last[] = {t->last, NULL}, *new_last[] = {stepv, NULL};
    char *old_count[] = {t->fail_count, NULL}, *new_count[] = {countv, NULL};
    char *new_when[] = {whenv, NULL};
    LDAPMod m[] = {
        {LDAP_MOD_DELETE, AD_LAST_STEP, {old_last}},
        {LDAP_MOD_ADD, AD_LAST_STEP, {new_last}},
        {LDAP_MOD_DELETE, AD_FAIL_COUNT, {old_count}},
        {LDAP_MOD_ADD, AD_FAIL_COUNT, {new_count}},
        {LDAP_MOD_REPLACE, AD_FAIL_TIME, {count > 0 ? new_when : NULL}},
    };
    LDAPMod *mods[6];
    size_t n = 0;
    uint64_t had = 0;
    if (t->fail_count != NULL)
        totpi_parse_uint(t->fail_count, strlen(t->fail_count), UINT32_MAX, &had);
    if (step >= 0 && t->last != NULL)
        mods[n++] = &m[0];
    if (step >= 0)
        mods[n++] = &m[1];
    if (step >= 0 || count != had || (count > 0 && t->fail_count == NULL)) {
        if (t->fail_count != NULL)
            mods[n++] = &m[2];
        if (count > 0 || step >= 0)
            mods[n++] = &m[3];
        mods[n++] = &m[4];
    }
    mods[n] = NULL;
    if (n == 0)
        return TOTP_OK;
    int lrc = ldap_modify_ext_s(t->ld, t->user_dn, mods, NULL, NULL);
    if (lrc == LDAP_SUCCESS)
        return TOTP_OK;
    if (lrc == LDAP_NO_SUCH_ATTRIBUTE || lrc == LDAP_TYPE_OR_VALUE_EXISTS ||
        lrc == LDAP_CONSTRAINT_VIOLATION)
        return TOTP_ELOCKED; /* lost a race */
    return totpi_ad_fail(t, lrc, "updating the watermark and failure state", err);
}

/* A login's outcome: the watermark moved and the failures reset, or one more failure. Racing
 * hosts: a moved watermark means the code was used elsewhere (TOTP_EREPLAY); so does, for a
 * success, a failure counted since this login read the entry (a guess judged alongside it: of
 * logins judged together only one can succeed, the one that commits before any failure does).
 * A failure that lost a race is read again and added on top, so none is lost. */
static int commit_login(struct ad_txn *t, const totp_record *rec, totp_error *err)
{
    uint64_t v = 0, step = 0, when = 0, had = 0;
    int64_t old = -1, now = totp_record_last_step(rec, &step) == TOTP_OK ? (int64_t)step : -1;
    if (t->last != NULL && totpi_parse_uint(t->last, strlen(t->last), INT64_MAX, &v))
        old = (int64_t)v;
    uint64_t count = record_failures(rec, &when);
    if (t->fail_count != NULL)
        totpi_parse_uint(t->fail_count, strlen(t->fail_count), UINT32_MAX, &had);
    int failed = count > had; /* else a success reset them, or nothing changed */
    int moves = now > old;
    for (int i = 0; i < CAS_TRIES; i++) {
        int rc = swap(t, moves ? now : -1, count, when, err);
        if (rc != TOTP_ELOCKED)
            return rc;
        char *was = t->last != NULL ? strdup(t->last) : NULL;
        rc = totpi_ad_read(t, NULL, err);
        int watermark_moved =
            (was == NULL) != (t->last == NULL) || (was != NULL && strcmp(was, t->last) != 0);
        free(was);
        if (rc != TOTP_OK)
            return rc;
        if (moves && watermark_moved)
            return totpi_fail(err, TOTP_EREPLAY, 0, 0,
                              "%s: %s changed meanwhile (the code was used elsewhere)", t->location,
                              AD_LAST_STEP);
        if (moves)
            return totpi_fail(err, TOTP_EREPLAY, 0, 0,
                              "%s: a failure was counted in %s since this login read it (a guess "
                              "judged alongside); the code is refused",
                              t->location, AD_FAIL_COUNT);
        had = 0;
        if (t->fail_count != NULL)
            totpi_parse_uint(t->fail_count, strlen(t->fail_count), UINT32_MAX, &had);
        if (failed)
            count = had < UINT32_MAX ? had + 1 : had;
    }
    return totpi_fail(err, TOTP_EIO, 0, 0, "%s: the failure state kept changing (%d tries)",
                      t->location, CAS_TRIES);
}

static int ad_commit(totp_txn *txn, const totp_record *rec, totp_error *err)
{
    struct ad_txn *t = (struct ad_txn *)txn;
    int rc;
    if (t->create || t->reseal || new_secret(t, rec))
        rc = totpi_ad_write_secret(t, rec, err);
    else if (totp_record_scratch_count(rec) > 0)
        rc = totpi_fail(err, TOTP_EINVAL, 0, 0, "%s: store=ad keeps no scratch codes", t->location);
    else
        rc = commit_login(t, rec, err);
    totpi_ad_txn_free(t);
    return rc;
}

static void ad_abort(totp_txn *txn)
{
    totpi_ad_txn_free((struct ad_txn *)txn);
}

static const char *ad_location(const totp_txn *txn)
{
    return ((const struct ad_txn *)txn)->location;
}

/* ---- The store ---------------------------------------------------------------------------- */

static void ad_store_free(totp_store *store)
{
    struct ad_store *s = (struct ad_store *)store;
    for (size_t i = 0; i < sizeof(s->owned) / sizeof(s->owned[0]); i++)
        free(s->owned[i]);
    free(s->key_file);
    free(s->first_uri);
    free(s);
}

static const struct totp_store_ops ad_ops = {
    ad_begin, ad_commit, totpi_ad_remove, ad_abort, ad_location, totpi_ad_list, ad_store_free,
    NULL,     NULL,
};

/* Every URI must be encrypted: AD refuses simple binds in clear, and so do we. The first
 * clear-text URI (malloc'ed), walked as the connection walks them; NULL if none. */
static char *clear_text_uri(const totp_ldap_store_config *c)
{
    const char *p = c->uri;
    char *u;
    while ((u = totpi_ldap_next_uri(&p)) != NULL) {
        if (!c->starttls && totpi_has_prefix_ci(u, "ldap://"))
            return u;
        free(u);
    }
    return NULL;
}

int totpi_store_ad_new(const totp_ldap_store_config *config, const char *key_file, totp_store **out,
                       totp_error *err)
{
    if (out == NULL || config == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "invalid argument");
    *out = NULL;
    if (config->uri == NULL || config->uri[0] == '\0')
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "store=ad needs ldap_uri");
    if (config->base == NULL || config->base[0] == '\0')
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "store=ad needs ldap_base");
    if (key_file == NULL || key_file[0] != '/')
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "store=ad needs ad_key_file (an absolute path)");
    if (config->bind_dn == NULL || config->bind_pw_file == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0,
                          "store=ad needs ldap_bind_dn and ldap_bind_pw_file (AD answers no "
                          "anonymous searches)");
    if (config->insecure_cleartext)
        return totpi_fail(err, TOTP_EINVAL, 0, 0,
                          "ldap_insecure_cleartext cannot be used with store=ad (AD answers a "
                          "simple bind only over TLS; use ldaps:// or ldap_starttls)");
    char *clear = clear_text_uri(config);
    if (clear != NULL) {
        totpi_fail(err, TOTP_EINVAL, 0, 0,
                   "ldap_uri %.300s: store=ad needs ldaps:// or ldap_starttls (the bind "
                   "password must not cross the network in clear)",
                   clear);
        free(clear);
        return TOTP_EINVAL;
    }
    const char *filter = config->filter != NULL ? config->filter : DEFAULT_FILTER;
    if (!totpi_ldap_filter_ok(filter))
        return totpi_fail(err, TOTP_EINVAL, 0, 0,
                          "ldap_filter %.200s: must be one filter in parentheses with %%u or %%s",
                          filter);

    struct ad_store *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    s->base.ops = &ad_ops;
    s->cfg = *config;
    s->cfg.filter = filter;
    s->cfg.timeout = config->timeout > 0 ? config->timeout : 5;
    const char **fields[] = {&s->cfg.uri,     &s->cfg.base,         &s->cfg.filter,
                             &s->cfg.bind_dn, &s->cfg.bind_pw_file, &s->cfg.ca_file};
    int ok = 1;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (*fields[i] != NULL) {
            s->owned[i] = strdup(*fields[i]);
            ok &= s->owned[i] != NULL;
            *fields[i] = s->owned[i];
        }
    }
    if (ok)
        ok = (s->key_file = strdup(key_file)) != NULL &&
             (s->first_uri = strndup(s->cfg.uri, strcspn(s->cfg.uri, " \t,"))) != NULL;
    if (!ok) {
        ad_store_free(&s->base);
        return totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    }
    *out = &s->base;
    return TOTP_OK;
}
