/* SPDX-License-Identifier: Apache-2.0 */
/* scratch_hash.c: scratch codes as salted PBKDF2 hashes (the directory stores' SCRATCH_HASH):
 * making a set, checking one code against it, and what a login or a new set changes. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "internal.h"
#include "scratch_hash.h"

#define PREFIX "$pbkdf2-sha256$"

/* A value taken apart. */
struct parsed {
    unsigned iter;
    uint8_t salt[TOTPI_SCRATCH_SALT_MAX];
    size_t salt_len;
    uint8_t hash[TOTPI_SCRATCH_HASH_LEN];
};

void totpi_b64_encode(const uint8_t *in, size_t len, char *out)
{
    int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    while (n > 0 && out[n - 1] == '=')
        out[--n] = '\0';
}

long totpi_b64_decode(const char *in, size_t len, uint8_t *out, size_t max)
{
    char buf[TOTPI_SCRATCH_HASH_MAXLEN + 4];
    uint8_t raw[TOTPI_SCRATCH_HASH_MAXLEN];
    if (len == 0 || len % 4 == 1 || len > TOTPI_SCRATCH_HASH_MAXLEN ||
        strspn(in, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") < len)
        return -1;
    memcpy(buf, in, len);
    size_t pad = (4 - len % 4) % 4;
    memset(buf + len, '=', pad);
    int n = EVP_DecodeBlock(raw, (const unsigned char *)buf, (int)(len + pad));
    if (n < 0 || (size_t)n < pad || (size_t)n - pad > max)
        return -1;
    memcpy(out, raw, (size_t)n - pad);
    return (long)((size_t)n - pad);
}

#define NOT_A_VALUE "not a $pbkdf2-sha256$ITERATIONS$SALT$HASH"

/* Take a value apart: NULL, or what is wrong with it. */
static const char *parse_why(const char *v, size_t len, struct parsed *p)
{
    uint64_t iter;
    size_t plen = strlen(PREFIX);
    if (len > TOTPI_SCRATCH_HASH_MAXLEN || len <= plen || memcmp(v, PREFIX, plen) != 0)
        return NOT_A_VALUE;
    const char *it = v + plen, *end = v + len;
    const char *d1 = memchr(it, '$', (size_t)(end - it));
    const char *d2 = d1 != NULL ? memchr(d1 + 1, '$', (size_t)(end - d1 - 1)) : NULL;
    if (d2 == NULL || memchr(d2 + 1, '$', (size_t)(end - d2 - 1)) != NULL ||
        !totpi_parse_uint(it, (size_t)(d1 - it), UINT32_MAX, &iter) ||
        iter < TOTPI_SCRATCH_HASH_ITER_MIN)
        return NOT_A_VALUE;
    p->iter = (unsigned)iter;
    long s = totpi_b64_decode(d1 + 1, (size_t)(d2 - d1 - 1), p->salt, sizeof(p->salt));
    long h = totpi_b64_decode(d2 + 1, (size_t)(end - d2 - 1), p->hash, sizeof(p->hash));
    p->salt_len = s > 0 ? (size_t)s : 0;
    if (s < 8 || h != TOTPI_SCRATCH_HASH_LEN)
        return NOT_A_VALUE;
    if (iter > TOTPI_SCRATCH_HASH_ITER_MAX)
        return "its iteration count is above 1000000 (ten times the default)";
    return NULL;
}

static int parse(const char *v, size_t len, struct parsed *p)
{
    return parse_why(v, len, p) == NULL;
}

int totpi_scratch_hash_ok(const char *value, size_t len)
{
    struct parsed p;
    return value != NULL && parse(value, len, &p);
}

const char *totpi_scratch_hash_problem(const char *value, size_t len)
{
    struct parsed p;
    return value != NULL ? parse_why(value, len, &p) : NOT_A_VALUE;
}

/* Whether two parsed values share the iteration count and salt. */
static int same_set(const struct parsed *a, const struct parsed *b)
{
    return a->iter == b->iter && a->salt_len == b->salt_len &&
           memcmp(a->salt, b->salt, a->salt_len) == 0;
}

const char *totpi_scratch_hash_set_problem(const char *list)
{
    struct parsed first = {0, {0}, 0, {0}}, p;
    const char *tok;
    size_t len;
    for (; list != NULL && (tok = totpi_next_token(list, &len)) != NULL; list = tok + len) {
        if (!parse(tok, len, &p))
            continue;
        if (first.iter == 0)
            first = p;
        else if (!same_set(&first, &p))
            return "its values differ in iteration count or salt (a set shares one)";
    }
    return NULL;
}

static int derive(const char *code, unsigned iter, const uint8_t *salt, size_t salt_len,
                  uint8_t out[TOTPI_SCRATCH_HASH_LEN])
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "PBKDF2", NULL);
    EVP_KDF_CTX *ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)code, 8),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len),
        OSSL_PARAM_construct_uint(OSSL_KDF_PARAM_ITER, &iter),
        OSSL_PARAM_construct_end(),
    };
    int ok = ctx != NULL && EVP_KDF_derive(ctx, out, TOTPI_SCRATCH_HASH_LEN, params) == 1;
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return ok ? TOTP_OK : TOTP_ECRYPTO;
}

void totpi_scratch_hash_free(char **values)
{
    for (size_t i = 0; values != NULL && values[i] != NULL; i++)
        free(values[i]);
    free(values);
}

int totpi_scratch_hash_make(const totp_record *rec, char ***values, totp_error *err)
{
    char codes[TOTP_SCRATCH_COUNT_MAX][9];
    uint8_t salt[TOTPI_SCRATCH_SALT_LEN], hash[TOTPI_SCRATCH_HASH_LEN];
    char salt64[48], hash64[48];
    *values = NULL;
    size_t n = totpi_record_scratch_codes(rec, codes, TOTP_SCRATCH_COUNT_MAX);
    if (n > TOTP_SCRATCH_COUNT_MAX)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "more than %d scratch codes",
                          TOTP_SCRATCH_COUNT_MAX);
    char **out = calloc(n + 1, sizeof(*out));
    int rc = out != NULL ? TOTP_OK : TOTP_ENOMEM;
    if (rc == TOTP_OK && RAND_bytes(salt, sizeof(salt)) != 1)
        rc = TOTP_ECRYPTO;
    totpi_b64_encode(salt, sizeof(salt), salt64);
    for (size_t i = 0; rc == TOTP_OK && i < n; i++) {
        rc = derive(codes[i], TOTPI_SCRATCH_HASH_ITER, salt, sizeof(salt), hash);
        totpi_b64_encode(hash, sizeof(hash), hash64);
        size_t size = strlen(PREFIX) + 12 + strlen(salt64) + strlen(hash64) + 4;
        if (rc == TOTP_OK && (out[i] = malloc(size)) == NULL)
            rc = TOTP_ENOMEM;
        if (rc == TOTP_OK)
            snprintf(out[i], size, PREFIX "%u$%s$%s", TOTPI_SCRATCH_HASH_ITER, salt64, hash64);
    }
    totp_wipe(codes, sizeof(codes));
    totp_wipe(hash, sizeof(hash));
    if (rc != TOTP_OK) {
        totpi_scratch_hash_free(out);
        return totpi_fail(err, rc, rc == TOTP_ENOMEM ? ENOMEM : 0, 0,
                          "hashing the scratch codes: %s", totp_strerror(rc));
    }
    *values = out;
    return TOTP_OK;
}

int totpi_scratch_hash_take(totp_record *rec, const char *code)
{
    const char *list = totp_record_get(rec, TOTPI_SCRATCH_HASH_KEY), *tok;
    size_t len;
    struct parsed p, last = {0, {0}, 0, {0}};
    uint8_t derived[TOTPI_SCRATCH_HASH_LEN];
    const char *match = NULL;
    size_t match_len = 0;
    uint64_t found = 0;
    if (list == NULL || code == NULL || strlen(code) != 8 ||
        totpi_scratch_hash_set_problem(list) != NULL)
        return 0;
    /* Derive once (one set, one salt), compare with every value without stopping early. */
    for (; (tok = totpi_next_token(list, &len)) != NULL; list = tok + len) {
        if (!parse(tok, len, &p))
            continue; /* never a match */
        if (last.iter == 0) {
            last = p;
            if (derive(code, p.iter, p.salt, p.salt_len, derived) != TOTP_OK)
                break;
        }
        uint64_t eq =
            totpi_ct_is_zero((uint64_t)(unsigned)CRYPTO_memcmp(derived, p.hash, sizeof(derived)));
        uint64_t take = eq & ~found;
        match = (const char *)(((uintptr_t)match & ~(uintptr_t)take) | ((uintptr_t)tok & take));
        match_len = (size_t)(((uint64_t)match_len & ~take) | ((uint64_t)len & take));
        found |= take;
    }
    totp_wipe(derived, sizeof(derived));
    if (!found)
        return 0;
    /* The option without the value taken; "" (kept) when it was the last. */
    const char *all = totp_record_get(rec, TOTPI_SCRATCH_HASH_KEY);
    size_t total = strlen(all), at = (size_t)(match - all), o = 0;
    char *rest = malloc(total + 1);
    if (rest == NULL)
        return 0;
    for (list = all; (tok = totpi_next_token(list, &len)) != NULL; list = tok + len) {
        if ((size_t)(tok - all) == at && len == match_len)
            continue;
        if (o > 0)
            rest[o++] = ' ';
        memcpy(rest + o, tok, len);
        o += len;
    }
    rest[o] = '\0';
    int rc = totp_record_set(rec, TOTPI_SCRATCH_HASH_KEY, rest);
    free(rest);
    return rc == TOTP_OK;
}

/* Whether the token `tok` (`len` bytes) is among the values of `list`. */
static int listed(const char *list, const char *tok, size_t len)
{
    const char *t;
    size_t l;
    for (; list != NULL && (t = totpi_next_token(list, &l)) != NULL; list = t + l) {
        if (l == len && memcmp(t, tok, len) == 0)
            return 1;
    }
    return 0;
}

void totpi_scratch_changes_free(struct totpi_scratch_changes *c)
{
    totpi_scratch_hash_free(c->add);
    totpi_scratch_hash_free(c->del);
    memset(c, 0, sizeof(*c));
}

int totpi_scratch_hash_changes(const char *read, const totp_record *rec,
                               struct totpi_scratch_changes *c, totp_error *err)
{
    const char *now = totp_record_get(rec, TOTPI_SCRATCH_HASH_KEY), *tok;
    size_t len, n = 0;
    memset(c, 0, sizeof(*c));
    int had = read != NULL && totpi_next_token(read, &len) != NULL;
    if (now == NULL) { /* a new set, or none: replace, if that changes anything */
        if (totpi_record_scratch_codes(rec, NULL, 0) == 0 && !had)
            return TOTP_OK;
        c->replace = 1;
        return totpi_scratch_hash_make(rec, &c->add, err);
    }
    if (totpi_record_scratch_codes(rec, NULL, 0) > 0)
        return totpi_fail(err, TOTP_EINVAL, 0, 0,
                          "a record with both plain and hashed scratch codes");
    for (const char *l = now; (tok = totpi_next_token(l, &len)) != NULL; l = tok + len) {
        if (!listed(read, tok, len))
            return totpi_fail(err, TOTP_EINVAL, 0, 0,
                              "scratch code hashes that were not read are not added");
    }
    for (const char *l = read; l != NULL && (tok = totpi_next_token(l, &len)) != NULL;
         l = tok + len)
        n += !listed(now, tok, len);
    if (n == 0)
        return TOTP_OK;
    if ((c->del = calloc(n + 1, sizeof(*c->del))) == NULL)
        return totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    n = 0;
    for (const char *l = read; (tok = totpi_next_token(l, &len)) != NULL; l = tok + len) {
        if (!listed(now, tok, len) && (c->del[n++] = strndup(tok, len)) == NULL) {
            totpi_scratch_changes_free(c);
            return totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
        }
    }
    return TOTP_OK;
}
