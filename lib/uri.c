/* SPDX-License-Identifier: Apache-2.0 */
/* uri.c: build and parse otpauth:// Key URIs with RFC 3986 percent-encoding. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "totp.h"

/* ---- Text helpers ------------------------------------------------------------------------ */

static int text_is_clean(const unsigned char *s, size_t len)
{
    return totpi_text_chars((const char *)s, len) >= 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Percent-decode `len` bytes into a new clean UTF-8 string; NULL on a bad escape or text. */
static char *percent_decode(const char *s, size_t len, int *rc)
{
    char *out = malloc(len + 1);
    if (out == NULL) {
        *rc = TOTP_ENOMEM;
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '%') {
            out[o++] = s[i];
            continue;
        }
        int hi = i + 2 < len ? hex_value(s[i + 1]) : -1;
        int lo = hi >= 0 ? hex_value(s[i + 2]) : -1;
        if (lo < 0) {
            totp_wipe(out, o);
            free(out);
            *rc = TOTP_EURI;
            return NULL;
        }
        out[o++] = (char)(hi << 4 | lo);
        i += 2;
    }
    out[o] = '\0';
    if (!text_is_clean((const unsigned char *)out, o)) {
        totp_wipe(out, o);
        free(out);
        *rc = TOTP_EURI;
        return NULL;
    }
    return out;
}

/* A growing output string that is wiped whenever it is reallocated or dropped. */
struct builder {
    char *buf;
    size_t len, cap;
    int rc;
};

static void builder_append(struct builder *b, const char *s, size_t n)
{
    if (b->rc != TOTP_OK)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *grown = malloc(cap);
        if (grown == NULL) {
            b->rc = TOTP_ENOMEM;
            return;
        }
        if (b->buf != NULL) {
            memcpy(grown, b->buf, b->len);
            totp_wipe(b->buf, b->len);
            free(b->buf);
        }
        b->buf = grown;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

static void builder_puts(struct builder *b, const char *s)
{
    builder_append(b, s, strlen(s));
}

/* Append `s` with everything but RFC 3986 unreserved characters percent-encoded. */
static void builder_encode(struct builder *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            builder_append(b, (const char *)p, 1);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 0x0f]};
            builder_append(b, esc, 3);
        }
    }
}

static void builder_number(struct builder *b, uint64_t v)
{
    char digits[21];
    size_t i = sizeof(digits);
    do {
        digits[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    builder_append(b, digits + i, sizeof(digits) - i);
}

/* ---- Build ------------------------------------------------------------------------------- */

/* A label part must be clean text without the ':' that separates issuer and account. */
static int label_part_ok(const char *s)
{
    return s != NULL && s[0] != '\0' && strchr(s, ':') == NULL &&
           text_is_clean((const unsigned char *)s, strlen(s));
}

int totp_uri_build(const totp_uri *uri, char **out)
{
    return totpi_uri_build(uri, 0, out);
}

int totpi_uri_build(const totp_uri *uri, int compact, char **out)
{
    if (out == NULL)
        return TOTP_EINVAL;
    *out = NULL;
    if (uri == NULL || uri->key == NULL || !label_part_ok(uri->account) || uri->account[0] == ' ')
        return TOTP_EINVAL;
    const char *issuer = uri->issuer != NULL && uri->issuer[0] != '\0' ? uri->issuer : NULL;
    if (issuer != NULL && !label_part_ok(issuer))
        return TOTP_EINVAL;
    if (uri->type != TOTP_TYPE_TOTP && uri->type != TOTP_TYPE_HOTP)
        return TOTP_EINVAL;
    if (uri->key_len < TOTP_KEY_MIN || uri->key_len > TOTP_KEY_MAX)
        return TOTP_EKEYLEN;
    int rc = totp_params_check(&uri->params);
    if (rc != TOTP_OK)
        return rc;

    char secret[TOTP_KEY_MAX * 8 / 5 + 2];
    rc = totp_base32_encode(uri->key, uri->key_len, secret, sizeof(secret), 0);
    if (rc != TOTP_OK)
        return rc;

    struct builder b = {NULL, 0, 0, TOTP_OK};
    builder_puts(&b, uri->type == TOTP_TYPE_TOTP ? "otpauth://totp/" : "otpauth://hotp/");
    if (issuer != NULL) {
        builder_encode(&b, issuer);
        builder_puts(&b, ":");
    }
    builder_encode(&b, uri->account);
    builder_puts(&b, "?secret=");
    builder_puts(&b, secret);
    if (issuer != NULL) {
        builder_puts(&b, "&issuer=");
        builder_encode(&b, issuer);
    }
    const totp_params def = TOTP_PARAMS_DEFAULT;
    if (!compact || uri->params.algorithm != def.algorithm) {
        builder_puts(&b, "&algorithm=");
        builder_puts(&b, totp_algorithm_name(uri->params.algorithm));
    }
    if (!compact || uri->params.digits != def.digits) {
        builder_puts(&b, "&digits=");
        builder_number(&b, uri->params.digits);
    }
    if (uri->type == TOTP_TYPE_HOTP) {
        builder_puts(&b, "&counter=");
        builder_number(&b, uri->counter);
    } else if (!compact || uri->params.period != def.period) {
        builder_puts(&b, "&period=");
        builder_number(&b, uri->params.period);
    }
    totp_wipe(secret, sizeof(secret));
    if (b.rc != TOTP_OK) {
        totp_wipe(b.buf, b.cap);
        free(b.buf);
        return b.rc;
    }
    *out = b.buf;
    return TOTP_OK;
}

/* ---- Parse ------------------------------------------------------------------------------- */

/* A decimal number within [min, max], digits only. */
static int parse_number(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
    return totpi_parse_uint(s, strlen(s), max, v) && *v >= min;
}

enum { P_SECRET, P_ISSUER, P_ALGORITHM, P_DIGITS, P_PERIOD, P_COUNTER, P_COUNT };
static const char *const param_names[P_COUNT] = {"secret", "issuer", "algorithm",
                                                 "digits", "period", "counter"};

struct query {
    char *value[P_COUNT];
};

static void query_clear(struct query *q)
{
    for (int i = 0; i < P_COUNT; i++) {
        totp_wipe_string(q->value[i]);
        q->value[i] = NULL;
    }
}

/* Split "k=v&k=v" into the parameters we know; repeats and bad escapes are errors. */
static int query_parse(const char *s, struct query *q)
{
    while (*s != '\0') {
        size_t len = strcspn(s, "&");
        const char *eq = memchr(s, '=', len);
        size_t keylen = eq != NULL ? (size_t)(eq - s) : len;
        for (int i = 0; i < P_COUNT; i++) {
            if (strlen(param_names[i]) != keylen ||
                strncmp(param_names[i], s, keylen) != 0) /* lower case, as every app writes */
                continue;
            if (q->value[i] != NULL || eq == NULL)
                return TOTP_EURI;
            int rc = TOTP_EURI;
            q->value[i] = percent_decode(eq + 1, len - keylen - 1, &rc);
            if (q->value[i] == NULL)
                return rc;
        }
        s += len;
        if (*s == '&')
            s++;
    }
    return TOTP_OK;
}

/* Split the decoded label at the first ':' into issuer and account. */
static int label_parse(const char *raw, size_t len, totp_uri *uri)
{
    int rc = TOTP_EURI;
    char *label = percent_decode(raw, len, &rc);
    if (label == NULL)
        return rc;
    char *colon = strchr(label, ':');
    const char *account = label;
    if (colon != NULL) {
        *colon = '\0';
        account = colon + 1;
        if (label[0] == '\0') {
            free(label);
            return TOTP_EURI;
        }
        uri->issuer = strdup(label);
    }
    /* Google's format allows spaces before the account; they are never part of it. */
    while (*account == ' ')
        account++;
    uri->account = strdup(account);
    free(label);
    if ((colon != NULL && uri->issuer == NULL) || uri->account == NULL)
        return TOTP_ENOMEM;
    return uri->account[0] == '\0' ? TOTP_EURI : TOTP_OK;
}

static int apply_query(struct query *q, totp_uri *uri)
{
    uint64_t v;
    int rc;

    if (q->value[P_SECRET] == NULL)
        return TOTP_EURI;
    uint8_t key[TOTP_KEY_MAX + 1];
    rc = totp_base32_decode(q->value[P_SECRET], key, sizeof(key), &uri->key_len);
    if (rc == TOTP_EBUFFER)
        rc = TOTP_EKEYLEN;
    if (rc == TOTP_OK && (uri->key_len < TOTP_KEY_MIN || uri->key_len > TOTP_KEY_MAX))
        rc = TOTP_EKEYLEN;
    if (rc == TOTP_OK) {
        uri->key = malloc(uri->key_len);
        if (uri->key == NULL)
            rc = TOTP_ENOMEM;
        else
            memcpy(uri->key, key, uri->key_len);
    }
    totp_wipe(key, sizeof(key));
    if (rc != TOTP_OK)
        return rc;

    if (q->value[P_ISSUER] != NULL && q->value[P_ISSUER][0] != '\0') {
        if (uri->issuer == NULL) {
            uri->issuer = q->value[P_ISSUER];
            q->value[P_ISSUER] = NULL;
        } else if (strcmp(uri->issuer, q->value[P_ISSUER]) != 0) {
            return TOTP_EURI; /* the label and the parameter disagree on who issued this */
        }
    }
    if (q->value[P_ALGORITHM] != NULL) {
        rc = totp_algorithm_parse(q->value[P_ALGORITHM], &uri->params.algorithm);
        if (rc != TOTP_OK)
            return rc;
    }
    if (q->value[P_DIGITS] != NULL) {
        if (!parse_number(q->value[P_DIGITS], TOTP_DIGITS_MIN, TOTP_DIGITS_MAX, &v))
            return TOTP_EDIGITS;
        uri->params.digits = (unsigned)v;
    }
    if (q->value[P_PERIOD] != NULL) {
        if (!parse_number(q->value[P_PERIOD], TOTP_PERIOD_MIN, TOTP_PERIOD_MAX, &v))
            return TOTP_EPERIOD;
        uri->params.period = (unsigned)v;
    }
    if (uri->type == TOTP_TYPE_HOTP) {
        if (q->value[P_COUNTER] == NULL ||
            !parse_number(q->value[P_COUNTER], 0, UINT64_MAX, &uri->counter))
            return TOTP_EURI;
    }
    return TOTP_OK;
}

int totp_uri_parse(const char *text, totp_uri *uri)
{
    static const char scheme[] = "otpauth://";
    const totp_params defaults = TOTP_PARAMS_DEFAULT;

    if (uri == NULL)
        return TOTP_EINVAL;
    memset(uri, 0, sizeof(*uri));
    uri->params = defaults;
    if (text == NULL)
        return TOTP_EINVAL;
    if (!totpi_has_prefix_ci(text, scheme))
        return TOTP_EURI;
    const char *p = text + sizeof(scheme) - 1;
    if (totpi_has_prefix_ci(p, "totp/"))
        uri->type = TOTP_TYPE_TOTP;
    else if (totpi_has_prefix_ci(p, "hotp/"))
        uri->type = TOTP_TYPE_HOTP;
    else
        return TOTP_EURI;

    const char *label = p + 5;
    const char *question = strchr(label, '?');
    if (question == NULL || strchr(question, '#') != NULL)
        return TOTP_EURI;

    struct query q = {{NULL}};
    int rc = label_parse(label, (size_t)(question - label), uri);
    if (rc == TOTP_OK)
        rc = query_parse(question + 1, &q);
    if (rc == TOTP_OK)
        rc = apply_query(&q, uri);
    query_clear(&q);
    if (rc != TOTP_OK)
        totp_uri_clear(uri);
    return rc;
}

void totp_uri_clear(totp_uri *uri)
{
    if (uri == NULL)
        return;
    free(uri->issuer);
    free(uri->account);
    totp_wipe(uri->key, uri->key_len);
    free(uri->key);
    memset(uri, 0, sizeof(*uri));
}
