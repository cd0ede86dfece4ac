/* SPDX-License-Identifier: Apache-2.0 */
/* store_ad_write.c: the AD store's enrollment, secret replacement and re-sealing, removal and
 * listing. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "scratch_hash.h"
#include "store_ad_write.h"

/* What a record puts on the entry, the secret sealed for this entry under the current key. */
struct ad_values {
    uint8_t blob[TOTPI_SEAL_MAX];
    size_t blob_len;
    char algorithm[16], digits[8], period[8], last[24];
    char **scratch;                  /* the record's scratch codes, hashed and sealed */
    char **reseal_del, **reseal_add; /* reseal: the hashes under an old key, and under the new */
};

static void ad_values_free(struct ad_values *v)
{
    totpi_scratch_hash_free(v->scratch);
    totpi_scratch_hash_free(v->reseal_del);
    totpi_scratch_hash_free(v->reseal_add);
    totp_wipe(v, sizeof(*v));
}

static int ad_values(struct ad_txn *t, const totp_record *rec, struct ad_values *v, totp_error *err)
{
    const totp_params defaults = TOTP_PARAMS_DEFAULT;
    totp_params p;
    uint8_t key[TOTP_KEY_MAX];
    size_t len = 0;
    uint64_t step;
    struct totpi_seal_keys keys;
    memset(v, 0, sizeof(*v));
    int rc = totp_record_params(rec, &defaults, &p);
    if (rc == TOTP_OK && totp_record_get(rec, "TOTP_AUTH") == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "%s: only TOTP records can go to store=ad",
                          t->location);
    if (rc == TOTP_OK && !t->reseal &&
        (rc = totpi_scratch_hash_make(rec, &v->scratch, err)) != TOTP_OK)
        return rc;
    if (rc == TOTP_OK)
        rc = totp_record_secret(rec, key, &len);
    if (rc != TOTP_OK)
        return totpi_fail(err, rc, 0, 0, "%s: %s", t->location, totp_strerror(rc));
    rc = totpi_ad_keys(t, &keys, err);
    if (rc == TOTP_OK)
        rc = totpi_seal(&keys.keys[0], t->guid, AD_SECRET, key, len, v->blob, &v->blob_len, err);
    if (rc == TOTP_OK && v->scratch != NULL)
        rc = totpi_ad_scratch_seal(t, &keys.keys[0], v->scratch, err);
    if (rc == TOTP_OK && t->reseal && !t->create)
        rc = totpi_ad_scratch_reseal(t, &keys, &v->reseal_del, &v->reseal_add, err);
    totpi_seal_keys_wipe(&keys);
    totp_wipe(key, sizeof(key));
    snprintf(v->algorithm, sizeof(v->algorithm), "%s", totp_algorithm_name(p.algorithm));
    snprintf(v->digits, sizeof(v->digits), "%u", p.digits);
    snprintf(v->period, sizeof(v->period), "%u", p.period);
    /* The code that confirmed an enrollment is used: it must not log in afterwards. */
    if (totp_record_last_step(rec, &step) == TOTP_OK)
        snprintf(v->last, sizeof(v->last), "%" PRIu64, step);
    return rc;
}

/* Give the entry the auxiliary class, in a modify of its own (AD takes the class's attributes
 * only once the entry has it). */
static int add_class(struct ad_txn *t, totp_error *err)
{
    char *oc[] = {AD_CLASS, NULL};
    LDAPMod m = {LDAP_MOD_ADD, "objectClass", {oc}};
    LDAPMod *mods[] = {&m, NULL};
    int lrc = ldap_modify_ext_s(t->ld, t->user_dn, mods, NULL, NULL);
    if (lrc == LDAP_SUCCESS || lrc == LDAP_TYPE_OR_VALUE_EXISTS)
        return TOTP_OK;
    return totpi_ad_fail(t, lrc, "adding objectClass " AD_CLASS, err);
}

int totpi_ad_write_secret(struct ad_txn *t, const totp_record *rec, totp_error *err)
{
    struct ad_values v;
    int rc = ad_values(t, rec, &v, err);
    if (rc == TOTP_OK && t->create && !t->has_class)
        rc = add_class(t, err);
    if (rc != TOTP_OK) {
        ad_values_free(&v);
        return rc;
    }
    int reseal_only = t->reseal && !t->create;
    struct berval blob = {v.blob_len, (char *)v.blob}, *new_blob[] = {&blob, NULL};
    struct berval *old_blob[] = {&t->blob, NULL};
    char *alg[] = {v.algorithm, NULL}, *dig[] = {v.digits, NULL}, *per[] = {v.period, NULL};
    char *last[] = {v.last, NULL};
    LDAPMod m[] = {
        {LDAP_MOD_DELETE | LDAP_MOD_BVALUES, AD_SECRET, {.modv_bvals = old_blob}},
        {LDAP_MOD_ADD | LDAP_MOD_BVALUES, AD_SECRET, {.modv_bvals = new_blob}},
        {LDAP_MOD_REPLACE, AD_ALGORITHM, {alg}},
        {LDAP_MOD_REPLACE, AD_DIGITS, {dig}},
        {LDAP_MOD_REPLACE, AD_PERIOD, {per}},
        /* a new secret starts a new watermark (or none) and a clean failure state */
        {LDAP_MOD_REPLACE, AD_LAST_STEP, {v.last[0] != '\0' ? last : NULL}},
        {LDAP_MOD_REPLACE, AD_FAIL_COUNT, {NULL}},
        {LDAP_MOD_REPLACE, AD_FAIL_TIME, {NULL}},
        /* and its own scratch codes (without the newer schema, never named) */
        {LDAP_MOD_REPLACE, AD_SCRATCH, {v.scratch}},
        /* reseal: the scratch hashes under the first key, in place of exactly those read */
        {LDAP_MOD_DELETE, AD_SCRATCH, {v.reseal_del}},
        {LDAP_MOD_ADD, AD_SCRATCH, {v.reseal_add}},
    };
    LDAPMod *mods[13];
    size_t n = 0;
    if (t->blob.bv_val != NULL) /* compare-and-swap: the secret we read, or nothing */
        mods[n++] = &m[0];
    mods[n++] = &m[1];
    for (size_t i = 2; !reseal_only && i < 8; i++)
        mods[n++] = &m[i];
    if (!reseal_only && v.scratch != NULL &&
        (v.scratch[0] != NULL || t->has_scratch ||
         (t->scratch_read != NULL && t->scratch_read[0] != '\0')))
        mods[n++] = &m[8];
    if (reseal_only && v.reseal_del != NULL) {
        mods[n++] = &m[9];
        mods[n++] = &m[10];
    }
    mods[n] = NULL;
    /* Create-if-absent: with no secret read, the add to the single-valued pamTotpSecret fails if
     * one is there (another host enrolled meanwhile), and so does the whole modify. */
    int lrc = ldap_modify_ext_s(t->ld, t->user_dn, mods, NULL, NULL);
    ad_values_free(&v);
    if (lrc == LDAP_SUCCESS)
        return TOTP_OK;
    if (lrc == LDAP_NO_SUCH_ATTRIBUTE || lrc == LDAP_TYPE_OR_VALUE_EXISTS ||
        lrc == LDAP_CONSTRAINT_VIOLATION)
        return totpi_fail(err, t->create ? TOTP_EEXIST : TOTP_EIO, 0, 0,
                          "%s: %s changed meanwhile (enrolled, removed or re-sealed elsewhere)",
                          t->location, AD_SECRET);
    return totpi_ad_fail(t, lrc, t->create ? "enrolling" : "writing the secret", err);
}

int totpi_ad_put_scratch(struct ad_txn *t, char **values, totp_error *err)
{
    LDAPMod m = {LDAP_MOD_REPLACE, AD_SCRATCH, {values}};
    LDAPMod *mods[] = {&m, NULL};
    struct totpi_seal_keys keys;
    if (values[0] == NULL && !t->has_scratch)
        return TOTP_OK; /* none to keep, and none kept */
    int rc = totpi_ad_keys(t, &keys, err);
    if (rc == TOTP_OK)
        rc = totpi_ad_scratch_seal(t, &keys.keys[0], values, err);
    totpi_seal_keys_wipe(&keys);
    if (rc != TOTP_OK)
        return rc;
    int lrc = ldap_modify_ext_s(t->ld, t->user_dn, mods, NULL, NULL);
    if (lrc == LDAP_SUCCESS)
        return TOTP_OK;
    return totpi_ad_fail(
        t, lrc, "replacing the scratch codes (is the schema's " AD_SCRATCH " loaded?)", err);
}

int totpi_ad_remove(totp_txn *txn, totp_error *err)
{
    struct ad_txn *t = (struct ad_txn *)txn;
    LDAPMod m[] = {
        {LDAP_MOD_REPLACE, AD_SECRET, {NULL}},    {LDAP_MOD_REPLACE, AD_ALGORITHM, {NULL}},
        {LDAP_MOD_REPLACE, AD_DIGITS, {NULL}},    {LDAP_MOD_REPLACE, AD_PERIOD, {NULL}},
        {LDAP_MOD_REPLACE, AD_LAST_STEP, {NULL}}, {LDAP_MOD_REPLACE, AD_FAIL_COUNT, {NULL}},
        {LDAP_MOD_REPLACE, AD_FAIL_TIME, {NULL}}, {LDAP_MOD_REPLACE, AD_SCRATCH, {NULL}},
    };
    int scratch = t->has_scratch || (t->scratch_read != NULL && t->scratch_read[0] != '\0');
    LDAPMod *mods[] = {&m[0], &m[1], &m[2], &m[3], &m[4], &m[5], &m[6], scratch ? &m[7] : NULL,
                       NULL};
    int rc = TOTP_OK, lrc = ldap_modify_ext_s(t->ld, t->user_dn, mods, NULL, NULL);
    if (lrc != LDAP_SUCCESS)
        rc = totpi_ad_fail(t, lrc, "removing the TOTP attributes", err);
    char *oc[] = {AD_CLASS, NULL};
    LDAPMod c = {LDAP_MOD_DELETE, "objectClass", {oc}};
    LDAPMod *cmods[] = {&c, NULL};
    if (rc == TOTP_OK && t->has_class) {
        lrc = ldap_modify_ext_s(t->ld, t->user_dn, cmods, NULL, NULL);
        if (lrc != LDAP_SUCCESS && lrc != LDAP_NO_SUCH_ATTRIBUTE)
            rc = totpi_ad_fail(t, lrc, "removed, but objectClass " AD_CLASS " stays", err);
    }
    totpi_ad_txn_free(t);
    return rc;
}

int totpi_ad_list(totp_store *store, char ***users, totp_error *err)
{
    struct ad_store *s = (struct ad_store *)store;
    /* AD answers every subtree search from the domain root with continuation references to
     * its other naming contexts: they are not part of the list. */
    return totpi_ldap_list_users(&s->cfg, s->first_uri, "(objectClass=" AD_CLASS ")", 0, users,
                                 err);
}
