/* SPDX-License-Identifier: Apache-2.0 */
/* store_file_list.c: what the file store's system directory holds: the listing, its own checks,
 * and whether a secret= line hides one of its records. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "internal.h"
#include "store_file.h"

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int totpi_check_system_dir(int dirfd, const char *dir, uid_t owner, totp_error *err)
{
    struct stat st;
    if (fstat(dirfd, &st) != 0)
        return totpi_fail(err, TOTP_EIO, errno, 0, "%s: cannot stat: %s", dir, strerror(errno));
    if (st.st_uid != owner || (st.st_mode & 077) != 0)
        return totpi_fail(err, TOTP_EPERM, 0, 0,
                          "%s: must be owned by uid %u with mode 0700 (is uid %u, %04o)", dir,
                          (unsigned)owner, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
    return TOTP_OK;
}

int totpi_file_list(totp_store *store, char ***users, totp_error *err)
{
    struct file_store *s = (struct file_store *)store;
    int fd = -1;
    if (s->system_dir == NULL)
        return totpi_fail(err, TOTP_ENOENT, 0, 0, "there is no system store");
    int rc = totpi_open_dir(s->system_dir, &fd, err);
    if (rc == TOTP_OK)
        rc = totpi_check_system_dir(fd, s->system_dir, s->cfg.system_owner, err);
    DIR *d = rc == TOTP_OK ? fdopendir(fd) : NULL;
    if (rc == TOTP_OK && d == NULL)
        rc = totpi_fail(err, TOTP_EIO, errno, 0, "%s: %s", s->system_dir, strerror(errno));
    size_t n = 0, cap = 16;
    char **names = rc == TOTP_OK ? calloc(cap + 1, sizeof(char *)) : NULL;
    struct dirent *e;
    while (names != NULL && (e = readdir(d)) != NULL) {
        struct stat st;
        /* Records only: no dot files (temporaries), no links, nothing but regular files. */
        if (!totpi_user_name_ok(e->d_name) ||
            fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (n == cap) {
            char **grown = realloc(names, (cap * 2 + 1) * sizeof(char *));
            if (grown == NULL)
                break;
            names = grown;
            cap *= 2;
        }
        if ((names[n] = strdup(e->d_name)) == NULL)
            break;
        names[++n] = NULL;
    }
    if (d != NULL)
        closedir(d);
    else if (fd >= 0)
        close(fd);
    if (rc == TOTP_OK && (names == NULL || e != NULL)) {
        totp_store_list_free(names);
        return totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    }
    if (rc == TOTP_OK) {
        qsort(names, n, sizeof(char *), compare_names);
        *users = names;
    }
    return rc;
}

int totp_store_hides_system_record(totp_store *store, const char *user, char *path, size_t size)
{
    if (store == NULL || store->ops->list != totpi_file_list || user == NULL || path == NULL ||
        size == 0)
        return 0;
    struct file_store *s = (struct file_store *)store;
    struct stat st;
    if (s->secret_path == NULL || s->system_dir == NULL || !totpi_user_name_ok(user))
        return 0;
    int n = snprintf(path, size, "%s/%s", s->system_dir, user);
    return n > 0 && (size_t)n < size && fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}
