/* SPDX-License-Identifier: Apache-2.0 */
/* store_file_allow.c: the file store's enrollment allowances, SYSTEM_DIR/.allow/USER (expiry). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account.h"
#include "fileio.h"
#include "internal.h"
#include "store_file.h"

/* A dot name: no user name can be it (totpi_user_name_ok), so the record lookup, list and
 * remove never see it. */
#define ALLOW_DIR ".allow"

/* The allowance file of `user` (the account's own name where there is an account). */
static int allow_path(const struct file_store *s, const char *user, char *dir, size_t dsize,
                      char *name, size_t nsize, totp_error *err)
{
    struct totpi_account acct = {0};
    if (s->system_dir == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0,
                          "there is no system store to keep enrollment allowances in");
    if (!totpi_user_name_ok(user))
        return totpi_fail(err, TOTP_EUSER, 0, 0, "unusable user name");
    int rc = totpi_account_lookup(user, &acct, err);
    if (rc != TOTP_OK && rc != TOTP_EUSER)
        return rc;
    int n = snprintf(name, nsize, "%s", rc == TOTP_OK ? acct.name : user);
    totpi_account_clear(&acct);
    if (n < 0 || (size_t)n >= nsize || !totpi_user_name_ok(name) ||
        (size_t)snprintf(dir, dsize, "%s/" ALLOW_DIR, s->system_dir) >= dsize)
        return totpi_fail(err, TOTP_EUSER, 0, 0, "unusable user name");
    return TOTP_OK;
}

/* Open (and check) the allowance directory: the system store's owner's alone, mode 0700. */
static int open_allow_dir(const struct file_store *s, const char *dir, int create, int *dirfd,
                          totp_error *err)
{
    int rc = TOTP_OK, parent = -1;
    /* The system store itself must be the one the records trust. */
    rc = totpi_open_dir(s->system_dir, &parent, err);
    if (rc == TOTP_ENOENT)
        rc = totpi_fail(err, TOTP_EIO, ENOENT, 0, "%s: the system store is missing", s->system_dir);
    if (rc == TOTP_OK)
        rc = totpi_check_system_dir(parent, s->system_dir, s->cfg.system_owner, err);
    if (rc == TOTP_OK && create && mkdirat(parent, ALLOW_DIR, 0700) != 0 && errno != EEXIST)
        rc = totpi_fail(err, TOTP_EIO, errno, 0, "%s: cannot create: %s", dir, strerror(errno));
    if (rc == TOTP_OK) {
        *dirfd = openat(parent, ALLOW_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (*dirfd < 0)
            rc = totpi_fail(err, errno == ENOENT ? TOTP_ENOENT : TOTP_EIO, errno, 0,
                            "%s: cannot open: %s", dir, strerror(errno));
    }
    if (rc == TOTP_OK)
        rc = totpi_check_system_dir(*dirfd, dir, s->cfg.system_owner, err);
    if (parent >= 0)
        close(parent);
    if (rc != TOTP_OK && *dirfd >= 0)
        close(*dirfd), *dirfd = -1;
    return rc;
}

/* Read the expiry from an open allowance file: one decimal number of Unix seconds. */
static int read_until(int fd, const char *path, int64_t *until, totp_error *err)
{
    char *text = NULL, *end = NULL;
    size_t len = 0;
    int rc = totpi_read_all(fd, path, &text, &len, err);
    if (rc != TOTP_OK)
        return rc;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || (*end != '\n' && *end != '\0') || v <= 0)
        rc = totpi_fail(err, TOTP_EFORMAT, 0, 1, "%s: line 1: not an expiry time", path);
    else
        *until = (int64_t)v;
    free(text);
    return rc;
}

int totpi_file_allow_get(totp_store *store, const char *user, int64_t *until, totp_error *err)
{
    const struct file_store *s = (const struct file_store *)store;
    char dir[4096], name[512], path[4608];
    int dirfd = -1, fd = -1;
    struct stat st;
    int rc = allow_path(s, user, dir, sizeof(dir), name, sizeof(name), err);
    if (rc == TOTP_OK)
        rc = open_allow_dir(s, dir, 0, &dirfd, err);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (rc == TOTP_OK) {
        struct totpi_file_rules rules = {1, s->cfg.system_owner, 0600};
        rc = totpi_open_locked(dirfd, name, path, &rules, s->cfg.lock_timeout_ms, &fd, &st, err);
    }
    if (rc == TOTP_OK)
        rc = read_until(fd, path, until, err);
    if (fd >= 0)
        close(fd);
    if (dirfd >= 0)
        close(dirfd);
    if (rc == TOTP_ENOENT)
        totpi_fail(err, TOTP_ENOENT, ENOENT, 0, "no enrollment allowance for \"%s\"", user);
    return rc;
}

int totpi_file_allow_set(totp_store *store, const char *user, int64_t until, totp_error *err)
{
    const struct file_store *s = (const struct file_store *)store;
    char dir[4096], name[512], path[4608], text[32];
    int dirfd = -1;
    struct stat st;
    int rc = allow_path(s, user, dir, sizeof(dir), name, sizeof(name), err);
    if (rc == TOTP_OK)
        rc = open_allow_dir(s, dir, until != 0, &dirfd, err);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    /* The directory's lock orders writers; each write is a whole new file renamed into place. */
    if (rc == TOTP_OK)
        rc = totpi_lock(dirfd, s->cfg.lock_timeout_ms, dir, err);
    int exists = rc == TOTP_OK && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && (!S_ISREG(st.st_mode) || st.st_uid != s->cfg.system_owner))
        rc = totpi_fail(err, TOTP_EPERM, 0, 0, "%s: not a regular file of uid %u", path,
                        (unsigned)s->cfg.system_owner);
    if (rc == TOTP_OK && until == 0 && exists) {
        rc = totpi_unlink(dirfd, name, path, err);
    } else if (rc == TOTP_OK && until == 0) {
        rc = TOTP_ENOENT;
    } else if (rc == TOTP_OK) {
        int len = snprintf(text, sizeof(text), "%" PRId64 "\n", until);
        st.st_mode = S_IFREG | 0600;
        rc = totpi_replace(dirfd, name, text, (size_t)len, exists ? &st : NULL, !exists, path, err);
    }
    if (dirfd >= 0)
        close(dirfd); /* releases the lock */
    if (rc == TOTP_ENOENT)
        totpi_fail(err, TOTP_ENOENT, ENOENT, 0, "no enrollment allowance for \"%s\"", user);
    return rc;
}

int totpi_file_allow_spend(totp_store *store, const char *user, int64_t until, totp_error *err)
{
    const struct file_store *s = (const struct file_store *)store;
    char dir[4096], name[512], path[4608];
    int dirfd = -1, fd = -1;
    int64_t now_says = 0;
    struct stat st;
    int rc = allow_path(s, user, dir, sizeof(dir), name, sizeof(name), err);
    if (rc == TOTP_OK)
        rc = open_allow_dir(s, dir, 0, &dirfd, err);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    /* Under the directory's lock, which orders every writer: read, compare, unlink. */
    if (rc == TOTP_OK)
        rc = totpi_lock(dirfd, s->cfg.lock_timeout_ms, dir, err);
    if (rc == TOTP_OK) {
        struct totpi_file_rules rules = {1, s->cfg.system_owner, 0600};
        rc = totpi_open_locked(dirfd, name, path, &rules, s->cfg.lock_timeout_ms, &fd, &st, err);
    }
    if (rc == TOTP_OK)
        rc = read_until(fd, path, &now_says, err);
    if (fd >= 0)
        close(fd);
    if (rc == TOTP_OK && now_says != until)
        rc = TOTP_ENOENT;
    if (rc == TOTP_OK)
        rc = totpi_unlink(dirfd, name, path, err);
    if (dirfd >= 0)
        close(dirfd); /* releases the lock */
    if (rc == TOTP_ENOENT)
        totpi_fail(err, TOTP_ENOENT, ENOENT, 0,
                   "the enrollment allowance for \"%s\" was used or changed meanwhile", user);
    return rc;
}
