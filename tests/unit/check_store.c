/* SPDX-License-Identifier: Apache-2.0 */
/* check_store.c: the file store: lookup order, templates, file checks, durable commits, locks,
 * and (as root) acting as the user. Fake users come from nss_wrapper (see testutil.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "totp.h"
#include "unit.h"

#define T0 1111111111

static char path_buf[4096];

static const char *home_path(const char *user, const char *rel)
{
    snprintf(path_buf, sizeof(path_buf), "%s/%s", tu_home(user), rel);
    return path_buf;
}

static const char *system_path(const char *user)
{
    snprintf(path_buf, sizeof(path_buf), "%s/%s", tu_system_dir(), user);
    return path_buf;
}

static void mkdir_user(const char *path)
{
    ck_assert(mkdir(path, 0700) == 0 || errno == EEXIST);
    if (geteuid() == 0)
        ck_assert_int_eq(chown(path, tu_uid(), tu_gid()), 0);
}

static void put_config_record(const char *user, const char *text)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/.config", tu_home(user));
    mkdir_user(dir);
    snprintf(dir, sizeof(dir), "%s/.config/totp", tu_home(user));
    mkdir_user(dir);
    tu_write(home_path(user, ".config/totp/secret"), text, 0600);
}

static void setup(void)
{
    tu_reset_homes();
    unlink(system_path("alice"));
    unlink(system_path("bob"));
    unlink(system_path("ghost"));
    chmod(tu_system_dir(), 0700);
}

/* Begin on `user` and return the rc; on success `location` gets where the record is. */
static int begin(totp_store *store, const char *user, char *location, totp_error *err)
{
    totp_txn *txn = NULL;
    totp_record *rec = NULL;
    int rc = totp_store_begin(store, user, 0, &txn, &rec, err);
    if (rc == TOTP_OK) {
        ck_assert_ptr_nonnull(rec);
        if (location != NULL)
            snprintf(location, 4096, "%s", totp_txn_location(txn));
        totp_txn_abort(txn);
        totp_record_free(rec);
    } else {
        ck_assert_ptr_null(txn);
        ck_assert_ptr_null(rec);
    }
    return rc;
}

#define GA_TEXT   "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n\" TOTP_AUTH\n12345678\n"
#define OURS_TEXT "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n\" TOTP_AUTH\n\" DIGITS 6\n"

START_TEST(no_record)
{
    totp_store *store = tu_store(NULL);
    totp_error err = {0};
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_ENOENT);
    ck_assert_str_eq(err.message, "no record for user \"alice\"");
    totp_store_free(store);
}
END_TEST

START_TEST(lookup_order)
{
    totp_store *store = tu_store(NULL);
    char where[4096], want[4096];
    tu_write(home_path("alice", ".google_authenticator"), GA_TEXT, 0400);
    ck_assert_int_eq(begin(store, "alice", where, NULL), TOTP_OK);
    ck_assert_str_eq(where, home_path("alice", ".google_authenticator"));

    put_config_record("alice", OURS_TEXT);
    ck_assert_int_eq(begin(store, "alice", where, NULL), TOTP_OK);
    ck_assert_str_eq(where, home_path("alice", ".config/totp/secret"));

    snprintf(want, sizeof(want), "%s", system_path("alice"));
    tu_write(want, OURS_TEXT, 0600);
    ck_assert_int_eq(begin(store, "alice", where, NULL), TOTP_OK);
    ck_assert_str_eq(where, want);
    totp_store_free(store);
}
END_TEST

START_TEST(system_store_needs_no_passwd_entry)
{
    totp_store *store = tu_store(NULL);
    totp_error err = {0};
    ck_assert_int_eq(begin(store, "ghost", NULL, &err), TOTP_EUSER);
    ck_assert_str_eq(err.message, "no such user \"ghost\"");
    tu_write(system_path("ghost"), OURS_TEXT, 0600);
    ck_assert_int_eq(begin(store, "ghost", NULL, &err), TOTP_OK);
    totp_store_free(store);
}
END_TEST

START_TEST(unusable_user_names)
{
    static const char *const bad[] = {"", "../alice", "a/b", ".alice", "-alice", "al\nice"};
    totp_store *store = tu_store(NULL);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        totp_error err = {0};
        ck_assert_int_eq(begin(store, bad[i], NULL, &err), TOTP_EUSER);
    }
    totp_store_free(store);
}
END_TEST

START_TEST(secret_templates)
{
    char where[4096], want[4096], tmpl[4096];
    snprintf(want, sizeof(want), "%s/otp-alice", tu_home("alice"));
    tu_write(want, OURS_TEXT, 0600);
    tu_write(system_path("alice"), OURS_TEXT, 0600); /* secret= skips the lookup order */

    totp_store *store = tu_store("${HOME}/otp-${USER}");
    ck_assert_int_eq(begin(store, "alice", where, NULL), TOTP_OK);
    ck_assert_str_eq(where, want);
    totp_store_free(store);

    store = tu_store("~/otp-${USER}");
    ck_assert_int_eq(begin(store, "alice", where, NULL), TOTP_OK);
    ck_assert_str_eq(where, want);
    totp_store_free(store);

    snprintf(tmpl, sizeof(tmpl), "%s/home/${USER}/otp-${USER}", tu_root());
    store = tu_store(tmpl);
    ck_assert_int_eq(begin(store, "alice", where, NULL), TOTP_OK);
    ck_assert_str_eq(where, want);
    totp_store_free(store);

    totp_error err = {0};
    store = tu_store("~/otp-${LOGNAME}");
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "only ~, ${HOME} and ${USER}"));
    totp_store_free(store);
    store = tu_store("relative/${USER}");
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "not an absolute file path"));
    totp_store_free(store);
}
END_TEST

/* One unacceptable file and the start of the message it must give. */
static void expect_refused(const char *user, int code, const char *reason)
{
    totp_store *store = tu_store(NULL);
    totp_error err = {0};
    char want[4096 + 256];
    ck_assert_int_eq(begin(store, user, NULL, &err), code);
    snprintf(want, sizeof(want), "%s: %s", home_path("alice", ".google_authenticator"), reason);
    ck_assert_msg(strncmp(err.message, want, strlen(want)) == 0, "got \"%s\", want \"%s\"",
                  err.message, want);
    totp_store_free(store);
}

/* A home record that is the user's own link (stow, home-manager) is followed, as the user:
 * the file it reaches passes the usual checks, and a commit replaces the target, not the link. */
START_TEST(symlinked_home_record_followed)
{
    char target[4096], link_path[4096];
    snprintf(target, sizeof(target), "%s/dotfiles", tu_home("alice"));
    mkdir_user(target);
    snprintf(target, sizeof(target), "%s/dotfiles/ga", tu_home("alice"));
    tu_write(target, GA_TEXT, 0600);
    snprintf(link_path, sizeof(link_path), "%s", home_path("alice", ".google_authenticator"));
    ck_assert_int_eq(symlink(target, link_path), 0);

    totp_store *store = tu_store(NULL);
    totp_txn *txn = NULL;
    totp_record *rec = NULL;
    ck_assert_int_eq(totp_store_begin(store, "alice", 0, &txn, &rec, NULL), TOTP_OK);
    ck_assert_str_eq(totp_txn_location(txn), link_path);
    ck_assert_int_eq(totp_record_set(rec, "X_TEST", "1"), TOTP_OK);
    ck_assert_int_eq(totp_txn_commit(txn, rec, NULL), TOTP_OK);
    totp_record_free(rec);
    struct stat st;
    ck_assert_int_eq(lstat(link_path, &st), 0);
    ck_assert(S_ISLNK(st.st_mode));
    char *text = tu_read(target);
    ck_assert_ptr_nonnull(strstr(text, "X_TEST 1"));
    free(text);
    snprintf(target, sizeof(target), "%s/dotfiles", tu_home("alice"));
    ck_assert_int_eq(tu_count_dotfiles(target), 0);
    snprintf(target, sizeof(target), "%s/dotfiles/ga", tu_home("alice"));

    /* The target passes the usual checks: a group-readable one is refused. */
    ck_assert_int_eq(chmod(target, 0640), 0);
    totp_error err = {0};
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_EPERM);
    ck_assert_ptr_nonnull(strstr(err.message, "mode 0640"));
    /* A link to nothing is an error, never "not enrolled". */
    unlink(target);
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_EIO);
    ck_assert_ptr_nonnull(strstr(err.message, "a symbolic link to nothing"));
    totp_store_free(store);
}
END_TEST

/* Never in the system store. */
START_TEST(symlink_in_system_store_refused)
{
    char target[4096];
    snprintf(target, sizeof(target), "%s/real", tu_system_dir());
    tu_write(target, OURS_TEXT, 0600);
    if (geteuid() == 0)
        ck_assert_int_eq(chown(target, 0, 0), 0);
    ck_assert_int_eq(symlink(target, system_path("alice")), 0);
    totp_store *store = tu_store(NULL);
    totp_error err = {0};
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_EPERM);
    ck_assert_ptr_nonnull(strstr(err.message, "is a symbolic link"));
    totp_store_free(store);
    unlink(target);
}
END_TEST

/* StrictModes: a directory between the home and the record that others can write lets them
 * replace the record: an error naming the directory. */
START_TEST(writable_directories_above_a_home_record_refused)
{
    char dir[4096];
    put_config_record("alice", GA_TEXT);
    snprintf(dir, sizeof(dir), "%s/.config/totp", tu_home("alice"));
    ck_assert_int_eq(chmod(dir, 0777), 0);
    totp_store *store = tu_store(NULL);
    totp_error err = {0};
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_EPERM);
    char want[4200];
    snprintf(want, sizeof(want), "%s: directory writable by group or others (mode 0777", dir);
    ck_assert_msg(strstr(err.message, want) != NULL, "got \"%s\"", err.message);
    ck_assert_int_eq(chmod(dir, 0700), 0);
    ck_assert_int_eq(chmod(tu_home("alice"), 0775), 0);
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_EPERM);
    snprintf(want, sizeof(want), "%s: directory writable by group", tu_home("alice"));
    ck_assert_msg(strstr(err.message, want) != NULL, "got \"%s\"", err.message);
    ck_assert_int_eq(chmod(tu_home("alice"), 0755), 0);
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_OK);
    totp_store_free(store);
}
END_TEST

/* "Not enrolled" counts only when nobody else could have removed the record: a home (or a
 * directory below it, on the way to the record) that others can write is an error too when
 * no record is there. */
START_TEST(writable_home_without_a_record_is_an_error)
{
    char dir[4096], want[4200];
    totp_store *store = tu_store(NULL);
    totp_error err = {0};
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_ENOENT);
    ck_assert_int_eq(chmod(tu_home("alice"), 0777), 0);
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_EPERM);
    snprintf(want, sizeof(want), "%s: directory writable by group or others (mode 0777",
             tu_home("alice"));
    ck_assert_msg(strstr(err.message, want) != NULL, "got \"%s\"", err.message);
    ck_assert_int_eq(chmod(tu_home("alice"), 0755), 0);
    snprintf(dir, sizeof(dir), "%s/.config", tu_home("alice"));
    mkdir_user(dir);
    ck_assert_int_eq(chmod(dir, 0757), 0);
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_EPERM);
    snprintf(want, sizeof(want), "%s: directory writable by group or others", dir);
    ck_assert_msg(strstr(err.message, want) != NULL, "got \"%s\"", err.message);
    ck_assert_int_eq(chmod(dir, 0700), 0);
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_ENOENT);
    totp_store_free(store);
}
END_TEST

START_TEST(hard_link_refused)
{
    char other[4096];
    snprintf(other, sizeof(other), "%s/other", tu_home("alice"));
    tu_write(other, GA_TEXT, 0600);
    ck_assert_int_eq(link(other, home_path("alice", ".google_authenticator")), 0);
    expect_refused("alice", TOTP_EPERM, "has 2 hard links (must have 1)");
}
END_TEST

START_TEST(wrong_owner_refused)
{
    /* carol shares alice's home; the file there is alice's, not carol's. (0644 so that carol
     * can open it at all when we act as her; the owner is checked before the mode.) */
    tu_write(home_path("alice", ".google_authenticator"), GA_TEXT, 0644);
    char reason[128];
    totp_store *strict = tu_store(NULL);
    totp_error err = {0};
    ck_assert_int_eq(begin(strict, "carol", NULL, &err), TOTP_EPERM);
    snprintf(reason, sizeof(reason), "directory owned by uid %u, must be root's or uid %u's",
             (unsigned)tu_uid(), (unsigned)tu_other_uid());
    ck_assert_msg(strstr(err.message, reason) != NULL, "got \"%s\"", err.message);
    totp_store_free(strict);
    /* no_strict_owner relaxes exactly that. */
    totp_file_store_config cfg = {tu_system_dir(), NULL, 0, 0,    0644, 1,
                                  geteuid(),       2000, 0, NULL, NULL, 0};
    totp_store *store = NULL;
    ck_assert_int_eq(totp_store_file_new(&cfg, &store), TOTP_OK);
    ck_assert_int_eq(begin(store, "carol", NULL, NULL), TOTP_OK);
    totp_store_free(store);
}
END_TEST

START_TEST(group_or_world_access_refused)
{
    tu_write(home_path("alice", ".google_authenticator"), GA_TEXT, 0640);
    expect_refused("alice", TOTP_EPERM, "mode 0640 is more permissive than 0600");
    tu_write(home_path("alice", ".google_authenticator"), GA_TEXT, 0604);
    expect_refused("alice", TOTP_EPERM, "mode 0604 is more permissive than 0600");
    /* allowed_perm relaxes it, as in google-authenticator. */
    totp_file_store_config cfg = {tu_system_dir(), NULL, 0, 0,    0644, 0,
                                  geteuid(),       2000, 0, NULL, NULL, 0};
    totp_store *store = NULL;
    ck_assert_int_eq(totp_store_file_new(&cfg, &store), TOTP_OK);
    ck_assert_int_eq(begin(store, "alice", NULL, NULL), TOTP_OK);
    totp_store_free(store);
}
END_TEST

START_TEST(directory_refused)
{
    mkdir_user(home_path("alice", ".google_authenticator"));
    expect_refused("alice", TOTP_EPERM, "not a regular file");
}
END_TEST

START_TEST(fifo_refused_without_blocking)
{
    ck_assert_int_eq(mkfifo(home_path("alice", ".google_authenticator"), 0600), 0);
    if (geteuid() == 0)
        ck_assert_int_eq(chown(home_path("alice", ".google_authenticator"), tu_uid(), tu_gid()), 0);
    expect_refused("alice", TOTP_EPERM, "not a regular file");
}
END_TEST

START_TEST(too_big_refused)
{
    size_t size = TOTP_RECORD_MAX + 10;
    char *text = malloc(size + 1);
    memset(text, '1', size);
    text[size] = '\0';
    memcpy(text, GA_TEXT, strlen(GA_TEXT));
    tu_write(home_path("alice", ".google_authenticator"), text, 0600);
    free(text);
    expect_refused("alice", TOTP_EFORMAT, "larger than 64 KiB");
}
END_TEST

START_TEST(empty_and_malformed_refused)
{
    tu_write(home_path("alice", ".google_authenticator"), "", 0600);
    expect_refused("alice", TOTP_EFORMAT, "the record is empty");
    tu_write(home_path("alice", ".google_authenticator"), GA_TEXT "\" STEP_SIZE 0\n", 0600);
    expect_refused("alice", TOTP_EFORMAT, "line 4: STEP_SIZE must be 1 to 300 seconds");
}
END_TEST

/* Absence vs failure: only "the store is there and holds nothing" is "not enrolled". */
START_TEST(missing_places_are_errors)
{
    char missing[4096];
    totp_error err = {0};
    totp_store *store = NULL;
    snprintf(missing, sizeof(missing), "%s/not-mounted", tu_root());
    totp_file_store_config cfg = {missing, NULL, 0, 0, 0, 0, geteuid(), 2000, 0, NULL, NULL, 0};
    ck_assert_int_eq(totp_store_file_new(&cfg, &store), TOTP_OK);
    tu_write(home_path("bob", ".google_authenticator"), GA_TEXT, 0600);
    ck_assert_int_eq(begin(store, "bob", NULL, &err), TOTP_EIO);
    ck_assert_ptr_nonnull(strstr(err.message, "not-mounted: cannot open directory"));
    totp_store_free(store);
    /* A user's own tool may look past it. */
    cfg.skip_unreadable_system_store = 1;
    ck_assert_int_eq(totp_store_file_new(&cfg, &store), TOTP_OK);
    ck_assert_int_eq(begin(store, "bob", NULL, &err), TOTP_OK);
    totp_store_free(store);

    /* A home that is not there (or not mounted) is an error too; an empty home is not. */
    store = tu_store(NULL);
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_ENOENT);
    snprintf(missing, sizeof(missing), "%s.gone", tu_home("alice"));
    ck_assert_int_eq(rename(tu_home("alice"), missing), 0);
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_EIO);
    ck_assert_msg(strstr(err.message, "home directory") != NULL, "got \"%s\"", err.message);
    ck_assert_int_eq(rename(missing, tu_home("alice")), 0);
    /* Debian Policy's home for an account that has none: no home record can be there. */
    ck_assert_int_eq(begin(store, "svc", NULL, &err), TOTP_ENOENT);
    /* A secret= directory outside the home must be there. */
    totp_store_free(store);
    snprintf(missing, sizeof(missing), "%s/nowhere/${USER}", tu_root());
    store = tu_store(missing);
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_EIO);
    totp_store_free(store);
    snprintf(missing, sizeof(missing), "%s/${USER}", tu_root());
    store = tu_store(missing);
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_ENOENT);
    totp_store_free(store);
}
END_TEST

/* system_only: the system store, or a secret= file root's alone; a record the user wrote is
 * TOTP_EUNTRUSTED, not "not enrolled". */
START_TEST(system_only_trusts_only_root_records)
{
    totp_file_store_config cfg = {tu_system_dir(), NULL, 0, 0,    0,    0,
                                  geteuid(),       2000, 0, NULL, NULL, 1};
    totp_store *store = NULL;
    totp_error err = {0};
    ck_assert_int_eq(totp_store_file_new(&cfg, &store), TOTP_OK);
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_ENOENT);
    tu_write(home_path("alice", ".google_authenticator"), GA_TEXT, 0600);
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_EUNTRUSTED);
    ck_assert_ptr_nonnull(strstr(err.message, "system_only"));
    tu_write(system_path("alice"), OURS_TEXT, 0600);
    char where[4096];
    ck_assert_int_eq(begin(store, "alice", where, &err), TOTP_OK);
    ck_assert_str_eq(where, system_path("alice"));
    totp_store_free(store);

    /* secret= with system_only, as root: the file in the user's home is refused (its
     * directories are the user's); a root-owned file in root-owned directories is trusted.
     * (Not as a user: then the "system" owner is that user, who owns all of it.) */
    if (geteuid() == 0) {
        cfg.secret_path = "~/.google_authenticator";
        ck_assert_int_eq(totp_store_file_new(&cfg, &store), TOTP_OK);
        ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_EPERM);
        ck_assert_ptr_nonnull(strstr(err.message, "system_only trusts only"));
        totp_store_free(store);
        char dir[4096], file[4200];
        snprintf(dir, sizeof(dir), "%s/rootonly", tu_root());
        ck_assert(mkdir(dir, 0755) == 0 || errno == EEXIST);
        snprintf(file, sizeof(file), "%s/alice", dir);
        tu_write(file, GA_TEXT, 0600);
        ck_assert_int_eq(chown(file, 0, 0), 0);
        snprintf(dir, sizeof(dir), "%s/rootonly/${USER}", tu_root());
        cfg.secret_path = dir;
        ck_assert_int_eq(totp_store_file_new(&cfg, &store), TOTP_OK);
        ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_OK);
        ck_assert_int_eq(chown(file, tu_uid(), tu_gid()), 0); /* the user's: refused */
        ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_EPERM);
        totp_store_free(store);
    }
}
END_TEST

START_TEST(loose_system_store_refused)
{
    tu_write(system_path("alice"), OURS_TEXT, 0600);
    ck_assert_int_eq(chmod(tu_system_dir(), 0755), 0);
    totp_store *store = tu_store(NULL);
    totp_error err = {0};
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_EPERM);
    ck_assert_ptr_nonnull(strstr(err.message, "with mode 0700"));
    ck_assert_int_eq(chmod(tu_system_dir(), 0700), 0);
    ck_assert_int_eq(chmod(system_path("alice"), 0640), 0);
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_EPERM);
    ck_assert_ptr_nonnull(strstr(err.message, "mode 0640 is more permissive than 0600"));
    totp_store_free(store);
}
END_TEST

/* Begin on alice's home record while the system store cannot be read; returns the rc. As root,
 * a child that has become alice does it; otherwise the system store is made unreadable. */
static int begin_without_system_store(int skip)
{
    totp_file_store_config cfg = {tu_system_dir(), NULL, 0, 0, 0, 0, 0, 2000, skip, NULL, NULL, 0};
    pid_t pid = fork();
    if (pid == 0) {
        int was_root = geteuid() == 0;
        if (was_root && (setgid(tu_gid()) != 0 || setuid(tu_uid()) != 0))
            _exit(100);
        if (!was_root && chmod(tu_system_dir(), 0) != 0)
            _exit(101);
        totp_store *store = NULL;
        totp_error err = {0};
        if (totp_store_file_new(&cfg, &store) != TOTP_OK)
            _exit(102);
        int rc = begin(store, "alice", NULL, &err);
        if (rc == TOTP_EPERM &&
            strstr(err.message, "cannot open directory: Permission denied") == NULL)
            _exit(103);
        _exit(-rc);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    chmod(tu_system_dir(), 0700);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) < 100, "status %d", status);
    return -WEXITSTATUS(status);
}

START_TEST(unreadable_system_store_fails_closed)
{
    /* Not knowing whether a system record exists must not fall through to a home record. */
    tu_write(home_path("alice", ".google_authenticator"), GA_TEXT, 0600);
    ck_assert_int_eq(begin_without_system_store(0), TOTP_EPERM);
    /* A user's own tool may ask to look past it. */
    ck_assert_int_eq(begin_without_system_store(1), TOTP_OK);
}
END_TEST

START_TEST(commit_is_durable_and_keeps_mode)
{
    const char *path = home_path("alice", ".google_authenticator");
    tu_write(path, GA_TEXT "\" VENDOR_KEY keep me\n", 0400);
    totp_store *store = tu_store(NULL);
    totp_txn *txn = NULL;
    totp_record *rec = NULL;
    ck_assert_int_eq(totp_store_begin(store, "alice", 0, &txn, &rec, NULL), TOTP_OK);
    ck_assert_int_eq(totp_record_set(rec, "DISALLOW_REUSE", "42"), TOTP_OK);
    ck_assert_int_eq(totp_txn_commit(txn, rec, NULL), TOTP_OK);
    totp_record_free(rec);

    char *text = tu_read(path);
    /* Every line stays where it was; the new option follows the last one. */
    ck_assert_str_eq(text, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n\" TOTP_AUTH\n12345678\n"
                           "\" VENDOR_KEY keep me\n\" DISALLOW_REUSE 42\n");
    free(text);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0400);
    ck_assert_uint_eq(st.st_uid, tu_uid());
    ck_assert_int_eq(tu_count_dotfiles(tu_home("alice")), 1); /* only the record itself */
    totp_store_free(store);
}
END_TEST

START_TEST(stale_temp_file_is_replaced)
{
    const char *path = home_path("alice", ".google_authenticator");
    tu_write(path, GA_TEXT, 0600);
    char stale[4096];
    snprintf(stale, sizeof(stale), "%s/..google_authenticator.tmp", tu_home("alice"));
    tu_write(stale, "half-written junk from a crash", 0600);
    totp_store *store = tu_store(NULL);
    totp_txn *txn = NULL;
    totp_record *rec = NULL;
    ck_assert_int_eq(totp_store_begin(store, "alice", 0, &txn, &rec, NULL), TOTP_OK);
    ck_assert_int_eq(totp_txn_commit(txn, rec, NULL), TOTP_OK);
    totp_record_free(rec);
    ck_assert_int_eq(access(stale, F_OK), -1);
    totp_store_free(store);
}
END_TEST

START_TEST(create_self_enrollment)
{
    totp_store *store = tu_store(NULL);
    totp_txn *txn = NULL;
    totp_record *rec = NULL, *fresh = NULL;
    totp_error err = {0};
    const totp_params p = TOTP_PARAMS_DEFAULT;
    const uint8_t key[20] = "12345678901234567890";
    ck_assert_int_eq(totp_record_new(key, sizeof(key), &p, &fresh), TOTP_OK);

    ck_assert_int_eq(totp_store_begin(store, "alice", TOTP_TXN_CREATE, &txn, &rec, &err), TOTP_OK);
    ck_assert_ptr_null(rec);
    const char *where =
        geteuid() == 0 ? system_path("alice") : home_path("alice", ".config/totp/secret");
    char want[4096];
    snprintf(want, sizeof(want), "%s", where);
    ck_assert_str_eq(totp_txn_location(txn), want);
    ck_assert_int_eq(totp_txn_commit(txn, fresh, &err), TOTP_OK);

    struct stat st;
    ck_assert_int_eq(stat(want, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    if (geteuid() != 0) {
        ck_assert_int_eq(stat(home_path("alice", ".config/totp"), &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0700);
    }
    /* A second enrollment does not overwrite the first. */
    ck_assert_int_eq(totp_store_begin(store, "alice", TOTP_TXN_CREATE, &txn, &rec, &err),
                     TOTP_EEXIST);
    ck_assert_ptr_nonnull(strstr(err.message, "already exists"));
    totp_record_free(fresh);
    totp_store_free(store);
}
END_TEST

START_TEST(create_in_system_store)
{
    totp_store *store = tu_store(NULL);
    totp_txn *txn = NULL;
    totp_record *rec = NULL, *fresh = NULL;
    const totp_params p = TOTP_PARAMS_DEFAULT;
    const uint8_t key[20] = "12345678901234567890";
    ck_assert_int_eq(totp_record_new(key, sizeof(key), &p, &fresh), TOTP_OK);
    ck_assert_int_eq(
        totp_store_begin(store, "bob", TOTP_TXN_CREATE | TOTP_TXN_SYSTEM, &txn, &rec, NULL),
        TOTP_OK);
    ck_assert_int_eq(totp_txn_commit(txn, fresh, NULL), TOTP_OK);
    char *text = tu_read(system_path("bob"));
    ck_assert_ptr_nonnull(text);
    ck_assert_ptr_nonnull(strstr(text, "\" TOTP_AUTH\n"));
    free(text);
    ck_assert_int_eq(tu_count_dotfiles(tu_system_dir()), 0);
    unlink(system_path("bob"));
    totp_record_free(fresh);
    totp_store_free(store);
}
END_TEST

START_TEST(remove_record)
{
    tu_write(home_path("alice", ".google_authenticator"), GA_TEXT, 0600);
    totp_store *store = tu_store(NULL);
    totp_txn *txn = NULL;
    totp_record *rec = NULL;
    ck_assert_int_eq(totp_store_begin(store, "alice", 0, &txn, &rec, NULL), TOTP_OK);
    ck_assert_int_eq(totp_txn_remove(txn, NULL), TOTP_OK);
    totp_record_free(rec);
    ck_assert_int_eq(access(home_path("alice", ".google_authenticator"), F_OK), -1);
    ck_assert_int_eq(begin(store, "alice", NULL, NULL), TOTP_ENOENT);
    totp_store_free(store);
}
END_TEST

START_TEST(lock_held_by_another_process)
{
    const char *path = home_path("alice", ".google_authenticator");
    tu_write(path, GA_TEXT, 0600);
    int ready[2];
    ck_assert_int_eq(pipe(ready), 0);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(path, O_RDONLY);
        flock(fd, LOCK_EX);
        ssize_t w = write(ready[1], "x", 1);
        (void)w;
        pause();
        _exit(0);
    }
    char c;
    ck_assert_int_eq(read(ready[0], &c, 1), 1);
    totp_file_store_config cfg = {tu_system_dir(), NULL, 0, 0,    0,    0,
                                  geteuid(),       200,  0, NULL, NULL, 0};
    totp_store *store = NULL;
    totp_error err = {0};
    ck_assert_int_eq(totp_store_file_new(&cfg, &store), TOTP_OK);
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_ELOCKED);
    ck_assert_ptr_nonnull(strstr(err.message, "still locked by another process after 200 ms"));
    /* The lock dies with its holder: no stale lock can lock anyone out. */
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_OK);
    totp_store_free(store);
    close(ready[0]);
    close(ready[1]);
}
END_TEST

START_TEST(authenticate_end_to_end)
{
    tu_write(home_path("alice", ".google_authenticator"), GA_TEXT, 0600);
    totp_store *store = tu_store(NULL);
    totp_policy policy = TOTP_POLICY_DEFAULT;
    totp_result res;
    totp_error err = {0};
    char code[TOTP_CODE_BUFSIZE], where[4096];
    tu_code_at(T0, 6, code);
    ck_assert_int_eq(
        totp_authenticate(store, "alice", code, 0, T0, &policy, &res, where, sizeof(where), &err),
        TOTP_OK);
    ck_assert_str_eq(where, home_path("alice", ".google_authenticator"));
    ck_assert_int_eq(totp_authenticate(store, "alice", code, 0, T0, &policy, &res, NULL, 0, &err),
                     TOTP_EREPLAY);
    ck_assert_int_eq(
        totp_authenticate(store, "alice", "12345678", 0, T0, &policy, &res, NULL, 0, &err),
        TOTP_OK);
    ck_assert_int_eq(res.method, TOTP_BY_SCRATCH);
    ck_assert_int_eq(
        totp_authenticate(store, "alice", "12345678", 0, T0, &policy, &res, NULL, 0, &err),
        TOTP_EMISMATCH);
    ck_assert_int_eq(totp_authenticate(store, "bob", code, 0, T0, &policy, &res, NULL, 0, &err),
                     TOTP_ENOENT);
    char *text = tu_read(home_path("alice", ".google_authenticator"));
    ck_assert_ptr_nonnull(strstr(text, "\" DISALLOW_REUSE 37037025 37037037\n"));
    ck_assert_ptr_null(strstr(text, "12345678"));
    free(text);
    totp_store_free(store);
}
END_TEST

/* ---- As root: acting as the user ---------------------------------------------------------- */

static int skip_unless_root(void)
{
    if (geteuid() == 0)
        return 0;
    fprintf(stderr, "SKIP: acting as the user needs root (CI runs this as root)\n");
    return 1;
}

static uid_t fsuid_now(void)
{
    return (uid_t)syscall(SYS_setfsuid, (uid_t)-1);
}

START_TEST(root_reads_home_as_the_user)
{
    if (skip_unless_root())
        return;
    /* alice cannot enter her own home (as on root-squashed NFS the other way round): root
     * could, but we act as alice, so this must fail, and fail clearly. */
    tu_write(home_path("alice", ".google_authenticator"), GA_TEXT, 0600);
    ck_assert_int_eq(chown(tu_home("alice"), 0, 0), 0);
    ck_assert_int_eq(chmod(tu_home("alice"), 0700), 0);
    totp_store *store = tu_store(NULL);
    totp_error err = {0};
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_EPERM);
    ck_assert_ptr_nonnull(strstr(err.message, "Permission denied"));
    ck_assert_uint_eq(fsuid_now(), 0);
    totp_store_free(store);
}
END_TEST

START_TEST(root_uses_supplementary_groups)
{
    if (skip_unless_root())
        return;
    /* Only the group totpgrp, of which alice is a supplementary member, may enter. */
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/.config", tu_home("alice"));
    ck_assert_int_eq(mkdir(dir, 0750), 0);
    ck_assert_int_eq(chown(dir, 0, TU_EXTRA_GID), 0);
    snprintf(dir, sizeof(dir), "%s/.config/totp", tu_home("alice"));
    mkdir_user(dir);
    tu_write(home_path("alice", ".config/totp/secret"), GA_TEXT, 0600);
    totp_store *store = tu_store(NULL);
    totp_error err = {0};
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_OK);
    /* bob is not in totpgrp: same place for him is out of reach. */
    ck_assert_uint_eq(fsuid_now(), 0);
    gid_t groups[4];
    ck_assert_int_eq(getgroups(4, groups), getgroups(0, NULL));
    totp_store_free(store);
}
END_TEST

START_TEST(root_commit_leaves_file_owned_by_user)
{
    if (skip_unless_root())
        return;
    const char *path = home_path("alice", ".google_authenticator");
    tu_write(path, GA_TEXT, 0600);
    totp_store *store = tu_store(NULL);
    totp_policy policy = TOTP_POLICY_DEFAULT;
    totp_result res;
    char code[TOTP_CODE_BUFSIZE];
    tu_code_at(T0, 6, code);
    ck_assert_int_eq(totp_authenticate(store, "alice", code, 0, T0, &policy, &res, NULL, 0, NULL),
                     TOTP_OK);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_uid, tu_uid());
    ck_assert_uint_eq(st.st_gid, tu_gid());
    ck_assert_uint_eq(fsuid_now(), 0);
    totp_store_free(store);
}
END_TEST

/* Acting as root (totpctl --file PATH without -u, or user=root with secret=), no link is
 * followed: alice's ~/.google_authenticator aimed at a record of root's must not reach it. */
START_TEST(root_never_follows_a_users_link)
{
    if (skip_unless_root())
        return;
    char target[4096], link_path[4096];
    snprintf(target, sizeof(target), "%s/roots", tu_system_dir());
    tu_write(target, GA_TEXT, 0600);
    ck_assert_int_eq(chown(target, 0, 0), 0);
    snprintf(link_path, sizeof(link_path), "%s", home_path("alice", ".google_authenticator"));
    ck_assert_int_eq(symlink(target, link_path), 0);
    ck_assert_int_eq(lchown(link_path, tu_uid(), tu_gid()), 0);
    totp_error err = {0};
    /* totpctl --file LINK, as root, for root */
    totp_store *store = tu_store(link_path);
    ck_assert_int_eq(begin(store, "root", NULL, &err), TOTP_EPERM);
    ck_assert_msg(strstr(err.message, "is a symbolic link") != NULL, "got \"%s\"", err.message);
    totp_store_free(store);
    /* user=root secret=${HOME}/.google_authenticator, alice logging in */
    totp_file_store_config cfg = {
        "", "${HOME}/.google_authenticator", 1, 0, 0, 0, 0, 2000, 0, NULL, NULL, 0};
    ck_assert_int_eq(totp_store_file_new(&cfg, &store), TOTP_OK);
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_EPERM);
    ck_assert_msg(strstr(err.message, "is a symbolic link") != NULL, "got \"%s\"", err.message);
    /* The same file, really there and root's, is used. */
    unlink(link_path);
    tu_write(link_path, GA_TEXT, 0600);
    ck_assert_int_eq(chown(link_path, 0, 0), 0);
    ck_assert_int_eq(begin(store, "alice", NULL, &err), TOTP_OK);
    totp_store_free(store);
    unlink(target);
}
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("lookup");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, no_record);
    tcase_add_test(tc, lookup_order);
    tcase_add_test(tc, system_store_needs_no_passwd_entry);
    tcase_add_test(tc, unusable_user_names);
    tcase_add_test(tc, secret_templates);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, symlinked_home_record_followed);
    tcase_add_test(tc, symlink_in_system_store_refused);
    tcase_add_test(tc, writable_directories_above_a_home_record_refused);
    tcase_add_test(tc, writable_home_without_a_record_is_an_error);
    tcase_add_test(tc, missing_places_are_errors);
    tcase_add_test(tc, system_only_trusts_only_root_records);
    tcase_add_test(tc, hard_link_refused);
    tcase_add_test(tc, wrong_owner_refused);
    tcase_add_test(tc, group_or_world_access_refused);
    tcase_add_test(tc, directory_refused);
    tcase_add_test(tc, fifo_refused_without_blocking);
    tcase_add_test(tc, too_big_refused);
    tcase_add_test(tc, empty_and_malformed_refused);
    tcase_add_test(tc, loose_system_store_refused);
    tcase_add_test(tc, unreadable_system_store_fails_closed);
    suite_add_tcase(s, tc);

    tc = tcase_create("writes");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, commit_is_durable_and_keeps_mode);
    tcase_add_test(tc, stale_temp_file_is_replaced);
    tcase_add_test(tc, create_self_enrollment);
    tcase_add_test(tc, create_in_system_store);
    tcase_add_test(tc, remove_record);
    tcase_add_test(tc, lock_held_by_another_process);
    tcase_add_test(tc, authenticate_end_to_end);
    suite_add_tcase(s, tc);

    tc = tcase_create("root");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, root_reads_home_as_the_user);
    tcase_add_test(tc, root_uses_supplementary_groups);
    tcase_add_test(tc, root_commit_leaves_file_owned_by_user);
    tcase_add_test(tc, root_never_follows_a_users_link);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN_USERS(store_suite)
