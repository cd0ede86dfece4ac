/* SPDX-License-Identifier: Apache-2.0 */
/* ldap_list.c: the users a directory store holds (totpctl list), for the LDAP and AD stores. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ldap_conn.h"

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The values of `attr` in the entries of `res`, sorted, NULL-terminated. */
static int collect(LDAP *ld, LDAPMessage *res, const char *attr, char ***out, totp_error *err)
{
    size_t n = 0, cap = (size_t)ldap_count_entries(ld, res) + 1;
    char **names = calloc(cap, sizeof(*names));
    if (names == NULL)
        return totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    for (LDAPMessage *e = ldap_first_entry(ld, res); e != NULL; e = ldap_next_entry(ld, e)) {
        char *name = totpi_ldap_get_one(ld, e, attr);
        if (name != NULL && n + 1 < cap)
            names[n++] = name;
        else
            free(name);
    }
    qsort(names, n, sizeof(*names), compare_names);
    *out = names;
    return TOTP_OK;
}

int totpi_ldap_list_users(const totp_ldap_store_config *cfg, const char *where, const char *classes,
                          int refs_are_errors, char ***users, totp_error *err)
{
    char *attr = totpi_ldap_filter_attr(cfg->filter), *filter = NULL, *full = NULL;
    LDAPMessage *res = NULL;
    LDAP *ld = NULL;
    struct totpi_sigpipe sigpipe;
    if (attr == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0,
                          "ldap_filter %.200s: cannot tell which attribute holds user names "
                          "(want ATTR=%%u or ATTR=%%s)",
                          cfg->filter);
    totpi_sigpipe_block(&sigpipe);
    int rc = totpi_ldap_connect(cfg, &ld, err);
    if (rc == TOTP_OK)
        rc = totpi_ldap_filter(cfg->filter, NULL, &filter, err);
    size_t need = filter != NULL ? strlen(filter) + strlen(classes) + 8 : 0;
    if (rc == TOTP_OK && (full = malloc(need)) == NULL)
        rc = totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    if (rc == TOTP_OK) {
        snprintf(full, need, "(&%s%s)", classes, filter);
        char *attrs[] = {attr, NULL};
        struct timeval tv = {(time_t)cfg->timeout, 0};
        int lrc = ldap_search_ext_s(ld, cfg->base, LDAP_SCOPE_SUBTREE, full, attrs, 0, NULL, NULL,
                                    &tv, 0, &res);
        if (lrc == LDAP_SUCCESS && refs_are_errors && ldap_count_references(ld, res) > 0)
            lrc = LDAP_REFERRAL; /* part of the list is elsewhere */
        if (lrc != LDAP_SUCCESS) {
            char what[800];
            snprintf(what, sizeof(what), "%.200s: searching %.500s", where, cfg->base);
            rc = totpi_ldap_fail(ld, lrc, TOTP_EIO, what, err);
        }
    }
    if (rc == TOTP_OK)
        rc = collect(ld, res, attr, users, err);
    ldap_msgfree(res);
    totpi_ldap_close(ld);
    totpi_sigpipe_restore(&sigpipe);
    free(attr);
    free(filter);
    free(full);
    return rc;
}
