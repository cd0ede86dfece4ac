/* SPDX-License-Identifier: Apache-2.0 */
/* check_pam_enroll_attack.c: enrollment at login and the lost-phone replacement attacked
 * through the real libpam: a failed first factor, an allowance that ends while the question is
 * held, and a record an administrator writes while the replacement question is held. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "clock_shim.h"
#include "pam_env.h"
#include "syslog_capture.h"
#include "testutil.h"
#include "totp.h"
#include "unit.h"

#define T0           1800000000 /* the test's clock at the first question */
#define ADMIN_RECORD "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n\" TOTP_AUTH\n"

enum answer_kind { RIGHT_CODE, FIXED, ENTER };
/* What happens in the world while question `hook_at` is held open. */
enum hook { NONE, REVOKE_ALLOWANCE, ALLOWANCE_EXPIRES, ADMIN_REENROLLS };

struct talk {
    enum answer_kind kinds[4];
    const char *fixed[4];
    int asked;
    enum hook hook;
    int hook_at;
    char secret[TOTP_KEY_MAX * 2]; /* from the last QR prompt */
    char scratch[9];               /* the first scratch code shown */
};

static char system_record[4300];

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

static void secret_from_prompt(const char *prompt, char *secret, size_t size)
{
    const char *s = strstr(prompt, "secret=");
    ck_assert_ptr_nonnull(s);
    s += 7;
    size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
    ck_assert_uint_gt(n, 16);
    ck_assert_uint_lt(n, size);
    memcpy(secret, s, n);
    secret[n] = '\0';
}

static void run_hook(const struct talk *t)
{
    totp_store *store = NULL;
    switch (t->hook) {
    case REVOKE_ALLOWANCE: /* totpctl -u alice allow-enroll --revoke */
        store = tu_store(NULL);
        ck_assert_int_eq(totp_store_allow_enroll(store, "alice", 0, NULL), TOTP_OK);
        totp_store_free(store);
        break;
    case ALLOWANCE_EXPIRES: /* the allowance ran until T0 + 600 */
        clock_shim_set(T0 + 3600);
        break;
    case ADMIN_REENROLLS: /* totpctl -u alice enroll --force, as the stolen code is reported */
        tu_write(system_record, ADMIN_RECORD, 0600);
        break;
    default:
        break;
    }
}

static int converse(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    struct talk *t = data;
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    char code[TOTP_CODE_BUFSIZE];
    for (int i = 0; i < n; i++) {
        if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF && msg[i]->msg_style != PAM_PROMPT_ECHO_ON)
            continue;
        if (t->asked == 4) {
            free(r);
            return PAM_CONV_ERR;
        }
        int k = t->asked++;
        const char *answer = "";
        if (strstr(msg[i]->msg, "otpauth URI: ") != NULL)
            secret_from_prompt(msg[i]->msg, t->secret, sizeof(t->secret));
        const char *codes = strstr(msg[i]->msg, "Scratch codes");
        if (codes != NULL && (codes = strstr(codes, "\n  ")) != NULL && t->scratch[0] == '\0') {
            memcpy(t->scratch, codes + 3, 8);
            t->scratch[8] = '\0';
        }
        if (t->hook != NONE && k == t->hook_at)
            run_hook(t); /* the question is held while this happens */
        if (t->kinds[k] == RIGHT_CODE) {
            code_for(t->secret, (int64_t)time(NULL), code); /* at the moment of the answer */
            answer = code;
        } else if (t->kinds[k] == FIXED) {
            answer = t->fixed[k];
        }
        r[i].resp = strdup(answer);
    }
    *resp = r;
    return PAM_SUCCESS;
}

/* ---- fixtures ----------------------------------------------------------------------------- */

static const char *service_name;

/* A service: `before` (whole lines, may be ""), then pam_totp over this test's system store with
 * `args`. pam_wrapper copies the services at a test's first login: write them all first. */
static const char *service(const char *before, const char *args)
{
    static int serial;
    static char names[8][32];
    char path[4300];
    char *name = names[serial % 8];
    snprintf(name, sizeof(names[0]), "attack%d", ++serial);
    snprintf(path, sizeof(path), "%s/services/%s", tu_root(), name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "%sauth required %s system_dir=%s %s\n", before, getenv("PAM_TOTP_MODULE"),
            tu_system_dir(), args);
    fclose(f);
    service_name = name;
    return name;
}

static void no_delay(int retval, unsigned usec, void *appdata)
{
    (void)retval, (void)usec, (void)appdata;
}

static int login(const char *service_to_use, const char *user, struct talk *t)
{
    pam_handle_t *ph = NULL;
    struct pam_conv conv = {converse, t};
    ck_assert_int_eq(pam_start(service_to_use, user, &conv, &ph), PAM_SUCCESS);
    ck_assert_int_eq(pam_set_item(ph, PAM_FAIL_DELAY, (const void *)no_delay), PAM_SUCCESS);
    ck_assert_int_eq(pam_set_item(ph, PAM_RHOST, "198.51.100.66"), PAM_SUCCESS);
    int rc = pam_authenticate(ph, PAM_SILENT);
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
    ck_assert_int_eq(clock_shim_start(T0), 0);
    loglen = 0;
    logbuf[0] = '\0';
}

static int exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* Enroll alice through `svc` (a line that lets her); her first scratch code in `scratch`. */
static void enroll_alice(const char *svc, char scratch[9])
{
    struct talk t = {0};
    t.kinds[0] = RIGHT_CODE;
    t.kinds[1] = ENTER;
    ck_assert_int_eq(login(svc, "alice", &t), PAM_SUCCESS);
    ck_assert(exists(system_record));
    ck_assert_uint_eq(strlen(t.scratch), 8);
    memcpy(scratch, t.scratch, 9);
}

/* A failed first factor in front of pam_totp (`auth required pam_unix.so`: the stack goes on)
 * cannot be seen by a module; such a stack is refused by `totpctl check` and documented
 * (pam_totp(8), ENROLLMENT AT LOGIN), not tested here. sshd runs PAM authentication in a
 * child process, so deferring the write to pam_sm_setcred is no way out either. */

/* ---- held questions ----------------------------------------------------------------------- */

/* The allowance is judged before the QR question, which sudo lets the caller hold for ever:
 * revoked meanwhile, it must not enroll when the answer arrives. */
START_TEST(allowance_revoked_while_held_enrolls_nothing)
{
    struct talk t = {0};
    totp_store *store = tu_store(NULL);
    const char *svc = service("", "enroll_at_login");
    ck_assert_int_eq(totp_store_allow_enroll(store, "alice", T0 + 600, NULL), TOTP_OK);
    totp_store_free(store);
    t.kinds[0] = RIGHT_CODE;
    t.kinds[1] = ENTER;
    t.hook = REVOKE_ALLOWANCE;
    t.hook_at = 0;
    ck_assert_int_eq(login(svc, "alice", &t), PAM_AUTH_ERR);
    ck_assert_msg(!exists(system_record), "enrolled with an allowance revoked before the answer");
}
END_TEST

START_TEST(allowance_expired_while_held_enrolls_nothing)
{
    struct talk t = {0};
    totp_store *store = tu_store(NULL);
    const char *svc = service("", "enroll_at_login");
    ck_assert_int_eq(totp_store_allow_enroll(store, "alice", T0 + 600, NULL), TOTP_OK);
    totp_store_free(store);
    t.kinds[0] = RIGHT_CODE; /* a code of T0 + 3600, when the answer arrives */
    t.kinds[1] = ENTER;
    t.hook = ALLOWANCE_EXPIRES;
    t.hook_at = 0;
    ck_assert_int_eq(login(svc, "alice", &t), PAM_AUTH_ERR);
    ck_assert_msg(!exists(system_record),
                  "enrolled with an allowance that ended before the answer");
}
END_TEST

/* A scratch code was stolen and used; the administrator re-enrolls alice while the thief holds
 * the replacement question: the answer must not overwrite the administrator's new record. */
START_TEST(replacement_held_never_overwrites_a_new_record)
{
    struct talk t = {0};
    char scratch[9];
    const char *svc =
        service("", "enroll_at_login enroll_group=totpgrp enroll_replace_with_scratch");
    enroll_alice(svc, scratch);
    t.kinds[0] = FIXED;
    t.fixed[0] = scratch;
    t.kinds[1] = RIGHT_CODE;
    t.kinds[2] = ENTER;
    t.hook = ADMIN_REENROLLS;
    t.hook_at = 1;
    ck_assert_int_eq(login(svc, "alice", &t), PAM_SUCCESS); /* the scratch code was right */
    char *text = tu_read(system_record);
    ck_assert_msg(strcmp(text, ADMIN_RECORD) == 0,
                  "the held replacement overwrote the record the administrator wrote:\n%s", text);
    free(text);
}
END_TEST

static void setup_pam_env(char **argv)
{
    pam_env_setup(argv, "check_pam_enroll_attack");
}

static Suite *attack_suite(void)
{
    Suite *s = suite_create("pam_enroll_attack");
    TCase *tc = tcase_create("held");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, allowance_revoked_while_held_enrolls_nothing);
    tcase_add_test(tc, allowance_expired_while_held_enrolls_nothing);
    tcase_add_test(tc, replacement_held_never_overwrites_a_new_record);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN_WITH(setup_pam_env, attack_suite)
