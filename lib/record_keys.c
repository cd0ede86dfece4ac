/* SPDX-License-Identifier: Apache-2.0 */
/* record_keys.c: the record keys we know and the values each may take. */
#include "config.h"

#include <string.h>

#include "internal.h"
#include "totp.h"

/* Each check returns NULL when the value is acceptable, else the reason. */
typedef const char *(*value_check)(const char *value);

static const char *check_flag(const char *v)
{
    return v[0] == '\0' ? NULL : "takes no value";
}

static const char *check_range(const char *v, uint64_t min, uint64_t max, const char *why)
{
    uint64_t n;
    return totpi_parse_uint(v, strlen(v), max, &n) && n >= min ? NULL : why;
}

static const char *check_hotp_counter(const char *v)
{
    return check_range(v, 1, INT64_MAX, "must be a counter of at least 1");
}

static const char *check_step_size(const char *v)
{
    return check_range(v, TOTP_PERIOD_MIN, TOTP_PERIOD_MAX, "must be 1 to 300 seconds");
}

static const char *check_window_size(const char *v)
{
    return check_range(v, 1, 100, "must be 1 to 100");
}

static const char *check_digits(const char *v)
{
    return check_range(v, TOTP_DIGITS_MIN, TOTP_DIGITS_MAX, "must be 6, 7 or 8");
}

static const char *check_algorithm(const char *v)
{
    totp_algorithm alg;
    return totp_algorithm_parse(v, &alg) == TOTP_OK ? NULL : "must be SHA1, SHA256 or SHA512";
}

/* A list of non-negative integers. */
static int uint_list_ok(const char *v)
{
    const char *tok;
    size_t len;
    uint64_t n;
    for (; (tok = totpi_next_token(v, &len)) != NULL; v = tok + len) {
        if (!totpi_parse_uint(tok, len, INT64_MAX, &n))
            return 0;
    }
    return 1;
}

static const char *check_uint_list(const char *v)
{
    return uint_list_ok(v) ? NULL : "must be a list of non-negative integers";
}

static const char *check_rate_limit(const char *v)
{
    static const char why[] = "must be ATTEMPTS (1-100) SECONDS (1-3600) [TIMESTAMPS...]";
    size_t len;
    uint64_t n;
    const char *tok = totpi_next_token(v, &len);
    if (tok == NULL || !totpi_parse_uint(tok, len, 100, &n) || n < 1)
        return why;
    tok = totpi_next_token(tok + len, &len);
    if (tok == NULL || !totpi_parse_uint(tok, len, 3600, &n) || n < 1)
        return why;
    return uint_list_ok(tok + len) ? NULL : why;
}

static const char *check_time_skew(const char *v)
{
    int64_t skew;
    return totpi_parse_skew(v, strlen(v), &skew) ? NULL : "must be a whole number of steps";
}

static const char *check_resetting_time_skew(const char *v)
{
    const char *tok;
    size_t len;
    for (; (tok = totpi_next_token(v, &len)) != NULL; v = tok + len) {
        size_t digits = strspn(tok, "0123456789");
        uint64_t step;
        int64_t skew;
        if (digits == 0 || digits >= len || !totpi_parse_uint(tok, digits, INT64_MAX, &step) ||
            (tok[digits] != '+' && tok[digits] != '-') ||
            !totpi_parse_skew(tok + digits, len - digits, &skew))
            return "must be a list of STEP+SKEW or STEP-SKEW";
    }
    return NULL;
}

static const char *check_failures(const char *v)
{
    size_t len;
    uint64_t n;
    const char *tok = totpi_next_token(v, &len);
    if (tok == NULL || !totpi_parse_uint(tok, len, UINT32_MAX, &n))
        return "must be COUNT TIMESTAMP";
    tok = totpi_next_token(tok + len, &len);
    if (tok == NULL || !totpi_parse_uint(tok, len, INT64_MAX, &n) ||
        totpi_next_token(tok + len, &len) != NULL)
        return "must be COUNT TIMESTAMP";
    return NULL;
}

static const char *check_label(const char *v)
{
    long chars = totpi_text_chars(v, strlen(v));
    if (chars < 0)
        return "must be UTF-8 text without control characters";
    if (chars == 0 || chars > 128 || strchr(v, ':') != NULL)
        return "must be 1 to 128 characters without ':'";
    return NULL;
}

static const char *check_timestamp(const char *v)
{
    return check_range(v, 0, INT64_MAX, "must be a Unix time");
}

static const struct {
    const char *key;
    value_check check;
} known_keys[] = {
    /* google-authenticator's keys, with its meanings */
    {"TOTP_AUTH", check_flag},
    {"HOTP_COUNTER", check_hotp_counter},
    {"STEP_SIZE", check_step_size},
    {"WINDOW_SIZE", check_window_size},
    {"DISALLOW_REUSE", check_uint_list},
    {"RATE_LIMIT", check_rate_limit},
    {"TIME_SKEW", check_time_skew},
    {"RESETTING_TIME_SKEW", check_resetting_time_skew},
    /* ours */
    {"ALGORITHM", check_algorithm},
    {"DIGITS", check_digits},
    {"TOTP_USED", check_uint_list},
    {"ATTEMPTS", check_uint_list},
    {"LAST_SUCCESS", check_timestamp},
    {"FAILURES", check_failures},
    {"ISSUER", check_label},
    {"ACCOUNT", check_label},
};

const char *totpi_check_value(const char *key, const char *value)
{
    for (const char *p = value; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 && *p != '\t')
            return "contains a control character";
        if (*p == 0x7f)
            return "contains a control character";
    }
    for (size_t i = 0; i < sizeof(known_keys) / sizeof(known_keys[0]); i++) {
        if (strcmp(key, known_keys[i].key) == 0)
            return known_keys[i].check(value);
    }
    return NULL;
}

const char *totp_record_check(const char *key, const char *value)
{
    return totpi_check_value(key, value);
}

int totpi_key_is_well_formed(const char *key, size_t len)
{
    if (len == 0 || len > 64 || key[0] < 'A' || key[0] > 'Z')
        return 0;
    for (size_t i = 1; i < len; i++) {
        char c = key[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}
