/* SPDX-License-Identifier: Apache-2.0 */
/* enroll.c: making a new record: who may enroll at login, the new secret, its confirmation. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "internal.h"
#include "store.h"
#include "totp.h"

/* Whether the account is in `group`: its primary group or a supplementary one. */
static int in_group(const char *user, const char *group, int *member, totp_error *err)
{
    struct totpi_account acct = {0};
    struct group gr, *found = NULL;
    char buf[16384];
    gid_t *groups = NULL;
    int n = 0;
    *member = 0;
    int e = getgrnam_r(group, &gr, buf, sizeof(buf), &found);
    if (found == NULL && e != 0 && e != ENOENT && e != ESRCH)
        return totpi_fail(err, TOTP_EIO, e, 0, "enroll_group=%s: cannot look the group up: %s",
                          group, strerror(e));
    if (found == NULL) /* nobody is in it: a warning for the administrator, not a failure */
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "enroll_group=%s: no such group", group);
    gid_t gid = gr.gr_gid;
    int rc = totpi_account_lookup(user, &acct, err);
    if (rc == TOTP_OK && (rc = totpi_account_groups(&acct, &groups, &n)) != TOTP_OK)
        totpi_fail(err, rc, 0, 0, "%s: cannot list the account's groups", acct.name);
    for (int i = 0; rc == TOTP_OK && i < n; i++)
        *member |= groups[i] == gid;
    free(groups);
    totpi_account_clear(&acct);
    return rc;
}

/* An allowance further ahead than totpctl allow-enroll gives (a year) was not given by it: not
 * honoured (a forged or mistyped value must not open enrollment for years). */
#define ALLOWANCE_AHEAD_MAX (366 * 86400)

/* NULL if an allowance ending at `until` lets its holder enroll at `now`, else why not (in
 * `buf`). */
static const char *allowance_refused(int64_t until, int64_t now, char *buf, size_t size)
{
    if (until <= now)
        return "allowance expired";
    if (until - now <= ALLOWANCE_AHEAD_MAX)
        return NULL;
    snprintf(buf, size,
             "the allowance ends at %" PRId64 ", %" PRId64 " days ahead: more than the 366 "
             "totpctl allow-enroll gives, so it is ignored (revoke it, or give a shorter one)",
             until, (until - now) / 86400);
    return buf;
}

int totp_enroll_permitted(totp_store *store, const char *user, const char *group, int64_t now,
                          totp_enroll_grant *grant, totp_error *err)
{
    int member = 0;
    int64_t until = 0;
    if (grant != NULL)
        *grant = TOTP_ENROLL_NO;
    if (store == NULL || user == NULL || grant == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "invalid argument");
    int missing_group = 0;
    if (group != NULL) {
        int rc = in_group(user, group, &member, err);
        missing_group = rc == TOTP_EINVAL;
        if (rc != TOTP_OK && !missing_group)
            return rc;
        if (member) {
            *grant = TOTP_ENROLL_BY_GROUP;
            return TOTP_OK;
        }
    }
    totp_error local = {0};
    int rc = totp_store_enroll_allowance(store, user, &until, &local);
    char why[256];
    const char *refused = rc == TOTP_OK ? allowance_refused(until, now, why, sizeof(why)) : NULL;
    if (rc == TOTP_OK && refused == NULL) {
        *grant = TOTP_ENROLL_BY_ALLOWANCE;
        return TOTP_OK;
    }
    /* Far ahead: a warning for the administrator, as a missing group is. */
    int far = refused != NULL && until > now;
    /* A store that keeps no allowances grants none; any other failure is not knowing. */
    if (rc != TOTP_OK && rc != TOTP_ENOENT && !(rc == TOTP_EINVAL && group != NULL)) {
        if (err != NULL)
            *err = local;
        return rc;
    }
    const char *allowance = rc == TOTP_OK ? refused : "no allowance";
    if (missing_group)
        return totpi_fail(err, TOTP_OK, TOTP_EINVAL, 0, "enroll_group=%s: no such group, %s", group,
                          allowance);
    return totpi_fail(err, TOTP_OK, far ? TOTP_EINVAL : 0, 0, "%s%s%s%s",
                      group != NULL ? "not in enroll_group " : "", group != NULL ? group : "",
                      group != NULL ? ", " : "", allowance);
}

int totp_store_spend_allowance(totp_store *store, const char *user, int64_t now, totp_error *err)
{
    int64_t until = 0;
    if (store == NULL || user == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "invalid argument");
    if (store->ops->allow_spend == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "this store keeps no enrollment allowances");
    char why[256];
    int rc = totp_store_enroll_allowance(store, user, &until, err);
    const char *refused = rc == TOTP_OK ? allowance_refused(until, now, why, sizeof(why)) : NULL;
    if (refused != NULL)
        return totpi_fail(err, TOTP_ENOENT, 0, 0, "%s", refused);
    return rc == TOTP_OK ? store->ops->allow_spend(store, user, until, err) : rc;
}

void totp_enroll_names_default(const char *site_issuer, const char *user, int system_store,
                               totp_enroll_names *out)
{
    char host[256];
    if (out == NULL)
        return;
    if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
        snprintf(host, sizeof(host), "localhost");
    host[sizeof(host) - 1] = '\0';
    snprintf(out->issuer, sizeof(out->issuer), "%s", site_issuer != NULL ? site_issuer : host);
    snprintf(out->account, sizeof(out->account), "%s@%s%s", user != NULL ? user : "", host,
             system_store ? " (system)" : "");
}

int totp_enrollment_new(const totp_params *params, const char *issuer, const char *account,
                        size_t scratch_count, totp_enrollment *e)
{
    uint8_t key[TOTP_KEY_MAX];
    if (e == NULL)
        return TOTP_EINVAL;
    memset(e, 0, sizeof(*e));
    if (params == NULL || issuer == NULL || account == NULL ||
        scratch_count > TOTP_SCRATCH_COUNT_MAX)
        return TOTP_EINVAL;
    size_t len = totp_secret_default_len(params->algorithm);
    /* Compact: the QR code at login must fit a standard terminal. */
    totp_uri u = {TOTP_TYPE_TOTP, (char *)issuer, (char *)account, key, len, *params, 0};
    int rc = totp_secret_generate(key, len);
    if (rc == TOTP_OK)
        rc = totp_scratch_generate(e->scratch, scratch_count);
    if (rc == TOTP_OK)
        rc = totp_base32_encode(key, len, e->secret, sizeof(e->secret), 0);
    if (rc == TOTP_OK)
        rc = totp_record_new(key, len, params, &e->rec);
    e->scratch_count = scratch_count;
    if (rc == TOTP_OK)
        rc = totp_record_set_scratch(e->rec, e->scratch, scratch_count);
    if (rc == TOTP_OK)
        rc = totp_record_set(e->rec, "ISSUER", issuer);
    if (rc == TOTP_OK)
        rc = totp_record_set(e->rec, "ACCOUNT", account);
    if (rc == TOTP_OK)
        rc = totpi_uri_build(&u, 1, &e->uri);
    totp_wipe(key, sizeof(key));
    if (rc != TOTP_OK)
        totp_enrollment_clear(e);
    return rc;
}

int totp_enrollment_confirm(totp_enrollment *e, const char *code, int64_t now,
                            const totp_policy *policy)
{
    if (e == NULL || e->rec == NULL || code == NULL || policy == NULL)
        return TOTP_EINVAL;
    totp_policy p = *policy;
    totp_result res;
    p.noskewadj = 1;
    p.rate_attempts = 0;
    int rc = totp_policy_check(e->rec, code, 0, now, &p, &res);
    if (rc == TOTP_OK && res.method == TOTP_BY_SCRATCH) {
        /* Put it back: it proves nothing about the app. */
        totp_record_set_scratch(e->rec, e->scratch, e->scratch_count);
        rc = TOTP_EMISMATCH;
    }
    /* Bookkeeping of the trial is not the user's history. */
    totp_record_unset(e->rec, "FAILURES");
    totp_record_unset(e->rec, "LAST_SUCCESS");
    return rc;
}

void totp_enrollment_clear(totp_enrollment *e)
{
    if (e == NULL)
        return;
    totp_wipe_string(e->uri);
    totp_record_free(e->rec);
    totp_wipe(e, sizeof(*e));
}
