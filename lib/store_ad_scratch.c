/* SPDX-License-Identifier: Apache-2.0 */
/* store_ad_scratch.c: the AD store's scratch-code hashes sealed with the fleet key: each
 * PBKDF2 hash is kept AES-256-GCM-sealed for the user's objectGUID, so that a value written
 * without the key file (the hosts' account may write the attribute) is no scratch code. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "scratch_hash.h"
#include "store_ad_write.h"

/*
 * A stored value is "$pbkdf2-sha256-sealed$ITERATIONS$SALT$BLOB": BLOB the base64 (no padding)
 * of the 32-byte hash sealed by totpi_seal for the object's GUID, with the label
 * "pamTotpScratchHash$ITERATIONS$SALT" (so neither can be changed under it). Opened, it is the
 * plain "$pbkdf2-sha256$ITERATIONS$SALT$HASH" the verifier judges.
 */
#define SEALED_PREFIX "$pbkdf2-sha256-sealed$"
#define PLAIN_PREFIX  "$pbkdf2-sha256$"
#define VALUE_MAX     512

/* "PREFIX MID $ TAIL" into a new string. */
static char *join3(const char *prefix, const char *mid, size_t mid_len, const char *tail)
{
    size_t size = strlen(prefix) + mid_len + 1 + strlen(tail) + 1;
    char *s = malloc(size);
    if (s != NULL)
        snprintf(s, size, "%s%.*s$%s", prefix, (int)mid_len, mid, tail);
    return s;
}

/* Seal one plain value (made by totpi_scratch_hash_make) under `key`. */
static int seal_one(const struct ad_txn *t, const struct totpi_seal_key *key, const char *plain,
                    char **out, totp_error *err)
{
    uint8_t hash[TOTPI_SCRATCH_HASH_LEN], blob[TOTPI_SEAL_MAX];
    char label[VALUE_MAX], b64[VALUE_MAX];
    size_t blob_len = 0;
    const char *mid = plain + strlen(PLAIN_PREFIX), *last = strrchr(plain, '$');
    *out = NULL;
    if (strncmp(plain, PLAIN_PREFIX, strlen(PLAIN_PREFIX)) != 0 || last == NULL || last < mid ||
        totpi_b64_decode(last + 1, strlen(last + 1), hash, sizeof(hash)) != (long)sizeof(hash))
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "%s: not a scratch-code hash to seal",
                          t->location);
    snprintf(label, sizeof(label), AD_SCRATCH "$%.*s", (int)(last - mid), mid);
    int rc = totpi_seal(key, t->guid, label, hash, sizeof(hash), blob, &blob_len, err);
    totp_wipe(hash, sizeof(hash));
    if (rc != TOTP_OK)
        return rc;
    totpi_b64_encode(blob, blob_len, b64);
    if ((*out = join3(SEALED_PREFIX, mid, (size_t)(last - mid), b64)) == NULL)
        return totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    return TOTP_OK;
}

/* Open one stored value into its plain form (`*plain`, malloc'ed) and the id of the key that
 * sealed it; TOTP_ENOENT if it is not a value sealed for this object under a key of the file. */
static int open_one(const struct ad_txn *t, const struct totpi_seal_keys *keys, const char *v,
                    size_t len, char **plain, uint32_t *key_id)
{
    char buf[VALUE_MAX], label[VALUE_MAX], b64[VALUE_MAX];
    uint8_t blob[TOTPI_SEAL_MAX], hash[TOTP_KEY_MAX];
    size_t plen = strlen(SEALED_PREFIX), hash_len = 0;
    *plain = NULL;
    if (len >= sizeof(buf) || len <= plen || memcmp(v, SEALED_PREFIX, plen) != 0 ||
        memchr(v, '\0', len) != NULL)
        return TOTP_ENOENT;
    memcpy(buf, v, len);
    buf[len] = '\0';
    const char *mid = buf + plen, *last = strrchr(buf, '$');
    long n = last > mid && strlen(last + 1) <= TOTPI_SCRATCH_HASH_MAXLEN
                 ? totpi_b64_decode(last + 1, strlen(last + 1), blob, sizeof(blob))
                 : -1;
    if (n <= 0)
        return TOTP_ENOENT;
    snprintf(label, sizeof(label), AD_SCRATCH "$%.*s", (int)(last - mid), mid);
    int rc = totpi_unseal(keys, t->guid, label, blob, (size_t)n, hash, &hash_len, NULL);
    if (rc == TOTP_OK && hash_len == TOTPI_SCRATCH_HASH_LEN) {
        totpi_b64_encode(hash, hash_len, b64);
        *key_id = totpi_seal_key_id(blob, (size_t)n);
        *plain = join3(PLAIN_PREFIX, mid, (size_t)(last - mid), b64);
        rc = *plain != NULL ? TOTP_OK : TOTP_ENOMEM;
    } else {
        rc = TOTP_ENOENT;
    }
    totp_wipe(hash, sizeof(hash));
    return rc;
}

int totpi_ad_scratch_read(struct ad_txn *t, LDAPMessage *e, const struct totpi_seal_keys *keys,
                          totp_record *rec, totp_error *err)
{
    struct berval **v = ldap_get_values_len(t->ld, e, AD_SCRATCH);
    size_t n = 0, k = 0, size = 1;
    int rc = TOTP_OK;
    free(t->scratch_read);
    totpi_scratch_hash_free(t->scratch_stored);
    t->scratch_read = NULL;
    t->scratch_stored = NULL;
    t->scratch_ignored = t->scratch_old_key = 0;
    while (v != NULL && v[n] != NULL)
        n++;
    if (n > TOTP_SCRATCH_COUNT_MAX)
        rc = totpi_fail(err, TOTP_EFORMAT, 0, 0, "%s: %s: more than %d values", t->location,
                        AD_SCRATCH, TOTP_SCRATCH_COUNT_MAX);
    char **plain = rc == TOTP_OK ? calloc(n + 1, sizeof(*plain)) : NULL;
    char **stored = rc == TOTP_OK ? calloc(n + 1, sizeof(*stored)) : NULL;
    if (rc == TOTP_OK && (plain == NULL || stored == NULL))
        rc = totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    for (size_t i = 0; rc == TOTP_OK && i < n; i++) {
        uint32_t id = 0;
        int orc = open_one(t, keys, v[i]->bv_val, v[i]->bv_len, &plain[k], &id);
        const char *why =
            orc == TOTP_OK ? totpi_scratch_hash_problem(plain[k], strlen(plain[k])) : NULL;
        if (orc == TOTP_ENOENT) { /* written without the key, or under one the file lacks */
            t->scratch_ignored++;
            continue;
        }
        if (orc != TOTP_OK)
            rc = totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
        else if (why != NULL)
            rc = totpi_fail(err, TOTP_EFORMAT, 0, 0, "%s: %s: value %zu: %s (delete it)",
                            t->location, AD_SCRATCH, i + 1, why);
        else if ((stored[k] = strndup(v[i]->bv_val, v[i]->bv_len)) == NULL)
            rc = totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
        t->scratch_old_key += rc == TOTP_OK && id != keys->keys[0].id;
        size += plain[k] != NULL ? strlen(plain[k]) + 1 : 0;
        k++;
    }
    ldap_value_free_len(v);
    char *joined = rc == TOTP_OK ? malloc(size) : NULL;
    if (rc == TOTP_OK && joined == NULL)
        rc = totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    size_t o = 0;
    for (size_t i = 0; rc == TOTP_OK && i < k; i++) {
        o += (size_t)snprintf(joined + o, size - o, "%s%s", i > 0 ? " " : "", plain[i]);
    }
    if (joined != NULL)
        joined[o] = '\0';
    totpi_scratch_hash_free(plain);
    const char *why = rc == TOTP_OK ? totpi_scratch_hash_set_problem(joined) : NULL;
    if (why != NULL)
        rc = totpi_fail(err, TOTP_EFORMAT, 0, 0, "%s: %s: %s (totpctl scratch makes a new set)",
                        t->location, AD_SCRATCH, why);
    /* Present even when empty: the record is a directory's, a new set replaces it. */
    if (rc == TOTP_OK && (rc = totp_record_set(rec, TOTPI_SCRATCH_HASH_KEY, joined)) != TOTP_OK)
        totpi_fail(err, rc, 0, 0, "%s: %s", t->location, totp_strerror(rc));
    if (rc != TOTP_OK) {
        free(joined);
        totpi_scratch_hash_free(stored);
        return rc;
    }
    t->scratch_read = joined;
    t->scratch_stored = stored;
    return TOTP_OK;
}

int totpi_ad_scratch_seal(const struct ad_txn *t, const struct totpi_seal_key *key, char **values,
                          totp_error *err)
{
    for (size_t i = 0; values != NULL && values[i] != NULL; i++) {
        char *sealed = NULL;
        int rc = seal_one(t, key, values[i], &sealed, err);
        if (rc != TOTP_OK)
            return rc;
        free(values[i]);
        values[i] = sealed;
    }
    return TOTP_OK;
}

int totpi_ad_scratch_stored(const struct ad_txn *t, char **plain, char ***stored, totp_error *err)
{
    size_t n = 0, len;
    *stored = NULL;
    while (plain != NULL && plain[n] != NULL)
        n++;
    if (n == 0)
        return TOTP_OK;
    char **out = calloc(n + 1, sizeof(*out));
    if (out == NULL)
        return totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *list = t->scratch_read, *tok;
        size_t at = 0;
        for (; list != NULL && (tok = totpi_next_token(list, &len)) != NULL;
             list = tok + len, at++) {
            if (len == strlen(plain[i]) && memcmp(tok, plain[i], len) == 0)
                break;
        }
        if (list == NULL || tok == NULL || t->scratch_stored == NULL ||
            (out[i] = strdup(t->scratch_stored[at])) == NULL) {
            totpi_scratch_hash_free(out);
            return totpi_fail(err, TOTP_EINVAL, 0, 0, "%s: %s: a value that was not read",
                              t->location, AD_SCRATCH);
        }
    }
    *stored = out;
    return TOTP_OK;
}

int totpi_ad_scratch_reseal(const struct ad_txn *t, const struct totpi_seal_keys *keys, char ***del,
                            char ***add, totp_error *err)
{
    const char *list = t->scratch_read, *tok;
    size_t len, n = 0;
    *del = *add = NULL;
    if (t->scratch_ignored > 0)
        return totpi_fail(err, TOTP_EFORMAT, 0, 0,
                          "%s: %zu %s value(s) do not open with the key file (sealed under a "
                          "key it lacks, or written without the key): they are no scratch "
                          "codes; give the user a new set (totpctl scratch) and re-seal again",
                          t->location, t->scratch_ignored, AD_SCRATCH);
    if (t->scratch_old_key == 0 || t->scratch_stored == NULL)
        return TOTP_OK; /* all sealed under the first key already */
    while (t->scratch_stored[n] != NULL)
        n++;
    char **d = calloc(n + 1, sizeof(*d)), **a = calloc(n + 1, sizeof(*a));
    int rc =
        d != NULL && a != NULL ? TOTP_OK : totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    /* Every value again under the first key: the old ones deleted by value in the same modify,
     * so one used meanwhile fails the re-seal instead of coming back. */
    for (size_t i = 0; rc == TOTP_OK && (tok = totpi_next_token(list, &len)) != NULL;
         list = tok + len, i++) {
        char *plain = strndup(tok, len);
        if (plain == NULL || i >= n || (d[i] = strdup(t->scratch_stored[i])) == NULL)
            rc = totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
        else
            rc = seal_one(t, &keys->keys[0], plain, &a[i], err);
        free(plain);
    }
    if (rc != TOTP_OK) {
        totpi_scratch_hash_free(d);
        totpi_scratch_hash_free(a);
        return rc;
    }
    *del = d;
    *add = a;
    return TOTP_OK;
}
