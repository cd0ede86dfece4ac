/* SPDX-License-Identifier: Apache-2.0 */
/* check_concurrency.c: many processes present one code (or one scratch code) at the same
 * moment: exactly one is accepted, round after round, and the record stays valid. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "totp.h"
#include "unit.h"

#define T0        1111111111
#define PROCESSES 100
#define ROUNDS    10

enum { ACCEPTED = 0, REFUSED = 1, ERROR = 2 };

static const char *user_for(int which)
{
    return which == 0 ? "bob" : "alice";
}

static void setup_record(int which, const char *text)
{
    char path[4300];
    tu_reset_homes();
    if (which == 0)
        snprintf(path, sizeof(path), "%s/bob", tu_system_dir());
    else
        snprintf(path, sizeof(path), "%s/.google_authenticator", tu_home("alice"));
    tu_write(path, text, 0600);
}

/* Start PROCESSES logins with `code` at `now`, all released at once; count the outcomes. */
static void race(const char *user, const char *code, int64_t now, int counts[3])
{
    int gate[2];
    pid_t pids[PROCESSES];
    /* Losers write their failure too, one fsync after another behind the lock: give the last
     * of a hundred more than the test stores' usual 2 s. */
    totp_file_store_config cfg = {tu_system_dir(), NULL,  0, 0,    0,    0,
                                  geteuid(),       30000, 0, NULL, NULL, 0};
    totp_store *store = NULL;
    ck_assert_int_eq(totp_store_file_new(&cfg, &store), TOTP_OK);
    ck_assert_int_eq(pipe(gate), 0);
    for (int i = 0; i < PROCESSES; i++) {
        pids[i] = fork();
        ck_assert_int_ge(pids[i], 0);
        if (pids[i] == 0) {
            char c;
            close(gate[1]);
            if (read(gate[0], &c, 1) != 0) /* blocks until the parent closes the gate */
                _exit(ERROR);
            /* Nothing in a child may use Check's assertions (they write to its pipe): the
             * store was made before the fork. */
            totp_policy policy = TOTP_POLICY_DEFAULT;
            totp_result res;
            int rc = totp_authenticate(store, user, code, 0, now, &policy, &res, NULL, 0, NULL);
            /* After the accept, three refusals start the throttle: the rest are refused
             * unjudged (TOTP_ERATELIMIT). */
            _exit(rc == TOTP_OK                                                         ? ACCEPTED
                  : rc == TOTP_EREPLAY || rc == TOTP_EMISMATCH || rc == TOTP_ERATELIMIT ? REFUSED
                                                                                        : ERROR);
        }
    }
    close(gate[0]);
    close(gate[1]);
    totp_store_free(store);
    memset(counts, 0, 3 * sizeof(int));
    for (int i = 0; i < PROCESSES; i++) {
        int status;
        ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
        ck_assert(WIFEXITED(status));
        counts[WEXITSTATUS(status) <= ERROR ? WEXITSTATUS(status) : ERROR]++;
    }
}

START_TEST(one_code_accepted_once)
{
    setup_record(_i, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n\" TOTP_AUTH\n11111111\n");
    for (int round = 0; round < ROUNDS; round++) {
        int counts[3];
        char code[TOTP_CODE_BUFSIZE];
        int64_t now = T0 + 30 * round;
        tu_code_at(now, 6, code);
        race(user_for(_i), code, now, counts);
        ck_assert_msg(counts[ACCEPTED] == 1 && counts[ERROR] == 0,
                      "round %d: %d accepted, %d refused, %d errors", round, counts[ACCEPTED],
                      counts[REFUSED], counts[ERROR]);
    }
    /* The record is still whole and usable. */
    totp_store *store = tu_store(NULL);
    totp_policy policy = TOTP_POLICY_DEFAULT;
    totp_result res;
    ck_assert_int_eq(totp_authenticate(store, user_for(_i), "11111111", 0, T0 + 30 * ROUNDS,
                                       &policy, &res, NULL, 0, NULL),
                     TOTP_OK);
    totp_store_free(store);
    printf("concurrency: %s record: %d rounds of %d simultaneous logins, one accept each\n",
           _i == 0 ? "system" : "home", ROUNDS, PROCESSES);
}
END_TEST

START_TEST(one_scratch_code_accepted_once)
{
    setup_record(_i, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n\" TOTP_AUTH\n11111111\n22222222\n");
    int counts[3];
    race(user_for(_i), "22222222", T0, counts);
    ck_assert_msg(counts[ACCEPTED] == 1 && counts[ERROR] == 0, "%d accepted, %d errors",
                  counts[ACCEPTED], counts[ERROR]);
    race(user_for(_i), "11111111", T0 + 15, counts); /* once the throttle lets codes in */
    ck_assert_int_eq(counts[ACCEPTED], 1);
}
END_TEST

static Suite *concurrency_suite(void)
{
    Suite *s = suite_create("concurrency");
    TCase *tc = tcase_create("race");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, one_code_accepted_once, 0, 2);
    tcase_add_loop_test(tc, one_scratch_code_accepted_once, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN_USERS(concurrency_suite)
