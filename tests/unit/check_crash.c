/* SPDX-License-Identifier: Apache-2.0 */
/* check_crash.c: logins killed with SIGKILL at every system call of a commit, and at random
 * moments in a loop: the record always parses with its secret and scratch codes, no lock
 * outlives its holder, and the next login works. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "faultshim.h"
#include "testutil.h"
#include "totp.h"
#include "unit.h"

#define T0 1111111111
#define RECORD_TEXT                                                                                \
    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n\" TOTP_AUTH\n\" RATE_LIMIT 50 1\n11111111\n22222222\n"

static char record_path[4200];
static void prepare_login(void);

static void setup(void)
{
    snprintf(record_path, sizeof(record_path), "%s/bob", tu_system_dir());
    tu_write(record_path, RECORD_TEXT, 0600);
    prepare_login();
}

/* One login at `t`. Children that get killed run this, so it must not use Check's assertions:
 * they write to Check's pipe, and a SIGKILL in the middle of such a write corrupts it. */
static totp_store *store;
static totp_key *key;

/* Made in the test's own process (the fixture), before any child is forked. */
static void prepare_login(void)
{
    const totp_params params = TOTP_PARAMS_DEFAULT;
    totp_file_store_config cfg = {tu_system_dir(), NULL, 0, 0,    0,    0,
                                  geteuid(),       2000, 0, NULL, NULL, 0};
    ck_assert_int_eq(totp_store_file_new(&cfg, &store), TOTP_OK);
    ck_assert_int_eq(totp_key_new((const uint8_t *)"12345678901234567890", 20, &params, &key),
                     TOTP_OK);
}

static int login_at(int64_t t)
{
    totp_policy policy = TOTP_POLICY_DEFAULT;
    totp_result res;
    char code[TOTP_CODE_BUFSIZE];
    uint64_t step;
    if (totp_time_step(t, 30, &step) != TOTP_OK || totp_hotp(key, step, code) != TOTP_OK)
        return TOTP_ECRYPTO;
    return totp_authenticate(store, "bob", code, 0, t, &policy, &res, NULL, 0, NULL);
}

static void assert_whole(const char *context)
{
    char *text = tu_read(record_path);
    totp_record *rec = NULL;
    totp_error err = {0};
    ck_assert_msg(text != NULL, "%s: record gone", context);
    ck_assert_msg(totp_record_parse(text, strlen(text), &rec, &err) == TOTP_OK, "%s: %s", context,
                  err.message);
    ck_assert_msg(strncmp(text, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n", 33) == 0, "%s", context);
    ck_assert_msg(totp_record_scratch_count(rec) == 2, "%s: scratch codes", context);
    ck_assert_msg(strstr(text, "\n11111111\n22222222\n") != NULL, "%s", context);
    totp_record_free(rec);
    free(text);
}

START_TEST(killed_at_every_call)
{
    fault_arm("", 0, 0);
    ck_assert_int_eq(login_at(T0), TOTP_OK);
    unsigned counts[32];
    for (int c = 0; fault_call_names[c] != NULL; c++)
        counts[c] = fault_count(fault_call_names[c]);
    fault_disarm();

    int64_t t = T0;
    unsigned kills = 0;
    for (int c = 0; fault_call_names[c] != NULL; c++) {
        if (strcmp(fault_call_names[c], "alloc") == 0)
            continue; /* what matters to a crash is the I/O, not the heap */
        for (unsigned n = 1; n <= counts[c]; n++) {
            char context[64];
            snprintf(context, sizeof(context), "killed at %s #%u", fault_call_names[c], n);
            t += 30;
            pid_t pid = fork();
            if (pid == 0) {
                fault_arm(fault_call_names[c], FAULT_KILL, n);
                _exit(login_at(t) == TOTP_OK ? 0 : 1);
            }
            int status;
            ck_assert_int_eq(waitpid(pid, &status, 0), pid);
            ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "%s: not killed",
                          context);
            kills++;
            assert_whole(context);
            /* No stale lock, no torn state: the next login just works... */
            t += 30;
            ck_assert_msg(login_at(t) == TOTP_OK, "%s: next login failed", context);
            /* ...and leaves no temporary file behind. */
            ck_assert_msg(tu_count_dotfiles(tu_system_dir()) == 0, "%s: temp file left", context);
        }
    }
    printf("crash: killed at each of %u system calls of a login, every record whole\n", kills);
}
END_TEST

START_TEST(killed_at_random_moments)
{
    const int rounds = 1000;
    int64_t base = T0;
    unsigned seed = (unsigned)getpid();
    int killed_mid_run = 0;
    for (int round = 0; round < rounds; round++) {
        int64_t start = base;
        pid_t pid = fork();
        if (pid == 0) {
            for (int64_t t = start;; t += 30)
                login_at(t);
        }
        struct timespec pause = {0, (long)(rand_r(&seed) % 3000) * 1000};
        nanosleep(&pause, NULL);
        kill(pid, SIGKILL);
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        killed_mid_run += WIFSIGNALED(status);
        char context[64];
        snprintf(context, sizeof(context), "random kill #%d", round);
        assert_whole(context);
        /* Later codes than any the child could have used. */
        base += 30 * 100000;
        ck_assert_msg(login_at(base) == TOTP_OK, "%s: next login failed", context);
        base += 30;
    }
    ck_assert_int_eq(killed_mid_run, rounds);
    ck_assert_int_eq(tu_count_dotfiles(tu_system_dir()), 0);
    printf("crash: %d logins killed at random moments, every record whole\n", rounds);
}
END_TEST

static Suite *crash_suite(void)
{
    Suite *s = suite_create("crash");
    TCase *tc = tcase_create("sigkill");
    tcase_set_timeout(tc, 300);
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, killed_at_every_call);
    tcase_add_test(tc, killed_at_random_moments);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN_USERS(crash_suite)
