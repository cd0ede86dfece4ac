/* SPDX-License-Identifier: Apache-2.0 */
/* seal.c: AES-256-GCM sealing of secrets bound to a directory object, and the fleet key file. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "internal.h"
#include "seal.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One NUL-terminated "ID HEX" line into `k`; NULL, else what is wrong with it. */
static const char *parse_line(const char *s, struct totpi_seal_key *k)
{
    size_t idlen = 0, hexlen = 0, rest = 0;
    const char *id = totpi_next_token(s, &idlen);
    const char *hex = id != NULL ? totpi_next_token(id + idlen, &hexlen) : NULL;
    uint64_t v = 0;
    if (id == NULL || !totpi_parse_uint(id, idlen, UINT32_MAX, &v) || v == 0)
        return "the key id must be 1 to 4294967295";
    if (hex == NULL || hexlen != 2 * TOTPI_SEAL_KEY_LEN)
        return "the key must be 64 hexadecimal digits (32 bytes)";
    if (totpi_next_token(hex + hexlen, &rest) != NULL)
        return "extra text after the key";
    for (size_t i = 0; i < TOTPI_SEAL_KEY_LEN; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return "the key must be 64 hexadecimal digits (32 bytes)";
        k->key[i] = (uint8_t)(hi << 4 | lo);
    }
    k->id = (uint32_t)v;
    return NULL;
}

int totpi_seal_keys_parse(const char *text, size_t len, const char *path,
                          struct totpi_seal_keys *keys, totp_error *err)
{
    memset(keys, 0, sizeof(*keys));
    unsigned line = 0;
    for (size_t at = 0; at < len;) {
        const char *s = text + at, *nl = memchr(s, '\n', len - at);
        size_t n = nl != NULL ? (size_t)(nl - s) : len - at;
        at += n + 1;
        line++;
        while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        size_t skip = 0;
        while (skip < n && (s[skip] == ' ' || s[skip] == '\t'))
            skip++;
        if (skip == n || s[skip] == '#')
            continue;
        const char *why = memchr(s, '\0', n) != NULL ? "contains a NUL byte" : NULL;
        struct totpi_seal_key k = {0, {0}};
        if (why == NULL) {
            char buf[256];
            if (n >= sizeof(buf))
                why = "line too long";
            else {
                memcpy(buf, s, n);
                buf[n] = '\0';
                why = parse_line(buf, &k);
                totp_wipe(buf, sizeof(buf));
            }
        }
        if (why == NULL && totpi_seal_key_find(keys, k.id) != NULL)
            why = "the key id is used twice";
        if (why == NULL && keys->count == TOTPI_SEAL_KEYS_MAX)
            why = "more than 16 keys";
        if (why != NULL) {
            totp_wipe(&k, sizeof(k));
            totpi_seal_keys_wipe(keys);
            return totpi_fail(err, TOTP_EFORMAT, 0, line, "%s: line %u: %s", path, line, why);
        }
        keys->keys[keys->count++] = k;
        totp_wipe(&k, sizeof(k));
    }
    if (keys->count == 0)
        return totpi_fail(err, TOTP_EFORMAT, 0, 0, "%s: no key (want lines \"ID HEX\")", path);
    return TOTP_OK;
}

int totpi_seal_keys_read(const char *path, const char *option, struct totpi_seal_keys *keys,
                         totp_error *err)
{
    char *text = NULL, label[64];
    size_t len = 0;
    memset(keys, 0, sizeof(*keys));
    snprintf(label, sizeof(label), "%s ", option);
    int rc = totpi_read_root_file(path, label, 077, 0, &text, &len, NULL, err);
    if (rc != TOTP_OK)
        return rc;
    char where[600];
    snprintf(where, sizeof(where), "%s %.500s", option, path);
    rc = totpi_seal_keys_parse(text, len, where, keys, err);
    totp_wipe(text, len);
    free(text);
    return rc;
}

void totpi_seal_keys_wipe(struct totpi_seal_keys *keys)
{
    totp_wipe(keys, sizeof(*keys));
}

const struct totpi_seal_key *totpi_seal_key_find(const struct totpi_seal_keys *keys, uint32_t id)
{
    for (size_t i = 0; i < keys->count; i++) {
        if (keys->keys[i].id == id)
            return &keys->keys[i];
    }
    return NULL;
}

/* AES-256-GCM over `in`, encrypting or decrypting, with the associated data the format
 * defines: the blob's header, the object's GUID and the label. */
static int gcm(int encrypt, const struct totpi_seal_key *key, const uint8_t *head,
               const uint8_t guid[TOTPI_SEAL_GUID], const char *label, const uint8_t *nonce,
               const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, ok = ctx != NULL;
    if (ok)
        ok = EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, encrypt) == 1 &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, TOTPI_SEAL_NONCE, NULL) == 1 &&
             EVP_CipherInit_ex(ctx, NULL, NULL, key->key, nonce, encrypt) == 1 &&
             EVP_CipherUpdate(ctx, NULL, &n, head, TOTPI_SEAL_HEAD) == 1 &&
             EVP_CipherUpdate(ctx, NULL, &n, guid, TOTPI_SEAL_GUID) == 1 &&
             EVP_CipherUpdate(ctx, NULL, &n, (const uint8_t *)label, (int)strlen(label)) == 1 &&
             EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1 && (size_t)n == len;
    if (ok && !encrypt)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TOTPI_SEAL_TAG, tag) == 1;
    if (ok)
        ok = EVP_CipherFinal_ex(ctx, out + len, &n) == 1 && n == 0;
    if (ok && encrypt)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TOTPI_SEAL_TAG, tag) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

int totpi_seal(const struct totpi_seal_key *key, const uint8_t guid[TOTPI_SEAL_GUID],
               const char *label, const uint8_t *plain, size_t len, uint8_t *out, size_t *out_len,
               totp_error *err)
{
    *out_len = 0;
    if (key == NULL || guid == NULL || label == NULL || plain == NULL || out == NULL || len == 0 ||
        len > TOTP_KEY_MAX)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "invalid argument");
    out[0] = TOTPI_SEAL_VERSION;
    out[1] = (uint8_t)(key->id >> 24);
    out[2] = (uint8_t)(key->id >> 16);
    out[3] = (uint8_t)(key->id >> 8);
    out[4] = (uint8_t)key->id;
    uint8_t *nonce = out + TOTPI_SEAL_HEAD, *ct = nonce + TOTPI_SEAL_NONCE, *tag = ct + len;
    if (RAND_bytes(nonce, TOTPI_SEAL_NONCE) != 1)
        return totpi_fail(err, TOTP_ERANDOM, 0, 0, "sealing: the random generator failed");
    uint8_t buf[TOTP_KEY_MAX + 32];
    int ok = gcm(1, key, out, guid, label, nonce, plain, len, buf, tag);
    if (ok)
        memcpy(ct, buf, len);
    totp_wipe(buf, sizeof(buf));
    if (!ok) {
        totp_wipe(out, TOTPI_SEAL_OVERHEAD + len);
        return totpi_fail(err, TOTP_ECRYPTO, 0, 0, "sealing: AES-256-GCM failed");
    }
    *out_len = TOTPI_SEAL_OVERHEAD + len;
    return TOTP_OK;
}

uint32_t totpi_seal_key_id(const uint8_t *blob, size_t len)
{
    if (blob == NULL || len <= TOTPI_SEAL_OVERHEAD || len > TOTPI_SEAL_MAX ||
        blob[0] != TOTPI_SEAL_VERSION)
        return 0;
    return (uint32_t)blob[1] << 24 | (uint32_t)blob[2] << 16 | (uint32_t)blob[3] << 8 | blob[4];
}

int totpi_unseal(const struct totpi_seal_keys *keys, const uint8_t guid[TOTPI_SEAL_GUID],
                 const char *label, const uint8_t *blob, size_t len, uint8_t *plain,
                 size_t *plain_len, totp_error *err)
{
    *plain_len = 0;
    uint32_t id = totpi_seal_key_id(blob, len);
    if (id == 0)
        return totpi_fail(err, TOTP_EFORMAT, 0, 0,
                          "not a sealed secret of version %d (%lu bytes; plain or damaged)",
                          TOTPI_SEAL_VERSION, (unsigned long)len);
    const struct totpi_seal_key *key = totpi_seal_key_find(keys, id);
    if (key == NULL)
        return totpi_fail(err, TOTP_ENOENT, 0, 0,
                          "sealed under key id %lu, which the key file lacks", (unsigned long)id);
    size_t n = len - TOTPI_SEAL_OVERHEAD;
    const uint8_t *nonce = blob + TOTPI_SEAL_HEAD, *ct = nonce + TOTPI_SEAL_NONCE;
    uint8_t tag[TOTPI_SEAL_TAG], buf[TOTP_KEY_MAX + 32];
    memcpy(tag, ct + n, sizeof(tag));
    int ok = gcm(0, key, blob, guid, label, nonce, ct, n, buf, tag);
    if (ok) {
        memcpy(plain, buf, n);
        *plain_len = n;
    }
    totp_wipe(buf, sizeof(buf));
    if (!ok)
        return totpi_fail(err, TOTP_ECRYPTO, 0, 0,
                          "the sealed secret does not open with key id %lu (made for another "
                          "object, or altered)",
                          (unsigned long)id);
    return TOTP_OK;
}
