/* SPDX-License-Identifier: Apache-2.0 */
/* otp.c: HOTP (RFC 4226) and TOTP (RFC 6238) codes and the window scan, over OpenSSL EVP_MAC. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "internal.h"
#include "totp.h"

struct totp_key {
    totp_algorithm algorithm;
    unsigned digits;
    size_t len;
    uint8_t bytes[TOTP_KEY_MAX];
};

static const uint32_t powers_of_ten[] = {1,      10,      100,      1000,     10000,
                                         100000, 1000000, 10000000, 100000000};

int totp_key_new(const uint8_t *bytes, size_t len, const totp_params *params, totp_key **out)
{
    if (out == NULL)
        return TOTP_EINVAL;
    *out = NULL;
    if (bytes == NULL || params == NULL)
        return TOTP_EINVAL;
    if (len < TOTP_KEY_MIN || len > TOTP_KEY_MAX)
        return TOTP_EKEYLEN;
    if (totp_algorithm_name(params->algorithm) == NULL)
        return TOTP_EALGORITHM;
    if (params->digits < TOTP_DIGITS_MIN || params->digits > TOTP_DIGITS_MAX)
        return TOTP_EDIGITS;

    totp_key *key = calloc(1, sizeof(*key));
    if (key == NULL)
        return TOTP_ENOMEM;
    key->algorithm = params->algorithm;
    key->digits = params->digits;
    key->len = len;
    memcpy(key->bytes, bytes, len);
    *out = key;
    return TOTP_OK;
}

void totp_key_free(totp_key *key)
{
    if (key == NULL)
        return;
    OPENSSL_cleanse(key, sizeof(*key));
    free(key);
}

/* An HMAC context keyed once, so that each further counter costs only the inner/outer hashes. */
struct hmac {
    EVP_MAC *mac;
    EVP_MAC_CTX *ctx;
    int keyed;
};

static void hmac_release(struct hmac *h)
{
    EVP_MAC_CTX_free(h->ctx);
    EVP_MAC_free(h->mac);
    h->ctx = NULL;
    h->mac = NULL;
}

static int hmac_setup(struct hmac *h, const totp_key *key)
{
    OSSL_PARAM params[2];

    memset(h, 0, sizeof(*h));
    h->mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
    if (h->mac == NULL)
        return TOTP_ECRYPTO;
    h->ctx = EVP_MAC_CTX_new(h->mac);
    if (h->ctx == NULL) {
        hmac_release(h);
        return TOTP_ECRYPTO;
    }
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)totpi_digest_name(key->algorithm), 0);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_init(h->ctx, key->bytes, key->len, params) != 1) {
        hmac_release(h);
        return TOTP_ECRYPTO;
    }
    h->keyed = 1;
    return TOTP_OK;
}

/* The truncated code (RFC 4226 section 5.3) for one counter. */
static int hmac_code(struct hmac *h, uint64_t counter, unsigned digits, uint32_t *code)
{
    unsigned char msg[8], md[EVP_MAX_MD_SIZE];
    size_t mdlen = 0;

    /* After the first use, a NULL key restarts HMAC from the precomputed pads. */
    if (!h->keyed && EVP_MAC_init(h->ctx, NULL, 0, NULL) != 1)
        return TOTP_ECRYPTO;
    h->keyed = 0;
    for (int i = 7; i >= 0; i--) {
        msg[i] = (unsigned char)(counter & 0xff);
        counter >>= 8;
    }
    if (EVP_MAC_update(h->ctx, msg, sizeof(msg)) != 1 ||
        EVP_MAC_final(h->ctx, md, &mdlen, sizeof(md)) != 1 || mdlen < 20) {
        OPENSSL_cleanse(md, sizeof(md));
        return TOTP_ECRYPTO;
    }
    unsigned offset = md[mdlen - 1] & 0x0f;
    uint32_t bin = ((uint32_t)(md[offset] & 0x7f) << 24) | ((uint32_t)md[offset + 1] << 16) |
                   ((uint32_t)md[offset + 2] << 8) | (uint32_t)md[offset + 3];
    *code = bin % powers_of_ten[digits];
    OPENSSL_cleanse(md, sizeof(md));
    return TOTP_OK;
}

/* Write `value` as exactly `digits` decimal digits, with leading zeros, and a NUL. */
static void format_code(uint32_t value, unsigned digits, char *out)
{
    for (unsigned i = digits; i > 0; i--) {
        out[i - 1] = (char)('0' + value % 10);
        value /= 10;
    }
    out[digits] = '\0';
}

int totp_hotp(const totp_key *key, uint64_t counter, char code[TOTP_CODE_BUFSIZE])
{
    struct hmac h;
    uint32_t value = 0;

    if (key == NULL || code == NULL)
        return TOTP_EINVAL;
    int rc = hmac_setup(&h, key);
    if (rc != TOTP_OK)
        return rc;
    rc = hmac_code(&h, counter, key->digits, &value);
    hmac_release(&h);
    if (rc == TOTP_OK)
        format_code(value, key->digits, code);
    value = 0;
    return rc;
}

int totp_time_step(int64_t unix_time, unsigned period, uint64_t *step)
{
    if (step == NULL)
        return TOTP_EINVAL;
    if (period < TOTP_PERIOD_MIN || period > TOTP_PERIOD_MAX)
        return TOTP_EPERIOD;
    if (unix_time < 0)
        return TOTP_ETIME;
    *step = (uint64_t)unix_time / period;
    return TOTP_OK;
}

static int code_is_well_formed(const char *code, unsigned digits)
{
    for (unsigned i = 0; i < digits; i++) {
        if (code[i] < '0' || code[i] > '9')
            return 0;
    }
    return code[digits] == '\0';
}

/* All ones if a < b, for a, b below 2^63 (distances within a window), without a branch. */
static uint64_t ct_less(uint64_t a, uint64_t b)
{
    return (uint64_t)0 - ((a - b) >> 63);
}

/* Whether `step` was accepted before, as a mask: at or below the floor, or in the list. */
static uint64_t used_mask(const totpi_used *used, uint64_t step)
{
    if (used == NULL)
        return 0;
    uint64_t hit = used->has_floor ? totpi_ct_is_zero(step > used->floor) : 0;
    for (size_t i = 0; i < used->n; i++)
        hit |= totpi_ct_is_zero(step ^ used->steps[i]);
    return hit;
}

int totpi_verify_used(const totp_key *key, const char *code, const totp_window *window,
                      const totpi_used *used, uint64_t *matched)
{
    if (key == NULL || code == NULL || window == NULL)
        return TOTP_EINVAL;
    if ((uint64_t)window->behind + window->ahead + 1 > TOTP_WINDOW_MAX)
        return TOTP_EINVAL;
    if (!code_is_well_formed(code, key->digits))
        return TOTP_ECODE;

    uint64_t first = window->center >= window->behind ? window->center - window->behind : 0;
    uint64_t last =
        UINT64_MAX - window->center >= window->ahead ? window->center + window->ahead : UINT64_MAX;
    struct hmac h;
    int rc = hmac_setup(&h, key);
    if (rc != TOTP_OK)
        return rc;

    /* Masks, not branches, so that the time taken does not depend on where a match is. Of
     * several fresh matches the one nearest the centre wins (the earlier on a tie), as
     * google-authenticator's skew search does. */
    uint64_t found = 0, replayed = 0, step_found = 0, best = 0;
    char candidate[TOTP_CODE_BUFSIZE];
    uint64_t step = first;
    for (;;) {
        uint32_t value;
        rc = hmac_code(&h, step, key->digits, &value);
        if (rc != TOTP_OK)
            break;
        format_code(value, key->digits, candidate);
        uint64_t equal =
            totpi_ct_is_zero((uint64_t)CRYPTO_memcmp(candidate, code, key->digits) & 0xff);
        uint64_t fresh = ~used_mask(used, step);
        uint64_t distance = step >= window->center ? step - window->center : window->center - step;
        uint64_t take = equal & fresh & (~found | ct_less(distance, best));
        step_found = (step_found & ~take) | (step & take);
        best = (best & ~take) | (distance & take);
        found |= take;
        replayed |= equal & ~fresh;
        if (step == last)
            break;
        step++;
    }
    OPENSSL_cleanse(candidate, sizeof(candidate));
    hmac_release(&h);
    if (rc != TOTP_OK)
        return rc;
    if (found) {
        if (matched != NULL)
            *matched = step_found;
        return TOTP_OK;
    }
    return replayed ? TOTP_EREPLAY : TOTP_EMISMATCH;
}

int totp_verify(const totp_key *key, const char *code, const totp_window *window, uint64_t *matched)
{
    if (window == NULL)
        return TOTP_EINVAL;
    totpi_used used = {window->has_watermark, window->watermark, NULL, 0};
    return totpi_verify_used(key, code, window, &used, matched);
}
