/* SPDX-License-Identifier: Apache-2.0 */
/* account.c: passwd lookups and per-thread filesystem identity switching for home directories. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "account.h"
#include "internal.h"

static int fill_account(struct passwd *pw, struct totpi_account *acct, totp_error *err)
{
    acct->uid = pw->pw_uid;
    acct->gid = pw->pw_gid;
    acct->name = strdup(pw->pw_name);
    acct->home = strdup(pw->pw_dir != NULL ? pw->pw_dir : "");
    if (acct->name == NULL || acct->home == NULL) {
        totpi_account_clear(acct);
        return totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    }
    return TOTP_OK;
}

static int lookup(const char *name, uid_t uid, struct totpi_account *acct, totp_error *err)
{
    struct passwd pwbuf, *pw = NULL;
    long size = sysconf(_SC_GETPW_R_SIZE_MAX);
    size_t len = size > 0 ? (size_t)size : 4096;
    int rc;

    memset(acct, 0, sizeof(*acct));
    for (;;) {
        char *buf = malloc(len);
        if (buf == NULL)
            return totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
        rc = name != NULL ? getpwnam_r(name, &pwbuf, buf, len, &pw)
                          : getpwuid_r(uid, &pwbuf, buf, len, &pw);
        if (rc == ERANGE && len < (1u << 20)) {
            free(buf);
            len *= 2;
            continue;
        }
        if (rc == 0 && pw != NULL)
            rc = fill_account(pw, acct, err);
        else if (rc == 0 || rc == ENOENT || rc == ESRCH)
            rc = name != NULL
                     ? totpi_fail(err, TOTP_EUSER, 0, 0, "no such user \"%s\"", name)
                     : totpi_fail(err, TOTP_EUSER, 0, 0, "no such user id %u", (unsigned)uid);
        else
            rc = totpi_fail(err, TOTP_EIO, rc, 0, "cannot look up the user: %s", strerror(rc));
        free(buf);
        return rc;
    }
}

int totpi_account_lookup(const char *name, struct totpi_account *acct, totp_error *err)
{
    return lookup(name, 0, acct, err);
}

int totpi_account_by_uid(uid_t uid, struct totpi_account *acct, totp_error *err)
{
    return lookup(NULL, uid, acct, err);
}

void totpi_account_clear(struct totpi_account *acct)
{
    free(acct->name);
    free(acct->home);
    acct->name = acct->home = NULL;
}

int totpi_user_name_ok(const char *name)
{
    size_t len = name != NULL ? strlen(name) : 0;
    if (len == 0 || len > 256 || name[0] == '.' || name[0] == '-')
        return 0;
    for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
        if (*p == '/' || *p < 0x20 || *p == 0x7f)
            return 0;
    }
    return 1;
}

/* setfsuid/setfsgid return the previous id; passing -1 changes nothing and reads it. */
static uid_t current_fsuid(void)
{
    return (uid_t)syscall(SYS_setfsuid, (uid_t)-1);
}

static gid_t current_fsgid(void)
{
    return (gid_t)syscall(SYS_setfsgid, (gid_t)-1);
}

int totpi_account_groups(const struct totpi_account *acct, gid_t **groups, int *n)
{
    int want = 32;
    *groups = NULL;
    *n = 0;
    for (;;) {
        gid_t *list = calloc((size_t)want, sizeof(gid_t));
        if (list == NULL)
            return TOTP_ENOMEM;
        int got = want;
        if (getgrouplist(acct->name, acct->gid, list, &got) >= 0) {
            *groups = list;
            *n = got;
            return TOTP_OK;
        }
        free(list);
        if (got <= want || got > 65536)
            return TOTP_EIO;
        want = got;
    }
}

int totpi_become(const struct totpi_account *acct, struct totpi_identity *saved, totp_error *err)
{
    memset(saved, 0, sizeof(*saved));
    if (geteuid() != 0 || acct->uid == 0)
        return TOTP_OK; /* not root: the kernel already checks us as ourselves */

    int n = getgroups(0, NULL);
    int want = 0;
    gid_t *groups = NULL;
    saved->groups = n > 0 ? calloc((size_t)n, sizeof(gid_t)) : NULL;
    if (n < 0 || (n > 0 && (saved->groups == NULL || getgroups(n, saved->groups) != n)))
        goto fail;
    saved->ngroups = n;
    saved->dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    saved->fsuid = current_fsuid();
    saved->fsgid = current_fsgid();

    if (totpi_account_groups(acct, &groups, &want) != TOTP_OK)
        goto fail;
    /* Groups first: changing them needs CAP_SETGID, which a non-root fsuid does not drop, but
     * do it while we are still plainly root. */
    saved->switched = 1;
    if (syscall(SYS_setgroups, (size_t)want, groups) != 0)
        goto fail_switched;
    syscall(SYS_setfsgid, acct->gid);
    syscall(SYS_setfsuid, acct->uid);
    if (current_fsgid() != acct->gid || current_fsuid() != acct->uid)
        goto fail_switched;
    free(groups);
    return TOTP_OK;

fail_switched:
    totpi_restore(saved);
fail:
    free(groups);
    free(saved->groups);
    saved->groups = NULL;
    saved->switched = 0;
    return totpi_fail(err, TOTP_EPERM, errno, 0, "cannot act as user \"%s\"", acct->name);
}

int totpi_restore(struct totpi_identity *saved)
{
    int rc = TOTP_OK;
    if (saved->switched) {
        syscall(SYS_setfsuid, saved->fsuid);
        syscall(SYS_setfsgid, saved->fsgid);
        if (syscall(SYS_setgroups, (size_t)saved->ngroups, saved->groups) != 0 ||
            current_fsuid() != saved->fsuid || current_fsgid() != saved->fsgid)
            rc = TOTP_EPERM;
        /* Only once we are ourselves again. (A process that was not dumpable stays so; the
         * kernel's "suid_dumpable" value 2 cannot be set with prctl, and need not be.) */
        if (saved->dumpable == 1 && prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 1 &&
            prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)
            rc = TOTP_EPERM;
    }
    free(saved->groups);
    memset(saved, 0, sizeof(*saved));
    return rc;
}
