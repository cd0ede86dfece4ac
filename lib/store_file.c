/* SPDX-License-Identifier: Apache-2.0 */
/* store_file.c: the file store: lookup order, secret= templates, acting as the user, transactions.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account.h"
#include "fileio.h"
#include "internal.h"
#include "pathcheck.h"
#include "store.h"
#include "store_file.h"

#define SYSTEM_DIR  "/var/lib/totp"
#define USER_RECORD ".config/totp/secret"
#define GA_RECORD   ".google_authenticator"

static const struct totp_store_ops file_ops;

/* ---- Paths -------------------------------------------------------------------------------- */

static int split_path(struct file_txn *t, const char *path, totp_error *err)
{
    const char *slash = strrchr(path, '/');
    if (path[0] != '/' || slash == NULL || slash[1] == '\0')
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "%s: not an absolute file path", path);
    t->path = strdup(path);
    t->dir = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
    t->name = strdup(slash + 1);
    if (t->path == NULL || t->dir == NULL || t->name == NULL)
        return totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    return TOTP_OK;
}

/* ---- Transactions ------------------------------------------------------------------------- */

static struct file_txn *txn_new(struct file_store *s)
{
    struct file_txn *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->base.ops = &file_ops;
    t->store = s;
    t->dirfd = t->fd = -1;
    return t;
}

static void txn_free(struct file_txn *t)
{
    if (t == NULL)
        return;
    if (t->fd >= 0)
        close(t->fd); /* releases the flock */
    if (t->dirfd >= 0)
        close(t->dirfd);
    if (t->have_actor)
        totpi_account_clear(&t->actor);
    free(t->path);
    free(t->dir);
    free(t->name);
    free(t);
}

/* Run the file I/O of PLACE_HOME as the actor; everything else as we are. */
static int act(struct file_txn *t, struct totpi_identity *saved, totp_error *err)
{
    memset(saved, 0, sizeof(*saved));
    if (t->place != PLACE_HOME || !t->have_actor)
        return TOTP_OK;
    return totpi_become(&t->actor, saved, err);
}

static int unact(struct totpi_identity *saved, int rc, totp_error *err)
{
    if (totpi_restore(saved) != TOTP_OK)
        return totpi_fail(err, TOTP_EPERM, errno, 0, "cannot return to our own identity");
    return rc;
}

static int check_system_dir(struct file_txn *t, totp_error *err)
{
    return totpi_check_system_dir(t->dirfd, t->dir, t->store->cfg.system_owner, err);
}

/* A directory that must be there (the system store, a configured secret= directory) is an
 * error when it is missing: only "the store is there and holds nothing" is "not enrolled". */
static int must_exist(int rc, totp_error *err)
{
    if (rc != TOTP_ENOENT)
        return rc;
    if (err != NULL)
        err->code = TOTP_EIO;
    return TOTP_EIO;
}

static int split_real(struct file_txn *t, const char *real, int is_dir, totp_error *err)
{
    const char *slash = strrchr(real, '/');
    char *dir = is_dir          ? strdup(real)
                : slash == real ? strdup("/")
                                : strndup(real, (size_t)(slash - real));
    char *name = is_dir ? strdup(t->name) : strdup(slash + 1);
    if (dir == NULL || name == NULL) {
        free(dir), free(name);
        return totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    }
    free(t->dir), free(t->name);
    t->dir = dir;
    t->name = name;
    return TOTP_OK;
}

/* `path` as it is, without following a link at its end or on the way: TOTP_OK (a copy in *out)
 * if something is there, TOTP_ENOENT if not. */
static int no_follow_path(const char *path, char **out, totp_error *err)
{
    struct stat st;
    if (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        int e = errno;
        return totpi_fail(err, e == ENOENT || e == ENOTDIR ? TOTP_ENOENT : TOTP_EIO, e, 0, "%s: %s",
                          path, strerror(e));
    }
    *out = strdup(path);
    return *out != NULL ? TOTP_OK : totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
}

static int find_path(const char *path, int follow, char **out, totp_error *err)
{
    return follow ? totpi_resolve(path, out, err) : no_follow_path(path, out, err);
}

/* Open t->dir's real directory `real`, checking it and every directory from the home down (or
 * from / when it is outside the home) as OpenSSH's StrictModes does; a secret= directory
 * outside the home is the site's choice and only walked without following links. */
static int open_checked(const struct file_txn *t, const char *real, const char *home, int strict,
                        int *dirfd, totp_error *err)
{
    int below_home = totpi_path_under(real, home);
    struct totpi_dir_rules rules = {!t->store->cfg.no_strict_owner, t->actor.uid,
                                    below_home ? strlen(home) : 0,
                                    "others could replace the record"};
    if (!below_home && !strict) {
        rules.check_owner = 0;
        rules.from = (size_t)-1; /* check nothing, follow nothing */
    }
    return totpi_open_dir_strict(real, &rules, dirfd, err);
}

/* The record is not there. That is "not enrolled" only if nobody but the user could have
 * removed it: the directories on its way that do exist pass the same checks as for a record. */
static int check_absent(const struct file_txn *t, const char *home, int follow, totp_error *err)
{
    char *dir = strdup(t->dir), *real = NULL;
    int rc = dir != NULL ? TOTP_ENOENT : TOTP_ENOMEM, fd = -1;
    while (rc == TOTP_ENOENT) {
        if (!totpi_path_under(dir, t->actor.home) && !totpi_path_under(dir, home))
            break; /* nothing of the home's is there to check */
        rc = find_path(dir, follow, &real, err);
        char *slash = strrchr(dir, '/');
        if (rc == TOTP_ENOENT && slash != NULL && slash != dir)
            *slash = '\0';
        else if (rc == TOTP_ENOENT)
            break;
    }
    if (rc == TOTP_OK)
        rc = open_checked(t, real, home, 1, &fd, err);
    if (fd >= 0)
        close(fd);
    free(dir);
    free(real);
    return rc == TOTP_OK || rc == TOTP_ENOENT ? totpi_fail(err, TOTP_ENOENT, ENOENT, 0, "absent")
                                              : rc;
}

/* A home record's directory. As the user, follow the user's own links (that gains the user
 * nothing). As root (root's own record, user=root, or totpctl --file without -u), follow none:
 * a link on the way may be another user's, aimed at root's record. Then open the directory the
 * record really is in, checking every directory from the home down (or from / if it is outside
 * the home) as OpenSSH's StrictModes does. A home that is missing or unreadable is an error; a
 * missing record below it is "not enrolled" when the directories it would be in pass the same
 * checks. */
static int open_home_dir(struct file_txn *t, totp_error *err)
{
    char *home = NULL, *real = NULL;
    struct stat st;
    int follow = t->actor.uid != 0;
    int rc = totpi_resolve(t->actor.home, &home, err);
    if (rc != TOTP_OK) {
        rc = totpi_fail(err,
                        rc == TOTP_ENOMEM  ? rc
                        : rc == TOTP_EPERM ? TOTP_EPERM
                                           : TOTP_EIO,
                        err != NULL ? err->sys_errno : 0, 0, "home directory %s: %s", t->actor.home,
                        strerror(err != NULL ? err->sys_errno : EIO));
        goto out;
    }
    if (t->create)
        rc = totpi_make_dirs(t->dir, err);
    if (rc == TOTP_OK)
        rc = find_path(t->create ? t->dir : t->path, follow, &real, err);
    if (rc == TOTP_ENOENT) {
        if (fstatat(AT_FDCWD, t->path, &st, AT_SYMLINK_NOFOLLOW) == 0)
            rc = totpi_fail(err, TOTP_EIO, ENOENT, 0, "%s: a symbolic link to nothing", t->path);
        else if (!totpi_path_under(t->path, t->actor.home) && !totpi_path_under(t->path, home))
            rc = must_exist(find_path(t->dir, follow, &real, err), err) == TOTP_OK ? TOTP_ENOENT
                                                                                   : TOTP_EIO;
        else
            rc = check_absent(t, home, follow, err);
        goto out;
    }
    if (rc == TOTP_OK)
        rc = split_real(t, real, t->create, err);
    if (rc == TOTP_OK)
        rc = open_checked(t, t->dir, home, !t->secret, &t->dirfd, err);
    rc = must_exist(rc, err); /* it was there a moment ago */
out:
    free(home);
    free(real);
    return rc;
}

/* system_only with secret=: the file and every directory above it must be root's alone. */
static int open_root_file_dir(struct file_txn *t, totp_error *err)
{
    struct totpi_dir_rules rules = {1, t->store->cfg.system_owner, 0,
                                    "system_only trusts only what the user cannot change"};
    return must_exist(totpi_open_dir_strict(t->dir, &rules, &t->dirfd, err), err);
}

/* Open and lock the record at t->path, if it exists. */
static int open_existing(struct file_txn *t, totp_error *err)
{
    struct totpi_file_rules rules;
    if (t->place == PLACE_SYSTEM || t->place == PLACE_ROOT_FILE) {
        rules.check_owner = 1;
        rules.owner = t->store->cfg.system_owner;
        rules.allowed_perm = t->place == PLACE_SYSTEM ? 0600 : t->store->cfg.allowed_perm;
    } else {
        rules.check_owner = !t->store->cfg.no_strict_owner;
        rules.owner = t->actor.uid;
        rules.allowed_perm = t->store->cfg.allowed_perm;
    }
    struct totpi_identity saved;
    int rc = act(t, &saved, err);
    if (rc != TOTP_OK)
        return rc;
    if (t->place == PLACE_HOME) {
        rc = open_home_dir(t, err);
    } else if (t->place == PLACE_ROOT_FILE) {
        rc = open_root_file_dir(t, err);
    } else {
        rc = must_exist(totpi_open_dir(t->dir, &t->dirfd, err), err);
        if (rc == TOTP_OK)
            rc = check_system_dir(t, err);
    }
    if (rc == TOTP_OK)
        rc = totpi_open_locked(t->dirfd, t->name, t->path, &rules, t->store->cfg.lock_timeout_ms,
                               &t->fd, &t->st, err);
    return unact(&saved, rc, err);
}

/* Prepare to create the record at t->path: directories, then a lock on the directory so that
 * two enrollments cannot race, then make sure nothing is there yet. */
static int open_for_create(struct file_txn *t, totp_error *err)
{
    struct totpi_identity saved;
    struct stat st;
    int rc = act(t, &saved, err);
    if (rc != TOTP_OK)
        return rc;
    t->create = 1;
    if (t->place == PLACE_HOME) {
        rc = open_home_dir(t, err);
    } else if (t->place == PLACE_ROOT_FILE) {
        rc = open_root_file_dir(t, err);
    } else {
        rc = totpi_make_dirs(t->dir, err);
        if (rc == TOTP_OK)
            rc = totpi_open_dir(t->dir, &t->dirfd, err);
        if (rc == TOTP_OK)
            rc = check_system_dir(t, err);
        /* The new record is the store's owner's and group's, whoever writes it: under sudo
         * the effective group is still the user's. */
        if (rc == TOTP_OK && fstat(t->dirfd, &t->st) != 0)
            rc = totpi_fail(err, TOTP_EIO, errno, 0, "%s: %s", t->dir, strerror(errno));
        t->st.st_mode = S_IFREG | 0600;
    }
    if (rc == TOTP_OK)
        rc = totpi_lock(t->dirfd, t->store->cfg.lock_timeout_ms, t->dir, err);
    if (rc == TOTP_OK && fstatat(t->dirfd, t->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        rc = totpi_fail(err, TOTP_EEXIST, EEXIST, 0, "%s: already exists", t->path);
    return unact(&saved, rc, err);
}

static int read_record(struct file_txn *t, totp_record **rec, totp_error *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = totpi_read_all(t->fd, t->path, &text, &len, err);
    if (rc != TOTP_OK)
        return rc;
    totp_error perr = {0};
    rc = totp_record_parse(text, len, rec, &perr);
    totp_wipe(text, len);
    free(text);
    if (rc != TOTP_OK)
        return totpi_fail(err, rc, 0, perr.line, "%s: %s", t->path, perr.message);
    return TOTP_OK;
}

/* Tell the debug trace what this place held. */
static void trace(const struct file_txn *t, const char *path, int rc, const totp_error *local)
{
    char line[sizeof(local->message) + 64];
    if (t->store->cfg.trace == NULL)
        return;
    if (rc == TOTP_OK || rc == TOTP_ENOENT)
        snprintf(line, sizeof(line), "%s: %s", path, rc == TOTP_OK ? "found" : "absent");
    else if (strncmp(local->message, path, strlen(path)) == 0)
        snprintf(line, sizeof(line), "%s", local->message);
    else
        snprintf(line, sizeof(line), "%s: %s", path, local->message);
    t->store->cfg.trace(t->store->cfg.trace_ctx, line);
}

/* Set up t for one candidate path; PLACE_HOME needs the actor. */
static int try_candidate(struct file_txn *t, enum place place, const char *path, int create,
                         totp_error *err)
{
    totp_error local = {0};
    free(t->path), free(t->dir), free(t->name);
    t->path = t->dir = t->name = NULL;
    if (t->fd >= 0)
        close(t->fd), t->fd = -1;
    if (t->dirfd >= 0)
        close(t->dirfd), t->dirfd = -1;
    t->place = place;
    int rc = split_path(t, path, &local);
    if (rc == TOTP_OK)
        rc = create ? open_for_create(t, &local) : open_existing(t, &local);
    if (!create)
        trace(t, path, rc, &local);
    if (err != NULL)
        *err = local;
    return rc;
}

/* Who reads and owns files in a home directory: the user, or user='s account. */
static int load_actor(struct file_txn *t, const struct totpi_account *user, totp_error *err)
{
    if (t->have_actor)
        return TOTP_OK;
    int rc;
    if (t->store->cfg.fixed_user) {
        rc = totpi_account_by_uid(t->store->cfg.fixed_uid, &t->actor, err);
    } else {
        t->actor = *user;
        t->actor.name = strdup(user->name);
        t->actor.home = strdup(user->home);
        rc = t->actor.name && t->actor.home ? TOTP_OK : TOTP_ENOMEM;
    }
    t->have_actor = rc == TOTP_OK;
    return rc;
}

/* A system store we may not read, or that is not there, when the caller (a user's own tool)
 * asked to look past it. */
static int skippable_system_store(const struct file_txn *t, int rc, const totp_error *local)
{
    return t->store->cfg.skip_unreadable_system_store && t->dirfd < 0 &&
           (rc == TOTP_EPERM || rc == TOTP_EIO) &&
           (local->sys_errno == EACCES || local->sys_errno == ENOENT);
}

#define NO_HOME "/nonexistent"

/* The records in the user's home, in lookup order (or the secret= file). */
static int try_home(struct file_txn *t, const struct totpi_account *acct, int create,
                    totp_error *err)
{
    struct file_store *s = t->store;
    char path[4096];
    int rc = load_actor(t, acct, err);
    if (rc != TOTP_OK)
        return rc;
    if (s->secret_path != NULL) {
        rc = totpi_expand_secret_path(s->secret_path, acct, path, sizeof(path), err);
        t->secret = 1;
        if (rc == TOTP_OK)
            rc = try_candidate(t, s->cfg.system_only ? PLACE_ROOT_FILE : PLACE_HOME, path, create,
                               err);
        return rc;
    }
    /* Debian Policy's home for an account that has none (service accounts): no record can be
     * there. A home that is merely missing (a mount that did not come up) stays an error. */
    if (!create && strcmp(t->actor.home, NO_HOME) == 0) {
        if (s->cfg.trace != NULL)
            s->cfg.trace(s->cfg.trace_ctx, NO_HOME ": the account has no home directory");
        return TOTP_ENOENT;
    }
    static const char *const homes[] = {USER_RECORD, GA_RECORD};
    rc = TOTP_ENOENT;
    for (size_t i = 0; i < 2 && rc == TOTP_ENOENT; i++) {
        snprintf(path, sizeof(path), "%s/%s", t->actor.home, homes[i]);
        rc = try_candidate(t, PLACE_HOME, path, create, err);
        if (create)
            break; /* self-enrollment writes ~/.config/totp/secret */
    }
    if (rc == TOTP_OK && s->cfg.system_only) {
        if (s->cfg.trace != NULL)
            s->cfg.trace(s->cfg.trace_ctx, "that record is the user's: system_only refuses it");
        rc = totpi_fail(err, TOTP_EUNTRUSTED, 0, 0,
                        "%s: the user can write this record, and this line trusts only the "
                        "system store (system_only)",
                        t->path);
    }
    return rc;
}

static int file_begin(totp_store *store, const char *user, int flags, totp_txn **txn,
                      totp_record **rec, totp_error *err)
{
    struct file_store *s = (struct file_store *)store;
    struct totpi_account acct = {0};
    int create = (flags & TOTP_TXN_CREATE) != 0, rc;
    char path[4096];

    if (!totpi_user_name_ok(user))
        return totpi_fail(err, TOTP_EUSER, 0, 0, "unusable user name");
    /* One account, one name: every path uses the account's own spelling of it (a
     * case-insensitive account source answers "ALICE" with alice). A record left by an account
     * that no longer exists is still found (and removable) under the name given. */
    int known = totpi_account_lookup(user, &acct, err);
    if (known != TOTP_OK && known != TOTP_EUSER)
        return known;
    const char *name = known == TOTP_OK ? acct.name : user;
    if (!totpi_user_name_ok(name)) {
        totpi_account_clear(&acct);
        return totpi_fail(err, TOTP_EUSER, 0, 0, "unusable user name");
    }
    struct file_txn *t = txn_new(s);
    if (t == NULL) {
        totpi_account_clear(&acct);
        return totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    }

    int want_system = s->secret_path == NULL && s->system_dir != NULL &&
                      (!create || (flags & TOTP_TXN_SYSTEM) || geteuid() == 0);
    rc = TOTP_ENOENT;
    if (want_system) {
        snprintf(path, sizeof(path), "%s/%s", s->system_dir, name);
        totp_error local = {0};
        rc = try_candidate(t, PLACE_SYSTEM, path, create, &local);
        /* Not knowing whether a system record exists is an error, unless the caller (a user's
         * own tool) asked to look past a system store it cannot read. */
        if (!create && skippable_system_store(t, rc, &local))
            rc = TOTP_ENOENT;
        if (err != NULL && rc != TOTP_OK && rc != TOTP_ENOENT)
            *err = local;
    }
    if (rc == TOTP_ENOENT && !(create && want_system)) {
        if (known != TOTP_OK)
            rc = totpi_fail(err, TOTP_EUSER, 0, 0, "no such user \"%s\"", user);
        else
            rc = try_home(t, &acct, create, err);
    }
    if (rc == TOTP_ENOENT)
        totpi_fail(err, TOTP_ENOENT, ENOENT, 0, "no record for user \"%s\"", name);
    totpi_account_clear(&acct);
    if (rc == TOTP_OK && !create && !(flags & TOTP_TXN_UNREAD))
        rc = read_record(t, rec, err);
    if (rc != TOTP_OK) {
        txn_free(t);
        return rc;
    }
    if (create)
        *rec = NULL;
    *txn = &t->base;
    return TOTP_OK;
}

static int file_commit(totp_txn *txn, const totp_record *rec, totp_error *err)
{
    struct file_txn *t = (struct file_txn *)txn;
    char *text = NULL;
    size_t len = 0;
    int rc = totp_record_serialize(rec, &text, &len);
    if (rc != TOTP_OK) {
        totpi_fail(err, rc, 0, 0, "%s: cannot serialize: %s", t->path, totp_strerror(rc));
    } else {
        struct totpi_identity saved;
        rc = act(t, &saved, err);
        if (rc == TOTP_OK) {
            /* A new record in a home is the user's (written as the user), one in the system
             * store its directory's (open_for_create). */
            const struct stat *owner = t->create && t->place != PLACE_SYSTEM ? NULL : &t->st;
            rc = totpi_replace(t->dirfd, t->name, text, len, owner, t->create, t->path, err);
            rc = unact(&saved, rc, err);
        }
    }
    totp_wipe_string(text);
    txn_free(t);
    return rc;
}

static int file_remove(totp_txn *txn, totp_error *err)
{
    struct file_txn *t = (struct file_txn *)txn;
    struct totpi_identity saved;
    int rc = t->create ? totpi_fail(err, TOTP_ENOENT, 0, 0, "%s: nothing to remove", t->path)
                       : act(t, &saved, err);
    if (rc == TOTP_OK) {
        rc = totpi_unlink(t->dirfd, t->name, t->path, err);
        rc = unact(&saved, rc, err);
    }
    txn_free(t);
    return rc;
}

static void file_abort(totp_txn *txn)
{
    txn_free((struct file_txn *)txn);
}

static const char *file_location(const totp_txn *txn)
{
    return ((const struct file_txn *)txn)->path;
}

static void file_free(totp_store *store)
{
    struct file_store *s = (struct file_store *)store;
    free(s->system_dir);
    free(s->secret_path);
    free(s);
}

static const struct totp_store_ops file_ops = {
    file_begin,
    file_commit,
    file_remove,
    file_abort,
    file_location,
    totpi_file_list,
    file_free,
    totpi_file_allow_set,
    totpi_file_allow_get,
    totpi_file_allow_spend,
};

int totp_store_file_new(const totp_file_store_config *config, totp_store **out)
{
    static const totp_file_store_config defaults = {NULL, NULL, 0, 0,    0600, 0,
                                                    0,    5000, 0, NULL, NULL, 0};
    if (out == NULL)
        return TOTP_EINVAL;
    *out = NULL;
    struct file_store *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return TOTP_ENOMEM;
    s->base.ops = &file_ops;
    s->cfg = config != NULL ? *config : defaults;
    if (s->cfg.allowed_perm == 0)
        s->cfg.allowed_perm = 0600;
    if (s->cfg.lock_timeout_ms == 0)
        s->cfg.lock_timeout_ms = 5000;
    const char *dir = s->cfg.system_dir != NULL ? s->cfg.system_dir : SYSTEM_DIR;
    int ok = 1;
    if (dir[0] != '\0')
        ok &= (s->system_dir = strdup(dir)) != NULL;
    if (s->cfg.secret_path != NULL)
        ok &= (s->secret_path = strdup(s->cfg.secret_path)) != NULL;
    s->cfg.system_dir = s->cfg.secret_path = NULL; /* the copies above are ours */
    if (!ok) {
        file_free(&s->base);
        return TOTP_ENOMEM;
    }
    *out = &s->base;
    return TOTP_OK;
}
