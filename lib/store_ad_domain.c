/* SPDX-License-Identifier: Apache-2.0 */
/* store_ad_domain.c: whether the DOMAIN\ or @realm part of a name is the directory's own domain,
 * so that %s never folds another domain's user onto this domain's account of the same name. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "store_ad.h"

/* The domain of ldap_base: the DN of its last run of DC= RDNs ("DC=ad,DC=test") and its DNS
 * name ("ad.test"), both malloc'ed. */
static int base_domain(const char *base, char **dn_out, char **dns_out, totp_error *err)
{
    LDAPDN dn = NULL;
    size_t cap = strlen(base) + 1;
    if (ldap_str2dn(base, &dn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || dn == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "ldap_base %.300s: not a DN", base);
    char *d = calloc(1, cap + 4), *n = calloc(1, cap);
    int ok = d != NULL && n != NULL;
    for (size_t i = 0; ok && dn[i] != NULL; i++) {
        LDAPAVA *a = dn[i][0];
        int is_dc = a != NULL && dn[i][1] == NULL && a->la_attr.bv_len == 2 &&
                    strncasecmp(a->la_attr.bv_val, "DC", 2) == 0 && a->la_value.bv_len > 0 &&
                    strcspn(a->la_value.bv_val, ",+\"\\<>;=. ") >= a->la_value.bv_len;
        if (!is_dc) {
            d[0] = n[0] = '\0'; /* only the last run of DC= RDNs names the domain */
            continue;
        }
        size_t dl = strlen(d), nl = strlen(n), vl = a->la_value.bv_len;
        if (dl + vl + 5 > cap + 4 || nl + vl + 2 > cap) {
            ok = 0;
            break;
        }
        memcpy(d + dl, dl > 0 ? ",DC=" : "DC=", dl > 0 ? 4 : 3);
        dl += dl > 0 ? 4 : 3;
        memcpy(d + dl, a->la_value.bv_val, vl);
        d[dl + vl] = '\0';
        if (nl > 0)
            n[nl++] = '.';
        memcpy(n + nl, a->la_value.bv_val, vl);
        n[nl + vl] = '\0';
    }
    ldap_dnfree(dn);
    if (!ok || n[0] == '\0') {
        free(d);
        free(n);
        return ok ? totpi_fail(err, TOTP_EINVAL, 0, 0,
                               "ldap_base %.300s: no DC= components name the domain", base)
                  : totpi_fail(err, TOTP_EINVAL, 0, 0, "ldap_base %.300s: unusable", base);
    }
    *dn_out = d;
    *dns_out = n;
    return TOTP_OK;
}

/* One value of `attr` of the one entry a search finds, malloc'ed; TOTP_EIO otherwise. */
static int search_one(struct ad_txn *t, const char *base, int scope, const char *filter,
                      const char *attr, char **out, totp_error *err)
{
    char *attrs[] = {(char *)attr, NULL};
    LDAPMessage *res = NULL;
    struct timeval tv = {(time_t)t->store->cfg.timeout, 0};
    int lrc = ldap_search_ext_s(t->ld, base, scope, filter, attrs, 0, NULL, NULL, &tv, 2, &res);
    LDAPMessage *e = lrc == LDAP_SUCCESS && ldap_count_entries(t->ld, res) == 1
                         ? ldap_first_entry(t->ld, res)
                         : NULL;
    *out = e != NULL ? totpi_ldap_get_one(t->ld, e, attr) : NULL;
    ldap_msgfree(res);
    if (*out != NULL)
        return TOTP_OK;
    return totpi_fail(err, TOTP_EIO, 0, 0, "%.200s: cannot read %s under %.300s%s%s",
                      t->store->first_uri, attr, base[0] != '\0' ? base : "the root DSE",
                      lrc != LDAP_SUCCESS ? ": " : "",
                      lrc != LDAP_SUCCESS ? ldap_err2string(lrc) : "");
}

/* The domain's NetBIOS name: nETBIOSName of its crossRef in CN=Partitions of the configuration
 * naming context (readable by authenticated users). */
static int netbios_name(struct ad_txn *t, const char *domain_dn, char **out, totp_error *err)
{
    char *conf = NULL, *escaped = NULL, *base = NULL, *filter = NULL;
    struct berval v = {strlen(domain_dn), (char *)domain_dn}, e = {0, NULL};
    int rc = search_one(t, "", LDAP_SCOPE_BASE, "(objectClass=*)", "configurationNamingContext",
                        &conf, err);
    if (rc == TOTP_OK && ldap_bv2escaped_filter_value(&v, &e) != 0)
        rc = totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    else if (rc == TOTP_OK)
        escaped = e.bv_val;
    if (rc == TOTP_OK) {
        size_t bl = strlen(conf) + 16, fl = strlen(escaped) + 48;
        base = malloc(bl);
        filter = malloc(fl);
        if (base == NULL || filter == NULL)
            rc = totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
        else {
            snprintf(base, bl, "CN=Partitions,%s", conf);
            snprintf(filter, fl, "(&(objectClass=crossRef)(nCName=%s))", escaped);
            rc = search_one(t, base, LDAP_SCOPE_ONELEVEL, filter, "nETBIOSName", out, err);
        }
    }
    ber_memfree(escaped);
    free(conf);
    free(base);
    free(filter);
    return rc;
}

int totpi_ad_domain_check(struct ad_txn *t, totp_error *err)
{
    /* The same split as %s (ldap_conn.c): the name after the last backslash, up to an '@'. */
    const char *user = t->user, *bs = strrchr(user, '\\');
    const char *name = bs != NULL && bs[1] != '\0' ? bs + 1 : user;
    const char *at = strchr(name, '@');
    size_t domain_len = name != user ? (size_t)(name - 1 - user) : 0;
    const char *realm = at != NULL && at > name ? at + 1 : NULL;
    if (name == user && realm == NULL)
        return TOTP_OK;
    char *dn = NULL, *dns = NULL, *netbios = NULL;
    int rc = base_domain(t->store->cfg.base, &dn, &dns, err);
    int ok = rc == TOTP_OK;
    if (ok && realm != NULL)
        ok = totpi_strcasecmp(realm, dns) == 0;
    if (ok && name != user) {
        ok = strlen(dns) == domain_len && strncasecmp(user, dns, domain_len) == 0;
        if (!ok && (rc = netbios_name(t, dn, &netbios, err)) == TOTP_OK)
            ok = strlen(netbios) == domain_len && strncasecmp(user, netbios, domain_len) == 0;
    }
    if (rc == TOTP_OK && !ok)
        rc = totpi_fail(err, TOTP_EUSER, 0, 0,
                        "%s: %.200s is not a name in this directory's domain (%s%s%s)", t->location,
                        user, dns, netbios != NULL ? ", " : "", netbios != NULL ? netbios : "");
    free(dn);
    free(dns);
    free(netbios);
    return rc;
}
