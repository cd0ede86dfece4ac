/* SPDX-License-Identifier: Apache-2.0 */
/* fileio.h: safe, locked, durable file primitives for the file store (all relative to a dirfd). */
#ifndef TOTP_FILEIO_H
#define TOTP_FILEIO_H

#include <sys/stat.h>
#include <sys/types.h>

#include "totp.h"

/* What a record file must look like. */
struct totpi_file_rules {
    int check_owner; /* 0 with no_strict_owner */
    uid_t owner;
    mode_t allowed_perm; /* permission bits the file may have */
};

/* Open a directory (following symlinks in the path, as a home directory may be one). */
int totpi_open_dir(const char *path, int *dirfd, totp_error *err);

/*
 * Open `name` without following a symlink, take an exclusive flock that dies with the process
 * (waiting at most timeout_ms), then make sure the name still refers to the locked inode (a
 * writer may have renamed a new version over it meanwhile) and retry if not. The file must
 * pass `rules`. `path` is only used in messages.
 */
int totpi_open_locked(int dirfd, const char *name, const char *path,
                      const struct totpi_file_rules *rules, unsigned timeout_ms, int *fd,
                      struct stat *st, totp_error *err);

/* Take an exclusive flock on `fd`, polling until timeout_ms have passed. */
int totpi_lock(int fd, unsigned timeout_ms, const char *path, totp_error *err);

/* Read the whole file (at most TOTP_RECORD_MAX bytes) into a new buffer with a NUL after it. */
int totpi_read_all(int fd, const char *path, char **text, size_t *len, totp_error *err);

/*
 * Durably replace `name` with `text`: write ".NAME.tmp" in the same directory with `orig`'s
 * owner and mode, fsync it, rename it over `name`, fsync the directory. With `create`, write
 * ".NAME.new" and refuse to replace an existing file (TOTP_EEXIST); `orig` NULL there makes it
 * the writer's, mode 0600. On any failure before the rename, the temporary file is removed and
 * `name` is untouched.
 */
int totpi_replace(int dirfd, const char *name, const char *text, size_t len,
                  const struct stat *orig, int create, const char *path, totp_error *err);

/* Unlink `name` and fsync the directory. */
int totpi_unlink(int dirfd, const char *name, const char *path, totp_error *err);

/* Create each missing directory of `path` (absolute) with mode 0700. */
int totpi_make_dirs(const char *path, totp_error *err);

#endif /* TOTP_FILEIO_H */
