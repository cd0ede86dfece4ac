/* SPDX-License-Identifier: Apache-2.0 */
/* store_file.h: the file store's internals, shared by store_file.c and store_file_list.c. */
#ifndef TOTP_STORE_FILE_H
#define TOTP_STORE_FILE_H

#include <sys/stat.h>

#include "account.h"
#include "store.h"

struct file_store {
    struct totp_store base;
    char *system_dir; /* NULL: no system store */
    char *secret_path;
    totp_file_store_config cfg;
};

/* The system store (root's), a file in or for the user's home (read as the user), or a
 * system_only secret= file (read as root, root's alone up to /). */
enum place { PLACE_SYSTEM, PLACE_HOME, PLACE_ROOT_FILE };

struct file_txn {
    struct totp_txn base;
    struct file_store *store;
    enum place place;
    struct totpi_account actor; /* whose identity file I/O uses (PLACE_HOME) */
    int have_actor;
    char *path, *dir, *name;
    int dirfd, fd;
    struct stat st;
    int create;
    int secret; /* the path came from secret= (not the lookup order) */
};

/* The system store directory (open as `dirfd`) must be `owner`'s alone: mode 0700. */
int totpi_check_system_dir(int dirfd, const char *dir, uid_t owner, totp_error *err);

/* The store's list operation: the users with a record in the system store. */
int totpi_file_list(totp_store *store, char ***users, totp_error *err);

/* The store's enrollment allowances (store_file_allow.c): SYSTEM_DIR/.allow/USER. */
int totpi_file_allow_set(totp_store *store, const char *user, int64_t until, totp_error *err);
int totpi_file_allow_get(totp_store *store, const char *user, int64_t *until, totp_error *err);
/* allow_spend: unlink the allowance file under the directory's lock if it still says `until`. */
int totpi_file_allow_spend(totp_store *store, const char *user, int64_t until, totp_error *err);

#endif /* TOTP_STORE_FILE_H */
