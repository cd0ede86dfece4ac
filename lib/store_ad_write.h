/* SPDX-License-Identifier: Apache-2.0 */
/* store_ad_write.h: the AD store's writes (store_ad_write.c), used by its operations in
 * store_ad.c. */
#ifndef TOTP_STORE_AD_WRITE_H
#define TOTP_STORE_AD_WRITE_H

#include "store_ad.h"

/* Enrollment, a new secret over the old one, and re-sealing under the current key. */
int totpi_ad_write_secret(struct ad_txn *t, const totp_record *rec, totp_error *err);

/* A new set of scratch-code hashes (`values`, NULL-terminated, maybe empty) in place of the
 * entry's, in one modify. */
int totpi_ad_put_scratch(struct ad_txn *t, char **values, totp_error *err);

/* The store's allow_set and allow_get: pamTotpEnrollUntil (UNIX time) on the user's entry, with
 * the auxiliary class pamTotpEnrollee; `until` 0 revokes. (store_ad_allow.c) */
int totpi_ad_allow_set(totp_store *store, const char *user, int64_t until, totp_error *err);
int totpi_ad_allow_get(totp_store *store, const char *user, int64_t *until, totp_error *err);
/* allow_spend: delete exactly the pamTotpEnrollUntil value read, if it is `until`. */
int totpi_ad_allow_spend(totp_store *store, const char *user, int64_t until, totp_error *err);

/* Remove the user's TOTP attributes and the auxiliary class; the account stays. */
int totpi_ad_remove(totp_txn *txn, totp_error *err);

/* The enrolled users' names. */
int totpi_ad_list(totp_store *store, char ***users, totp_error *err);

#endif /* TOTP_STORE_AD_WRITE_H */
