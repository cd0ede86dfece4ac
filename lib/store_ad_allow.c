/* SPDX-License-Identifier: Apache-2.0 */
/* store_ad_allow.c: the enrollment allowance in AD: pamTotpEnrollUntil (UNIX time, a Large
 * Integer like pamTotpLastFailure) on the user object, with the auxiliary class pamTotpEnrollee
 * (examples/ad/pam_totp-schema.ldif). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "store_ad_write.h"

int totpi_ad_allow_set(totp_store *store, const char *user, int64_t until, totp_error *err)
{
    struct ad_txn *t = NULL;
    char value[24];
    if (until < 0)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "the allowance's expiry is out of range");
    int rc = totpi_ad_txn_open((struct ad_store *)store, user, NULL, &t, err);
    if (rc != TOTP_OK)
        return rc;
    snprintf(value, sizeof(value), "%" PRId64, until);
    char *oc[] = {AD_ENROLL_CLASS, NULL}, *v[] = {value, NULL};
    LDAPMod m[] = {
        {LDAP_MOD_ADD, "objectClass", {oc}},
        {LDAP_MOD_REPLACE, AD_ENROLL_UNTIL, {until > 0 ? v : NULL}},
    };
    /* AD takes a class's attributes only once the entry has the class: a modify of its own. */
    LDAPMod *cmods[] = {&m[0], NULL}, *mods[] = {&m[1], NULL};
    int lrc = LDAP_SUCCESS;
    if (until > 0 && !t->has_enroll_class) {
        lrc = ldap_modify_ext_s(t->ld, t->user_dn, cmods, NULL, NULL);
        lrc = lrc == LDAP_TYPE_OR_VALUE_EXISTS ? LDAP_SUCCESS : lrc;
    }
    if (lrc == LDAP_SUCCESS && (until > 0 || t->enroll_until != NULL))
        lrc = ldap_modify_ext_s(t->ld, t->user_dn, mods, NULL, NULL);
    if (lrc != LDAP_SUCCESS)
        rc = totpi_ad_fail(t, lrc, "writing " AD_ENROLL_UNTIL, err);
    totpi_ad_txn_free(t);
    return rc;
}

int totpi_ad_allow_get(totp_store *store, const char *user, int64_t *until, totp_error *err)
{
    struct ad_txn *t = NULL;
    uint64_t v = 0;
    *until = 0;
    int rc = totpi_ad_txn_open((struct ad_store *)store, user, NULL, &t, err);
    if (rc != TOTP_OK)
        return rc;
    if (t->enroll_until == NULL)
        rc = totpi_fail(err, TOTP_ENOENT, 0, 0, "%s: no " AD_ENROLL_UNTIL, t->location);
    else if (!totpi_parse_uint(t->enroll_until, strlen(t->enroll_until), INT64_MAX, &v))
        rc = totpi_fail(err, TOTP_EFORMAT, 0, 0, "%s: " AD_ENROLL_UNTIL " %.24s is not a time",
                        t->location, t->enroll_until);
    else
        *until = (int64_t)v;
    totpi_ad_txn_free(t);
    return rc;
}

int totpi_ad_allow_spend(totp_store *store, const char *user, int64_t until, totp_error *err)
{
    struct ad_txn *t = NULL;
    uint64_t v = 0;
    int rc = totpi_ad_txn_open((struct ad_store *)store, user, NULL, &t, err);
    if (rc != TOTP_OK)
        return rc;
    if (t->enroll_until == NULL ||
        !totpi_parse_uint(t->enroll_until, strlen(t->enroll_until), INT64_MAX, &v) ||
        (int64_t)v != until) {
        rc = totpi_fail(err, TOTP_ENOENT, 0, 0, "%s: " AD_ENROLL_UNTIL " changed meanwhile",
                        t->location);
    } else {
        /* Delete exactly the value read: a second host spending it gets noSuchAttribute. */
        char *old[] = {t->enroll_until, NULL};
        LDAPMod m = {LDAP_MOD_DELETE, AD_ENROLL_UNTIL, {old}};
        LDAPMod *mods[] = {&m, NULL};
        int lrc = ldap_modify_ext_s(t->ld, t->user_dn, mods, NULL, NULL);
        if (lrc == LDAP_NO_SUCH_ATTRIBUTE)
            rc = totpi_fail(err, TOTP_ENOENT, 0, 0,
                            "%s: " AD_ENROLL_UNTIL " was used or changed meanwhile", t->location);
        else if (lrc != LDAP_SUCCESS)
            rc = totpi_ad_fail(
                t, lrc, "deleting " AD_ENROLL_UNTIL " (the allowance this enrollment uses)", err);
    }
    totpi_ad_txn_free(t);
    return rc;
}
