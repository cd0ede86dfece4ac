/* SPDX-License-Identifier: Apache-2.0 */
/* record.c: the record text format (google-authenticator's, plus our keys): parse, validate, write.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "internal.h"
#include "totp.h"

enum line_kind { LINE_OPTION, LINE_SCRATCH };

struct line {
    enum line_kind kind;
    char *key;   /* LINE_OPTION */
    char *value; /* LINE_OPTION: "" for a bare key */
    char scratch[9];
};

struct totp_record {
    char *secret_text; /* line 1 as written, kept so a rewrite changes nothing it need not */
    uint8_t key[TOTP_KEY_MAX];
    size_t key_len;
    struct line *lines;
    size_t n, cap;
};

static int is_scratch_code(const char *s, size_t len)
{
    if (len != 8 || s[0] < '1' || s[0] > '9')
        return 0;
    for (size_t i = 1; i < 8; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
    }
    return 1;
}

/* ---- The line list ------------------------------------------------------------------------ */

static struct line *find_option(const totp_record *rec, const char *key)
{
    for (size_t i = 0; i < rec->n; i++) {
        if (rec->lines[i].kind == LINE_OPTION && strcmp(rec->lines[i].key, key) == 0)
            return &rec->lines[i];
    }
    return NULL;
}

/* Make room for one line at `pos`, shifting the rest down. */
static struct line *insert_line(totp_record *rec, size_t pos)
{
    if (rec->n == rec->cap) {
        size_t cap = rec->cap ? rec->cap * 2 : 16;
        struct line *grown = realloc(rec->lines, cap * sizeof(*grown));
        if (grown == NULL)
            return NULL;
        rec->lines = grown;
        rec->cap = cap;
    }
    memmove(&rec->lines[pos + 1], &rec->lines[pos], (rec->n - pos) * sizeof(struct line));
    rec->n++;
    memset(&rec->lines[pos], 0, sizeof(struct line));
    return &rec->lines[pos];
}

static void clear_line(struct line *l)
{
    free(l->key);
    totp_wipe_string(l->value);
    totp_wipe(l->scratch, sizeof(l->scratch));
    l->key = l->value = NULL;
}

static void remove_line(totp_record *rec, size_t pos)
{
    clear_line(&rec->lines[pos]);
    memmove(&rec->lines[pos], &rec->lines[pos + 1], (rec->n - pos - 1) * sizeof(struct line));
    rec->n--;
}

/* After the last option line, or first of all when there is none. */
static size_t new_option_position(const totp_record *rec)
{
    size_t pos = 0;
    for (size_t i = 0; i < rec->n; i++) {
        if (rec->lines[i].kind == LINE_OPTION)
            pos = i + 1;
    }
    return pos;
}

static int add_option(totp_record *rec, size_t pos, const char *key, size_t keylen,
                      const char *value, size_t valuelen)
{
    char *k = strndup(key, keylen), *v = strndup(value, valuelen);
    struct line *l = k != NULL && v != NULL ? insert_line(rec, pos) : NULL;
    if (l == NULL) {
        free(k);
        totp_wipe_string(v);
        return TOTP_ENOMEM;
    }
    l->kind = LINE_OPTION;
    l->key = k;
    l->value = v;
    return TOTP_OK;
}

/* ---- Parse -------------------------------------------------------------------------------- */

static int set_secret(totp_record *rec, const char *text, size_t len)
{
    rec->secret_text = strndup(text, len);
    if (rec->secret_text == NULL)
        return TOTP_ENOMEM;
    uint8_t buf[TOTP_KEY_MAX + 1];
    int rc = totp_base32_decode(rec->secret_text, buf, sizeof(buf), &rec->key_len);
    if (rc == TOTP_OK && (rec->key_len < TOTP_KEY_MIN || rec->key_len > TOTP_KEY_MAX))
        rc = TOTP_EKEYLEN;
    if (rc == TOTP_EBUFFER)
        rc = TOTP_EKEYLEN;
    if (rc == TOTP_OK)
        memcpy(rec->key, buf, rec->key_len);
    totp_wipe(buf, sizeof(buf));
    return rc;
}

static int parse_option_line(totp_record *rec, const char *s, size_t len, unsigned lineno,
                             totp_error *err)
{
    if (len < 3 || s[1] != ' ')
        return totpi_fail(err, TOTP_EFORMAT, 0, lineno, "line %u: malformed option line", lineno);
    const char *key = s + 2;
    size_t keylen = 0; /* the text need not end in a NUL: stay within the line */
    while (keylen < len - 2 && key[keylen] != ' ' && key[keylen] != '\t')
        keylen++;
    if (!totpi_key_is_well_formed(key, keylen))
        return totpi_fail(err, TOTP_EFORMAT, 0, lineno,
                          "line %u: malformed option name (want upper case, digits, '_')", lineno);
    const char *value = key + keylen, *end = s + len;
    while (value < end && (*value == ' ' || *value == '\t'))
        value++;
    while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
        end--;

    char name[65];
    memcpy(name, key, keylen);
    name[keylen] = '\0';
    if (find_option(rec, name) != NULL)
        return totpi_fail(err, TOTP_EFORMAT, 0, lineno, "line %u: duplicate option %s", lineno,
                          name);
    int rc = add_option(rec, rec->n, key, keylen, value, (size_t)(end - value));
    if (rc != TOTP_OK)
        return totpi_fail(err, rc, 0, lineno, "out of memory");
    const char *why = totpi_check_value(name, rec->lines[rec->n - 1].value);
    if (why != NULL)
        return totpi_fail(err, TOTP_EFORMAT, 0, lineno, "line %u: %s %s", lineno, name, why);
    return TOTP_OK;
}

static int parse_scratch_line(totp_record *rec, const char *s, unsigned lineno, totp_error *err)
{
    for (size_t i = 0; i < rec->n; i++) {
        if (rec->lines[i].kind == LINE_SCRATCH && memcmp(rec->lines[i].scratch, s, 8) == 0)
            return totpi_fail(err, TOTP_EFORMAT, 0, lineno, "line %u: duplicate scratch code",
                              lineno);
    }
    struct line *l = insert_line(rec, rec->n);
    if (l == NULL)
        return totpi_fail(err, TOTP_ENOMEM, 0, lineno, "out of memory");
    l->kind = LINE_SCRATCH;
    memcpy(l->scratch, s, 8);
    l->scratch[8] = '\0';
    return TOTP_OK;
}

static int parse_lines(totp_record *rec, const char *text, size_t len, totp_error *err)
{
    unsigned lineno = 0;
    size_t pos = 0;
    while (pos < len) {
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t linelen = nl != NULL ? (size_t)(nl - s) : len - pos;
        pos += linelen + (nl != NULL);
        lineno++;
        if (linelen > 0 && s[linelen - 1] == '\r')
            linelen--;

        int rc = TOTP_OK;
        if (lineno == 1) {
            size_t trimmed = linelen;
            while (trimmed > 0 && (s[trimmed - 1] == ' ' || s[trimmed - 1] == '\t'))
                trimmed--;
            rc = set_secret(rec, s, trimmed);
            if (rc == TOTP_EBASE32 || rc == TOTP_EKEYLEN)
                return totpi_fail(err, TOTP_EFORMAT, 0, 1, "line 1: the secret %s",
                                  rc == TOTP_EBASE32 ? "is not valid base32"
                                                     : "must be 10 to 64 bytes");
            if (rc != TOTP_OK)
                return totpi_fail(err, rc, 0, 1, "%s", totp_strerror(rc));
        } else if (linelen == 0) {
            continue; /* blank lines carry nothing; google-authenticator skips them too */
        } else if (s[0] == '"') {
            rc = parse_option_line(rec, s, linelen, lineno, err);
        } else if (is_scratch_code(s, linelen)) {
            rc = parse_scratch_line(rec, s, lineno, err);
        } else {
            return totpi_fail(err, TOTP_EFORMAT, 0, lineno,
                              "line %u: neither an option (\" KEY) nor an 8-digit scratch code",
                              lineno);
        }
        if (rc != TOTP_OK)
            return rc; /* the line's parser has filled in `err` */
    }
    return TOTP_OK;
}

int totp_record_parse(const char *text, size_t len, totp_record **out, totp_error *err)
{
    if (out == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "invalid argument");
    *out = NULL;
    if (text == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "invalid argument");
    if (len == 0)
        return totpi_fail(err, TOTP_EFORMAT, 0, 0, "the record is empty");
    if (len > TOTP_RECORD_MAX)
        return totpi_fail(err, TOTP_EFORMAT, 0, 0, "the record is larger than 64 KiB");
    if (memchr(text, '\0', len) != NULL)
        return totpi_fail(err, TOTP_EFORMAT, 0, 0, "the record contains a NUL byte");

    totp_record *rec = calloc(1, sizeof(*rec));
    if (rec == NULL)
        return totpi_fail(err, TOTP_ENOMEM, 0, 0, "out of memory");
    int rc = parse_lines(rec, text, len, err);
    if (rc != TOTP_OK) {
        totp_record_free(rec);
        return rc;
    }
    *out = rec;
    return TOTP_OK;
}

/* ---- Build, read and change --------------------------------------------------------------- */

int totp_record_new(const uint8_t *key, size_t len, const totp_params *params, totp_record **out)
{
    if (out == NULL)
        return TOTP_EINVAL;
    *out = NULL;
    if (key == NULL || params == NULL)
        return TOTP_EINVAL;
    if (len < TOTP_KEY_MIN || len > TOTP_KEY_MAX)
        return TOTP_EKEYLEN;
    int rc = totp_params_check(params);
    if (rc != TOTP_OK)
        return rc;

    char b32[TOTP_KEY_MAX * 2];
    rc = totp_base32_encode(key, len, b32, sizeof(b32), 0);
    totp_record *rec = calloc(1, sizeof(*rec));
    if (rc != TOTP_OK || rec == NULL) {
        free(rec);
        return rc != TOTP_OK ? rc : TOTP_ENOMEM;
    }
    rc = set_secret(rec, b32, strlen(b32));
    totp_wipe(b32, sizeof(b32));

    char digits[4], period[4];
    snprintf(digits, sizeof(digits), "%u", params->digits);
    snprintf(period, sizeof(period), "%u", params->period);
    /* The order google-authenticator writes its own, then ours. */
    if (rc == TOTP_OK)
        rc = totp_record_set(rec, "DISALLOW_REUSE", "");
    if (rc == TOTP_OK)
        rc = totp_record_set(rec, "TOTP_AUTH", "");
    if (rc == TOTP_OK && params->period != 30)
        rc = totp_record_set(rec, "STEP_SIZE", period);
    if (rc == TOTP_OK)
        rc = totp_record_set(rec, "ALGORITHM", totp_algorithm_name(params->algorithm));
    if (rc == TOTP_OK)
        rc = totp_record_set(rec, "DIGITS", digits);
    if (rc != TOTP_OK) {
        totp_record_free(rec);
        return rc;
    }
    *out = rec;
    return TOTP_OK;
}

void totp_record_free(totp_record *rec)
{
    if (rec == NULL)
        return;
    for (size_t i = 0; i < rec->n; i++)
        clear_line(&rec->lines[i]);
    free(rec->lines);
    totp_wipe_string(rec->secret_text);
    totp_wipe(rec, sizeof(*rec));
    free(rec);
}

int totp_record_serialize(const totp_record *rec, char **text, size_t *len)
{
    if (rec == NULL || text == NULL)
        return TOTP_EINVAL;
    *text = NULL;
    size_t size = strlen(rec->secret_text) + 2;
    for (size_t i = 0; i < rec->n; i++) {
        const struct line *l = &rec->lines[i];
        size += l->kind == LINE_SCRATCH ? 9 : strlen(l->key) + strlen(l->value) + 5;
    }
    char *buf = malloc(size);
    if (buf == NULL)
        return TOTP_ENOMEM;
    size_t o = (size_t)snprintf(buf, size, "%s\n", rec->secret_text);
    for (size_t i = 0; i < rec->n; i++) {
        const struct line *l = &rec->lines[i];
        if (l->kind == LINE_SCRATCH)
            o += (size_t)snprintf(buf + o, size - o, "%s\n", l->scratch);
        else if (l->value[0] == '\0')
            o += (size_t)snprintf(buf + o, size - o, "\" %s\n", l->key);
        else
            o += (size_t)snprintf(buf + o, size - o, "\" %s %s\n", l->key, l->value);
    }
    if (o > TOTP_RECORD_MAX) {
        totp_wipe(buf, o);
        free(buf);
        return TOTP_EFORMAT;
    }
    *text = buf;
    if (len != NULL)
        *len = o;
    return TOTP_OK;
}

const char *totp_record_get(const totp_record *rec, const char *key)
{
    if (rec == NULL || key == NULL)
        return NULL;
    const struct line *l = find_option(rec, key);
    return l != NULL ? l->value : NULL;
}

int totp_record_set(totp_record *rec, const char *key, const char *value)
{
    if (rec == NULL || key == NULL || value == NULL)
        return TOTP_EINVAL;
    if (!totpi_key_is_well_formed(key, strlen(key)) || totpi_check_value(key, value) != NULL ||
        value[0] == ' ' || value[0] == '\t' || strchr(value, '\n') != NULL)
        return TOTP_EFORMAT;
    struct line *l = find_option(rec, key);
    if (l == NULL)
        return add_option(rec, new_option_position(rec), key, strlen(key), value, strlen(value));
    char *copy = strdup(value);
    if (copy == NULL)
        return TOTP_ENOMEM;
    totp_wipe_string(l->value);
    l->value = copy;
    return TOTP_OK;
}

int totp_record_unset(totp_record *rec, const char *key)
{
    if (rec == NULL || key == NULL)
        return TOTP_EINVAL;
    for (size_t i = 0; i < rec->n; i++) {
        if (rec->lines[i].kind == LINE_OPTION && strcmp(rec->lines[i].key, key) == 0) {
            remove_line(rec, i);
            break;
        }
    }
    return TOTP_OK;
}

int totp_record_params(const totp_record *rec, const totp_params *defaults, totp_params *out)
{
    if (rec == NULL || defaults == NULL || out == NULL)
        return TOTP_EINVAL;
    *out = *defaults;
    const char *v;
    uint64_t n;
    if ((v = totp_record_get(rec, "ALGORITHM")) != NULL &&
        totp_algorithm_parse(v, &out->algorithm) != TOTP_OK)
        return TOTP_EFORMAT;
    if ((v = totp_record_get(rec, "DIGITS")) != NULL) {
        if (!totpi_parse_uint(v, strlen(v), TOTP_DIGITS_MAX, &n))
            return TOTP_EFORMAT;
        out->digits = (unsigned)n;
    }
    if ((v = totp_record_get(rec, "STEP_SIZE")) != NULL) {
        if (!totpi_parse_uint(v, strlen(v), TOTP_PERIOD_MAX, &n))
            return TOTP_EFORMAT;
        out->period = (unsigned)n;
    }
    return totp_params_check(out);
}

int totp_record_key(const totp_record *rec, const totp_params *defaults, totp_key **key)
{
    totp_params p;
    if (key == NULL)
        return TOTP_EINVAL;
    *key = NULL;
    int rc = totp_record_params(rec, defaults, &p);
    if (rc != TOTP_OK)
        return rc;
    return totp_key_new(rec->key, rec->key_len, &p, key);
}

int totpi_record_key_with(const totp_record *rec, const totp_params *params, totp_key **key)
{
    return totp_key_new(rec->key, rec->key_len, params, key);
}

int totp_record_secret(const totp_record *rec, uint8_t out[TOTP_KEY_MAX], size_t *len)
{
    if (rec == NULL || out == NULL || len == NULL)
        return TOTP_EINVAL;
    memcpy(out, rec->key, rec->key_len);
    *len = rec->key_len;
    return TOTP_OK;
}

size_t totpi_record_scratch_codes(const totp_record *rec, char (*codes)[9], size_t max)
{
    size_t count = 0;
    for (size_t i = 0; rec != NULL && i < rec->n; i++) {
        if (rec->lines[i].kind != LINE_SCRATCH)
            continue;
        if (codes != NULL && count < max)
            memcpy(codes[count], rec->lines[i].scratch, 9);
        count++;
    }
    return count;
}

size_t totp_record_scratch_count(const totp_record *rec)
{
    /* Plain codes (files), and hashed ones (a directory's, in SCRATCH_HASH). */
    size_t count = totpi_record_scratch_codes(rec, NULL, 0), len;
    const char *list = totp_record_get(rec, TOTPI_SCRATCH_HASH_KEY), *tok;
    for (; list != NULL && (tok = totpi_next_token(list, &len)) != NULL; list = tok + len)
        count++;
    return count;
}

int totp_record_set_scratch(totp_record *rec, const uint32_t *codes, size_t n)
{
    if (rec == NULL || (codes == NULL && n > 0) || n > TOTP_SCRATCH_COUNT_MAX)
        return TOTP_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (codes[i] < TOTP_SCRATCH_MIN || codes[i] > TOTP_SCRATCH_MAX)
            return TOTP_EINVAL;
    }
    /* Reserve first, so that a failure leaves the old codes in place. */
    size_t keep = rec->n - totp_record_scratch_count(rec);
    if (keep + n > rec->cap) {
        struct line *grown = realloc(rec->lines, (keep + n) * sizeof(*grown));
        if (grown == NULL)
            return TOTP_ENOMEM;
        rec->lines = grown;
        rec->cap = keep + n;
    }
    /* The new set replaces every old code, plain or hashed. */
    for (size_t i = rec->n; i > 0; i--) {
        const struct line *l = &rec->lines[i - 1];
        if (l->kind == LINE_SCRATCH ||
            (l->kind == LINE_OPTION && strcmp(l->key, TOTPI_SCRATCH_HASH_KEY) == 0))
            remove_line(rec, i - 1);
    }
    for (size_t i = 0; i < n; i++) {
        struct line *l = insert_line(rec, rec->n);
        l->kind = LINE_SCRATCH;
        snprintf(l->scratch, sizeof(l->scratch), "%08u", (unsigned)codes[i]);
    }
    return TOTP_OK;
}

int totp_record_replace_secret(totp_record *rec, const totp_record *from)
{
    /* What describes the secret and the device that holds it: from `from`, or gone. The used
     * steps too: the old ones were the old secret's codes (kept, a watermark ahead with the old
     * phone's clock would refuse the new phone's codes for as long); `from`'s hold the step of
     * the code that confirmed the new secret. */
    static const char *const secret_keys[] = {
        "TOTP_AUTH", "HOTP_COUNTER",        "STEP_SIZE", "ALGORITHM",     "DIGITS",
        "TIME_SKEW", "RESETTING_TIME_SKEW", "TOTP_USED", "DISALLOW_REUSE"};
    char codes[TOTP_SCRATCH_COUNT_MAX][9];
    uint32_t scratch[TOTP_SCRATCH_COUNT_MAX];
    if (rec == NULL || from == NULL || from->secret_text == NULL)
        return TOTP_EINVAL;
    size_t n = totpi_record_scratch_codes(from, codes, TOTP_SCRATCH_COUNT_MAX);
    if (n > TOTP_SCRATCH_COUNT_MAX)
        return TOTP_EINVAL;
    for (size_t i = 0; i < n; i++)
        scratch[i] = (uint32_t)strtoul(codes[i], NULL, 10);
    char *text = strdup(from->secret_text);
    int rc = text != NULL ? totp_record_set_scratch(rec, scratch, n) : TOTP_ENOMEM;
    for (size_t i = 0; rc == TOTP_OK && i < sizeof(secret_keys) / sizeof(secret_keys[0]); i++) {
        const char *v = totp_record_get(from, secret_keys[i]);
        rc = v != NULL ? totp_record_set(rec, secret_keys[i], v)
                       : totp_record_unset(rec, secret_keys[i]);
    }
    if (rc == TOTP_OK) {
        totp_wipe_string(rec->secret_text);
        rec->secret_text = text;
        memcpy(rec->key, from->key, sizeof(rec->key));
        rec->key_len = from->key_len;
        text = NULL;
    }
    totp_wipe_string(text);
    totp_wipe(codes, sizeof(codes));
    totp_wipe(scratch, sizeof(scratch));
    return rc;
}

int totpi_record_take_scratch(totp_record *rec, const char *code)
{
    /* Compare against every code without stopping early; remove the match afterwards. */
    size_t match = 0;
    uint64_t found = 0;
    for (size_t i = 0; i < rec->n; i++) {
        uint64_t is = rec->lines[i].kind == LINE_SCRATCH ? ~(uint64_t)0 : 0;
        uint64_t eq =
            totpi_ct_is_zero((uint64_t)(unsigned)CRYPTO_memcmp(rec->lines[i].scratch, code, 8));
        uint64_t take = is & eq & ~found;
        match = (size_t)(((uint64_t)match & ~take) | ((uint64_t)i & take));
        found |= take;
    }
    if (!found)
        return 0;
    remove_line(rec, match);
    return 1;
}

int totp_record_uri(const totp_record *rec, const totp_params *defaults, const char *issuer,
                    const char *account, char **uri)
{
    if (uri == NULL)
        return TOTP_EINVAL;
    *uri = NULL;
    totp_uri u = {TOTP_TYPE_TOTP, NULL, NULL, NULL, 0, TOTP_PARAMS_DEFAULT, 0};
    int rc = totp_record_params(rec, defaults, &u.params);
    if (rc != TOTP_OK)
        return rc;
    const char *v = totp_record_get(rec, "ISSUER");
    u.issuer = (char *)(v != NULL ? v : issuer);
    v = totp_record_get(rec, "ACCOUNT");
    u.account = (char *)(v != NULL ? v : account);
    u.key = (uint8_t *)rec->key;
    u.key_len = rec->key_len;
    if ((v = totp_record_get(rec, "HOTP_COUNTER")) != NULL) {
        u.type = TOTP_TYPE_HOTP;
        if (!totpi_parse_uint(v, strlen(v), INT64_MAX, &u.counter))
            return TOTP_EFORMAT;
    }
    return totp_uri_build(&u, uri);
}

int totp_record_last_step(const totp_record *rec, uint64_t *step)
{
    if (rec == NULL || step == NULL)
        return TOTP_EINVAL;
    const char *list = totp_record_get(rec, "DISALLOW_REUSE"), *tok;
    size_t len;
    uint64_t v;
    int found = 0;
    *step = 0;
    for (; list != NULL && (tok = totpi_next_token(list, &len)) != NULL; list = tok + len) {
        if (totpi_parse_uint(tok, len, INT64_MAX, &v) && (!found || v > *step)) {
            *step = v;
            found = 1;
        }
    }
    return found ? TOTP_OK : TOTP_ENOENT;
}
