/* SPDX-License-Identifier: Apache-2.0 */
/* store_file.c: the file store: lookup order, secret= templates, acting as the user, transactions.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "account.h"
#include "fileio.h"
#include "internal.h"
#include "store.h"

#define SYSTEM_DIR  "/var/lib/totp"
#define USER_RECORD ".config/totp/secret"
#define GA_RECORD   ".google_authenticator"

struct file_store {
    struct totp_store base;
    char *system_dir; /* NULL: no system store */
    char *secret_path;
    totp_file_store_config cfg;
};

enum place { PLACE_SYSTEM, PLACE_HOME };

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
};

static const struct totp_store_ops file_ops;

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

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

/* Append `s` to buf; 0 if it does not fit. */
static int append(char *buf, size_t size, size_t *len, const char *s, size_t n)
{
    if (*len + n >= size)
        return 0;
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
    return 1;
}

/* Expand GA's secret= shorthands: a leading ~, ${HOME} and ${USER}. */
static int expand_template(const char *tmpl, const struct totpi_account *user, char *out,
                           size_t size, totp_error *err)
{
    size_t len = 0;
    const char *p = tmpl;
    out[0] = '\0';
    if (p[0] == '~' && (p[1] == '/' || p[1] == '\0')) {
        if (!append(out, size, &len, user->home, strlen(user->home)))
            goto too_long;
        p++;
    }
    while (*p != '\0') {
        if (strncmp(p, "${HOME}", 7) == 0) {
            if (!append(out, size, &len, user->home, strlen(user->home)))
                goto too_long;
            p += 7;
        } else if (strncmp(p, "${USER}", 7) == 0) {
            if (!append(out, size, &len, user->name, strlen(user->name)))
                goto too_long;
            p += 7;
        } else if (p[0] == '$' && p[1] == '{') {
            return totpi_fail(err, TOTP_EINVAL, 0, 0,
                              "secret=%s: only ~, ${HOME} and ${USER} can be expanded", tmpl);
        } else if (!append(out, size, &len, p++, 1)) {
            goto too_long;
        }
    }
    return TOTP_OK;
too_long:
    return totpi_fail(err, TOTP_EINVAL, ENAMETOOLONG, 0, "secret=%s: path too long", tmpl);
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

/* The system store directory must be root's (system_owner's) alone. */
static int check_system_dir(struct file_txn *t, totp_error *err)
{
    struct stat st;
    if (fstat(t->dirfd, &st) != 0)
        return totpi_fail(err, TOTP_EIO, errno, 0, "%s: cannot stat: %s", t->dir, strerror(errno));
    if (st.st_uid != t->store->cfg.system_owner || (st.st_mode & 077) != 0)
        return totpi_fail(err, TOTP_EPERM, 0, 0,
                          "%s: must be owned by uid %u with mode 0700 (is uid %u, %04o)", t->dir,
                          (unsigned)t->store->cfg.system_owner, (unsigned)st.st_uid,
                          (unsigned)(st.st_mode & 07777));
    return TOTP_OK;
}

/* Open and lock the record at t->path, if it exists. */
static int open_existing(struct file_txn *t, totp_error *err)
{
    struct totpi_file_rules rules;
    if (t->place == PLACE_SYSTEM) {
        rules.check_owner = 1;
        rules.owner = t->store->cfg.system_owner;
        rules.allowed_perm = 0600;
    } else {
        rules.check_owner = !t->store->cfg.no_strict_owner;
        rules.owner = t->actor.uid;
        rules.allowed_perm = t->store->cfg.allowed_perm;
    }
    struct totpi_identity saved;
    int rc = act(t, &saved, err);
    if (rc != TOTP_OK)
        return rc;
    rc = totpi_open_dir(t->dir, &t->dirfd, err);
    if (rc == TOTP_OK && t->place == PLACE_SYSTEM)
        rc = check_system_dir(t, err);
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
    rc = totpi_make_dirs(t->dir, err);
    if (rc == TOTP_OK)
        rc = totpi_open_dir(t->dir, &t->dirfd, err);
    if (rc == TOTP_OK && t->place == PLACE_SYSTEM)
        rc = check_system_dir(t, err);
    if (rc == TOTP_OK)
        rc = totpi_lock(t->dirfd, t->store->cfg.lock_timeout_ms, t->dir, err);
    if (rc == TOTP_OK && fstatat(t->dirfd, t->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        rc = totpi_fail(err, TOTP_EEXIST, EEXIST, 0, "%s: already exists", t->path);
    t->create = 1;
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

/* Set up t for one candidate path; PLACE_HOME needs the actor. */
static int try_candidate(struct file_txn *t, enum place place, const char *path, int create,
                         totp_error *err)
{
    free(t->path), free(t->dir), free(t->name);
    t->path = t->dir = t->name = NULL;
    if (t->fd >= 0)
        close(t->fd), t->fd = -1;
    if (t->dirfd >= 0)
        close(t->dirfd), t->dirfd = -1;
    t->place = place;
    int rc = split_path(t, path, err);
    if (rc != TOTP_OK)
        return rc;
    return create ? open_for_create(t, err) : open_existing(t, err);
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

static int file_begin(totp_store *store, const char *user, int flags, totp_txn **txn,
                      totp_record **rec, totp_error *err)
{
    struct file_store *s = (struct file_store *)store;
    struct totpi_account acct = {0};
    int create = (flags & TOTP_TXN_CREATE) != 0, have_acct = 0, rc;
    char path[4096];

    if (!totpi_user_name_ok(user))
        return totpi_fail(err, TOTP_EUSER, 0, 0, "unusable user name");
    struct file_txn *t = txn_new(s);
    if (t == NULL)
        return totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");

    int want_system = s->secret_path == NULL && s->system_dir != NULL &&
                      (!create || (flags & TOTP_TXN_SYSTEM) || geteuid() == 0);
    rc = TOTP_ENOENT;
    if (want_system) {
        snprintf(path, sizeof(path), "%s/%s", s->system_dir, user);
        totp_error local = {0};
        rc = try_candidate(t, PLACE_SYSTEM, path, create, &local);
        /* Not knowing whether a system record exists is an error, unless the caller (a user's
         * own tool) asked to look past a system store it cannot read. */
        if (!create && rc == TOTP_EPERM && t->dirfd < 0 && local.sys_errno == EACCES &&
            s->cfg.skip_unreadable_system_store)
            rc = TOTP_ENOENT;
        if (err != NULL && rc != TOTP_OK && rc != TOTP_ENOENT)
            *err = local;
    }
    if (rc == TOTP_ENOENT && !(create && want_system)) {
        rc = totpi_account_lookup(user, &acct, err);
        have_acct = rc == TOTP_OK;
        if (rc == TOTP_OK)
            rc = load_actor(t, &acct, err);
        if (rc == TOTP_OK && s->secret_path != NULL) {
            rc = expand_template(s->secret_path, &acct, path, sizeof(path), err);
            if (rc == TOTP_OK)
                rc = try_candidate(t, PLACE_HOME, path, create, err);
        } else if (rc == TOTP_OK) {
            static const char *const homes[] = {USER_RECORD, GA_RECORD};
            rc = TOTP_ENOENT;
            for (size_t i = 0; i < 2 && rc == TOTP_ENOENT; i++) {
                snprintf(path, sizeof(path), "%s/%s", acct.home, homes[i]);
                rc = try_candidate(t, PLACE_HOME, path, create, err);
                if (create)
                    break; /* self-enrollment writes ~/.config/totp/secret */
            }
        }
    }
    if (have_acct)
        totpi_account_clear(&acct);
    if (rc == TOTP_ENOENT)
        totpi_fail(err, TOTP_ENOENT, ENOENT, 0, "no record for user \"%s\"", user);
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
            rc = totpi_replace(t->dirfd, t->name, text, len, &t->st, t->create, t->path, err);
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

static int file_list(totp_store *store, char ***users, totp_error *err)
{
    struct file_store *s = (struct file_store *)store;
    struct file_txn probe = {.store = s, .dirfd = -1, .fd = -1, .place = PLACE_SYSTEM};
    if (s->system_dir == NULL)
        return totpi_fail(err, TOTP_ENOENT, 0, 0, "there is no system store");
    probe.dir = s->system_dir;
    int rc = totpi_open_dir(s->system_dir, &probe.dirfd, err);
    if (rc == TOTP_OK)
        rc = check_system_dir(&probe, err);
    DIR *d = rc == TOTP_OK ? fdopendir(probe.dirfd) : NULL;
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
    else if (probe.dirfd >= 0)
        close(probe.dirfd);
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

static void file_free(totp_store *store)
{
    struct file_store *s = (struct file_store *)store;
    free(s->system_dir);
    free(s->secret_path);
    free(s);
}

static const struct totp_store_ops file_ops = {
    file_begin, file_commit, file_remove, file_abort, file_location, file_list, file_free,
};

int totp_store_file_new(const totp_file_store_config *config, totp_store **out)
{
    static const totp_file_store_config defaults = {NULL, NULL, 0, 0, 0600, 0, 0, 5000, 0};
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
