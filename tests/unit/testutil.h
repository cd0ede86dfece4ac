/* SPDX-License-Identifier: Apache-2.0 */
/* testutil.h: helpers for the store, policy and crash tests: temp trees, files, fake users. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "totp.h"

/* The Check-test main for programs that first run `setup(argv)` (which may re-execute). */
#define UNIT_MAIN_WITH(setup, make_suite)                                                          \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        (void)argc;                                                                                \
        setup(argv);                                                                               \
        SRunner *runner = srunner_create(make_suite());                                            \
        srunner_run_all(runner, CK_ENV);                                                           \
        int failed = srunner_ntests_failed(runner);                                                \
        srunner_free(runner);                                                                      \
        tu_cleanup_users();                                                                        \
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;                                          \
    }

/* The main for programs that need the fake users alice, bob and carol (nss_wrapper). */
#define UNIT_MAIN_USERS(make_suite) UNIT_MAIN_WITH(tu_setup_users, make_suite)

/* Re-exec under nss_wrapper with alice and bob (homes under a fresh temp root). */
void tu_setup_users(char **argv);
void tu_cleanup_users(void);

/* The temp root, the uid/gid the fake users alice and bob have (ours; 65534 when we are root).
 * carol shares alice's home but has another uid (tu_other_uid), so alice's files are not hers.
 * alice is also in the group totpgrp (TU_EXTRA_GID). */
const char *tu_root(void);
uid_t tu_uid(void);
uid_t tu_other_uid(void);
gid_t tu_gid(void);
#define TU_EXTRA_GID 4242

/* "<root>/home/<user>", recreated empty (owned by the fake user) by tu_reset_homes(). */
const char *tu_home(const char *user);
void tu_reset_homes(void);

/* "<root>/system": a fresh system store directory, mode 0700, owned by us. */
const char *tu_system_dir(void);

/* Write `text` to `path` with `mode`, owned by the fake users' uid (when root). */
void tu_write(const char *path, const char *text, mode_t mode);
/* The file's contents (malloc'ed), or NULL if it cannot be read. */
char *tu_read(const char *path);
/* Number of entries in a directory whose name starts with '.', other than . and .. */
int tu_count_dotfiles(const char *dir);

/* A file store over tu_system_dir() for the fake users. */
totp_store *tu_store(const char *secret_path);

/* A record text for the RFC 6238 SHA1 seed, with extra option lines appended. */
char *tu_record_text(const char *extra);

/* The TOTP code of the RFC 6238 SHA1 seed at `t` (6 digits unless `digits`). */
void tu_code_at(int64_t t, unsigned digits, char out[TOTP_CODE_BUFSIZE]);

#endif /* TESTUTIL_H */
