/* SPDX-License-Identifier: Apache-2.0 */
/* store_ldap_entry.c: the LDAP store's reading side: OATH-LDAP token and parameters entries
 * turned into records, and the transaction's bookkeeping that reading and writing share. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "internal.h"
#include "store_ldap.h"

/* RFC 8018's HMAC OIDs, as oathHMACAlgorithm holds them. */
static const struct {
    const char *oid;
    totp_algorithm alg;
} hmac_oids[] = {
    {"1.2.840.113549.2.7", TOTP_SHA1},
    {"1.2.840.113549.2.9", TOTP_SHA256},
    {"1.2.840.113549.2.11", TOTP_SHA512},
};

const struct totpi_oath_kind totpi_oath_totp = {
    0,
    "oathTOTPToken",
    "oathTOTPUser",
    "oathTOTPParams",
    "oathTOTPLastTimeStep",
    "oathTOTPTimeStepWindow",
};
const struct totpi_oath_kind totpi_oath_hotp = {
    1, "oathHOTPToken", "oathHOTPUser", "oathHOTPParams", "oathHOTPCounter", "oathHOTPLookAhead",
};

const char *totpi_ldap_hmac_oid(totp_algorithm alg)
{
    for (size_t i = 0; i < sizeof(hmac_oids) / sizeof(hmac_oids[0]); i++) {
        if (hmac_oids[i].alg == alg)
            return hmac_oids[i].oid;
    }
    return NULL;
}

void totpi_ldap_txn_free(struct ldap_txn *t)
{
    if (t == NULL)
        return;
    totpi_ldap_close(t->ld);
    ldap_memfree(t->user_dn);
    free(t->token_dn);
    free(t->last);
    free(t->failures);
    free(t->scratch_read);
    totpi_sigpipe_restore(&t->sigpipe);
    totp_wipe(t->key, sizeof(t->key));
    free(t);
}

void totpi_ldap_set_location(struct ldap_txn *t, const char *dn)
{
    snprintf(t->location, sizeof(t->location), "%.200s/%.800s", t->store->first_uri, dn);
}

/* ---- Reading entries ---------------------------------------------------------------------- */

/* Search `base` (scope `scope`) for at most one entry; TOTP_ENOENT if none. Absence is only
 * "the base exists and nothing matches": a subtree search whose base does not exist (a typo in
 * ldap_base, a replica still loading), a referral or a continuation reference that is not
 * followed, and partial results are errors, never "not enrolled". */
int totpi_ldap_search_one(struct ldap_txn *t, const char *base, int scope, const char *filter,
                          char **attrs, LDAPMessage **res, LDAPMessage **entry, const char *what,
                          totp_error *err)
{
    struct timeval tv = {(time_t)t->store->cfg.timeout, 0};
    char msg[1100];
    *res = NULL;
    *entry = NULL;
    int rc = ldap_search_ext_s(t->ld, base, scope, filter, attrs, 0, NULL, NULL, &tv, 2, res);
    if (rc == LDAP_NO_SUCH_OBJECT && scope == LDAP_SCOPE_BASE) {
        ldap_msgfree(*res);
        *res = NULL;
        return TOTP_ENOENT; /* the entry named */
    }
    if (rc == LDAP_NO_SUCH_OBJECT) {
        ldap_msgfree(*res);
        *res = NULL;
        return totpi_fail(err, TOTP_EIO, 0, 0, "%.200s: the search base %.700s does not exist",
                          t->store->first_uri, base);
    }
    if (rc != LDAP_SUCCESS) {
        ldap_msgfree(*res);
        *res = NULL;
        snprintf(msg, sizeof(msg), "%.200s: %s %.700s", t->store->first_uri, what, base);
        if (rc == LDAP_SIZELIMIT_EXCEEDED)
            return totpi_fail(err, TOTP_EFORMAT, 0, 0, "%s: more than one entry matches %.100s",
                              msg, filter);
        return totpi_ldap_fail(t->ld, rc, TOTP_EIO, msg, err);
    }
    int n = ldap_count_entries(t->ld, *res);
    if (n == 0 && ldap_count_references(t->ld, *res) > 0) {
        ldap_msgfree(*res);
        *res = NULL;
        return totpi_fail(err, TOTP_EIO, 0, 0,
                          "%.200s: %s %.500s: the server refers to another directory, which is "
                          "not followed (so the user's absence is not known)",
                          t->store->first_uri, what, base);
    }
    if (n == 1) {
        *entry = ldap_first_entry(t->ld, *res);
        return TOTP_OK;
    }
    ldap_msgfree(*res);
    *res = NULL;
    if (n == 0)
        return TOTP_ENOENT;
    return totpi_fail(err, TOTP_EFORMAT, 0, 0, "%.200s: %d entries under %.500s match %.200s",
                      t->store->first_uri, n, base, filter);
}

/* A decimal attribute value within min..max. */
static int get_number(struct ldap_txn *t, LDAPMessage *e, const char *dn, const char *attr,
                      uint64_t min, uint64_t max, int required, uint64_t *v, totp_error *err)
{
    char *s = totpi_ldap_get_one(t->ld, e, attr);
    if (s == NULL) {
        if (!required)
            return TOTP_ENOENT;
        return totpi_fail(err, TOTP_EFORMAT, 0, 0, "%.700s: no %s", dn, attr);
    }
    int ok = totpi_parse_uint(s, strlen(s), max, v) && *v >= min;
    if (!ok)
        totpi_fail(err, TOTP_EFORMAT, 0, 0, "%.700s: %s %.24s is not %" PRIu64 " to %" PRIu64, dn,
                   attr, s, min, max);
    free(s);
    return ok ? TOTP_OK : TOTP_EFORMAT;
}

/* The parameters entry: oathOTPLength, oathHMACAlgorithm, oathTOTPTimeStepPeriod and the
 * optional oathTOTPTimeStepWindow (+-steps; -1 when absent). */
int totpi_ldap_read_params(struct ldap_txn *t, const char *dn, totp_params *p, int *window,
                           totp_error *err)
{
    const struct totpi_oath_kind *k = t->kind;
    char *attrs[] = {"oathOTPLength", "oathHMACAlgorithm", "oathTOTPTimeStepPeriod",
                     (char *)k->window_attr, NULL};
    char filter[64];
    LDAPMessage *res, *e;
    uint64_t digits = 0, period = 30, w = 0;
    snprintf(filter, sizeof(filter), "(objectClass=%s)", k->params);
    int rc = totpi_ldap_search_one(t, dn, LDAP_SCOPE_BASE, filter, attrs, &res, &e, "reading", err);
    if (rc == TOTP_ENOENT && t->token_dn == NULL) /* enrolling: the entry is there */
        return totpi_fail(err, TOTP_EFORMAT, 0, 0, "%.700s: not an %s entry", dn, k->params);
    if (rc == TOTP_ENOENT)
        return totpi_fail(err, TOTP_EFORMAT, 0, 0, "%.700s: no such %s entry (named by %.200s)", dn,
                          k->params, t->token_dn);
    if (rc != TOTP_OK)
        return rc;
    rc = get_number(t, e, dn, "oathOTPLength", TOTP_DIGITS_MIN, TOTP_DIGITS_MAX, 1, &digits, err);
    if (rc == TOTP_OK && !k->hotp)
        rc = get_number(t, e, dn, "oathTOTPTimeStepPeriod", TOTP_PERIOD_MIN, TOTP_PERIOD_MAX, 1,
                        &period, err);
    if (rc == TOTP_OK) {
        /* The record's WINDOW_SIZE is at most 100: +-49 steps, or a look-ahead of 99. */
        rc = get_number(t, e, dn, k->window_attr, 0, k->hotp ? 99 : 49, k->hotp, &w, err);
        *window = rc == TOTP_OK ? (int)w : -1;
        rc = rc == TOTP_ENOENT ? TOTP_OK : rc;
    }
    char *oid = rc == TOTP_OK ? totpi_ldap_get_one(t->ld, e, "oathHMACAlgorithm") : NULL;
    if (rc == TOTP_OK) {
        rc = totpi_fail(err, TOTP_EFORMAT, 0, 0, "%.700s: oathHMACAlgorithm %.40s: %s", dn,
                        oid != NULL ? oid : "(none)",
                        oid != NULL ? "not SHA-1, SHA-256 or SHA-512" : "missing");
        for (size_t i = 0; oid != NULL && i < sizeof(hmac_oids) / sizeof(hmac_oids[0]); i++) {
            if (strcmp(oid, hmac_oids[i].oid) == 0) {
                p->algorithm = hmac_oids[i].alg;
                rc = TOTP_OK;
            }
        }
    }
    free(oid);
    ldap_msgfree(res);
    p->digits = (unsigned)digits;
    p->period = (unsigned)period;
    return rc;
}

/* The token as a record of its kind (TOTP: the step watermark in DISALLOW_REUSE; HOTP: the next
 * counter in HOTP_COUNTER), with its parameters' window. */
static int set_state(struct ldap_txn *t, totp_record *rec, uint64_t last, int window)
{
    char buf[24];
    int rc = TOTP_OK;
    if (t->kind->hotp) {
        /* slapo-otp's first code is counter 0; a record counts from 1, so a token never used
         * starts at 1 here (its first code is skipped, the look-ahead covers it). */
        rc = totp_record_unset(rec, "TOTP_AUTH");
        if (rc == TOTP_OK)
            rc = totp_record_unset(rec, "DISALLOW_REUSE");
        snprintf(buf, sizeof(buf), "%" PRIu64, t->last != NULL ? last + 1 : 1);
        if (rc == TOTP_OK)
            rc = totp_record_set(rec, "HOTP_COUNTER", buf);
        snprintf(buf, sizeof(buf), "%d", window + 1); /* last+1 .. last+1+look-ahead */
    } else {
        if (t->last != NULL) {
            snprintf(buf, sizeof(buf), "%" PRIu64, last);
            rc = totp_record_set(rec, "DISALLOW_REUSE", buf);
        }
        snprintf(buf, sizeof(buf), "%d", 2 * window + 1); /* +-window steps */
    }
    if (rc == TOTP_OK && window >= 0)
        rc = totp_record_set(rec, "WINDOW_SIZE", buf);
    return rc;
}

int totpi_ldap_read_token(struct ldap_txn *t, totp_record **rec, totp_error *err)
{
    const struct totpi_oath_kind *k = t->kind;
    char *attrs[] = {
        "oathSecret",      (char *)k->params, (char *)k->state_attr, "oathFailureCount",
        "oathLastFailure", LDAP_SCRATCH_ATTR, "objectClass",         NULL};
    char filter[64];
    LDAPMessage *res, *e;
    totp_params p;
    int window = -1;
    uint64_t last = 0;
    snprintf(filter, sizeof(filter), "(objectClass=%s)", k->token);
    int rc = totpi_ldap_search_one(t, t->token_dn, LDAP_SCOPE_BASE, filter, attrs, &res, &e,
                                   "reading", err);
    if (rc == TOTP_ENOENT)
        return totpi_fail(err, TOTP_EFORMAT, 0, 0, "%.700s: no such %s entry (named by %.200s)",
                          t->token_dn, k->token, t->user_dn);
    if (rc != TOTP_OK)
        return rc;

    char *params_dn = totpi_ldap_get_one(t->ld, e, k->params);
    rc = get_number(t, e, t->token_dn, k->state_attr, 0, INT64_MAX - 1, 0, &last, err);
    if (rc == TOTP_OK)
        t->last = totpi_ldap_get_one(t->ld, e, k->state_attr);
    else if (rc == TOTP_ENOENT)
        rc = TOTP_OK;
    if (rc == TOTP_OK && params_dn == NULL)
        rc = totpi_fail(err, TOTP_EFORMAT, 0, 0, "%.700s: no %s", t->token_dn, k->params);
    if (rc == TOTP_OK)
        rc = totpi_ldap_read_params(t, params_dn, &p, &window, err);

    struct berval **secret = rc == TOTP_OK ? ldap_get_values_len(t->ld, e, "oathSecret") : NULL;
    if (rc == TOTP_OK && (secret == NULL || secret[0] == NULL))
        rc = totpi_fail(err, TOTP_EFORMAT, 0, 0, "%.700s: no oathSecret", t->token_dn);
    else if (rc == TOTP_OK &&
             (secret[0]->bv_len < TOTP_KEY_MIN || secret[0]->bv_len > TOTP_KEY_MAX))
        rc = totpi_fail(err, TOTP_EFORMAT, 0, 0,
                        "%.700s: oathSecret is %lu bytes, must be 10 to 64 (encrypted secrets "
                        "are not supported)",
                        t->token_dn, (unsigned long)secret[0]->bv_len);
    if (rc == TOTP_OK) {
        rc = totp_record_new((const uint8_t *)secret[0]->bv_val, secret[0]->bv_len, &p, rec);
        if (rc != TOTP_OK)
            totpi_fail(err, rc, 0, 0, "%.700s: %s", t->token_dn, totp_strerror(rc));
        memcpy(t->key, secret[0]->bv_val, secret[0]->bv_len);
        t->key_len = secret[0]->bv_len;
        t->params = p;
    }
    for (size_t i = 0; secret != NULL && secret[i] != NULL; i++)
        totp_wipe(secret[i]->bv_val, secret[i]->bv_len);
    ldap_value_free_len(secret);

    if (rc == TOTP_OK && (rc = set_state(t, *rec, last, window)) != TOTP_OK)
        totpi_fail(err, rc, 0, 0, "%.700s: %s", t->token_dn, totp_strerror(rc));
    if (rc == TOTP_OK)
        rc = totpi_ldap_read_failures(t, e, *rec, err);
    if (rc == TOTP_OK)
        rc = totpi_ldap_scratch_read(t->ld, e, LDAP_SCRATCH_ATTR, t->location, *rec,
                                     &t->scratch_read, err);
    struct berval **oc = rc == TOTP_OK ? ldap_get_values_len(t->ld, e, "objectClass") : NULL;
    for (size_t i = 0; oc != NULL && oc[i] != NULL; i++)
        t->scratch_class |= oc[i]->bv_len == strlen(LDAP_SCRATCH_CLASS) &&
                            totpi_strcasecmp(oc[i]->bv_val, LDAP_SCRATCH_CLASS) == 0;
    ldap_value_free_len(oc);
    if (rc != TOTP_OK && *rec != NULL) {
        totp_record_free(*rec);
        *rec = NULL;
    }
    free(params_dn);
    ldap_msgfree(res);
    return rc;
}

int totpi_ldap_txn_open(struct ldap_store *s, const char *user, char **attrs, struct ldap_txn **out,
                        LDAPMessage **res, LDAPMessage **e, totp_error *err)
{
    char *filter = NULL;
    *res = *e = NULL;
    if (!totpi_user_name_ok(user))
        return totpi_fail(err, TOTP_EUSER, 0, 0, "unusable user name");
    struct ldap_txn *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    t->store = s;
    totpi_sigpipe_block(&t->sigpipe);
    totpi_ldap_set_location(t, s->cfg.base);

    int rc = totpi_ldap_connect(&s->cfg, &t->ld, err);
    if (rc == TOTP_OK)
        rc = totpi_ldap_filter(s->cfg.filter, user, &filter, err);
    if (rc == TOTP_OK)
        rc = totpi_ldap_search_one(t, s->cfg.base, LDAP_SCOPE_SUBTREE, filter, attrs, res, e,
                                   "searching", err);
    if (rc == TOTP_ENOENT)
        totpi_fail(err, TOTP_ENOENT, 0, 0, "%.200s: no entry under %.500s matches %.200s",
                   s->first_uri, s->cfg.base, filter);
    free(filter);
    if (rc == TOTP_OK && (t->user_dn = ldap_get_dn(t->ld, *e)) == NULL)
        rc = totpi_fail(err, TOTP_EIO, 0, 0, "%.200s: an entry without a DN", s->first_uri);
    if (rc != TOTP_OK) {
        ldap_msgfree(*res);
        *res = *e = NULL;
        totpi_ldap_txn_free(t);
        return rc;
    }
    totpi_ldap_set_location(t, t->user_dn);
    *out = t;
    return TOTP_OK;
}
