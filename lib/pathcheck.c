/* SPDX-License-Identifier: Apache-2.0 */
/* pathcheck.c: walking a path with openat(O_NOFOLLOW), checking each directory's owner and mode. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "pathcheck.h"

static int walk_error(totp_error *err, int e, const char *path)
{
    if (e == ELOOP || e == ENOTDIR)
        return totpi_fail(err, TOTP_EPERM, e, 0,
                          "%s: not a directory (symbolic links are not followed here)", path);
    int code = e == ENOENT ? TOTP_ENOENT : e == EACCES || e == EPERM ? TOTP_EPERM : TOTP_EIO;
    return totpi_fail(err, code, e, 0, "%s: cannot open directory: %s", path, strerror(e));
}

static int check_dir(int fd, const char *path, const struct totpi_dir_rules *rules, totp_error *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return totpi_fail(err, TOTP_EIO, errno, 0, "%s: cannot stat: %s", path, strerror(errno));
    if (rules->check_owner && st.st_uid != 0 && st.st_uid != rules->owner) {
        if (rules->owner == 0)
            return totpi_fail(err, TOTP_EPERM, 0, 0,
                              "%s: directory owned by uid %u, must be root's (%s)", path,
                              (unsigned)st.st_uid, rules->why);
        return totpi_fail(err, TOTP_EPERM, 0, 0,
                          "%s: directory owned by uid %u, must be root's or uid %u's (%s)", path,
                          (unsigned)st.st_uid, (unsigned)rules->owner, rules->why);
    }
    /* A sticky directory of root's (/tmp) is the exception: nobody but an entry's owner (and
     * root) can rename or remove it, and the next directory on the path is checked too. */
    if ((st.st_mode & 022) && !(st.st_uid == 0 && (st.st_mode & S_ISVTX)))
        return totpi_fail(err, TOTP_EPERM, 0, 0,
                          "%s: directory writable by group or others (mode %04o; %s)", path,
                          (unsigned)(st.st_mode & 07777), rules->why);
    return TOTP_OK;
}

int totpi_open_dir_strict(const char *path, const struct totpi_dir_rules *rules, int *dirfd,
                          totp_error *err)
{
    char buf[PATH_MAX];
    size_t len = strlen(path);
    *dirfd = -1;
    if (path[0] != '/' || len >= sizeof(buf))
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "%s: not an absolute path", path);
    memcpy(buf, path, len + 1);

    int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return walk_error(err, errno, "/");
    int rc = rules->from <= 1 ? check_dir(fd, "/", rules, err) : TOTP_OK;
    char *p = buf + 1;
    while (rc == TOTP_OK && *p != '\0') {
        char *end = strchr(p, '/');
        if (end != NULL)
            *end = '\0';
        if (strcmp(p, "..") == 0) {
            rc = totpi_fail(err, TOTP_EINVAL, 0, 0, "%s: \"..\" is not allowed here", path);
            break;
        }
        if (*p != '\0' && strcmp(p, ".") != 0) {
            int next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int e = errno;
            close(fd);
            fd = next;
            if (fd < 0)
                rc = walk_error(err, e, buf);
            else if ((size_t)(end != NULL ? end - buf : (ptrdiff_t)strlen(buf)) >= rules->from)
                rc = check_dir(fd, buf, rules, err);
        }
        if (end == NULL)
            break;
        *end = '/';
        p = end + 1;
    }
    if (rc != TOTP_OK) {
        if (fd >= 0)
            close(fd);
        return rc;
    }
    *dirfd = fd;
    return TOTP_OK;
}

int totpi_resolve(const char *path, char **out, totp_error *err)
{
    *out = realpath(path, NULL);
    if (*out != NULL)
        return TOTP_OK;
    int e = errno;
    int code = e == ENOENT || e == ENOTDIR ? TOTP_ENOENT
               : e == EACCES               ? TOTP_EPERM
               : e == ENOMEM               ? TOTP_ENOMEM
                                           : TOTP_EIO;
    return totpi_fail(err, code, e, 0, "%s: %s", path, strerror(e));
}

int totpi_path_under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (n == 1 && dir[0] == '/')
        return path[0] == '/';
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}
