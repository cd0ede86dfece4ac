/* SPDX-License-Identifier: Apache-2.0 */
/* check_otp.c: HOTP/TOTP against the RFC 4226 and RFC 6238 vectors, and the window scan. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "totp.h"
#include "unit.h"

static const char rfc_seed_sha1[] = "12345678901234567890";
static const char rfc_seed_sha256[] = "12345678901234567890123456789012";
static const char rfc_seed_sha512[] =
    "1234567890123456789012345678901234567890123456789012345678901234";

static totp_key *make_key(const char *seed, totp_algorithm alg, unsigned digits)
{
    totp_params p = {alg, digits, 30};
    totp_key *key = NULL;
    ck_assert_int_eq(totp_key_new((const uint8_t *)seed, strlen(seed), &p, &key), TOTP_OK);
    ck_assert_ptr_nonnull(key);
    return key;
}

/* RFC 4226 Appendix D. */
static const char *const rfc4226_codes[10] = {"755224", "287082", "359152", "969429", "338314",
                                              "254676", "287922", "162583", "399871", "520489"};

START_TEST(rfc4226_hotp_vectors)
{
    totp_key *key = make_key(rfc_seed_sha1, TOTP_SHA1, 6);
    char code[TOTP_CODE_BUFSIZE];
    ck_assert_int_eq(totp_hotp(key, (uint64_t)_i, code), TOTP_OK);
    ck_assert_str_eq(code, rfc4226_codes[_i]);
    totp_key_free(key);
}
END_TEST

/* RFC 6238 Appendix B: 6 times x 3 algorithms, 8 digits, 30 s steps. */
static const struct {
    int64_t time;
    totp_algorithm alg;
    const char *code;
} rfc6238[] = {
    {59, TOTP_SHA1, "94287082"},
    {59, TOTP_SHA256, "46119246"},
    {59, TOTP_SHA512, "90693936"},
    {1111111109, TOTP_SHA1, "07081804"},
    {1111111109, TOTP_SHA256, "68084774"},
    {1111111109, TOTP_SHA512, "25091201"},
    {1111111111, TOTP_SHA1, "14050471"},
    {1111111111, TOTP_SHA256, "67062674"},
    {1111111111, TOTP_SHA512, "99943326"},
    {1234567890, TOTP_SHA1, "89005924"},
    {1234567890, TOTP_SHA256, "91819424"},
    {1234567890, TOTP_SHA512, "93441116"},
    {2000000000, TOTP_SHA1, "69279037"},
    {2000000000, TOTP_SHA256, "90698825"},
    {2000000000, TOTP_SHA512, "38618901"},
    {20000000000, TOTP_SHA1, "65353130"},
    {20000000000, TOTP_SHA256, "77737706"},
    {20000000000, TOTP_SHA512, "47863826"},
};

static const char *seed_for(totp_algorithm alg)
{
    return alg == TOTP_SHA1     ? rfc_seed_sha1
           : alg == TOTP_SHA256 ? rfc_seed_sha256
                                : rfc_seed_sha512;
}

START_TEST(rfc6238_totp_vectors)
{
    totp_key *key = make_key(seed_for(rfc6238[_i].alg), rfc6238[_i].alg, 8);
    uint64_t step;
    char code[TOTP_CODE_BUFSIZE];
    ck_assert_int_eq(totp_time_step(rfc6238[_i].time, 30, &step), TOTP_OK);
    ck_assert_int_eq(totp_hotp(key, step, code), TOTP_OK);
    ck_assert_str_eq(code, rfc6238[_i].code);
    totp_key_free(key);
}
END_TEST

START_TEST(rfc6238_vectors_verify_in_window)
{
    totp_key *key = make_key(seed_for(rfc6238[_i].alg), rfc6238[_i].alg, 8);
    uint64_t step, matched = 0;
    ck_assert_int_eq(totp_time_step(rfc6238[_i].time, 30, &step), TOTP_OK);
    totp_window w = {step, 1, 1, 0, 0};
    ck_assert_int_eq(totp_verify(key, rfc6238[_i].code, &w, &matched), TOTP_OK);
    ck_assert_uint_eq(matched, step);
    totp_key_free(key);
}
END_TEST

START_TEST(hotp_digit_lengths_truncate_one_value)
{
    /* RFC 4226 Appendix D: counter 0 truncates to 1284755224 before the modulo. */
    static const char *const expected[] = {"755224", "4755224", "84755224"};
    for (unsigned digits = 6; digits <= 8; digits++) {
        totp_key *key = make_key(rfc_seed_sha1, TOTP_SHA1, digits);
        char code[TOTP_CODE_BUFSIZE];
        ck_assert_int_eq(totp_hotp(key, 0, code), TOTP_OK);
        ck_assert_str_eq(code, expected[digits - 6]);
        totp_key_free(key);
    }
}
END_TEST

START_TEST(hotp_counter_extremes)
{
    totp_key *key = make_key(rfc_seed_sha1, TOTP_SHA1, 6);
    char code[TOTP_CODE_BUFSIZE];
    ck_assert_int_eq(totp_hotp(key, UINT64_MAX, code), TOTP_OK);
    ck_assert_uint_eq(strlen(code), 6);
    ck_assert_int_eq(totp_hotp(key, 1ull << 32, code), TOTP_OK);
    ck_assert_uint_eq(strlen(code), 6);
    totp_key_free(key);
}
END_TEST

START_TEST(key_too_short_rejected)
{
    totp_params p = TOTP_PARAMS_DEFAULT;
    uint8_t bytes[TOTP_KEY_MAX + 1] = {0};
    totp_key *key = (totp_key *)&p;
    ck_assert_int_eq(totp_key_new(bytes, TOTP_KEY_MIN - 1, &p, &key), TOTP_EKEYLEN);
    ck_assert_ptr_null(key);
    ck_assert_int_eq(totp_key_new(bytes, 0, &p, &key), TOTP_EKEYLEN);
}
END_TEST

START_TEST(key_too_long_rejected)
{
    totp_params p = TOTP_PARAMS_DEFAULT;
    uint8_t bytes[TOTP_KEY_MAX + 1] = {0};
    totp_key *key = NULL;
    ck_assert_int_eq(totp_key_new(bytes, TOTP_KEY_MAX + 1, &p, &key), TOTP_EKEYLEN);
    ck_assert_ptr_null(key);
}
END_TEST

START_TEST(key_length_bounds_accepted)
{
    totp_params p = TOTP_PARAMS_DEFAULT;
    uint8_t bytes[TOTP_KEY_MAX] = {1};
    totp_key *key = NULL;
    ck_assert_int_eq(totp_key_new(bytes, TOTP_KEY_MIN, &p, &key), TOTP_OK);
    totp_key_free(key);
    ck_assert_int_eq(totp_key_new(bytes, TOTP_KEY_MAX, &p, &key), TOTP_OK);
    totp_key_free(key);
}
END_TEST

START_TEST(key_digits_5_and_9_rejected)
{
    uint8_t bytes[20] = {0};
    totp_key *key = NULL;
    totp_params p = {TOTP_SHA1, 5, 30};
    ck_assert_int_eq(totp_key_new(bytes, sizeof(bytes), &p, &key), TOTP_EDIGITS);
    p.digits = 9;
    ck_assert_int_eq(totp_key_new(bytes, sizeof(bytes), &p, &key), TOTP_EDIGITS);
    p.digits = 0;
    ck_assert_int_eq(totp_key_new(bytes, sizeof(bytes), &p, &key), TOTP_EDIGITS);
    ck_assert_ptr_null(key);
}
END_TEST

START_TEST(key_unknown_algorithm_rejected)
{
    uint8_t bytes[20] = {0};
    totp_key *key = NULL;
    totp_params p = {(totp_algorithm)7, 6, 30};
    ck_assert_int_eq(totp_key_new(bytes, sizeof(bytes), &p, &key), TOTP_EALGORITHM);
    ck_assert_ptr_null(key);
}
END_TEST

START_TEST(null_arguments_rejected)
{
    totp_params p = TOTP_PARAMS_DEFAULT;
    uint8_t bytes[20] = {0};
    totp_key *key = NULL;
    char code[TOTP_CODE_BUFSIZE];
    uint64_t step;
    totp_window w = {0, 1, 1, 0, 0};

    ck_assert_int_eq(totp_key_new(NULL, 20, &p, &key), TOTP_EINVAL);
    ck_assert_int_eq(totp_key_new(bytes, 20, NULL, &key), TOTP_EINVAL);
    ck_assert_int_eq(totp_key_new(bytes, 20, &p, NULL), TOTP_EINVAL);
    ck_assert_int_eq(totp_hotp(NULL, 0, code), TOTP_EINVAL);
    ck_assert_int_eq(totp_time_step(0, 30, NULL), TOTP_EINVAL);
    key = make_key(rfc_seed_sha1, TOTP_SHA1, 6);
    ck_assert_int_eq(totp_hotp(key, 0, NULL), TOTP_EINVAL);
    ck_assert_int_eq(totp_verify(NULL, "123456", &w, &step), TOTP_EINVAL);
    ck_assert_int_eq(totp_verify(key, NULL, &w, &step), TOTP_EINVAL);
    ck_assert_int_eq(totp_verify(key, "123456", NULL, &step), TOTP_EINVAL);
    totp_key_free(key);
    totp_key_free(NULL);
}
END_TEST

START_TEST(time_step_period_bounds)
{
    uint64_t step = 42;
    ck_assert_int_eq(totp_time_step(59, 0, &step), TOTP_EPERIOD);
    ck_assert_int_eq(totp_time_step(59, 301, &step), TOTP_EPERIOD);
    ck_assert_uint_eq(step, 42);
    ck_assert_int_eq(totp_time_step(59, 1, &step), TOTP_OK);
    ck_assert_uint_eq(step, 59);
    ck_assert_int_eq(totp_time_step(599, 300, &step), TOTP_OK);
    ck_assert_uint_eq(step, 1);
    ck_assert_int_eq(totp_time_step(59, 30, &step), TOTP_OK);
    ck_assert_uint_eq(step, 1);
    ck_assert_int_eq(totp_time_step(60, 30, &step), TOTP_OK);
    ck_assert_uint_eq(step, 2);
}
END_TEST

START_TEST(time_step_negative_time_rejected)
{
    uint64_t step;
    ck_assert_int_eq(totp_time_step(-1, 30, &step), TOTP_ETIME);
    ck_assert_int_eq(totp_time_step(INT64_MIN, 30, &step), TOTP_ETIME);
    ck_assert_int_eq(totp_time_step(INT64_MAX, 30, &step), TOTP_OK);
}
END_TEST

/* The code for `step` under the RFC 4226 key, for window tests. */
static void code_at(totp_key *key, uint64_t step, char *code)
{
    ck_assert_int_eq(totp_hotp(key, step, code), TOTP_OK);
}

START_TEST(window_edges)
{
    totp_key *key = make_key(rfc_seed_sha1, TOTP_SHA1, 6);
    char code[TOTP_CODE_BUFSIZE];
    uint64_t matched = 0;
    const uint64_t center = 1000;
    const unsigned w = 3;
    /* Every step from -w to +w is accepted... */
    for (int d = -(int)w; d <= (int)w; d++) {
        totp_window win = {center, w, w, 0, 0};
        code_at(key, center + (uint64_t)(int64_t)d, code);
        ck_assert_int_eq(totp_verify(key, code, &win, &matched), TOTP_OK);
        ck_assert_uint_eq(matched, center + (uint64_t)(int64_t)d);
    }
    /* ...and the steps just outside are not. */
    totp_window win = {center, w, w, 0, 0};
    code_at(key, center - w - 1, code);
    ck_assert_int_eq(totp_verify(key, code, &win, &matched), TOTP_EMISMATCH);
    code_at(key, center + w + 1, code);
    ck_assert_int_eq(totp_verify(key, code, &win, &matched), TOTP_EMISMATCH);
    totp_key_free(key);
}
END_TEST

START_TEST(window_asymmetric)
{
    totp_key *key = make_key(rfc_seed_sha1, TOTP_SHA1, 6);
    char code[TOTP_CODE_BUFSIZE];
    totp_window win = {500, 0, 2, 0, 0};
    code_at(key, 499, code);
    ck_assert_int_eq(totp_verify(key, code, &win, NULL), TOTP_EMISMATCH);
    code_at(key, 502, code);
    ck_assert_int_eq(totp_verify(key, code, &win, NULL), TOTP_OK);
    totp_key_free(key);
}
END_TEST

START_TEST(window_zero_only_center)
{
    totp_key *key = make_key(rfc_seed_sha1, TOTP_SHA1, 6);
    char code[TOTP_CODE_BUFSIZE];
    totp_window win = {77, 0, 0, 0, 0};
    uint64_t matched = 0;
    code_at(key, 77, code);
    ck_assert_int_eq(totp_verify(key, code, &win, &matched), TOTP_OK);
    ck_assert_uint_eq(matched, 77);
    code_at(key, 78, code);
    ck_assert_int_eq(totp_verify(key, code, &win, &matched), TOTP_EMISMATCH);
    totp_key_free(key);
}
END_TEST

START_TEST(watermark_refuses_code_at_watermark)
{
    totp_key *key = make_key(rfc_seed_sha1, TOTP_SHA1, 6);
    char code[TOTP_CODE_BUFSIZE];
    totp_window win = {100, 1, 1, 1, 100};
    code_at(key, 100, code);
    ck_assert_int_eq(totp_verify(key, code, &win, NULL), TOTP_EREPLAY);
    totp_key_free(key);
}
END_TEST

START_TEST(watermark_refuses_code_below_watermark)
{
    totp_key *key = make_key(rfc_seed_sha1, TOTP_SHA1, 6);
    char code[TOTP_CODE_BUFSIZE];
    totp_window win = {100, 1, 1, 1, 100};
    code_at(key, 99, code);
    ck_assert_int_eq(totp_verify(key, code, &win, NULL), TOTP_EREPLAY);
    totp_key_free(key);
}
END_TEST

START_TEST(watermark_accepts_code_above_watermark)
{
    totp_key *key = make_key(rfc_seed_sha1, TOTP_SHA1, 6);
    char code[TOTP_CODE_BUFSIZE];
    uint64_t matched = 0;
    totp_window win = {100, 1, 1, 1, 99};
    code_at(key, 100, code);
    ck_assert_int_eq(totp_verify(key, code, &win, &matched), TOTP_OK);
    ck_assert_uint_eq(matched, 100);
    code_at(key, 101, code);
    ck_assert_int_eq(totp_verify(key, code, &win, &matched), TOTP_OK);
    ck_assert_uint_eq(matched, 101);
    totp_key_free(key);
}
END_TEST

START_TEST(watermark_zero_is_a_real_watermark)
{
    totp_key *key = make_key(rfc_seed_sha1, TOTP_SHA1, 6);
    char code[TOTP_CODE_BUFSIZE];
    code_at(key, 0, code);
    totp_window none = {0, 1, 1, 0, 0};
    ck_assert_int_eq(totp_verify(key, code, &none, NULL), TOTP_OK);
    totp_window used = {0, 1, 1, 1, 0};
    ck_assert_int_eq(totp_verify(key, code, &used, NULL), TOTP_EREPLAY);
    totp_key_free(key);
}
END_TEST

START_TEST(accepting_then_replaying_is_refused)
{
    /* The caller records the matched step as the watermark; the same code then fails. */
    totp_key *key = make_key(rfc_seed_sha1, TOTP_SHA1, 6);
    char code[TOTP_CODE_BUFSIZE];
    uint64_t matched = 0;
    code_at(key, 5000, code);
    totp_window win = {5000, 1, 1, 0, 0};
    ck_assert_int_eq(totp_verify(key, code, &win, &matched), TOTP_OK);
    win.has_watermark = 1;
    win.watermark = matched;
    ck_assert_int_eq(totp_verify(key, code, &win, &matched), TOTP_EREPLAY);
    totp_key_free(key);
}
END_TEST

START_TEST(colliding_code_takes_lowest_fresh_step)
{
    /* Under the RFC 4226 key, counters 2386 and 2394 both give 709847 (found by search). The
     * lowest fresh step is taken, so the higher one stays usable; above the watermark, the
     * higher one is the only fresh match. */
    totp_key *key = make_key(rfc_seed_sha1, TOTP_SHA1, 6);
    char code[TOTP_CODE_BUFSIZE];
    uint64_t matched = 0;
    code_at(key, 2386, code);
    ck_assert_str_eq(code, "709847");
    code_at(key, 2394, code);
    ck_assert_str_eq(code, "709847");
    totp_window win = {2390, 5, 5, 0, 0};
    ck_assert_int_eq(totp_verify(key, "709847", &win, &matched), TOTP_OK);
    ck_assert_uint_eq(matched, 2386);
    win.has_watermark = 1;
    win.watermark = 2386;
    ck_assert_int_eq(totp_verify(key, "709847", &win, &matched), TOTP_OK);
    ck_assert_uint_eq(matched, 2394);
    win.watermark = 2394;
    ck_assert_int_eq(totp_verify(key, "709847", &win, &matched), TOTP_EREPLAY);
    totp_key_free(key);
}
END_TEST

START_TEST(colliding_code_takes_nearest_step)
{
    /* Of two fresh matches the one nearest the centre wins, as google-authenticator's skew
     * search does, wherever it lies in the scan (which never stops early). */
    totp_key *key = make_key(rfc_seed_sha1, TOTP_SHA1, 6);
    uint64_t matched = 0;
    totp_window win = {2393, 8, 8, 0, 0};
    ck_assert_int_eq(totp_verify(key, "709847", &win, &matched), TOTP_OK);
    ck_assert_uint_eq(matched, 2394);
    win.center = 2387;
    ck_assert_int_eq(totp_verify(key, "709847", &win, &matched), TOTP_OK);
    ck_assert_uint_eq(matched, 2386);
    totp_key_free(key);
}
END_TEST

START_TEST(malformed_codes_rejected)
{
    static const char *const bad[] = {"",        "12345",        "1234567", "12345a",
                                      " 123456", "123456 ",      "12 3456", "-12345",
                                      "+12345",  "１２３４５６", "123\n56", "12345678"};
    totp_key *key = make_key(rfc_seed_sha1, TOTP_SHA1, 6);
    totp_window win = {1, 1, 1, 0, 0};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(totp_verify(key, bad[i], &win, NULL) == TOTP_ECODE, "code #%zu", i);
    totp_key_free(key);
}
END_TEST

START_TEST(wrong_code_mismatch)
{
    totp_key *key = make_key(rfc_seed_sha1, TOTP_SHA1, 6);
    totp_window win = {0, 0, 9, 0, 0};
    /* Counters 0..9 are RFC 4226's table; "000000" is none of them. */
    ck_assert_int_eq(totp_verify(key, "000000", &win, NULL), TOTP_EMISMATCH);
    ck_assert_int_eq(totp_verify(key, "520489", &win, NULL), TOTP_OK);
    totp_key_free(key);
}
END_TEST

START_TEST(window_too_large_rejected)
{
    totp_key *key = make_key(rfc_seed_sha1, TOTP_SHA1, 6);
    totp_window win = {10000, TOTP_WINDOW_MAX, 0, 0, 0};
    ck_assert_int_eq(totp_verify(key, "755224", &win, NULL), TOTP_EINVAL);
    win.behind = TOTP_WINDOW_MAX / 2;
    win.ahead = TOTP_WINDOW_MAX / 2;
    ck_assert_int_eq(totp_verify(key, "000000", &win, NULL), TOTP_EMISMATCH);
    totp_key_free(key);
}
END_TEST

START_TEST(window_clamped_at_zero)
{
    totp_key *key = make_key(rfc_seed_sha1, TOTP_SHA1, 6);
    uint64_t matched = 99;
    totp_window win = {1, 5, 0, 0, 0};
    ck_assert_int_eq(totp_verify(key, "755224", &win, &matched), TOTP_OK);
    ck_assert_uint_eq(matched, 0);
    totp_key_free(key);
}
END_TEST

START_TEST(window_clamped_at_uint64_max)
{
    totp_key *key = make_key(rfc_seed_sha1, TOTP_SHA1, 6);
    char code[TOTP_CODE_BUFSIZE];
    uint64_t matched = 0;
    code_at(key, UINT64_MAX, code);
    totp_window win = {UINT64_MAX - 1, 0, 5, 0, 0};
    ck_assert_int_eq(totp_verify(key, code, &win, &matched), TOTP_OK);
    ck_assert_uint_eq(matched, UINT64_MAX);
    totp_key_free(key);
}
END_TEST

START_TEST(verify_keeps_leading_zeros)
{
    totp_key *key = make_key(rfc_seed_sha1, TOTP_SHA1, 8);
    uint64_t step;
    ck_assert_int_eq(totp_time_step(1111111109, 30, &step), TOTP_OK);
    totp_window win = {step, 0, 0, 0, 0};
    ck_assert_int_eq(totp_verify(key, "07081804", &win, NULL), TOTP_OK);
    ck_assert_int_eq(totp_verify(key, "7081804", &win, NULL), TOTP_ECODE);
    totp_key_free(key);
}
END_TEST

START_TEST(algorithms_give_different_codes)
{
    /* The same key bytes under the three hashes must not agree (catches a digest mix-up). */
    totp_key *k1 = make_key(rfc_seed_sha512, TOTP_SHA1, 8);
    totp_key *k2 = make_key(rfc_seed_sha512, TOTP_SHA256, 8);
    totp_key *k3 = make_key(rfc_seed_sha512, TOTP_SHA512, 8);
    char c1[TOTP_CODE_BUFSIZE], c2[TOTP_CODE_BUFSIZE], c3[TOTP_CODE_BUFSIZE];
    ck_assert_int_eq(totp_hotp(k1, 1, c1), TOTP_OK);
    ck_assert_int_eq(totp_hotp(k2, 1, c2), TOTP_OK);
    ck_assert_int_eq(totp_hotp(k3, 1, c3), TOTP_OK);
    ck_assert_str_ne(c1, c2);
    ck_assert_str_ne(c2, c3);
    ck_assert_str_eq(c3, "90693936"); /* RFC 6238, T = 59 s, SHA-512 */
    totp_key_free(k1);
    totp_key_free(k2);
    totp_key_free(k3);
}
END_TEST

START_TEST(params_check_reports_each_field)
{
    totp_params p = TOTP_PARAMS_DEFAULT;
    ck_assert_int_eq(totp_params_check(&p), TOTP_OK);
    ck_assert_int_eq(totp_params_check(NULL), TOTP_EINVAL);
    p.period = 0;
    ck_assert_int_eq(totp_params_check(&p), TOTP_EPERIOD);
    p.period = 301;
    ck_assert_int_eq(totp_params_check(&p), TOTP_EPERIOD);
    p.period = 300;
    p.digits = 9;
    ck_assert_int_eq(totp_params_check(&p), TOTP_EDIGITS);
    p.digits = 7;
    p.algorithm = (totp_algorithm)3;
    ck_assert_int_eq(totp_params_check(&p), TOTP_EALGORITHM);
}
END_TEST

START_TEST(algorithm_names_round_trip)
{
    totp_algorithm alg;
    ck_assert_int_eq(totp_algorithm_parse("sha1", &alg), TOTP_OK);
    ck_assert_int_eq(alg, TOTP_SHA1);
    ck_assert_int_eq(totp_algorithm_parse("Sha256", &alg), TOTP_OK);
    ck_assert_int_eq(alg, TOTP_SHA256);
    ck_assert_int_eq(totp_algorithm_parse("SHA512", &alg), TOTP_OK);
    ck_assert_int_eq(alg, TOTP_SHA512);
    ck_assert_int_eq(totp_algorithm_parse("MD5", &alg), TOTP_EALGORITHM);
    ck_assert_int_eq(totp_algorithm_parse("SHA", &alg), TOTP_EALGORITHM);
    ck_assert_int_eq(totp_algorithm_parse("SHA1 ", &alg), TOTP_EALGORITHM);
    ck_assert_int_eq(totp_algorithm_parse(NULL, &alg), TOTP_EINVAL);
    ck_assert_str_eq(totp_algorithm_name(TOTP_SHA256), "SHA256");
    ck_assert_ptr_null(totp_algorithm_name((totp_algorithm)9));
}
END_TEST

START_TEST(strerror_covers_every_code)
{
    for (int err = TOTP_OK; err >= TOTP_ELAST; err--) {
        const char *msg = totp_strerror(err);
        ck_assert_ptr_nonnull(msg);
        ck_assert_str_ne(msg, "unknown error");
        for (int other = err - 1; other >= TOTP_ELAST; other--)
            ck_assert_str_ne(msg, totp_strerror(other));
    }
    ck_assert_str_eq(totp_strerror(-1000), "unknown error");
    ck_assert_str_eq(totp_strerror(1), "unknown error");
}
END_TEST

static Suite *otp_suite(void)
{
    Suite *s = suite_create("otp");
    TCase *tc = tcase_create("rfc");
    tcase_add_loop_test(tc, rfc4226_hotp_vectors, 0, 10);
    tcase_add_loop_test(tc, rfc6238_totp_vectors, 0, 18);
    tcase_add_loop_test(tc, rfc6238_vectors_verify_in_window, 0, 18);
    tcase_add_test(tc, hotp_digit_lengths_truncate_one_value);
    tcase_add_test(tc, hotp_counter_extremes);
    tcase_add_test(tc, algorithms_give_different_codes);
    suite_add_tcase(s, tc);

    tc = tcase_create("input");
    tcase_add_test(tc, key_too_short_rejected);
    tcase_add_test(tc, key_too_long_rejected);
    tcase_add_test(tc, key_length_bounds_accepted);
    tcase_add_test(tc, key_digits_5_and_9_rejected);
    tcase_add_test(tc, key_unknown_algorithm_rejected);
    tcase_add_test(tc, null_arguments_rejected);
    tcase_add_test(tc, time_step_period_bounds);
    tcase_add_test(tc, time_step_negative_time_rejected);
    tcase_add_test(tc, params_check_reports_each_field);
    tcase_add_test(tc, algorithm_names_round_trip);
    tcase_add_test(tc, strerror_covers_every_code);
    suite_add_tcase(s, tc);

    tc = tcase_create("window");
    tcase_add_test(tc, window_edges);
    tcase_add_test(tc, window_asymmetric);
    tcase_add_test(tc, window_zero_only_center);
    tcase_add_test(tc, watermark_refuses_code_at_watermark);
    tcase_add_test(tc, watermark_refuses_code_below_watermark);
    tcase_add_test(tc, watermark_accepts_code_above_watermark);
    tcase_add_test(tc, watermark_zero_is_a_real_watermark);
    tcase_add_test(tc, accepting_then_replaying_is_refused);
    tcase_add_test(tc, colliding_code_takes_lowest_fresh_step);
    tcase_add_test(tc, colliding_code_takes_nearest_step);
    tcase_add_test(tc, malformed_codes_rejected);
    tcase_add_test(tc, wrong_code_mismatch);
    tcase_add_test(tc, window_too_large_rejected);
    tcase_add_test(tc, window_clamped_at_zero);
    tcase_add_test(tc, window_clamped_at_uint64_max);
    tcase_add_test(tc, verify_keeps_leading_zeros);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(otp_suite)
