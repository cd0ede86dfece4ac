/* SPDX-License-Identifier: Apache-2.0 */
/* check.h: totpctl check's findings and what its parts (site file, PAM stacks, sshd) share. */
#ifndef TOTPCTL_CHECK_H
#define TOTPCTL_CHECK_H

#include <stddef.h>

#include "cli.h"

enum { SEV_WARNING = 0, SEV_ERROR = 1 };

struct finding {
    char *file;
    unsigned line; /* 0: the file as a whole, or a setting left at its default */
    int severity;
    char *reason;
};

/* One sshd_config keyword: its effective value and where it was set (line 0: the default). */
struct sshd_setting {
    char value[512];
    char file[4096];
    unsigned line;
};

/* What sshd does with PAM, as far as totpctl check judges it. */
struct sshd_view {
    int known; /* a configuration was read */
    struct sshd_setting use_pam, kbd_interactive, password, pubkey, methods;
};

struct check {
    const struct cli *c;
    const char *conf;    /* the site file: --conf, else /etc/security/pam_totp.conf */
    const char *pam_dir; /* --pam-dir, else /etc/pam.d */
    int cannot_read;     /* something that must be read could not be: exit 3 */
    struct finding *found;
    size_t count, cap;
    struct sshd_view sshd;
    int sshd_has_totp;    /* pam.d/sshd's auth stack has pam_totp (set by check_pam_dir) */
    char **checked_files; /* secret and site files already judged, to report each once */
    size_t checked_count;
    char site_store_msg[384]; /* the site file's own store problem, not repeated per line */
};

/* Record a finding (the same file, line and reason once). */
void check_report(struct check *k, const char *file, unsigned line, int severity, const char *fmt,
                  ...) __attribute__((format(printf, 5, 6)));

/* Record that something needed cannot be read: "totpctl: ..." on stderr, exit status 3. */
void check_unreadable(struct check *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Whether `path` was judged already; if not, remember it and return 0. */
int check_once(struct check *k, const char *path);

/* One module of an auth stack, as check_stack.c judges it. */
enum { KIND_OTHER, KIND_CONDITION, KIND_PERMIT, KIND_DENY, KIND_TOTP };
struct stack_entry {
    const char *file;
    unsigned line;
    const char *module;
    const char *control;
    int act[3]; /* the action for success, failure, ignore */
    int kind;
    int nullok; /* pam_totp with nullok (from its line or its site file) */
    int enroll; /* pam_totp with enroll_at_login */
    int argc;   /* the module's arguments, valid while the stack is judged */
    char **argv;
};

#define STACK_MAX 64 /* auth lines judged per service */
struct auth_stack {
    struct stack_entry e[STACK_MAX];
    size_t count;
    int overflow; /* more lines than STACK_MAX: not judged */
};

/* The file name of a module path ("pam_unix.so"). */
const char *check_base_name(const char *path);

/* An auth line's entry: its control's actions, what kind of module it is, its arguments. */
void check_stack_entry(struct stack_entry *e, const char *file, unsigned line, const char *control,
                       const char *module, int argc, char **argv);

/* The findings about the auth stack of `service` (the file's name in the PAM directory); 1 if
 * pam_totp.so runs in it for that service. (check_stack.c) */
int check_stack_judge(struct check *k, const char *service, const struct auth_stack *st);

/* What a condition line (pam_succeed_if on "service") answers for `service`: COND_TRUE,
 * COND_FALSE, or COND_EITHER when it depends on the user, the host, ... (check_cond.c) */
enum { COND_EITHER = -1, COND_FALSE = 0, COND_TRUE = 1 };
int check_condition_for_service(const struct stack_entry *e, const char *service);

/* The options a pam_totp line gives: the site file (its own conf=, else k->conf) and then its
 * arguments, each refused one reported at FILE:LINE. `opt` must be cleared by the caller.
 * (check.c) */
void check_module_options(struct check *k, const char *file, unsigned line, int argc,
                          const char **argv, totp_options *opt);

/* Every file of the PAM directory that loads pam_totp.so: its lines and auth stack. (check_pam.c)
 */
void check_pam_dir(struct check *k);

/* Read sshd's settings into k->sshd: `sshd -T` as root without --sshd-config, else the file
 * (--sshd-config, or /etc/ssh/sshd_config) and its Include files. (check_sshd.c) */
void check_sshd_load(struct check *k, const char *config);

/* Whether sshd asks for a public key before keyboard-interactive in every method list. */
int check_sshd_key_first(const struct check *k);

/* The findings about sshd's settings, given that its PAM stack has pam_totp. */
void check_sshd_judge(struct check *k);

#endif /* TOTPCTL_CHECK_H */
