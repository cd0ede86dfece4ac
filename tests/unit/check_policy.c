/* SPDX-License-Identifier: Apache-2.0 */
/* check_policy.c: the verification policy: window, replay watermark, scratch codes, rate limits,
 * HOTP, clock-skew learning, and the RFC 6238 vectors through the whole decision. */
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

static int check(totp_record *rec, const char *code, int64_t now, const totp_policy *policy,
                 totp_result *res)
{
    const totp_policy defaults = TOTP_POLICY_DEFAULT;
    return totp_policy_check(rec, code, 0, now, policy != NULL ? policy : &defaults, res);
}

static int check_at(totp_record *rec, int64_t code_time, int64_t now)
{
    char code[TOTP_CODE_BUFSIZE];
    totp_result res;
    tu_code_at(code_time, 6, code);
    return check(rec, code, now, NULL, &res);
}

/* The defaults without the throttle, for tests of the other limits alone. */
static const totp_policy *unthrottled(void)
{
    static totp_policy policy = TOTP_POLICY_DEFAULT;
    policy.throttle.max_delay = 0;
    return &policy;
}

static int check_at_with(totp_record *rec, int64_t code_time, int64_t now,
                         const totp_policy *policy)
{
    char code[TOTP_CODE_BUFSIZE];
    totp_result res;
    tu_code_at(code_time, 6, code);
    return check(rec, code, now, policy, &res);
}

START_TEST(current_code_accepted_and_watermarked)
{
    totp_record *rec = parse("\" TOTP_AUTH\n");
    char code[TOTP_CODE_BUFSIZE];
    totp_result res;
    tu_code_at(T0, 6, code);
    ck_assert_int_eq(check(rec, code, T0, NULL, &res), TOTP_OK);
    ck_assert_int_eq(res.verdict, TOTP_OK);
    ck_assert_int_eq(res.method, TOTP_BY_TOTP);
    ck_assert_int_eq(res.changed, 1);
    /* The accepted step, above a floor: every step this host cannot reach any more (now less
     * the skew bound of 10 steps and the window's 1 step behind) counts as used. */
    ck_assert_str_eq(totp_record_get(rec, "DISALLOW_REUSE"), "37037025 37037037");
    ck_assert_str_eq(totp_record_get(rec, "LAST_SUCCESS"), "1111111111");
    totp_record_free(rec);
}
END_TEST

START_TEST(replay_refused_even_without_disallow_reuse)
{
    /* The file never asked for DISALLOW_REUSE: replays are refused all the same. */
    totp_record *rec = parse("\" TOTP_AUTH\n");
    ck_assert_int_eq(check_at(rec, T0, T0), TOTP_OK);
    ck_assert_int_eq(check_at(rec, T0, T0), TOTP_EREPLAY);
    ck_assert_int_eq(check_at(rec, T0, T0 + 29), TOTP_EREPLAY);
    ck_assert_str_eq(totp_record_get(rec, "FAILURES"), "2 1111111140");
    totp_record_free(rec);
}
END_TEST

START_TEST(older_code_refused_after_newer_one)
{
    /* GA only blocks the exact steps it lists; the watermark blocks everything older. */
    totp_record *rec = parse("\" TOTP_AUTH\n");
    ck_assert_int_eq(check_at(rec, T0 + 30, T0), TOTP_OK);
    ck_assert_int_eq(check_at(rec, T0, T0), TOTP_EREPLAY);
    ck_assert_int_eq(check_at(rec, T0 - 30, T0), TOTP_EREPLAY);
    ck_assert_int_eq(check_at(rec, T0 + 60, T0 + 30), TOTP_OK);
    totp_record_free(rec);
}
END_TEST

START_TEST(ga_disallow_reuse_list_sets_watermark)
{
    /* GA appends each accepted step; without TOTP_USED the highest listed is the floor. */
    totp_record *rec = parse("\" TOTP_AUTH\n\" DISALLOW_REUSE 37037001 37037030 37037037\n");
    ck_assert_int_eq(check_at(rec, T0, T0), TOTP_EREPLAY);
    ck_assert_int_eq(check_at(rec, T0 - 30, T0), TOTP_EREPLAY);
    ck_assert_int_eq(check_at(rec, T0 + 30, T0), TOTP_OK);
    ck_assert_str_eq(totp_record_get(rec, "DISALLOW_REUSE"), "37037037 37037038");
    ck_assert_str_eq(totp_record_get(rec, "TOTP_USED"), "37037037 37037038");
    totp_record_free(rec);
}
END_TEST

static const struct {
    const char *window_line;
    unsigned policy_window;
    int first, last; /* accepted step offsets */
} windows[] = {
    {"", 0, -1, 1},                    /* GA's default: 3 */
    {"\" WINDOW_SIZE 1\n", 0, 0, 0},   /* only now */
    {"\" WINDOW_SIZE 4\n", 0, -1, 2},  /* GA: -(w-1)/2 .. w/2 */
    {"\" WINDOW_SIZE 17\n", 0, -8, 8}, /* GA's google-authenticator -w 17 */
    {"", 5, -2, 2},                    /* window= for records that do not say */
    {"\" WINDOW_SIZE 3\n", 9, -1, 1},  /* the record's own wins */
};

START_TEST(window_sizes)
{
    char extra[128];
    snprintf(extra, sizeof(extra), "\" TOTP_AUTH\n%s", windows[_i].window_line);
    totp_policy policy = TOTP_POLICY_DEFAULT;
    policy.window = windows[_i].policy_window;
    policy.noskewadj = 1;
    for (int d = windows[_i].first - 1; d <= windows[_i].last + 1; d++) {
        totp_record *rec = parse(extra);
        char code[TOTP_CODE_BUFSIZE];
        totp_result res;
        tu_code_at(T0 + 30 * d, 6, code);
        int want = d >= windows[_i].first && d <= windows[_i].last ? TOTP_OK : TOTP_EMISMATCH;
        ck_assert_msg(check(rec, code, T0, &policy, &res) == want, "case %d offset %d", _i, d);
        totp_record_free(rec);
    }
}
END_TEST

START_TEST(scratch_code_accepted_once)
{
    totp_record *rec = parse("\" TOTP_AUTH\n11111111\n22222222\n33333333\n");
    totp_result res;
    ck_assert_int_eq(check(rec, "22222222", T0, NULL, &res), TOTP_OK);
    ck_assert_int_eq(res.method, TOTP_BY_SCRATCH);
    ck_assert_uint_eq(res.scratch_left, 2);
    ck_assert_int_eq(check(rec, "22222222", T0, NULL, &res), TOTP_EMISMATCH);
    ck_assert_uint_eq(res.scratch_left, 2);
    char *out = NULL;
    ck_assert_int_eq(totp_record_serialize(rec, &out, NULL), TOTP_OK);
    ck_assert_ptr_nonnull(strstr(out, "\n11111111\n33333333\n"));
    ck_assert_ptr_null(strstr(out, "22222222"));
    totp_wipe_string(out);
    totp_record_free(rec);
}
END_TEST

START_TEST(scratch_codes_work_without_totp)
{
    /* Like GA: a record with neither TOTP_AUTH nor HOTP_COUNTER takes only scratch codes. */
    totp_record *rec = parse("11111111\n");
    totp_result res;
    ck_assert_int_eq(check_at(rec, T0, T0), TOTP_EMISMATCH);
    ck_assert_int_eq(check(rec, "11111111", T0, NULL, &res), TOTP_OK);
    ck_assert_uint_eq(res.scratch_left, 0);
    totp_record_free(rec);
}
END_TEST

START_TEST(eight_digit_totp_and_scratch_codes_coexist)
{
    totp_record *rec = parse("\" TOTP_AUTH\n\" DIGITS 8\n12345678\n");
    char code[TOTP_CODE_BUFSIZE];
    totp_result res;
    tu_code_at(T0, 8, code);
    ck_assert_int_eq(check(rec, code, T0, NULL, &res), TOTP_OK);
    ck_assert_int_eq(res.method, TOTP_BY_TOTP);
    ck_assert_int_eq(check(rec, "12345678", T0, NULL, &res), TOTP_OK);
    ck_assert_int_eq(res.method, TOTP_BY_SCRATCH);
    totp_record_free(rec);
}
END_TEST

START_TEST(malformed_codes)
{
    static const char *const bad[] = {"",        "12a456", "1234567890",   "12345",
                                      "1234567", "-12345", "１２３４５６", "123\t456"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        totp_record *rec = parse("\" TOTP_AUTH\n");
        totp_result res;
        ck_assert_msg(check(rec, bad[i], T0, NULL, &res) == TOTP_ECODE, "code #%zu", i);
        ck_assert_int_eq(res.method, TOTP_BY_NONE);
        ck_assert_ptr_null(totp_record_get(rec, "FAILURES")); /* no guess, no failure */
        totp_record_free(rec);
    }
    /* An 8-digit code on a 6-digit record is a failed scratch code, not malformed. */
    totp_record *rec = parse("\" TOTP_AUTH\n");
    totp_result res;
    ck_assert_int_eq(check(rec, "87654321", T0, NULL, &res), TOTP_EMISMATCH);
    totp_record_free(rec);
}
END_TEST

START_TEST(spaces_in_code_are_ignored)
{
    totp_record *rec = parse("\" TOTP_AUTH\n");
    char code[TOTP_CODE_BUFSIZE], spaced[16];
    totp_result res;
    tu_code_at(T0, 6, code);
    snprintf(spaced, sizeof(spaced), " %.3s %.3s ", code, code + 3);
    ck_assert_int_eq(check(rec, spaced, T0, NULL, &res), TOTP_OK);
    totp_record_free(rec);
}
END_TEST

START_TEST(record_rate_limit)
{
    totp_record *rec = parse("\" TOTP_AUTH\n\" RATE_LIMIT 3 30\n");
    totp_result res;
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(check(rec, "000000", T0 + i, unthrottled(), &res), TOTP_EMISMATCH);
    /* The fourth attempt in 30 s is refused, right code or not, without looking at it. */
    ck_assert_int_eq(check_at_with(rec, T0 + 3, T0 + 3, unthrottled()), TOTP_ERATELIMIT);
    ck_assert_str_eq(totp_record_get(rec, "RATE_LIMIT"), "3 30 1111111112 1111111113 1111111114");
    /* A refusal by the rate limit is not a judged failure: the throttle does not count it. */
    ck_assert_str_eq(totp_record_get(rec, "FAILURES"), "3 1111111113");
    /* Once the attempts age out, the right code works. */
    ck_assert_int_eq(check_at_with(rec, T0 + 40, T0 + 40, unthrottled()), TOTP_OK);
    ck_assert_str_eq(totp_record_get(rec, "RATE_LIMIT"), "3 30 1111111151");
    ck_assert_ptr_null(totp_record_get(rec, "ATTEMPTS"));
    totp_record_free(rec);
}
END_TEST

START_TEST(site_rate_limit_floor)
{
    totp_policy policy = TOTP_POLICY_DEFAULT;
    policy.rate_attempts = 2;
    policy.rate_interval = 60;
    totp_result res;
    /* Without RATE_LIMIT in the record, the attempts are kept in ATTEMPTS. */
    totp_record *rec = parse("\" TOTP_AUTH\n");
    ck_assert_int_eq(check(rec, "000000", T0, &policy, &res), TOTP_EMISMATCH);
    ck_assert_int_eq(check(rec, "000000", T0 + 10, &policy, &res), TOTP_EMISMATCH);
    ck_assert_int_eq(check(rec, "000000", T0 + 20, &policy, &res), TOTP_ERATELIMIT);
    ck_assert_str_eq(totp_record_get(rec, "ATTEMPTS"), "1111111121 1111111131");
    totp_record_free(rec);
    /* A looser RATE_LIMIT in the record cannot loosen the floor. */
    rec = parse("\" TOTP_AUTH\n\" RATE_LIMIT 10 30\n");
    ck_assert_int_eq(check(rec, "000000", T0, &policy, &res), TOTP_EMISMATCH);
    ck_assert_int_eq(check(rec, "000000", T0 + 1, &policy, &res), TOTP_EMISMATCH);
    ck_assert_int_eq(check(rec, "000000", T0 + 2, &policy, &res), TOTP_ERATELIMIT);
    totp_record_free(rec);
}
END_TEST

START_TEST(rate_limit_ignores_future_timestamps)
{
    /* A clock set back must not lock the user out for the difference. */
    totp_record *rec = parse("\" TOTP_AUTH\n\" RATE_LIMIT 1 30 1999999999 1999999998\n");
    ck_assert_int_eq(check_at(rec, T0, T0), TOTP_OK);
    ck_assert_str_eq(totp_record_get(rec, "RATE_LIMIT"), "1 30 1111111111");
    totp_record_free(rec);
}
END_TEST

static void hotp_code(uint64_t counter, char *code)
{
    totp_params p = {TOTP_SHA1, 6, 30};
    totp_key *key = NULL;
    ck_assert_int_eq(totp_key_new((const uint8_t *)"12345678901234567890", 20, &p, &key), TOTP_OK);
    ck_assert_int_eq(totp_hotp(key, counter, code), TOTP_OK);
    totp_key_free(key);
}

START_TEST(hotp_counter_and_look_ahead)
{
    totp_record *rec = parse("\" HOTP_COUNTER 1\n");
    char code[TOTP_CODE_BUFSIZE];
    totp_result res;
    hotp_code(1, code);
    ck_assert_int_eq(check(rec, code, T0, NULL, &res), TOTP_OK);
    ck_assert_int_eq(res.method, TOTP_BY_HOTP);
    ck_assert_str_eq(totp_record_get(rec, "HOTP_COUNTER"), "2");
    ck_assert_int_eq(check(rec, code, T0, NULL, &res), TOTP_EREPLAY);
    ck_assert_str_eq(totp_record_get(rec, "HOTP_COUNTER"), "3"); /* failures burn a value */
    hotp_code(5, code);                                          /* window 3: 3..5 */
    ck_assert_int_eq(check(rec, code, T0, NULL, &res), TOTP_OK);
    ck_assert_str_eq(totp_record_get(rec, "HOTP_COUNTER"), "6");
    hotp_code(9, code);
    ck_assert_int_eq(check(rec, code, T0, NULL, &res), TOTP_EMISMATCH);
    ck_assert_str_eq(totp_record_get(rec, "HOTP_COUNTER"), "7");
    totp_record_free(rec);
}
END_TEST

START_TEST(hotp_no_increment)
{
    totp_policy policy = TOTP_POLICY_DEFAULT;
    policy.no_increment_hotp = 1;
    totp_record *rec = parse("\" HOTP_COUNTER 1\n\" WINDOW_SIZE 1\n");
    totp_result res;
    ck_assert_int_eq(check(rec, "000000", T0, &policy, &res), TOTP_EMISMATCH);
    ck_assert_str_eq(totp_record_get(rec, "HOTP_COUNTER"), "1");
    totp_record_free(rec);
}
END_TEST

START_TEST(skew_learned_from_three_codes)
{
    /* The phone runs 10 steps (5 minutes) ahead. */
    const int64_t ahead = 300;
    totp_record *rec = parse("\" TOTP_AUTH\n");
    totp_result res;
    char code[TOTP_CODE_BUFSIZE];
    tu_code_at(T0 + ahead, 6, code);
    ck_assert_int_eq(check(rec, code, T0, NULL, &res), TOTP_EMISMATCH);
    ck_assert_str_eq(totp_record_get(rec, "RESETTING_TIME_SKEW"), "37037037+10");
    /* The same code again tells nothing new. */
    ck_assert_int_eq(check(rec, code, T0, NULL, &res), TOTP_EMISMATCH);
    ck_assert_str_eq(totp_record_get(rec, "RESETTING_TIME_SKEW"), "37037037+10");
    tu_code_at(T0 + 30 + ahead, 6, code);
    ck_assert_int_eq(check(rec, code, T0 + 30, NULL, &res), TOTP_EMISMATCH);
    tu_code_at(T0 + 60 + ahead, 6, code);
    ck_assert_int_eq(check(rec, code, T0 + 60, NULL, &res), TOTP_OK);
    ck_assert_int_eq(res.method, TOTP_BY_SKEW);
    ck_assert_str_eq(totp_record_get(rec, "TIME_SKEW"), "10");
    ck_assert_str_eq(totp_record_get(rec, "RESETTING_TIME_SKEW"), "");
    ck_assert_str_eq(totp_record_get(rec, "DISALLOW_REUSE"), "37037027 37037049");
    /* From now on the skewed phone's codes are simply accepted, and replays refused. */
    tu_code_at(T0 + 90 + ahead, 6, code);
    ck_assert_int_eq(check(rec, code, T0 + 90, NULL, &res), TOTP_OK);
    ck_assert_int_eq(res.method, TOTP_BY_TOTP);
    ck_assert_int_eq(check(rec, code, T0 + 90, NULL, &res), TOTP_EREPLAY);
    totp_record_free(rec);
}
END_TEST

START_TEST(skew_not_learned_with_noskewadj)
{
    totp_policy policy = TOTP_POLICY_DEFAULT;
    policy.noskewadj = 1;
    totp_record *rec = parse("\" TOTP_AUTH\n");
    totp_result res;
    char code[TOTP_CODE_BUFSIZE];
    for (int i = 0; i < 3; i++) {
        tu_code_at(T0 + 30 * i + 300, 6, code);
        ck_assert_int_eq(check(rec, code, T0 + 30 * i, &policy, &res), TOTP_EMISMATCH);
    }
    ck_assert_ptr_null(totp_record_get(rec, "RESETTING_TIME_SKEW"));
    ck_assert_ptr_null(totp_record_get(rec, "TIME_SKEW"));
    totp_record_free(rec);
}
END_TEST

START_TEST(existing_time_skew_is_applied)
{
    totp_record *rec = parse("\" TOTP_AUTH\n\" TIME_SKEW -4\n");
    totp_policy policy = TOTP_POLICY_DEFAULT;
    policy.noskewadj = 1;
    totp_result res;
    char code[TOTP_CODE_BUFSIZE];
    tu_code_at(T0 - 120, 6, code);
    ck_assert_int_eq(check(rec, code, T0, &policy, &res), TOTP_OK);
    tu_code_at(T0 + 30, 6, code);
    ck_assert_int_eq(check(rec, code, T0 + 30, &policy, &res), TOTP_EMISMATCH);
    totp_record_free(rec);
}
END_TEST

/* RFC 6238 Appendix B through the whole policy: records with ALGORITHM and DIGITS 8. */
static const struct {
    int64_t t;
    const char *alg, *code;
} rfc[] = {
    {59, "SHA1", "94287082"},
    {59, "SHA256", "46119246"},
    {59, "SHA512", "90693936"},
    {1111111109, "SHA1", "07081804"},
    {1111111109, "SHA256", "68084774"},
    {1111111109, "SHA512", "25091201"},
    {1111111111, "SHA1", "14050471"},
    {1111111111, "SHA256", "67062674"},
    {1111111111, "SHA512", "99943326"},
    {1234567890, "SHA1", "89005924"},
    {1234567890, "SHA256", "91819424"},
    {1234567890, "SHA512", "93441116"},
    {2000000000, "SHA1", "69279037"},
    {2000000000, "SHA256", "90698825"},
    {2000000000, "SHA512", "38618901"},
    {20000000000, "SHA1", "65353130"},
    {20000000000, "SHA256", "77737706"},
    {20000000000, "SHA512", "47863826"},
};

START_TEST(rfc6238_vectors_through_policy)
{
    static const char *const seeds[] = {"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
                                        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA",
                                        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY"
                                        "3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3T"
                                        "QOJQGEZDGNA"};
    char text[512];
    int which = rfc[_i].alg[3] == '1' ? 0 : rfc[_i].alg[3] == '2' ? 1 : 2;
    snprintf(text, sizeof(text), "%s\n\" TOTP_AUTH\n\" ALGORITHM %s\n\" DIGITS 8\n", seeds[which],
             rfc[_i].alg);
    totp_record *rec = NULL;
    totp_result res;
    ck_assert_int_eq(totp_record_parse(text, strlen(text), &rec, NULL), TOTP_OK);
    ck_assert_int_eq(check(rec, rfc[_i].code, rfc[_i].t, NULL, &res), TOTP_OK);
    ck_assert_int_eq(check(rec, rfc[_i].code, rfc[_i].t, NULL, &res), TOTP_EREPLAY);
    totp_record_free(rec);
}
END_TEST

START_TEST(bad_arguments)
{
    totp_record *rec = parse("\" TOTP_AUTH\n");
    totp_policy policy = TOTP_POLICY_DEFAULT;
    totp_result res;
    ck_assert_int_eq(totp_policy_check(rec, "123456", 0, -1, &policy, &res), TOTP_ETIME);
    ck_assert_int_eq(totp_policy_check(NULL, "123456", 0, T0, &policy, &res), TOTP_EINVAL);
    ck_assert_int_eq(totp_policy_check(rec, NULL, 0, T0, &policy, &res), TOTP_EINVAL);
    ck_assert_int_eq(totp_policy_check(rec, "123456", 0, T0, NULL, &res), TOTP_EINVAL);
    ck_assert_int_eq(totp_policy_check(rec, "123456", 0, T0, &policy, NULL), TOTP_EINVAL);
    ck_assert_ptr_null(totp_record_get(rec, "FAILURES"));
    totp_record_free(rec);
}
END_TEST

START_TEST(success_clears_failures)
{
    totp_record *rec = parse("\" TOTP_AUTH\n");
    totp_result res;
    ck_assert_int_eq(check(rec, "000000", T0, NULL, &res), TOTP_EMISMATCH);
    ck_assert_str_eq(totp_record_get(rec, "FAILURES"), "1 1111111111");
    ck_assert_int_eq(check_at(rec, T0 + 30, T0 + 30), TOTP_OK);
    ck_assert_ptr_null(totp_record_get(rec, "FAILURES"));
    ck_assert_str_eq(totp_record_get(rec, "LAST_SUCCESS"), "1111111141");
    totp_record_free(rec);
}
END_TEST

START_TEST(suffix_splits_password_and_code)
{
    const totp_policy defaults = TOTP_POLICY_DEFAULT;
    totp_record *rec = parse("\" TOTP_AUTH\n\" RATE_LIMIT 5 30\n11111111\n");
    totp_result res;
    char code[TOTP_CODE_BUFSIZE], input[64];
    tu_code_at(T0, 6, code);
    snprintf(input, sizeof(input), "hunter2 %s", code);
    ck_assert_int_eq(totp_policy_check(rec, input, TOTP_INPUT_SUFFIX, T0, &defaults, &res),
                     TOTP_OK);
    ck_assert_uint_eq(res.code_len, 6);
    ck_assert_int_eq(res.method, TOTP_BY_TOTP);
    /* A password ending in digits followed by a scratch code: the last 8 are the code. */
    ck_assert_int_eq(
        totp_policy_check(rec, "pw99 11111111", TOTP_INPUT_SUFFIX, T0, &defaults, &res), TOTP_OK);
    ck_assert_uint_eq(res.code_len, 8);
    ck_assert_int_eq(res.method, TOTP_BY_SCRATCH);
    /* Two password digits and a code look like 8 digits: not a scratch code, so the code. */
    tu_code_at(T0 + 30, 6, code);
    snprintf(input, sizeof(input), "42%s", code);
    ck_assert_int_eq(totp_policy_check(rec, input, TOTP_INPUT_SUFFIX, T0 + 30, &defaults, &res),
                     TOTP_OK);
    ck_assert_uint_eq(res.code_len, 6);
    ck_assert_int_eq(totp_policy_check(rec, "12345", TOTP_INPUT_SUFFIX, T0 + 30, &defaults, &res),
                     TOTP_ECODE);
    ck_assert_uint_eq(res.code_len, 0);
    ck_assert_int_eq(
        totp_policy_check(rec, "secret 123 456", TOTP_INPUT_SUFFIX, T0 + 30, &defaults, &res),
        TOTP_ECODE);
    /* One input, one attempt, however many splits were tried; an input that cannot end in a
     * code is no attempt at all. */
    const char *rl = totp_record_get(rec, "RATE_LIMIT");
    ck_assert_str_eq(rl, "5 30 1111111111 1111111111 1111111141");
    totp_record_free(rec);
}
END_TEST

START_TEST(grace_period_per_host)
{
    totp_policy policy = TOTP_POLICY_DEFAULT;
    policy.grace_period = 3600;
    policy.rhost = "192.0.2.1";
    totp_record *rec = parse("\" TOTP_AUTH\n");
    totp_result res;
    char code[TOTP_CODE_BUFSIZE];
    ck_assert_int_eq(totp_grace_applies(rec, "192.0.2.1", T0, 3600), 0);
    tu_code_at(T0, 6, code);
    ck_assert_int_eq(check(rec, code, T0, &policy, &res), TOTP_OK);
    ck_assert_str_eq(totp_record_get(rec, "LAST0"), "192.0.2.1 1111111111");
    ck_assert_int_eq(totp_grace_applies(rec, "192.0.2.1", T0 + 3599, 3600), 1);
    ck_assert_int_eq(totp_grace_applies(rec, "192.0.2.1", T0 + 3600, 3600), 0);
    ck_assert_int_eq(totp_grace_applies(rec, "192.0.2.1", T0 - 10, 3600), 0); /* clock set back */
    ck_assert_int_eq(totp_grace_applies(rec, "192.0.2.2", T0 + 1, 3600), 0);
    ck_assert_int_eq(totp_grace_applies(rec, NULL, T0 + 1, 3600), 0);
    ck_assert_int_eq(totp_grace_applies(rec, "", T0 + 1, 3600), 0);
    ck_assert_int_eq(totp_grace_applies(rec, "192.0.2.1", T0 + 1, 0), 0);

    /* Ten hosts are kept; the eleventh replaces the one seen longest ago. */
    for (int i = 2; i <= 11; i++) {
        char host[32];
        snprintf(host, sizeof(host), "192.0.2.%d", i);
        policy.rhost = host;
        tu_code_at(T0 + 30 * i, 6, code);
        ck_assert_int_eq(check(rec, code, T0 + 30 * i, &policy, &res), TOTP_OK);
    }
    ck_assert_int_eq(totp_grace_applies(rec, "192.0.2.1", T0 + 400, 3600), 0);
    ck_assert_int_eq(totp_grace_applies(rec, "192.0.2.11", T0 + 400, 3600), 1);
    ck_assert_str_eq(totp_record_get(rec, "LAST0"), "192.0.2.11 1111111441");
    /* A host that cannot be stored is not remembered. */
    policy.rhost = "evil host";
    tu_code_at(T0 + 600, 6, code);
    ck_assert_int_eq(check(rec, code, T0 + 600, &policy, &res), TOTP_OK);
    ck_assert_int_eq(totp_grace_applies(rec, "evil host", T0 + 601, 3600), 0);
    totp_record_free(rec);
}
END_TEST

static Suite *policy_suite(void)
{
    Suite *s = suite_create("policy");
    TCase *tc = tcase_create("totp");
    tcase_add_test(tc, current_code_accepted_and_watermarked);
    tcase_add_test(tc, replay_refused_even_without_disallow_reuse);
    tcase_add_test(tc, older_code_refused_after_newer_one);
    tcase_add_test(tc, ga_disallow_reuse_list_sets_watermark);
    tcase_add_loop_test(tc, window_sizes, 0, sizeof(windows) / sizeof(windows[0]));
    tcase_add_loop_test(tc, rfc6238_vectors_through_policy, 0, sizeof(rfc) / sizeof(rfc[0]));
    tcase_add_test(tc, spaces_in_code_are_ignored);
    tcase_add_test(tc, malformed_codes);
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, success_clears_failures);
    tcase_add_test(tc, suffix_splits_password_and_code);
    tcase_add_test(tc, grace_period_per_host);
    suite_add_tcase(s, tc);

    tc = tcase_create("scratch");
    tcase_add_test(tc, scratch_code_accepted_once);
    tcase_add_test(tc, scratch_codes_work_without_totp);
    tcase_add_test(tc, eight_digit_totp_and_scratch_codes_coexist);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_add_test(tc, record_rate_limit);
    tcase_add_test(tc, site_rate_limit_floor);
    tcase_add_test(tc, rate_limit_ignores_future_timestamps);
    suite_add_tcase(s, tc);

    tc = tcase_create("hotp_skew");
    tcase_add_test(tc, hotp_counter_and_look_ahead);
    tcase_add_test(tc, hotp_no_increment);
    tcase_add_test(tc, skew_learned_from_three_codes);
    tcase_add_test(tc, skew_not_learned_with_noskewadj);
    tcase_add_test(tc, existing_time_skew_is_applied);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(policy_suite)
