/* SPDX-License-Identifier: Apache-2.0 */
/* check_options.c: module arguments and pam_totp.conf: every option, bad values, precedence. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "totp.h"
#include "unit.h"

static int set(totp_options *opt, const char *arg, char *message)
{
    totp_error err = {0};
    int rc = totp_options_set(opt, arg, &err);
    if (message != NULL)
        snprintf(message, 384, "%s", err.message);
    return rc;
}

START_TEST(defaults_are_google_authenticators)
{
    totp_options opt;
    totp_options_init(&opt);
    ck_assert_uint_eq(opt.policy.window, 3);
    ck_assert_int_eq(opt.policy.defaults.algorithm, TOTP_SHA1);
    ck_assert_uint_eq(opt.policy.defaults.digits, 6);
    ck_assert_uint_eq(opt.policy.defaults.period, 30);
    ck_assert_uint_eq(opt.store.allowed_perm, 0600);
    ck_assert_int_eq(opt.pass_mode, TOTP_PASS_PROMPT);
    ck_assert_int_eq(opt.nullok, 0);
    ck_assert_ptr_null(opt.prompt);
    /* ...but for the guessing bound, which is on by default. */
    ck_assert_uint_eq(opt.policy.throttle.free_failures, 3);
    ck_assert_uint_eq(opt.policy.throttle.first_delay, 15);
    ck_assert_uint_eq(opt.policy.throttle.max_delay, 120);
    totp_options_clear(&opt);
}
END_TEST

START_TEST(every_option_sets_its_field)
{
    totp_options opt;
    totp_options_init(&opt);
    static const char *const args[] = {
        "secret=${HOME}/.otp/${USER}",
        "authtok_prompt=Code: ",
        "allowed_perm=0640",
        "no_strict_owner",
        "debug",
        "try_first_pass",
        "forward_pass",
        "noskewadj",
        "no_increment_hotp",
        "nullok",
        "echo-verification-code",
        "grace_period=3600",
        "allow_readonly",
        "window=17",
        "skew_max=600",
        "digits=8",
        "algorithm=sha256",
        "rate_limit=5/60",
        "throttle=5,10,300",
        "system_dir=/srv/totp",
        "user=4242",
    };
    for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
        char msg[384];
        ck_assert_msg(set(&opt, args[i], msg) == TOTP_OK, "%s: %s", args[i], msg);
    }
    ck_assert_str_eq(opt.store.secret_path, "${HOME}/.otp/${USER}");
    ck_assert_str_eq(opt.prompt, "Code: ");
    ck_assert_uint_eq(opt.store.allowed_perm, 0640);
    ck_assert_int_eq(opt.store.no_strict_owner, 1);
    ck_assert_int_eq(opt.debug, 1);
    ck_assert_int_eq(opt.pass_mode, TOTP_PASS_TRY_FIRST);
    ck_assert_int_eq(opt.forward_pass, 1);
    ck_assert_int_eq(opt.policy.noskewadj, 1);
    ck_assert_int_eq(opt.policy.no_increment_hotp, 1);
    ck_assert_int_eq(opt.nullok, 1);
    ck_assert_int_eq(opt.echo_code, 1);
    ck_assert_uint_eq(opt.policy.grace_period, 3600);
    ck_assert_int_eq(opt.allow_readonly, 1);
    ck_assert_uint_eq(opt.policy.window, 17);
    ck_assert_uint_eq(opt.policy.skew_max, 600);
    ck_assert_uint_eq(opt.policy.defaults.digits, 8);
    ck_assert_int_eq(opt.policy.defaults.algorithm, TOTP_SHA256);
    ck_assert_uint_eq(opt.policy.rate_attempts, 5);
    ck_assert_uint_eq(opt.policy.rate_interval, 60);
    ck_assert_uint_eq(opt.policy.throttle.free_failures, 5);
    ck_assert_uint_eq(opt.policy.throttle.first_delay, 10);
    ck_assert_uint_eq(opt.policy.throttle.max_delay, 300);
    ck_assert_int_eq(set(&opt, "throttle=off", NULL), TOTP_OK);
    ck_assert_uint_eq(opt.policy.throttle.max_delay, 0);
    ck_assert_str_eq(opt.store.system_dir, "/srv/totp");
    ck_assert_int_eq(opt.store.fixed_user, 1);
    ck_assert_uint_eq(opt.store.fixed_uid, 4242);
    ck_assert_int_eq(set(&opt, "use_first_pass", NULL), TOTP_OK);
    ck_assert_int_eq(opt.pass_mode, TOTP_PASS_USE_FIRST);
    ck_assert_int_eq(set(&opt, "echo_verification_code", NULL), TOTP_OK);
    totp_options_clear(&opt);
}
END_TEST

START_TEST(user_by_name)
{
    totp_options opt;
    char msg[384];
    totp_options_init(&opt);
    ck_assert_int_eq(set(&opt, "user=alice", msg), TOTP_OK);
    ck_assert_uint_eq(opt.store.fixed_uid, tu_uid());
    ck_assert_int_eq(set(&opt, "user=nosuchuser", msg), TOTP_EINVAL);
    ck_assert_str_eq(msg, "user=nosuchuser: must be an existing user name or a uid");
    totp_options_clear(&opt);
}
END_TEST

static const struct {
    const char *arg, *message;
} bad[] = {
    {"frobnicate", "unknown option \"frobnicate\""},
    {"frobnicate=1", "unknown option \"frobnicate\""},
    {"nullok=yes", "nullok takes no value"},
    {"debug=1", "debug takes no value"},
    {"window", "window needs a value: 1 to 100"},
    {"window=0", "window=0: must be 1 to 100"},
    {"window=101", "window=101: must be 1 to 100"},
    {"window=3x", "window=3x: must be 1 to 100"},
    {"skew_max=0", "skew_max=0: must be 1 to 45000 seconds"},
    {"skew_max=45001", "skew_max=45001: must be 1 to 45000 seconds"},
    {"digits=5", "digits=5: must be 6, 7 or 8"},
    {"digits=9", "digits=9: must be 6, 7 or 8"},
    {"algorithm=MD5", "algorithm=MD5: must be SHA1, SHA256 or SHA512"},
    {"rate_limit=5", "rate_limit=5: must be ATTEMPTS/SECONDS"},
    {"rate_limit=0/60", "rate_limit=0/60: must be ATTEMPTS/SECONDS"},
    {"rate_limit=5/0", "rate_limit=5/0: must be ATTEMPTS/SECONDS"},
    {"rate_limit=5/86401", "rate_limit=5/86401: must be ATTEMPTS/SECONDS"},
    {"rate_limit=1001/60", "rate_limit=1001/60: must be ATTEMPTS/SECONDS"},
    {"throttle", "throttle needs a value: off, or FREE,FIRST,MAX"},
    {"throttle=on", "throttle=on: must be off, or FREE,FIRST,MAX"},
    {"throttle=3,15", "throttle=3,15: must be off, or FREE,FIRST,MAX"},
    {"throttle=0,15,120", "throttle=0,15,120: must be off, or FREE,FIRST,MAX"},
    {"throttle=3,0,120", "throttle=3,0,120: must be off, or FREE,FIRST,MAX"},
    {"throttle=3,60,30", "throttle=3,60,30: must be off, or FREE,FIRST,MAX"},
    {"throttle=3,15,86401", "throttle=3,15,86401: must be off, or FREE,FIRST,MAX"},
    {"throttle=3,15,120,", "throttle=3,15,120,: must be off, or FREE,FIRST,MAX"},
    {"throttle=,15,120", "throttle=,15,120: must be off, or FREE,FIRST,MAX"},
    {"allowed_perm=0", "allowed_perm=0: must be an octal mode"},
    {"allowed_perm=0999", "allowed_perm=0999: must be an octal mode"},
    {"allowed_perm=01777", "allowed_perm=01777: must be an octal mode"},
    {"grace_period=-1", "grace_period=-1: must be 0 to 2592000 seconds"},
    {"grace_period=2592001", "grace_period=2592001: must be 0 to 2592000 seconds"},
    {"secret=relative/path", "secret=relative/path: must be an absolute path"},
    {"system_dir=var/lib/totp", "system_dir=var/lib/totp: must be an absolute path"},
    {"conf=pam_totp.conf", "conf=pam_totp.conf: must be an absolute path"},
    {"=value", "unknown option \"=value\""},
    {"", "unknown option \"\""},
};

START_TEST(bad_options_are_named)
{
    totp_options opt;
    char msg[384];
    totp_options_init(&opt);
    ck_assert_int_eq(set(&opt, bad[_i].arg, msg), TOTP_EINVAL);
    ck_assert_msg(strncmp(msg, bad[_i].message, strlen(bad[_i].message)) == 0,
                  "%s: got \"%s\", want \"%s\"", bad[_i].arg, msg, bad[_i].message);
    totp_options_clear(&opt);
}
END_TEST

static char conf_path[1024];

static const char *write_conf(const char *text, mode_t mode)
{
    snprintf(conf_path, sizeof(conf_path), "%s/pam_totp.conf", tu_root());
    unlink(conf_path);
    FILE *f = fopen(conf_path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    ck_assert_int_eq(chmod(conf_path, mode), 0);
    return conf_path;
}

static int load(totp_options *opt, const char *extra, char *message)
{
    char confarg[1100];
    const char *argv[3];
    int argc = 0;
    snprintf(confarg, sizeof(confarg), "conf=%s", conf_path);
    argv[argc++] = confarg;
    if (extra != NULL)
        argv[argc++] = extra;
    totp_error err = {0};
    totp_options_init(opt);
    int rc = totp_options_load(opt, argc, argv, &err);
    if (message != NULL)
        snprintf(message, 384, "%s", err.message);
    return rc;
}

START_TEST(conf_file_gives_defaults_args_override)
{
    write_conf("# site defaults\n\n  window = 5\nalgorithm=SHA512\nnullok\ndebug = yes\n"
               "noskewadj = no\nauthtok_prompt = One-time code:  \nrate_limit = 3/30\n",
               0644);
    totp_options opt;
    char msg[384];
    ck_assert_msg(load(&opt, "window=7", msg) == TOTP_OK, "%s", msg);
    ck_assert_uint_eq(opt.policy.window, 7); /* the argument wins */
    ck_assert_int_eq(opt.policy.defaults.algorithm, TOTP_SHA512);
    ck_assert_int_eq(opt.nullok, 1);
    ck_assert_int_eq(opt.debug, 1);
    ck_assert_int_eq(opt.policy.noskewadj, 0);
    ck_assert_str_eq(opt.prompt, "One-time code:");
    ck_assert_uint_eq(opt.policy.rate_attempts, 3);
    ck_assert_str_eq(opt.conf, conf_path);
    totp_options_clear(&opt);
}
END_TEST

START_TEST(conf_file_errors_name_file_and_line)
{
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"window = 5\nwibble = 1\n", ":2: unknown option \"wibble\""},
        {"\n\ndigits = 12\n", ":3: digits=12: must be 6, 7 or 8"},
        {"nullok = maybe\n", ":1: nullok must be yes or no"},
        {"= 5\n", ":1: a value without a name"},
        {"conf = /etc/other.conf\n", ":1: conf cannot be set in a configuration file"},
        {"window\n", ":1: window needs a value: 1 to 100"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        totp_options opt;
        char msg[384], want[1500];
        write_conf(cases[i].text, 0644);
        ck_assert_int_eq(load(&opt, NULL, msg), TOTP_EINVAL);
        snprintf(want, sizeof(want), "%s%s", conf_path, cases[i].message);
        ck_assert_str_eq(msg, want);
        totp_options_clear(&opt);
    }
}
END_TEST

START_TEST(conf_file_must_be_safe)
{
    totp_options opt;
    char msg[384], want[1500];
    write_conf("window = 5\n", 0664);
    ck_assert_int_eq(load(&opt, NULL, msg), TOTP_EPERM);
    snprintf(want, sizeof(want), "%s: mode 0664 lets others change it", conf_path);
    ck_assert_str_eq(msg, want);
    totp_options_clear(&opt);

    write_conf("window = 5\n", 0644);
    char link_path[1000];
    snprintf(link_path, sizeof(link_path), "%s/link.conf", tu_root());
    unlink(link_path);
    ck_assert_int_eq(symlink(conf_path, link_path), 0);
    snprintf(conf_path, sizeof(conf_path), "%s", link_path);
    ck_assert_int_eq(load(&opt, NULL, msg), TOTP_EPERM);
    ck_assert_ptr_nonnull(strstr(msg, "is a symbolic link"));
    totp_options_clear(&opt);

    snprintf(conf_path, sizeof(conf_path), "%s/missing.conf", tu_root());
    ck_assert_int_eq(load(&opt, NULL, msg), TOTP_ENOENT);
    ck_assert_ptr_nonnull(strstr(msg, "cannot open: No such file or directory"));
    totp_options_clear(&opt);
}
END_TEST

START_TEST(no_conf_file_is_fine)
{
    /* Without conf=, a missing /etc/security/pam_totp.conf just means no site defaults. */
    totp_options opt;
    totp_error err = {0};
    const char *argv[] = {"window=9"};
    totp_options_init(&opt);
    struct stat st;
    if (stat(TOTP_CONF_DEFAULT, &st) == 0) {
        fprintf(stderr, "SKIP: %s exists on this machine\n", TOTP_CONF_DEFAULT);
        return;
    }
    ck_assert_int_eq(totp_options_load(&opt, 1, argv, &err), TOTP_OK);
    ck_assert_ptr_null(opt.conf);
    ck_assert_uint_eq(opt.policy.window, 9);
    totp_options_clear(&opt);
}
END_TEST

static Suite *options_suite(void)
{
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("arguments");
    tcase_add_test(tc, defaults_are_google_authenticators);
    tcase_add_test(tc, every_option_sets_its_field);
    tcase_add_test(tc, user_by_name);
    tcase_add_loop_test(tc, bad_options_are_named, 0, sizeof(bad) / sizeof(bad[0]));
    suite_add_tcase(s, tc);
    tc = tcase_create("conf");
    tcase_add_test(tc, conf_file_gives_defaults_args_override);
    tcase_add_test(tc, conf_file_errors_name_file_and_line);
    tcase_add_test(tc, conf_file_must_be_safe);
    tcase_add_test(tc, no_conf_file_is_fine);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN_USERS(options_suite)
