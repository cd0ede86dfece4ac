/* SPDX-License-Identifier: Apache-2.0 */
/* scratch_hash.h: scratch codes kept as salted hashes, as the directory stores keep them. */
#ifndef TOTP_SCRATCH_HASH_H
#define TOTP_SCRATCH_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "totp.h"

/*
 * One value per code: "$pbkdf2-sha256$ITERATIONS$SALT$HASH", SALT and HASH in base64 (RFC 4648,
 * no padding), HASH PBKDF2-HMAC-SHA256 (OpenSSL's EVP_KDF) of the code's 8 ASCII digits, 32
 * bytes. A set shares one random salt, so that a login derives once and compares the result
 * with every hash; a value names its own parameters, so they can change later. 100000
 * iterations: about 25 ms a derivation on one core of a small 2023 VM.
 */
#define TOTPI_SCRATCH_HASH_ITER     100000u
#define TOTPI_SCRATCH_HASH_ITER_MIN 1000u
/* The most a verifier derives with (ten times the default): a value asking more is bad, so that
 * a value written by someone who may add them cannot make one attempt take minutes. */
#define TOTPI_SCRATCH_HASH_ITER_MAX (10u * TOTPI_SCRATCH_HASH_ITER)
#define TOTPI_SCRATCH_HASH_LEN      32
#define TOTPI_SCRATCH_SALT_LEN      16
#define TOTPI_SCRATCH_SALT_MAX      64
#define TOTPI_SCRATCH_HASH_MAXLEN   200 /* the longest value accepted */

/* Base64 without padding into `out` (room for 4/3 of len, plus 4). */
void totpi_b64_encode(const uint8_t *in, size_t len, char *out);

/* Decode `len` (at most TOTPI_SCRATCH_HASH_MAXLEN) characters of unpadded base64 into at most
 * `max` bytes; -1 if not base64. */
long totpi_b64_decode(const char *in, size_t len, uint8_t *out, size_t max);

/* Whether `len` bytes of `value` are one well-formed hash value. */
int totpi_scratch_hash_ok(const char *value, size_t len);

/* NULL if `len` bytes of `value` are one well-formed hash value, else what is wrong with it
 * (for an error message; never the value). */
const char *totpi_scratch_hash_problem(const char *value, size_t len);

/* NULL if the space-separated well-formed values of `list` make one set (one iteration count
 * and one salt: a login derives once), else what is wrong. */
const char *totpi_scratch_hash_set_problem(const char *list);

/* The record's plain scratch codes hashed under one fresh salt: a NULL-terminated array of
 * values (free with totpi_scratch_hash_free); an empty array if the record has none. */
int totpi_scratch_hash_make(const totp_record *rec, char ***values, totp_error *err);

/* Free what totpi_scratch_hash_make or totpi_scratch_hash_changes made; NULL is allowed. */
void totpi_scratch_hash_free(char **values);

/* If `code` (8 digits) matches one of the record's SCRATCH_HASH values, remove that value (the
 * option stays, empty when it was the last) and return 1; else 0. One derivation (a set whose
 * values do not share one iteration count and salt matches nothing), every hash compared with
 * CRYPTO_memcmp, none skipped; malformed values never match. */
int totpi_scratch_hash_take(totp_record *rec, const char *code);

/* What committing `rec` changes in a directory that held the values `read` (SCRATCH_HASH as the
 * store read it; NULL or "" for none). */
struct totpi_scratch_changes {
    int replace; /* the set is replaced by `add` (a new set: the record has plain codes) */
    char **add;  /* with replace: the new values (NULL-terminated, maybe empty) */
    char **del;  /* else: values used since the read, to delete one by one (NULL: none) */
};

/* Fill `c`: a record without SCRATCH_HASH (new codes, or none) replaces the set; one with it
 * may only have lost values (a login used one), which are to be deleted; anything else is
 * TOTP_EINVAL. Free with totpi_scratch_changes_free. */
int totpi_scratch_hash_changes(const char *read, const totp_record *rec,
                               struct totpi_scratch_changes *c, totp_error *err);
void totpi_scratch_changes_free(struct totpi_scratch_changes *c);

#endif /* TOTP_SCRATCH_HASH_H */
