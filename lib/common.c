/* SPDX-License-Identifier: Apache-2.0 */
/* common.c: error strings, algorithm names, parameter checks and memory wiping. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "internal.h"
#include "totp.h"

const char *totp_strerror(int err)
{
    switch (err) {
    case TOTP_OK:
        return "success";
    case TOTP_EINVAL:
        return "invalid argument";
    case TOTP_ENOMEM:
        return "out of memory";
    case TOTP_ECRYPTO:
        return "cryptographic library failure";
    case TOTP_EBUFFER:
        return "output buffer too small";
    case TOTP_EBASE32:
        return "invalid base32";
    case TOTP_EKEYLEN:
        return "key must be 10 to 64 bytes";
    case TOTP_EDIGITS:
        return "digits must be 6, 7 or 8";
    case TOTP_EPERIOD:
        return "period must be 1 to 300 seconds";
    case TOTP_EALGORITHM:
        return "algorithm must be SHA1, SHA256 or SHA512";
    case TOTP_ETIME:
        return "time out of range";
    case TOTP_ECODE:
        return "code has the wrong length or a non-digit";
    case TOTP_EMISMATCH:
        return "code does not match";
    case TOTP_EREPLAY:
        return "code was already used";
    case TOTP_EURI:
        return "malformed otpauth URI";
    case TOTP_ERANDOM:
        return "random number generator failure";
    case TOTP_EFORMAT:
        return "malformed record";
    case TOTP_ENOENT:
        return "no record";
    case TOTP_EPERM:
        return "bad ownership, mode or file type, or permission denied";
    case TOTP_EIO:
        return "input/output error";
    case TOTP_ELOCKED:
        return "record is locked by another process";
    case TOTP_EUSER:
        return "unknown or unusable user name";
    case TOTP_ERATELIMIT:
        return "too many attempts";
    case TOTP_EEXIST:
        return "record already exists";
    case TOTP_EUNTRUSTED:
        return "record is one the user can write, and only the system store is trusted";
    default:
        return "unknown error";
    }
}

static const struct {
    totp_algorithm alg;
    const char *name;
} algorithms[] = {
    {TOTP_SHA1, "SHA1"},
    {TOTP_SHA256, "SHA256"},
    {TOTP_SHA512, "SHA512"},
};

const char *totp_algorithm_name(totp_algorithm alg)
{
    for (size_t i = 0; i < sizeof(algorithms) / sizeof(algorithms[0]); i++) {
        if (algorithms[i].alg == alg)
            return algorithms[i].name;
    }
    return NULL;
}

const char *totpi_digest_name(totp_algorithm alg)
{
    /* Our names are OpenSSL's digest names. */
    return totp_algorithm_name(alg);
}

int totp_algorithm_parse(const char *name, totp_algorithm *alg)
{
    if (name == NULL || alg == NULL)
        return TOTP_EINVAL;
    for (size_t i = 0; i < sizeof(algorithms) / sizeof(algorithms[0]); i++) {
        if (totpi_strcasecmp(name, algorithms[i].name) == 0) {
            *alg = algorithms[i].alg;
            return TOTP_OK;
        }
    }
    return TOTP_EALGORITHM;
}

int totp_params_check(const totp_params *params)
{
    if (params == NULL)
        return TOTP_EINVAL;
    if (totp_algorithm_name(params->algorithm) == NULL)
        return TOTP_EALGORITHM;
    if (params->digits < TOTP_DIGITS_MIN || params->digits > TOTP_DIGITS_MAX)
        return TOTP_EDIGITS;
    if (params->period < TOTP_PERIOD_MIN || params->period > TOTP_PERIOD_MAX)
        return TOTP_EPERIOD;
    return TOTP_OK;
}

static unsigned char ascii_lower(char c)
{
    unsigned char u = (unsigned char)c;
    return u >= 'A' && u <= 'Z' ? (unsigned char)(u - 'A' + 'a') : u;
}

int totpi_strcasecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char ca = ascii_lower(*a), cb = ascii_lower(*b);
        if (ca != cb || ca == '\0')
            return ca - cb;
    }
}

int totpi_has_prefix_ci(const char *s, const char *prefix)
{
    for (; *prefix != '\0'; s++, prefix++) {
        if (ascii_lower(*s) != ascii_lower(*prefix))
            return 0;
    }
    return 1;
}

int totpi_parse_uint(const char *s, size_t len, uint64_t max, uint64_t *v)
{
    uint64_t n = 0;
    if (len == 0 || len > 20)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        unsigned d = (unsigned)(s[i] - '0');
        if (n > (UINT64_MAX - d) / 10)
            return 0;
        n = n * 10 + d;
    }
    if (n > max)
        return 0;
    *v = n;
    return 1;
}

int totpi_parse_skew(const char *s, size_t len, int64_t *v)
{
    uint64_t n;
    int negative = len > 0 && s[0] == '-';
    if (len > 0 && (s[0] == '-' || s[0] == '+')) {
        s++;
        len--;
    }
    if (!totpi_parse_uint(s, len, TOTP_SKEW_MAX, &n))
        return 0;
    *v = negative ? -(int64_t)n : (int64_t)n;
    return 1;
}

const char *totpi_next_token(const char *s, size_t *len)
{
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '\0')
        return NULL;
    *len = strcspn(s, " \t");
    return s;
}

void totp_wipe(void *buf, size_t len)
{
    if (buf != NULL && len > 0)
        OPENSSL_cleanse(buf, len);
}

void totp_wipe_string(char *s)
{
    if (s == NULL)
        return;
    totp_wipe(s, strlen(s));
    free(s);
}

int totpi_fail(totp_error *err, int code, int sys_errno, unsigned line, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        err->code = code;
        err->sys_errno = sys_errno;
        err->line = line;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
    }
    return code;
}

long totpi_text_chars(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    long chars = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x20 || c == 0x7f)
            return -1;
        chars++;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0) {
            n = 1, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return -1;
        }
        if (len - i <= n)
            return -1;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return -1;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return -1;
        if (cp >= 0x80 && cp < 0xa0) /* C1 controls */
            return -1;
        i += n + 1;
    }
    return chars;
}

int totp_clock_hint(const totp_result *res, char *buf, size_t size)
{
    if (res == NULL || !res->clock_hint || buf == NULL || size == 0)
        return 0;
    /* Only steps behind are hinted (a step ahead's code becomes valid later; see skew.c). */
    snprintf(buf, size, "wrong code (matches a code %lld s behind: check the clocks)",
             (long long)(res->off_by < 0 ? -res->off_by : res->off_by));
    return 1;
}
