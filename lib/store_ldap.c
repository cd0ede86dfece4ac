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
#include "store_ldap.h"
#include "store_ldap_write.h"

#define DEFAULT_FILTER "(uid=%u)"

static const struct totp_store_ops ldap_ops;

/* ---- Transactions ------------------------------------------------------------------------- */

static int ldap_begin(totp_store *store, const char *user, int flags, totp_txn **txn,
                      totp_record **rec, totp_error *err)
{
    struct ldap_store *s = (struct ldap_store *)store;
    char *attrs[] = {"oathTOTPToken", "oathHOTPToken", NULL};
    char *filter = NULL;
    LDAPMessage *res = NULL, *e = NULL;

    if (!totpi_user_name_ok(user))
        return totpi_fail(err, TOTP_EUSER, 0, 0, "unusable user name");
    struct ldap_txn *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    t->base.ops = &ldap_ops;
    t->store = s;
    t->create = (flags & TOTP_TXN_CREATE) != 0;
    totpi_sigpipe_block(&t->sigpipe);
    totpi_ldap_set_location(t, s->cfg.base);

    int rc = totpi_ldap_connect(&s->cfg, &t->ld, err);
    if (rc == TOTP_OK)
        rc = totpi_ldap_filter(s->cfg.filter, user, &filter, err);
    if (rc == TOTP_OK)
        rc = totpi_ldap_search_one(t, s->cfg.base, LDAP_SCOPE_SUBTREE, filter, attrs, &res, &e,
                                   "searching", err);
    if (rc == TOTP_ENOENT)
        totpi_fail(err, TOTP_ENOENT, 0, 0, "%.200s: no entry under %.500s matches %.200s",
                   s->first_uri, s->cfg.base, filter);
    free(filter);
    if (rc == TOTP_OK && (t->user_dn = ldap_get_dn(t->ld, e)) == NULL)
        rc = totpi_fail(err, TOTP_EIO, 0, 0, "%.200s: an entry without a DN", s->first_uri);
    char *hotp_dn = NULL;
    if (rc == TOTP_OK) {
        totpi_ldap_set_location(t, t->user_dn);
        t->token_dn = totpi_ldap_get_one(t->ld, e, "oathTOTPToken");
        hotp_dn = totpi_ldap_get_one(t->ld, e, "oathHOTPToken");
    }
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

/* Move the watermark from t->last to `step` in one modify: delete the value we read and add the
 * new one. If anyone (another host, a slapo-otp bind) moved it meanwhile, the delete fails and
 * so does the whole modify. The same modify guards the failure count (see
 * totpi_ldap_failure_guard): a failure counted since this login read the token fails it too,
 * and with `clear` (a success) it clears the failure state. */
static int move_watermark(struct ldap_txn *t, int64_t step, int clear, totp_error *err)
{
    const char *attr = t->kind->state_attr;
    char value[24];
    snprintf(value, sizeof(value), "%" PRId64, step);
    char *old_vals[] = {t->last, NULL}, *new_vals[] = {value, NULL};
    LDAPMod del = {LDAP_MOD_DELETE, (char *)attr, {old_vals}};
    LDAPMod add = {LDAP_MOD_ADD, (char *)attr, {new_vals}};
    struct totpi_ldap_guard guard;
    LDAPMod *mods[6];
    size_t n = 0;
    if (t->last != NULL)
        mods[n++] = &del;
    mods[n++] = &add;
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
                          attr);
    }
    char what[1100];
    snprintf(what, sizeof(what), "%s: updating %s", t->location, attr);
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

static int ldap_commit(totp_txn *txn, const totp_record *rec, totp_error *err)
{
    struct ldap_txn *t = (struct ldap_txn *)txn;
    int rc = TOTP_OK;
    if (t->create) {
        rc = totpi_ldap_create_token(t, rec, err);
    } else if (new_secret(t, rec)) { /* enroll --force, import --force */
        rc = totpi_ldap_replace_token(t, rec, err);
    } else if (totp_record_scratch_count(rec) > 0) {
        rc = totpi_fail(err, TOTP_EINVAL, 0, 0,
                        "%s: scratch codes cannot be kept in LDAP (OATH-LDAP has no place for "
                        "them)",
                        t->location);
    } else {
        /* A TOTP token never used has nothing below its first step; an HOTP token never used
         * was read as having used counter 0 (see set_state). */
        int64_t old = t->kind->hotp ? 0 : -1, now = used_last(t, rec);
        uint64_t v;
        if (t->last != NULL && totpi_parse_uint(t->last, strlen(t->last), INT64_MAX, &v))
            old = (int64_t)v;
        /* The watermark and the failure count live in the directory; other bookkeeping is
         * not kept. A success moves the first and clears the second in one modify. */
        if (now > old)
            rc = move_watermark(t, now, totpi_ldap_failures_cleared(t, rec), err);
        else
            rc = totpi_ldap_store_failures(t, rec, err);
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
    ldap_begin,      ldap_commit,   totpi_ldap_remove,
    ldap_abort,      ldap_location, ldap_list,
    ldap_store_free, NULL,          NULL,
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
