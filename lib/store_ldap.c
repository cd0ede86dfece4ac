/* SPDX-License-Identifier: Apache-2.0 */
/* store_ldap.c: the LDAP store: OATH-LDAP entries (as slapo-otp reads them) turned into records,
 * and the replay watermark moved with a compare-and-swap modify. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "internal.h"
#include "scratch_hash.h"
#include "store_ldap.h"
#include "store_ldap_write.h"

#define DEFAULT_FILTER "(uid=%u)"

static const struct totp_store_ops ldap_ops;

/* ---- Transactions ------------------------------------------------------------------------- */

static int ldap_begin(totp_store *store, const char *user, int flags, totp_txn **txn,
                      totp_record **rec, totp_error *err)
{
    char *attrs[] = {"oathTOTPToken", "oathHOTPToken", NULL};
    LDAPMessage *res = NULL, *e = NULL;
    struct ldap_txn *t = NULL;
    int rc = totpi_ldap_txn_open((struct ldap_store *)store, user, attrs, &t, &res, &e, err);
    if (rc != TOTP_OK)
        return rc;
    t->base.ops = &ldap_ops;
    t->create = (flags & TOTP_TXN_CREATE) != 0;
    t->token_dn = totpi_ldap_get_one(t->ld, e, "oathTOTPToken");
    char *hotp_dn = totpi_ldap_get_one(t->ld, e, "oathHOTPToken");
    ldap_msgfree(res);
    /* As slapo-otp: the TOTP token if there is one, else the HOTP token. */
    t->kind = t->token_dn != NULL || hotp_dn == NULL ? &totpi_oath_totp : &totpi_oath_hotp;
    if (t->token_dn == NULL) {
        t->token_dn = hotp_dn;
        hotp_dn = NULL;
    }
    free(hotp_dn);

    if (rc == TOTP_OK && t->create && t->token_dn != NULL)
        rc = totpi_fail(err, TOTP_EEXIST, 0, 0, "%s: already has an %s", t->location,
                        t->kind->token);
    else if (rc == TOTP_OK && !t->create && t->token_dn == NULL)
        rc = totpi_fail(err, TOTP_ENOENT, 0, 0, "%s: no oathTOTPToken or oathHOTPToken",
                        t->location);
    if (t->create)
        t->kind = &totpi_oath_totp; /* enrollment makes TOTP tokens */
    if (rc == TOTP_OK && !t->create) {
        totpi_ldap_set_location(t, t->token_dn);
        t->unread = (flags & TOTP_TXN_UNREAD) != 0;
        if (!t->unread)
            rc = totpi_ldap_read_token(t, rec, err);
    }
    if (rc != TOTP_OK) {
        totpi_ldap_txn_free(t);
        return rc;
    }
    *txn = &t->base;
    return TOTP_OK;
}

/* A success in one modify: the watermark from t->last to `step` (if >= 0; delete the value we
 * read and add the new one) and the scratch-code hashes a login used deleted (`used`, NULL:
 * none). If anyone (another host, a slapo-otp bind) moved the watermark or used the same scratch
 * code meanwhile, a delete fails and so does the whole modify. The same modify guards the
 * failure count (see totpi_ldap_failure_guard): a failure counted since this login read the
 * token fails it too, and with `clear` it clears the failure state. */
static int commit_success(struct ldap_txn *t, int64_t step, char **used, int clear, totp_error *err)
{
    const char *attr = t->kind->state_attr;
    char value[24];
    snprintf(value, sizeof(value), "%" PRId64, step);
    char *old_vals[] = {t->last, NULL}, *new_vals[] = {value, NULL};
    LDAPMod del = {LDAP_MOD_DELETE, (char *)attr, {old_vals}};
    LDAPMod add = {LDAP_MOD_ADD, (char *)attr, {new_vals}};
    LDAPMod scratch = {LDAP_MOD_DELETE, LDAP_SCRATCH_ATTR, {used}};
    struct totpi_ldap_guard guard;
    LDAPMod *mods[7];
    size_t n = 0;
    if (step >= 0 && t->last != NULL)
        mods[n++] = &del;
    if (step >= 0)
        mods[n++] = &add;
    if (used != NULL)
        mods[n++] = &scratch;
    totpi_ldap_failure_guard(t, clear, &guard, mods, &n);
    mods[n] = NULL;
    int rc = ldap_modify_ext_s(t->ld, t->token_dn, mods, NULL, NULL);
    if (rc == LDAP_SUCCESS)
        return TOTP_OK;
    if (rc == LDAP_NO_SUCH_ATTRIBUTE || rc == LDAP_TYPE_OR_VALUE_EXISTS ||
        rc == LDAP_CONSTRAINT_VIOLATION) {
        if (totpi_ldap_failures_moved(t))
            return totpi_fail(err, TOTP_EREPLAY, 0, 0,
                              "%s: a failure was counted in oathFailureCount since this login "
                              "read it (a guess judged alongside); the code is refused",
                              t->location);
        return totpi_fail(err, TOTP_EREPLAY, 0, 0,
                          "%s: %s changed meanwhile (the code was used elsewhere)", t->location,
                          step >= 0 ? attr : LDAP_SCRATCH_ATTR);
    }
    char what[1100];
    snprintf(what, sizeof(what), "%s: updating %s", t->location,
             step >= 0 ? attr : LDAP_SCRATCH_ATTR);
    return totpi_ldap_fail(t->ld, rc, TOTP_EIO, what, err);
}

/* What the record says was used last: the highest TOTP step, or the HOTP counter before the
 * next one. -1: nothing. */
static int64_t used_last(const struct ldap_txn *t, const totp_record *rec)
{
    uint64_t step, next;
    if (!t->kind->hotp)
        return totp_record_last_step(rec, &step) == TOTP_OK ? (int64_t)step : -1;
    const char *v = totp_record_get(rec, "HOTP_COUNTER");
    return v != NULL && totpi_parse_uint(v, strlen(v), INT64_MAX, &next) ? (int64_t)next - 1 : -1;
}

/* Whether the record is another token than the one read: a new secret, other parameters, or
 * one written over a token that was not read. A login never changes these. */
static int new_secret(const struct ldap_txn *t, const totp_record *rec)
{
    const totp_params defaults = TOTP_PARAMS_DEFAULT;
    totp_params p;
    uint8_t key[TOTP_KEY_MAX];
    size_t len = 0;
    if (t->unread || totp_record_secret(rec, key, &len) != TOTP_OK ||
        totp_record_params(rec, &defaults, &p) != TOTP_OK)
        return 1;
    int differs = len != t->key_len || memcmp(key, t->key, len) != 0 ||
                  p.algorithm != t->params.algorithm || p.digits != t->params.digits ||
                  (!t->kind->hotp && p.period != t->params.period) ||
                  t->kind->hotp != (totp_record_get(rec, "HOTP_COUNTER") != NULL);
    totp_wipe(key, sizeof(key));
    return differs;
}

/* A login's outcome: a success moves the watermark and deletes the scratch code it used, a
 * failure is counted. */
static int commit_login(struct ldap_txn *t, const totp_record *rec, char **used, totp_error *err)
{
    /* A TOTP token never used has nothing below its first step; an HOTP token never used was
     * read as having used counter 0 (see set_state). */
    int64_t old = t->kind->hotp ? 0 : -1, now = used_last(t, rec);
    uint64_t v;
    if (t->last != NULL && totpi_parse_uint(t->last, strlen(t->last), INT64_MAX, &v))
        old = (int64_t)v;
    /* The watermark, the scratch codes and the failure count live in the directory; other
     * bookkeeping is not kept. A success changes the first two and clears the third in one
     * modify. */
    if (now > old || used != NULL)
        return commit_success(t, now > old ? now : -1, used, totpi_ldap_failures_cleared(t, rec),
                              err);
    return totpi_ldap_store_failures(t, rec, err);
}

static int ldap_commit(totp_txn *txn, const totp_record *rec, totp_error *err)
{
    struct ldap_txn *t = (struct ldap_txn *)txn;
    int rc = TOTP_OK;
    if (t->create) {
        rc = totpi_ldap_create_token(t, rec, err);
    } else if (new_secret(t, rec)) { /* enroll --force, import --force */
        rc = totpi_ldap_replace_token(t, rec, err);
    } else {
        struct totpi_scratch_changes sc;
        totp_error why = {0};
        rc = totpi_scratch_hash_changes(t->scratch_read, rec, &sc, &why);
        if (rc != TOTP_OK)
            rc = totpi_fail(err, rc, 0, 0, "%s: %s", t->location, why.message);
        else if (sc.replace) /* totpctl scratch */
            rc = totpi_ldap_put_scratch(t, sc.add, err);
        else
            rc = commit_login(t, rec, sc.del, err);
        totpi_scratch_changes_free(&sc);
    }
    totpi_ldap_txn_free(t);
    return rc;
}

static void ldap_abort(totp_txn *txn)
{
    totpi_ldap_txn_free((struct ldap_txn *)txn);
}

static const char *ldap_location(const totp_txn *txn)
{
    return ((const struct ldap_txn *)txn)->location;
}

/* ---- Listing ------------------------------------------------------------------------------ */

static int ldap_list(totp_store *store, char ***users, totp_error *err)
{
    struct ldap_store *s = (struct ldap_store *)store;
    /* A referral would leave part of the list elsewhere. */
    return totpi_ldap_list_users(&s->cfg, s->first_uri,
                                 "(|(objectClass=oathTOTPUser)(objectClass=oathHOTPUser))", 1,
                                 users, err);
}

/* ---- The store ---------------------------------------------------------------------------- */

static void ldap_store_free(totp_store *store)
{
    struct ldap_store *s = (struct ldap_store *)store;
    for (size_t i = 0; i < sizeof(s->owned) / sizeof(s->owned[0]); i++)
        free(s->owned[i]);
    free(s->first_uri);
    free(s);
}

static const struct totp_store_ops ldap_ops = {
    ldap_begin, ldap_commit,     totpi_ldap_remove,    ldap_abort,           ldap_location,
    ldap_list,  ldap_store_free, totpi_ldap_allow_set, totpi_ldap_allow_get, totpi_ldap_allow_spend,
};

int totp_store_ldap_new(const totp_ldap_store_config *config, totp_store **out, totp_error *err)
{
    if (out == NULL || config == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "invalid argument");
    *out = NULL;
    if (config->uri == NULL || config->uri[0] == '\0')
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "store=ldap needs ldap_uri");
    if (config->base == NULL || config->base[0] == '\0')
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "store=ldap needs ldap_base");
    if (config->bind_dn != NULL && config->bind_pw_file == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "ldap_bind_dn needs ldap_bind_pw_file");
    int rc = totpi_ldap_check_config(config, err);
    if (rc != TOTP_OK)
        return rc;
    const char *filter = config->filter != NULL ? config->filter : DEFAULT_FILTER;
    if (!totpi_ldap_filter_ok(filter))
        return totpi_fail(err, TOTP_EINVAL, 0, 0,
                          "ldap_filter %.200s: must be one filter in parentheses with %%u or %%s",
                          filter);

    struct ldap_store *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    s->base.ops = &ldap_ops;
    s->cfg = *config;
    const char **fields[] = {&s->cfg.uri,     &s->cfg.base,         &s->cfg.filter,
                             &s->cfg.bind_dn, &s->cfg.bind_pw_file, &s->cfg.ca_file};
    s->cfg.filter = filter;
    s->cfg.timeout = config->timeout > 0 ? config->timeout : 5;
    int ok = 1;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (*fields[i] != NULL) {
            s->owned[i] = strdup(*fields[i]);
            ok &= s->owned[i] != NULL;
            *fields[i] = s->owned[i];
        }
    }
    if (ok)
        ok = (s->first_uri = strndup(s->cfg.uri, strcspn(s->cfg.uri, " \t,"))) != NULL;
    if (!ok) {
        ldap_store_free(&s->base);
        return totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    }
    *out = &s->base;
    return TOTP_OK;
}
