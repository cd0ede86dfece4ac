/* SPDX-License-Identifier: Apache-2.0 */
/* check_skew.c: clock-skew learning within its bound, the watermark, corrected phones, the
 * clock hint, interleaving with google-authenticator, and a property test that no code is ever
 * accepted twice (time injected). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "totp.h"
#include "unit.h"

#define T0    1111111111 /* step 37037037 */
#define STEP0 37037037
#define BOUND 10 /* the default skew_max, 300 s, in 30-second steps */

static totp_record *parse(const char *extra)
{
    char *text = tu_record_text(extra);
    totp_record *rec = NULL;
    totp_error err = {0};
    ck_assert_msg(totp_record_parse(text, strlen(text), &rec, &err) == TOTP_OK, "%s", err.message);
    free(text);
    return rec;
}

/* The phone's code for `code_time`, typed at `now` under the default policy, without the
 * guessing throttle (check_throttle.c), which would refuse some of these walks' attempts
 * unjudged and so test less of the skew logic. */
static int type_at(totp_record *rec, int64_t code_time, int64_t now, totp_result *res)
{
    totp_policy policy = TOTP_POLICY_DEFAULT;
    policy.throttle.max_delay = 0;
    char code[TOTP_CODE_BUFSIZE];
    tu_code_at(code_time, 6, code);
    return totp_policy_check(rec, code, 0, now, &policy, res);
}

static uint64_t highest_used(const totp_record *rec)
{
    uint64_t step = 0;
    ck_assert_int_eq(totp_record_last_step(rec, &step), TOTP_OK);
    return step;
}

START_TEST(unused_codes_six_hours_old_are_not_learned)
{
    /* Someone who read three consecutive codes six hours ago, never used, types them now. */
    totp_record *rec = parse("\" TOTP_AUTH\n");
    totp_result res;
    const int64_t seen = T0 - 6 * 3600;
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(type_at(rec, seen + 30 * i, T0 + 30 * i, &res), TOTP_EMISMATCH);
    ck_assert_ptr_null(totp_record_get(rec, "TIME_SKEW"));
    ck_assert_int_eq(totp_record_last_step(rec, &(uint64_t){0}), TOTP_ENOENT);
    /* The user's own phone still works. */
    ck_assert_int_eq(type_at(rec, T0 + 90, T0 + 90, &res), TOTP_OK);
    ck_assert_int_eq(res.method, TOTP_BY_TOTP);
    totp_record_free(rec);
}
END_TEST

START_TEST(phone_hours_ahead_cannot_be_learned)
{
    /* The user logs in; two hours later someone types three codes read off the user's phone
     * with its clock set 11.7 hours ahead. */
    totp_record *rec = parse("\" TOTP_AUTH\n");
    totp_result res;
    const int64_t ahead = (int64_t)(11.7 * 3600), later = T0 + 2 * 3600;
    ck_assert_int_eq(type_at(rec, T0, T0, &res), TOTP_OK);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(type_at(rec, later + ahead + 30 * i, later + 30 * i, &res),
                         TOTP_EMISMATCH);
    ck_assert_ptr_null(totp_record_get(rec, "TIME_SKEW"));
    ck_assert_uint_eq(highest_used(rec), STEP0);
    /* The real user is not locked out. */
    ck_assert_int_eq(type_at(rec, later + 90, later + 90, &res), TOTP_OK);
    totp_record_free(rec);
}
END_TEST

START_TEST(learning_reaches_the_bound_and_no_further)
{
    totp_result res;
    for (int off = BOUND - 1; off <= BOUND + 1; off++) {
        totp_record *rec = parse("\" TOTP_AUTH\n");
        int rc = TOTP_EMISMATCH;
        for (int i = 0; i < 3; i++)
            rc = type_at(rec, T0 + 30 * (i + off), T0 + 30 * i, &res);
        /* Off by BOUND + 1 steps, the window (one step ahead) still reaches it. */
        ck_assert_int_eq(rc, off <= BOUND ? TOTP_OK : TOTP_EMISMATCH);
        totp_record_free(rec);
    }
    /* skew_max widens (or narrows) the reach; the window still counts on top. */
    totp_policy policy = TOTP_POLICY_DEFAULT;
    policy.skew_max = 600;
    totp_record *rec = parse("\" TOTP_AUTH\n");
    char code[TOTP_CODE_BUFSIZE];
    int rc = TOTP_EMISMATCH;
    for (int i = 0; i < 3; i++) {
        tu_code_at(T0 + 30 * i + 600, 6, code);
        rc = totp_policy_check(rec, code, 0, T0 + 30 * i, &policy, &res);
    }
    ck_assert_int_eq(rc, TOTP_OK);
    ck_assert_int_eq(res.method, TOTP_BY_SKEW);
    ck_assert_str_eq(totp_record_get(rec, "TIME_SKEW"), "20");
    totp_record_free(rec);
}
END_TEST

START_TEST(time_skew_beyond_the_bound_is_clamped)
{
    /* A record learned by the old unbounded search: 1500 steps (12.5 hours) ahead. Its
     * codes are no longer accepted, and the watermark never jumps hours ahead. */
    totp_record *rec = parse("\" TOTP_AUTH\n\" TIME_SKEW 1500\n");
    totp_result res;
    ck_assert_int_eq(type_at(rec, T0 + 1500 * 30, T0, &res), TOTP_EMISMATCH);
    ck_assert_int_eq(totp_record_last_step(rec, &(uint64_t){0}), TOTP_ENOENT);
    /* It counts as the bound: a phone that far ahead gets in, one beyond does not. */
    ck_assert_int_eq(type_at(rec, T0 + 30 + BOUND * 30, T0 + 30, &res), TOTP_OK);
    ck_assert_uint_eq(highest_used(rec), STEP0 + 1 + BOUND);
    ck_assert_int_eq(type_at(rec, T0 + 60 + (BOUND + 2) * 30, T0 + 60, &res), TOTP_EMISMATCH);
    totp_record_free(rec);
}
END_TEST

START_TEST(corrected_phone_gets_in_within_three_codes)
{
    /* The phone runs 4 minutes (8 steps) ahead: learned, used twice. */
    const int64_t ahead = 240;
    totp_record *rec = parse("\" TOTP_AUTH\n");
    totp_result res;
    int rc = TOTP_EMISMATCH;
    for (int i = 0; i < 3; i++)
        rc = type_at(rec, T0 + ahead + 30 * i, T0 + 30 * i, &res);
    ck_assert_int_eq(rc, TOTP_OK);
    ck_assert_str_eq(totp_record_get(rec, "TIME_SKEW"), "8");
    ck_assert_int_eq(type_at(rec, T0 + ahead + 90, T0 + 90, &res), TOTP_OK);
    /* Its clock is corrected a minute later. The first two codes are refused (and logged as
     * clock trouble); the third relearns the skew and logs in. */
    const int64_t t1 = T0 + 150;
    ck_assert_int_eq(type_at(rec, t1, t1, &res), TOTP_EMISMATCH);
    ck_assert_int_eq(res.clock_hint, 1);
    ck_assert_int_eq(res.off_by, -240);
    ck_assert_int_eq(type_at(rec, t1 + 30, t1 + 30, &res), TOTP_EMISMATCH);
    ck_assert_int_eq(type_at(rec, t1 + 60, t1 + 60, &res), TOTP_OK);
    ck_assert_int_eq(res.method, TOTP_BY_SKEW);
    ck_assert_str_eq(totp_record_get(rec, "TIME_SKEW"), "0");
    /* From then on each new code is simply accepted, and none twice. */
    ck_assert_int_eq(type_at(rec, t1 + 90, t1 + 90, &res), TOTP_OK);
    ck_assert_int_eq(res.method, TOTP_BY_TOTP);
    ck_assert_int_eq(type_at(rec, t1 + 90, t1 + 90, &res), TOTP_EREPLAY);
    ck_assert_int_eq(type_at(rec, t1 + 120, t1 + 120, &res), TOTP_OK);
    /* The steps accepted while the phone was ahead stay used when real time reaches them. */
    for (int64_t t = T0 + ahead + 60; t <= T0 + ahead + 90; t += 30)
        ck_assert_int_eq(type_at(rec, t, t, &res), TOTP_EREPLAY);
    totp_record_free(rec);
}
END_TEST

START_TEST(watermark_never_passes_now_plus_bound_and_window)
{
    /* Whatever the record says, nothing accepted lies beyond now + bound + the window. */
    static const char *const records[] = {
        "\" TOTP_AUTH\n",
        "\" TOTP_AUTH\n\" TIME_SKEW 1500\n",
        "\" TOTP_AUTH\n\" TIME_SKEW 11\n\" WINDOW_SIZE 5\n",
        "\" TOTP_AUTH\n\" RESETTING_TIME_SKEW 37037036+1400 37037037+1401\n",
    };
    for (size_t r = 0; r < sizeof(records) / sizeof(records[0]); r++) {
        totp_record *rec = parse(records[r]);
        totp_result res;
        unsigned ahead = strstr(records[r], "WINDOW_SIZE 5") != NULL ? 2 : 1;
        for (int64_t off = -2000; off <= 2000; off += 1) {
            if (off % 10 != 0 && (off < -30 || off > 30))
                continue;
            int64_t now = T0 + 30 * (2000 + off);
            if (type_at(rec, now + 30 * off, now, &res) == TOTP_OK)
                ck_assert_uint_le(highest_used(rec), (uint64_t)now / 30 + BOUND + ahead);
        }
        totp_record_free(rec);
    }
}
END_TEST

START_TEST(clock_hint_names_only_steps_behind)
{
    totp_record *rec = parse("\" TOTP_AUTH\n");
    totp_policy policy = TOTP_POLICY_DEFAULT;
    policy.noskewadj = 1;
    policy.throttle.max_delay = 0; /* four wrong codes at one moment */
    totp_result res;
    char code[TOTP_CODE_BUFSIZE];
    tu_code_at(T0 - 3570, 6, code);
    ck_assert_int_eq(totp_policy_check(rec, code, 0, T0, &policy, &res), TOTP_EMISMATCH);
    ck_assert_int_eq(res.clock_hint, 1);
    ck_assert_int_eq(res.off_by, -3570);
    /* A code that becomes valid in ten minutes: whoever reads the log must not learn that. */
    tu_code_at(T0 + 600, 6, code);
    ck_assert_int_eq(totp_policy_check(rec, code, 0, T0, &policy, &res), TOTP_EMISMATCH);
    ck_assert_int_eq(res.clock_hint, 0);
    ck_assert_int_eq(res.off_by, 0);
    /* Nor one within the learning bound, learned or not. */
    policy.noskewadj = 0;
    tu_code_at(T0 + 240, 6, code);
    ck_assert_int_eq(totp_policy_check(rec, code, 0, T0, &policy, &res), TOTP_EMISMATCH);
    ck_assert_int_eq(res.clock_hint, 0);
    ck_assert_int_eq(res.off_by, 0);
    /* Beyond an hour it is just a wrong code. */
    tu_code_at(T0 - 2 * 3600, 6, code);
    ck_assert_int_eq(totp_policy_check(rec, code, 0, T0, &policy, &res), TOTP_EMISMATCH);
    ck_assert_int_eq(res.clock_hint, 0);
    ck_assert_int_eq(totp_policy_check(rec, "000000", 0, T0, &policy, &res), TOTP_EMISMATCH);
    ck_assert_int_eq(res.clock_hint, 0);
    totp_record_free(rec);
}
END_TEST

START_TEST(replay_beyond_the_window_is_a_replay)
{
    /* A code used at T0, typed again two minutes later: already used, not clock trouble. */
    totp_record *rec = parse("\" TOTP_AUTH\n");
    totp_result res;
    ck_assert_int_eq(type_at(rec, T0, T0, &res), TOTP_OK);
    ck_assert_int_eq(type_at(rec, T0, T0 + 120, &res), TOTP_EREPLAY);
    ck_assert_int_eq(res.clock_hint, 0);
    /* Listed steps stay replays until they go under the floor; there, as most steps under it
     * were never accepted, it is clock trouble (a phone 20 minutes slow). */
    ck_assert_int_eq(type_at(rec, T0 + 30, T0 + 30, &res), TOTP_OK);
    ck_assert_int_eq(type_at(rec, T0, T0 + 300, &res), TOTP_EREPLAY);
    ck_assert_int_eq(type_at(rec, T0 + 1200, T0 + 1200, &res), TOTP_OK);
    ck_assert_int_eq(type_at(rec, T0 + 30, T0 + 1230, &res), TOTP_EMISMATCH);
    ck_assert_int_eq(res.clock_hint, 1);
    ck_assert_int_eq(res.off_by, -1200);
    totp_record_free(rec);
}
END_TEST

/* google-authenticator's invalidate_timebased_code() on the record text: refuse a listed step,
 * drop every entry WINDOW_SIZE or more steps from the one accepted, append it. */
static int ga_accepts(totp_record *rec, uint64_t tm)
{
    const char *list = totp_record_get(rec, "DISALLOW_REUSE");
    char out[1024] = "", *copy = strdup(list != NULL ? list : ""), *save = NULL;
    ck_assert_ptr_nonnull(copy);
    for (char *tok = strtok_r(copy, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
        uint64_t b = strtoull(tok, NULL, 10);
        if (b == tm) {
            free(copy);
            return 0;
        }
        if (b >= tm + 3 || tm >= b + 3)
            continue;
        snprintf(out + strlen(out), sizeof(out) - strlen(out), "%" PRIu64 " ", b);
    }
    snprintf(out + strlen(out), sizeof(out) - strlen(out), "%" PRIu64, tm);
    free(copy);
    ck_assert_int_eq(totp_record_set(rec, "DISALLOW_REUSE", out), TOTP_OK);
    return 1;
}

/* The rule for a server clock set back (an NTP correction) after a login: the window around
 * the CURRENT time accepts its steps that were never used, even below the last accepted one
 * (they are the codes of now: the user is not locked out until the clock catches up); within
 * the window, an older code is still refused once a newer one was; and no step below the
 * window, nor any step used, is ever accepted without a relearned skew. */
START_TEST(clock_set_back_accepts_only_the_current_window)
{
    totp_record *rec = parse("\" TOTP_AUTH\n");
    totp_result res;
    ck_assert_int_eq(type_at(rec, T0, T0, &res), TOTP_OK); /* step STEP0 */
    const int64_t back = T0 - 300;                         /* the clock steps back 5 minutes */
    /* The current code is accepted at once, with no skew learned. */
    ck_assert_int_eq(type_at(rec, back, back, &res), TOTP_OK);
    ck_assert_int_eq(res.method, TOTP_BY_TOTP);
    ck_assert_ptr_null(totp_record_get(rec, "TIME_SKEW"));
    /* Within the window, an older code is refused once a newer one was; and no step twice. */
    ck_assert_int_eq(type_at(rec, back - 30, back, &res), TOTP_EREPLAY);
    ck_assert_int_eq(type_at(rec, back, back + 1, &res), TOTP_EREPLAY);
    ck_assert_int_eq(type_at(rec, T0, back, &res), TOTP_EREPLAY);
    ck_assert_int_eq(type_at(rec, back + 30, back + 30, &res), TOTP_OK); /* the next one */
    /* An unused code below the window is not revived: only a relearned skew would take it. */
    ck_assert_int_eq(type_at(rec, back - 120, back + 30, &res), TOTP_EMISMATCH);
    ck_assert_ptr_null(totp_record_get(rec, "TIME_SKEW"));
    totp_record_free(rec);

    /* Set back further than the skew bound and the window: the window is at or below the floor
     * (it never moves down), so the user waits for the clock to pass it; nothing is revived. */
    rec = parse("\" TOTP_AUTH\n");
    ck_assert_int_eq(type_at(rec, T0, T0, &res), TOTP_OK);
    const int64_t far = T0 - 30 * (BOUND + 4);
    for (int64_t dt = -30; dt <= 30; dt += 30)
        ck_assert_int_ne(type_at(rec, far + dt, far, &res), TOTP_OK);
    ck_assert_int_eq(type_at(rec, T0 + 30, T0 + 30, &res), TOTP_OK);
    totp_record_free(rec);
}
END_TEST

START_TEST(ga_pruning_does_not_reopen_used_steps)
{
    /* The attack review's interleaving: TIME_SKEW 8; a login through pam_totp with the code of
     * step+8; the phone is corrected and relearned; one login through google-authenticator,
     * which prunes DISALLOW_REUSE; then the first code is replayed through pam_totp. */
    totp_record *rec = parse("\" TOTP_AUTH\n\" TIME_SKEW 8\n");
    totp_result res;
    ck_assert_int_eq(type_at(rec, T0 + 240, T0, &res), TOTP_OK);
    for (int i = 1; i <= 2; i++)
        ck_assert_int_eq(type_at(rec, T0 + 30 * i, T0 + 30 * i, &res), TOTP_EMISMATCH);
    ck_assert_int_eq(type_at(rec, T0 + 90, T0 + 90, &res), TOTP_OK);
    ck_assert_int_eq(res.method, TOTP_BY_SKEW);
    ck_assert(ga_accepts(rec, STEP0 + 4));
    ck_assert_int_eq(type_at(rec, T0 + 240, T0 + 240, &res), TOTP_EREPLAY);
    /* GA's step counts as used for pam_totp too, and pam_totp's for GA. */
    ck_assert_int_eq(type_at(rec, T0 + 120, T0 + 120, &res), TOTP_EREPLAY);
    ck_assert_int_eq(type_at(rec, T0 + 150, T0 + 150, &res), TOTP_OK);
    ck_assert(!ga_accepts(rec, STEP0 + 5));
    ck_assert(ga_accepts(rec, STEP0 + 6));
    ck_assert_int_eq(type_at(rec, T0 + 180, T0 + 180, &res), TOTP_EREPLAY);
    totp_record_free(rec);
}
END_TEST

START_TEST(legacy_record_floor_is_its_highest_step)
{
    /* No TOTP_USED (GA or an older pam_totp wrote it): every step up to the highest listed one
     * is used, as a watermark. */
    char extra[128];
    snprintf(extra, sizeof(extra), "\" TOTP_AUTH\n\" DISALLOW_REUSE %d %d\n", STEP0 + 1, STEP0 - 5);
    totp_record *rec = parse(extra);
    totp_result res;
    ck_assert_int_eq(type_at(rec, T0, T0, &res), TOTP_EREPLAY);
    ck_assert_int_eq(type_at(rec, T0 + 30, T0 + 30, &res), TOTP_EREPLAY);
    ck_assert_int_eq(type_at(rec, T0 + 60, T0 + 60, &res), TOTP_OK);
    ck_assert_ptr_nonnull(totp_record_get(rec, "TOTP_USED"));
    totp_record_free(rec);
}
END_TEST

/* xorshift64*: a fixed seed, so a failure can be replayed. */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(uint64_t n)
{
    rnd_state ^= rnd_state >> 12;
    rnd_state ^= rnd_state << 25;
    rnd_state ^= rnd_state >> 27;
    return (rnd_state * 0x2545f4914f6cdd1dULL) % n;
}

START_TEST(no_code_is_ever_accepted_twice)
{
    /*
     * Random clocks: the server's moves on, jumps forward, sometimes back; the phone's offset
     * changes (set by hand, corrected). Random inputs: the phone's code, a replay of an accepted
     * code, a code seen earlier, a neighbour's code. Every accepted step must be new, and never
     * beyond now + bound + window. The record goes through text each time, as it does on disk.
     */
    static const int64_t offsets[] = {0, 0, 0, 30, -30, 60, 120, -150, 240, 300, -300, 600, 3600};
    enum { ROUNDS = 4000, KEEP = 4096 };
    static uint64_t accepted[KEEP];
    size_t n_accepted = 0, n_ok = 0, n_skew = 0;
    char *text = tu_record_text("\" TOTP_AUTH\n");
    int64_t now = T0, phone = 0;
    rnd_state = 0x9e3779b97f4a7c15ULL + (uint64_t)_i;

    for (int round = 0; round < ROUNDS; round++) {
        uint64_t r = rnd(100);
        if (r < 60)
            now += (int64_t)rnd(60);
        else if (r < 75)
            now += 30 * (int64_t)rnd(40);
        else if (r < 88)
            now -= 30 * (int64_t)rnd(25); /* the server's clock is set back */
        else
            phone = offsets[rnd(sizeof(offsets) / sizeof(offsets[0]))];

        int64_t code_time;
        r = rnd(100);
        if (r < 55 || n_accepted == 0)
            code_time = now + phone;
        else if (r < 75) /* a replay of a recent accepted code */
            code_time =
                (int64_t)accepted[n_accepted - 1 - rnd(n_accepted < 8 ? n_accepted : 8)] * 30;
        else if (r < 90)
            code_time = now + phone - 30 * (int64_t)rnd(30);
        else
            code_time = now + phone + 30 * ((int64_t)rnd(5) - 2);
        totp_record *rec = NULL;
        totp_error err = {0};
        ck_assert_int_eq(totp_record_parse(text, strlen(text), &rec, &err), TOTP_OK);
        uint64_t before = 0;
        int had = totp_record_last_step(rec, &before) == TOTP_OK;
        totp_result res;
        int rc = type_at(rec, code_time, now, &res);
        if (rc == TOTP_OK) {
            uint64_t step = (uint64_t)code_time / 30;
            for (size_t i = 0; i < n_accepted; i++)
                ck_assert_msg(accepted[i] != step, "round %d: step %" PRIu64 " accepted twice",
                              round, step);
            ck_assert_uint_le(step, (uint64_t)now / 30 + BOUND + 1);
            uint64_t after = highest_used(rec);
            ck_assert(after == step || (had && after == before));
            ck_assert_uint_lt(n_accepted, KEEP);
            accepted[n_accepted++] = step;
            n_ok++;
            n_skew += res.method == TOTP_BY_SKEW;
        }
        free(text);
        text = NULL;
        size_t len = 0;
        ck_assert_int_eq(totp_record_serialize(rec, &text, &len), TOTP_OK);
        totp_record_free(rec);
    }
    free(text);
    /* The walk must exercise both ways in, or it proves little. */
    ck_assert_uint_gt(n_ok, ROUNDS / 10);
    ck_assert_uint_gt(n_skew, 5);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("skew");
    TCase *tc = tcase_create("skew");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, unused_codes_six_hours_old_are_not_learned);
    tcase_add_test(tc, phone_hours_ahead_cannot_be_learned);
    tcase_add_test(tc, learning_reaches_the_bound_and_no_further);
    tcase_add_test(tc, time_skew_beyond_the_bound_is_clamped);
    tcase_add_test(tc, corrected_phone_gets_in_within_three_codes);
    tcase_add_test(tc, watermark_never_passes_now_plus_bound_and_window);
    tcase_add_test(tc, clock_hint_names_only_steps_behind);
    tcase_add_test(tc, replay_beyond_the_window_is_a_replay);
    tcase_add_test(tc, clock_set_back_accepts_only_the_current_window);
    tcase_add_test(tc, ga_pruning_does_not_reopen_used_steps);
    tcase_add_test(tc, legacy_record_floor_is_its_highest_step);
    tcase_add_loop_test(tc, no_code_is_ever_accepted_twice, 0, 4);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(make_suite)
