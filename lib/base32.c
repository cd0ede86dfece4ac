/* SPDX-License-Identifier: Apache-2.0 */
/* base32.c: RFC 4648 base32 encoding and a tolerant-but-strict decoder for secrets. */
#include "config.h"

#include "totp.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

size_t totp_base32_encoded_len(size_t len, int flags)
{
    if (flags & TOTP_BASE32_PAD)
        return (len + 4) / 5 * 8;
    return (len * 8 + 4) / 5;
}

int totp_base32_encode(const uint8_t *in, size_t len, char *out, size_t outsize, int flags)
{
    if ((in == NULL && len > 0) || out == NULL)
        return TOTP_EINVAL;
    if (len > (SIZE_MAX - 8) / 8 || totp_base32_encoded_len(len, flags) + 1 > outsize)
        return TOTP_EBUFFER;

    size_t o = 0;
    uint32_t buffer = 0;
    unsigned bits = 0;
    for (size_t i = 0; i < len; i++) {
        buffer = (buffer << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = alphabet[(buffer >> (bits - 5)) & 0x1f];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[o++] = alphabet[(buffer << (5 - bits)) & 0x1f];
    if (flags & TOTP_BASE32_PAD) {
        while (o % 8 != 0)
            out[o++] = '=';
    }
    out[o] = '\0';
    buffer = 0;
    return TOTP_OK;
}

static int symbol_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a';
    if (c >= '2' && c <= '7')
        return c - '2' + 26;
    return -1;
}

int totp_base32_decode(const char *in, uint8_t *out, size_t outsize, size_t *outlen)
{
    if (in == NULL || out == NULL || outlen == NULL)
        return TOTP_EINVAL;
    *outlen = 0;

    size_t o = 0, symbols = 0;
    uint32_t buffer = 0;
    unsigned bits = 0;
    int padding = 0, rc = TOTP_OK;
    for (const char *p = in; *p != '\0'; p++) {
        if (*p == ' ')
            continue;
        if (*p == '=') {
            padding = 1;
            continue;
        }
        int v = symbol_value(*p);
        if (v < 0 || padding) { /* a foreign character, or data after the padding */
            rc = TOTP_EBASE32;
            break;
        }
        symbols++;
        buffer = (buffer << 5) | (uint32_t)v;
        bits += 5;
        if (bits >= 8) {
            if (o == outsize) {
                rc = TOTP_EBUFFER;
                break;
            }
            out[o++] = (uint8_t)(buffer >> (bits - 8));
            bits -= 8;
        }
    }
    /* 1, 3 or 6 trailing symbols cannot be the end of an encoding of whole bytes. */
    size_t rest = symbols % 8;
    if (rc == TOTP_OK && (rest == 1 || rest == 3 || rest == 6))
        rc = TOTP_EBASE32;
    buffer = 0;
    if (rc != TOTP_OK) {
        totp_wipe(out, o);
        return rc;
    }
    *outlen = o;
    return TOTP_OK;
}
