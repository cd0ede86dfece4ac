/* SPDX-License-Identifier: Apache-2.0 */
/* ldap_accounts.c: every account a directory store holds, enrolled or not (totpctl report). */
#include "config.h"

#include "internal.h"
#include "ldap_conn.h"

/* The stores' own defaults (store_ldap.c, store_ad.c) for a site file without ldap_filter. */
#define LDAP_FILTER_DEFAULT "(uid=%u)"
#define AD_FILTER_DEFAULT   "(sAMAccountName=%s)"

int totp_options_list_accounts(const totp_options *opt, char ***users, totp_error *err)
{
    if (opt == NULL || users == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "invalid argument");
    *users = NULL;
    if (!opt->ldap_store)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "only a directory store holds accounts");
    totp_ldap_store_config cfg = opt->ldap;
    if (cfg.filter == NULL)
        cfg.filter = opt->ad_store ? AD_FILTER_DEFAULT : LDAP_FILTER_DEFAULT;
    if (cfg.timeout == 0)
        cfg.timeout = 5;
    if (cfg.uri == NULL || cfg.base == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "store=%s needs ldap_uri and ldap_base",
                          opt->ad_store ? "ad" : "ldap");
    /* People, not computers: AD gives machine accounts a sAMAccountName too. */
    const char *classes =
        opt->ad_store ? "(objectClass=user)(!(objectClass=computer))" : "(objectClass=*)";
    return totpi_ldap_list_users(&cfg, cfg.uri, classes, 0, users, err);
}
