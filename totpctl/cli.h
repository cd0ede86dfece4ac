/* SPDX-License-Identifier: Apache-2.0 */
/* cli.h: what every totpctl command gets: the parsed command line and the resolved context. */
#ifndef TOTPCTL_CLI_H
#define TOTPCTL_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "totp.h"

/* Exit statuses (totpctl(1)). */
enum { EXIT_OK = 0, EXIT_REJECTED = 1, EXIT_USAGE = 2, EXIT_ERROR = 3 };

/* Options, as bits, so that each command can say which it takes. */
enum {
    OPT_USER = 1 << 0,
    OPT_FILE = 1 << 1,
    OPT_CONF = 1 << 2,
    OPT_JSON = 1 << 3,
    OPT_ISSUER = 1 << 4,
    OPT_LABEL = 1 << 5,
    OPT_ALGORITHM = 1 << 6,
    OPT_DIGITS = 1 << 7,
    OPT_PERIOD = 1 << 8,
    OPT_WINDOW = 1 << 9,
    OPT_SCRATCH = 1 << 10,
    OPT_RATE = 1 << 11,
    OPT_FORCE = 1 << 12,
    OPT_NO_CONFIRM = 1 << 13,
    OPT_QR = 1 << 14,
    OPT_QR_PNG = 1 << 15,
    OPT_QR_SVG = 1 << 16,
    OPT_AT = 1 << 17,
    OPT_URI = 1 << 18,
    OPT_DRY_RUN = 1 << 19,
    OPT_PAM_DIR = 1 << 20,
    OPT_SSHD_CONFIG = 1 << 21,
    OPT_MISSING = 1 << 22,
    OPT_FOR = 1 << 23,
    OPT_UNTIL = 1 << 24,
    OPT_REVOKE = 1 << 25,
};

struct cli {
    /* The command line. */
    const char *command;
    const char *arg; /* verify's CODE, import's FILE */
    unsigned seen;   /* OPT_* given */
    const char *user_arg, *file, *conf, *issuer, *label, *rate_limit, *qr_png, *qr_svg;
    const char *pam_dir, *sshd_config; /* check */
    const char *for_arg, *until_arg;   /* allow-enroll --for, --until */
    int json, force, no_confirm, qr_mode, uri, dry_run, missing;
    totp_params params; /* --algorithm --digits --period */
    unsigned window, scratch_count;
    int64_t at;

    /* Resolved. */
    char conf_path[4096], file_path[4096], arg_path[4096]; /* relative ones made absolute */
    int is_root;
    char user[257];
    totp_options opt; /* the site file's settings (--conf) */
    totp_store *store;

    /* The audit trail (audit.c): the action of a command that changes records, else NULL. */
    const char *action;
    unsigned audited; /* lines written */
};

/* Print "totpctl: MESSAGE" on stderr and return `status`. */
int cli_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The message of the last cli_fail() not yet in an audit line ("" if none), and forget it. */
const char *cli_last_failure(void);
void cli_forget_failure(void);

/* The exit status for a library error, after printing its message (or the reason). */
int cli_error(int rc, const totp_error *err);

/* Lock and read the user's record; on failure, print why and return the exit status. */
int cli_begin(struct cli *c, totp_txn **txn, totp_record **rec);

struct json;
/* Open the JSON object every command prints, with "user" and "path". */
void cli_json_begin(struct json *j, const struct cli *c, const char *path);

/* Issuer and account names for records that do not carry their own: the site file's issuer
 * (else the host name), and USER@HOST, with " (system)" for a record in the system store, so
 * that an app holding both a home and a system entry for one host tells them apart. */
const char *cli_default_issuer(const struct cli *c);
const char *cli_default_account(const struct cli *c, int system);

/* Where the file store keeps the user's system record (none with --file, secret= or a
 * directory store): 1 with the path in `path`, else 0. */
int cli_system_path(const struct cli *c, char *path, size_t size);

/* A user (not root) of the file store, where a system store exists that they cannot look into:
 * an administrator's record there, if any, would be used before theirs. */
int cli_system_store_hidden(const struct cli *c);
/* If so, say it on standard error. */
void cli_hidden_system_note(const struct cli *c);

/* What status and report show of a record. */
struct record_facts {
    char where[4096];
    totp_params params;
    int hotp;
    size_t scratch_left;
    int64_t last_success, failures, last_failure; /* -1: not known (failures: 0) */
    totp_throttle_info throttle;                  /* at `now` */
};

/* Read `user`'s record (lock, read, release) and what status and report show of it at `now`;
 * `*rec` is the record (free it). TOTP_ENOENT when not enrolled; else `err` says why. */
int cli_record_facts(struct cli *c, const char *user, int64_t now, totp_record **rec,
                     struct record_facts *f, totp_error *err);

int cmd_enroll(struct cli *c);
int cmd_show(struct cli *c);
int cmd_code(struct cli *c);
int cmd_status(struct cli *c);
int cmd_list(struct cli *c);
int cmd_verify(struct cli *c);
int cmd_scratch(struct cli *c);
int cmd_reset_failures(struct cli *c);
int cmd_remove(struct cli *c);
int cmd_import(struct cli *c);
int cmd_reseal(struct cli *c);
int cmd_check(struct cli *c);
int cmd_report(struct cli *c);

/* A relative path argument (`what` names it in errors) made absolute against the current
 * directory into `buf`, and `*path` pointed at it; absolute paths, ~ and ${...} unchanged.
 * With `resolve_dirs`, its directories are resolved as realpath(3) does, the last component
 * not followed; without, they are kept as given (for a walk that refuses links). (path_arg.c) */
int cli_absolute_path(const char *what, const char **path, int resolve_dirs, char *buf,
                      size_t size);

/* `in` for a terminal: control characters, invalid UTF-8 and Unicode format characters that
 * reorder or hide text as \xNN or \u{XXXX} (text.c). */
const char *cli_printable(const char *in, char *out, size_t size);

/* The uids of people's accounts: UID_MIN and UID_MAX of /etc/login.defs, else 1000 and 60000
 * (logindefs.c). Below, above, and root are system accounts. */
unsigned long cli_uid_min(void);
unsigned long cli_uid_max(void);
int cmd_allow_enroll(struct cli *c);

/* The user's enrollment allowance as one line of text (or JSON) for status; nothing if the
 * store keeps none or there is none. */
void allow_status(struct cli *c, struct json *j);

/* Whether `command` changes records (and so is audited). */
int audit_covers(const char *command);
/*
 * The audit line (authpriv) for c->action on `user`'s record at `record` (either may be NULL),
 * with the command's exit status: result=ok, refused (1, 2) or failed (3); `reason` defaults to
 * the last failure. Nothing if the command changes no record. Never give it a secret or code.
 */
void audit(struct cli *c, const char *user, const char *record, int status, const char *reason);
/* When the command is over: the one line of a command that wrote none (an early refusal). */
void audit_end(struct cli *c, int status);

/* import --uri: otpauth URIs from a file or standard input (import_uri.c). */
int import_uris(struct cli *c);

#endif /* TOTPCTL_CLI_H */
