/* SPDX-License-Identifier: Apache-2.0 */
/* check_random.c: secrets and scratch codes: sizes, ranges, uniqueness and wiping. */
#include "config.h"

#include <string.h>

#include "totp.h"
#include "unit.h"

START_TEST(secret_default_lengths)
{
    ck_assert_uint_eq(totp_secret_default_len(TOTP_SHA1), 20);
    ck_assert_uint_eq(totp_secret_default_len(TOTP_SHA256), 32);
    ck_assert_uint_eq(totp_secret_default_len(TOTP_SHA512), 64);
}
END_TEST

START_TEST(secret_length_bounds)
{
    uint8_t buf[TOTP_KEY_MAX + 1];
    ck_assert_int_eq(totp_secret_generate(buf, TOTP_KEY_MIN - 1), TOTP_EKEYLEN);
    ck_assert_int_eq(totp_secret_generate(buf, TOTP_KEY_MAX + 1), TOTP_EKEYLEN);
    ck_assert_int_eq(totp_secret_generate(NULL, 20), TOTP_EINVAL);
    ck_assert_int_eq(totp_secret_generate(buf, TOTP_KEY_MIN), TOTP_OK);
    ck_assert_int_eq(totp_secret_generate(buf, TOTP_KEY_MAX), TOTP_OK);
}
END_TEST

START_TEST(secrets_differ)
{
    uint8_t a[20], b[20], zero[20] = {0};
    ck_assert_int_eq(totp_secret_generate(a, sizeof(a)), TOTP_OK);
    ck_assert_int_eq(totp_secret_generate(b, sizeof(b)), TOTP_OK);
    ck_assert(memcmp(a, b, sizeof(a)) != 0);
    ck_assert(memcmp(a, zero, sizeof(a)) != 0);
}
END_TEST

START_TEST(scratch_codes_in_range_and_distinct)
{
    uint32_t codes[TOTP_SCRATCH_COUNT_MAX];
    ck_assert_int_eq(totp_scratch_generate(codes, TOTP_SCRATCH_COUNT_MAX), TOTP_OK);
    for (size_t i = 0; i < TOTP_SCRATCH_COUNT_MAX; i++) {
        ck_assert_uint_ge(codes[i], 10000000u);
        ck_assert_uint_le(codes[i], 99999999u);
        for (size_t k = 0; k < i; k++)
            ck_assert_uint_ne(codes[i], codes[k]);
    }
}
END_TEST

START_TEST(scratch_count_limits)
{
    uint32_t codes[TOTP_SCRATCH_COUNT_MAX + 1];
    ck_assert_int_eq(totp_scratch_generate(codes, TOTP_SCRATCH_COUNT_MAX + 1), TOTP_EINVAL);
    ck_assert_int_eq(totp_scratch_generate(NULL, 5), TOTP_EINVAL);
    ck_assert_int_eq(totp_scratch_generate(NULL, 0), TOTP_OK);
}
END_TEST

START_TEST(scratch_first_digit_is_uniform)
{
    /* 9,000 codes: each leading digit 1..9 expects 1,000; chi-square with 8 degrees of freedom
     * stays below 40 except with probability ~2e-6, and a biased generator fails at once. */
    unsigned counts[10] = {0};
    uint32_t codes[TOTP_SCRATCH_COUNT_MAX];
    for (int round = 0; round < 90; round++) {
        ck_assert_int_eq(totp_scratch_generate(codes, TOTP_SCRATCH_COUNT_MAX), TOTP_OK);
        for (size_t i = 0; i < TOTP_SCRATCH_COUNT_MAX; i++)
            counts[codes[i] / 10000000u]++;
    }
    ck_assert_uint_eq(counts[0], 0);
    double chi = 0;
    for (int d = 1; d <= 9; d++)
        chi += (counts[d] - 1000.0) * (counts[d] - 1000.0) / 1000.0;
    ck_assert_msg(chi < 40.0, "chi-square %f", chi);
}
END_TEST

START_TEST(wipe_zeroes_memory)
{
    char buf[16];
    memset(buf, 'x', sizeof(buf));
    totp_wipe(buf, sizeof(buf));
    for (size_t i = 0; i < sizeof(buf); i++)
        ck_assert_int_eq(buf[i], 0);
    totp_wipe(NULL, 5);
    totp_wipe_string(NULL);
    totp_wipe_string(strdup("secret"));
}
END_TEST

static Suite *random_suite(void)
{
    Suite *s = suite_create("random");
    TCase *tc = tcase_create("secrets");
    tcase_add_test(tc, secret_default_lengths);
    tcase_add_test(tc, secret_length_bounds);
    tcase_add_test(tc, secrets_differ);
    tcase_add_test(tc, scratch_codes_in_range_and_distinct);
    tcase_add_test(tc, scratch_count_limits);
    tcase_add_test(tc, scratch_first_digit_is_uniform);
    tcase_add_test(tc, wipe_zeroes_memory);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(random_suite)
