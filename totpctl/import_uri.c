/* SPDX-License-Identifier: Apache-2.0 */
/* import_uri.c: totpctl import --uri: otpauth URIs from another TOTP system into the system
 * store, one user per URI (-u USER for a single URI, else the user each URI's account names). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"

#define INPUT_MAX (1024 * 1024)
#define URIS_MAX  10000

struct entry {
    unsigned line;
    char *account;
    char user[257];
    char where[4096];
    char shadows[4096]; /* the user's own record, which the system record would hide */
    int replaces;
    totp_record *rec;
};

struct batch {
    struct entry *e;
    size_t n;
};

static void batch_clear(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        totp_record_free(b->e[i].rec);
        free(b->e[i].account);
    }
    free(b->e);
    b->e = NULL;
    b->n = 0;
}

/* The whole input (a root-owned file not writable by others, or standard input), in `*buf`. */
static int read_input(const char *path, char **buf, size_t *len)
{
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return cli_fail(EXIT_ERROR, "%s: cannot open: %s", path, strerror(errno));
    if (fd != STDIN_FILENO &&
        (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))) {
        close(fd);
        return cli_fail(EXIT_ERROR,
                        "%s: must be a regular file of root's that no one else can write "
                        "(or give the URIs on standard input: import --uri -)",
                        path);
    }
    *buf = malloc(INPUT_MAX + 1);
    *len = 0;
    ssize_t got = 1;
    while (*buf != NULL && *len < INPUT_MAX &&
           ((got = read(fd, *buf + *len, INPUT_MAX - *len)) > 0 || (got < 0 && errno == EINTR)))
        *len += got > 0 ? (size_t)got : 0;
    int saved = errno;
    if (fd != STDIN_FILENO)
        close(fd);
    if (*buf == NULL)
        return cli_fail(EXIT_ERROR, "out of memory");
    (*buf)[*len] = '\0';
    if (got < 0)
        return cli_fail(EXIT_ERROR, "%s: cannot read: %s", path, strerror(saved));
    if (*len == INPUT_MAX)
        return cli_fail(EXIT_USAGE, "%s: more than %d bytes", path, INPUT_MAX);
    return EXIT_OK;
}

/* The user a URI goes to: -u USER, or the one its account names; an existing account. Without
 * -u, never root or a system account (uid below UID_MIN): a URI file names whom it likes. */
static int map_user(const struct cli *c, struct entry *e, const char *path)
{
    char name[257], shown[1200];
    cli_printable(e->account, shown, sizeof(shown));
    if (c->user_arg == NULL && totp_uri_account_user(e->account, name, sizeof(name)) != TOTP_OK)
        return cli_fail(EXIT_USAGE, "%s: line %u: the account \"%s\" names no user", path, e->line,
                        shown);
    const char *want = c->user_arg != NULL ? c->user : name;
    struct passwd *pw = getpwnam(want);
    if (pw == NULL) {
        char user[1200];
        return cli_fail(EXIT_USAGE, "%s: line %u: account \"%s\": no user %s on this system", path,
                        e->line, shown, cli_printable(want, user, sizeof(user)));
    }
    snprintf(e->user, sizeof(e->user), "%s", pw->pw_name);
    if (c->user_arg == NULL && (pw->pw_uid == 0 || pw->pw_uid < cli_uid_min()))
        return cli_fail(EXIT_USAGE,
                        "%s: line %u: account \"%s\" names %s, %s (uid %u): refused without "
                        "-u (import it alone with -u %s if that is meant)",
                        path, e->line, shown, pw->pw_name,
                        pw->pw_uid == 0 ? "root" : "a system account", (unsigned)pw->pw_uid,
                        pw->pw_name);
    return EXIT_OK;
}

/* Each non-empty line that is not a # comment: one URI, parsed, mapped to its user. */
static int parse_lines(struct cli *c, char *text, const char *path, struct batch *b)
{
    unsigned line = 0;
    int rc = EXIT_OK;
    for (char *p = text, *next; rc == EXIT_OK && p != NULL && *p != '\0'; p = next) {
        next = strchr(p, '\n');
        if (next != NULL)
            *next++ = '\0';
        line++;
        p[strcspn(p, "\r")] = '\0';
        p += strspn(p, " \t");
        if (*p == '\0' || *p == '#')
            continue;
        if (b->n == URIS_MAX)
            return cli_fail(EXIT_USAGE, "%s: more than %d URIs", path, URIS_MAX);
        struct entry *grown = realloc(b->e, (b->n + 1) * sizeof(*grown));
        if (grown == NULL)
            return cli_fail(EXIT_ERROR, "out of memory");
        b->e = grown;
        struct entry *e = &b->e[b->n];
        memset(e, 0, sizeof(*e));
        e->line = line;
        totp_error err = {0};
        if (totp_record_from_uri(p, &e->rec, &e->account, &err) != TOTP_OK)
            return cli_fail(EXIT_USAGE, "%s: line %u: %s", path, line, err.message);
        b->n++;
        rc = map_user(c, e, path);
    }
    return rc;
}

/* An account's domain part is dropped ("alice@example.com" is alice): say so once for each
 * domain, so that one nobody expected (attacker@evil.example) stands out. */
static void warn_domain(const struct cli *c, const struct batch *b, size_t i, const char *path)
{
    const char *at = strchr(b->e[i].account, '@');
    if (c->user_arg != NULL || at == NULL)
        return;
    for (size_t k = 0; k < i; k++) {
        const char *other = strchr(b->e[k].account, '@');
        if (other != NULL && strcasecmp(other, at) == 0)
            return;
    }
    char shown[1200];
    fprintf(stderr,
            "totpctl: warning: %s: line %u: accounts \"...%s\" go to the local user of the same "
            "name; the domain is not checked: make sure it is yours\n",
            path, b->e[i].line, cli_printable(at, shown, sizeof(shown)));
}

/* The record a login finds for `e`'s user now, if it is not where the import writes (a home
 * record, which a new system record would hide, as enroll's rule says): into e->shadows. */
static int find_shadowed(struct cli *c, struct entry *e)
{
    totp_txn *txn = NULL;
    totp_record *old = NULL;
    totp_error err = {0};
    e->shadows[0] = '\0';
    int rc = totp_store_begin(c->store, e->user, TOTP_TXN_UNREAD, &txn, &old, &err);
    if (rc == TOTP_OK && strcmp(totp_txn_location(txn), e->where) != 0)
        snprintf(e->shadows, sizeof(e->shadows), "%s", totp_txn_location(txn));
    totp_txn_abort(txn);
    totp_record_free(old);
    return rc == TOTP_OK || rc == TOTP_ENOENT ? EXIT_OK : cli_error(rc, &err);
}

/* Before anything is written: one URI per user, no record replaced and none of a user's own
 * records hidden without --force. */
static int check_batch(struct cli *c, struct batch *b, const char *path)
{
    if (b->n == 0)
        return cli_fail(EXIT_USAGE, "%s: no otpauth URI", path);
    if (c->user_arg != NULL && b->n > 1)
        return cli_fail(EXIT_USAGE,
                        "%s: -u %s takes one URI and there are %zu (without -u, each URI's "
                        "account names its user)",
                        path, c->user, b->n);
    for (size_t i = 0; i < b->n; i++) {
        warn_domain(c, b, i, path);
        for (size_t k = 0; k < i; k++) {
            if (strcmp(b->e[i].user, b->e[k].user) == 0)
                return cli_fail(EXIT_USAGE, "%s: lines %u and %u are both for %s", path,
                                b->e[k].line, b->e[i].line, b->e[i].user);
        }
        totp_txn *txn = NULL;
        totp_record *old = NULL;
        totp_error err = {0};
        int rc = totp_store_begin(c->store, b->e[i].user, TOTP_TXN_CREATE | TOTP_TXN_SYSTEM, &txn,
                                  &old, &err);
        b->e[i].replaces = rc == TOTP_EEXIST;
        if (rc == TOTP_EEXIST) /* where it is: the system record, looked up first */
            rc = totp_store_begin(c->store, b->e[i].user, TOTP_TXN_UNREAD, &txn, &old, &err);
        if (rc == TOTP_OK)
            snprintf(b->e[i].where, sizeof(b->e[i].where), "%s", totp_txn_location(txn));
        totp_txn_abort(txn);
        totp_record_free(old);
        if (b->e[i].replaces && !c->force) {
            rc = cli_fail(EXIT_REJECTED,
                          "%s: line %u: %s already has a system record; --force "
                          "replaces it (nothing was imported)",
                          path, b->e[i].line, b->e[i].user);
            audit(c, b->e[i].user, b->e[i].where, rc, NULL);
            return rc;
        }
        if (rc != TOTP_OK)
            return cli_error(rc, &err);
        if (!b->e[i].replaces && (rc = find_shadowed(c, &b->e[i])) != EXIT_OK)
            return rc;
        if (b->e[i].shadows[0] != '\0' && !c->force)
            return cli_fail(EXIT_REJECTED,
                            "%s: line %u: %s has their own record (%s); a system record is "
                            "used before it, so their app's codes would be refused: --force "
                            "imports it anyway and leaves that record unused (nothing was "
                            "imported)",
                            path, b->e[i].line, b->e[i].user, b->e[i].shadows);
    }
    return EXIT_OK;
}

static int write_one(struct cli *c, struct entry *e)
{
    totp_txn *txn = NULL;
    totp_record *old = NULL;
    totp_error err = {0};
    int rc =
        totp_store_begin(c->store, e->user, TOTP_TXN_CREATE | TOTP_TXN_SYSTEM, &txn, &old, &err);
    if (rc == TOTP_EEXIST && c->force) /* replace the system record under its lock */
        rc = totp_store_begin(c->store, e->user, TOTP_TXN_UNREAD, &txn, &old, &err);
    totp_record_free(old);
    if (rc == TOTP_OK) {
        snprintf(e->where, sizeof(e->where), "%s", totp_txn_location(txn));
        rc = totp_txn_commit(txn, e->rec, &err);
    }
    rc = rc == TOTP_OK ? EXIT_OK : cli_error(rc, &err);
    char note[4200];
    snprintf(note, sizeof(note), "otpauth URI, line %u of %s%s", e->line, c->arg,
             e->replaces ? ", replacing the record there" : "");
    audit(c, e->user, e->where[0] != '\0' ? e->where : NULL, rc, rc == EXIT_OK ? note : NULL);
    return rc;
}

static void report(const struct cli *c, const struct batch *b, size_t done)
{
    if (!c->json) {
        for (size_t i = 0; i < done; i++) {
            char shown[1200];
            printf("line %u: %s -> %s: %s %s%s%s%s%s\n", b->e[i].line,
                   cli_printable(b->e[i].account, shown, sizeof(shown)), b->e[i].user,
                   c->dry_run ? "would write" : "imported into", b->e[i].where,
                   b->e[i].replaces ? " (replacing the record there)" : "",
                   b->e[i].shadows[0] != '\0'
                       ? (c->dry_run ? " (the user's own record would be unused: "
                                     : " (the user's own record is unused now: ")
                       : "",
                   b->e[i].shadows, b->e[i].shadows[0] != '\0' ? ")" : "");
        }
        return;
    }
    struct json j;
    json_begin(&j, stdout);
    json_bool(&j, "dry_run", c->dry_run);
    json_open(&j, "imported", '[');
    for (size_t i = 0; i < done; i++) {
        json_open(&j, NULL, '{');
        json_int(&j, "line", b->e[i].line);
        json_string(&j, "account", b->e[i].account);
        json_string(&j, "user", b->e[i].user);
        json_string(&j, "path", b->e[i].where);
        json_bool(&j, "replaced", b->e[i].replaces);
        json_string(&j, "shadows", b->e[i].shadows[0] != '\0' ? b->e[i].shadows : NULL);
        json_close(&j, '}');
    }
    json_close(&j, ']');
    json_end(&j);
}

int import_uris(struct cli *c)
{
    struct batch b = {NULL, 0};
    char *text = NULL;
    size_t len = 0, done = 0;
    int rc = read_input(c->arg, &text, &len);
    if (rc == EXIT_OK)
        rc = parse_lines(c, text, c->arg, &b);
    totp_wipe(text, len);
    free(text);
    if (rc == EXIT_OK)
        rc = check_batch(c, &b, c->arg);
    for (; rc == EXIT_OK && !c->dry_run && done < b.n; done++)
        rc = write_one(c, &b.e[done]);
    if (rc == EXIT_OK)
        report(c, &b, b.n);
    else if (done > 1) /* say what did get in before the failure */
        report(c, &b, done - 1);
    batch_clear(&b);
    return rc;
}
