/* SPDX-License-Identifier: Apache-2.0 */
/* store_ldap.h: what the LDAP store's files share: its structures, reading entries
 * (store_ldap_entry.c) and the failure state (store_ldap_failures.c). */
#ifndef TOTP_STORE_LDAP_H
#define TOTP_STORE_LDAP_H

#include "ldap_conn.h"
#include "store.h"

/* The names of one kind of OATH token, TOTP or HOTP, in the schema. The schema names the link
 * attribute and the class it points at alike: oathTOTPToken on the user names an oathTOTPToken
 * entry, whose oathTOTPParams names an oathTOTPParams entry. */
struct totpi_oath_kind {
    int hotp;
    const char *token;       /* on the user: the token's DN; the token's class */
    const char *user_class;  /* the user's auxiliary class */
    const char *params;      /* on the token: the parameters' DN; the parameters' class */
    const char *state_attr;  /* on the token: the last step or counter used */
    const char *window_attr; /* on the parameters: the window or look-ahead */
};
extern const struct totpi_oath_kind totpi_oath_totp, totpi_oath_hotp;

/* Our own schema (examples/ldap/pam_totp.schema): scratch-code hashes on the token entry, the
 * enrollment allowance on the user entry. */
#define LDAP_SCRATCH_CLASS "pamTotpScratchCodes"
#define LDAP_SCRATCH_ATTR  "pamTotpScratchHash"
#define LDAP_ENROLL_CLASS  "pamTotpEnrollee"
#define LDAP_ENROLL_ATTR   "pamTotpEnrollUntil"

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
    const struct totpi_oath_kind *kind; /* the user's token: TOTP, else HOTP */
    char *last;                         /* the state attribute as read, NULL if absent */
    char *failures;                     /* oathFailureCount as read, NULL if absent */
    int had_last_failure;               /* the token had an oathLastFailure */
    char *scratch_read;                 /* the token's scratch-code hashes as read */
    int scratch_class;                  /* the token has LDAP_SCRATCH_CLASS */
    int create;
    int unread;                /* begun with TOTP_TXN_UNREAD: a commit replaces the secret */
    uint8_t key[TOTP_KEY_MAX]; /* the token as read, to tell a new secret from a login */
    size_t key_len;
    totp_params params;
    struct totpi_sigpipe sigpipe; /* blocked from begin to the end of the transaction */
    char location[1024];
};

/* "URI/DN" in t->location, for messages and logs. */
void totpi_ldap_set_location(struct ldap_txn *t, const char *dn);

/* The parameters entry `dn` of t->kind: algorithm, digits, period (TOTP), and the window
 * attribute's value (-1 when the entry has none). */
int totpi_ldap_read_params(struct ldap_txn *t, const char *dn, totp_params *p, int *window,
                           totp_error *err);

/* The oathHMACAlgorithm OID of `alg`. */
const char *totpi_ldap_hmac_oid(totp_algorithm alg);

/* Close the connection, restore SIGPIPE, free. */
void totpi_ldap_txn_free(struct ldap_txn *t);

/* Search `base` (scope `scope`) for at most one entry; TOTP_ENOENT if none. Absence is only
 * "the base exists and nothing matches": a subtree search whose base does not exist, a referral
 * or continuation reference not followed, and partial results are errors. `what` names the
 * operation in messages. (store_ldap_entry.c, as the rest down to totpi_ldap_read_token) */
int totpi_ldap_search_one(struct ldap_txn *t, const char *base, int scope, const char *filter,
                          char **attrs, LDAPMessage **res, LDAPMessage **entry, const char *what,
                          totp_error *err);

/* A transaction of store `s` for `user`: connected, the user's entry found (one entry under
 * ldap_base matching ldap_filter; TOTP_ENOENT if none), with `attrs` in `*e` (free `*res`). */
int totpi_ldap_txn_open(struct ldap_store *s, const char *user, char **attrs, struct ldap_txn **out,
                        LDAPMessage **res, LDAPMessage **e, totp_error *err);

/* The user's token (t->token_dn, of t->kind) as a record: secret, parameters, watermark,
 * failures. */
int totpi_ldap_read_token(struct ldap_txn *t, totp_record **rec, totp_error *err);

/* The token's oathFailureCount and oathLastFailure (entry `e`) into t and the record's FAILURES
 * ("COUNT UNIXTIME"), which the policy's guessing bound reads. A count or time that cannot be
 * read is an error (TOTP_EFORMAT), never "no failures". */
int totpi_ldap_read_failures(struct ldap_txn *t, LDAPMessage *e, totp_record *rec, totp_error *err);

/* Whether the record drops failures the token has (a success, or a reset). */
int totpi_ldap_failures_cleared(const struct ldap_txn *t, const totp_record *rec);

/* The record's FAILURES onto the token: new failures added to the count with a compare-and-swap
 * (retried when another host counted meanwhile), or both attributes cleared. */
int totpi_ldap_store_failures(struct ldap_txn *t, const totp_record *rec, totp_error *err);

/* A success's guard on the failure state, for the modify that moves its watermark. */
struct totpi_ldap_guard {
    char zero[2];
    char *zero_v[2], *read_v[2];
    LDAPMod m[3];
};

/* Append to mods[*n..] (room for 3) the guard: the modify then fails if a failure was counted
 * since the token was read, so that of logins judged alongside each other only one whose commit
 * comes before any failure's can succeed. With `clear` (a success) the count becomes 0 and the
 * time goes, else they stay. */
void totpi_ldap_failure_guard(struct ldap_txn *t, int clear, struct totpi_ldap_guard *g,
                              LDAPMod **mods, size_t *n);

/* After a lost race: whether the count on the token is another than the one read. */
int totpi_ldap_failures_moved(struct ldap_txn *t);

#endif /* TOTP_STORE_LDAP_H */
