/* SPDX-License-Identifier: Apache-2.0 */
/* store.h: the store interface behind totp_store_* (files now, a directory server later). */
#ifndef TOTP_STORE_H
#define TOTP_STORE_H

#include "totp.h"

struct totp_store_ops {
    int (*begin)(totp_store *store, const char *user, int flags, totp_txn **txn, totp_record **rec,
                 totp_error *err);
    int (*commit)(totp_txn *txn, const totp_record *rec, totp_error *err);
    int (*remove)(totp_txn *txn, totp_error *err);
    void (*abort)(totp_txn *txn);
    const char *(*location)(const totp_txn *txn);
    int (*list)(totp_store *store, char ***users, totp_error *err);
    void (*free)(totp_store *store);
    /* The enrollment allowance (totp_store_allow_enroll); NULL: the store keeps none. */
    int (*allow_set)(totp_store *store, const char *user, int64_t until, totp_error *err);
    int (*allow_get)(totp_store *store, const char *user, int64_t *until, totp_error *err);
    /* Remove the allowance only if it still ends at `until` (a compare-and-swap: of two hosts
     * spending one allowance, one wins); TOTP_ENOENT if it is gone or changed. */
    int (*allow_spend)(totp_store *store, const char *user, int64_t until, totp_error *err);
};

/* Every store and transaction begins with this header. */
struct totp_store {
    const struct totp_store_ops *ops;
};

struct totp_txn {
    const struct totp_store_ops *ops;
};

#endif /* TOTP_STORE_H */
