/* SPDX-License-Identifier: Apache-2.0 */
/* check_stack.c: totpctl check's judgement of an auth stack: Linux-PAM's dispatch, run over
 * every outcome of the other modules, and what it can do with pam_totp's answer. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define VARIED_MAX 12 /* modules whose outcome is varied (2^12 runs of the stack) */

const char *check_base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

enum { OUT_SUCCESS, OUT_FAIL, OUT_IGNORE };
enum { ACT_IGNORE = 0, ACT_OK = -1, ACT_DONE = -2, ACT_BAD = -3, ACT_DIE = -4, ACT_RESET = -5 };

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
    const char *b = check_base_name(module);
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

/* What runs of the stack did: the modules run, and for each the first factor (a module whose
 * answer counts) seen failing before it in some run, 1-based (0: none). */
struct trace {
    char reached[STACK_MAX];
    unsigned char failed_before[STACK_MAX];
};

/* A module whose failure the stack goes on after, and whose answer counts (not a condition,
 * not an optional one whose success and failure change nothing). */
static int is_factor(const struct stack_entry *e)
{
    return e->kind == KIND_OTHER &&
           !(e->act[OUT_SUCCESS] == ACT_OK && e->act[OUT_FAIL] == ACT_IGNORE);
}

/* One run of Linux-PAM's dispatch (_pam_dispatch_aux): the modules varied take their outcome
 * from the bits of `combo`, pam_totp answers `totp`. 1 if the stack succeeds; `t` (if given)
 * gathers what the run did, `*stop` where it ended. */
static int dispatch(const struct auth_stack *st, unsigned long combo, int totp, struct trace *t,
                    size_t *stop)
{
    enum { UNDEF, POSITIVE, NEGATIVE } impression = UNDEF;
    int ok = 0; /* the status so far is PAM_SUCCESS */
    size_t bit = 0, i, failed = 0;
    for (i = 0; i < st->count; i++) {
        const struct stack_entry *e = &st->e[i];
        int out = OUT_SUCCESS;
        if (t != NULL) {
            t->reached[i] = 1;
            if (failed != 0 && t->failed_before[i] == 0)
                t->failed_before[i] = (unsigned char)failed;
        }
        if (e->kind == KIND_TOTP)
            out = totp;
        else if (e->kind == KIND_DENY)
            out = OUT_FAIL;
        else if (e->kind == KIND_OTHER || e->kind == KIND_CONDITION)
            out = (combo >> bit) & 1 ? OUT_SUCCESS : OUT_FAIL;
        if (out == OUT_FAIL && failed == 0 && is_factor(e))
            failed = i + 1;
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

static int varied(const struct stack_entry *e)
{
    return e->kind == KIND_OTHER || e->kind == KIND_CONDITION;
}

/* "pam_unix.so (FILE:LINE)" for messages. */
static const char *where(const struct stack_entry *e, char *out, size_t size)
{
    snprintf(out, size, "%s (%s:%u)", check_base_name(e->module), e->file, e->line);
    return out;
}

static const char *control_shown(const struct stack_entry *e, char *out, size_t size)
{
    snprintf(out, size, strchr(e->control, '=') != NULL ? "[%s]" : "%s", e->control);
    return out;
}

/* Everything the stack can do with pam_totp's answer, over every outcome of the others. */
struct verdict {
    struct trace runs;
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

static void judge_runs(const struct auth_stack *st, unsigned m, struct verdict *v)
{
    memset(v, 0, sizeof(*v));
    for (unsigned long combo = 0; combo < (1UL << m); combo++) {
        int right = dispatch(st, combo, OUT_SUCCESS, &v->runs, NULL);
        int wrong = dispatch(st, combo, OUT_FAIL, &v->runs, NULL);
        int ignored = dispatch(st, combo, OUT_IGNORE, &v->runs, NULL);
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
static int only_conditions(const struct auth_stack *st, unsigned long combo,
                           const struct stack_entry **first)
{
    size_t bit = 0;
    const struct stack_entry *condition = NULL;
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

/* The stack as `service` runs it: a condition known for that service (pam_succeed_if
 * service notin login:sudo) always succeeds or always fails there. */
static void resolve_conditions(const char *service, struct auth_stack *st)
{
    for (size_t i = 0; i < st->count; i++) {
        if (st->e[i].kind != KIND_CONDITION)
            continue;
        int c = check_condition_for_service(&st->e[i], service);
        if (c != COND_EITHER)
            st->e[i].kind = c == COND_TRUE ? KIND_PERMIT : KIND_DENY;
    }
}

static unsigned varied_count(const struct auth_stack *st)
{
    unsigned m = 0;
    for (size_t i = 0; i < st->count; i++)
        m += varied(&st->e[i]);
    return m;
}

int check_stack_judge(struct check *k, const char *service, const struct auth_stack *given)
{
    const struct stack_entry *totp = NULL;
    int nullok = 0;
    char a[4200], b[600];
    if (given->overflow || varied_count(given) > VARIED_MAX)
        return 1;
    /* What any service could run (every condition either way), to tell a pam_totp line this
     * service skips by design from one that can never run at all. */
    struct verdict any;
    judge_runs(given, varied_count(given), &any);
    struct auth_stack *st = malloc(sizeof(*st));
    if (st == NULL)
        return 1;
    memcpy(st, given, sizeof(*st));
    resolve_conditions(service, st);
    struct verdict v;
    judge_runs(st, varied_count(st), &v);
    size_t stop = 0;
    dispatch(st, 0, OUT_SUCCESS, NULL, &stop);
    int has = 0, scoped_out = 0;
    for (size_t i = 0; i < st->count; i++) {
        if (st->e[i].kind != KIND_TOTP)
            continue;
        has = 1, nullok |= st->e[i].nullok;
        if (v.runs.reached[i] && totp == NULL)
            totp = &st->e[i];
        if (!v.runs.reached[i] && any.runs.reached[i])
            scoped_out = 1; /* skipped for this service by a condition on it */
        else if (!v.runs.reached[i])
            check_report(k, st->e[i].file, st->e[i].line, SEV_ERROR,
                         "pam_totp.so never runs: the auth stack of %s always ends before it%s%s",
                         service, stop < st->count ? ", at " : "",
                         stop < st->count ? where(&st->e[stop], a, sizeof(a)) : "");
    }
    if (totp == NULL) {
        free(st);
        return has && !scoped_out;
    }
    int sshd_key = strcmp(service, "sshd") == 0 && check_sshd_key_first(k);
    for (size_t i = 0; i < st->count && !sshd_key; i++) {
        unsigned failed = v.runs.failed_before[i];
        if (st->e[i].kind == KIND_TOTP && st->e[i].enroll && failed != 0)
            check_report(k, st->e[i].file, st->e[i].line, SEV_ERROR,
                         "enroll_at_login: pam_totp.so runs in the auth stack of %s after %s "
                         "failed: whoever knows a user name reaches enrollment and can make their "
                         "own authenticator that user's (make the first factor requisite%s)",
                         service, where(&st->e[failed - 1], a, sizeof(a)),
                         strcmp(service, "sshd") == 0
                             ? ", or make sshd ask for a public key first: "
                               "AuthenticationMethods publickey,keyboard-interactive"
                             : "");
    }
    const struct stack_entry *by = NULL;
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
    free(st);
    return 1;
}

void check_stack_entry(struct stack_entry *e, const char *file, unsigned line, const char *control,
                       const char *module, int argc, char **argv)
{
    memset(e, 0, sizeof(*e));
    e->file = file, e->line = line, e->module = module, e->control = control;
    e->argc = argc, e->argv = argv;
    control_actions(control, e->act);
    e->kind = module_kind(module);
}
