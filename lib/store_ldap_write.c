/* SPDX-License-Identifier: Apache-2.0 */
/* store_ldap_write.c: enrolling users in the directory and removing them: the shared
 * parameters entry, the token entry, the link from the user, and undoing it. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "scratch_hash.h"
#include "store_ldap_write.h"

#define TOKEN_RDN "cn=totp"

/* The shared parameters entry for `p` and `window`, created under the base if missing. */
static int ensure_params(struct ldap_txn *t, const totp_params *p, unsigned window, char *dn,
                         size_t dn_size, totp_error *err)
{
    const char *oid = totpi_ldap_hmac_oid(p->algorithm), *name = totp_algorithm_name(p->algorithm);
    char cn[96], digits[16], period[16], win[16];
    snprintf(cn, sizeof(cn), "totp-%s-%u-%us-w%u", name, p->digits, p->period, window);
    snprintf(dn, dn_size, "cn=%s,%s", cn, t->store->cfg.base);
    snprintf(digits, sizeof(digits), "%u", p->digits);
    snprintf(period, sizeof(period), "%u", p->period);
    snprintf(win, sizeof(win), "%u", window);
    char *oc[] = {"applicationProcess", "oathTOTPParams", NULL}, *cnv[] = {cn, NULL};
    char *len_v[] = {digits, NULL}, *alg_v[] = {(char *)oid, NULL};
    char *per_v[] = {period, NULL}, *win_v[] = {win, NULL};
    LDAPMod m[] = {
        {LDAP_MOD_ADD, "objectClass", {oc}},
        {LDAP_MOD_ADD, "cn", {cnv}},
        {LDAP_MOD_ADD, "oathOTPLength", {len_v}},
        {LDAP_MOD_ADD, "oathHMACAlgorithm", {alg_v}},
        {LDAP_MOD_ADD, "oathTOTPTimeStepPeriod", {per_v}},
        {LDAP_MOD_ADD, "oathTOTPTimeStepWindow", {win_v}},
    };
    LDAPMod *mods[] = {&m[0], &m[1], &m[2], &m[3], &m[4], &m[5], NULL};
    int rc = ldap_add_ext_s(t->ld, dn, mods, NULL, NULL);
    if (rc == LDAP_SUCCESS)
        return TOTP_OK;
    char what[1100];
    if (rc != LDAP_ALREADY_EXISTS) {
        snprintf(what, sizeof(what), "%.200s: creating %.800s", t->store->first_uri, dn);
        return totpi_ldap_fail(t->ld, rc, TOTP_EIO, what, err);
    }
    /* It exists: make sure it still says what its name does. */
    totp_params q;
    int w = -1;
    rc = totpi_ldap_read_params(t, dn, &q, &w, err);
    if (rc == TOTP_OK && (q.algorithm != p->algorithm || q.digits != p->digits ||
                          q.period != p->period || w != (int)window))
        rc = totpi_fail(err, TOTP_EFORMAT, 0, 0, "%.800s: exists with other parameters", dn);
    return rc;
}

/* What a TOTP record puts on its token: checked, with its parameters entry made sure of. */
struct token_values {
    char params_dn[1100];
    uint8_t key[TOTP_KEY_MAX];
    size_t key_len;
    char last[24];  /* the watermark, "" if the record has none */
    char **scratch; /* the record's scratch codes, hashed */
};

static void token_values_free(struct token_values *v)
{
    totpi_scratch_hash_free(v->scratch);
    totp_wipe(v, sizeof(*v));
}

static int token_values(struct ldap_txn *t, const totp_record *rec, struct token_values *v,
                        totp_error *err)
{
    memset(v, 0, sizeof(*v));
    totp_params p;
    const totp_params defaults = TOTP_PARAMS_DEFAULT;
    const char *ws = totp_record_get(rec, "WINDOW_SIZE");
    unsigned window = ws != NULL ? (unsigned)(atoi(ws) - 1) / 2 : 1;
    uint64_t step;
    int rc = totp_record_params(rec, &defaults, &p);
    if (rc == TOTP_OK && totp_record_get(rec, "TOTP_AUTH") == NULL)
        rc =
            totpi_fail(err, TOTP_EINVAL, 0, 0, "%s: only TOTP records can go to LDAP", t->location);
    if (rc == TOTP_OK)
        rc = totpi_scratch_hash_make(rec, &v->scratch, err);
    if (rc == TOTP_OK)
        rc = ensure_params(t, &p, window, v->params_dn, sizeof(v->params_dn), err);
    if (rc == TOTP_OK)
        rc = totp_record_secret(rec, v->key, &v->key_len);
    /* The code that confirmed an enrollment is used: it must not log in afterwards. */
    v->last[0] = '\0';
    if (rc == TOTP_OK && totp_record_last_step(rec, &step) == TOTP_OK)
        snprintf(v->last, sizeof(v->last), "%" PRIu64, step);
    return rc;
}

int totpi_ldap_create_token(struct ldap_txn *t, const totp_record *rec, totp_error *err)
{
    struct token_values v;
    char token_dn[1100], what[1200];
    int rc = token_values(t, rec, &v, err);
    if (rc != TOTP_OK) {
        token_values_free(&v);
        return rc;
    }
    int scratch = v.scratch[0] != NULL;
    snprintf(token_dn, sizeof(token_dn), "%s,%s", TOKEN_RDN, t->user_dn);
    char *oc[] = {"device", "oathTOTPToken", scratch ? LDAP_SCRATCH_CLASS : NULL, NULL};
    char *cnv[] = {"totp", NULL};
    char *par_v[] = {v.params_dn, NULL}, *last_v[] = {v.last, NULL};
    struct berval secret = {v.key_len, (char *)v.key}, *sec_v[] = {&secret, NULL};
    LDAPMod m[] = {
        {LDAP_MOD_ADD, "objectClass", {oc}},
        {LDAP_MOD_ADD, "cn", {cnv}},
        {LDAP_MOD_ADD, "oathTOTPParams", {par_v}},
        {LDAP_MOD_ADD | LDAP_MOD_BVALUES, "oathSecret", {.modv_bvals = sec_v}},
        {LDAP_MOD_ADD, "oathTOTPLastTimeStep", {last_v}},
        {LDAP_MOD_ADD, LDAP_SCRATCH_ATTR, {v.scratch}},
    };
    LDAPMod *mods[7];
    size_t n = 0;
    for (size_t i = 0; i < 4; i++)
        mods[n++] = &m[i];
    if (v.last[0] != '\0')
        mods[n++] = &m[4];
    if (scratch)
        mods[n++] = &m[5];
    mods[n] = NULL;
    /* Create-if-absent: the add fails if the entry is there, whoever made it (another host
     * enrolling this user at the same moment, or an interrupted enrollment). */
    rc = ldap_add_ext_s(t->ld, token_dn, mods, NULL, NULL);
    token_values_free(&v);
    if (rc == LDAP_ALREADY_EXISTS)
        return totpi_fail(err, TOTP_EEXIST, 0, 0,
                          "%.1000s: exists already (enrolled meanwhile elsewhere, or an "
                          "interrupted enrollment that no user links to: delete it first)",
                          token_dn);
    if (rc != LDAP_SUCCESS) {
        snprintf(what, sizeof(what), "%.200s: creating %.900s", t->store->first_uri, token_dn);
        return totpi_ldap_fail(t->ld, rc, TOTP_EIO, what, err);
    }

    /* Link the user last: until then no login sees a half-made enrollment. */
    char *uoc[] = {"oathTOTPUser", NULL}, *tok_v[] = {token_dn, NULL};
    LDAPMod u[] = {{LDAP_MOD_ADD, "objectClass", {uoc}}, {LDAP_MOD_ADD, "oathTOTPToken", {tok_v}}};
    LDAPMod *umods[] = {&u[0], &u[1], NULL};
    rc = ldap_modify_ext_s(t->ld, t->user_dn, umods, NULL, NULL);
    if (rc == LDAP_SUCCESS) {
        totpi_ldap_set_location(t, token_dn);
        return TOTP_OK;
    }
    int lost = rc == LDAP_TYPE_OR_VALUE_EXISTS || rc == LDAP_CONSTRAINT_VIOLATION;
    snprintf(what, sizeof(what), "%.300s: linking %.800s", t->location, token_dn);
    int out = lost ? totpi_fail(err, TOTP_EEXIST, 0, 0, "%s: enrolled meanwhile", t->location)
                   : totpi_ldap_fail(t->ld, rc, TOTP_EIO, what, err);
    ldap_delete_ext_s(t->ld, token_dn, NULL, NULL); /* undo; nothing links to it */
    return out;
}

int totpi_ldap_put_scratch(struct ldap_txn *t, char **values, totp_error *err)
{
    char *soc[] = {LDAP_SCRATCH_CLASS, NULL};
    LDAPMod m[] = {
        {LDAP_MOD_ADD, "objectClass", {soc}},
        {LDAP_MOD_REPLACE, LDAP_SCRATCH_ATTR, {values}},
    };
    LDAPMod *mods[3] = {&m[1], NULL, NULL};
    if (values[0] != NULL && !t->scratch_class) {
        mods[0] = &m[0];
        mods[1] = &m[1];
    } else if (!t->scratch_class) {
        return TOTP_OK; /* none to keep, and none kept */
    }
    int lrc = ldap_modify_ext_s(t->ld, t->token_dn, mods, NULL, NULL);
    if (lrc == LDAP_SUCCESS)
        return TOTP_OK;
    char what[1200];
    snprintf(what, sizeof(what),
             "%.1000s: replacing the scratch codes (is the pam_totp schema loaded? see "
             "docs/LDAP.md)",
             t->location);
    return totpi_ldap_fail(t->ld, lrc, TOTP_EIO, what, err);
}

/* Whether some user other than ours links to the token (tokens may be shared). */
static int token_shared(struct ldap_txn *t, int *shared, totp_error *err)
{
    char *attrs[] = {"1.1", NULL}, template[48], *filter = NULL;
    snprintf(template, sizeof(template), "(%s=%%u)", t->kind->token);
    int rc = totpi_ldap_filter(template, t->token_dn, &filter, err);
    if (rc != TOTP_OK)
        return rc;
    struct timeval tv = {(time_t)t->store->cfg.timeout, 0};
    LDAPMessage *res = NULL;
    rc = ldap_search_ext_s(t->ld, t->store->cfg.base, LDAP_SCOPE_SUBTREE, filter, attrs, 0, NULL,
                           NULL, &tv, 0, &res);
    free(filter);
    *shared = rc == LDAP_SUCCESS && ldap_count_entries(t->ld, res) > 1;
    ldap_msgfree(res);
    if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_OBJECT)
        return totpi_ldap_fail(t->ld, rc, TOTP_EIO, "searching for other users of the token", err);
    return TOTP_OK;
}

/* A new secret (and parameters) for the user's TOTP token, in one modify of the token: logins see
 * the old token or the new one, never none. A shared token, or an HOTP one, is left to
 * remove-then-enroll. */
int totpi_ldap_replace_token(struct ldap_txn *t, const totp_record *rec, totp_error *err)
{
    int shared = 0, rc = token_shared(t, &shared, err);
    if (rc == TOTP_OK && (shared || t->kind->hotp))
        rc = totpi_fail(err, TOTP_EEXIST, 0, 0,
                        "%s: %s; remove it first (totpctl remove), then enroll", t->location,
                        shared ? "other users share this token" : "an HOTP token is not replaced");
    struct token_values v;
    memset(&v, 0, sizeof(v));
    if (rc == TOTP_OK)
        rc = token_values(t, rec, &v, err);
    if (rc != TOTP_OK) {
        token_values_free(&v);
        return rc;
    }
    char *par_v[] = {v.params_dn, NULL}, *last_v[] = {v.last, NULL};
    char *soc[] = {LDAP_SCRATCH_CLASS, NULL};
    struct berval secret = {v.key_len, (char *)v.key}, *sec_v[] = {&secret, NULL};
    LDAPMod m[] = {
        /* the new secret's scratch codes replace the old ones */
        {LDAP_MOD_ADD, "objectClass", {soc}},
        {LDAP_MOD_REPLACE, LDAP_SCRATCH_ATTR, {v.scratch}},
        {LDAP_MOD_REPLACE | LDAP_MOD_BVALUES, "oathSecret", {.modv_bvals = sec_v}},
        {LDAP_MOD_REPLACE, "oathTOTPParams", {par_v}},
        /* the new watermark, or none: the old one belongs to the old secret */
        {LDAP_MOD_REPLACE, "oathTOTPLastTimeStep", {v.last[0] != '\0' ? last_v : NULL}},
        /* and no failures: they were guesses at the old one */
        {LDAP_MOD_REPLACE, "oathFailureCount", {NULL}},
        {LDAP_MOD_REPLACE, "oathLastFailure", {NULL}},
    };
    LDAPMod *mods[8];
    size_t n = 0;
    int scratch = v.scratch[0] != NULL;
    /* An unread token (enroll --force) may have the class and old codes: ask, so that the
     * class is not added twice and the old codes go with the old secret. */
    struct berval soc_value = {strlen(soc[0]), soc[0]};
    if (t->unread && !t->scratch_class)
        t->scratch_class = ldap_compare_ext_s(t->ld, t->token_dn, "objectClass", &soc_value, NULL,
                                              NULL) == LDAP_COMPARE_TRUE;
    if (scratch && !t->scratch_class)
        mods[n++] = &m[0];
    if (scratch || t->scratch_class) /* (without the schema, never named) */
        mods[n++] = &m[1];
    for (size_t i = 2; i < sizeof(m) / sizeof(m[0]); i++)
        mods[n++] = &m[i];
    mods[n] = NULL;
    int lrc = ldap_modify_ext_s(t->ld, t->token_dn, mods, NULL, NULL);
    token_values_free(&v);
    if (lrc != LDAP_SUCCESS) {
        char what[1100];
        snprintf(what, sizeof(what), "%s: replacing the secret", t->location);
        return totpi_ldap_fail(t->ld, lrc, TOTP_EIO, what, err);
    }
    return TOTP_OK;
}

/* Whether the token entry may be deleted: a token entry of its kind, and not a user's entry
 * (nor a person's), whatever the link's spelling. Read before unlinking, which changes the
 * user's classes. */
static int token_deletable(struct ldap_txn *t)
{
    if (totpi_ldap_dn_equal(t->token_dn, t->user_dn) != 0)
        return 0; /* the user is its own token, or the DNs cannot be told apart */
    char filter[160], *attrs[] = {"1.1", NULL};
    snprintf(filter, sizeof(filter),
             "(&(objectClass=%s)(!(objectClass=oathTOTPUser))(!(objectClass=oathHOTPUser))"
             "(!(objectClass=person)))",
             t->kind->token);
    struct timeval tv = {(time_t)t->store->cfg.timeout, 0};
    LDAPMessage *res = NULL;
    int rc = ldap_search_ext_s(t->ld, t->token_dn, LDAP_SCOPE_BASE, filter, attrs, 0, NULL, NULL,
                               &tv, 1, &res);
    int deletable = rc == LDAP_SUCCESS && ldap_count_entries(t->ld, res) == 1;
    ldap_msgfree(res);
    return deletable;
}

int totpi_ldap_remove(totp_txn *txn, totp_error *err)
{
    struct ldap_txn *t = (struct ldap_txn *)txn;
    char what[1200];
    int shared = 0, rc = t->token_dn == NULL ? TOTP_ENOENT : token_shared(t, &shared, err);
    int deletable = rc == TOTP_OK && !shared && token_deletable(t);
    if (rc == TOTP_OK) {
        /* Unlink first: a user is unenrolled even if the token cannot be deleted. */
        char *uoc[] = {(char *)t->kind->user_class, NULL}, *tok_v[] = {t->token_dn, NULL};
        LDAPMod u[] = {{LDAP_MOD_DELETE, (char *)t->kind->token, {tok_v}},
                       {LDAP_MOD_DELETE, "objectClass", {uoc}}};
        LDAPMod *umods[] = {&u[0], &u[1], NULL};
        int lrc = ldap_modify_ext_s(t->ld, t->user_dn, umods, NULL, NULL);
        if (lrc == LDAP_NO_SUCH_ATTRIBUTE) { /* linked without the class (extensibleObject) */
            umods[1] = NULL;
            lrc = ldap_modify_ext_s(t->ld, t->user_dn, umods, NULL, NULL);
        }
        if (lrc != LDAP_SUCCESS) {
            snprintf(what, sizeof(what), "%.1100s: unlinking the token", t->user_dn);
            rc = totpi_ldap_fail(t->ld, lrc, TOTP_EIO, what, err);
        }
    }
    if (rc == TOTP_OK && deletable) {
        int drc = ldap_delete_ext_s(t->ld, t->token_dn, NULL, NULL);
        if (drc != LDAP_SUCCESS && drc != LDAP_NO_SUCH_OBJECT) {
            snprintf(what, sizeof(what), "%.1000s: unlinked from the user, but not deleted",
                     t->token_dn);
            rc = totpi_ldap_fail(t->ld, drc, TOTP_EIO, what, err);
        }
    }
    totpi_ldap_txn_free(t);
    return rc;
}
