/* SPDX-License-Identifier: Apache-2.0 */
/* store.c: the store interface's dispatch, and the whole login decision over any store. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "internal.h"
#include "store.h"

int totp_store_begin(totp_store *store, const char *user, int flags, totp_txn **txn,
                     totp_record **rec, totp_error *err)
{
    if (txn != NULL)
        *txn = NULL;
    if (rec != NULL)
        *rec = NULL;
    if (store == NULL || user == NULL || txn == NULL || rec == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "invalid argument");
    return store->ops->begin(store, user, flags, txn, rec, err);
}

int totp_txn_commit(totp_txn *txn, const totp_record *rec, totp_error *err)
{
    if (txn == NULL || rec == NULL) {
        totp_txn_abort(txn);
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "invalid argument");
    }
    return txn->ops->commit(txn, rec, err);
}

int totp_txn_remove(totp_txn *txn, totp_error *err)
{
    if (txn == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "invalid argument");
    return txn->ops->remove(txn, err);
}

void totp_txn_abort(totp_txn *txn)
{
    if (txn != NULL)
        txn->ops->abort(txn);
}

const char *totp_txn_location(const totp_txn *txn)
{
    return txn != NULL ? txn->ops->location(txn) : NULL;
}

int totp_store_list(totp_store *store, char ***users, totp_error *err)
{
    if (users != NULL)
        *users = NULL;
    if (store == NULL || users == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "invalid argument");
    return store->ops->list(store, users, err);
}

int totp_store_allow_enroll(totp_store *store, const char *user, int64_t until, totp_error *err)
{
    if (store == NULL || user == NULL || until < 0)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "invalid argument");
    if (store->ops->allow_set == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "this store keeps no enrollment allowances");
    return store->ops->allow_set(store, user, until, err);
}

int totp_store_enroll_allowance(totp_store *store, const char *user, int64_t *until,
                                totp_error *err)
{
    if (until != NULL)
        *until = 0;
    if (store == NULL || user == NULL || until == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "invalid argument");
    if (store->ops->allow_get == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "this store keeps no enrollment allowances");
    return store->ops->allow_get(store, user, until, err);
}

#define REMOVE_ALL_MAX                                                                             \
    8 /* more records than any lookup order has: a store that does not remove                      \
       */

/* Append a copy of `s` to the NULL-terminated list `*list` of `*n` strings. */
static int list_add(char ***list, size_t *n, const char *s)
{
    char **grown = realloc(*list, (*n + 2) * sizeof(char *));
    if (grown == NULL)
        return TOTP_ENOMEM;
    *list = grown;
    if ((grown[*n] = strdup(s != NULL ? s : "")) == NULL)
        return TOTP_ENOMEM;
    grown[++*n] = NULL;
    return TOTP_OK;
}

/* Revoke `user`'s enrollment allowance, if the store keeps one: none is not an error, nor is a
 * file store without a system store (no allowance can be there), nor one the caller may not
 * open (a user removing their home records: only root gives and revokes allowances). */
static int revoke_allowance(totp_store *store, const char *user, totp_error *err)
{
    totp_error local = {0};
    if (store->ops->allow_set == NULL)
        return TOTP_OK;
    int rc = store->ops->allow_set(store, user, 0, &local);
    if (rc == TOTP_OK || rc == TOTP_ENOENT || (rc == TOTP_EINVAL && local.sys_errno == 0) ||
        (rc == TOTP_EIO && local.sys_errno == ENOENT) ||
        (rc == TOTP_EPERM && local.sys_errno == EACCES))
        return TOTP_OK;
    if (err != NULL)
        *err = local;
    return rc;
}

int totp_store_remove_all(totp_store *store, const char *user, char ***removed, totp_error *err)
{
    size_t n = 0;
    int rc = TOTP_OK;
    if (removed == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "invalid argument");
    *removed = NULL;
    /* Each begin finds the first record left in the lookup order; remove it and look again. */
    while (rc == TOTP_OK) {
        totp_txn *txn = NULL;
        totp_record *rec = NULL;
        totp_error local = {0};
        rc = totp_store_begin(store, user, TOTP_TXN_UNREAD, &txn, &rec, &local);
        totp_record_free(rec);
        /* Nothing left; or, after the system record, no account any more, so no home either. */
        if (n > 0 && (rc == TOTP_ENOENT || rc == TOTP_EUSER))
            return TOTP_OK;
        if (rc == TOTP_OK && n == REMOVE_ALL_MAX) {
            rc = totpi_fail(err, TOTP_EIO, 0, 0, "%s: still a record after %d removals",
                            totp_txn_location(txn), REMOVE_ALL_MAX);
            totp_txn_abort(txn);
            return rc;
        }
        /* The allowance goes first: else whoever holds the first factor could enroll with it
         * once the record is gone (a lost phone, a suspected compromise). */
        if (rc == TOTP_OK && n == 0 && (rc = revoke_allowance(store, user, &local)) != TOTP_OK)
            totp_txn_abort(txn);
        else if (rc == TOTP_OK && (rc = list_add(removed, &n, totp_txn_location(txn))) != TOTP_OK)
            totp_txn_abort(txn);
        else if (rc == TOTP_OK)
            rc = totp_txn_remove(txn, &local);
        if (rc == TOTP_ENOMEM)
            local.message[0] = '\0';
        if (rc != TOTP_OK && err != NULL)
            *err = local;
    }
    return rc == TOTP_ENOMEM ? totpi_fail(err, rc, 0, 0, "out of memory") : rc;
}

void totp_store_list_free(char **users)
{
    for (size_t i = 0; users != NULL && users[i] != NULL; i++)
        free(users[i]);
    free(users);
}

int totp_user_canonical(const char *name, char **canonical, totp_error *err)
{
    struct totpi_account acct;
    if (canonical == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "invalid argument");
    *canonical = NULL;
    if (name == NULL || name[0] == '\0')
        return totpi_fail(err, TOTP_EUSER, 0, 0, "no user name");
    int rc = totpi_account_lookup(name, &acct, err);
    if (rc != TOTP_OK)
        return rc;
    *canonical = acct.name;
    acct.name = NULL;
    totpi_account_clear(&acct);
    return TOTP_OK;
}

void totp_store_free(totp_store *store)
{
    if (store != NULL)
        store->ops->free(store);
}

int totp_authenticate(totp_store *store, const char *user, const char *code, int flags, int64_t now,
                      const totp_policy *policy, totp_result *res, char *location,
                      size_t location_size, totp_error *err)
{
    totp_txn *txn = NULL;
    totp_record *rec = NULL;

    if (res == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "invalid argument");
    memset(res, 0, sizeof(*res));
    res->verdict = TOTP_EINVAL;
    if (location != NULL && location_size > 0)
        location[0] = '\0';
    if (code == NULL || policy == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "invalid argument");

    int rc = totp_store_begin(store, user, 0, &txn, &rec, err);
    if (rc != TOTP_OK) {
        res->verdict = rc;
        return rc;
    }
    if (location != NULL && location_size > 0)
        snprintf(location, location_size, "%s", totp_txn_location(txn));

    rc = totp_policy_check(rec, code, flags, now, policy, res);
    int is_verdict = rc == TOTP_OK || rc == TOTP_EMISMATCH || rc == TOTP_EREPLAY ||
                     rc == TOTP_ECODE || rc == TOTP_ERATELIMIT;
    if (!is_verdict) /* the record could not be judged: say which and why */
        totpi_fail(err, rc, 0, 0, "%s: %s", totp_txn_location(txn), totp_strerror(rc));
    if (res->changed) {
        int crc = totp_txn_commit(txn, rec, err);
        if (crc != TOTP_OK) {
            /* Not durable, so not accepted: and say nothing about the code itself. */
            memset(res, 0, sizeof(*res));
            res->verdict = rc = crc;
        }
    } else {
        totp_txn_abort(txn);
    }
    totp_record_free(rec);
    return rc;
}
