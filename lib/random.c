/* SPDX-License-Identifier: Apache-2.0 */
/* random.c: new secrets and scratch codes from the OpenSSL CSPRNG. */
#include "config.h"

#include <openssl/rand.h>

#include "totp.h"

size_t totp_secret_default_len(totp_algorithm alg)
{
    switch (alg) {
    case TOTP_SHA256:
        return 32;
    case TOTP_SHA512:
        return 64;
    case TOTP_SHA1:
    default:
        return 20;
    }
}

int totp_secret_generate(uint8_t *out, size_t len)
{
    if (out == NULL)
        return TOTP_EINVAL;
    if (len < TOTP_KEY_MIN || len > TOTP_KEY_MAX)
        return TOTP_EKEYLEN;
    if (RAND_bytes(out, (int)len) != 1) {
        totp_wipe(out, len);
        return TOTP_ERANDOM;
    }
    return TOTP_OK;
}

/* A uniform value in 0..range-1: draw 32 bits and reject the biased tail. */
static int uniform(uint32_t range, uint32_t *value)
{
    const uint32_t limit = UINT32_MAX - (UINT32_MAX % range + 1) % range;
    unsigned char raw[4];
    for (;;) {
        if (RAND_bytes(raw, sizeof(raw)) != 1)
            return TOTP_ERANDOM;
        uint32_t v =
            (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 | raw[3];
        if (v <= limit) {
            *value = v % range;
            totp_wipe(raw, sizeof(raw));
            return TOTP_OK;
        }
    }
}

int totp_scratch_generate(uint32_t *codes, size_t n)
{
    const uint32_t range = TOTP_SCRATCH_MAX - TOTP_SCRATCH_MIN + 1;

    if ((codes == NULL && n > 0) || n > TOTP_SCRATCH_COUNT_MAX)
        return TOTP_EINVAL;
    for (size_t i = 0; i < n; i++) {
        uint32_t v;
        int duplicate;
        do {
            int rc = uniform(range, &v);
            if (rc != TOTP_OK) {
                totp_wipe(codes, n * sizeof(*codes));
                return rc;
            }
            v += TOTP_SCRATCH_MIN;
            duplicate = 0;
            for (size_t k = 0; k < i; k++)
                duplicate |= codes[k] == v;
        } while (duplicate);
        codes[i] = v;
    }
    return TOTP_OK;
}
