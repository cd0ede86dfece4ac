/* SPDX-License-Identifier: Apache-2.0 */
/* account.h: who a user is (passwd and groups) and acting as them on the filesystem. */
#ifndef TOTP_ACCOUNT_H
#define TOTP_ACCOUNT_H

#include <sys/types.h>

#include "totp.h"

struct totpi_account {
    uid_t uid;
    gid_t gid;
    char *name;
    char *home;
};

/* Look `name` up with getpwnam_r; TOTP_EUSER if there is no such user. */
int totpi_account_lookup(const char *name, struct totpi_account *acct, totp_error *err);

/* Look a uid up (for user=); TOTP_EUSER if unknown. */
int totpi_account_by_uid(uid_t uid, struct totpi_account *acct, totp_error *err);

void totpi_account_clear(struct totpi_account *acct);

/* The account's groups, its primary one among them (NSS getgrouplist): `*groups` malloc'ed. */
int totpi_account_groups(const struct totpi_account *acct, gid_t **groups, int *n);

/* Expand secret='s ~, ${HOME} and ${USER} for `user` into out (secret_path.c). */
int totpi_expand_secret_path(const char *tmpl, const struct totpi_account *user, char *out,
                             size_t size, totp_error *err);

/* Whether a user name can be part of a path: no '/', no leading '.', no control characters. */
int totpi_user_name_ok(const char *name);

/*
 * The filesystem identity of this thread, saved by totpi_become() and put back by
 * totpi_restore(). Only the calling thread changes (raw setfsuid/setfsgid/setgroups system
 * calls), so the host process's other threads and its real/effective ids are untouched.
 */
struct totpi_identity {
    int switched;
    int dumpable; /* PR_GET_DUMPABLE before: changing the fsuid clears it, and we put it back */
    uid_t fsuid;
    gid_t fsgid;
    int ngroups;
    gid_t *groups;
};

/* Act as `acct` (uid, gid and supplementary groups) when running as root; else do nothing. */
int totpi_become(const struct totpi_account *acct, struct totpi_identity *saved, totp_error *err);

/* Return to the saved identity, and the process's dumpable flag to what it was (the kernel
 * clears it when the fsuid changes; the host process's state is not ours to keep changed);
 * TOTP_EPERM if that failed (callers then fail closed). */
int totpi_restore(struct totpi_identity *saved);

#endif /* TOTP_ACCOUNT_H */
