/* SPDX-License-Identifier: Apache-2.0 */
/* check_pam.c: totpctl check's PAM side: the pam.d files that load pam_totp, their includes,
 * and what their auth stacks do with its answer (Linux-PAM's dispatch, run over every outcome
 * of the other modules). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define INCLUDE_DEPTH 8  /* as deep as includes are followed */
#define STACK_MAX     64 /* auth lines judged per service */
#define VARIED_MAX    12 /* modules whose outcome is varied (2^12 runs of the stack) */

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
    struct pam_file *f;
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
        if (strcmp(fs->f[i].path, path) == 0)
            return &fs->f[i];
    }
    struct pam_file *more = realloc(fs->f, (fs->count + 1) * sizeof(*more));
    if (more == NULL)
        return NULL;
    fs->f = more;
    struct pam_file *pf = &fs->f[fs->count++];
    memset(pf, 0, sizeof(*pf));
    pf->path = strdup(path);
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
        for (size_t j = 0; j < fs->f[i].count; j++) {
            struct pam_line *l = &fs->f[i].lines[j];
            for (int a = 0; a < l->argc && l->argv != NULL; a++)
                free(l->argv[a]);
            free(l->argv), free(l->type), free(l->control), free(l->module);
        }
        free(fs->f[i].lines);
        free(fs->f[i].path);
    }
    free(fs->f);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

static int is_totp(const struct pam_line *l)
{
    return strcmp(base_name(l->module), "pam_totp.so") == 0;
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

/* ---- the auth stack, and Linux-PAM's dispatch over it --------------------------------- */

enum { OUT_SUCCESS, OUT_FAIL, OUT_IGNORE };
enum { ACT_IGNORE = 0, ACT_OK = -1, ACT_DONE = -2, ACT_BAD = -3, ACT_DIE = -4, ACT_RESET = -5 };
enum { KIND_OTHER, KIND_CONDITION, KIND_PERMIT, KIND_DENY, KIND_TOTP };

struct entry {
    const char *file;
    unsigned line;
    const char *module;
    const char *control;
    int act[3]; /* per OUT_* */
    int kind;
    int nullok;
};

struct stack {
    struct entry e[STACK_MAX];
    size_t count;
    int overflow;
};

static int action(const char *v)
{
    static const struct {
        const char *name;
        int act;
    } names[] = {{"ignore", ACT_IGNORE}, {"ok", ACT_OK},   {"done", ACT_DONE},
                 {"bad", ACT_BAD},       {"die", ACT_DIE}, {"reset", ACT_RESET}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(v, names[i].name) == 0)
            return names[i].act;
    }
    int n = atoi(v);
    return n > 0 ? n : ACT_BAD;
}

/* The actions of a control for success, an authentication failure and "ignore". */
static void control_actions(const char *control, int act[3])
{
    static const struct {
        const char *name;
        int s, f, i;
    } words[] = {{"required", ACT_OK, ACT_BAD, ACT_IGNORE},
                 {"requisite", ACT_OK, ACT_DIE, ACT_IGNORE},
                 {"sufficient", ACT_DONE, ACT_IGNORE, ACT_IGNORE},
                 {"optional", ACT_OK, ACT_IGNORE, ACT_IGNORE}};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strcmp(control, words[i].name) == 0) {
            act[OUT_SUCCESS] = words[i].s, act[OUT_FAIL] = words[i].f;
            act[OUT_IGNORE] = words[i].i;
            return;
        }
    }
    /* value=action ... (the brackets gone): success, auth_err, ignore, else default ("bad" if
     * absent). */
    int dflt = ACT_BAD, s = 1, f = 1, ig = 1;
    char copy[512];
    snprintf(copy, sizeof(copy), "%s", control);
    char *save = NULL;
    for (char *t = strtok_r(copy, " \t", &save); t != NULL; t = strtok_r(NULL, " \t", &save)) {
        char *eq = strchr(t, '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        int a = action(eq + 1);
        if (strcmp(t, "default") == 0)
            dflt = a;
        else if (strcmp(t, "success") == 0)
            act[OUT_SUCCESS] = a, s = 0;
        else if (strcmp(t, "auth_err") == 0)
            act[OUT_FAIL] = a, f = 0;
        else if (strcmp(t, "ignore") == 0)
            act[OUT_IGNORE] = a, ig = 0;
    }
    if (s)
        act[OUT_SUCCESS] = dflt;
    if (f)
        act[OUT_FAIL] = dflt;
    if (ig)
        act[OUT_IGNORE] = dflt;
}

static int module_kind(const char *module)
{
    static const char *const conditions[] = {
        "pam_succeed_if.so", "pam_access.so", "pam_listfile.so", "pam_localuser.so",
        "pam_wheel.so",      "pam_rootok.so", "pam_time.so",     "pam_group.so",
        "pam_shells.so",     "pam_nologin.so"};
    /* modules that always answer success in the auth stack */
    static const char *const neutral[] = {"pam_permit.so",    "pam_env.so",  "pam_cap.so",
                                          "pam_faildelay.so", "pam_echo.so", "pam_motd.so",
                                          "pam_keyinit.so",   "pam_umask.so"};
    const char *b = base_name(module);
    if (strcmp(b, "pam_totp.so") == 0)
        return KIND_TOTP;
    if (strcmp(b, "pam_deny.so") == 0)
        return KIND_DENY;
    for (size_t i = 0; i < sizeof(neutral) / sizeof(neutral[0]); i++) {
        if (strcmp(b, neutral[i]) == 0)
            return KIND_PERMIT;
    }
    for (size_t i = 0; i < sizeof(conditions) / sizeof(conditions[0]); i++) {
        if (strcmp(b, conditions[i]) == 0)
            return KIND_CONDITION;
    }
    return KIND_OTHER;
}

/* The auth lines of `path` in the order PAM runs them, includes and substacks expanded (a
 * substack is taken as an include: its "done" and "die" end only the substack in PAM). Each
 * pam_totp line's options are judged on the way. */
static void expand_auth(struct check *k, struct pam_files *fs, const char *path, int depth,
                        struct stack *st)
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
        struct entry *e = &st->e[st->count++];
        memset(e, 0, sizeof(*e));
        e->file = pf->path, e->line = l->line, e->module = l->module, e->control = l->control;
        control_actions(l->control, e->act);
        e->kind = module_kind(l->module);
        if (e->kind == KIND_TOTP) {
            totp_options opt;
            check_module_options(k, pf->path, l->line, l->argc, (const char **)l->argv, &opt);
            e->nullok = opt.nullok;
            totp_options_clear(&opt);
        }
    }
}

/* One run of Linux-PAM's dispatch (_pam_dispatch_aux): the modules varied take their outcome
 * from the bits of `combo`, pam_totp answers `totp`. 1 if the stack succeeds; `reached` marks
 * the modules run, `*stop` where it ended. */
static int dispatch(const struct stack *st, unsigned long combo, int totp, char *reached,
                    size_t *stop)
{
    enum { UNDEF, POSITIVE, NEGATIVE } impression = UNDEF;
    int ok = 0; /* the status so far is PAM_SUCCESS */
    size_t bit = 0, i;
    for (i = 0; i < st->count; i++) {
        const struct entry *e = &st->e[i];
        int out = OUT_SUCCESS;
        if (reached != NULL)
            reached[i] = 1;
        if (e->kind == KIND_TOTP)
            out = totp;
        else if (e->kind == KIND_DENY)
            out = OUT_FAIL;
        else if (e->kind == KIND_OTHER || e->kind == KIND_CONDITION)
            out = (combo >> bit) & 1 ? OUT_SUCCESS : OUT_FAIL;
        int act = e->act[out];
        if (act == ACT_OK || act == ACT_DONE) {
            if ((impression == UNDEF || (impression == POSITIVE && ok)) && out != OUT_IGNORE)
                impression = POSITIVE, ok = out == OUT_SUCCESS;
            if (act == ACT_DONE && impression != NEGATIVE)
                break;
        } else if (act == ACT_BAD || act == ACT_DIE) {
            if (impression != NEGATIVE)
                impression = NEGATIVE, ok = out == OUT_SUCCESS;
            if (act == ACT_DIE)
                break;
        } else if (act == ACT_RESET) {
            impression = UNDEF, ok = 0;
        } else if (act > 0) {
            /* the skipped modules' bits must stay in place */
            for (int j = 0; j < act && i + 1 < st->count; j++) {
                i++;
                bit += st->e[i].kind == KIND_OTHER || st->e[i].kind == KIND_CONDITION;
            }
        }
        bit += e->kind == KIND_OTHER || e->kind == KIND_CONDITION;
    }
    if (stop != NULL)
        *stop = i;
    return impression == POSITIVE && ok;
}

static int varied(const struct entry *e)
{
    return e->kind == KIND_OTHER || e->kind == KIND_CONDITION;
}

/* "pam_unix.so (FILE:LINE)" for messages. */
static const char *where(const struct entry *e, char *out, size_t size)
{
    snprintf(out, size, "%s (%s:%u)", base_name(e->module), e->file, e->line);
    return out;
}

static const char *control_shown(const struct entry *e, char *out, size_t size)
{
    snprintf(out, size, strchr(e->control, '=') != NULL ? "[%s]" : "%s", e->control);
    return out;
}

/* Everything the stack can do with pam_totp's answer, over every outcome of the others. */
struct verdict {
    char reached[STACK_MAX];
    int can_deny;            /* some outcome: a right code passes, a wrong one is refused */
    int any_pass;            /* some outcome with a right code passes */
    int ignored_pass;        /* some outcome passes a user pam_totp ignores (nullok) */
    int bypass;              /* some outcome passes a wrong code */
    unsigned long bypass_by; /* the one with the fewest other modules succeeding */
    int code_alone;          /* everything else failing, a right code passes */
    int nobody_else;         /* everything else failing, a user pam_totp ignores passes */
};

static int bits(unsigned long v)
{
    int n = 0;
    for (; v != 0; v &= v - 1)
        n++;
    return n;
}

static void judge_runs(const struct stack *st, unsigned m, struct verdict *v)
{
    memset(v, 0, sizeof(*v));
    for (unsigned long combo = 0; combo < (1UL << m); combo++) {
        int right = dispatch(st, combo, OUT_SUCCESS, v->reached, NULL);
        int wrong = dispatch(st, combo, OUT_FAIL, v->reached, NULL);
        int ignored = dispatch(st, combo, OUT_IGNORE, v->reached, NULL);
        v->any_pass |= right;
        v->can_deny |= right && !wrong;
        v->ignored_pass |= ignored;
        if (wrong && (!v->bypass || bits(combo) < bits(v->bypass_by)))
            v->bypass = 1, v->bypass_by = combo;
    }
    v->code_alone = dispatch(st, 0, OUT_SUCCESS, NULL, NULL);
    v->nobody_else = dispatch(st, 0, OUT_IGNORE, NULL, NULL);
}

/* The modules that succeed in outcome `combo`: 1 if only conditions (pam_succeed_if, ...) do.
 * `first` is the first other one, else the first condition. */
static int only_conditions(const struct stack *st, unsigned long combo, const struct entry **first)
{
    size_t bit = 0;
    const struct entry *condition = NULL;
    *first = NULL;
    for (size_t i = 0; i < st->count; i++) {
        if (!varied(&st->e[i]) || !((combo >> bit++) & 1))
            continue;
        if (st->e[i].kind == KIND_OTHER && *first == NULL)
            *first = &st->e[i];
        if (st->e[i].kind == KIND_CONDITION && condition == NULL)
            condition = &st->e[i];
    }
    if (*first != NULL)
        return 0;
    *first = condition;
    return 1;
}

static void judge_stack(struct check *k, const char *service, const struct stack *st)
{
    const struct entry *totp = NULL;
    unsigned m = 0;
    int nullok = 0;
    char a[4200], b[600];
    for (size_t i = 0; i < st->count; i++) {
        m += varied(&st->e[i]);
        nullok |= st->e[i].kind == KIND_TOTP && st->e[i].nullok;
        if (st->e[i].kind == KIND_TOTP && totp == NULL)
            totp = &st->e[i];
    }
    if (totp == NULL || m > VARIED_MAX || st->overflow)
        return;
    struct verdict v;
    judge_runs(st, m, &v);
    size_t stop = 0;
    dispatch(st, 0, OUT_SUCCESS, NULL, &stop);
    for (size_t i = 0; i < st->count; i++) {
        if (st->e[i].kind == KIND_TOTP && !v.reached[i])
            check_report(k, st->e[i].file, st->e[i].line, SEV_ERROR,
                         "pam_totp.so never runs: the auth stack of %s always ends before it%s%s",
                         service, stop < st->count ? ", at " : "",
                         stop < st->count ? where(&st->e[stop], a, sizeof(a)) : "");
    }
    if (!v.reached[totp - st->e])
        return;
    int sshd_key = strcmp(service, "sshd") == 0 && check_sshd_key_first(k);
    const struct entry *by = NULL;
    if (v.bypass && !only_conditions(st, v.bypass_by, &by))
        check_report(k, totp->file, totp->line, SEV_ERROR,
                     "a wrong code still passes the auth stack of %s when %s succeeds (pam_totp.so "
                     "is %s there)",
                     service, where(by, a, sizeof(a)), control_shown(totp, b, sizeof(b)));
    else if (v.bypass && v.bypass_by == 0)
        check_report(k, totp->file, totp->line, SEV_ERROR,
                     "a wrong code still passes the auth stack of %s: pam_totp.so's answer "
                     "decides nothing (%s)",
                     service, control_shown(totp, b, sizeof(b)));
    else if (v.bypass)
        check_report(k, totp->file, totp->line, SEV_WARNING,
                     "the auth stack of %s lets some users in without a code when %s succeeds: "
                     "an exemption, as meant?",
                     service, where(by, a, sizeof(a)));
    if (nullok && v.nobody_else)
        check_report(k, totp->file, totp->line, sshd_key ? SEV_WARNING : SEV_ERROR,
                     "nullok: a user without a record passes the auth stack of %s with nothing "
                     "checked by PAM%s",
                     service,
                     sshd_key ? " (sshd asks for a public key first: for a roll-out only)" : "");
    else if (nullok && !v.ignored_pass && v.any_pass)
        check_report(k, totp->file, totp->line, SEV_WARNING,
                     "nullok has no effect in the auth stack of %s: a user without a record is "
                     "refused (PAM refuses a stack in which no module said yes; add pam_permit "
                     "after it, as examples/pam.d/sshd-rollout does)",
                     service);
    if (v.code_alone && !sshd_key && !(nullok && v.nobody_else))
        check_report(k, totp->file, totp->line, SEV_WARNING,
                     "a right code alone passes the auth stack of %s: no other factor is checked "
                     "by PAM%s",
                     service,
                     strcmp(service, "sshd") == 0
                         ? " (make sshd ask for a public key first: AuthenticationMethods "
                           "publickey,keyboard-interactive)"
                         : "");
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
        struct stack *st = calloc(1, sizeof(*st));
        if (st == NULL)
            break;
        expand_auth(k, &fs, path, 0, st);
        int has = 0;
        for (size_t j = 0; j < st->count; j++)
            has |= st->e[j].kind == KIND_TOTP;
        if (has && strcmp(names[i], "sshd") == 0)
            k->sshd_has_totp = 1;
        judge_stack(k, names[i], st);
        free(st);
    }
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    free_files(&fs);
}
