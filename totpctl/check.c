/* SPDX-License-Identifier: Apache-2.0 */
/* check.c: totpctl check: the findings, the site file, pam_totp's options, the output. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "json.h"

void check_report(struct check *k, const char *file, unsigned line, int severity, const char *fmt,
                  ...)
{
    char reason[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < k->count; i++) {
        if (k->found[i].line == line && strcmp(k->found[i].file, file) == 0 &&
            strcmp(k->found[i].reason, reason) == 0)
            return;
    }
    if (k->count == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 16;
        struct finding *more = realloc(k->found, cap * sizeof(*more));
        if (more == NULL)
            return;
        k->found = more, k->cap = cap;
    }
    struct finding *f = &k->found[k->count];
    f->file = strdup(file);
    f->reason = strdup(reason);
    f->line = line;
    f->severity = severity;
    if (f->file != NULL && f->reason != NULL)
        k->count++;
    else
        free(f->file), free(f->reason);
}

void check_unreadable(struct check *k, const char *fmt, ...)
{
    va_list ap;
    fputs("totpctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    k->cannot_read = 1;
}

int check_once(struct check *k, const char *path)
{
    for (size_t i = 0; i < k->checked_count; i++) {
        if (strcmp(k->checked_files[i], path) == 0)
            return 1;
    }
    char **more = realloc(k->checked_files, (k->checked_count + 1) * sizeof(*more));
    if (more == NULL)
        return 1;
    k->checked_files = more;
    if ((more[k->checked_count] = strdup(path)) != NULL)
        k->checked_count++;
    return 0;
}

/* Where each option of a site file was set, for findings about combinations. */
struct conf_lines {
    struct check *k;
    const char *path;
    int report; /* report refused lines (the first time the file is read) */
    struct {
        char name[64];
        unsigned line;
    } seen[64];
    size_t count;
};

static void conf_line(void *ctx, unsigned line, const char *name, const char *problem)
{
    struct conf_lines *l = ctx;
    if (problem != NULL) {
        if (l->report)
            check_report(l->k, l->path, line, SEV_ERROR, "%s", problem);
        return;
    }
    for (size_t i = 0; i < l->count; i++) {
        if (strcmp(l->seen[i].name, name) == 0) {
            l->seen[i].line = line;
            return;
        }
    }
    if (l->count < sizeof(l->seen) / sizeof(l->seen[0])) {
        snprintf(l->seen[l->count].name, sizeof(l->seen[0].name), "%s", name);
        l->seen[l->count++].line = line;
    }
}

static unsigned line_of(const struct conf_lines *l, const char *name)
{
    for (size_t i = 0; i < l->count; i++) {
        if (strcmp(l->seen[i].name, name) == 0)
            return l->seen[i].line;
    }
    return 0;
}

/* A key or password file the options name, judged as the module would read it. */
static void check_secret(struct check *k, const char *option, const char *path, const char *file,
                         unsigned line)
{
    totp_error err = {0};
    if (path == NULL || check_once(k, path))
        return;
    if (totp_secret_file_check(option, path, &err) != TOTP_OK)
        check_report(k, file, line, SEV_ERROR, "%s", err.message);
}

/* secret= naming one file for everyone, outside any home (no ~, ${HOME} or ${USER}): root's
 * and nobody else's to read, as the system store. */
static void check_fixed_secret(struct check *k, const totp_options *opt, const char *file,
                               unsigned line)
{
    const char *path = opt->store.secret_path;
    struct stat st;
    if (path == NULL || path[0] != '/' || strchr(path, '$') != NULL || check_once(k, path))
        return;
    if (lstat(path, &st) != 0)
        check_report(k, file, line, SEV_ERROR, "secret=%s: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        check_report(k, file, line, SEV_ERROR, "secret=%s: not a regular file", path);
    else if (st.st_uid != 0 && !opt->store.fixed_user)
        check_report(k, file, line, SEV_ERROR, "secret=%s: owned by uid %u, not root", path,
                     (unsigned)st.st_uid);
    else if (st.st_mode & 077 & ~opt->store.allowed_perm)
        check_report(k, file, line, SEV_ERROR, "secret=%s: mode %04o lets group or others in", path,
                     (unsigned)(st.st_mode & 07777));
}

/* Store, secret files and clear text of options as a whole, reported at FILE:LINE. The store
 * message of the site file alone is not repeated at each module line. */
static void check_combination(struct check *k, const totp_options *opt, const char *file,
                              unsigned line, const struct conf_lines *site, char *store_msg,
                              size_t store_msg_size)
{
    totp_store *store = NULL;
    totp_error err = {0};
    if (totp_options_store(opt, &store, &err) != TOTP_OK &&
        (store_msg == NULL || strcmp(store_msg, err.message) != 0)) {
        check_report(k, file, site != NULL ? line_of(site, "store") : line, SEV_ERROR, "%s",
                     err.message);
        if (store_msg != NULL)
            snprintf(store_msg, store_msg_size, "%s", err.message);
    }
    totp_store_free(store);
    if (opt->ldap_store && opt->ldap.insecure_cleartext)
        check_report(k, file, site != NULL ? line_of(site, "ldap_insecure_cleartext") : line,
                     SEV_ERROR,
                     "ldap_insecure_cleartext: ldap:// without StartTLS sends the bind password "
                     "and every secret readable (for tests only)");
    if (opt->ldap_store && opt->ldap.bind_dn != NULL)
        check_secret(k, "ldap_bind_pw_file", opt->ldap.bind_pw_file, file,
                     site != NULL ? line_of(site, "ldap_bind_pw_file") : line);
    if (opt->ad_store)
        check_secret(k, "ad_key_file", opt->ad_key_file, file,
                     site != NULL ? line_of(site, "ad_key_file") : line);
    if (!opt->ldap_store)
        check_fixed_secret(k, opt, file, site != NULL ? line_of(site, "secret") : line);
}

/* Read site file `path` into `opt`; the first time, report its problems. 0 if it cannot be
 * used at all (the module would refuse every login). */
static int load_site(struct check *k, const char *path, int optional, totp_options *opt,
                     struct conf_lines *lines)
{
    totp_error err = {0};
    memset(lines, 0, sizeof(*lines));
    lines->k = k, lines->path = path;
    lines->report = !check_once(k, path);
    int rc = totp_conf_check(path, opt, conf_line, lines, &err);
    if (rc == TOTP_ENOENT && optional)
        return 1;
    /* What the command line names must be there; what a module line names is a finding. */
    if (rc != TOTP_OK && (err.sys_errno == EACCES || (rc == TOTP_ENOENT && path == k->c->conf))) {
        if (lines->report)
            check_unreadable(k, "%s", err.message);
        return 0;
    }
    if (rc != TOTP_OK && lines->report)
        check_report(k, path, 0, SEV_ERROR, "%s (the module refuses every login)", err.message);
    struct stat st;
    if (rc == TOTP_OK && lines->report && stat(path, &st) == 0 && st.st_uid != 0)
        check_report(k, path, 0, SEV_WARNING,
                     "owned by uid %u, not root: the module run by root (sshd, sudo) refuses it",
                     (unsigned)st.st_uid);
    return rc == TOTP_OK;
}

void check_module_options(struct check *k, const char *file, unsigned line, int argc,
                          const char **argv, totp_options *opt)
{
    totp_error err = {0};
    const char *conf = k->conf;
    char *store_msg = NULL;
    int optional = k->c->conf == NULL;
    struct conf_lines lines;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "conf=", 5) == 0 && argv[i][5] == '/')
            conf = argv[i] + 5, optional = 0;
    }
    totp_options_init(opt);
    /* The default site file was judged first (cmd_check); another is judged the first time. */
    if (load_site(k, conf, optional, opt, &lines) && lines.report)
        check_combination(k, opt, conf, 0, &lines, NULL, 0);
    for (int i = 0; i < argc; i++) {
        if (totp_options_set(opt, argv[i], &err) != TOTP_OK)
            check_report(k, file, line, SEV_ERROR, "pam_totp.so: %s", err.message);
    }
    if (opt->ldap_store) { /* as totp_options_load() */
        opt->policy.noskewadj = 1;
        opt->policy.no_increment_hotp = 1;
    }
    if (conf == k->conf)
        store_msg = k->site_store_msg;
    check_combination(k, opt, file, line, NULL, store_msg, sizeof(k->site_store_msg));
}

static void print_text(const struct check *k)
{
    char file[4096 * 3], reason[1024 * 3];
    for (size_t i = 0; i < k->count; i++) {
        const struct finding *f = &k->found[i];
        printf("%s:%u: %s: %s\n", cli_printable(f->file, file, sizeof(file)), f->line,
               f->severity == SEV_ERROR ? "error" : "warning",
               cli_printable(f->reason, reason, sizeof(reason)));
    }
}

static void print_json(const struct check *k)
{
    struct json j;
    json_begin_array(&j, stdout);
    for (size_t i = 0; i < k->count; i++) {
        const struct finding *f = &k->found[i];
        json_open(&j, NULL, '{');
        json_string(&j, "file", f->file);
        json_int(&j, "line", f->line);
        json_string(&j, "severity", f->severity == SEV_ERROR ? "error" : "warning");
        json_string(&j, "reason", f->reason);
        json_close(&j, '}');
    }
    json_end_array(&j);
}

int cmd_check(struct cli *c)
{
    struct check k;
    memset(&k, 0, sizeof(k));
    k.c = c;
    k.conf = c->conf != NULL ? c->conf : TOTP_CONF_DEFAULT;
    k.pam_dir = c->pam_dir != NULL ? c->pam_dir : "/etc/pam.d";
    if (c->conf != NULL && c->conf[0] != '/')
        return cli_fail(EXIT_USAGE, "--conf %s: must be an absolute path", c->conf);
    check_sshd_load(&k, c->sshd_config);
    /* The site file on its own, as totpctl and every module line without conf= read it. */
    totp_options site;
    totp_options_init(&site);
    struct conf_lines lines;
    if (load_site(&k, k.conf, c->conf == NULL, &site, &lines))
        check_combination(&k, &site, k.conf, 0, &lines, k.site_store_msg, sizeof(k.site_store_msg));
    totp_options_clear(&site);
    check_pam_dir(&k);
    if (k.sshd_has_totp)
        check_sshd_judge(&k);
    int errors = 0;
    for (size_t i = 0; i < k.count; i++)
        errors += k.found[i].severity == SEV_ERROR;
    if (c->json)
        print_json(&k);
    else
        print_text(&k);
    for (size_t i = 0; i < k.count; i++)
        free(k.found[i].file), free(k.found[i].reason);
    free(k.found);
    for (size_t i = 0; i < k.checked_count; i++)
        free(k.checked_files[i]);
    free(k.checked_files);
    if (k.cannot_read)
        return EXIT_ERROR;
    return errors > 0 ? EXIT_REJECTED : EXIT_OK;
}
