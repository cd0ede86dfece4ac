/* SPDX-License-Identifier: Apache-2.0 */
/* main.c: totpctl's command line: options, --help, the user acted on, dispatch, exit status. */
#include "config.h"

#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "qr.h"

#define GLOBAL  (OPT_USER | OPT_FILE | OPT_CONF | OPT_JSON)
#define QR_OPTS (OPT_QR | OPT_QR_PNG | OPT_QR_SVG)

static const struct command {
    const char *name;
    int (*run)(struct cli *);
    unsigned options;
    int args; /* positional arguments after the command */
    const char *synopsis;
    const char *summary; /* one line for 'totpctl --help' */
    const char *help;
    int standalone; /* runs without the site settings loaded or a user (check) */
} commands[] = {
    {"enroll", cmd_enroll,
     GLOBAL | QR_OPTS | OPT_ISSUER | OPT_LABEL | OPT_ALGORITHM | OPT_DIGITS | OPT_PERIOD |
         OPT_WINDOW | OPT_SCRATCH | OPT_RATE | OPT_FORCE | OPT_NO_CONFIRM,
     0, "enroll [options]", "new secret, QR code and scratch codes; confirmed with a code",
     "Create a new secret and scratch codes, show the otpauth URI and its QR code, and activate\n"
     "the record once a code from the app verifies. As root: the system store; as a user:\n"
     "~/.config/totp/secret.\n"
     "  --issuer NAME          issuer shown by the app (default: the site file's issuer,\n"
     "                         else this host's name)\n"
     "  --label NAME           account shown by the app (default: USER@HOST; as root, in\n"
     "                         the system store: USER@HOST (system))\n"
     "  --algorithm ALG        SHA1 (default), SHA256 or SHA512\n"
     "  --digits N             6 (default), 7 or 8\n"
     "  --period SECONDS       1 to 300 (default 30)\n"
     "  --window N             codes accepted around now, 1 to 100 (default: the site's)\n"
     "  --scratch-codes N      how many scratch codes, 0 to 100 (default 5)\n"
     "  --rate-limit N/SECONDS at most N attempts in SECONDS (1-100 in 1-3600)\n"
     "  --force                replace an existing record\n"
     "  --no-confirm           activate without asking for a code (for scripts)\n"
     "  --qr utf8|ansi|none    QR code on the terminal (default: utf8 on a terminal)\n"
     "  --qr-png FILE, --qr-svg FILE  also write the QR code as an image (mode 0600)\n",
     0},
    {"show", cmd_show, GLOBAL | QR_OPTS, 0, "show [--qr MODE] [--qr-png FILE] [--qr-svg FILE]",
     "the otpauth URI and QR code again, for a new phone",
     "Show the otpauth URI and QR code of an existing record again.\n", 0},
    {"code", cmd_code, GLOBAL | OPT_AT, 0, "code [--at UNIXTIME]",
     "the code the server expects now, for checking clocks",
     "Print the code the server expects now (or at UNIXTIME), for checking clocks.\n", 0},
    {"verify", cmd_verify, GLOBAL, 1, "verify CODE",
     "check a code and use it up, as the PAM module does",
     "Check CODE and use it up exactly as the PAM module would. Exit 0 if accepted.\n", 0},
    {"scratch", cmd_scratch, GLOBAL | OPT_SCRATCH, 0, "scratch [--scratch-codes N]",
     "a fresh set of scratch codes; the old ones stop working",
     "Issue a fresh set of scratch codes; the old ones stop working.\n", 0},
    {"status", cmd_status, GLOBAL | OPT_AT, 0, "status [--at UNIXTIME]",
     "enrolled or not, where, parameters, scratch codes, logins, throttle",
     "Whether the user is enrolled, where, with which parameters, how many scratch codes are\n"
     "left, the last successful login, the failures since, and whether they throttle codes\n"
     "now (or at UNIXTIME) and for how long.\n",
     0},
    {"reset-failures", cmd_reset_failures, GLOBAL, 0, "reset-failures",
     "as root: clear the failures, lifting the throttle",
     "As root: clear the user's consecutive failures, which lifts the guessing throttle.\n", 0},
    {"remove", cmd_remove, GLOBAL, 0, "remove",
     "delete every record that would authenticate the user",
     "Delete every record that would authenticate the user, in the lookup order: the system\n"
     "record (root), ~/.config/totp/secret and ~/.google_authenticator (as the user), so that\n"
     "none takes over from another. Also a deleted account's system record (-u NAME).\n",
     0},
    {"list", cmd_list, OPT_CONF | OPT_JSON, 0, "list",
     "(root) users with a record in the system store",
     "As root: every user with a record in the system store; records of accounts that no\n"
     "longer exist are flagged (a new account of that name would inherit them).\n",
     0},
    {"import", cmd_import, GLOBAL | OPT_FORCE | OPT_URI | OPT_DRY_RUN, 1,
     "import [--force] FILE | import --uri [--dry-run] [--force] FILE|-",
     "(root) a google-authenticator file, or otpauth URIs, into the system store",
     "As root: copy a google-authenticator file (read as the user) into the system store,\n"
     "which is then used first.\n"
     "  --uri        FILE (root's, or - for standard input) holds otpauth:// URIs, one a line,\n"
     "               as pyotp, otplib or oathtool make them: with -u USER exactly one, for USER;\n"
     "               without, each for the user its account names (\"alice@example.com\" and\n"
     "               \"alice\": alice). All are checked before any is written.\n"
     "               otpauth-migration:// exports are not supported.\n"
     "  --dry-run    with --uri: say which URI goes to which user; write nothing\n"
     "  --force      replace existing system records\n",
     0},
    {"allow-enroll", cmd_allow_enroll,
     OPT_USER | OPT_CONF | OPT_JSON | OPT_FOR | OPT_UNTIL | OPT_REVOKE, 0,
     "allow-enroll --for DURATION | --until TIME | --revoke",
     "(root) let the user enroll at login (enroll_at_login) for a while",
     "As root: let the user, who has no record, enroll at login on lines with enroll_at_login,\n"
     "until the allowance expires or the enrollment uses it up.\n"
     "  --for DURATION  from now: seconds, or a number with s, m, h, d or w (e.g. 8h, 7d)\n"
     "  --until TIME    until a Unix time, or a local date and time YYYY-MM-DD[THH:MM]\n"
     "  --revoke        take the allowance back\n",
     0},
    {"reseal", cmd_reseal, OPT_USER | OPT_CONF | OPT_JSON, 0, "reseal [-u USER]",
     "store=ad: seal the secrets again under the newest key (rotation)",
     "store=ad: seal every enrolled user's secret (or USER's) again under the first key of\n"
     "ad_key_file, opening it with whichever key of the file sealed it (key rotation).\n",
     0},
    {"report", cmd_report, OPT_CONF | OPT_JSON | OPT_MISSING | OPT_AT, 0,
     "report [--missing] [--at UNIXTIME] [--json]",
     "(root) every account: enrolled or not, where, logins, throttle",
     "As root: every account NSS lists (getpwent) and, with store=ldap or ad, every account the\n"
     "directory holds; for each, its kind (human: UID_MIN to UID_MAX of /etc/login.defs;\n"
     "system; directory: not known to NSS) and its record: where, algorithm, last success,\n"
     "failures, throttled now (or at UNIXTIME) and for how long, scratch codes left.\n"
     "  --missing    only people (human accounts, directory accounts and root) without a\n"
     "               record; exit 1 if there is any\n"
     "Exit 3 if a record could not be read (each named on standard error).\n",
     0},
    {"check", cmd_check, OPT_CONF | OPT_JSON | OPT_PAM_DIR | OPT_SSHD_CONFIG, 0,
     "check [--conf FILE] [--pam-dir DIR] [--sshd-config FILE] [--json]",
     "the site file, pam.d and sshd settings, before a reload",
     "Check the site file, every PAM file that loads pam_totp.so (also through @include,\n"
     "include or substack) and sshd's settings, as the module would judge them. Each problem\n"
     "is one line \"FILE:LINE: error: REASON\" or \"FILE:LINE: warning: REASON\" (LINE 0: the\n"
     "file as a whole, or a setting left at its default). Exit 0: no error (warnings may be\n"
     "shown), 1: errors, 2: usage, 3: something could not be read (run it as root).\n"
     "  --conf FILE          the site file (default /etc/security/pam_totp.conf)\n"
     "  --pam-dir DIR        the PAM directory (default /etc/pam.d)\n"
     "  --sshd-config FILE   sshd's settings from FILE and its Include files (default: as root\n"
     "                       \"sshd -T\", else /etc/ssh/sshd_config)\n"
     "  --json               an array of {file, line, severity, reason}\n",
     1},
};

static const struct option long_options[] = {
    {"user", required_argument, NULL, 'u'},
    {"file", required_argument, NULL, 'f'},
    {"conf", required_argument, NULL, 'c'},
    {"json", no_argument, NULL, 'j'},
    {"issuer", required_argument, NULL, 'I'},
    {"label", required_argument, NULL, 'L'},
    {"algorithm", required_argument, NULL, 'A'},
    {"digits", required_argument, NULL, 'D'},
    {"period", required_argument, NULL, 'P'},
    {"window", required_argument, NULL, 'W'},
    {"scratch-codes", required_argument, NULL, 'S'},
    {"rate-limit", required_argument, NULL, 'R'},
    {"force", no_argument, NULL, 'F'},
    {"no-confirm", no_argument, NULL, 'N'},
    {"qr", required_argument, NULL, 'q'},
    {"qr-png", required_argument, NULL, 'p'},
    {"qr-svg", required_argument, NULL, 's'},
    {"at", required_argument, NULL, 'a'},
    {"uri", no_argument, NULL, 'U'},
    {"dry-run", no_argument, NULL, 'n'},
    {"pam-dir", required_argument, NULL, 'd'},
    {"missing", no_argument, NULL, 'm'},
    {"sshd-config", required_argument, NULL, 'k'},
    {"for", required_argument, NULL, 'o'},
    {"until", required_argument, NULL, 't'},
    {"revoke", no_argument, NULL, 'r'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* The reason an audit line gives for a refusal or failure (audit.c). */
static char last_failure[1024];

int cli_fail(int status, const char *fmt, ...)
{
    va_list ap;
    fputs("totpctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    va_start(ap, fmt);
    vsnprintf(last_failure, sizeof(last_failure), fmt, ap);
    va_end(ap);
    return status;
}

const char *cli_last_failure(void)
{
    return last_failure;
}

void cli_forget_failure(void)
{
    last_failure[0] = '\0';
}

int cli_error(int rc, const totp_error *err)
{
    const char *msg = err != NULL && err->message[0] != '\0' ? err->message : totp_strerror(rc);
    switch (rc) {
    case TOTP_ENOENT:
    case TOTP_EMISMATCH:
    case TOTP_EREPLAY:
    case TOTP_ECODE:
    case TOTP_ERATELIMIT:
    case TOTP_EEXIST:
        return cli_fail(EXIT_REJECTED, "%s", msg);
    case TOTP_EINVAL:
    case TOTP_EUSER:
        return cli_fail(EXIT_USAGE, "%s", msg);
    default:
        return cli_fail(EXIT_ERROR, "%s", msg);
    }
}

int cli_begin(struct cli *c, totp_txn **txn, totp_record **rec)
{
    totp_error err = {0};
    int rc = totp_store_begin(c->store, c->user, 0, txn, rec, &err);
    if (rc == TOTP_ENOENT)
        return cli_fail(EXIT_REJECTED, "%s is not enrolled", c->user);
    return rc == TOTP_OK ? EXIT_OK : cli_error(rc, &err);
}

void cli_json_begin(struct json *j, const struct cli *c, const char *path)
{
    json_begin(j, stdout);
    json_string(j, "user", c->user);
    json_string(j, "path", path);
}

const char *cli_default_issuer(const struct cli *c)
{
    static totp_enroll_names names;
    totp_enroll_names_default(c->opt.issuer, c->user, 0, &names);
    return names.issuer;
}

const char *cli_default_account(const struct cli *c, int system)
{
    static totp_enroll_names names;
    totp_enroll_names_default(c->opt.issuer, c->user, system, &names);
    return names.account;
}

int cli_system_path(const struct cli *c, char *path, size_t size)
{
    const char *dir = c->opt.store.system_dir != NULL ? c->opt.store.system_dir : "/var/lib/totp";
    if (c->opt.ldap_store || c->file != NULL || c->opt.store.secret_path != NULL || dir[0] == '\0')
        return 0;
    snprintf(path, size, "%s/%s", dir, c->user);
    return 1;
}

int cli_system_store_hidden(const struct cli *c)
{
    const char *dir = c->opt.store.system_dir != NULL ? c->opt.store.system_dir : "/var/lib/totp";
    struct stat st;
    if (c->is_root || c->opt.ldap_store || c->file != NULL || c->opt.store.secret_path != NULL ||
        dir[0] == '\0')
        return 0;
    /* The directory is root's 0700: a user can see that it is there, not what it holds. */
    return stat(dir, &st) == 0 && access(dir, X_OK) != 0;
}

void cli_hidden_system_note(const struct cli *c)
{
    if (cli_system_store_hidden(c))
        fprintf(stderr,
                "Note: a record for %s in the system store, which only root can see, would be "
                "used before any record of yours; an administrator can tell (totpctl -u %s "
                "status).\n",
                c->user, c->user);
}

static void usage(FILE *out)
{
    fputs("usage: totpctl [-u USER] [--file PATH] [--conf FILE] [--json] COMMAND [options]\n\n"
          "Enroll and manage TOTP second factors for pam_totp.\n\n"
          "  -u, --user USER   act on USER's record (root only, but for store=ldap and ad; "
          "default: yourself)\n"
          "  --file PATH       act on the record at PATH instead of looking one up\n"
          "  --conf FILE       site settings (default /etc/security/pam_totp.conf)\n"
          "  --json            machine-readable output\n\ncommands:\n",
          out);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-15s %s\n", commands[i].name, commands[i].summary);
    fputs("\n'totpctl COMMAND --help' describes a command. Exit status: 0 success, 1 code\n"
          "rejected or not enrolled, 2 usage error, 3 permission or I/O error. Every change\n"
          "to a record is logged to syslog (authpriv, totpctl(1) AUDIT).\n",
          out);
}

static int number(const char *opt, const char *v, long min, long max, long *out)
{
    char *end = NULL;
    long n = strtol(v, &end, 10);
    if (end == v || *end != '\0' || n < min || n > max)
        return cli_fail(EXIT_USAGE, "%s %s: must be a number from %ld to %ld", opt, v, min, max);
    *out = n;
    return EXIT_OK;
}

/* One option; EXIT_OK or the exit status of a bad value. */
static int take_option(struct cli *c, int ch, const char *v)
{
    long n = 0;
    int rc = EXIT_OK;
    switch (ch) {
    case 'u':
        c->user_arg = v, c->seen |= OPT_USER;
        break;
    case 'f':
        c->file = v, c->seen |= OPT_FILE;
        break;
    case 'c':
        c->conf = v, c->seen |= OPT_CONF;
        break;
    case 'j':
        c->json = 1, c->seen |= OPT_JSON;
        break;
    case 'I':
        c->issuer = v, c->seen |= OPT_ISSUER;
        break;
    case 'L':
        c->label = v, c->seen |= OPT_LABEL;
        break;
    case 'R':
        c->rate_limit = v, c->seen |= OPT_RATE;
        break;
    case 'F':
        c->force = 1, c->seen |= OPT_FORCE;
        break;
    case 'N':
        c->no_confirm = 1, c->seen |= OPT_NO_CONFIRM;
        break;
    case 'U':
        c->uri = 1, c->seen |= OPT_URI;
        break;
    case 'n':
        c->dry_run = 1, c->seen |= OPT_DRY_RUN;
        break;
    case 'o':
        c->for_arg = v, c->seen |= OPT_FOR;
        break;
    case 't':
        c->until_arg = v, c->seen |= OPT_UNTIL;
        break;
    case 'r':
        c->seen |= OPT_REVOKE;
        break;
    case 'd':
        c->pam_dir = v, c->seen |= OPT_PAM_DIR;
        break;
    case 'k':
        c->sshd_config = v, c->seen |= OPT_SSHD_CONFIG;
        break;
    case 'm':
        c->missing = 1, c->seen |= OPT_MISSING;
        break;
    case 'p':
        c->qr_png = v, c->seen |= OPT_QR_PNG;
        break;
    case 's':
        c->qr_svg = v, c->seen |= OPT_QR_SVG;
        break;
    case 'A':
        c->seen |= OPT_ALGORITHM;
        if (totp_algorithm_parse(v, &c->params.algorithm) != TOTP_OK)
            rc = cli_fail(EXIT_USAGE, "--algorithm %s: must be SHA1, SHA256 or SHA512", v);
        break;
    case 'D':
        c->seen |= OPT_DIGITS;
        if ((rc = number("--digits", v, TOTP_DIGITS_MIN, TOTP_DIGITS_MAX, &n)) == EXIT_OK)
            c->params.digits = (unsigned)n;
        break;
    case 'P':
        c->seen |= OPT_PERIOD;
        if ((rc = number("--period", v, TOTP_PERIOD_MIN, TOTP_PERIOD_MAX, &n)) == EXIT_OK)
            c->params.period = (unsigned)n;
        break;
    case 'W':
        c->seen |= OPT_WINDOW;
        if ((rc = number("--window", v, 1, 100, &n)) == EXIT_OK)
            c->window = (unsigned)n;
        break;
    case 'S':
        c->seen |= OPT_SCRATCH;
        if ((rc = number("--scratch-codes", v, 0, TOTP_SCRATCH_COUNT_MAX, &n)) == EXIT_OK)
            c->scratch_count = (unsigned)n;
        break;
    case 'q':
        c->seen |= OPT_QR;
        if ((c->qr_mode = qr_mode_parse(v)) < 0)
            rc = cli_fail(EXIT_USAGE, "--qr %s: must be utf8, ansi or none", v);
        break;
    case 'a':
        c->seen |= OPT_AT;
        if ((rc = number("--at", v, 0, 0x7fffffffffffffffL, &n)) == EXIT_OK)
            c->at = n;
        break;
    default:
        rc = EXIT_USAGE;
    }
    return rc;
}

/* Who we act on: -u USER (root only, or yourself), else the invoking user. With store=ldap
 * the directory decides, by the bind DN and its access rules. */
static int resolve_user(struct cli *c)
{
    struct passwd *pw = getpwuid(getuid());
    const char *self = pw != NULL ? pw->pw_name : NULL;
    if (c->user_arg != NULL) {
        if (!c->is_root && !c->opt.ldap_store && (self == NULL || strcmp(c->user_arg, self) != 0))
            return cli_fail(EXIT_ERROR, "-u %s: only root can act on another user", c->user_arg);
        snprintf(c->user, sizeof(c->user), "%s", c->user_arg);
    } else if (self != NULL) {
        snprintf(c->user, sizeof(c->user), "%s", self);
    } else {
        return cli_fail(EXIT_ERROR, "cannot find the name of uid %u", (unsigned)getuid());
    }
    return EXIT_OK;
}

/* The site settings and the store they describe (plus --file). */
static int open_store(struct cli *c)
{
    totp_error err = {0};
    char confarg[4200];
    const char *args[1] = {confarg};
    snprintf(confarg, sizeof(confarg), "conf=%s", c->conf != NULL ? c->conf : "");
    totp_options_init(&c->opt);
    int rc = totp_options_load(&c->opt, c->conf != NULL ? 1 : 0, args, &err);
    if (rc != TOTP_OK)
        return cli_fail(rc == TOTP_EINVAL ? EXIT_USAGE : EXIT_ERROR, "%s", err.message);
    if (c->opt.ldap_store) {
        if (c->file != NULL)
            return cli_fail(EXIT_USAGE, "--file cannot be used with store=ldap");
        rc = totp_options_store(&c->opt, &c->store, &err);
        return rc == TOTP_OK ? EXIT_OK : cli_fail(EXIT_USAGE, "%s", err.message);
    }
    totp_file_store_config cfg = c->opt.store;
    if (c->file != NULL) {
        if (c->file[0] != '/')
            return cli_fail(EXIT_USAGE, "--file %s: must be an absolute path", c->file);
        cfg.secret_path = c->file;
    }
    /* A user cannot read the system store: look past it to their own record. */
    cfg.skip_unreadable_system_store = !c->is_root;
    if (totp_store_file_new(&cfg, &c->store) != TOTP_OK)
        return cli_fail(EXIT_ERROR, "out of memory");
    return EXIT_OK;
}

static int run(struct cli *c, int argc, char **argv)
{
    int ch, help = 0, rc;
    /* GNU getopt permutes: options may come before or after the command and its argument. */
    while ((ch = getopt_long(argc, argv, "u:hV", long_options, NULL)) != -1) {
        if (ch == 'h')
            help = 1;
        else if (ch == 'V')
            return printf("totpctl %s\n", PACKAGE_VERSION) < 0 ? EXIT_ERROR : EXIT_OK;
        else if (ch == '?')
            return cli_fail(EXIT_USAGE, "see 'totpctl --help'");
        else if ((rc = take_option(c, ch, optarg)) != EXIT_OK)
            return rc;
    }
    if (optind < argc)
        c->command = argv[optind++];
    const struct command *cmd = NULL;
    for (size_t i = 0; c->command != NULL && i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(c->command, commands[i].name) == 0)
            cmd = &commands[i];
    }
    if (c->command == NULL || (help && cmd == NULL)) {
        usage(help ? stdout : stderr);
        return help ? EXIT_OK : EXIT_USAGE;
    }
    if (cmd == NULL)
        return cli_fail(EXIT_USAGE, "unknown command \"%s\"; see 'totpctl --help'", c->command);
    if (help) {
        printf("usage: totpctl [-u USER] [--file PATH] [--conf FILE] [--json] %s\n\n%s",
               cmd->synopsis, cmd->help);
        return EXIT_OK;
    }
    if (c->seen & ~cmd->options)
        return cli_fail(EXIT_USAGE, "%s: an option given does not apply; see 'totpctl %s --help'",
                        cmd->name, cmd->name);
    if (argc - optind != cmd->args)
        return cli_fail(EXIT_USAGE, "usage: totpctl %s", cmd->synopsis);
    c->arg = cmd->args > 0 ? argv[optind] : NULL;
    /* The CLI reads these itself: a relative path is the current directory's. */
    if ((rc = cli_absolute_path("--conf", &c->conf, 1, c->conf_path, sizeof(c->conf_path))) !=
            EXIT_OK ||
        (rc = cli_absolute_path("--file", &c->file, 0, c->file_path, sizeof(c->file_path))) !=
            EXIT_OK)
        return rc;
    if (cmd->standalone)
        return cmd->run(c);
    /* From here on a command that changes records leaves an audit line, whatever happens
     * (a dry run changes nothing). */
    c->action = audit_covers(cmd->name) && !c->dry_run ? cmd->name : NULL;
    if ((rc = open_store(c)) == EXIT_OK && (rc = resolve_user(c)) == EXIT_OK)
        rc = cmd->run(c);
    audit_end(c, rc);
    return rc;
}

int main(int argc, char **argv)
{
    struct cli c;
    const totp_params defaults = TOTP_PARAMS_DEFAULT;
    memset(&c, 0, sizeof(c));
    c.params = defaults;
    c.scratch_count = 5;
    c.qr_mode = -1;
    c.is_root = geteuid() == 0;
    int rc = run(&c, argc, argv);
    totp_store_free(c.store);
    totp_options_clear(&c.opt);
    if (fflush(stdout) != 0 && rc == EXIT_OK)
        rc = cli_fail(EXIT_ERROR, "cannot write the output");
    return rc;
}
