/* SPDX-License-Identifier: Apache-2.0 */
/* check_pam_throttle.c: the guessing throttle and pam_fail_delay through the real libpam
 * (pam_wrapper, nss_wrapper, syslog captured): PAM_MAXTRIES, the log line once, the delay. */
#include "config.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <security/pam_appl.h>

#include "pam_env.h"
#include "syslog_capture.h"
#include "testutil.h"
#include "totp.h"
#include "unit.h"

#define SEED_B32 "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
#define GA_TEXT  SEED_B32 "\n\" TOTP_AUTH\n\" DISALLOW_REUSE\n49827136\n71234590\n"

/* How many lines of the log contain `text`. */
static int log_count(const char *text)
{
    int n = 0;
    for (const char *p = logbuf; (p = strstr(p, text)) != NULL; p += strlen(text))
        n++;
    return n;
}

/* ---- logins ------------------------------------------------------------------------------- */

static int converse(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    for (int i = 0; i < n; i++) {
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
            r[i].resp = strdup(data);
    }
    *resp = r;
    return PAM_SUCCESS;
}

/* What libpam asked the application to wait, through the PAM_FAIL_DELAY item (instead of
 * sleeping): -1 when it was not called. */
static long long delay_usec;
static int delay_status;

static void delay_fn(int retval, unsigned usec_delay, void *appdata)
{
    (void)appdata;
    delay_status = retval;
    delay_usec = usec_delay;
}

static char record_path[4300];

/* A new service with the module and `args`, named in `name`. pam_wrapper copies the service
 * files at a process's first pam_start: a test writes all it needs before its first login. */
static const char *service(const char *args)
{
    static int serial;
    static char names[8][32];
    char path[4300], *name = names[serial % 8];
    snprintf(name, sizeof(names[0]), "throttle%d", ++serial);
    snprintf(path, sizeof(path), "%s/services/%s", tu_root(), name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "auth required %s system_dir=%s %s\n", getenv("PAM_TOTP_MODULE"), tu_system_dir(),
            args);
    fclose(f);
    return name;
}

static int login(const char *svc, const char *answer)
{
    pam_handle_t *ph = NULL;
    struct pam_conv conv = {converse, (void *)answer};
    ck_assert_int_eq(pam_start(svc, "alice", &conv, &ph), PAM_SUCCESS);
    delay_usec = -1;
    delay_status = -1;
    ck_assert_int_eq(pam_set_item(ph, PAM_FAIL_DELAY, (const void *)delay_fn), PAM_SUCCESS);
    int rc = pam_authenticate(ph, 0);
    pam_end(ph, rc);
    return rc;
}

static void code_now(char out[TOTP_CODE_BUFSIZE])
{
    tu_code_at((int64_t)time(NULL), 6, out);
}

static void setup(void)
{
    tu_reset_homes();
    snprintf(record_path, sizeof(record_path), "%s/.google_authenticator", tu_home("alice"));
    tu_write(record_path, GA_TEXT, 0600);
    loglen = 0;
    logbuf[0] = '\0';
}

/* ---- tests -------------------------------------------------------------------------------- */

START_TEST(throttle_is_maxtries_and_logged_once)
{
    char code[TOTP_CODE_BUFSIZE];
    /* Delays far longer than any test run, so a loaded machine cannot let a code through. */
    const char *svc = service("throttle=3,3600,3600");
    char want[256];
    snprintf(
        want, sizeof(want),
        "result=throttled user=alice service=%s rhost=- reason=\"3 consecutive failures; no code "
        "judged for 3600 s\"",
        svc);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(login(svc, "000000"), PAM_AUTH_ERR);
        ck_assert_int_eq(log_count("result=throttled user="), i == 2);
    }
    ck_assert_int_eq(log_count("<4> pam_totp(throttle"), 1); /* LOG_WARNING */
    ck_assert_int_eq(log_count(want), 1);
    /* While it holds: a right code and a right scratch code are refused unjudged, and the
     * record is not touched (no watermark, the scratch code kept, no failure counted). */
    char *before = tu_read(record_path);
    code_now(code);
    ck_assert_int_eq(login(svc, code), PAM_MAXTRIES);
    ck_assert_ptr_nonnull(strstr(last_log(), "<5> pam_totp("));
    ck_assert_ptr_nonnull(strstr(last_log(), ":auth): result=denied user=alice"));
    ck_assert_ptr_nonnull(strstr(last_log(), "reason=\"too many attempts; codes judged again in "));
    ck_assert_int_eq(login(svc, "71234590"), PAM_MAXTRIES);
    char *after = tu_read(record_path);
    ck_assert_str_eq(before, after);
    ck_assert_ptr_nonnull(strstr(after, "71234590"));
    free(before);
    free(after);
    /* The start was logged once, not per refusal; no code reached the log. */
    ck_assert_int_eq(log_count("result=throttled user="), 1);
    ck_assert_ptr_null(strstr(logbuf, code));
    ck_assert_ptr_null(strstr(logbuf, "71234590"));
}
END_TEST

START_TEST(throttle_is_on_by_default)
{
    char text[256], code[TOTP_CODE_BUFSIZE];
    /* 10 failures a moment ago: 120 s to wait under the defaults. */
    snprintf(text, sizeof(text), "%s\n\" TOTP_AUTH\n\" FAILURES 10 %lld\n49827136\n", SEED_B32,
             (long long)time(NULL));
    tu_write(record_path, text, 0600);
    const char *defaults = service(""), *off = service("throttle=off");
    code_now(code);
    ck_assert_int_eq(login(defaults, code), PAM_MAXTRIES);
    ck_assert_ptr_nonnull(strstr(last_log(), "too many attempts; codes judged again in "));
    /* throttle=off judges it. */
    ck_assert_int_eq(login(off, code), PAM_SUCCESS);
}
END_TEST

START_TEST(fail_delay_is_requested)
{
    char code[TOTP_CODE_BUFSIZE];
    const char *svc = service(""), *nodelay = service("nodelay");
    ck_assert_int_eq(login(svc, "000000"), PAM_AUTH_ERR);
    ck_assert_int_eq(delay_status, PAM_AUTH_ERR);
    /* libpam varies the largest request at random, by up to half of it either way. */
    ck_assert_int_ge(delay_usec, 1000000);
    ck_assert_int_le(delay_usec, 3000000);
    /* nodelay: no request (libpam passes 0). */
    ck_assert_int_eq(login(nodelay, "000000"), PAM_AUTH_ERR);
    ck_assert_int_eq(delay_usec, 0);
    /* A success is not delayed. */
    code_now(code);
    ck_assert_int_eq(login(svc, code), PAM_SUCCESS);
    ck_assert(delay_status == -1 || delay_status == PAM_SUCCESS);
}
END_TEST

static void setup_pam_env(char **argv)
{
    pam_env_setup(argv, "check_pam_throttle");
}

static Suite *throttle_suite(void)
{
    Suite *s = suite_create("pam_throttle");
    TCase *tc = tcase_create("throttle");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, throttle_is_maxtries_and_logged_once);
    tcase_add_test(tc, throttle_is_on_by_default);
    tcase_add_test(tc, fail_delay_is_requested);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN_WITH(setup_pam_env, throttle_suite)
