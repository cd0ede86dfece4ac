/* SPDX-License-Identifier: Apache-2.0 */
/* enroll.c: totpctl enroll: a new secret and scratch codes, the QR code, confirmation with a
 * code from the app, and only then the record. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "qr.h"

#define CONFIRM_TRIES 3

/* What a new enrollment consists of, all of it wiped at the end. */
struct enrollment {
    uint8_t key[TOTP_KEY_MAX];
    size_t key_len;
    char secret[TOTP_KEY_MAX * 2];
    uint32_t scratch[TOTP_SCRATCH_COUNT_MAX];
    char *uri;
    totp_record *rec;
};

static void enrollment_clear(struct enrollment *e)
{
    totp_wipe_string(e->uri);
    totp_record_free(e->rec);
    totp_wipe(e, sizeof(*e));
}

/* Is there a record already? EXIT_OK with *exists set, or the exit status of an error. */
static int existing(struct cli *c, int *exists, char *where, size_t size)
{
    totp_txn *txn = NULL;
    totp_record *rec = NULL;
    totp_error err = {0};
    int rc = totp_store_begin(c->store, c->user, TOTP_TXN_UNREAD, &txn, &rec, &err);
    *exists = rc == TOTP_OK;
    if (rc == TOTP_OK)
        snprintf(where, size, "%s", totp_txn_location(txn));
    totp_txn_abort(txn);
    totp_record_free(rec);
    /* A system store that is not there yet (a fresh install): root's enrollment creates it. */
    if (c->is_root && rc == TOTP_EIO && err.sys_errno == ENOENT)
        rc = TOTP_ENOENT;
    return rc == TOTP_OK || rc == TOTP_ENOENT ? EXIT_OK : cli_error(rc, &err);
}

static int set_option(totp_record *rec, const char *key, const char *value, const char *option)
{
    const char *why = totp_record_check(key, value);
    if (why != NULL) /* the value itself may be what cannot be printed */
        return cli_fail(EXIT_USAGE, "%s: %s (see totp(5), %s)", option, why, key);
    if (totp_record_set(rec, key, value) != TOTP_OK)
        return cli_fail(EXIT_ERROR, "out of memory");
    return EXIT_OK;
}

/* The secret, scratch codes and record, in memory only. */
static int create(struct cli *c, struct enrollment *e)
{
    int rc;
    e->key_len = totp_secret_default_len(c->params.algorithm);
    if (totp_secret_generate(e->key, e->key_len) != TOTP_OK ||
        totp_scratch_generate(e->scratch, c->scratch_count) != TOTP_OK)
        return cli_fail(EXIT_ERROR, "the random number generator failed");
    if (totp_base32_encode(e->key, e->key_len, e->secret, sizeof(e->secret), 0) != TOTP_OK ||
        totp_record_new(e->key, e->key_len, &c->params, &e->rec) != TOTP_OK ||
        totp_record_set_scratch(e->rec, e->scratch, c->scratch_count) != TOTP_OK)
        return cli_fail(EXIT_ERROR, "out of memory");
    /* Root writes the system store (save()): its entry in the app says so. */
    char system[4400];
    int in_system = c->is_root && cli_system_path(c, system, sizeof(system));
    if ((rc = set_option(e->rec, "ISSUER", c->issuer ? c->issuer : cli_default_issuer(c),
                         "--issuer")) != EXIT_OK ||
        (rc = set_option(e->rec, "ACCOUNT", c->label ? c->label : cli_default_account(c, in_system),
                         "--label")) != EXIT_OK)
        return rc;
    if (c->window > 0) {
        char v[16];
        snprintf(v, sizeof(v), "%u", c->window);
        if ((rc = set_option(e->rec, "WINDOW_SIZE", v, "--window")) != EXIT_OK)
            return rc;
    }
    if (c->rate_limit != NULL) {
        char v[64];
        const char *slash = strchr(c->rate_limit, '/');
        if (slash == NULL || strlen(c->rate_limit) >= sizeof(v))
            return cli_fail(EXIT_USAGE, "--rate-limit %s: must be N/SECONDS", c->rate_limit);
        snprintf(v, sizeof(v), "%.*s %s", (int)(slash - c->rate_limit), c->rate_limit, slash + 1);
        if ((rc = set_option(e->rec, "RATE_LIMIT", v, "--rate-limit")) != EXIT_OK)
            return rc;
    }
    if (totp_record_uri(e->rec, &c->params, NULL, NULL, &e->uri) != TOTP_OK)
        return cli_fail(EXIT_ERROR, "cannot build the otpauth URI");
    return EXIT_OK;
}

/* The URI and secret first, then the QR code, last, right above the question: on a standard
 * terminal the code's top must not have scrolled away when the prompt appears. */
static int show(struct cli *c, const struct enrollment *e)
{
    int mode = c->qr_mode >= 0 ? c->qr_mode : isatty(STDOUT_FILENO) && !c->json ? QR_UTF8 : QR_NONE;
    FILE *out = c->json ? stderr : stdout; /* stdout is the JSON document's alone */
    totp_error err = {0};
    if (c->qr_png != NULL && qr_write_png(c->qr_png, e->uri, &err) != TOTP_OK)
        return cli_fail(EXIT_ERROR, "%s", err.message);
    if (c->qr_svg != NULL && qr_write_svg(c->qr_svg, e->uri, &err) != TOTP_OK)
        return cli_fail(EXIT_ERROR, "%s", err.message);
    if (!c->json) {
        printf("otpauth URI: %s\n", e->uri);
        printf("secret: %s\n", e->secret);
    }
    if (mode != QR_NONE) {
        fprintf(out, "Scan this QR code with your authenticator app (or type in the secret):\n");
        fflush(out);
        if (qr_print_fit(out, e->uri, mode, c->no_confirm ? 0 : 1) < 0)
            return cli_fail(EXIT_ERROR, "cannot draw the QR code");
    }
    fflush(out);
    return EXIT_OK;
}

/* Scratch codes only once the app has proved it holds the secret, so they are on the screen
 * when the enrollment is done, not scrolled away above the QR code. */
static void show_scratch(const struct cli *c, const struct enrollment *e)
{
    if (c->json || c->scratch_count == 0)
        return;
    printf("scratch codes (each works once; keep them somewhere safe):\n");
    for (unsigned i = 0; i < c->scratch_count; i++)
        printf("  %08u\n", (unsigned)e->scratch[i]);
}

/* Ask for a code from the app until one matches; the record then holds its watermark, so the
 * same code cannot log in afterwards. */
static int confirm(struct cli *c, struct enrollment *e)
{
    totp_policy policy = c->opt.policy;
    policy.noskewadj = 1;
    policy.rate_attempts = 0;
    char line[64];
    for (int i = 0; i < CONFIRM_TRIES; i++) {
        fprintf(stderr, "Code from the app: ");
        fflush(stderr);
        if (fgets(line, sizeof(line), stdin) == NULL)
            break;
        line[strcspn(line, "\r\n")] = '\0';
        totp_result res;
        int rc = totp_policy_check(e->rec, line, 0, (int64_t)time(NULL), &policy, &res);
        totp_wipe(line, sizeof(line));
        if (rc == TOTP_OK && res.method != TOTP_BY_SCRATCH) {
            /* Bookkeeping of the trial is not the user's history. */
            totp_record_unset(e->rec, "FAILURES");
            totp_record_unset(e->rec, "LAST_SUCCESS");
            return EXIT_OK;
        }
        if (rc == TOTP_OK) /* a scratch code: put it back, it proves nothing about the app */
            totp_record_set_scratch(e->rec, e->scratch, c->scratch_count);
        fprintf(stderr, "That code does not match%s\n",
                i + 1 < CONFIRM_TRIES ? "; try again" : ".");
    }
    return cli_fail(EXIT_REJECTED, "not enrolled: no code from the app matched");
}

/* Create the record where enrollment puts it (root: the system store, which is then used
 * first); with --force, replace one already there, under its lock. */
static int save(struct cli *c, struct enrollment *e, char *where, size_t size)
{
    totp_txn *txn = NULL;
    totp_record *old = NULL;
    totp_error err = {0};
    int flags = TOTP_TXN_CREATE | (c->is_root ? TOTP_TXN_SYSTEM : 0);
    int rc = totp_store_begin(c->store, c->user, flags, &txn, &old, &err);
    /* --force: the old record is not read, so a broken one is replaced too. */
    if (rc == TOTP_EEXIST && c->force)
        rc = totp_store_begin(c->store, c->user, TOTP_TXN_UNREAD, &txn, &old, &err);
    totp_record_free(old);
    if (rc == TOTP_OK) {
        snprintf(where, size, "%s", totp_txn_location(txn));
        rc = totp_txn_commit(txn, e->rec, &err);
    }
    return rc == TOTP_OK ? EXIT_OK : cli_error(rc, &err);
}

static void report(struct cli *c, const struct enrollment *e, const char *where)
{
    if (!c->json) {
        show_scratch(c, e);
        printf("enrolled %s: %s\n", c->user, where);
        if (cli_system_store_hidden(c))
            printf("(used unless an administrator enrolled %s in the system store)\n", c->user);
        return;
    }
    struct json j;
    cli_json_begin(&j, c, where);
    json_string(&j, "uri", e->uri);
    json_string(&j, "issuer", totp_record_get(e->rec, "ISSUER"));
    json_string(&j, "account", totp_record_get(e->rec, "ACCOUNT"));
    json_string(&j, "secret", e->secret);
    json_open(&j, "scratch_codes", '[');
    for (unsigned i = 0; i < c->scratch_count; i++) {
        char code[16];
        snprintf(code, sizeof(code), "%08u", (unsigned)e->scratch[i]);
        json_string(&j, NULL, code);
    }
    json_close(&j, ']');
    json_string(&j, "algorithm", totp_algorithm_name(c->params.algorithm));
    json_int(&j, "digits", c->params.digits);
    json_int(&j, "period", c->params.period);
    json_bool(&j, "system_store_visible", !cli_system_store_hidden(c));
    json_end(&j);
}

/* Root's enrollment goes to the system store: whether the record found (at `where`) is
 * elsewhere (a home record), which --force then leaves in place; `system` gets the new path. */
static int next_to(const struct cli *c, const char *where, char *system, size_t size)
{
    return c->is_root && cli_system_path(c, system, size) && strcmp(where, system) != 0;
}

int cmd_enroll(struct cli *c)
{
    struct enrollment e;
    char where[4096] = "";
    int exists = 0;
    memset(&e, 0, sizeof(e));

    /* The directory stores keep scratch codes (hashed) but no attempt history. */
    if (c->opt.ldap_store && c->rate_limit != NULL)
        return cli_fail(EXIT_USAGE, "--rate-limit: the LDAP store keeps no attempt history");
    if (c->opt.ad_store && (c->seen & OPT_WINDOW))
        return cli_fail(EXIT_USAGE, "--window: store=ad keeps no window (the site's applies)");
    int rc = existing(c, &exists, where, sizeof(where));
    char system[4400] = "";
    int beside = exists && next_to(c, where, system, sizeof(system));
    if (rc == EXIT_OK && beside && !c->force)
        rc = cli_fail(EXIT_REJECTED,
                      "%s is already enrolled (%s); --force keeps that record and enrolls %s in "
                      "the system store (%s), which is used before it; to replace it, remove it "
                      "first (totpctl -u %s remove)",
                      c->user, where, c->user, system, c->user);
    else if (rc == EXIT_OK && exists && !c->force)
        rc = cli_fail(EXIT_REJECTED, "%s is already enrolled (%s); --force replaces the record",
                      c->user, where);
    char kept[4096];
    snprintf(kept, sizeof(kept), "%s", where);
    if (rc == EXIT_OK && !c->no_confirm && !isatty(STDIN_FILENO))
        rc = cli_fail(EXIT_USAGE, "no terminal to read a code from the app; run on a terminal, "
                                  "or use --no-confirm to activate without one");
    /* A home record is dead if an administrator's record, which this user cannot see, exists:
     * say so before anything is shown, and again with the result. */
    if (rc == EXIT_OK)
        cli_hidden_system_note(c);
    if (rc == EXIT_OK)
        rc = create(c, &e);
    if (rc == EXIT_OK)
        rc = show(c, &e);
    if (rc == EXIT_OK && !c->no_confirm)
        rc = confirm(c, &e);
    if (rc == EXIT_OK)
        rc = save(c, &e, where, sizeof(where));
    if (rc == EXIT_OK)
        report(c, &e, where);
    if (rc == EXIT_OK && beside)
        fprintf(stderr,
                "Note: %s's record %s stays; the new record in the system store is used "
                "before it.\n",
                c->user, kept);
    enrollment_clear(&e);
    char note[4200] = "";
    if (rc == EXIT_OK && beside)
        snprintf(note, sizeof(note), "the record at %s stays, used after this one", kept);
    if (exists && c->force && !beside)
        c->action = "replace"; /* the record at `where` was (or was to be) overwritten */
    audit(c, c->user, where[0] != '\0' ? where : NULL, rc, note[0] != '\0' ? note : NULL);
    return rc;
}
