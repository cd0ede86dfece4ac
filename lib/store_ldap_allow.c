/* SPDX-License-Identifier: Apache-2.0 */
/* store_ldap_allow.c: the enrollment allowance in LDAP: pamTotpEnrollUntil (GeneralizedTime) on
 * the user's entry, with the auxiliary class pamTotpEnrollee (examples/ldap/pam_totp.schema). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "store_ldap_write.h"

static int has_class(LDAP *ld, LDAPMessage *e, const char *name)
{
    struct berval **oc = ldap_get_values_len(ld, e, "objectClass");
    int has = 0;
    for (size_t i = 0; oc != NULL && oc[i] != NULL; i++)
        has |= oc[i]->bv_len == strlen(name) && totpi_strcasecmp(oc[i]->bv_val, name) == 0;
    ldap_value_free_len(oc);
    return has;
}

int totpi_ldap_allow_set(totp_store *store, const char *user, int64_t until, totp_error *err)
{
    char *attrs[] = {LDAP_ENROLL_ATTR, "objectClass", NULL}, stamp[TOTPI_LDAP_TIME_SIZE];
    LDAPMessage *res = NULL, *e = NULL;
    struct ldap_txn *t = NULL;
    if (until < 0 || (until > 0 && totpi_ldap_format_time(until, stamp) != TOTP_OK))
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "the allowance's expiry is out of range");
    int rc = totpi_ldap_txn_open((struct ldap_store *)store, user, attrs, &t, &res, &e, err);
    if (rc != TOTP_OK)
        return rc;
    int classed = has_class(t->ld, e, LDAP_ENROLL_CLASS);
    char *had = totpi_ldap_get_one(t->ld, e, LDAP_ENROLL_ATTR);
    ldap_msgfree(res);
    char *oc[] = {LDAP_ENROLL_CLASS, NULL}, *v[] = {stamp, NULL};
    LDAPMod m[] = {
        {LDAP_MOD_ADD, "objectClass", {oc}},
        {LDAP_MOD_REPLACE, LDAP_ENROLL_ATTR, {until > 0 ? v : NULL}},
        {LDAP_MOD_DELETE, "objectClass", {oc}},
    };
    LDAPMod *mods[3] = {NULL, NULL, NULL};
    if (until > 0 && !classed) {
        mods[0] = &m[0];
        mods[1] = &m[1];
    } else if (until > 0 || had != NULL) {
        mods[0] = &m[1];
        mods[1] = until > 0 || !classed ? NULL : &m[2]; /* revoked: the class goes too */
    } else if (classed) {
        mods[0] = &m[2];
    }
    free(had);
    int lrc =
        mods[0] != NULL ? ldap_modify_ext_s(t->ld, t->user_dn, mods, NULL, NULL) : LDAP_SUCCESS;
    if (lrc != LDAP_SUCCESS) {
        char what[1200];
        snprintf(what, sizeof(what),
                 "%.1000s: writing " LDAP_ENROLL_ATTR " (is the pam_totp schema loaded?)",
                 t->location);
        rc = totpi_ldap_fail(t->ld, lrc, TOTP_EIO, what, err);
    }
    totpi_ldap_txn_free(t);
    return rc;
}

/* Open the user's entry and read its allowance value (NULL if none); the caller frees both. */
static int read_allowance(totp_store *store, const char *user, struct ldap_txn **t, char **v,
                          totp_error *err)
{
    char *attrs[] = {LDAP_ENROLL_ATTR, NULL};
    LDAPMessage *res = NULL, *e = NULL;
    *v = NULL;
    int rc = totpi_ldap_txn_open((struct ldap_store *)store, user, attrs, t, &res, &e, err);
    if (rc != TOTP_OK)
        return rc;
    *v = totpi_ldap_get_one((*t)->ld, e, LDAP_ENROLL_ATTR);
    ldap_msgfree(res);
    return TOTP_OK;
}

int totpi_ldap_allow_get(totp_store *store, const char *user, int64_t *until, totp_error *err)
{
    struct ldap_txn *t = NULL;
    char *v = NULL;
    *until = 0;
    int rc = read_allowance(store, user, &t, &v, err);
    if (rc != TOTP_OK)
        return rc;
    int64_t at = v != NULL ? totpi_ldap_parse_time(v) : -1;
    if (v == NULL)
        rc = totpi_fail(err, TOTP_ENOENT, 0, 0, "%s: no " LDAP_ENROLL_ATTR, t->location);
    else if (at < 0)
        rc = totpi_fail(err, TOTP_EFORMAT, 0, 0,
                        "%s: " LDAP_ENROLL_ATTR " %.40s is not a GeneralizedTime", t->location, v);
    else
        *until = at;
    free(v);
    totpi_ldap_txn_free(t);
    return rc;
}

int totpi_ldap_allow_spend(totp_store *store, const char *user, int64_t until, totp_error *err)
{
    struct ldap_txn *t = NULL;
    char *v = NULL;
    int rc = read_allowance(store, user, &t, &v, err);
    if (rc != TOTP_OK)
        return rc;
    if (v == NULL || totpi_ldap_parse_time(v) != until) {
        rc = totpi_fail(err, TOTP_ENOENT, 0, 0, "%s: " LDAP_ENROLL_ATTR " changed meanwhile",
                        t->location);
    } else {
        /* Delete exactly the value read: a second host spending it gets noSuchAttribute. */
        char *old[] = {v, NULL};
        LDAPMod m = {LDAP_MOD_DELETE, LDAP_ENROLL_ATTR, {old}};
        LDAPMod *mods[] = {&m, NULL};
        int lrc = ldap_modify_ext_s(t->ld, t->user_dn, mods, NULL, NULL);
        if (lrc == LDAP_NO_SUCH_ATTRIBUTE)
            rc = totpi_fail(err, TOTP_ENOENT, 0, 0,
                            "%s: " LDAP_ENROLL_ATTR " was used or changed meanwhile", t->location);
        else if (lrc != LDAP_SUCCESS) {
            char what[1200];
            snprintf(what, sizeof(what),
                     "%.1000s: deleting " LDAP_ENROLL_ATTR " (the allowance this enrollment uses)",
                     t->location);
            rc = totpi_ldap_fail(t->ld, lrc, TOTP_EIO, what, err);
        }
    }
    free(v);
    totpi_ldap_txn_free(t);
    return rc;
}
