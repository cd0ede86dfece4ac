/* SPDX-License-Identifier: Apache-2.0 */
/* check_pam.c: totpctl check's PAM side: the pam.d files that load pam_totp, their includes,
 * their pam_totp lines, and their auth stacks (judged in check_stack.c). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define INCLUDE_DEPTH 8 /* as deep as includes are followed */

/* One line of a pam.d file (continuations joined, comment removed). */
struct pam_line {
    unsigned line;
    char *type;    /* "auth", ...; "@include" for the directive */
    char *control; /* required, ..., [value=action ...], include, substack */
    char *module;  /* the module, or the file included */
    int argc;
    char **argv;
};

struct pam_file {
    char *path;
    int missing; /* could not be opened */
    struct pam_line *lines;
    size_t count;
};

struct pam_files {
    struct pam_file **f; /* each on its own: a pointer to one stays valid as more are loaded */
    size_t count;
};

/* The tokens of a line: words, and [...] groups without their brackets ("\]" is ]). */
static int tokens(char *s, char **tok, int max)
{
    int n = 0;
    while (n < max) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '\0')
            break;
        tok[n++] = s;
        if (*s == '[') {
            char *out = s, *p = s + 1;
            for (; *p != '\0' && *p != ']'; p++) {
                if (*p == '\\' && p[1] == ']')
                    p++;
                *out++ = *p;
            }
            s = *p == ']' ? p + 1 : p;
            *out = '\0';
            continue;
        }
        while (*s != '\0' && *s != ' ' && *s != '\t')
            s++;
        if (*s != '\0')
            *s++ = '\0';
    }
    return n;
}

static void parse_line(struct pam_file *pf, char *text, unsigned lineno)
{
    char *tok[64];
    char *hash = strchr(text, '#');
    if (hash != NULL)
        *hash = '\0';
    int n = tokens(text, tok, 64);
    if (n == 0)
        return;
    struct pam_line *more = realloc(pf->lines, (pf->count + 1) * sizeof(*more));
    if (more == NULL)
        return;
    pf->lines = more;
    struct pam_line *l = &pf->lines[pf->count];
    memset(l, 0, sizeof(*l));
    l->line = lineno;
    if (strcmp(tok[0], "@include") == 0) {
        if (n < 2)
            return;
        l->type = strdup("@include");
        l->control = strdup("include");
        l->module = strdup(tok[1]);
    } else {
        if (n < 3)
            return;
        l->type = strdup(tok[0][0] == '-' ? tok[0] + 1 : tok[0]);
        l->control = strdup(tok[1]);
        l->module = strdup(tok[2]);
        l->argc = n - 3;
        l->argv = calloc((size_t)l->argc + 1, sizeof(char *));
        for (int i = 0; l->argv != NULL && i < l->argc; i++)
            l->argv[i] = strdup(tok[i + 3]);
    }
    pf->count++;
}

static void parse_text(struct pam_file *pf, char *text)
{
    unsigned lineno = 0, first = 0;
    char *logical = NULL;
    size_t len = 0;
    for (char *line = text, *next; line != NULL && *line != '\0'; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        lineno++;
        size_t n = strlen(line);
        int continued = n > 0 && line[n - 1] == '\\';
        if (continued)
            line[--n] = '\0';
        char *joined = realloc(logical, len + n + 2);
        if (joined == NULL)
            break;
        if (len == 0)
            first = lineno;
        logical = joined;
        memcpy(logical + len, line, n);
        len += n;
        logical[len++] = ' ';
        logical[len] = '\0';
        if (!continued) {
            parse_line(pf, logical, first);
            len = 0;
        }
    }
    if (len > 0)
        parse_line(pf, logical, first);
    free(logical);
}

/* The parsed file at `path` (read once). */
static struct pam_file *load(struct check *k, struct pam_files *fs, const char *path)
{
    for (size_t i = 0; i < fs->count; i++) {
        if (strcmp(fs->f[i]->path, path) == 0)
            return fs->f[i];
    }
    struct pam_file **more = realloc(fs->f, (fs->count + 1) * sizeof(*more));
    if (more == NULL)
        return NULL;
    fs->f = more;
    struct pam_file *pf = calloc(1, sizeof(*pf));
    if (pf == NULL || (pf->path = strdup(path)) == NULL) {
        free(pf);
        return NULL;
    }
    fs->f[fs->count++] = pf;
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        pf->missing = 1;
        if (errno != ENOENT)
            check_unreadable(k, "%s: cannot read: %s", path, strerror(errno));
        return pf;
    }
    char *text = NULL;
    size_t size = 0;
    ssize_t got = getdelim(&text, &size, '\0', f);
    fclose(f);
    if (got > 0)
        parse_text(pf, text);
    free(text);
    return pf;
}

static void free_files(struct pam_files *fs)
{
    for (size_t i = 0; i < fs->count; i++) {
        for (size_t j = 0; j < fs->f[i]->count; j++) {
            struct pam_line *l = &fs->f[i]->lines[j];
            for (int a = 0; a < l->argc && l->argv != NULL; a++)
                free(l->argv[a]);
            free(l->argv), free(l->type), free(l->control), free(l->module);
        }
        free(fs->f[i]->lines);
        free(fs->f[i]->path);
        free(fs->f[i]);
    }
    free(fs->f);
}

static int is_totp(const struct pam_line *l)
{
    return strcmp(check_base_name(l->module), "pam_totp.so") == 0;
}

static int is_include(const struct pam_line *l)
{
    return strcmp(l->control, "include") == 0 || strcmp(l->control, "substack") == 0;
}

/* An included file's path: relative names are in the PAM directory. */
static void include_path(const struct check *k, const char *name, char *out, size_t size)
{
    if (name[0] == '/')
        snprintf(out, size, "%s", name);
    else
        snprintf(out, size, "%s/%s", k->pam_dir, name);
}

/* Whether the file loads pam_totp.so, itself or through what it includes. */
static int loads_totp(struct check *k, struct pam_files *fs, const char *path, int depth)
{
    struct pam_file *pf = load(k, fs, path);
    if (pf == NULL || depth > INCLUDE_DEPTH)
        return 0;
    for (size_t i = 0; i < pf->count; i++) {
        char inc[4096];
        if (is_totp(&pf->lines[i]))
            return 1;
        if (is_include(&pf->lines[i])) {
            include_path(k, pf->lines[i].module, inc, sizeof(inc));
            if (strcmp(inc, path) != 0 && loads_totp(k, fs, inc, depth + 1))
                return 1;
        }
    }
    return 0;
}

/* The auth lines of `path` in the order PAM runs them, includes and substacks expanded (a
 * substack is taken as an include: its "done" and "die" end only the substack in PAM). Each
 * pam_totp line's options are judged on the way. */
static void expand_auth(struct check *k, struct pam_files *fs, const char *path, int depth,
                        struct auth_stack *st)
{
    struct pam_file *pf = load(k, fs, path);
    if (pf == NULL || depth > INCLUDE_DEPTH)
        return;
    for (size_t i = 0; i < pf->count; i++) {
        const struct pam_line *l = &pf->lines[i];
        int all = strcmp(l->type, "@include") == 0;
        if (!all && is_totp(l) && strcmp(l->type, "auth") != 0)
            check_report(k, pf->path, l->line, SEV_ERROR,
                         "pam_totp.so on a \"%s\" line: it is an auth module only (PAM fails "
                         "this %s stack)",
                         l->type, l->type);
        if (!all && strcmp(l->type, "auth") != 0)
            continue;
        if (is_include(l)) {
            char inc[4096];
            include_path(k, l->module, inc, sizeof(inc));
            struct pam_file *sub = load(k, fs, inc);
            if (sub != NULL && sub->missing)
                check_report(k, pf->path, l->line, all ? SEV_WARNING : SEV_ERROR,
                             "includes %s, which cannot be opened (PAM fails the stack)", inc);
            else if (strcmp(inc, path) != 0)
                expand_auth(k, fs, inc, depth + 1, st);
            continue;
        }
        if (st->count == STACK_MAX) {
            st->overflow = 1;
            return;
        }
        struct stack_entry *e = &st->e[st->count++];
        check_stack_entry(e, pf->path, l->line, l->control, l->module, l->argc, l->argv);
        if (e->kind == KIND_TOTP) {
            totp_options opt;
            check_module_options(k, pf->path, l->line, l->argc, (const char **)l->argv, &opt);
            e->nullok = opt.nullok;
            e->enroll = opt.enroll_at_login;
            totp_options_clear(&opt);
        }
    }
}

static int skipped_name(const char *name)
{
    size_t n = strlen(name);
    return name[0] == '.' || (n > 0 && name[n - 1] == '~') || strstr(name, ".dpkg-") != NULL ||
           strstr(name, ".ucf-") != NULL;
}

static int compare_names(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

void check_pam_dir(struct check *k)
{
    DIR *d = opendir(k->pam_dir);
    if (d == NULL) {
        check_unreadable(k, "%s: cannot read: %s", k->pam_dir, strerror(errno));
        return;
    }
    char **names = NULL;
    size_t count = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        if (skipped_name(de->d_name))
            continue;
        char **more = realloc(names, (count + 1) * sizeof(*more));
        if (more == NULL)
            break;
        names = more;
        if ((names[count] = strdup(de->d_name)) != NULL)
            count++;
    }
    closedir(d);
    qsort(names, count, sizeof(*names), compare_names);
    struct pam_files fs = {NULL, 0};
    for (size_t i = 0; i < count; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", k->pam_dir, names[i]);
        if (!loads_totp(k, &fs, path, 0))
            continue;
        struct auth_stack *st = calloc(1, sizeof(*st));
        if (st == NULL)
            break;
        expand_auth(k, &fs, path, 0, st);
        if (check_stack_judge(k, names[i], st) && strcmp(names[i], "sshd") == 0)
            k->sshd_has_totp = 1;
        free(st);
    }
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    free_files(&fs);
}
