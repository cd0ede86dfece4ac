/* SPDX-License-Identifier: Apache-2.0 */
/* check_enroll_store.c: what enrollment at login needs from the file store: allowances kept
 * out of the records' way, and one record when two first logins create it at once. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "totp.h"
#include "unit.h"

#define T0        1700000000
#define PROCESSES 40

static char path_buf[4300];

static const char *system_path(const char *user)
{
    snprintf(path_buf, sizeof(path_buf), "%s/%s", tu_system_dir(), user);
    return path_buf;
}

static const char *allow_path(const char *user)
{
    snprintf(path_buf, sizeof(path_buf), "%s/.allow/%s", tu_system_dir(), user);
    return path_buf;
}

static void setup(void)
{
    tu_reset_homes();
    char cmd[4400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s/.allow' '%s/bob' '%s/alice'", tu_system_dir(),
             tu_system_dir(), tu_system_dir());
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(allowance_set_get_revoke)
{
    totp_store *store = tu_store(NULL);
    totp_error err = {0};
    int64_t until = -1;
    ck_assert_int_eq(totp_store_enroll_allowance(store, "bob", &until, &err), TOTP_ENOENT);
    ck_assert_ptr_nonnull(strstr(err.message, "no enrollment allowance"));
    ck_assert_int_eq(totp_store_allow_enroll(store, "bob", T0, &err), TOTP_OK);
    ck_assert_int_eq(totp_store_enroll_allowance(store, "bob", &until, &err), TOTP_OK);
    ck_assert_int_eq(until, T0);
    /* A root-only file in a root-only directory, holding the expiry. */
    struct stat st;
    ck_assert_int_eq(stat(allow_path("bob"), &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    snprintf(path_buf, sizeof(path_buf), "%s/.allow", tu_system_dir());
    ck_assert_int_eq(stat(path_buf, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0700);
    char *text = tu_read(allow_path("bob"));
    ck_assert_str_eq(text, "1700000000\n");
    free(text);
    /* Extended, then revoked; revoking nothing says so. */
    ck_assert_int_eq(totp_store_allow_enroll(store, "bob", T0 + 60, &err), TOTP_OK);
    ck_assert_int_eq(totp_store_enroll_allowance(store, "bob", &until, &err), TOTP_OK);
    ck_assert_int_eq(until, T0 + 60);
    snprintf(path_buf, sizeof(path_buf), "%s/.allow", tu_system_dir());
    ck_assert_int_eq(tu_count_dotfiles(path_buf), 0); /* no temporary left behind */
    ck_assert_int_eq(totp_store_allow_enroll(store, "bob", 0, &err), TOTP_OK);
    ck_assert_int_eq(access(allow_path("bob"), F_OK), -1);
    ck_assert_int_eq(totp_store_allow_enroll(store, "bob", 0, &err), TOTP_ENOENT);
    ck_assert_int_eq(totp_store_enroll_allowance(store, "bob", &until, &err), TOTP_ENOENT);
    totp_store_free(store);
}
END_TEST

/* An enrollment uses its allowance up before it creates the record: removed only while it is
 * still valid, and only once. */
START_TEST(allowance_is_spent_once)
{
    totp_store *store = tu_store(NULL);
    totp_error err = {0};
    totp_enroll_grant grant = TOTP_ENROLL_NO;
    ck_assert_int_eq(totp_store_allow_enroll(store, "bob", T0 + 3600, &err), TOTP_OK);
    /* expired at that time: not spent, kept */
    ck_assert_int_eq(totp_store_spend_allowance(store, "bob", T0 + 3600, &err), TOTP_ENOENT);
    ck_assert_ptr_nonnull(strstr(err.message, "expired"));
    ck_assert_int_eq(access(allow_path("bob"), F_OK), 0);
    ck_assert_int_eq(totp_enroll_permitted(store, "bob", NULL, T0, &grant, &err), TOTP_OK);
    ck_assert_int_eq(grant, TOTP_ENROLL_BY_ALLOWANCE);
    ck_assert_int_eq(totp_store_spend_allowance(store, "bob", T0, &err), TOTP_OK);
    ck_assert_int_eq(access(allow_path("bob"), F_OK), -1);
    ck_assert_int_eq(totp_store_spend_allowance(store, "bob", T0, &err), TOTP_ENOENT);
    ck_assert_int_eq(totp_enroll_permitted(store, "bob", NULL, T0, &grant, &err), TOTP_OK);
    ck_assert_int_eq(grant, TOTP_ENROLL_NO);
    ck_assert_str_eq(err.message, "no allowance");
    totp_store_free(store);
}
END_TEST

/* totpctl gives at most a year: one further ahead (forged, mistyped) is not honoured, and the
 * administrator is told (sys_errno TOTP_EINVAL: the module logs a warning). */
START_TEST(allowance_far_ahead_is_ignored)
{
    totp_store *store = tu_store(NULL);
    totp_error err = {0};
    totp_enroll_grant grant = TOTP_ENROLL_BY_GROUP;
    ck_assert_int_eq(totp_store_allow_enroll(store, "bob", T0 + 366 * 86400 + 1, &err), TOTP_OK);
    ck_assert_int_eq(totp_enroll_permitted(store, "bob", NULL, T0, &grant, &err), TOTP_OK);
    ck_assert_int_eq(grant, TOTP_ENROLL_NO);
    ck_assert_int_eq(err.sys_errno, TOTP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "more than the 366"));
    ck_assert_ptr_nonnull(strstr(err.message, "1731622401"));
    ck_assert_int_eq(totp_store_spend_allowance(store, "bob", T0, &err), TOTP_ENOENT);
    ck_assert_int_eq(access(allow_path("bob"), F_OK), 0);
    /* 366 days exactly is still honoured */
    ck_assert_int_eq(totp_store_allow_enroll(store, "bob", T0 + 366 * 86400, &err), TOTP_OK);
    ck_assert_int_eq(totp_enroll_permitted(store, "bob", NULL, T0, &grant, &err), TOTP_OK);
    ck_assert_int_eq(grant, TOTP_ENROLL_BY_ALLOWANCE);
    totp_store_free(store);
}
END_TEST

START_TEST(allowance_is_not_a_record)
{
    totp_store *store = tu_store(NULL);
    totp_txn *txn = NULL;
    totp_record *rec = NULL;
    char **users = NULL, **removed = NULL;
    ck_assert_int_eq(totp_store_allow_enroll(store, "bob", T0, NULL), TOTP_OK);
    ck_assert_int_eq(totp_store_begin(store, "bob", 0, &txn, &rec, NULL), TOTP_ENOENT);
    ck_assert_int_eq(totp_store_begin(store, ".allow", 0, &txn, &rec, NULL), TOTP_EUSER);
    ck_assert_int_eq(totp_store_list(store, &users, NULL), TOTP_OK);
    ck_assert_ptr_null(users[0]);
    totp_store_list_free(users);
    ck_assert_int_eq(totp_store_remove_all(store, "bob", &removed, NULL), TOTP_ENOENT);
    totp_store_list_free(removed);
    ck_assert_int_eq(access(allow_path("bob"), F_OK), 0);
    totp_store_free(store);
}
END_TEST

START_TEST(allowance_refuses_a_loose_or_foreign_file)
{
    totp_store *store = tu_store(NULL);
    int64_t until = 0;
    totp_error err = {0};
    ck_assert_int_eq(totp_store_allow_enroll(store, "bob", T0, NULL), TOTP_OK);
    ck_assert_int_eq(chmod(allow_path("bob"), 0644), 0);
    ck_assert_int_eq(totp_store_enroll_allowance(store, "bob", &until, &err), TOTP_EPERM);
    ck_assert_int_eq(chmod(allow_path("bob"), 0600), 0);
    snprintf(path_buf, sizeof(path_buf), "%s/.allow", tu_system_dir());
    ck_assert_int_eq(chmod(path_buf, 0755), 0);
    ck_assert_int_eq(totp_store_enroll_allowance(store, "bob", &until, &err), TOTP_EPERM);
    ck_assert_int_eq(totp_store_allow_enroll(store, "bob", T0, &err), TOTP_EPERM);
    ck_assert_int_eq(chmod(path_buf, 0700), 0);
    tu_write(allow_path("bob"), "soon\n", 0600);
    ck_assert_int_eq(totp_store_enroll_allowance(store, "bob", &until, &err), TOTP_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err.message, "not an expiry time"));
    totp_store_free(store);
}
END_TEST

START_TEST(store_without_allowances)
{
    totp_file_store_config cfg = {"", NULL, 0, 0, 0, 0, geteuid(), 0, 0, NULL, NULL, 0};
    totp_store *store = NULL;
    totp_error err = {0};
    int64_t until = 0;
    ck_assert_int_eq(totp_store_file_new(&cfg, &store), TOTP_OK);
    ck_assert_int_eq(totp_store_allow_enroll(store, "bob", T0, &err), TOTP_EINVAL);
    ck_assert_int_eq(totp_store_enroll_allowance(store, "bob", &until, &err), TOTP_EINVAL);
    totp_store_free(store);
}
END_TEST

/* Two (forty) first logins of one user confirm at the same moment: each made its own secret
 * and asked begin(CREATE) before the others committed; one record results, the others get
 * TOTP_EEXIST, and the record is exactly one of theirs. */
START_TEST(simultaneous_first_logins_enroll_once)
{
    int gate[2];
    pid_t pids[PROCESSES];
    totp_store *store = tu_store(NULL);
    ck_assert_int_eq(pipe(gate), 0);
    for (int i = 0; i < PROCESSES; i++) {
        pids[i] = fork();
        ck_assert_int_ge(pids[i], 0);
        if (pids[i] == 0) {
            char c;
            uint8_t key[20];
            totp_record *fresh = NULL, *rec = NULL;
            totp_txn *txn = NULL;
            const totp_params p = TOTP_PARAMS_DEFAULT;
            close(gate[1]);
            memset(key, 'A' + i, sizeof(key));
            if (totp_record_new(key, sizeof(key), &p, &fresh) != TOTP_OK ||
                read(gate[0], &c, 1) != 0)
                _exit(3);
            int rc =
                totp_store_begin(store, "bob", TOTP_TXN_CREATE | TOTP_TXN_SYSTEM, &txn, &rec, NULL);
            if (rc == TOTP_OK)
                rc = totp_txn_commit(txn, fresh, NULL);
            _exit(rc == TOTP_OK ? 0 : rc == TOTP_EEXIST ? 1 : 2);
        }
    }
    close(gate[0]);
    close(gate[1]);
    int counts[4] = {0};
    for (int i = 0; i < PROCESSES; i++) {
        int status;
        ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) <= 3);
        counts[WEXITSTATUS(status)]++;
    }
    ck_assert_msg(counts[0] == 1 && counts[1] == PROCESSES - 1, "%d created, %d refused, %d errors",
                  counts[0], counts[1], counts[2] + counts[3]);
    ck_assert_int_eq(tu_count_dotfiles(tu_system_dir()), 0);
    totp_txn *txn = NULL;
    totp_record *rec = NULL;
    ck_assert_int_eq(totp_store_begin(store, "bob", 0, &txn, &rec, NULL), TOTP_OK);
    totp_txn_abort(txn);
    totp_record_free(rec);
    totp_store_free(store);
    ck_assert_int_eq(access(system_path("bob"), F_OK), 0);
}
END_TEST

static Suite *enroll_store_suite(void)
{
    Suite *s = suite_create("enroll_store");
    TCase *tc = tcase_create("allowance");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, allowance_set_get_revoke);
    tcase_add_test(tc, allowance_is_spent_once);
    tcase_add_test(tc, allowance_far_ahead_is_ignored);
    tcase_add_test(tc, allowance_is_not_a_record);
    tcase_add_test(tc, allowance_refuses_a_loose_or_foreign_file);
    tcase_add_test(tc, store_without_allowances);
    suite_add_tcase(s, tc);
    tc = tcase_create("race");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, simultaneous_first_logins_enroll_once);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN_USERS(enroll_store_suite)
