/* SPDX-License-Identifier: Apache-2.0 */
/* check_pam.c: pam_totp.so through the real libpam with pam_wrapper (private service files),
 * nss_wrapper (fake users) and syslog captured: options, prompts, return codes, hand-offs, logs. */
#include "config.h"

#include <dlfcn.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "pam_env.h"
#include "syslog_capture.h"
#include "testutil.h"
#include "totp.h"
#include "unit.h"

#define SEED_B32  "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
#define GA_TEXT   SEED_B32 "\n\" TOTP_AUTH\n\" DISALLOW_REUSE\n49827136\n71234590\n"
#define SET_ITEMS "/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_set_items.so"
#define GET_ITEMS "/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_get_items.so"

/* ---- a case-insensitive account source ------------------------------------------------------
 * SSSD (AD domains) and winbind answer "ALICE" with alice's entry; nss_wrapper matches exactly,
 * so this program's getpwnam_r (found before nss_wrapper's) folds that one name. */

int getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t size, struct passwd **result)
{
    static int (*next)(const char *, struct passwd *, char *, size_t, struct passwd **);
    if (next == NULL)
        *(void **)&next = dlsym(RTLD_NEXT, "getpwnam_r");
    return next(strcmp(name, "ALICE") == 0 ? "alice" : name, pw, buf, size, result);
}

/* ---- conversation ------------------------------------------------------------------------- */

/* Everything typed at a prompt in this test, for the log check in teardown(). */
static char typed[32][128];
static int n_typed;

struct talk {
    const char *answers[4];
    int asked;
    char prompts[4][128];
    int styles[4];
};

/* When set, the record as it is on disk when the first question is asked: what a login killed
 * at the prompt (sudo's user can SIGKILL sudo; sshd kills its child on a disconnect) leaves. */
static int snapshot_at_prompt;
static char record_at_prompt[4096];
static char record_path[4300];

static int converse(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    struct talk *t = data;
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    for (int i = 0; i < n; i++) {
        if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF && msg[i]->msg_style != PAM_PROMPT_ECHO_ON)
            continue;
        if (snapshot_at_prompt) {
            char *text = tu_read(record_path);
            snprintf(record_at_prompt, sizeof(record_at_prompt), "%s", text ? text : "");
            free(text);
            snapshot_at_prompt = 0;
        }
        if (t->asked == 4 || t->answers[t->asked] == NULL) {
            free(r);
            return PAM_CONV_ERR;
        }
        snprintf(t->prompts[t->asked], sizeof(t->prompts[0]), "%s", msg[i]->msg);
        t->styles[t->asked] = msg[i]->msg_style;
        if (n_typed < 32)
            snprintf(typed[n_typed++], sizeof(typed[0]), "%s", t->answers[t->asked]);
        r[i].resp = strdup(t->answers[t->asked++]);
    }
    *resp = r;
    return PAM_SUCCESS;
}

/* ---- fixtures ----------------------------------------------------------------------------- */

static const char *service_name; /* the service logins use: the last one service() wrote */

/* A new service with `lines`, @MODULE@ standing for the module under test, which logins then
 * use. pam_wrapper takes its copy of the service files at a process's first pam_start, so a
 * test writes every service it needs before its first login and switches with use(). */
static const char *service(const char *lines)
{
    static int serial;
    static char names[16][32];
    char path[4300], text[8192], *o = text;
    char *name = names[serial % 16];
    snprintf(name, sizeof(names[0]), "totp%d", ++serial);
    service_name = name;
    snprintf(path, sizeof(path), "%s/services/%s", tu_root(), name);
    for (const char *p = lines; *p != '\0';) {
        if (strncmp(p, "@MODULE@", 8) == 0) { /* the module, over this test's system store */
            o += snprintf(o, sizeof(text) - (size_t)(o - text), "%s system_dir=%s",
                          getenv("PAM_TOTP_MODULE"), tu_system_dir());
            p += 8;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return name;
}

static void use(const char *name)
{
    service_name = name;
}

static char system_record[4300];

static void setup(void)
{
    tu_reset_homes();
    snprintf(system_record, sizeof(system_record), "%s/alice", tu_system_dir());
    unlink(system_record);
    snprintf(record_path, sizeof(record_path), "%s/.google_authenticator", tu_home("alice"));
    tu_write(record_path, GA_TEXT, 0600);
    loglen = 0;
    logbuf[0] = '\0';
    n_typed = 0;
    snapshot_at_prompt = 0;
    record_at_prompt[0] = '\0';
    unsetenv("PAM_AUTHTOK");
}

/* After every test of the suite: no log line holds the secret, a scratch code, or anything the
 * user typed (codes, passwords in front of them), whatever the outcome. */
static void teardown(void)
{
    ck_assert_msg(strstr(logbuf, SEED_B32) == NULL && strstr(logbuf, "GEZDGNBV") == NULL,
                  "secret in the log:\n%s", logbuf);
    ck_assert_msg(strstr(logbuf, "49827136") == NULL && strstr(logbuf, "71234590") == NULL,
                  "scratch code in the log:\n%s", logbuf);
    for (int i = 0; i < n_typed; i++) {
        if (strlen(typed[i]) >= 6) /* shorter strings (test service numbers) prove nothing */
            ck_assert_msg(strstr(logbuf, typed[i]) == NULL, "typed \"%s\" is in the log:\n%s",
                          typed[i], logbuf);
    }
}

/* libpam calls this instead of sleeping the module's pam_fail_delay (check_pam_throttle.c
 * checks the delay itself). */
static void no_delay(int retval, unsigned usec, void *appdata)
{
    (void)retval, (void)usec, (void)appdata;
}

/* One pam_authenticate for `user`; the answers are given in order. */
static int login_full(const char *user, struct talk *t, const char *rhost, char **authtok)
{
    pam_handle_t *ph = NULL;
    struct pam_conv conv = {converse, t};
    ck_assert_int_eq(pam_start(service_name, user, &conv, &ph), PAM_SUCCESS);
    ck_assert_int_eq(pam_set_item(ph, PAM_FAIL_DELAY, (const void *)no_delay), PAM_SUCCESS);
    if (rhost != NULL)
        ck_assert_int_eq(pam_set_item(ph, PAM_RHOST, rhost), PAM_SUCCESS);
    int rc = pam_authenticate(ph, 0);
    if (authtok != NULL) { /* what pam_get_items.so, stacked last, saw in PAM_AUTHTOK */
        const char *item = pam_getenv(ph, "PAM_AUTHTOK");
        *authtok = item != NULL ? strdup(item) : NULL;
    }
    pam_end(ph, rc);
    return rc;
}

static int login(const char *user, const char *answer, struct talk *t)
{
    memset(t, 0, sizeof(*t));
    t->answers[0] = answer;
    return login_full(user, t, NULL, NULL);
}

static void code_now(char out[TOTP_CODE_BUFSIZE])
{
    tu_code_at((int64_t)time(NULL), 6, out);
}

static void assert_log_has(const char *text)
{
    ck_assert_msg(strstr(logbuf, text) != NULL, "log lacks \"%s\":\n%s", text, logbuf);
}

/* Nothing secret ever reaches the log: not the secret, not a code, not a scratch code. */
static void assert_log_clean(const char *code)
{
    ck_assert_msg(strstr(logbuf, "GEZDGNBV") == NULL, "secret in log:\n%s", logbuf);
    ck_assert_msg(strstr(logbuf, "49827136") == NULL && strstr(logbuf, "71234590") == NULL,
                  "scratch code in log:\n%s", logbuf);
    if (code != NULL)
        ck_assert_msg(strstr(logbuf, code) == NULL, "code %s in log:\n%s", code, logbuf);
}

/* ---- codes and return values -------------------------------------------------------------- */

START_TEST(right_code_accepted)
{
    char code[TOTP_CODE_BUFSIZE];
    struct talk t;
    service("auth required @MODULE@\n");
    code_now(code);
    ck_assert_int_eq(login("alice", code, &t), PAM_SUCCESS);
    ck_assert_int_eq(t.asked, 1);
    ck_assert_str_eq(t.prompts[0], "Verification code: ");
    ck_assert_int_eq(t.styles[0], PAM_PROMPT_ECHO_OFF);
    char want[4500];
    snprintf(want, sizeof(want),
             "<6> pam_totp(%s:auth): result=accepted user=alice service=%s rhost=- reason=code "
             "record=%s",
             service_name, service_name, record_path);
    ck_assert_str_eq(last_log(), want);
    assert_log_clean(code);
}
END_TEST

START_TEST(replay_refused)
{
    char code[TOTP_CODE_BUFSIZE];
    struct talk t;
    service("auth required @MODULE@\n");
    code_now(code);
    ck_assert_int_eq(login("alice", code, &t), PAM_SUCCESS);
    ck_assert_int_eq(login("alice", code, &t), PAM_AUTH_ERR);
    ck_assert_ptr_nonnull(strstr(last_log(), "<5> pam_totp("));
    ck_assert_ptr_nonnull(strstr(last_log(), ":auth): result=denied user=alice"));
    ck_assert_ptr_nonnull(strstr(last_log(), "reason=\"code already used\""));
    assert_log_clean(code);
}
END_TEST

START_TEST(wrong_code_refused)
{
    char code[TOTP_CODE_BUFSIZE];
    struct talk t;
    service("auth required @MODULE@\n");
    tu_code_at((int64_t)time(NULL) + 30 * 86400, 6, code); /* far outside any window or skew */
    ck_assert_int_eq(login("alice", code, &t), PAM_AUTH_ERR);
    ck_assert_ptr_nonnull(strstr(last_log(), "reason=\"wrong code\""));
    ck_assert_int_eq(login("alice", "12ab56", &t), PAM_AUTH_ERR);
    ck_assert_ptr_nonnull(strstr(last_log(), "reason=\"malformed code\""));
    ck_assert_int_eq(login("alice", "", &t), PAM_AUTH_ERR);
    assert_log_clean(code);
}
END_TEST

START_TEST(clock_trouble_is_logged_as_such)
{
    /* A phone 20 minutes behind: beyond what is learned, so refused, but the log says why, and
     * never the code. */
    char code[TOTP_CODE_BUFSIZE];
    struct talk t;
    service("auth required @MODULE@\n");
    tu_code_at((int64_t)time(NULL) - 1200, 6, code);
    ck_assert_int_eq(login("alice", code, &t), PAM_AUTH_ERR);
    ck_assert_ptr_nonnull(strstr(last_log(), ":auth): result=denied user=alice"));
    ck_assert_ptr_nonnull(strstr(last_log(), "reason=\"wrong code (matches a code "));
    ck_assert_ptr_nonnull(strstr(last_log(), " s behind: check the clocks)\""));
    assert_log_clean(code);
    /* 20 minutes ahead: a plain wrong code, for that code becomes valid then. */
    tu_code_at((int64_t)time(NULL) + 1200, 6, code);
    ck_assert_int_eq(login("alice", code, &t), PAM_AUTH_ERR);
    ck_assert_ptr_nonnull(strstr(last_log(), ":auth): result=denied user=alice"));
    ck_assert_ptr_null(strstr(last_log(), "check the clocks"));
    assert_log_clean(code);
}
END_TEST

START_TEST(scratch_code_once)
{
    struct talk t;
    service("auth required @MODULE@\n");
    ck_assert_int_eq(login("alice", "71234590", &t), PAM_SUCCESS);
    ck_assert_ptr_nonnull(strstr(last_log(), "reason=\"scratch code, 1 left\""));
    ck_assert_int_eq(login("alice", "71234590", &t), PAM_AUTH_ERR);
    char *text = tu_read(record_path);
    ck_assert_ptr_null(strstr(text, "71234590"));
    ck_assert_ptr_nonnull(strstr(text, "49827136"));
    free(text);
    assert_log_clean(NULL);
}
END_TEST

/* sshd's password authentication sends the password to every prompt: an answer that cannot be
 * a code is refused, logged as malformed, and spends none of the user's failures. */
START_TEST(a_password_at_the_code_prompt_spends_no_failure)
{
    char code[TOTP_CODE_BUFSIZE];
    struct talk t;
    service("auth required @MODULE@\n");
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(login("alice", "a long password", &t), PAM_AUTH_ERR);
        ck_assert_ptr_nonnull(strstr(last_log(), "result=denied user=alice"));
        ck_assert_ptr_nonnull(strstr(last_log(), "reason=\"malformed code\""));
    }
    ck_assert_ptr_null(strstr(logbuf, "result=throttled"));
    code_now(code);
    ck_assert_int_eq(login("alice", code, &t), PAM_SUCCESS); /* not throttled */
    assert_log_clean(code);
}
END_TEST

START_TEST(rate_limited_is_maxtries)
{
    char code[TOTP_CODE_BUFSIZE];
    struct talk t;
    tu_write(record_path, SEED_B32 "\n\" TOTP_AUTH\n\" RATE_LIMIT 2 30\n", 0600);
    service("auth required @MODULE@\n");
    ck_assert_int_eq(login("alice", "000000", &t), PAM_AUTH_ERR);
    ck_assert_int_eq(login("alice", "000000", &t), PAM_AUTH_ERR);
    code_now(code);
    ck_assert_int_eq(login("alice", code, &t), PAM_MAXTRIES);
    ck_assert_ptr_nonnull(strstr(last_log(), "reason=\"too many attempts\""));
}
END_TEST

/* ---- users without records, unknown users, nullok ----------------------------------------- */

START_TEST(no_record_without_nullok_is_asked_and_denied)
{
    struct talk t;
    service("auth required @MODULE@\n");
    ck_assert_int_eq(login("bob", "123456", &t), PAM_AUTH_ERR);
    ck_assert_int_eq(t.asked, 1); /* asked like anyone else */
    ck_assert_ptr_nonnull(strstr(last_log(), "result=denied user=bob"));
    /* Where the store looked and why, never just "no record". */
    ck_assert_ptr_nonnull(
        strstr(last_log(), "reason=\"no record: no record for user \\\"bob\\\"\""));
}
END_TEST

START_TEST(no_record_with_nullok_is_ignored)
{
    struct talk t;
    const char *alone = service("auth required @MODULE@ nullok\n");
    const char *permit = service("auth required @MODULE@ nullok\nauth required pam_permit.so\n");
    const char *deny = service("auth required @MODULE@ nullok\nauth required pam_deny.so\n");
    use(alone);
    /* The module ignores; a stack in which nobody decides is refused by libpam itself. */
    ck_assert_int_eq(login("bob", "123456", &t), PAM_PERM_DENIED);
    ck_assert_int_eq(t.asked, 0);
    ck_assert_ptr_nonnull(strstr(last_log(), "result=ignored user=bob"));
    ck_assert_ptr_nonnull(
        strstr(last_log(), "reason=\"no record (nullok): no record for user \\\"bob\\\"\""));
    /* In a stack, PAM_IGNORE leaves the decision to the other modules. */
    use(permit);
    ck_assert_int_eq(login("bob", "123456", &t), PAM_SUCCESS);
    use(deny);
    ck_assert_int_eq(login("bob", "123456", &t), PAM_AUTH_ERR);
}
END_TEST

/* "Not enrolled" is not taken from a home others can write (they could have removed the
 * record): with nullok, that is PAM_AUTHINFO_UNAVAIL naming the directory, never PAM_IGNORE. */
START_TEST(no_record_in_a_writable_home_is_no_ignore)
{
    struct talk t;
    service("auth required @MODULE@ nullok\nauth required pam_permit.so\n");
    ck_assert_int_eq(chmod(tu_home("bob"), 0777), 0);
    ck_assert_int_eq(login("bob", "123456", &t), PAM_AUTHINFO_UNAVAIL);
    ck_assert_ptr_nonnull(strstr(last_log(), "result=error user=bob"));
    ck_assert_ptr_nonnull(strstr(last_log(), "directory writable by group or others"));
    ck_assert_int_eq(chmod(tu_home("bob"), 0755), 0);
    ck_assert_int_eq(login("bob", "123456", &t), PAM_SUCCESS);
    ck_assert_ptr_nonnull(strstr(last_log(), "result=ignored user=bob"));
}
END_TEST

START_TEST(unknown_user_is_asked_and_denied_even_with_nullok)
{
    struct talk t;
    service("auth required @MODULE@ nullok\nauth required pam_permit.so\n");
    ck_assert_int_eq(login("mallory", "123456", &t), PAM_AUTH_ERR);
    ck_assert_int_eq(t.asked, 1);
    ck_assert_ptr_nonnull(strstr(logbuf, "result=denied user=mallory"));
    ck_assert_ptr_nonnull(strstr(logbuf, "reason=\"unknown user: no such user \\\"mallory\\\"\""));
}
END_TEST

/* ---- error paths fail closed ------------------------------------------------------------ */

START_TEST(unknown_option_fails_closed)
{
    struct talk t;
    const char *window = service("auth required @MODULE@ window=1000\n");
    service("auth required @MODULE@ frobnicate\nauth required pam_permit.so\n");
    ck_assert_int_eq(login("alice", "123456", &t), PAM_SERVICE_ERR);
    ck_assert_int_eq(t.asked, 0);
    assert_log_has(":auth): result=error user=alice service=");
    assert_log_has("reason=\"configuration error, refusing every login: unknown option "
                   "\\\"frobnicate\\\"\" record=-");
    use(window);
    ck_assert_int_eq(login("alice", "123456", &t), PAM_SERVICE_ERR);
    assert_log_has("window=1000: must be 1 to 100");
}
END_TEST

START_TEST(bad_record_is_authinfo_unavail_never_ignore)
{
    static const struct {
        const char *text;
        mode_t mode;
        const char *reason;
    } cases[] = {
        {GA_TEXT, 0644, "mode 0644 is more permissive than 0600"},
        {SEED_B32 "\n\" STEP_SIZE 0\n", 0600, "line 2: STEP_SIZE must be 1 to 300 seconds"},
        {"", 0600, "the record is empty"},
    };
    service("auth required @MODULE@ nullok\nauth required pam_permit.so\n");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct talk t;
        char code[TOTP_CODE_BUFSIZE];
        tu_write(record_path, cases[i].text, cases[i].mode);
        code_now(code);
        loglen = 0;
        /* The stack fails even though pam_permit follows: the error is not PAM_IGNORE. */
        ck_assert_int_eq(login("alice", code, &t), PAM_AUTHINFO_UNAVAIL);
        assert_log_has(":auth): result=error user=alice");
        assert_log_has(cases[i].reason);
        assert_log_clean(code);
    }
}
END_TEST

START_TEST(unwritable_record_denies_a_right_code)
{
    /* The right code, but the new state cannot be saved: denied, as if the code were wrong. */
    if (geteuid() == 0) {
        fprintf(stderr, "SKIP: root writes through a 0555 directory; see the fault tests\n");
        return;
    }
    char code[TOTP_CODE_BUFSIZE];
    struct talk t;
    service("auth required @MODULE@\nauth required pam_permit.so\n");
    ck_assert_int_eq(chmod(tu_home("alice"), 0555), 0);
    code_now(code);
    int rc = login("alice", code, &t);
    chmod(tu_home("alice"), 0755);
    ck_assert_int_eq(rc, PAM_AUTHINFO_UNAVAIL);
    assert_log_has("cannot create a temporary file: Permission denied");
    ck_assert_ptr_null(strstr(logbuf, "accepted"));
}
END_TEST

/* ---- prompts and pass modes -------------------------------------------------------------- */

START_TEST(prompt_options)
{
    char code[TOTP_CODE_BUFSIZE];
    struct talk t;
    service("auth required @MODULE@ [authtok_prompt=One-time code: ] echo_verification_code\n");
    code_now(code);
    ck_assert_int_eq(login("alice", code, &t), PAM_SUCCESS);
    ck_assert_str_eq(t.prompts[0], "One-time code: ");
    ck_assert_int_eq(t.styles[0], PAM_PROMPT_ECHO_ON);
}
END_TEST

START_TEST(forward_pass_hands_password_on)
{
    char code[TOTP_CODE_BUFSIZE], input[64], *authtok = NULL;
    struct talk t = {{0}, 0, {{0}}, {0}};
    service("auth required @MODULE@ forward_pass\nauth optional " GET_ITEMS "\n");
    code_now(code);
    snprintf(input, sizeof(input), "correct horse 99%s", code);
    t.answers[0] = input;
    ck_assert_int_eq(login_full("alice", &t, NULL, &authtok), PAM_SUCCESS);
    ck_assert_str_eq(t.prompts[0], "Password & verification code: ");
    ck_assert_ptr_nonnull(authtok);
    ck_assert_str_eq(authtok, "correct horse 99"); /* the code never reaches PAM_AUTHTOK */
    free(authtok);
    /* A scratch code after the password works the same way. */
    memset(&t, 0, sizeof(t));
    t.answers[0] = "pw49827136";
    ck_assert_int_eq(login_full("alice", &t, NULL, &authtok), PAM_SUCCESS);
    ck_assert_str_eq(authtok, "pw");
    free(authtok);
    /* A wrong code hands nothing on. */
    memset(&t, 0, sizeof(t));
    t.answers[0] = "pw000000";
    ck_assert_int_eq(login_full("alice", &t, NULL, &authtok), PAM_AUTH_ERR);
    ck_assert_ptr_null(authtok);
    assert_log_clean(code);
    ck_assert_ptr_null(strstr(logbuf, "horse"));
}
END_TEST

START_TEST(without_forward_pass_the_code_never_reaches_authtok)
{
    char code[TOTP_CODE_BUFSIZE], *authtok = NULL;
    struct talk t = {{0}, 0, {{0}}, {0}};
    service("auth required @MODULE@\nauth optional " GET_ITEMS "\n");
    code_now(code);
    t.answers[0] = code;
    ck_assert_int_eq(login_full("alice", &t, NULL, &authtok), PAM_SUCCESS);
    ck_assert_ptr_null(authtok);
}
END_TEST

START_TEST(use_first_pass_takes_authtok_and_never_asks)
{
    char code[TOTP_CODE_BUFSIZE];
    struct talk t;
    service("auth required " SET_ITEMS "\nauth required @MODULE@ use_first_pass\n");
    code_now(code);
    setenv("PAM_AUTHTOK", code, 1);
    ck_assert_int_eq(login("alice", NULL, &t), PAM_SUCCESS);
    ck_assert_int_eq(t.asked, 0);
    unsetenv("PAM_AUTHTOK");
    ck_assert_int_eq(login("alice", NULL, &t), PAM_AUTH_ERR);
    ck_assert_int_eq(t.asked, 0);
    ck_assert_ptr_nonnull(strstr(last_log(), "reason=\"no code given\""));
}
END_TEST

START_TEST(try_first_pass_falls_back_to_asking)
{
    char code[TOTP_CODE_BUFSIZE];
    struct talk t;
    service("auth required " SET_ITEMS "\nauth required @MODULE@ try_first_pass\n");
    code_now(code);
    setenv("PAM_AUTHTOK", "just-a-password", 1);
    ck_assert_int_eq(login("alice", code, &t), PAM_SUCCESS);
    ck_assert_int_eq(t.asked, 1);
    /* An earlier password that is the code needs no question. */
    tu_code_at((int64_t)time(NULL) + 30, 6, code);
    setenv("PAM_AUTHTOK", code, 1);
    ck_assert_int_eq(login("alice", NULL, &t), PAM_SUCCESS);
    ck_assert_int_eq(t.asked, 0);
    unsetenv("PAM_AUTHTOK");
}
END_TEST

/* A password that merely ends in six digits costs one attempt, counted on disk before the code
 * is asked for; the right code afterwards gets the user in and clears the failure count. */
START_TEST(try_first_pass_a_plain_password_costs_one_attempt)
{
    char code[TOTP_CODE_BUFSIZE];
    struct talk t;
    tu_write(record_path, SEED_B32 "\n\" TOTP_AUTH\n\" RATE_LIMIT 3 300\n", 0600);
    service("auth required " SET_ITEMS "\nauth required @MODULE@ try_first_pass\n");
    setenv("PAM_AUTHTOK", "hunter2-2024-123456", 1);
    code_now(code);
    snapshot_at_prompt = 1;
    ck_assert_int_eq(login("alice", code, &t), PAM_SUCCESS);
    ck_assert_int_eq(t.asked, 1);
    ck_assert_msg(strstr(record_at_prompt, "\" FAILURES 1 ") != NULL,
                  "the first pass was not counted before the question:\n%s", record_at_prompt);
    char *text = tu_read(record_path);
    ck_assert_msg(strstr(text, "FAILURES") == NULL, "the success left failures:\n%s", text);
    free(text);
    unsetenv("PAM_AUTHTOK");
}
END_TEST

/* A login killed at the question, or whose conversation fails there, has already paid for the
 * first pass: 100 such logins are 100 counted attempts, not free guesses. */
START_TEST(try_first_pass_miss_is_counted_before_the_question)
{
    struct talk t;
    tu_write(record_path, SEED_B32 "\n\" TOTP_AUTH\n", 0600);
    service("auth required " SET_ITEMS "\nauth required @MODULE@ try_first_pass\n");
    setenv("PAM_AUTHTOK", "hunter2-2024-123456", 1);
    snapshot_at_prompt = 1;
    ck_assert_int_eq(login("alice", NULL, &t), PAM_AUTH_ERR); /* PAM_CONV_ERR at the prompt */
    ck_assert_msg(strstr(record_at_prompt, "\" FAILURES 1 ") != NULL,
                  "not counted when the question came:\n%s", record_at_prompt);
    char *text = tu_read(record_path);
    ck_assert_msg(strstr(text, "\" FAILURES 1 ") != NULL, "not one failure:\n%s", text);
    free(text);
    unsetenv("PAM_AUTHTOK");
}
END_TEST

/* But it is no free guess: when the question after it gets nobody in, or goes unanswered,
 * the earlier password is counted too. */
START_TEST(try_first_pass_counts_the_first_pass_when_the_login_fails)
{
    char code[TOTP_CODE_BUFSIZE];
    struct talk t;
    tu_write(record_path, SEED_B32 "\n\" TOTP_AUTH\n", 0600);
    service("auth required " SET_ITEMS "\nauth required @MODULE@ try_first_pass\n");
    setenv("PAM_AUTHTOK", "hunter2-2024-123456", 1);
    tu_code_at((int64_t)time(NULL) + 30 * 86400, 6, code);
    ck_assert_int_eq(login("alice", code, &t), PAM_AUTH_ERR); /* a wrong answer */
    ck_assert_int_eq(t.asked, 1);
    char *text = tu_read(record_path);
    ck_assert_msg(strstr(text, "\" FAILURES 2 ") != NULL, "not two failures:\n%s", text);
    free(text);
    ck_assert_int_eq(login("alice", NULL, &t), PAM_AUTH_ERR); /* no answer at all */
    text = tu_read(record_path);
    ck_assert_msg(strstr(text, "\" FAILURES 3 ") != NULL, "not three failures:\n%s", text);
    free(text);
    ck_assert_ptr_nonnull(strstr(last_log(), "no code given"));
    unsetenv("PAM_AUTHTOK");
}
END_TEST

/* ---- google-authenticator's options and ours ------------------------------------------- */

START_TEST(secret_option_and_ga_permissions)
{
    char code[TOTP_CODE_BUFSIZE], path[4400];
    struct talk t;
    snprintf(path, sizeof(path), "%s/otp-alice", tu_home("alice"));
    tu_write(path, GA_TEXT, 0640);
    unlink(record_path);
    const char *relaxed =
        service("auth required @MODULE@ secret=~/otp-${USER} allowed_perm=0640\n");
    service("auth required @MODULE@ secret=${HOME}/otp-${USER}\n");
    code_now(code);
    ck_assert_int_eq(login("alice", code, &t), PAM_AUTHINFO_UNAVAIL);
    use(relaxed);
    ck_assert_int_eq(login("alice", code, &t), PAM_SUCCESS);
    ck_assert_ptr_nonnull(strstr(last_log(), path));
}
END_TEST

START_TEST(digits_and_algorithm_defaults)
{
    /* A record that does not say takes the module's digits=/algorithm=; one that does, its own. */
    char code[TOTP_CODE_BUFSIZE];
    struct talk t;
    tu_write(record_path, SEED_B32 "\n\" TOTP_AUTH\n", 0600);
    service("auth required @MODULE@ digits=8\n");
    tu_code_at((int64_t)time(NULL), 8, code);
    ck_assert_int_eq(login("alice", code, &t), PAM_SUCCESS);
    tu_write(record_path, SEED_B32 "\n\" TOTP_AUTH\n\" DIGITS 6\n", 0600);
    tu_code_at((int64_t)time(NULL), 6, code);
    ck_assert_int_eq(login("alice", code, &t), PAM_SUCCESS);
}
END_TEST

START_TEST(grace_period_skips_the_question_per_host)
{
    char code[TOTP_CODE_BUFSIZE];
    struct talk t = {{0}, 0, {{0}}, {0}};
    const char *plain = service("auth required @MODULE@\n");
    const char *forward = service("auth required @MODULE@ grace_period=3600 forward_pass\n"
                                  "auth optional " GET_ITEMS "\n");
    service("auth required @MODULE@ grace_period=3600\n");
    code_now(code);
    t.answers[0] = code;
    ck_assert_int_eq(login_full("alice", &t, "192.0.2.7", NULL), PAM_SUCCESS);
    memset(&t, 0, sizeof(t));
    ck_assert_int_eq(login_full("alice", &t, "192.0.2.7", NULL), PAM_SUCCESS);
    ck_assert_int_eq(t.asked, 0);
    ck_assert_ptr_nonnull(strstr(last_log(), "reason=\"grace period for this host\""));
    /* Another host is asked; so is everyone without grace_period. */
    memset(&t, 0, sizeof(t));
    t.answers[0] = "000000";
    ck_assert_int_eq(login_full("alice", &t, "192.0.2.8", NULL), PAM_AUTH_ERR);
    ck_assert_int_eq(t.asked, 1);
    use(plain);
    memset(&t, 0, sizeof(t));
    t.answers[0] = "000000";
    ck_assert_int_eq(login_full("alice", &t, "192.0.2.7", NULL), PAM_AUTH_ERR);
    /* forward_pass still asks: the answer carries the password for the next module. */
    use(forward);
    memset(&t, 0, sizeof(t));
    char *authtok = NULL, input[64];
    tu_code_at((int64_t)time(NULL) + 30, 6, code);
    snprintf(input, sizeof(input), "s3cret%s", code);
    t.answers[0] = input;
    ck_assert_int_eq(login_full("alice", &t, "192.0.2.7", &authtok), PAM_SUCCESS);
    ck_assert_int_eq(t.asked, 1);
    ck_assert_ptr_nonnull(authtok);
    ck_assert_str_eq(authtok, "s3cret");
    free(authtok);
}
END_TEST

START_TEST(site_conf_and_rate_limit_floor)
{
    char conf[4300], code[TOTP_CODE_BUFSIZE], line[4500];
    struct talk t;
    snprintf(conf, sizeof(conf), "%s/pam_totp.conf", tu_root());
    FILE *f = fopen(conf, "w");
    fputs("# site defaults\nrate_limit = 1/60\n", f);
    fclose(f);
    chmod(conf, 0644);
    snprintf(line, sizeof(line), "auth required @MODULE@ conf=%s\n", conf);
    service(line);
    ck_assert_int_eq(login("alice", "000000", &t), PAM_AUTH_ERR);
    code_now(code);
    ck_assert_int_eq(login("alice", code, &t), PAM_MAXTRIES);
    chmod(conf, 0666);
    ck_assert_int_eq(login("alice", code, &t), PAM_SERVICE_ERR);
    assert_log_has("lets others change it");
}
END_TEST

/* store=ldap with nothing listening: denied with PAM_AUTHINFO_UNAVAIL and one error line naming
 * the directory, even with pam_permit after it (nullok needs a bind DN: ldap_secure.sh tests a
 * directory that fails with nullok); a combination the directory cannot keep is a configuration
 * error. (tests/ldap/ldap_store.sh runs the store against slapd.) */
START_TEST(ldap_directory_down_is_authinfo_unavail)
{
    struct talk t;
    char code[TOTP_CODE_BUFSIZE];
    const char *refused = service("auth required @MODULE@ store=ldap ldap_uri=ldap://127.0.0.1:1 "
                                  "ldap_base=dc=example,dc=com rate_limit=3/30\n");
    const char *cleartext = service("auth required @MODULE@ nullok store=ldap "
                                    "ldap_uri=ldap://127.0.0.1:1 ldap_base=dc=example,dc=com\n"
                                    "auth required pam_permit.so\n");
    service("auth required @MODULE@ store=ldap ldap_uri=ldap://127.0.0.1:1 "
            "ldap_insecure_cleartext ldap_base=dc=example,dc=com ldap_timeout=1\n"
            "auth required pam_permit.so\n");
    code_now(code);
    ck_assert_int_eq(login("alice", code, &t), PAM_AUTHINFO_UNAVAIL);
    ck_assert_str_eq(t.asked > 0 ? "asked" : "not asked", "asked");
    const char *line = last_log();
    ck_assert_msg(strstr(line, "result=error user=alice") != NULL, "%s", line);
    ck_assert_msg(strstr(line, "ldap://127.0.0.1:1: bind as anonymous: Can't contact "
                               "LDAP server") != NULL,
                  "%s", line);
    const char *first = strstr(logbuf, "pam_totp(");
    ck_assert_msg(first != NULL && strstr(first + 1, "pam_totp(") == NULL, "one line:\n%s", logbuf);
    assert_log_clean(code);
    use(refused);
    loglen = 0;
    ck_assert_int_eq(login("alice", code, &t), PAM_SERVICE_ERR);
    assert_log_has("rate_limit cannot be used with store=ldap");
    use(cleartext); /* clear text without the loud option: a configuration error, nullok or not */
    loglen = 0;
    ck_assert_int_eq(login("alice", code, &t), PAM_SERVICE_ERR);
    assert_log_has("ldap_uri ldap://127.0.0.1:1: clear text");
}
END_TEST

/* What the library says reaches syslog without control characters: no forged lines. */
START_TEST(log_lines_carry_no_control_characters)
{
    char conf[4300], line[4500];
    struct talk t;
    snprintf(conf, sizeof(conf), "%s/pam_totp.conf", tu_root());
    FILE *f = fopen(conf, "w");
    fputs("window = 1\001\033[2J\n", f);
    fclose(f);
    chmod(conf, 0644);
    snprintf(line, sizeof(line), "auth required @MODULE@ conf=%s\n", conf);
    service(line);
    ck_assert_int_eq(login("alice", "123456", &t), PAM_SERVICE_ERR);
    assert_log_has("window=1\\u0001\\u001b[2J: must be 1 to 100");
    ck_assert_msg(strchr(logbuf, '\001') == NULL && strchr(logbuf, '\033') == NULL, "%s", logbuf);
}
END_TEST

START_TEST(hotp_record_through_pam)
{
    char code[TOTP_CODE_BUFSIZE];
    struct talk t;
    totp_params p = TOTP_PARAMS_DEFAULT;
    totp_key *key = NULL;
    ck_assert_int_eq(totp_key_new((const uint8_t *)"12345678901234567890", 20, &p, &key), TOTP_OK);
    ck_assert_int_eq(totp_hotp(key, 1, code), TOTP_OK);
    totp_key_free(key);
    tu_write(record_path, SEED_B32 "\n\" HOTP_COUNTER 1\n", 0600);
    service("auth required @MODULE@\n");
    ck_assert_int_eq(login("alice", code, &t), PAM_SUCCESS);
    ck_assert_ptr_nonnull(strstr(last_log(), "reason=\"counter-based code\""));
    ck_assert_int_eq(login("alice", code, &t), PAM_AUTH_ERR);
}
END_TEST

/* ---- what a line trusts, and what is missing ----------------------------------------------- */

/* The system store's record, owned by root when we are root (as totpctl writes it). */
static void put_system_record(const char *text)
{
    tu_write(system_record, text, 0600);
    if (geteuid() == 0)
        ck_assert_int_eq(chown(system_record, 0, 0), 0);
}

/* system_only (the sudo example): a record the user wrote is a denial even with the right
 * code and with nullok, never "not enrolled"; the system store's record works. */
START_TEST(system_only_refuses_records_the_user_can_write)
{
    char code[TOTP_CODE_BUFSIZE];
    struct talk t;
    service("auth requisite pam_permit.so\nauth required @MODULE@ system_only nullok\n");
    code_now(code);
    ck_assert_int_eq(login("alice", code, &t), PAM_AUTH_ERR);
    ck_assert_ptr_nonnull(strstr(last_log(), "result=denied user=alice"));
    char named[4400];
    snprintf(named, sizeof(named),
             "reason=\"%s: the user can write this record, and this line trusts only the system "
             "store (system_only)\"",
             record_path);
    ck_assert_msg(strstr(last_log(), named) != NULL, "%s", last_log());
    /* nobody enrolled at all: nullok still ignores. */
    ck_assert_int_eq(login("bob", "123456", &t), PAM_SUCCESS);
    ck_assert_int_eq(t.asked, 0);
    put_system_record(GA_TEXT);
    ck_assert_int_eq(login("alice", code, &t), PAM_SUCCESS);
    char want[4400];
    snprintf(want, sizeof(want), "record=%s", system_record);
    ck_assert_ptr_nonnull(strstr(last_log(), want));
}
END_TEST

/* Absence vs failure: a system store that is not there (say /var did not mount) is an error,
 * never "not enrolled", with nullok and pam_permit after it too. */
START_TEST(missing_system_store_is_authinfo_unavail)
{
    char line[4500], code[TOTP_CODE_BUFSIZE];
    struct talk t;
    snprintf(line, sizeof(line),
             "auth required @MODULE@ nullok system_dir=%s/not-mounted\nauth required "
             "pam_permit.so\n",
             tu_root());
    service(line);
    tu_code_at((int64_t)time(NULL) + 30 * 86400, 6, code);
    ck_assert_int_eq(login("alice", code, &t), PAM_AUTHINFO_UNAVAIL);
    ck_assert_int_eq(login("bob", code, &t), PAM_AUTHINFO_UNAVAIL);
    ck_assert_ptr_nonnull(strstr(last_log(), "not-mounted: cannot open directory"));
}
END_TEST

/* One account, one name: "ALICE" is alice, whose system record applies, with nullok too. */
START_TEST(canonical_account_name_finds_the_system_record)
{
    char code[TOTP_CODE_BUFSIZE], wrong[TOTP_CODE_BUFSIZE];
    struct talk t;
    unlink(record_path);
    put_system_record(GA_TEXT);
    service("auth required @MODULE@ nullok\n");
    tu_code_at((int64_t)time(NULL) + 30 * 86400, 6, wrong);
    ck_assert_int_eq(login("ALICE", wrong, &t), PAM_AUTH_ERR);
    ck_assert_int_eq(t.asked, 1);
    ck_assert_ptr_nonnull(strstr(last_log(), "result=denied user=alice"));
    code_now(code);
    ck_assert_int_eq(login("ALICE", code, &t), PAM_SUCCESS);
    char want[4400];
    snprintf(want, sizeof(want), "record=%s", system_record);
    ck_assert_ptr_nonnull(strstr(last_log(), want));
}
END_TEST

/* secret= while the system store has the user's record: the line works, and says so. */
START_TEST(secret_hiding_a_system_record_is_logged)
{
    char code[TOTP_CODE_BUFSIZE];
    struct talk t;
    put_system_record(GA_TEXT);
    service("auth required @MODULE@ secret=${HOME}/.google_authenticator\n");
    code_now(code);
    ck_assert_int_eq(login("alice", code, &t), PAM_SUCCESS);
    char want[4500];
    snprintf(want, sizeof(want),
             "<4> pam_totp(%s:auth): result=warning user=alice service=%s rhost=- reason=\"secret= "
             "is set, so this line does not consult the system store's record\" record=%s",
             service_name, service_name, system_record);
    assert_log_has(want);
}
END_TEST

/* debug says where records were looked for, one line per place, with what was there. */
START_TEST(debug_logs_every_place_looked_at)
{
    struct talk t;
    char want[4500], config[4300];
    const char *quiet = service("auth required @MODULE@\n");
    service("auth required @MODULE@ debug\n");
    ck_assert_int_eq(login("bob", "123456", &t), PAM_AUTH_ERR);
    snprintf(want, sizeof(want),
             "<7> pam_totp(%s:auth): result=debug user=bob service=%s rhost=- reason=\"looked for "
             "a record: %s/bob: absent\" record=-",
             service_name, service_name, tu_system_dir());
    assert_log_has(want);
    snprintf(want, sizeof(want), "reason=\"looked for a record: %s/.config/totp/secret: absent\"",
             tu_home("bob"));
    assert_log_has(want);
    snprintf(want, sizeof(want), "reason=\"looked for a record: %s/.google_authenticator: absent\"",
             tu_home("bob"));
    assert_log_has(want);
    /* A place that cannot be used says why. */
    snprintf(config, sizeof(config), "%s/.google_authenticator", tu_home("bob"));
    tu_write(config, GA_TEXT, 0644);
    loglen = 0;
    ck_assert_int_eq(login("bob", "123456", &t), PAM_AUTHINFO_UNAVAIL);
    snprintf(want, sizeof(want),
             "reason=\"looked for a record: %s: mode 0644 is more permissive than 0600\"", config);
    assert_log_has(want);
    /* Without debug, no such lines. */
    use(quiet);
    unlink(config);
    loglen = 0;
    logbuf[0] = '\0';
    ck_assert_int_eq(login("bob", "123456", &t), PAM_AUTH_ERR);
    ck_assert_ptr_null(strstr(logbuf, "debug:"));
}
END_TEST

/* ---- twice in one transaction ---------------------------------------------------------------- */

/* pam_set_items.so stands for pam_unix: it sets PAM_AUTHTOK, as a password module does. */
START_TEST(twice_in_one_transaction_accepts_one_code_once)
{
    char code[TOTP_CODE_BUFSIZE];
    struct talk t;
    service("auth required " SET_ITEMS "\nauth required @MODULE@\nauth required @MODULE@ nullok\n");
    setenv("PAM_AUTHTOK", "the password", 1);
    code_now(code);
    ck_assert_int_eq(login("alice", code, &t), PAM_SUCCESS);
    ck_assert_int_eq(t.asked, 1); /* the second line did not ask */
    ck_assert_ptr_nonnull(strstr(last_log(), "earlier in this PAM transaction"));
    /* A new transaction refuses the replay. */
    ck_assert_int_eq(login("alice", code, &t), PAM_AUTH_ERR);
    ck_assert_ptr_nonnull(strstr(logbuf, "code already used"));
    unsetenv("PAM_AUTHTOK");
}
END_TEST

/* A system_only line does not take an acceptance made by a record the user can write; it does
 * take one made by the system store's record. */
START_TEST(system_only_line_reuses_only_a_system_acceptance)
{
    char code[TOTP_CODE_BUFSIZE];
    struct talk t;
    service("auth required " SET_ITEMS
            "\nauth required @MODULE@\nauth required @MODULE@ system_only\n");
    setenv("PAM_AUTHTOK", "the password", 1);
    code_now(code);
    memset(&t, 0, sizeof(t));
    t.answers[0] = code;
    t.answers[1] = code;
    ck_assert_int_eq(login_full("alice", &t, NULL, NULL), PAM_AUTH_ERR);
    ck_assert_int_eq(t.asked, 2);
    ck_assert_ptr_nonnull(strstr(last_log(), "system_only"));
    put_system_record(GA_TEXT);
    ck_assert_int_eq(login("alice", code, &t), PAM_SUCCESS);
    ck_assert_int_eq(t.asked, 1);
    ck_assert_ptr_nonnull(strstr(last_log(), "earlier in this PAM transaction"));
    unsetenv("PAM_AUTHTOK");
}
END_TEST

/* Two pam_authenticate calls on one handle (sudo asks again after a failure): an acceptance in
 * the first, which failed as a whole, does not carry into the second. `lines` is the stack;
 * `first` and `second` the PAM_AUTHTOK each call's password module sets (NULL: none). */
static void retry_no_delay(int retval, unsigned usec, void *appdata)
{
    (void)retval, (void)usec, (void)appdata; /* libpam calls this instead of sleeping */
}

static void retry_asks_again(const char *lines, const char *first, const char *second)
{
    char code[TOTP_CODE_BUFSIZE];
    struct talk t;
    pam_handle_t *ph = NULL;
    struct pam_conv conv = {converse, &t};
    service(lines);
    code_now(code);
    memset(&t, 0, sizeof(t));
    t.answers[0] = code;
    t.answers[1] = code;
    ck_assert_int_eq(pam_start(service_name, "alice", &conv, &ph), PAM_SUCCESS);
    ck_assert_int_eq(pam_set_item(ph, PAM_FAIL_DELAY, (const void *)retry_no_delay), PAM_SUCCESS);
    if (first != NULL)
        setenv("PAM_AUTHTOK", first, 1);
    ck_assert_int_eq(pam_authenticate(ph, 0), PAM_AUTH_ERR); /* the password failed */
    ck_assert_int_eq(t.asked, 1);
    ck_assert_ptr_nonnull(strstr(logbuf, "result=accepted user=alice"));
    if (second != NULL)
        setenv("PAM_AUTHTOK", second, 1);
    else
        unsetenv("PAM_AUTHTOK");
    loglen = 0;
    logbuf[0] = '\0';
    ck_assert_int_eq(pam_authenticate(ph, 0), PAM_AUTH_ERR);
    ck_assert_int_eq(t.asked, 2);                               /* asked again... */
    ck_assert_ptr_nonnull(strstr(logbuf, "code already used")); /* ...and the replay refused */
    ck_assert_ptr_null(strstr(logbuf, "earlier in this PAM transaction"));
    pam_end(ph, PAM_AUTH_ERR);
    unsetenv("PAM_AUTHTOK");
}

/* The password first (pam_unix, then pam_totp): the password fails, the code is accepted; the
 * retry with another password asks for a code again. */
START_TEST(retry_after_a_failed_password_asks_again)
{
    retry_asks_again("auth required " SET_ITEMS "\nauth required @MODULE@\n"
                     "auth requisite pam_deny.so\n",
                     "wrong password", "another password");
}
END_TEST

/* The same password again on the retry (a stack that failed after the code, or a handle that
 * outlives the person at it): the acceptance was worth one pass, so the code is asked again. */
START_TEST(retry_with_the_same_password_asks_again)
{
    retry_asks_again("auth required " SET_ITEMS "\nauth required @MODULE@\n"
                     "auth requisite pam_deny.so\n",
                     "the password", "the password");
}
END_TEST

/* The code first: right code, wrong password; the next pam_authenticate asks for a code. */
START_TEST(retry_after_code_then_wrong_password_asks_again)
{
    retry_asks_again("auth required @MODULE@\nauth required " SET_ITEMS "\n"
                     "auth requisite pam_deny.so\n",
                     "wrong password", "wrong password");
}
END_TEST

/* ---- the host process ---------------------------------------------------------------------- */

/* Acting as the user (root reading a home record) clears the dumpable flag in the kernel; the
 * module puts it back, whatever the outcome. */
START_TEST(dumpable_flag_is_unchanged)
{
    char code[TOTP_CODE_BUFSIZE];
    struct talk t;
    service("auth required @MODULE@\n");
    ck_assert_int_eq(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);
    code_now(code);
    ck_assert_int_eq(login("alice", code, &t), PAM_SUCCESS);
    ck_assert_int_eq(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
    ck_assert_int_eq(login("alice", "000000", &t), PAM_AUTH_ERR);
    ck_assert_int_eq(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
    ck_assert_int_eq(login("bob", "000000", &t), PAM_AUTH_ERR);
    ck_assert_int_eq(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
}
END_TEST

START_TEST(setcred_succeeds)
{
    pam_handle_t *ph = NULL;
    struct talk t = {{0}, 0, {{0}}, {0}};
    struct pam_conv conv = {converse, &t};
    service("auth required @MODULE@\n");
    ck_assert_int_eq(pam_start(service_name, "alice", &conv, &ph), PAM_SUCCESS);
    ck_assert_int_eq(pam_setcred(ph, PAM_ESTABLISH_CRED), PAM_SUCCESS);
    pam_end(ph, PAM_SUCCESS);
}
END_TEST

static void setup_pam_env(char **argv)
{
    pam_env_setup(argv, "check_pam");
}

static Suite *pam_suite(void)
{
    Suite *s = suite_create("pam");
    TCase *tc = tcase_create("codes");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, right_code_accepted);
    tcase_add_test(tc, replay_refused);
    tcase_add_test(tc, wrong_code_refused);
    tcase_add_test(tc, clock_trouble_is_logged_as_such);
    tcase_add_test(tc, scratch_code_once);
    tcase_add_test(tc, a_password_at_the_code_prompt_spends_no_failure);
    tcase_add_test(tc, rate_limited_is_maxtries);
    tcase_add_test(tc, ldap_directory_down_is_authinfo_unavail);
    tcase_add_test(tc, log_lines_carry_no_control_characters);
    tcase_add_test(tc, hotp_record_through_pam);
    tcase_add_test(tc, setcred_succeeds);
    tcase_add_test(tc, dumpable_flag_is_unchanged);
    suite_add_tcase(s, tc);

    tc = tcase_create("trust");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, system_only_refuses_records_the_user_can_write);
    tcase_add_test(tc, missing_system_store_is_authinfo_unavail);
    tcase_add_test(tc, canonical_account_name_finds_the_system_record);
    tcase_add_test(tc, secret_hiding_a_system_record_is_logged);
    tcase_add_test(tc, debug_logs_every_place_looked_at);
    tcase_add_test(tc, twice_in_one_transaction_accepts_one_code_once);
    tcase_add_test(tc, system_only_line_reuses_only_a_system_acceptance);
    tcase_add_test(tc, retry_after_a_failed_password_asks_again);
    tcase_add_test(tc, retry_after_code_then_wrong_password_asks_again);
    tcase_add_test(tc, retry_with_the_same_password_asks_again);
    suite_add_tcase(s, tc);

    tc = tcase_create("users");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, no_record_without_nullok_is_asked_and_denied);
    tcase_add_test(tc, no_record_with_nullok_is_ignored);
    tcase_add_test(tc, no_record_in_a_writable_home_is_no_ignore);
    tcase_add_test(tc, unknown_user_is_asked_and_denied_even_with_nullok);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, unknown_option_fails_closed);
    tcase_add_test(tc, bad_record_is_authinfo_unavail_never_ignore);
    tcase_add_test(tc, unwritable_record_denies_a_right_code);
    suite_add_tcase(s, tc);

    tc = tcase_create("options");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, prompt_options);
    tcase_add_test(tc, forward_pass_hands_password_on);
    tcase_add_test(tc, without_forward_pass_the_code_never_reaches_authtok);
    tcase_add_test(tc, use_first_pass_takes_authtok_and_never_asks);
    tcase_add_test(tc, try_first_pass_falls_back_to_asking);
    tcase_add_test(tc, try_first_pass_a_plain_password_costs_one_attempt);
    tcase_add_test(tc, try_first_pass_miss_is_counted_before_the_question);
    tcase_add_test(tc, try_first_pass_counts_the_first_pass_when_the_login_fails);
    tcase_add_test(tc, secret_option_and_ga_permissions);
    tcase_add_test(tc, digits_and_algorithm_defaults);
    tcase_add_test(tc, grace_period_skips_the_question_per_host);
    tcase_add_test(tc, site_conf_and_rate_limit_floor);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN_WITH(setup_pam_env, pam_suite)
