/* SPDX-License-Identifier: Apache-2.0 */
/* seal.h: secrets sealed at rest (AES-256-GCM, bound to a directory object) and the fleet keys. */
#ifndef TOTP_SEAL_H
#define TOTP_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "totp.h"

#define TOTPI_SEAL_VERSION  1
#define TOTPI_SEAL_KEY_LEN  32 /* AES-256 */
#define TOTPI_SEAL_NONCE    12
#define TOTPI_SEAL_TAG      16
#define TOTPI_SEAL_HEAD     5 /* version byte, key id (4 bytes, big-endian) */
#define TOTPI_SEAL_OVERHEAD (TOTPI_SEAL_HEAD + TOTPI_SEAL_NONCE + TOTPI_SEAL_TAG)
#define TOTPI_SEAL_MAX      (TOTPI_SEAL_OVERHEAD + TOTP_KEY_MAX)
#define TOTPI_SEAL_GUID     16 /* an objectGUID */
#define TOTPI_SEAL_KEYS_MAX 16

struct totpi_seal_key {
    uint32_t id;
    uint8_t key[TOTPI_SEAL_KEY_LEN];
};

/* The keys of a key file, in its order: the first seals, all of them open. */
struct totpi_seal_keys {
    size_t count;
    struct totpi_seal_key keys[TOTPI_SEAL_KEYS_MAX];
};

/* Parse key-file text: "ID HEX" lines (ID 1 to 4294967295, HEX 64 hex digits), blank lines and
 * '#' comments skipped. Errors name `path` and the line, never a key. */
int totpi_seal_keys_parse(const char *text, size_t len, const char *path,
                          struct totpi_seal_keys *keys, totp_error *err);

/* Read a key file that only root may read (like ldap_bind_pw_file), labelled `option`. */
int totpi_seal_keys_read(const char *path, const char *option, struct totpi_seal_keys *keys,
                         totp_error *err);

/* Wipe the keys. */
void totpi_seal_keys_wipe(struct totpi_seal_keys *keys);

/* The key with id `id`, NULL if none. */
const struct totpi_seal_key *totpi_seal_key_find(const struct totpi_seal_keys *keys, uint32_t id);

/*
 * Seal `len` bytes (1 to TOTP_KEY_MAX) under `key`, bound to `guid` and to `label` (the
 * attribute that will hold it): version || key id || nonce || ciphertext || tag into `out`
 * (at least TOTPI_SEAL_MAX bytes); `*out_len` its length.
 */
int totpi_seal(const struct totpi_seal_key *key, const uint8_t guid[TOTPI_SEAL_GUID],
               const char *label, const uint8_t *plain, size_t len, uint8_t *out, size_t *out_len,
               totp_error *err);

/* The key id a blob names, or 0 if it is not a blob of ours. */
uint32_t totpi_seal_key_id(const uint8_t *blob, size_t len);

/*
 * Open a blob sealed for `guid` and `label` with the key it names. TOTP_EFORMAT if it is not a
 * blob of this version, TOTP_ENOENT if no key has its id, TOTP_ECRYPTO if it does not open
 * (another object, another key, tampered). `plain` holds TOTP_KEY_MAX bytes.
 */
int totpi_unseal(const struct totpi_seal_keys *keys, const uint8_t guid[TOTPI_SEAL_GUID],
                 const char *label, const uint8_t *blob, size_t len, uint8_t *plain,
                 size_t *plain_len, totp_error *err);

#endif /* TOTP_SEAL_H */
