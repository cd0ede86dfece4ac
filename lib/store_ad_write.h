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

/* ---- Scratch-code hashes sealed with the fleet key (store_ad_scratch.c) ---- */

/* Read the entry's pamTotpScratchHash values: each that opens with `keys` for this object goes
 * into the record's SCRATCH_HASH in its plain form (t->scratch_read, the stored value beside
 * it in t->scratch_stored); one that does not (written without the key file, or under a key it
 * lacks) is no scratch code and only counted (t->scratch_ignored). An opened value that is not
 * acceptable (totpi_scratch_hash_problem, or a mixed set) is an error naming the attribute. */
int totpi_ad_scratch_read(struct ad_txn *t, LDAPMessage *e, const struct totpi_seal_keys *keys,
                          totp_record *rec, totp_error *err);

/* Seal, in place, plain values made by totpi_scratch_hash_make under `key` for this object. */
int totpi_ad_scratch_seal(const struct ad_txn *t, const struct totpi_seal_key *key, char **values,
                          totp_error *err);

/* The stored values of the plain values `plain` (read by totpi_ad_scratch_read), to delete
 * (NULL-terminated, NULL if `plain` is empty; free with totpi_scratch_hash_free). */
int totpi_ad_scratch_stored(const struct ad_txn *t, char **plain, char ***stored, totp_error *err);

/* For totpctl reseal: the values sealed under another key than the first (`*del`) and the same
 * hashes sealed under the first (`*add`); both NULL if there is nothing to do. An error if some
 * values do not open (they cannot be re-sealed: totpctl scratch replaces them). */
int totpi_ad_scratch_reseal(const struct ad_txn *t, const struct totpi_seal_keys *keys, char ***del,
                            char ***add, totp_error *err);

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
