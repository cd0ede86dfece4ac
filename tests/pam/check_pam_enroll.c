/* SPDX-License-Identifier: Apache-2.0 */
/* check_pam_enroll.c: enrollment at login through the real libpam (pam_wrapper, nss_wrapper,
 * syslog captured): who is offered it, the QR prompt, confirmation, create-if-absent, the
 * scratch codes, the audit line, and the lost-phone replacement with a scratch code. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "pam_env.h"
#include "syslog_capture.h"
#include "testutil.h"
#include "totp.h"
#include "unit.h"

#define QR_PROMPT_END "Code from the app: "

/* ---- conversation ------------------------------------------------------------------------- */

enum answer_kind { RIGHT_CODE, WRONG_CODE, NO_ANSWER, ENTER, FIXED };

struct talk {
    enum answer_kind kinds[4];
    const char *fixed[4];
    int asked;
    char *prompts[4];
    int styles[4];
    char secret[TOTP_KEY_MAX * 2]; /* read from the QR prompt */
    int race;                      /* write a record for alice when the QR prompt comes */
};

static char system_record[4300];

/* The code the secret in the prompt gives at `t`. */
static void code_for(const char *secret, int64_t t, char out[TOTP_CODE_BUFSIZE])
{
    uint8_t key[TOTP_KEY_MAX];
    size_t len = 0;
    totp_key *k = NULL;
    uint64_t step = 0;
    const totp_params p = TOTP_PARAMS_DEFAULT;
    ck_assert_int_eq(totp_base32_decode(secret, key, sizeof(key), &len), TOTP_OK);
    ck_assert_int_eq(totp_key_new(key, len, &p, &k), TOTP_OK);
    ck_assert_int_eq(totp_time_step(t, 30, &step), TOTP_OK);
    ck_assert_int_eq(totp_hotp(k, step, out), TOTP_OK);
    totp_key_free(k);
}

/* The secret= parameter of the URI the prompt shows. */
static void secret_from_prompt(const char *prompt, char *secret, size_t size)
{
    const char *uri = strstr(prompt, "otpauth URI: otpauth://totp/");
    ck_assert_ptr_nonnull(uri);
    const char *s = strstr(uri, "secret=");
    ck_assert_ptr_nonnull(s);
    s += 7;
    size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
    ck_assert_uint_gt(n, 16);
    ck_assert_uint_lt(n, size);
    memcpy(secret, s, n);
    secret[n] = '\0';
}

static int converse(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    struct talk *t = data;
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    char code[TOTP_CODE_BUFSIZE];
    for (int i = 0; i < n; i++) {
        if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF && msg[i]->msg_style != PAM_PROMPT_ECHO_ON)
            continue;
        if (t->asked == 4 || t->kinds[t->asked] == NO_ANSWER) {
            free(r);
            return PAM_CONV_ERR;
        }
        int k = t->asked++;
        t->prompts[k] = strdup(msg[i]->msg);
        t->styles[k] = msg[i]->msg_style;
        const char *answer = "";
        if (strstr(msg[i]->msg, "otpauth URI: ") != NULL)
            secret_from_prompt(msg[i]->msg, t->secret, sizeof(t->secret));
        if (t->race && strstr(msg[i]->msg, "otpauth URI: ") != NULL)
            tu_write(system_record, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n\" TOTP_AUTH\n", 0600);
        if (t->kinds[k] == RIGHT_CODE || t->kinds[k] == WRONG_CODE) {
            code_for(t->secret, (int64_t)time(NULL) + (t->kinds[k] == WRONG_CODE ? 86400 : 0),
                     code);
            answer = code;
        } else if (t->kinds[k] == FIXED) {
            answer = t->fixed[k];
        }
        r[i].resp = strdup(answer);
    }
    *resp = r;
    return PAM_SUCCESS;
}

static void talk_free(struct talk *t)
{
    for (int i = 0; i < 4; i++)
        free(t->prompts[i]);
    memset(t, 0, sizeof(*t));
}

/* ---- fixtures ----------------------------------------------------------------------------- */

static const char *service_name;

/* A service whose one line is pam_totp over this test's system store with `args`. */
static const char *service(const char *args)
{
    static int serial;
    static char names[8][32];
    char path[4300];
    char *name = names[serial % 8];
    snprintf(name, sizeof(names[0]), "enroll%d", ++serial);
    snprintf(path, sizeof(path), "%s/services/%s", tu_root(), name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "auth required %s system_dir=%s %s\n", getenv("PAM_TOTP_MODULE"), tu_system_dir(),
            args);
    fclose(f);
    service_name = name;
    return name;
}

static void no_delay(int retval, unsigned usec, void *appdata)
{
    (void)retval, (void)usec, (void)appdata;
}

static int login(const char *user, struct talk *t)
{
    pam_handle_t *ph = NULL;
    struct pam_conv conv = {converse, t};
    ck_assert_int_eq(pam_start(service_name, user, &conv, &ph), PAM_SUCCESS);
    ck_assert_int_eq(pam_set_item(ph, PAM_FAIL_DELAY, (const void *)no_delay), PAM_SUCCESS);
    ck_assert_int_eq(pam_set_item(ph, PAM_RHOST, "192.0.2.7"), PAM_SUCCESS);
    int rc = pam_authenticate(ph, PAM_SILENT); /* as sudo calls it */
    pam_end(ph, rc);
    return rc;
}

static void setup(void)
{
    char cmd[4400];
    tu_reset_homes();
    snprintf(system_record, sizeof(system_record), "%s/alice", tu_system_dir());
    snprintf(cmd, sizeof(cmd), "rm -rf '%s/.allow' '%s/alice' '%s/bob'", tu_system_dir(),
             tu_system_dir(), tu_system_dir());
    ck_assert_int_eq(system(cmd), 0);
    loglen = 0;
    logbuf[0] = '\0';
}

static void assert_log_has(const char *text)
{
    ck_assert_msg(strstr(logbuf, text) != NULL, "log lacks \"%s\":\n%s", text, logbuf);
}

static int exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* Enroll alice (allowed by this line's configuration) and check everything a user sees. */
static void enroll_alice(struct talk *t)
{
    memset(t, 0, sizeof(*t));
    t->kinds[0] = RIGHT_CODE;
    t->kinds[1] = ENTER;
    ck_assert_int_eq(login("alice", t), PAM_SUCCESS);
    ck_assert_int_eq(t->asked, 2);
    /* The QR code and the question are in one prompt (PAM_SILENT hides text messages). */
    const char *qr = t->prompts[0];
    ck_assert_ptr_nonnull(strstr(qr, "\u2588"));
    ck_assert_ptr_null(strchr(qr, '\033')); /* ssh escapes control characters */
    size_t len = strlen(qr);
    ck_assert(len > strlen(QR_PROMPT_END) &&
              strcmp(qr + len - strlen(QR_PROMPT_END), QR_PROMPT_END) == 0);
    /* The QR code and the question fit 80x24. */
    int qr_lines = 0, widest = 0;
    for (const char *p = qr; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
        if (memmem(p, n, "\u2588", 3) != NULL || memmem(p, n, "\u2580", 3) != NULL) {
            int cells = 0;
            for (size_t i = 0; i < n; i++)
                cells += ((unsigned char)p[i] & 0xc0) != 0x80;
            qr_lines++;
            widest = cells > widest ? cells : widest;
        }
        p = nl != NULL ? nl + 1 : p + n;
    }
    ck_assert_int_gt(qr_lines, 10);
    ck_assert_int_le(qr_lines + 1, 24);
    ck_assert_int_le(widest, 80);
    /* The scratch codes come after the confirmation, in a prompt that waits for Enter. */
    ck_assert_ptr_null(strstr(qr, "Scratch codes"));
    ck_assert_ptr_nonnull(strstr(t->prompts[1], "Scratch codes"));
    ck_assert_ptr_nonnull(strstr(t->prompts[1], "press Enter"));
    ck_assert_int_eq(t->styles[1], PAM_PROMPT_ECHO_ON);
    ck_assert(exists(system_record));
    /* Logged: accepted, and one audit line; never the secret or a scratch code. */
    assert_log_has("reason=\"enrolled at login\"");
    assert_log_has("action=enroll result=ok user=alice store=file record=");
    assert_log_has("how=login actor=alice actor_uid=");
    assert_log_has("rhost=192.0.2.7");
    ck_assert_msg(strstr(logbuf, t->secret) == NULL, "secret in log:\n%s", logbuf);
    const char *codes = strstr(t->prompts[1], "\n  ");
    ck_assert_ptr_nonnull(codes);
    char scratch[9];
    memcpy(scratch, codes + 3, 8);
    scratch[8] = '\0';
    ck_assert_msg(strstr(logbuf, scratch) == NULL, "scratch code in log:\n%s", logbuf);
}

/* ---- who is offered it -------------------------------------------------------------------- */

START_TEST(group_member_enrolls_then_logs_in_with_a_later_code)
{
    struct talk t;
    char code[TOTP_CODE_BUFSIZE], secret[sizeof(t.secret)];
    service("enroll_at_login enroll_group=totpgrp");
    enroll_alice(&t);
    snprintf(secret, sizeof(secret), "%s", t.secret);
    talk_free(&t);
    /* The record is the system store's, and the next step's code logs in. */
    code_for(secret, (int64_t)time(NULL) + 30, code);
    t.kinds[0] = FIXED;
    t.fixed[0] = code;
    ck_assert_int_eq(login("alice", &t), PAM_SUCCESS);
    ck_assert_int_eq(t.asked, 1);
    ck_assert_ptr_nonnull(strstr(t.prompts[0], "Verification code"));
    talk_free(&t);
}
END_TEST

START_TEST(allowance_enrolls_once_and_is_spent)
{
    struct talk t;
    totp_store *store = tu_store(NULL);
    service("enroll_at_login");
    ck_assert_int_eq(totp_store_allow_enroll(store, "alice", (int64_t)time(NULL) + 3600, NULL),
                     TOTP_OK);
    enroll_alice(&t);
    talk_free(&t);
    int64_t until = 0;
    ck_assert_int_eq(totp_store_enroll_allowance(store, "alice", &until, NULL), TOTP_ENOENT);
    totp_store_free(store);
}
END_TEST

START_TEST(expired_allowance_is_not_offered)
{
    struct talk t = {0};
    totp_store *store = tu_store(NULL);
    service("enroll_at_login");
    ck_assert_int_eq(totp_store_allow_enroll(store, "alice", (int64_t)time(NULL) - 1, NULL),
                     TOTP_OK);
    totp_store_free(store);
    t.kinds[0] = FIXED;
    t.fixed[0] = "123456";
    ck_assert_int_eq(login("alice", &t), PAM_AUTH_ERR);
    ck_assert_int_eq(t.asked, 1);
    ck_assert_ptr_null(strstr(t.prompts[0], "otpauth"));
    ck_assert(!exists(system_record));
    talk_free(&t);
}
END_TEST

START_TEST(not_allowed_is_denied_or_ignored_with_nullok)
{
    struct talk t = {0};
    /* pam_wrapper copies the services at the first login: both are written first. */
    const char *with_nullok = service("enroll_at_login enroll_group=totpgrp nullok");
    service("enroll_at_login enroll_group=totpgrp"); /* bob is not in totpgrp */
    t.kinds[0] = FIXED;
    t.fixed[0] = "123456";
    ck_assert_int_eq(login("bob", &t), PAM_AUTH_ERR);
    ck_assert_ptr_null(strstr(t.prompts[0], "otpauth"));
    talk_free(&t);
    service_name = with_nullok;
    /* The module ignores; a stack in which nobody decides is refused by libpam itself. */
    ck_assert_int_eq(login("bob", &t), PAM_PERM_DENIED);
    assert_log_has("ignored user=bob");
    ck_assert_int_eq(t.asked, 0);
    ck_assert(!exists(system_record));
    talk_free(&t);
}
END_TEST

START_TEST(missing_group_is_not_offered_and_warned)
{
    struct talk t = {0};
    service("enroll_at_login enroll_group=no-such-group nullok");
    ck_assert_int_eq(login("alice", &t), PAM_PERM_DENIED); /* ignored, as without enrollment */
    ck_assert_int_eq(t.asked, 0);
    assert_log_has("<4> pam_totp(");
    assert_log_has("enroll_group=no-such-group: no such group");
}
END_TEST

START_TEST(off_by_default)
{
    struct talk t = {0};
    service("enroll_group=totpgrp nullok");
    ck_assert_int_eq(login("alice", &t), PAM_PERM_DENIED); /* the module ignored it */
    assert_log_has("ignored user=alice");
    ck_assert_int_eq(t.asked, 0);
    ck_assert(!exists(system_record));
}
END_TEST

START_TEST(names_in_the_app_are_totpctls)
{
    struct talk t;
    char conf[4300], line[4400], host[256] = "";
    totp_enroll_names names;
    /* The site file's issuer, and the system store's label, as totpctl writes them. */
    snprintf(conf, sizeof(conf), "%s/issuer.conf", tu_root());
    FILE *f = fopen(conf, "w"); /* the site file is ours (tu_write makes the users' files) */
    ck_assert_ptr_nonnull(f);
    fputs("issuer = Example Corp\n", f);
    fclose(f);
    snprintf(line, sizeof(line), "enroll_at_login enroll_group=totpgrp conf=%s", conf);
    service(line);
    enroll_alice(&t);
    ck_assert_ptr_nonnull(strstr(t.prompts[0], "otpauth://totp/Example%20Corp:alice%40"));
    ck_assert_ptr_nonnull(strstr(t.prompts[0], "%20%28system%29?secret="));
    ck_assert_ptr_nonnull(strstr(t.prompts[0], "&issuer=Example%20Corp"));
    talk_free(&t);
    totp_enroll_names_default("Example Corp", "alice", 1, &names);
    ck_assert_int_eq(gethostname(host, sizeof(host) - 1), 0);
    snprintf(line, sizeof(line), "alice@%s (system)", host);
    ck_assert_str_eq(names.account, line);
    char *text = tu_read(system_record);
    snprintf(line, sizeof(line), "\n\" ISSUER Example Corp\n\" ACCOUNT %s\n", names.account);
    ck_assert_msg(strstr(text, line) != NULL, "record lacks %s:\n%s", line, text);
    free(text);
}
END_TEST

/* ---- what is never done ------------------------------------------------------------------- */

START_TEST(wrong_or_missing_confirmation_writes_nothing)
{
    struct talk t = {0};
    service("enroll_at_login enroll_group=totpgrp");
    t.kinds[0] = WRONG_CODE;
    ck_assert_int_eq(login("alice", &t), PAM_AUTH_ERR);
    ck_assert_int_eq(t.asked, 1); /* one confirmation per login */
    ck_assert(!exists(system_record));
    assert_log_has("reason=\"enrollment not confirmed: wrong code\"");
    talk_free(&t);
    t.kinds[0] = NO_ANSWER;
    ck_assert_int_eq(login("alice", &t), PAM_AUTH_ERR);
    ck_assert(!exists(system_record));
    assert_log_has("reason=\"enrollment not confirmed: no code given\"");
    ck_assert_ptr_null(strstr(logbuf, "action=enroll"));
    talk_free(&t);
}
END_TEST

START_TEST(record_that_appears_meanwhile_is_never_replaced)
{
    struct talk t = {0};
    service("enroll_at_login enroll_group=totpgrp");
    t.kinds[0] = RIGHT_CODE;
    t.race = 1;
    ck_assert_int_eq(login("alice", &t), PAM_AUTH_ERR);
    char *text = tu_read(system_record);
    ck_assert_str_eq(text, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n\" TOTP_AUTH\n");
    free(text);
    assert_log_has("reason=\"enrollment refused: a record appeared meanwhile");
    ck_assert_ptr_null(strstr(logbuf, "action=enroll"));
    talk_free(&t);
}
END_TEST

START_TEST(enrolled_user_is_never_offered_enrollment)
{
    struct talk t = {0};
    tu_write(system_record, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n\" TOTP_AUTH\n", 0600);
    service("enroll_at_login enroll_group=totpgrp");
    t.kinds[0] = FIXED;
    t.fixed[0] = "000000";
    ck_assert_int_eq(login("alice", &t), PAM_AUTH_ERR);
    ck_assert_int_eq(t.asked, 1);
    ck_assert_ptr_null(strstr(t.prompts[0], "otpauth"));
    talk_free(&t);
}
END_TEST

START_TEST(secret_option_with_enrollment_is_a_configuration_error)
{
    struct talk t = {0};
    service("enroll_at_login secret=/tmp/nowhere/${USER}");
    ck_assert_int_eq(login("alice", &t), PAM_SERVICE_ERR);
    assert_log_has("enroll_at_login needs the system store");
    ck_assert_int_eq(t.asked, 0);
}
END_TEST

/* ---- lost phone --------------------------------------------------------------------------- */

START_TEST(scratch_code_login_replaces_the_authenticator)
{
    struct talk t;
    char code[TOTP_CODE_BUFSIZE], old_secret[sizeof(t.secret)], scratch[9];
    service("enroll_at_login enroll_group=totpgrp enroll_replace_with_scratch");
    enroll_alice(&t);
    snprintf(old_secret, sizeof(old_secret), "%s", t.secret);
    memcpy(scratch, strstr(t.prompts[1], "\n  ") + 3, 8);
    scratch[8] = '\0';
    talk_free(&t);
    /* Keys the replacement must keep: the site's, names, and one nobody knows. */
    totp_record *rec = NULL;
    char *text = tu_read(system_record), *out = NULL;
    ck_assert_int_eq(totp_record_parse(text, strlen(text), &rec, NULL), TOTP_OK);
    free(text);
    ck_assert_int_eq(totp_record_set(rec, "ISSUER", "x"), TOTP_OK);
    ck_assert_int_eq(totp_record_set(rec, "FOO", "bar"), TOTP_OK);
    ck_assert_int_eq(totp_record_set(rec, "WINDOW_SIZE", "5"), TOTP_OK);
    ck_assert_int_eq(totp_record_serialize(rec, &out, NULL), TOTP_OK);
    totp_record_free(rec);
    tu_write(system_record, out, 0600);
    totp_wipe_string(out);
    loglen = 0;
    logbuf[0] = '\0';
    /* A scratch code, then the new app's code: the record now holds the new secret. */
    t.kinds[0] = FIXED;
    t.fixed[0] = scratch;
    t.kinds[1] = RIGHT_CODE;
    t.kinds[2] = ENTER;
    ck_assert_int_eq(login("alice", &t), PAM_SUCCESS);
    ck_assert_int_eq(t.asked, 3);
    ck_assert_ptr_nonnull(strstr(t.prompts[1], "otpauth URI: otpauth://totp/x:alice%40"));
    ck_assert_str_ne(t.secret, old_secret);
    assert_log_has("action=replace result=ok user=alice store=file");
    text = tu_read(system_record);
    ck_assert_msg(strncmp(text, t.secret, strlen(t.secret)) == 0, "not the new secret:\n%s", text);
    ck_assert_msg(strstr(text, "\n\" ISSUER x\n") != NULL &&
                      strstr(text, "\n\" FOO bar\n") != NULL &&
                      strstr(text, "\n\" WINDOW_SIZE 5\n") != NULL && strstr(text, scratch) == NULL,
                  "a key was lost, or an old scratch code kept:\n%s", text);
    free(text);
    char new_secret[sizeof(t.secret)];
    snprintf(new_secret, sizeof(new_secret), "%s", t.secret);
    talk_free(&t);
    code_for(old_secret, (int64_t)time(NULL) + 30, code);
    t.kinds[0] = FIXED;
    t.fixed[0] = code;
    ck_assert_int_eq(login("alice", &t), PAM_AUTH_ERR); /* the lost phone's code is dead */
    talk_free(&t);
    code_for(new_secret, (int64_t)time(NULL) + 30, code);
    t.kinds[0] = FIXED;
    t.fixed[0] = code;
    ck_assert_int_eq(login("alice", &t), PAM_SUCCESS);
    talk_free(&t);
}
END_TEST

START_TEST(code_login_is_not_offered_a_replacement)
{
    struct talk t;
    char code[TOTP_CODE_BUFSIZE];
    service("enroll_at_login enroll_group=totpgrp enroll_replace_with_scratch");
    enroll_alice(&t);
    code_for(t.secret, (int64_t)time(NULL) + 30, code);
    talk_free(&t);
    t.kinds[0] = FIXED;
    t.fixed[0] = code;
    ck_assert_int_eq(login("alice", &t), PAM_SUCCESS);
    ck_assert_int_eq(t.asked, 1);
    talk_free(&t);
}
END_TEST

static void setup_pam_env(char **argv)
{
    pam_env_setup(argv, "check_pam_enroll");
}

static Suite *enroll_suite(void)
{
    Suite *s = suite_create("pam_enroll");
    TCase *tc = tcase_create("offered");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, group_member_enrolls_then_logs_in_with_a_later_code);
    tcase_add_test(tc, allowance_enrolls_once_and_is_spent);
    tcase_add_test(tc, expired_allowance_is_not_offered);
    tcase_add_test(tc, not_allowed_is_denied_or_ignored_with_nullok);
    tcase_add_test(tc, missing_group_is_not_offered_and_warned);
    tcase_add_test(tc, off_by_default);
    tcase_add_test(tc, names_in_the_app_are_totpctls);
    suite_add_tcase(s, tc);
    tc = tcase_create("never");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, wrong_or_missing_confirmation_writes_nothing);
    tcase_add_test(tc, record_that_appears_meanwhile_is_never_replaced);
    tcase_add_test(tc, enrolled_user_is_never_offered_enrollment);
    tcase_add_test(tc, secret_option_with_enrollment_is_a_configuration_error);
    suite_add_tcase(s, tc);
    tc = tcase_create("lost_phone");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, scratch_code_login_replaces_the_authenticator);
    tcase_add_test(tc, code_login_is_not_offered_a_replacement);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN_WITH(setup_pam_env, enroll_suite)
