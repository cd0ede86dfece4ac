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
#include "scratch_hash.h"
#include "store_ad.h"
#include "store_ad_write.h"

#define DEFAULT_FILTER "(sAMAccountName=%s)" /* %s: the name without DOMAIN\\ or @realm */
#define CAS_TRIES      64                    /* failure-state updates retried after losing a race */

static const struct totp_store_ops ad_ops;

/* ---- Transactions ------------------------------------------------------------------------- */

static int ad_begin(totp_store *store, const char *user, int flags, totp_txn **txn,
                    totp_record **rec, totp_error *err)
{
    int create = (flags & TOTP_TXN_CREATE) != 0, unread = (flags & TOTP_TXN_UNREAD) != 0;
    struct ad_txn *t = NULL;
    int rc =
        totpi_ad_txn_open((struct ad_store *)store, user, create || unread ? NULL : rec, &t, err);
    if (rc != TOTP_OK)
        return rc;
    t->base.ops = &ad_ops;
    t->create = create;
    t->unread = unread;
    t->reseal = (flags & TOTP_TXN_RESEAL) != 0;
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
static int swap(struct ad_txn *t, int64_t step, char **used, uint64_t count, uint64_t when,
                totp_error *err)
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
        {LDAP_MOD_DELETE, AD_SCRATCH, {used}},
    };
    LDAPMod *mods[7];
    int success = step >= 0 || used != NULL;
    size_t n = 0;
    uint64_t had = 0;
    if (t->fail_count != NULL)
        totpi_parse_uint(t->fail_count, strlen(t->fail_count), UINT32_MAX, &had);
    if (step >= 0 && t->last != NULL)
        mods[n++] = &m[0];
    if (step >= 0)
        mods[n++] = &m[1];
    if (used != NULL)
        mods[n++] = &m[5]; /* fails if another host used the same scratch code */
    if (success || count != had || (count > 0 && t->fail_count == NULL)) {
        if (t->fail_count != NULL)
            mods[n++] = &m[2];
        if (count > 0 || success)
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

/* Whether the failure count on the entry (read again) is still `had`. */
static int had_count_equal(const struct ad_txn *t, uint64_t had)
{
    uint64_t now = 0;
    if (t->fail_count != NULL)
        totpi_parse_uint(t->fail_count, strlen(t->fail_count), UINT32_MAX, &now);
    return now == had;
}

/* A login's outcome: the watermark moved and the failures reset, or one more failure. Racing
 * hosts: a moved watermark means the code was used elsewhere (TOTP_EREPLAY); so does, for a
 * success, a failure counted since this login read the entry (a guess judged alongside it: of
 * logins judged together only one can succeed, the one that commits before any failure does).
 * A failure that lost a race is read again and added on top, so none is lost. */
static int commit_login(struct ad_txn *t, const totp_record *rec, char **used, totp_error *err)
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
        int rc = swap(t, moves ? now : -1, used, count, when, err);
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
        if (used != NULL && !moves && had_count_equal(t, had))
            return totpi_fail(err, TOTP_EREPLAY, 0, 0,
                              "%s: %s changed meanwhile (the scratch code was used elsewhere)",
                              t->location, AD_SCRATCH);
        if (moves || used != NULL)
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
    else {
        struct totpi_scratch_changes sc;
        totp_error why = {0};
        rc = totpi_scratch_hash_changes(t->scratch_read, rec, &sc, &why);
        if (rc != TOTP_OK)
            rc = totpi_fail(err, rc, 0, 0, "%s: %s", t->location, why.message);
        else if (sc.replace) /* totpctl scratch */
            rc = totpi_ad_put_scratch(t, sc.add, err);
        else {
            char **used = NULL; /* the stored (sealed) values of the codes used */
            rc = totpi_ad_scratch_stored(t, sc.del, &used, err);
            if (rc == TOTP_OK)
                rc = commit_login(t, rec, used, err);
            totpi_scratch_hash_free(used);
        }
        totpi_scratch_changes_free(&sc);
    }
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
    ad_begin,      ad_commit,     totpi_ad_remove,    ad_abort,           ad_location,
    totpi_ad_list, ad_store_free, totpi_ad_allow_set, totpi_ad_allow_get, totpi_ad_allow_spend,
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
