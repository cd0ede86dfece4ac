/* SPDX-License-Identifier: Apache-2.0 */
/* store_ad_write.h: the AD store's writes (store_ad_write.c), used by its operations in
 * store_ad.c. */
#ifndef TOTP_STORE_AD_WRITE_H
#define TOTP_STORE_AD_WRITE_H

#include "store_ad.h"

/* Enrollment, a new secret over the old one, and re-sealing under the current key. */
int totpi_ad_write_secret(struct ad_txn *t, const totp_record *rec, totp_error *err);

/* Remove the user's TOTP attributes and the auxiliary class; the account stays. */
int totpi_ad_remove(totp_txn *txn, totp_error *err);

/* The enrolled users' names. */
int totpi_ad_list(totp_store *store, char ***users, totp_error *err);

#endif /* TOTP_STORE_AD_WRITE_H */
