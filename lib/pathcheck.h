/* SPDX-License-Identifier: Apache-2.0 */
/* pathcheck.h: opening a directory one component at a time, checking who could change each. */
#ifndef TOTP_PATHCHECK_H
#define TOTP_PATHCHECK_H

#include <stddef.h>
#include <sys/types.h>

#include "totp.h"

/* What the directories on a path must look like (OpenSSH's StrictModes). */
struct totpi_dir_rules {
    int check_owner; /* 0 with no_strict_owner: any owner */
    uid_t owner;     /* who, besides root, may own a directory */
    size_t from;     /* check only the directories whose path is at least this long */
    const char *why; /* what the rule protects, for messages ("the system store") */
};

/*
 * Open the directory `path` (absolute) from "/" one component at a time with O_NOFOLLOW, so
 * that no symbolic link on the way is followed, and check each directory (from `rules->from`
 * on) is owned by root or rules->owner and not writable by group or others (unless it is
 * root's and sticky, as /tmp is: the next directory is checked in turn). A missing
 * component is TOTP_ENOENT; a link, a bad owner or mode TOTP_EPERM naming the directory.
 */
int totpi_open_dir_strict(const char *path, const struct totpi_dir_rules *rules, int *dirfd,
                          totp_error *err);

/* realpath(3) of `path` into a new string; TOTP_ENOENT if something on it is missing. */
int totpi_resolve(const char *path, char **out, totp_error *err);

/* Whether `path` is `dir` or below it (both canonical). */
int totpi_path_under(const char *path, const char *dir);

#endif /* TOTP_PATHCHECK_H */
