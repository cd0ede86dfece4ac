/* SPDX-License-Identifier: Apache-2.0 */
/* fileio.c: O_NOFOLLOW opens, fd-based checks, flock with a timeout, crash-safe replacement. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "internal.h"
#include "pathcheck.h"

static int os_error(totp_error *err, int e, const char *path, const char *what)
{
    int code = e == EACCES || e == EPERM ? TOTP_EPERM : e == ENOENT ? TOTP_ENOENT : TOTP_EIO;
    return totpi_fail(err, code, e, 0, "%s: %s: %s", path, what, strerror(e));
}

int totpi_open_dir(const char *path, int *dirfd, totp_error *err)
{
    *dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*dirfd < 0)
        return os_error(err, errno, path, "cannot open directory");
    return TOTP_OK;
}

static int check_file(const struct stat *st, const struct totpi_file_rules *rules, const char *path,
                      totp_error *err)
{
    if (!S_ISREG(st->st_mode))
        return totpi_fail(err, TOTP_EPERM, 0, 0, "%s: not a regular file", path);
    if (st->st_nlink != 1)
        return totpi_fail(err, TOTP_EPERM, 0, 0, "%s: has %lu hard links (must have 1)", path,
                          (unsigned long)st->st_nlink);
    if (rules->check_owner && st->st_uid != rules->owner)
        return totpi_fail(err, TOTP_EPERM, 0, 0, "%s: owned by uid %u, must be uid %u", path,
                          (unsigned)st->st_uid, (unsigned)rules->owner);
    if (st->st_mode & 07777 & ~rules->allowed_perm)
        return totpi_fail(err, TOTP_EPERM, 0, 0, "%s: mode %04o is more permissive than %04o", path,
                          (unsigned)(st->st_mode & 07777), (unsigned)rules->allowed_perm);
    if (st->st_size > TOTP_RECORD_MAX)
        return totpi_fail(err, TOTP_EFORMAT, 0, 0, "%s: larger than 64 KiB", path);
    return TOTP_OK;
}

static long ms_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

int totpi_lock(int fd, unsigned timeout_ms, const char *path, totp_error *err)
{
    struct timespec start, pause = {0, 50000};
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return TOTP_OK;
        if (errno != EWOULDBLOCK && errno != EINTR)
            return os_error(err, errno, path, "cannot lock");
        if (ms_since(&start) >= (long)timeout_ms)
            return totpi_fail(err, TOTP_ELOCKED, EWOULDBLOCK, 0,
                              "%s: still locked by another process after %u ms", path, timeout_ms);
        nanosleep(&pause, NULL);
        if (pause.tv_nsec < 5000000)
            pause.tv_nsec *= 2;
    }
}

int totpi_open_locked(int dirfd, const char *name, const char *path,
                      const struct totpi_file_rules *rules, unsigned timeout_ms, int *fd,
                      struct stat *st, totp_error *err)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    *fd = -1;
    /* Each time round, another login has replaced the record: that is progress, so the only
     * bound is the time a login may wait. */
    for (;;) {
        long waited = ms_since(&start);
        if (waited >= (long)timeout_ms)
            return totpi_fail(err, TOTP_ELOCKED, 0, 0, "%s: still busy after %u ms", path,
                              timeout_ms);
        int f = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (f < 0) {
            if (errno == ELOOP)
                return totpi_fail(err, TOTP_EPERM, ELOOP, 0, "%s: is a symbolic link", path);
            return os_error(err, errno, path, "cannot open");
        }
        /* Check before locking, so that nobody can make us block on a file that is not ours. */
        if (fstat(f, st) != 0) {
            int e = errno;
            close(f);
            return os_error(err, e, path, "cannot stat");
        }
        if (st->st_nlink == 0) {
            close(f); /* a writer renamed a new version over it since we opened it */
            continue;
        }
        int rc = check_file(st, rules, path, err);
        if (rc == TOTP_OK)
            rc = totpi_lock(f, timeout_ms - (unsigned)waited, path, err);
        if (rc != TOTP_OK) {
            close(f);
            return rc;
        }
        struct stat named;
        if (fstatat(dirfd, name, &named, AT_SYMLINK_NOFOLLOW) == 0 && named.st_dev == st->st_dev &&
            named.st_ino == st->st_ino) {
            /* Re-read the metadata: it may have changed while we waited. */
            if (fstat(f, st) != 0 || (rc = check_file(st, rules, path, err)) != TOTP_OK) {
                close(f);
                return rc != TOTP_OK ? rc : os_error(err, errno, path, "cannot stat");
            }
            *fd = f;
            return TOTP_OK;
        }
        close(f); /* replaced (or removed) while we waited: look again */
    }
}

int totpi_read_all(int fd, const char *path, char **text, size_t *len, totp_error *err)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    if (buf == NULL)
        return totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    for (;;) {
        if (n == cap) {
            if (cap > TOTP_RECORD_MAX) {
                totp_wipe(buf, n);
                free(buf);
                return totpi_fail(err, TOTP_EFORMAT, 0, 0, "%s: larger than 64 KiB", path);
            }
            char *grown = malloc(cap * 2 + 1);
            if (grown == NULL) {
                totp_wipe(buf, n);
                free(buf);
                return totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
            }
            memcpy(grown, buf, n);
            totp_wipe(buf, n);
            free(buf);
            buf = grown;
            cap *= 2;
        }
        ssize_t r = pread(fd, buf + n, cap - n, (off_t)n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            totp_wipe(buf, n);
            free(buf);
            return os_error(err, e, path, "cannot read");
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (n > TOTP_RECORD_MAX) {
        totp_wipe(buf, n);
        free(buf);
        return totpi_fail(err, TOTP_EFORMAT, 0, 0, "%s: larger than 64 KiB", path);
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return TOTP_OK;
}

static int write_all(int fd, const char *text, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, text, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        text += w;
        len -= (size_t)w;
    }
    return 0;
}

/* ".NAME.tmp" / ".NAME.new": dot files, so that `totpctl list` and users' ls skip them. */
static int temp_name(char *buf, size_t size, const char *name, int create)
{
    int n = snprintf(buf, size, ".%s.%s", name, create ? "new" : "tmp");
    return n > 0 && (size_t)n < size;
}

static int install(int dirfd, const char *tmp, const char *name, int create)
{
    if (!create)
        return renameat(dirfd, tmp, dirfd, name);
    if (renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    /* No RENAME_NOREPLACE here (some network filesystems): link() also refuses to replace. */
    if (linkat(dirfd, tmp, dirfd, name, 0) != 0)
        return -1;
    unlinkat(dirfd, tmp, 0);
    return 0;
}

int totpi_replace(int dirfd, const char *name, const char *text, size_t len,
                  const struct stat *orig, int create, const char *path, totp_error *err)
{
    char tmp[512];
    const char *what = "cannot create a temporary file";
    if (!temp_name(tmp, sizeof(tmp), name, create))
        return totpi_fail(err, TOTP_EINVAL, ENAMETOOLONG, 0, "%s: name too long", path);

    /* Only the holder of the lock writes this name, so anything found here is a leftover. */
    if (unlinkat(dirfd, tmp, 0) != 0 && errno != ENOENT)
        return os_error(err, errno, path, "cannot remove a stale temporary file");
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return os_error(err, errno, path, what);

    int e = 0;
    if (orig != NULL) {
        /* Keep the original's owner and mode. Acting as a user we cannot give a file away;
         * then it stays the user's (documented for no_strict_owner). */
        struct stat now;
        if (fstat(fd, &now) != 0) {
            e = errno, what = "cannot stat the temporary file";
        } else if ((now.st_uid != orig->st_uid || now.st_gid != orig->st_gid) &&
                   fchown(fd, orig->st_uid, orig->st_gid) != 0 && errno != EPERM) {
            e = errno, what = "cannot set the owner";
        } else if (fchmod(fd, orig->st_mode & 07777) != 0) {
            e = errno, what = "cannot set the mode";
        }
    }
    if (e == 0 && write_all(fd, text, len) != 0)
        e = errno, what = "cannot write";
    if (e == 0 && fsync(fd) != 0)
        e = errno, what = "cannot fsync";
    if (close(fd) != 0 && e == 0)
        e = errno, what = "cannot close";
    if (e == 0 && install(dirfd, tmp, name, create) != 0) {
        e = errno, what = "cannot rename into place";
        if (e == EEXIST) {
            unlinkat(dirfd, tmp, 0);
            return totpi_fail(err, TOTP_EEXIST, e, 0, "%s: already exists", path);
        }
    }
    if (e != 0) {
        unlinkat(dirfd, tmp, 0);
        return os_error(err, e, path, what);
    }
    /* The rename is only durable once the directory is. */
    if (fsync(dirfd) != 0)
        return os_error(err, errno, path, "cannot fsync the directory");
    return TOTP_OK;
}

int totpi_unlink(int dirfd, const char *name, const char *path, totp_error *err)
{
    if (unlinkat(dirfd, name, 0) != 0)
        return os_error(err, errno, path, "cannot remove");
    if (fsync(dirfd) != 0)
        return os_error(err, errno, path, "cannot fsync the directory");
    return TOTP_OK;
}

int totpi_make_dirs(const char *path, totp_error *err)
{
    char buf[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof(buf) || path[0] != '/')
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "%s: not an absolute path", path);
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return os_error(err, errno, buf, "cannot create directory");
        if (c == '\0')
            return TOTP_OK;
        *p = c;
    }
}

/* The directory an output file goes in. As root, no link is followed and every directory must
 * be root's and not writable by others: a directory another user controls (say the target
 * user made part of the path a link to /etc) must not steer root's write. */
static int open_output_dir(const char *dir, totp_error *err, int *dirfd)
{
    if (geteuid() != 0)
        return totpi_open_dir(dir, dirfd, err);
    char abs[4096], cwd[4096];
    if (dir[0] == '/') {
        snprintf(abs, sizeof(abs), "%s", dir);
    } else {
        if (getcwd(cwd, sizeof(cwd)) == NULL)
            return os_error(err, errno, dir, "cannot find the current directory");
        int n = snprintf(abs, sizeof(abs), "%s/%s", cwd, dir);
        if (n < 0 || (size_t)n >= sizeof(abs))
            return totpi_fail(err, TOTP_EINVAL, ENAMETOOLONG, 0, "%s: path too long", dir);
    }
    struct totpi_dir_rules rules = {1, 0, 0,
                                    "as root, files are written only where no other user can "
                                    "redirect them"};
    return totpi_open_dir_strict(abs, &rules, dirfd, err);
}

int totp_output_file(const char *path, const void *data, size_t len, totp_error *err)
{
    if (path == NULL || (data == NULL && len > 0))
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "invalid argument");
    const char *slash = strrchr(path, '/');
    char dir[4096];
    const char *name = slash != NULL ? slash + 1 : path;
    int n = slash == NULL   ? snprintf(dir, sizeof(dir), ".")
            : slash == path ? snprintf(dir, sizeof(dir), "/")
                            : snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    if (*name == '\0' || n < 0 || (size_t)n >= sizeof(dir))
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "%s: not a file name", path);
    int dirfd;
    int rc = open_output_dir(dir, err, &dirfd);
    if (rc != TOTP_OK)
        return rc;
    struct stat mine;
    memset(&mine, 0, sizeof(mine));
    mine.st_uid = geteuid();
    mine.st_gid = getegid();
    mine.st_mode = S_IFREG | 0600;
    rc = totpi_replace(dirfd, name, data, len, &mine, 0, path, err);
    close(dirfd);
    return rc;
}
