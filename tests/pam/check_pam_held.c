/* SPDX-License-Identifier: Apache-2.0 */
/* check_pam_held.c: questions held open and answered later, in any order, through the real
 * libpam (pam_wrapper): every answer is judged with the time it arrives (issue 21, point 1). */
#include "config.h"

#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "clock_shim.h"
#include "pam_env.h"
#include "syslog_capture.h"
#include "testutil.h"
#include "totp.h"
#include "unit.h"

#define SEED_B32 "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
#define T0       INT64_C(1800000000) /* a step boundary: 1800000000 / 30 is whole */
#define HELD_MAX 12

static char record_path[4300];

/* A login waiting at its question: the child says 'R' once asked, then reads the answer. */
struct held {
    pid_t pid;
    int answer_fd;
    int log_fd; /* then what the login logged, once it is over */
};

struct child_io {
    int ready_fd, answer_fd;
};

static int converse(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    const struct child_io *io = data;
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    for (int i = 0; i < n; i++) {
        if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF && msg[i]->msg_style != PAM_PROMPT_ECHO_ON)
            continue;
        char line[64] = "";
        size_t got = 0;
        if (write(io->ready_fd, "R", 1) != 1)
            _exit(120);
        while (got + 1 < sizeof(line) && read(io->answer_fd, line + got, 1) == 1 &&
               line[got] != '\n')
            got++;
        line[got] = '\0';
        r[i].resp = strdup(line);
    }
    *resp = r;
    return PAM_SUCCESS;
}

static const char *service(const char *args)
{
    static int serial;
    static char names[8][32];
    char path[4300], *name = names[serial % 8];
    snprintf(name, sizeof(names[0]), "held%d", ++serial);
    snprintf(path, sizeof(path), "%s/services/%s", tu_root(), name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "auth required %s system_dir=%s nodelay %s\n", getenv("PAM_TOTP_MODULE"),
            tu_system_dir(), args);
    fclose(f);
    return name;
}

/* Start a login of alice on `svc` at the shared clock's time, and wait until it is asked. */
static void hold(const char *svc, struct held *h)
{
    int ready[2], answer[2];
    ck_assert_int_eq(pipe(ready), 0);
    ck_assert_int_eq(pipe(answer), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        loglen = 0;
        logbuf[0] = '\0';
        close(ready[0]);
        close(answer[1]);
        struct child_io io = {ready[1], answer[0]};
        struct pam_conv conv = {converse, &io};
        pam_handle_t *ph = NULL;
        if (pam_start(svc, "alice", &conv, &ph) != PAM_SUCCESS)
            _exit(121);
        int rc = pam_authenticate(ph, 0);
        pam_end(ph, rc);
        /* What it logged, for the parent's logbuf. */
        if (write(ready[1], logbuf, loglen) != (ssize_t)loglen)
            _exit(122);
        _exit(rc);
    }
    close(ready[1]);
    close(answer[0]);
    char c = 0;
    ck_assert_int_eq(read(ready[0], &c, 1), 1); /* the question is out */
    h->pid = pid;
    h->answer_fd = answer[1];
    h->log_fd = ready[0];
}

/* Answer a held question with `code`; the login's PAM result. */
static int answer(struct held *h, const char *code)
{
    char line[64];
    int status = 0;
    snprintf(line, sizeof(line), "%s\n", code);
    ck_assert_int_eq(write(h->answer_fd, line, strlen(line)), (ssize_t)strlen(line));
    close(h->answer_fd);
    ssize_t got;
    while (loglen + 1 < sizeof(logbuf) &&
           (got = read(h->log_fd, logbuf + loglen, sizeof(logbuf) - 1 - loglen)) > 0)
        loglen += (size_t)got;
    logbuf[loglen] = '\0';
    close(h->log_fd);
    ck_assert_int_eq(waitpid(h->pid, &status, 0), h->pid);
    ck_assert_msg(WIFEXITED(status), "a held login died of signal %d", WTERMSIG(status));
    return WEXITSTATUS(status);
}

static void setup(void)
{
    tu_reset_homes();
    snprintf(record_path, sizeof(record_path), "%s/.google_authenticator", tu_home("alice"));
    tu_write(record_path, SEED_B32 "\n\" TOTP_AUTH\n\" DISALLOW_REUSE\n49827136\n", 0600);
    loglen = 0;
    logbuf[0] = '\0';
    ck_assert_int_eq(clock_shim_start(T0), 0);
}

/* Open `n` questions one second apart, answer them in `order` one second apart with wrong
 * codes; how many were judged (PAM_AUTH_ERR) rather than refused unjudged (PAM_MAXTRIES). */
static int judged_of_held(const char *svc, int n, const int *order)
{
    struct held h[HELD_MAX];
    int judged = 0;
    for (int i = 0; i < n; i++) {
        clock_shim_set(T0 + i);
        hold(svc, &h[i]);
    }
    for (int k = 0; k < n; k++) {
        clock_shim_set(T0 + n + k);
        int rc = answer(&h[order[k]], "000000");
        ck_assert_msg(rc == PAM_AUTH_ERR || rc == PAM_MAXTRIES, "held login %d: PAM %d", order[k],
                      rc);
        judged += rc == PAM_AUTH_ERR;
    }
    return judged;
}

/* Oldest first, newest first, and from the middle out: the throttle's three free failures,
 * then nothing is judged within its 15 s, whatever the order. Before the fix the clock was
 * read when the question was asked: newest first, all 12 were judged. */
START_TEST(held_questions_in_any_order_get_the_throttle)
{
    static const int orders[][HELD_MAX] = {
        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
        {11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
        {6, 5, 7, 4, 8, 3, 9, 2, 10, 1, 11, 0},
    };
    const char *svc = service("");
    int run = _i;
    ck_assert_int_eq(judged_of_held(svc, HELD_MAX, orders[run]), 3);
    /* Every refusal after the third was unjudged and said so; no failure past the third was
     * counted. */
    char *text = tu_read(record_path);
    ck_assert_ptr_nonnull(strstr(text, "\" FAILURES 3 "));
    free(text);
}
END_TEST

/* rate_limit= with the throttle off is bypassed the same way when the clock is read early. */
START_TEST(held_questions_get_the_rate_limit)
{
    static const int newest_first[] = {5, 4, 3, 2, 1, 0};
    const char *svc = service("throttle=off rate_limit=2/3600");
    ck_assert_int_eq(judged_of_held(svc, 6, newest_first), 2);
}
END_TEST

/* A question held 70 s is judged against the window of the moment it is answered. */
START_TEST(held_question_is_judged_when_answered)
{
    char then[TOTP_CODE_BUFSIZE], now[TOTP_CODE_BUFSIZE];
    const char *svc = service("");
    struct held h;
    tu_code_at(T0, 6, then);
    tu_code_at(T0 + 70, 6, now);
    hold(svc, &h);
    clock_shim_set(T0 + 70);
    ck_assert_int_eq(answer(&h, then), PAM_AUTH_ERR); /* the code of when it was asked */
    clock_shim_set(T0 + 71);
    hold(svc, &h);
    clock_shim_set(T0 + 72);
    ck_assert_int_eq(answer(&h, now), PAM_SUCCESS);
}
END_TEST

/* A failure another host wrote with its clock ahead of ours holds codes off here until it is
 * behind us and its delay has passed; one far beyond any working clock holds nothing, and the
 * log says a clock is wrong. */
START_TEST(future_failure_is_throttled_within_the_tolerance)
{
    char text[256], code[TOTP_CODE_BUFSIZE];
    const char *svc = service("");
    snprintf(text, sizeof(text), "%s\n\" TOTP_AUTH\n\" FAILURES 3 %lld\n", SEED_B32,
             (long long)(T0 + 150));
    tu_write(record_path, text, 0600);
    struct held h;
    clock_shim_set(T0);
    tu_code_at(T0, 6, code);
    hold(svc, &h);
    ck_assert_int_eq(answer(&h, code), PAM_MAXTRIES);
    ck_assert_ptr_nonnull(strstr(last_log(), "codes judged again in 165 s"));
    /* 150 s on, the failure is now: its 15 s are still to wait. */
    clock_shim_set(T0 + 160);
    tu_code_at(T0 + 160, 6, code);
    hold(svc, &h);
    ck_assert_int_eq(answer(&h, code), PAM_MAXTRIES);
    clock_shim_set(T0 + 166);
    hold(svc, &h);
    ck_assert_int_eq(answer(&h, code), PAM_SUCCESS);

    /* Beyond the tolerance: judged, and a warning names the clock trouble. */
    snprintf(text, sizeof(text), "%s\n\" TOTP_AUTH\n\" FAILURES 9 %lld\n", SEED_B32,
             (long long)(T0 + 1000 + TOTP_THROTTLE_CLOCK_TOLERANCE + 1));
    tu_write(record_path, text, 0600);
    clock_shim_set(T0 + 1000);
    tu_code_at(T0 + 1000, 6, code);
    hold(svc, &h);
    ck_assert_int_eq(answer(&h, code), PAM_SUCCESS);
    ck_assert_ptr_nonnull(strstr(logbuf, "result=warning user=alice"));
    ck_assert_ptr_nonnull(strstr(logbuf, "in the future"));
}
END_TEST

static void setup_pam_env(char **argv)
{
    pam_env_setup(argv, "check_pam_held");
}

static Suite *held_suite(void)
{
    Suite *s = suite_create("pam_held");
    TCase *tc = tcase_create("held");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, held_questions_in_any_order_get_the_throttle, 0, 3);
    tcase_add_test(tc, held_questions_get_the_rate_limit);
    tcase_add_test(tc, held_question_is_judged_when_answered);
    tcase_add_test(tc, future_failure_is_throttled_within_the_tolerance);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN_WITH(setup_pam_env, held_suite)
