/* SPDX-License-Identifier: Apache-2.0 */
/* store_ad.h: the Active Directory store (store=ad): what its files share: its structures,
 * reading the entry and the transaction (store_ad_entry.c), the domain check (store_ad_domain.c).
 */
#ifndef TOTP_STORE_AD_H
#define TOTP_STORE_AD_H

#include "ldap_conn.h"
#include "seal.h"
#include "store.h"

/* The attributes of the shipped schema (examples/ad/pam_totp-schema.ldif). */
#define AD_CLASS        "pamTotpUser"
#define AD_SECRET       "pamTotpSecret"
#define AD_ALGORITHM    "pamTotpAlgorithm"
#define AD_DIGITS       "pamTotpDigits"
#define AD_PERIOD       "pamTotpPeriod"
#define AD_LAST_STEP    "pamTotpLastStep"
#define AD_FAIL_COUNT   "pamTotpFailureCount"
#define AD_FAIL_TIME    "pamTotpLastFailure"
#define AD_SCRATCH      "pamTotpScratchHash" /* multi-valued: one hashed scratch code each */
#define AD_ENROLL_CLASS "pamTotpEnrollee"    /* the enrollment allowance's auxiliary class */
#define AD_ENROLL_UNTIL "pamTotpEnrollUntil"

struct ad_store {
    struct totp_store base;
    totp_ldap_store_config cfg;
    char *owned[6];
    char *key_file;
    char *first_uri; /* for locations */
};

struct ad_txn {
    struct totp_txn base;
    struct ad_store *store;
    LDAP *ld;
    char *user; /* the name looked up */
    char *user_dn;
    uint8_t guid[TOTPI_SEAL_GUID];
    int has_class;             /* the entry has objectClass pamTotpUser */
    int enrolled;              /* the entry has a secret */
    int hidden;                /* pamTotp* data but no secret: the bind identity cannot see it */
    int create;                /* begun with TOTP_TXN_CREATE */
    int unread;                /* begun with TOTP_TXN_UNREAD */
    int reseal;                /* begun with TOTP_TXN_RESEAL */
    struct berval blob;        /* the sealed secret as read (for the compare-and-swap) */
    uint32_t key_id;           /* the key it was sealed under */
    char *last;                /* pamTotpLastStep as read, NULL if absent */
    char *fail_count;          /* pamTotpFailureCount as read, NULL if absent */
    char *scratch_read;        /* the scratch-code hashes as read and opened (plain form) */
    char **scratch_stored;     /* each of them as stored (sealed), in the same order */
    size_t scratch_ignored;    /* values read that do not open with the key file */
    size_t scratch_old_key;    /* values opened with another key than the first */
    char *enroll_until;        /* pamTotpEnrollUntil as read, NULL if absent */
    int has_enroll_class;      /* the entry has objectClass pamTotpEnrollee */
    int has_scratch;           /* the entry has scratch-code hashes (read or not) */
    uint8_t key[TOTP_KEY_MAX]; /* the secret as opened */
    size_t key_len;
    totp_params params;
    struct totpi_sigpipe sigpipe;
    char location[1024];
};

/* Whether a DOMAIN\ or @realm part of the user's name is the directory's own domain (the DNS
 * name of ldap_base's DC= components, or the domain's NetBIOS name, read from its crossRef):
 * TOTP_OK, or TOTP_EUSER for another domain's name, never folded onto this domain's account.
 * (store_ad_domain.c) */
int totpi_ad_domain_check(struct ad_txn *t, totp_error *err);

/* A transaction for `user`: connected, the domain checked, the entry read (and the record, if
 * `rec` is not NULL and the user is enrolled). */
int totpi_ad_txn_open(struct ad_store *s, const char *user, totp_record **rec, struct ad_txn **out,
                      totp_error *err);

/* Read the user's entry (again): the secret blob, the watermark, the failure state. */
int totpi_ad_read(struct ad_txn *t, totp_record **rec, totp_error *err);

/* The key file's keys; wipe them after use. */
int totpi_ad_keys(struct ad_txn *t, struct totpi_seal_keys *keys, totp_error *err);

/* Close the connection, restore SIGPIPE, wipe and free. */
void totpi_ad_txn_free(struct ad_txn *t);

/* "URI/DN" in t->location, for messages and logs. */
void totpi_ad_set_location(struct ad_txn *t, const char *dn);

/* Fail with "LOCATION: what: the server's reason". */
int totpi_ad_fail(struct ad_txn *t, int lrc, const char *what, totp_error *err);

/* The AD store over `config` and the fleet key file `key_file`. */
int totpi_store_ad_new(const totp_ldap_store_config *config, const char *key_file, totp_store **out,
                       totp_error *err);

#endif /* TOTP_STORE_AD_H */
