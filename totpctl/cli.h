/* SPDX-License-Identifier: Apache-2.0 */
/* cli.h: what every totpctl command gets: the parsed command line and the resolved context. */
#ifndef TOTPCTL_CLI_H
#define TOTPCTL_CLI_H

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
};

struct cli {
    /* The command line. */
    const char *command;
    const char *arg; /* verify's CODE, import's FILE */
    unsigned seen;   /* OPT_* given */
    const char *user_arg, *file, *conf, *issuer, *label, *rate_limit, *qr_png, *qr_svg;
    int json, force, no_confirm, qr_mode, uri, dry_run;
    totp_params params; /* --algorithm --digits --period */
    unsigned window, scratch_count;
    int64_t at;

    /* Resolved. */
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

/* Issuer and account names for URIs of records that do not carry their own. */
const char *cli_default_issuer(void);
const char *cli_default_account(const struct cli *c);

/* A user (not root) of the file store, where a system store exists that they cannot look into:
 * an administrator's record there, if any, would be used before theirs. */
int cli_system_store_hidden(const struct cli *c);
/* If so, say it on standard error. */
void cli_hidden_system_note(const struct cli *c);

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
