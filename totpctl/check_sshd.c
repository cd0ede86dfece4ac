/* SPDX-License-Identifier: Apache-2.0 */
/* check_sshd.c: totpctl check's sshd side: the settings under which sshd never shows the code
 * prompt, or answers it with the password, or lets a key in without it. */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define SSHD_CONFIG "/etc/ssh/sshd_config"
#define SSHD_BINARY "/usr/sbin/sshd"

/* The keywords judged, and their setting in the view. */
static struct sshd_setting *setting(struct sshd_view *v, const char *keyword)
{
    if (strcasecmp(keyword, "UsePAM") == 0)
        return &v->use_pam;
    if (strcasecmp(keyword, "KbdInteractiveAuthentication") == 0 ||
        strcasecmp(keyword, "ChallengeResponseAuthentication") == 0)
        return &v->kbd_interactive;
    if (strcasecmp(keyword, "PasswordAuthentication") == 0)
        return &v->password;
    if (strcasecmp(keyword, "PubkeyAuthentication") == 0)
        return &v->pubkey;
    if (strcasecmp(keyword, "AuthenticationMethods") == 0)
        return &v->methods;
    return NULL;
}

/* sshd keeps the first value it reads for a keyword. */
static void take(struct sshd_view *v, const char *keyword, const char *value, const char *file,
                 unsigned line, int override)
{
    struct sshd_setting *s = setting(v, keyword);
    if (s == NULL || (s->line != 0 && !override))
        return;
    snprintf(s->value, sizeof(s->value), "%s", value);
    if (!override || s->line == 0) {
        snprintf(s->file, sizeof(s->file), "%s", file);
        s->line = line;
    }
}

static int read_config(struct check *k, const char *path, int depth, int *in_match);

/* Include: each argument a glob, relative to /etc/ssh. */
static void include(struct check *k, const char *args, int depth, int *in_match)
{
    char copy[4096];
    snprintf(copy, sizeof(copy), "%s", args);
    char *save = NULL;
    for (char *t = strtok_r(copy, " \t", &save); t != NULL; t = strtok_r(NULL, " \t", &save)) {
        char pattern[4200];
        glob_t g;
        snprintf(pattern, sizeof(pattern), t[0] == '/' ? "%s" : "/etc/ssh/%s", t);
        if (glob(pattern, 0, NULL, &g) == 0) {
            for (size_t i = 0; i < g.gl_pathc; i++)
                read_config(k, g.gl_pathv[i], depth + 1, in_match);
        }
        globfree(&g);
    }
}

/* The global settings of one file (up to the first Match); 0 if it cannot be read. */
static int read_config(struct check *k, const char *path, int depth, int *in_match)
{
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        if (errno != ENOENT || depth == 0)
            check_unreadable(k, "%s: cannot read: %s", path, strerror(errno));
        return 0;
    }
    char buf[4096];
    unsigned line = 0;
    while (fgets(buf, sizeof(buf), f) != NULL) {
        line++;
        char *s = buf, *key, *value;
        s[strcspn(s, "\r\n")] = '\0';
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '\0' || *s == '#')
            continue;
        key = s;
        s += strcspn(s, " \t=");
        if (*s != '\0')
            *s++ = '\0';
        while (*s == ' ' || *s == '\t' || *s == '=')
            s++;
        value = s;
        for (size_t n = strlen(value); n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t');)
            value[--n] = '\0';
        if (strcasecmp(key, "Match") == 0)
            *in_match = 1;
        else if (strcasecmp(key, "Include") == 0 && depth < 8)
            include(k, value, depth, in_match);
        else if (!*in_match)
            take(&k->sshd, key, value, path, line, 0);
    }
    fclose(f);
    return 1;
}

/* Effective values from `sshd -T` (root only): what sshd itself makes of its files. */
static void effective(struct check *k)
{
    int fds[2];
    if (access(SSHD_BINARY, X_OK) != 0 || pipe(fds) != 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        execl(SSHD_BINARY, "sshd", "-T", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = pid > 0 ? fdopen(fds[0], "r") : NULL;
    char buf[4096], last[512] = "";
    while (f != NULL && fgets(buf, sizeof(buf), f) != NULL) {
        buf[strcspn(buf, "\r\n")] = '\0';
        char *sp = strchr(buf, ' ');
        snprintf(last, sizeof(last), "%.500s", buf);
        if (sp != NULL) {
            *sp = '\0';
            take(&k->sshd, buf, sp + 1, SSHD_CONFIG, 0, 1);
        }
    }
    if (f != NULL)
        fclose(f);
    else
        close(fds[0]);
    int status = 0;
    if (pid > 0 &&
        (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0))
        check_report(k, SSHD_CONFIG, 0, SEV_WARNING,
                     "sshd -T failed (%s): judged from the files alone, which may differ from what "
                     "sshd makes of them (run sshd -t)",
                     last);
}

static void set_default(struct sshd_setting *s, const char *value, const char *file)
{
    if (s->line == 0 && s->value[0] == '\0') {
        snprintf(s->value, sizeof(s->value), "%s", value);
        snprintf(s->file, sizeof(s->file), "%s", file);
    }
}

void check_sshd_load(struct check *k, const char *config)
{
    const char *path = config != NULL ? config : SSHD_CONFIG;
    int in_match = 0;
    memset(&k->sshd, 0, sizeof(k->sshd));
    if (config == NULL && access(path, F_OK) != 0)
        return; /* no sshd here */
    if (!read_config(k, path, 0, &in_match))
        return;
    if (config == NULL && geteuid() == 0)
        effective(k);
    /* OpenSSH's own defaults for what no file says */
    set_default(&k->sshd.use_pam, "no", path);
    set_default(&k->sshd.kbd_interactive, "yes", path);
    set_default(&k->sshd.password, "yes", path);
    set_default(&k->sshd.pubkey, "yes", path);
    set_default(&k->sshd.methods, "any", path);
    k->sshd.known = 1;
}

static int is_yes(const struct sshd_setting *s)
{
    return strcasecmp(s->value, "yes") == 0;
}

/* Whether a method list (comma-separated) has `method` (a "method:submethod" counts). */
static int list_has(const char *list, size_t len, const char *method, size_t *pos)
{
    size_t n = strlen(method);
    for (size_t i = 0, start = 0; i <= len; i++) {
        if (i == len || list[i] == ',') {
            if (i - start >= n && strncmp(list + start, method, n) == 0 &&
                (i - start == n || list[start + n] == ':')) {
                *pos = start;
                return 1;
            }
            start = i + 1;
        }
    }
    return 0;
}

/* Calls `each` with every space-separated list of AuthenticationMethods; 1 if all agree. */
static int every_list(const struct sshd_view *v, int (*each)(const char *, size_t))
{
    const char *m = v->methods.value;
    if (strcmp(m, "any") == 0 || m[0] == '\0')
        return each("any", 3);
    int all = 1;
    while (*m != '\0') {
        size_t n = strcspn(m, " \t");
        if (n > 0)
            all &= each(m, n);
        m += n;
        m += strspn(m, " \t");
    }
    return all;
}

static int key_then_code(const char *list, size_t len)
{
    size_t key, kbd;
    return list_has(list, len, "publickey", &key) &&
           list_has(list, len, "keyboard-interactive", &kbd) && key < kbd;
}

static int needs_code(const char *list, size_t len)
{
    size_t kbd;
    return list_has(list, len, "keyboard-interactive", &kbd);
}

static int no_password(const char *list, size_t len)
{
    size_t pw;
    return !list_has(list, len, "password", &pw) && strncmp(list, "any", len) != 0;
}

int check_sshd_key_first(const struct check *k)
{
    return k->sshd.known && is_yes(&k->sshd.use_pam) && every_list(&k->sshd, key_then_code);
}

void check_sshd_judge(struct check *k)
{
    const struct sshd_view *v = &k->sshd;
    if (!v->known)
        return;
    if (!is_yes(&v->use_pam)) {
        check_report(k, v->use_pam.file, v->use_pam.line, SEV_ERROR,
                     "UsePAM %s: sshd never runs its PAM auth stack, so pam_totp never asks for a "
                     "code (set UsePAM yes)",
                     v->use_pam.value);
        return;
    }
    if (!is_yes(&v->kbd_interactive))
        check_report(k, v->kbd_interactive.file, v->kbd_interactive.line, SEV_ERROR,
                     "KbdInteractiveAuthentication %s: sshd never shows the code prompt of "
                     "pam.d/sshd (set it to yes in a drop-in read before sshd_config's own line)",
                     v->kbd_interactive.value);
    if (is_yes(&v->password) && !every_list(v, no_password))
        check_report(k, v->password.file, v->password.line, SEV_ERROR,
                     "PasswordAuthentication yes: sshd's password authentication runs pam.d/sshd "
                     "and answers every prompt with the password, so the code prompt gets the "
                     "password (set it to no, or leave password out of AuthenticationMethods)");
    if (is_yes(&v->pubkey) && !every_list(v, needs_code))
        check_report(k, v->methods.file, v->methods.line, SEV_ERROR,
                     "AuthenticationMethods %s: a public key alone logs in, and key logins skip "
                     "the PAM auth stack and its code (use publickey,keyboard-interactive)",
                     v->methods.value);
}
