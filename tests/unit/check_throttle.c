/* SPDX-License-Identifier: Apache-2.0 */
/* check_throttle.c: attempt bounds: rate limits beyond 101 attempts. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "totp.h"
#include "unit.h"

#define T0    1111111111 /* step 37037037 */
#define STEP0 37037037

static totp_record *parse(const char *extra)
{
    char *text = tu_record_text(extra);
    totp_record *rec = NULL;
    totp_error err = {0};
    ck_assert_msg(totp_record_parse(text, strlen(text), &rec, &err) == TOTP_OK, "%s", err.message);
    free(text);
    return rec;
}

START_TEST(site_rate_limit_beyond_101)
{
    /* The timestamp list used to hold 101: rate_limit=N/S with N >= 102 was never enforced. */
    static const unsigned limits[] = {101, 102, 150, 1000};
    for (size_t l = 0; l < sizeof(limits) / sizeof(limits[0]); l++) {
        totp_policy policy = TOTP_POLICY_DEFAULT;
        policy.rate_attempts = limits[l];
        policy.rate_interval = 86400;
        totp_record *rec = parse("\" TOTP_AUTH\n");
        totp_result res;
        for (unsigned i = 0; i < limits[l]; i++)
            ck_assert_msg(totp_policy_check(rec, "000000", 0, T0 + i, &policy, &res) ==
                              TOTP_EMISMATCH,
                          "limit %u attempt %u", limits[l], i + 1);
        /* One over the limit: refused, right code or not. */
        char code[TOTP_CODE_BUFSIZE];
        tu_code_at(T0 + limits[l], 6, code);
        ck_assert_msg(totp_policy_check(rec, code, 0, T0 + limits[l], &policy, &res) ==
                          TOTP_ERATELIMIT,
                      "limit %u not enforced", limits[l]);
        totp_record_free(rec);
    }
}
END_TEST

START_TEST(record_rate_limit_of_100)
{
    totp_policy policy = TOTP_POLICY_DEFAULT;
    totp_record *rec = parse("\" TOTP_AUTH\n\" RATE_LIMIT 100 3600\n");
    totp_result res;
    for (unsigned i = 0; i < 100; i++)
        ck_assert_int_eq(totp_policy_check(rec, "000000", 0, T0 + i, &policy, &res),
                         TOTP_EMISMATCH);
    ck_assert_int_eq(totp_policy_check(rec, "000000", 0, T0 + 100, &policy, &res), TOTP_ERATELIMIT);
    totp_record_free(rec);
}
END_TEST

static Suite *throttle_suite(void)
{
    Suite *s = suite_create("throttle");
    TCase *tc = tcase_create("rate_limit");
    tcase_add_test(tc, site_rate_limit_beyond_101);
    tcase_add_test(tc, record_rate_limit_of_100);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(throttle_suite)
