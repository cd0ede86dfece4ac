/* SPDX-License-Identifier: Apache-2.0 */
/* report.c: totpctl report: every account, and whether and where it has a second factor. */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "json.h"

struct account {
    char *name;
    long uid; /* -1: only in the directory */
    int in_directory;
};

struct accounts {
    struct account *a;
    size_t count;
};

static struct account *find(struct accounts *l, const char *name)
{
    for (size_t i = 0; i < l->count; i++) {
        if (strcmp(l->a[i].name, name) == 0)
            return &l->a[i];
    }
    return NULL;
}

static struct account *add(struct accounts *l, const char *name, long uid)
{
    struct account *more = realloc(l->a, (l->count + 1) * sizeof(*more));
    if (more == NULL)
        return NULL;
    l->a = more;
    struct account *a = &l->a[l->count];
    if ((a->name = strdup(name)) == NULL)
        return NULL;
    a->uid = uid, a->in_directory = 0;
    l->count++;
    return a;
}

static int by_name(const void *x, const void *y)
{
    return strcmp(((const struct account *)x)->name, ((const struct account *)y)->name);
}

/* Every account NSS enumerates, then (store=ldap or ad) every account the directory holds. */
static int collect(struct cli *c, struct accounts *l)
{
    setpwent();
    for (struct passwd *pw; (pw = getpwent()) != NULL;) {
        if (find(l, pw->pw_name) == NULL && add(l, pw->pw_name, (long)pw->pw_uid) == NULL)
            return cli_fail(EXIT_ERROR, "out of memory");
    }
    endpwent();
    if (c->opt.ldap_store) {
        char **names = NULL;
        totp_error err = {0};
        int rc = totp_options_list_accounts(&c->opt, &names, &err);
        if (rc != TOTP_OK)
            return cli_error(rc, &err);
        for (size_t i = 0; names[i] != NULL; i++) {
            struct account *a = find(l, names[i]);
            if (a == NULL)
                a = add(l, names[i], -1);
            if (a != NULL)
                a->in_directory = 1;
        }
        totp_store_list_free(names);
    }
    qsort(l->a, l->count, sizeof(*l->a), by_name);
    return EXIT_OK;
}

/* human (UID_MIN..UID_MAX), system (root and the rest), or directory (no NSS entry). */
static const char *kind(const struct account *a, unsigned long min, unsigned long max)
{
    if (a->uid < 0)
        return "directory";
    return (unsigned long)a->uid >= min && (unsigned long)a->uid <= max ? "human" : "system";
}

/* Where a record is, in a word, for the table (the path is in --json and status). */
static const char *place(const struct cli *c, const char *where)
{
    const char *sys = c->opt.store.system_dir != NULL ? c->opt.store.system_dir : "/var/lib/totp";
    size_t n = strlen(sys);
    if (c->opt.ldap_store)
        return c->opt.ad_store ? "ad" : "ldap";
    if (c->opt.store.secret_path != NULL)
        return "secret=";
    if (n > 0 && strncmp(where, sys, n) == 0 && where[n] == '/')
        return "system";
    if (strstr(where, "/.google_authenticator") != NULL)
        return "ga-file";
    return "home";
}

static void row_text(const struct cli *c, const struct account *a, const char *k, int rc,
                     const struct record_facts *f)
{
    char name[1200], last[16] = "never";
    cli_printable(a->name, name, sizeof(name));
    if (strlen(name) > 16)
        strcpy(name + 15, "+");
    if (rc != TOTP_OK) {
        printf("%-16s %-9s %s\n", name, k, rc == TOTP_ENOENT ? "-" : "error");
        return;
    }
    if (f->last_success >= 0) {
        time_t t = (time_t)f->last_success;
        strftime(last, sizeof(last), "%Y-%m-%d", localtime(&t));
    } else if (c->opt.ldap_store) {
        strcpy(last, "-");
    }
    char throttled[16];
    if (f->throttle.left > 0)
        snprintf(throttled, sizeof(throttled), "%us", f->throttle.left);
    else
        strcpy(throttled, "no");
    printf("%-16s %-9s %-7s %-6s %-10s %5lld %-9s %5zu\n", name, k, place(c, f->where),
           totp_algorithm_name(f->params.algorithm), last, (long long)f->failures, throttled,
           f->scratch_left);
}

static void row_json(const struct cli *c, struct json *j, const struct account *a, const char *k,
                     int rc, const struct record_facts *f, const totp_error *err)
{
    json_open(j, NULL, '{');
    json_string(j, "user", a->name);
    if (a->uid >= 0)
        json_int(j, "uid", a->uid);
    else
        json_null(j, "uid");
    json_string(j, "kind", k);
    json_bool(j, "in_directory", a->in_directory);
    json_bool(j, "enrolled", rc == TOTP_OK);
    if (rc != TOTP_OK && rc != TOTP_ENOENT)
        json_string(j, "error", err->message[0] != '\0' ? err->message : totp_strerror(rc));
    if (rc == TOTP_OK) {
        json_string(j, "store", place(c, f->where));
        json_string(j, "path", f->where);
        json_string(j, "algorithm", totp_algorithm_name(f->params.algorithm));
        json_int(j, "digits", f->params.digits);
        json_int(j, "period", f->params.period);
        if (f->last_success >= 0)
            json_int(j, "last_success", f->last_success);
        else
            json_null(j, "last_success");
        json_int(j, "failures", f->failures);
        json_bool(j, "throttled", f->throttle.left > 0);
        json_int(j, "throttle_seconds_left", f->throttle.left);
        json_int(j, "scratch_codes_left", (int64_t)f->scratch_left);
    }
    json_close(j, '}');
}

int cmd_report(struct cli *c)
{
    struct accounts l = {NULL, 0};
    struct json j;
    int status = EXIT_OK, missing = 0, errors = 0;
    unsigned long min = cli_uid_min(), max = cli_uid_max();
    int64_t now = (c->seen & OPT_AT) ? c->at : (int64_t)time(NULL);
    if (!c->is_root)
        return cli_fail(EXIT_ERROR, "report reads every account's record: run it as root");
    if ((status = collect(c, &l)) != EXIT_OK)
        goto out;
    if (c->json) {
        json_begin(&j, stdout);
        json_open(&j, "accounts", '[');
    } else {
        printf("%-16s %-9s %-7s %-6s %-10s %5s %-9s %5s\n", "USER", "KIND", "RECORD", "ALG",
               "SUCCESS", "FAILS", "THROTTLED", "CODES");
    }
    for (size_t i = 0; i < l.count; i++) {
        const struct account *a = &l.a[i];
        const char *k = kind(a, min, max);
        totp_record *rec = NULL;
        totp_error err = {0};
        struct record_facts f;
        int rc = cli_record_facts(c, a->name, now, &rec, &f, &err);
        totp_record_free(rec);
        /* --missing: people (and root) without a second factor; system accounts do not log
         * in. */
        if (c->missing && (rc != TOTP_ENOENT || (strcmp(k, "system") == 0 && a->uid != 0)))
            continue;
        missing += rc == TOTP_ENOENT;
        /* A system account's unreadable record (most often a home Debian never creates, as
         * irc's /run/ircd) is shown in its row but fails nothing: such accounts do not log in,
         * and a report that fails on every stock machine tells an administrator nothing. */
        if (rc != TOTP_OK && rc != TOTP_ENOENT && (strcmp(k, "system") != 0 || a->uid == 0)) {
            errors++;
            fprintf(stderr, "totpctl: %s\n",
                    err.message[0] != '\0' ? err.message : totp_strerror(rc));
        }
        if (c->json)
            row_json(c, &j, a, k, rc, &f, &err);
        else
            row_text(c, a, k, rc, &f);
    }
    if (c->json) {
        json_close(&j, ']');
        json_end(&j);
    }
    status = errors > 0 ? EXIT_ERROR : c->missing && missing > 0 ? EXIT_REJECTED : EXIT_OK;
out:
    for (size_t i = 0; i < l.count; i++)
        free(l.a[i].name);
    free(l.a);
    return status;
}
