/* store_ldap.h: what the LDAP store's two files share: its structures and entry helpers. */
#ifndef TOTP_STORE_LDAP_H
#define TOTP_STORE_LDAP_H

#include "ldap_conn.h"
#include "store.h"

struct ldap_store {
    struct totp_store base;
    totp_ldap_store_config cfg;
    char *owned[6];
    char *first_uri; /* for locations: the first URI of cfg.uri */
};

struct ldap_txn {
    struct totp_txn base;
    struct ldap_store *store;
    LDAP *ld;
    char *user_dn, *token_dn;
    char *last; /* oathTOTPLastTimeStep as read, NULL if absent */
    int create;
    struct totpi_sigpipe sigpipe; /* blocked from begin to the end of the transaction */
    char location[1024];
};

/* "URI/DN" in t->location, for messages and logs. */
void totpi_ldap_set_location(struct ldap_txn *t, const char *dn);

/* The parameters entry `dn`: algorithm, digits, period, and the window in +-steps (-1 when the
 * entry has none). */
int totpi_ldap_read_params(struct ldap_txn *t, const char *dn, totp_params *p, int *window,
                           totp_error *err);

/* The oathHMACAlgorithm OID of `alg`. */
const char *totpi_ldap_hmac_oid(totp_algorithm alg);

/* The highest step in the record's DISALLOW_REUSE, or -1. */
int64_t totpi_ldap_record_watermark(const totp_record *rec);

/* Close the connection, restore SIGPIPE, free. */
void totpi_ldap_txn_free(struct ldap_txn *t);

/* Enrollment: the parameters entry if missing, the token, then the link from the user. */
int totpi_ldap_create_token(struct ldap_txn *t, const totp_record *rec, totp_error *err);

/* The store's remove: unlink the user, then delete the token unless another user links it. */
int totpi_ldap_remove(totp_txn *txn, totp_error *err);

#endif /* TOTP_STORE_LDAP_H */
