/* SPDX-License-Identifier: Apache-2.0 */
/* check_record.c: the record format: GA files round-trip, extensions, and every malformed case. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "totp.h"
#include "unit.h"

#define SEED "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n"

static char *read_data(const char *name, size_t *len)
{
    const char *srcdir = getenv("srcdir");
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/data/records/%s", srcdir ? srcdir : ".", name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char *buf = calloc(1, TOTP_RECORD_MAX + 1);
    *len = fread(buf, 1, TOTP_RECORD_MAX, f);
    fclose(f);
    return buf;
}

/* ga-cli-*: written by google-authenticator's own CLI (Debian 12's libpam-google-authenticator:
 * -t -d -r 3 -R 30 -w 3; -c -u -w 17 -e 3; -t -D -u -W -S 60 -e 0). The rest follow its format
 * with the state its PAM module writes after logins. */
static const char *const corpus[] = {
    "ga-cli-totp.txt",      "ga-cli-hotp.txt",  "ga-cli-step60.txt", "ga-default.txt",
    "ga-minimal-80bit.txt", "ga-hotp.txt",      "ga-skew.txt",       "ga-grace.txt",
    "ours-sha256.txt",      "unknown-keys.txt", "scratch-only.txt",
};

START_TEST(corpus_round_trips_byte_for_byte)
{
    size_t len, outlen;
    char *text = read_data(corpus[_i], &len), *out = NULL;
    totp_record *rec = NULL;
    totp_error err = {0};
    ck_assert_msg(totp_record_parse(text, len, &rec, &err) == TOTP_OK, "%s: %s", corpus[_i],
                  err.message);
    ck_assert_int_eq(totp_record_serialize(rec, &out, &outlen), TOTP_OK);
    ck_assert_uint_eq(outlen, len);
    ck_assert_str_eq(out, text);
    totp_wipe_string(out);
    totp_record_free(rec);
    free(text);
}
END_TEST

START_TEST(corpus_survives_a_state_change)
{
    /* Changing the state of a record keeps every other line, in order. */
    size_t len;
    char *text = read_data(corpus[_i], &len), *out = NULL;
    totp_record *rec = NULL;
    ck_assert_int_eq(totp_record_parse(text, len, &rec, NULL), TOTP_OK);
    ck_assert_int_eq(totp_record_set(rec, "DISALLOW_REUSE", "70000000"), TOTP_OK);
    ck_assert_int_eq(totp_record_serialize(rec, &out, NULL), TOTP_OK);
    char *line = strtok(text, "\n");
    const char *cursor = out;
    while (line != NULL) {
        if (strncmp(line, "\" DISALLOW_REUSE", 16) != 0) {
            const char *at = strstr(cursor, line);
            ck_assert_msg(at != NULL, "%s: lost or reordered line \"%s\"", corpus[_i], line);
            cursor = at + strlen(line);
        }
        line = strtok(NULL, "\n");
    }
    ck_assert_ptr_nonnull(strstr(out, "\" DISALLOW_REUSE 70000000\n"));
    totp_wipe_string(out);
    totp_record_free(rec);
    free(text);
}
END_TEST

START_TEST(ga_file_values_are_read)
{
    size_t len;
    char *text = read_data("ga-default.txt", &len);
    totp_record *rec = NULL;
    totp_params defaults = TOTP_PARAMS_DEFAULT, p;
    ck_assert_int_eq(totp_record_parse(text, len, &rec, NULL), TOTP_OK);
    ck_assert_str_eq(totp_record_get(rec, "RATE_LIMIT"), "3 30 1795765562");
    ck_assert_str_eq(totp_record_get(rec, "TOTP_AUTH"), "");
    ck_assert_ptr_null(totp_record_get(rec, "HOTP_COUNTER"));
    ck_assert_uint_eq(totp_record_scratch_count(rec), 5);
    ck_assert_int_eq(totp_record_params(rec, &defaults, &p), TOTP_OK);
    ck_assert_int_eq(p.algorithm, TOTP_SHA1);
    ck_assert_uint_eq(p.digits, 6);
    ck_assert_uint_eq(p.period, 30);
    uint8_t key[TOTP_KEY_MAX];
    size_t keylen;
    ck_assert_int_eq(totp_record_secret(rec, key, &keylen), TOTP_OK);
    ck_assert_uint_eq(keylen, 20);
    ck_assert(memcmp(key, "12345678901234567890", 20) == 0);
    totp_record_free(rec);
    free(text);
}
END_TEST

START_TEST(extension_keys_give_parameters)
{
    size_t len;
    char *text = read_data("ours-sha256.txt", &len);
    totp_record *rec = NULL;
    totp_params defaults = {TOTP_SHA512, 7, 30}, p;
    ck_assert_int_eq(totp_record_parse(text, len, &rec, NULL), TOTP_OK);
    ck_assert_int_eq(totp_record_params(rec, &defaults, &p), TOTP_OK);
    ck_assert_int_eq(p.algorithm, TOTP_SHA256);
    ck_assert_uint_eq(p.digits, 8);
    ck_assert_uint_eq(p.period, 60);
    totp_record_free(rec);
    free(text);

    /* Silent records take the defaults. */
    text = tu_record_text("\" TOTP_AUTH\n");
    ck_assert_int_eq(totp_record_parse(text, strlen(text), &rec, NULL), TOTP_OK);
    ck_assert_int_eq(totp_record_params(rec, &defaults, &p), TOTP_OK);
    ck_assert_int_eq(p.algorithm, TOTP_SHA512);
    ck_assert_uint_eq(p.digits, 7);
    totp_record_free(rec);
    free(text);
}
END_TEST

static const struct {
    const char *text;
    const char *message;
    unsigned line;
} malformed[] = {
    {"NOT*BASE32\n", "line 1: the secret is not valid base32", 1},
    {"MZXW6YTB\n\" TOTP_AUTH\n", "line 1: the secret must be 10 to 64 bytes", 1},
    {"\n\" TOTP_AUTH\n", "line 1: the secret must be 10 to 64 bytes", 1},
    {SEED "\" TOTP_AUTH\n\" TOTP_AUTH\n", "line 3: duplicate option TOTP_AUTH", 3},
    {SEED "\" STEP_SIZE 0\n", "line 2: STEP_SIZE must be 1 to 300 seconds", 2},
    {SEED "\" STEP_SIZE 301\n", "line 2: STEP_SIZE must be 1 to 300 seconds", 2},
    {SEED "\" STEP_SIZE thirty\n", "line 2: STEP_SIZE must be 1 to 300 seconds", 2},
    {SEED "\" WINDOW_SIZE 0\n", "line 2: WINDOW_SIZE must be 1 to 100", 2},
    {SEED "\" WINDOW_SIZE 101\n", "line 2: WINDOW_SIZE must be 1 to 100", 2},
    {SEED "\" DIGITS 9\n", "line 2: DIGITS must be 6, 7 or 8", 2},
    {SEED "\" DIGITS 5\n", "line 2: DIGITS must be 6, 7 or 8", 2},
    {SEED "\" ALGORITHM MD5\n", "line 2: ALGORITHM must be SHA1, SHA256 or SHA512", 2},
    {SEED "\" HOTP_COUNTER 0\n", "line 2: HOTP_COUNTER must be a counter of at least 1", 2},
    {SEED "\" HOTP_COUNTER -1\n", "line 2: HOTP_COUNTER must be a counter of at least 1", 2},
    {SEED "\" RATE_LIMIT 0 30\n", "line 2: RATE_LIMIT must be ATTEMPTS (1-100)", 2},
    {SEED "\" RATE_LIMIT 3\n", "line 2: RATE_LIMIT must be ATTEMPTS (1-100)", 2},
    {SEED "\" RATE_LIMIT 3 3601\n", "line 2: RATE_LIMIT must be ATTEMPTS (1-100)", 2},
    {SEED "\" RATE_LIMIT 3 30 x\n", "line 2: RATE_LIMIT must be ATTEMPTS (1-100)", 2},
    {SEED "\" DISALLOW_REUSE 1 -2\n", "line 2: DISALLOW_REUSE must be a list", 2},
    {SEED "\" TIME_SKEW x\n", "line 2: TIME_SKEW must be a whole number of steps", 2},
    {SEED "\" TIME_SKEW 99999999\n", "line 2: TIME_SKEW must be a whole number of steps", 2},
    {SEED "\" RESETTING_TIME_SKEW 123\n", "line 2: RESETTING_TIME_SKEW must be a list", 2},
    {SEED "\" TOTP_AUTH yes\n", "line 2: TOTP_AUTH takes no value", 2},
    {SEED "\" FAILURES 1\n", "line 2: FAILURES must be COUNT TIMESTAMP", 2},
    {SEED "\" LAST_SUCCESS soon\n", "line 2: LAST_SUCCESS must be a Unix time", 2},
    {SEED "\"TOTP_AUTH\n", "line 2: malformed option line", 2},
    {SEED "\"\n", "line 2: malformed option line", 2},
    {SEED "\" totp_auth\n", "line 2: malformed option name", 2},
    {SEED "\" TOTP-AUTH\n", "line 2: malformed option name", 2},
    {SEED "\" 1KEY\n", "line 2: malformed option name", 2},
    {SEED "\" KEY val\x01ue\n", "line 2: KEY contains a control character", 2},
    {SEED "1234567\n", "line 2: neither an option", 2},
    {SEED "01234567\n", "line 2: neither an option", 2},
    {SEED "123456789\n", "line 2: neither an option", 2},
    {SEED " 12345678\n", "line 2: neither an option", 2},
    {SEED "hello\n", "line 2: neither an option", 2},
    {SEED "\" TOTP_AUTH\n\n\n# comment\n", "line 5: neither an option", 5},
    {SEED "12345678\n87654321\n12345678\n", "line 4: duplicate scratch code", 4},
};

START_TEST(malformed_records_name_line_and_reason)
{
    totp_record *rec = (totp_record *)&rec;
    totp_error err = {0};
    const char *text = malformed[_i].text;
    ck_assert_int_eq(totp_record_parse(text, strlen(text), &rec, &err), TOTP_EFORMAT);
    ck_assert_ptr_null(rec);
    ck_assert_int_eq(err.code, TOTP_EFORMAT);
    ck_assert_uint_eq(err.line, malformed[_i].line);
    ck_assert_msg(strncmp(err.message, malformed[_i].message, strlen(malformed[_i].message)) == 0,
                  "case %d: got \"%s\", want \"%s...\"", _i, err.message, malformed[_i].message);
    /* Neither the secret nor a scratch code ever appears in a message. */
    ck_assert_ptr_null(strstr(err.message, "GEZDGNBV"));
    ck_assert_ptr_null(strstr(err.message, "12345678"));
    ck_assert_ptr_null(strchr(err.message, '\n'));
}
END_TEST

START_TEST(whole_file_limits)
{
    totp_record *rec = NULL;
    totp_error err = {0};
    ck_assert_int_eq(totp_record_parse("", 0, &rec, &err), TOTP_EFORMAT);
    ck_assert_str_eq(err.message, "the record is empty");
    size_t big = TOTP_RECORD_MAX + 1;
    char *text = malloc(big);
    memset(text, 'A', big);
    ck_assert_int_eq(totp_record_parse(text, big, &rec, &err), TOTP_EFORMAT);
    ck_assert_str_eq(err.message, "the record is larger than 64 KiB");
    free(text);
    static const char nul[] = SEED "\" TOTP_AUTH\n\0\n";
    ck_assert_int_eq(totp_record_parse(nul, sizeof(nul) - 1, &rec, &err), TOTP_EFORMAT);
    ck_assert_str_eq(err.message, "the record contains a NUL byte");
    ck_assert_int_eq(totp_record_parse(NULL, 3, &rec, &err), TOTP_EINVAL);
    ck_assert_int_eq(totp_record_parse("x", 1, NULL, &err), TOTP_EINVAL);
}
END_TEST

START_TEST(text_without_a_final_nul_is_read_within_its_length)
{
    /* Found by fuzz_record: scans of the last line read up to a NUL, past `len`. The buffers
     * here hold exactly `len` bytes, so the sanitizer build catches any read beyond. */
    static const char *const texts[] = {"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n\" TOTP_AUTH",
                                        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n12345678"};
    for (size_t i = 0; i < 2; i++) {
        size_t len = strlen(texts[i]);
        char *exact = malloc(len);
        totp_record *rec = NULL;
        memcpy(exact, texts[i], len);
        ck_assert_int_eq(totp_record_parse(exact, len, &rec, NULL), TOTP_OK);
        ck_assert_uint_eq(totp_record_scratch_count(rec), i);
        totp_record_free(rec);
        free(exact);
    }
}
END_TEST

START_TEST(crlf_blank_lines_and_spaces_are_tolerated)
{
    static const char text[] = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ  \r\n\r\n\" TOTP_AUTH\r\n"
                               "\" WINDOW_SIZE   5  \r\n\n12345678\r\n";
    totp_record *rec = NULL;
    char *out = NULL;
    ck_assert_int_eq(totp_record_parse(text, strlen(text), &rec, NULL), TOTP_OK);
    ck_assert_str_eq(totp_record_get(rec, "WINDOW_SIZE"), "5");
    ck_assert_uint_eq(totp_record_scratch_count(rec), 1);
    ck_assert_int_eq(totp_record_serialize(rec, &out, NULL), TOTP_OK);
    ck_assert_str_eq(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n\" TOTP_AUTH\n\" WINDOW_SIZE 5\n"
                          "12345678\n");
    totp_wipe_string(out);
    totp_record_free(rec);
}
END_TEST

START_TEST(lower_case_and_spaced_secret_accepted)
{
    static const char text[] = "gezd gnbv gy3t qojq gezd gnbv gy3t qojq\n\" TOTP_AUTH\n";
    totp_record *rec = NULL;
    uint8_t key[TOTP_KEY_MAX];
    size_t len;
    ck_assert_int_eq(totp_record_parse(text, strlen(text), &rec, NULL), TOTP_OK);
    ck_assert_int_eq(totp_record_secret(rec, key, &len), TOTP_OK);
    ck_assert_uint_eq(len, 20);
    ck_assert(memcmp(key, "12345678901234567890", 20) == 0);
    totp_record_free(rec);
}
END_TEST

START_TEST(new_record_is_ga_readable)
{
    const uint8_t key[20] = "12345678901234567890";
    totp_params p = TOTP_PARAMS_DEFAULT;
    totp_record *rec = NULL;
    char *out = NULL;
    ck_assert_int_eq(totp_record_new(key, sizeof(key), &p, &rec), TOTP_OK);
    ck_assert_int_eq(totp_record_serialize(rec, &out, NULL), TOTP_OK);
    ck_assert_str_eq(out, SEED "\" DISALLOW_REUSE\n\" TOTP_AUTH\n\" ALGORITHM SHA1\n\" DIGITS 6\n");
    totp_wipe_string(out);
    totp_record_free(rec);

    totp_params q = {TOTP_SHA256, 8, 60};
    ck_assert_int_eq(totp_record_new(key, sizeof(key), &q, &rec), TOTP_OK);
    ck_assert_str_eq(totp_record_get(rec, "STEP_SIZE"), "60");
    ck_assert_str_eq(totp_record_get(rec, "ALGORITHM"), "SHA256");
    ck_assert_str_eq(totp_record_get(rec, "DIGITS"), "8");
    totp_record_free(rec);

    q.digits = 9;
    ck_assert_int_eq(totp_record_new(key, sizeof(key), &q, &rec), TOTP_EDIGITS);
    ck_assert_int_eq(totp_record_new(key, 9, &p, &rec), TOTP_EKEYLEN);
}
END_TEST

START_TEST(set_and_unset_options)
{
    char *text = tu_record_text("\" TOTP_AUTH\n\" OTHER 1\n11111111\n");
    totp_record *rec = NULL;
    char *out = NULL;
    ck_assert_int_eq(totp_record_parse(text, strlen(text), &rec, NULL), TOTP_OK);
    ck_assert_int_eq(totp_record_set(rec, "WINDOW_SIZE", "5"), TOTP_OK);
    ck_assert_int_eq(totp_record_set(rec, "OTHER", "2 3"), TOTP_OK);
    ck_assert_int_eq(totp_record_unset(rec, "TOTP_AUTH"), TOTP_OK);
    ck_assert_int_eq(totp_record_unset(rec, "ABSENT"), TOTP_OK);
    ck_assert_int_eq(totp_record_serialize(rec, &out, NULL), TOTP_OK);
    ck_assert_str_eq(out, SEED "\" OTHER 2 3\n\" WINDOW_SIZE 5\n11111111\n");
    totp_wipe_string(out);

    ck_assert_int_eq(totp_record_set(rec, "WINDOW_SIZE", "500"), TOTP_EFORMAT);
    ck_assert_str_eq(totp_record_get(rec, "WINDOW_SIZE"), "5");
    ck_assert_int_eq(totp_record_set(rec, "lower", "1"), TOTP_EFORMAT);
    ck_assert_int_eq(totp_record_set(rec, "OTHER", "a\nb"), TOTP_EFORMAT);
    ck_assert_int_eq(totp_record_set(rec, "OTHER", " lead"), TOTP_EFORMAT);
    ck_assert_int_eq(totp_record_set(rec, NULL, "1"), TOTP_EINVAL);
    totp_record_free(rec);
    free(text);
}
END_TEST

START_TEST(scratch_codes_replaced_as_a_set)
{
    char *text = tu_record_text("\" TOTP_AUTH\n11111111\n22222222\n");
    totp_record *rec = NULL;
    char *out = NULL;
    const uint32_t fresh[3] = {30000000, 40000000, 99999999};
    const uint32_t bad[2] = {50000000, 9999999};
    ck_assert_int_eq(totp_record_parse(text, strlen(text), &rec, NULL), TOTP_OK);
    ck_assert_int_eq(totp_record_set_scratch(rec, bad, 2), TOTP_EINVAL);
    ck_assert_uint_eq(totp_record_scratch_count(rec), 2);
    ck_assert_int_eq(totp_record_set_scratch(rec, fresh, 3), TOTP_OK);
    ck_assert_uint_eq(totp_record_scratch_count(rec), 3);
    ck_assert_int_eq(totp_record_set(rec, "WINDOW_SIZE", "3"), TOTP_OK);
    ck_assert_int_eq(totp_record_serialize(rec, &out, NULL), TOTP_OK);
    ck_assert_str_eq(out, SEED "\" TOTP_AUTH\n\" WINDOW_SIZE 3\n30000000\n40000000\n99999999\n");
    totp_wipe_string(out);
    ck_assert_int_eq(totp_record_set_scratch(rec, NULL, 0), TOTP_OK);
    ck_assert_uint_eq(totp_record_scratch_count(rec), 0);
    totp_record_free(rec);
    free(text);
}
END_TEST

START_TEST(serialize_refuses_oversized_record)
{
    char *text = tu_record_text("\" TOTP_AUTH\n");
    totp_record *rec = NULL;
    char *out = NULL;
    ck_assert_int_eq(totp_record_parse(text, strlen(text), &rec, NULL), TOTP_OK);
    char *big = malloc(TOTP_RECORD_MAX);
    memset(big, 'x', TOTP_RECORD_MAX - 1);
    big[TOTP_RECORD_MAX - 1] = '\0';
    ck_assert_int_eq(totp_record_set(rec, "HUGE", big), TOTP_OK);
    ck_assert_int_eq(totp_record_serialize(rec, &out, NULL), TOTP_EFORMAT);
    ck_assert_ptr_null(out);
    free(big);
    totp_record_free(rec);
    free(text);
}
END_TEST

START_TEST(record_key_computes_rfc_codes)
{
    char *text = tu_record_text("\" TOTP_AUTH\n\" DIGITS 8\n");
    totp_record *rec = NULL;
    totp_key *key = NULL;
    totp_params defaults = TOTP_PARAMS_DEFAULT;
    char code[TOTP_CODE_BUFSIZE];
    ck_assert_int_eq(totp_record_parse(text, strlen(text), &rec, NULL), TOTP_OK);
    ck_assert_int_eq(totp_record_key(rec, &defaults, &key), TOTP_OK);
    ck_assert_int_eq(totp_hotp(key, 1, code), TOTP_OK);
    ck_assert_str_eq(code, "94287082"); /* RFC 6238, T = 59 s */
    totp_key_free(key);
    totp_record_free(rec);
    free(text);
}
END_TEST

/* The watermark is the highest step listed, wherever it stands, not the first one. */
START_TEST(last_step_is_the_highest_listed)
{
    static const struct {
        const char *text;
        int rc;
        uint64_t step;
    } cases[] = {
        {"JBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n\" DISALLOW_REUSE 59858851 59858850\n", TOTP_OK,
         59858851},
        {"JBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n\" DISALLOW_REUSE 7\n", TOTP_OK, 7},
        {"JBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n\" DISALLOW_REUSE\n", TOTP_ENOENT, 0},
        {"JBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n", TOTP_ENOENT, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        totp_record *rec = NULL;
        uint64_t step = 1;
        ck_assert_int_eq(totp_record_parse(cases[i].text, strlen(cases[i].text), &rec, NULL),
                         TOTP_OK);
        ck_assert_int_eq(totp_record_last_step(rec, &step), cases[i].rc);
        ck_assert_uint_eq(step, cases[i].step);
        totp_record_free(rec);
    }
    ck_assert_int_eq(totp_record_last_step(NULL, NULL), TOTP_EINVAL);
}
END_TEST

/* A lost phone: the new secret and what describes it, new scratch codes, its used steps; every
 * other key stays (SPEC: writing a record never loses a key). */
START_TEST(replace_secret_keeps_every_other_key)
{
    static const char old_text[] =
        "JBSWY3DPEHPK3PXP\n\" HOTP_COUNTER 5\n\" WINDOW_SIZE 5\n\" RATE_LIMIT 3 30\n"
        "\" TIME_SKEW 4\n\" RESETTING_TIME_SKEW 100+4\n\" ALGORITHM SHA256\n\" DIGITS 8\n"
        "\" STEP_SIZE 60\n\" ISSUER x\n\" FOO bar\n\" LAST_SUCCESS 1700000000\n"
        "\" TOTP_USED 100 101 105\n\" DISALLOW_REUSE 100 101 105\n11111111\n22222222\n";
    static const char new_text[] =
        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n\" DISALLOW_REUSE 98 103\n\" TOTP_AUTH\n"
        "\" ALGORITHM SHA1\n\" DIGITS 6\n\" ISSUER y\n\" TOTP_USED 98 103\n33333333\n";
    totp_record *rec = NULL, *from = NULL;
    char *out = NULL;
    ck_assert_int_eq(totp_record_parse(old_text, strlen(old_text), &rec, NULL), TOTP_OK);
    ck_assert_int_eq(totp_record_parse(new_text, strlen(new_text), &from, NULL), TOTP_OK);
    ck_assert_int_eq(totp_record_replace_secret(rec, from), TOTP_OK);
    ck_assert_int_eq(totp_record_serialize(rec, &out, NULL), TOTP_OK);
    /* Kept where they were; the secret's keys and used steps from the new record (the old
     * secret's, 100 to 105, would refuse the new secret's codes of those steps); the old
     * device's skew gone. */
    ck_assert_str_eq(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n\" WINDOW_SIZE 5\n"
                          "\" RATE_LIMIT 3 30\n\" ALGORITHM SHA1\n\" DIGITS 6\n"
                          "\" ISSUER x\n\" FOO bar\n\" LAST_SUCCESS 1700000000\n"
                          "\" TOTP_USED 98 103\n\" DISALLOW_REUSE 98 103\n"
                          "\" TOTP_AUTH\n33333333\n");
    totp_wipe_string(out);
    uint8_t key[TOTP_KEY_MAX];
    size_t len = 0;
    ck_assert_int_eq(totp_record_secret(rec, key, &len), TOTP_OK);
    ck_assert_uint_eq(len, 20);
    ck_assert_int_eq(memcmp(key, "12345678901234567890", 20), 0);
    ck_assert_int_eq(totp_record_replace_secret(rec, NULL), TOTP_EINVAL);
    totp_record_free(rec);
    totp_record_free(from);
}
END_TEST

static Suite *record_suite(void)
{
    Suite *s = suite_create("record");
    TCase *tc = tcase_create("corpus");
    tcase_add_loop_test(tc, corpus_round_trips_byte_for_byte, 0,
                        sizeof(corpus) / sizeof(corpus[0]));
    tcase_add_loop_test(tc, corpus_survives_a_state_change, 0, sizeof(corpus) / sizeof(corpus[0]));
    tcase_add_test(tc, ga_file_values_are_read);
    tcase_add_test(tc, extension_keys_give_parameters);
    suite_add_tcase(s, tc);

    tc = tcase_create("malformed");
    tcase_add_loop_test(tc, malformed_records_name_line_and_reason, 0,
                        sizeof(malformed) / sizeof(malformed[0]));
    tcase_add_test(tc, whole_file_limits);
    tcase_add_test(tc, text_without_a_final_nul_is_read_within_its_length);
    tcase_add_test(tc, crlf_blank_lines_and_spaces_are_tolerated);
    tcase_add_test(tc, lower_case_and_spaced_secret_accepted);
    suite_add_tcase(s, tc);

    tc = tcase_create("edit");
    tcase_add_test(tc, new_record_is_ga_readable);
    tcase_add_test(tc, set_and_unset_options);
    tcase_add_test(tc, scratch_codes_replaced_as_a_set);
    tcase_add_test(tc, serialize_refuses_oversized_record);
    tcase_add_test(tc, record_key_computes_rfc_codes);
    tcase_add_test(tc, last_step_is_the_highest_listed);
    tcase_add_test(tc, replace_secret_keeps_every_other_key);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(record_suite)
