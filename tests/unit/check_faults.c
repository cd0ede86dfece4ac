/* SPDX-License-Identifier: Apache-2.0 */
/* check_faults.c: every system call of a login failing in turn (EIO, ENOSPC, EROFS, EACCES,
 * EINTR): the login is denied (or, where a retry is correct, succeeds), the record stays whole,
 * the error is clear, and no temporary file is left behind. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faultshim.h"
#include "testutil.h"
#include "totp.h"
#include "unit.h"

#define T0 1111111111
#define RECORD_TEXT                                                                                \
    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n\" TOTP_AUTH\n\" DISALLOW_REUSE 37037000\n"                 \
    "11111111\n22222222\n"

static const int errnos[] = {EIO, ENOSPC, EROFS, EACCES, EINTR};

struct place {
    const char *user;
    char path[4200];
    char dir[4096];
};

static void place_for(int which, struct place *p)
{
    tu_reset_homes();
    if (which == 0) {
        p->user = "bob";
        snprintf(p->dir, sizeof(p->dir), "%s", tu_system_dir());
        snprintf(p->path, sizeof(p->path), "%s/bob", p->dir);
    } else {
        p->user = "alice";
        snprintf(p->dir, sizeof(p->dir), "%s", tu_home("alice"));
        snprintf(p->path, sizeof(p->path), "%s/.google_authenticator", p->dir);
    }
}

/* One login at T0 with the right code. Nothing in here may use Check's assertions, which
 * allocate: allocation faults are armed around it. */
static int login(const struct place *p, totp_result *res, totp_error *err)
{
    static totp_store *store;
    static char code[TOTP_CODE_BUFSIZE];
    if (store == NULL) { /* made once, before any fault is armed */
        store = tu_store(NULL);
        tu_code_at(T0, 6, code);
    }
    totp_policy policy = TOTP_POLICY_DEFAULT;
    return totp_authenticate(store, p->user, code, 0, T0, &policy, res, NULL, 0, err);
}

/* The record parses, with its secret and both scratch codes. */
static void assert_whole(const struct place *p, const char *context)
{
    char *text = tu_read(p->path);
    ck_assert_msg(text != NULL, "%s: record gone", context);
    totp_record *rec = NULL;
    totp_error err = {0};
    ck_assert_msg(totp_record_parse(text, strlen(text), &rec, &err) == TOTP_OK, "%s: %s", context,
                  err.message);
    ck_assert_msg(strncmp(text, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n", 33) == 0, "%s", context);
    ck_assert_msg(strstr(text, "\n11111111\n22222222\n") != NULL, "%s: scratch codes", context);
    ck_assert_uint_eq(totp_record_scratch_count(rec), 2);
    totp_record_free(rec);
    free(text);
}

/* After a login under a fault: an accepted one has its new watermark on disk; a denied one
 * says nothing about the code. Returns whether it was accepted. */
static int assert_outcome(const struct place *p, int rc, const totp_result *res,
                          const char *context)
{
    if (rc == TOTP_OK) {
        char *text = tu_read(p->path);
        ck_assert_msg(strstr(text, "DISALLOW_REUSE 37037025 37037037\n") != NULL,
                      "%s: accepted but not recorded", context);
        free(text);
        return 1;
    }
    ck_assert_int_eq(res->method, TOTP_BY_NONE);
    ck_assert_int_ne(res->verdict, TOTP_OK);
    return 0;
}

/* A failure that a correct implementation retries, or that comes after the durable commit. */
static int may_succeed(const char *call, int err)
{
    if (err == EINTR &&
        (strcmp(call, "write") == 0 || strcmp(call, "flock") == 0 || strcmp(call, "pread") == 0))
        return 1;
    return strcmp(call, "close") == 0; /* closing the read-only record after the commit */
}

START_TEST(every_call_fails_closed)
{
    struct place p;
    int err_no = errnos[_i % 5];
    place_for(_i / 5, &p);

    /* First count what a clean login calls. */
    tu_write(p.path, RECORD_TEXT, 0600);
    totp_result res;
    totp_error err = {0};
    login(&p, &res, &err); /* warm up: the first login makes the store */
    tu_write(p.path, RECORD_TEXT, 0600);
    fault_arm("", 0, 0);
    ck_assert_int_eq(login(&p, &res, &err), TOTP_OK);
    unsigned counts[32] = {0};
    for (int c = 0; fault_call_names[c] != NULL; c++)
        counts[c] = fault_count(fault_call_names[c]);
    fault_disarm();
    ck_assert_uint_gt(counts[4] + counts[5], 0); /* at least write and fsync were seen */

    unsigned injected = 0;
    for (int c = 0; fault_call_names[c] != NULL; c++) {
        if (strcmp(fault_call_names[c], "alloc") == 0)
            continue; /* allocation_failures_fail_closed */
        for (unsigned n = 1; n <= counts[c]; n++) {
            const char *call = fault_call_names[c];
            char context[128];
            snprintf(context, sizeof(context), "%s #%u failing with %s", call, n, strerror(err_no));
            tu_write(p.path, RECORD_TEXT, 0600);
            memset(&err, 0, sizeof(err));
            fault_arm(call, err_no, n);
            int rc = login(&p, &res, &err);
            fault_disarm();
            injected++;

            assert_whole(&p, context);
            if (assert_outcome(&p, rc, &res, context)) {
                ck_assert_msg(may_succeed(call, err_no), "%s: accepted", context);
            } else {
                ck_assert_msg(err.message[0] != '\0', "%s: no error message", context);
                ck_assert_ptr_null(strstr(err.message, "GEZDGNBV"));
            }
            ck_assert_msg(tu_count_dotfiles(p.dir) == (_i / 5 == 0 ? 0 : 1),
                          "%s: a temporary file was left behind", context);
        }
    }
    printf("faults: %s record, %s: %u calls failed in turn, every record whole\n",
           _i / 5 == 0 ? "system" : "home", strerror(err_no), injected);
}
END_TEST

START_TEST(allocation_failures_fail_closed)
{
    struct place p;
    if (!fault_alloc_supported) {
        fprintf(stderr, "SKIP: allocation faults are not injected under a sanitizer\n");
        return;
    }
    place_for(_i, &p);
    totp_result res;
    totp_error err = {0};
    tu_write(p.path, RECORD_TEXT, 0600);
    login(&p, &res, &err); /* warm up: the store, and OpenSSL's one-time set-up */
    tu_write(p.path, RECORD_TEXT, 0600);
    fault_arm("alloc", 0, 0);
    ck_assert_int_eq(login(&p, &res, &err), TOTP_OK);
    unsigned count = fault_count("alloc");
    fault_disarm();
    ck_assert_uint_gt(count, 0);
    unsigned denied = 0;
    for (unsigned n = 1; n <= count; n++) {
        char context[64];
        snprintf(context, sizeof(context), "allocation #%u failing", n);
        tu_write(p.path, RECORD_TEXT, 0600);
        memset(&err, 0, sizeof(err));
        fault_arm("alloc", ENOMEM, n);
        int rc = login(&p, &res, &err);
        fault_disarm();
        assert_whole(&p, context);
        /* Some allocations have fallbacks (OpenSSL's, the C library's): accepted is fine as
         * long as the state is on disk. */
        if (!assert_outcome(&p, rc, &res, context))
            denied++;
    }
    printf("faults: %s record: each of %u allocations of a login failed in turn: %u denied, "
           "the rest recovered, every record whole\n",
           _i == 0 ? "system" : "home", count, denied);
}
END_TEST

START_TEST(full_filesystem_fails_closed)
{
    /* A real full disk: a small tmpfs, in a mount namespace of this test's own. */
    if (geteuid() != 0) {
        fprintf(stderr, "SKIP: mounting a tmpfs needs root (CI runs this as root)\n");
        return;
    }
    char dir[1024], filler[1100];
    snprintf(dir, sizeof(dir), "%s/full", tu_root());
    ck_assert(mkdir(dir, 0700) == 0 || errno == EEXIST);
    ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
    ck_assert_int_eq(mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
    ck_assert_int_eq(mount("tmpfs", dir, "tmpfs", 0, "size=64k,mode=0700"), 0);
    struct place p = {"bob", "", ""};
    snprintf(p.dir, sizeof(p.dir), "%s", dir);
    snprintf(p.path, sizeof(p.path), "%s/bob", dir);
    tu_write(p.path, RECORD_TEXT, 0600);
    ck_assert_int_eq(chown(p.path, 0, 0), 0); /* a system-store record is root's */
    snprintf(filler, sizeof(filler), "%s/filler", dir);
    int fd = open(filler, O_WRONLY | O_CREAT, 0600);
    static char block[4096];
    while (write(fd, block, sizeof(block)) > 0)
        ;
    close(fd);

    totp_file_store_config cfg = {dir, NULL, 0, 0, 0, 0, 0, 2000, 0, NULL, NULL, 0};
    totp_store *store = NULL;
    totp_policy policy = TOTP_POLICY_DEFAULT;
    totp_result res;
    totp_error err = {0};
    char code[TOTP_CODE_BUFSIZE];
    ck_assert_int_eq(totp_store_file_new(&cfg, &store), TOTP_OK);
    tu_code_at(T0, 6, code);
    int rc = totp_authenticate(store, "bob", code, 0, T0, &policy, &res, NULL, 0, &err);
    ck_assert_int_ne(rc, TOTP_OK);
    ck_assert_int_eq(res.method, TOTP_BY_NONE);
    ck_assert_msg(strstr(err.message, "No space left on device") != NULL, "%s", err.message);
    assert_whole(&p, "full filesystem");
    ck_assert_int_eq(tu_count_dotfiles(dir), 0);
    /* Room again: the same code works, the login was never half-recorded. */
    unlink(filler);
    ck_assert_int_eq(totp_authenticate(store, "bob", code, 0, T0, &policy, &res, NULL, 0, &err),
                     TOTP_OK);
    totp_store_free(store);
    umount(dir);
    printf("faults: a full tmpfs refused the login (%s), record whole\n", err.message);
}
END_TEST

START_TEST(commit_failures_name_file_and_reason)
{
    struct place p;
    place_for(0, &p);
    static const struct {
        const char *call;
        int err;
        const char *reason;
    } cases[] = {
        {"write", ENOSPC, "cannot write: No space left on device"},
        {"fsync", EIO, "cannot fsync: Input/output error"},
        {"renameat", EROFS, "cannot rename into place: Read-only file system"},
        {"openat", EACCES, "cannot open: Permission denied"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        totp_result res;
        totp_error err = {0};
        char want[8192];
        tu_write(p.path, RECORD_TEXT, 0600);
        fault_arm(cases[i].call, cases[i].err, 1);
        ck_assert_int_ne(login(&p, &res, &err), TOTP_OK);
        fault_disarm();
        snprintf(want, sizeof(want), "%s: %s", p.path, cases[i].reason);
        ck_assert_str_eq(err.message, want);
        ck_assert_ptr_null(strchr(err.message, '\n'));
        assert_whole(&p, cases[i].call);
    }
}
END_TEST

static Suite *faults_suite(void)
{
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("syscalls");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, every_call_fails_closed, 0, 10);
    tcase_add_test(tc, commit_failures_name_file_and_reason);
    tcase_add_loop_test(tc, allocation_failures_fail_closed, 0, 2);
    tcase_add_test(tc, full_filesystem_fails_closed);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN_USERS(faults_suite)
