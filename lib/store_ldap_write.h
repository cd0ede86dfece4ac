/* SPDX-License-Identifier: Apache-2.0 */
/* store_ldap_write.h: the LDAP store's writes (store_ldap_write.c) and enrollment allowances
 * (store_ldap_allow.c), used by its operations in store_ldap.c. */
#ifndef TOTP_STORE_LDAP_WRITE_H
#define TOTP_STORE_LDAP_WRITE_H

#include "store_ldap.h"

/* Enrollment: the parameters entry if missing, the token, then the link from the user. */
int totpi_ldap_create_token(struct ldap_txn *t, const totp_record *rec, totp_error *err);

/* A new secret and parameters on the user's own TOTP token, in one modify. */
int totpi_ldap_replace_token(struct ldap_txn *t, const totp_record *rec, totp_error *err);

/* A new set of scratch-code hashes (`values`, NULL-terminated, maybe empty) in place of the
 * token's, in one modify (the auxiliary class added if it needs it). */
int totpi_ldap_put_scratch(struct ldap_txn *t, char **values, totp_error *err);

/* The store's allow_set and allow_get: pamTotpEnrollUntil on the user's entry; `until` 0
 * revokes. (store_ldap_allow.c) */
int totpi_ldap_allow_set(totp_store *store, const char *user, int64_t until, totp_error *err);
int totpi_ldap_allow_get(totp_store *store, const char *user, int64_t *until, totp_error *err);
/* allow_spend: delete exactly the pamTotpEnrollUntil value read, if it is `until`. */
int totpi_ldap_allow_spend(totp_store *store, const char *user, int64_t until, totp_error *err);

/* The store's remove: unlink the user, then delete the token unless another user links it. */
int totpi_ldap_remove(totp_txn *txn, totp_error *err);

#endif /* TOTP_STORE_LDAP_WRITE_H */
