/* SPDX-License-Identifier: Apache-2.0 */
/* enroll.c: enrollment at login and the lost-phone replacement: the QR code and the URI in a
 * prompt (sudo passes PAM_SILENT and ssh escapes control characters: text inside a prompt is
 * what both show), one confirmation, create-if-absent, scratch codes in a prompt. */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <security/pam_ext.h>

#include "accepted.h"
#include "conv.h"
#include "enroll.h"

#define SCRATCH_CODES 5
/* A standard terminal: the QR code and the question under it must fit, or it cannot be
 * scanned; the text above it may scroll away. */
#define TERM_COLS  80
#define TERM_LINES 24

static const char *store_kind(const totp_options *opt)
{
    return opt->ad_store ? "ad" : opt->ldap_store ? "ldap" : "file";
}

/* The uid of the account that acted (the user logging in), for the audit line. */
static long long account_uid(const char *user)
{
    struct passwd pw, *found = NULL;
    char buf[4096];
    return getpwnam_r(user, &pw, buf, sizeof(buf), &found) == 0 && found != NULL
               ? (long long)found->pw_uid
               : -1;
}

/* The prompt: what to do, the URI and the secret, then the QR code (if it fits 80x24), then
 * the question, right under the code. `*prompt` is malloc'ed and holds the secret. */
static int build_prompt(const totp_enrollment *e, const char *intro, const char *question,
                        char **prompt)
{
    char *qr = NULL;
    int cols = 0, lines = 0;
    int fits = totp_qr_text(e->uri, TOTP_QR_PLAIN, &qr, &cols, &lines) == TOTP_OK &&
               cols <= TERM_COLS && lines + 1 <= TERM_LINES;
    const char *note = fits ? "Scan the QR code below with your authenticator app, or type the "
                              "secret into it.\n"
                            : "The QR code would not fit a standard terminal: type the secret "
                              "into your authenticator app.\n";
    size_t size = strlen(intro) + strlen(note) + strlen(e->uri) + strlen(e->secret) +
                  (fits ? strlen(qr) : 0) + strlen(question) + 64;
    *prompt = malloc(size);
    if (*prompt != NULL)
        snprintf(*prompt, size, "%s%sotpauth URI: %s\nSecret: %s\n%s%s", intro, note, e->uri,
                 e->secret, fits ? qr : "", question);
    totp_wipe_string(qr);
    return *prompt != NULL ? TOTP_OK : TOTP_ENOMEM;
}

/* A new secret, named in the app as totpctl names the store's enrollments, or as `rec` (the
 * record it replaces, if any) is named. */
static int new_enrollment(const struct enroll_login *l, const totp_record *rec, totp_enrollment *e)
{
    totp_enroll_names names;
    totp_enroll_names_default(l->opt->issuer, l->user, !l->opt->ldap_store, &names);
    const char *issuer = totp_record_get(rec, "ISSUER"), *account = totp_record_get(rec, "ACCOUNT");
    return totp_enrollment_new(&l->policy->defaults, issuer != NULL ? issuer : names.issuer,
                               account != NULL ? account : names.account, SCRATCH_CODES, e);
}

/* Ask for a code from the app once and judge it when the answer arrives. */
static int confirm(const struct enroll_login *l, totp_enrollment *e, const char *intro,
                   const char *question, const char **why)
{
    char *prompt = NULL, *answer = NULL;
    int rc = build_prompt(e, intro, question, &prompt);
    if (rc == TOTP_OK)
        answer = conv_ask(l->pamh, prompt, l->opt->echo_code);
    totp_wipe_string(prompt);
    if (rc != TOTP_OK) {
        *why = "out of memory";
        return rc;
    }
    if (answer == NULL || answer[0] == '\0') {
        *why = "no code given";
        totp_wipe_string(answer);
        return TOTP_ECODE;
    }
    rc = totp_enrollment_confirm(e, answer, (int64_t)time(NULL), l->policy);
    totp_wipe_string(answer);
    *why = rc == TOTP_ECODE ? "malformed code" : "wrong code";
    return rc;
}

/* The scratch codes, once, in a prompt that waits: text after the last answer is lost with
 * `ssh host command`. */
static void show_scratch(const struct enroll_login *l, const totp_enrollment *e)
{
    char text[128 + TOTP_SCRATCH_COUNT_MAX * 12];
    size_t n = (size_t)snprintf(text, sizeof(text),
                                "Scratch codes: each works once, in place of a code, if you lose "
                                "the app. Write them down now:\n");
    for (size_t i = 0; i < e->scratch_count && n < sizeof(text); i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "  %08u\n", (unsigned)e->scratch[i]);
    if (n < sizeof(text))
        snprintf(text + n, sizeof(text) - n, "Once they are safe, press Enter: ");
    char *answer = conv_ask(l->pamh, text, 1);
    totp_wipe(text, sizeof(text));
    totp_wipe_string(answer);
}

static void audit(const struct enroll_login *l, const char *action, const char *record)
{
    totp_audit a = {action,        "ok",
                    l->user,       store_kind(l->opt),
                    record,        "login",
                    l->user,       account_uid(l->user),
                    NULL,          l->log->service,
                    l->log->rhost, NULL};
    log_audit(l->log, &a);
}

/* Create the record where an administrator's would be: the system store, or the directory. */
static int create(const struct enroll_login *l, const totp_enrollment *e, char *where, size_t size,
                  totp_error *err)
{
    totp_txn *txn = NULL;
    totp_record *none = NULL;
    int rc =
        totp_store_begin(l->store, l->user, TOTP_TXN_CREATE | TOTP_TXN_SYSTEM, &txn, &none, err);
    totp_record_free(none);
    if (rc == TOTP_OK) {
        snprintf(where, size, "%s", totp_txn_location(txn));
        rc = totp_txn_commit(txn, e->rec, err);
    }
    return rc;
}

static int refuse(const struct enroll_login *l, int rc, const char *why, const totp_error *err,
                  const char *record)
{
    char reason[512];
    if (rc == TOTP_EEXIST) {
        log_decision(l->log, LOG_NOTICE, "denied",
                     "enrollment refused: a record appeared meanwhile, and it is never replaced",
                     record);
        return PAM_AUTH_ERR;
    }
    if (why != NULL) {
        snprintf(reason, sizeof(reason), "enrollment not confirmed: %s", why);
        log_decision(l->log, LOG_NOTICE, "denied", reason, NULL);
        return rc == TOTP_ENOMEM ? PAM_BUF_ERR : PAM_AUTH_ERR;
    }
    log_decision(l->log, LOG_ERR, "error",
                 err != NULL && err->message[0] != '\0' ? err->message : totp_strerror(rc), NULL);
    return rc == TOTP_ENOMEM ? PAM_BUF_ERR : PAM_AUTHINFO_UNAVAIL;
}

int enroll_at_login(const struct enroll_login *l)
{
    totp_enroll_grant grant = TOTP_ENROLL_NO;
    totp_error err = {0};
    totp_enrollment e;
    char where[4096] = "";
    const char *why = NULL;

    int rc = totp_enroll_permitted(l->store, l->user, l->opt->enroll_group, l->now, &grant, &err);
    if (rc != TOTP_OK)
        return refuse(l, rc, NULL, &err, NULL);
    if (grant == TOTP_ENROLL_NO) {
        if (err.sys_errno == TOTP_EINVAL)
            log_line(l->log, LOG_WARNING, "warning",
                     "enrollment at login not offered: ", err.message, NULL);
        else if (l->opt->debug)
            log_line(l->log, LOG_DEBUG, "debug", "enrollment at login not offered: ", err.message,
                     NULL);
        return ENROLL_NOT_OFFERED;
    }
    rc = new_enrollment(l, NULL, &e);
    if (rc != TOTP_OK)
        return refuse(l, rc, NULL, &err, NULL);
    rc = confirm(l, &e,
                 "You have no authenticator for this account yet: set one up now. Add this "
                 "account to an authenticator app (Google Authenticator, FreeOTP, Aegis, ...).\n",
                 "Code from the app: ", &why);
    if (rc != TOTP_OK) {
        totp_enrollment_clear(&e);
        return refuse(l, rc, why, NULL, NULL);
    }
    /* The question may have been held for as long as the caller liked (sudo has no timeout):
     * the permission is judged again when the answer arrives, as the code was. */
    totp_enroll_grant still = TOTP_ENROLL_NO;
    rc = totp_enroll_permitted(l->store, l->user, l->opt->enroll_group, (int64_t)time(NULL), &still,
                               &err);
    if (rc == TOTP_OK && still == TOTP_ENROLL_NO) {
        totp_enrollment_clear(&e);
        return refuse(l, TOTP_EPERM,
                      "the permission to enroll (group or allowance) ended before the answer", NULL,
                      NULL);
    }
    if (rc != TOTP_OK) {
        totp_enrollment_clear(&e);
        return refuse(l, rc, NULL, &err, NULL);
    }
    /* The allowance is spent before the record is made, with a compare-and-swap: of two
     * logins using one allowance (two hosts, or after a removal) only one goes on, and it is
     * not put back if the creation fails: one allowance never enrolls twice. */
    if (still == TOTP_ENROLL_BY_ALLOWANCE &&
        (rc = totp_store_spend_allowance(l->store, l->user, (int64_t)time(NULL), &err)) !=
            TOTP_OK) {
        totp_enrollment_clear(&e);
        if (rc == TOTP_ENOENT)
            return refuse(l, TOTP_EPERM, "the allowance was used or revoked meanwhile", NULL, NULL);
        return refuse(l, rc, NULL, &err, NULL);
    }
    rc = create(l, &e, where, sizeof(where), &err);
    if (rc != TOTP_OK) {
        totp_enrollment_clear(&e);
        return refuse(l, rc, NULL, &err, where[0] != '\0' ? where : NULL);
    }
    audit(l, "enroll", where);
    log_decision(l->log, LOG_INFO, "accepted", "enrolled at login", where);
    accepted_remember(l->pamh, l->user, where);
    show_scratch(l, &e);
    totp_enrollment_clear(&e);
    return PAM_SUCCESS;
}

/* The secret of the record a scratch code was accepted from, to replace only that one. */
struct replaced {
    uint8_t secret[TOTP_KEY_MAX];
    size_t len;
};

/* Read that record: its secret, and a new one named in the app as the record is (the question
 * comes before the record's lock). */
static int read_secret(const struct enroll_login *l, struct replaced *r, totp_enrollment *e,
                       totp_error *err)
{
    totp_txn *txn = NULL;
    totp_record *rec = NULL;
    int rc = totp_store_begin(l->store, l->user, 0, &txn, &rec, err);
    if (rc == TOTP_OK)
        rc = totp_record_secret(rec, r->secret, &r->len);
    totp_txn_abort(txn);
    if (rc == TOTP_OK)
        rc = new_enrollment(l, rec, e);
    else
        memset(e, 0, sizeof(*e));
    totp_record_free(rec);
    return rc;
}

/* Whether `rec` still holds the secret read before the question (compared in constant time). */
static int same_secret(const totp_record *rec, const struct replaced *r)
{
    uint8_t now[TOTP_KEY_MAX];
    size_t len = 0;
    int same = totp_record_secret(rec, now, &len) == TOTP_OK && len == r->len &&
               CRYPTO_memcmp(now, r->secret, len) == 0;
    totp_wipe(now, sizeof(now));
    return same;
}

static int replace_refused(totp_error *err)
{
    if (err != NULL) {
        err->code = TOTP_EEXIST;
        snprintf(err->message, sizeof(err->message),
                 "the record changed while the question was held (re-enrolled or removed): "
                 "it is not replaced");
    }
    return TOTP_EEXIST;
}

/* Replace the secret under the record's lock, keeping every other key: one compare-and-swap
 * commit in the same store, and only if it is still the record whose scratch code was used:
 * one written meanwhile (an administrator's re-enrollment while the question was held) is
 * never overwritten. */
static int replace(const struct enroll_login *l, const totp_enrollment *e, const struct replaced *r,
                   char *where, size_t size, totp_error *err)
{
    totp_txn *txn = NULL;
    totp_record *old = NULL;
    int rc = totp_store_begin(l->store, l->user, 0, &txn, &old, err);
    if (rc == TOTP_OK && !same_secret(old, r)) {
        totp_txn_abort(txn);
        totp_record_free(old);
        return replace_refused(err);
    }
    if (rc == TOTP_OK) {
        snprintf(where, size, "%s", totp_txn_location(txn));
        rc = totp_record_replace_secret(old, e->rec);
        if (rc == TOTP_OK)
            rc = totp_txn_commit(txn, old, err);
        else
            totp_txn_abort(txn);
    }
    totp_record_free(old);
    return rc;
}

void enroll_replace(const struct enroll_login *l)
{
    totp_error err = {0};
    totp_enrollment e;
    char where[4096] = "";
    const char *why = NULL;
    struct replaced r = {{0}, 0};
    int rc = read_secret(l, &r, &e, &err);
    if (rc == TOTP_OK)
        rc = confirm(l, &e,
                     "You logged in with a scratch code. If you lost your authenticator, set up "
                     "a new one now: it replaces the old one.\n",
                     "Code from the new app (press Enter to keep the old one): ", &why);
    if (rc == TOTP_OK)
        rc = replace(l, &e, &r, where, sizeof(where), &err);
    totp_wipe(&r, sizeof(r));
    if (rc == TOTP_OK) {
        audit(l, "replace", where);
        show_scratch(l, &e);
    } else if (why != NULL && strcmp(why, "no code given") == 0) {
        log_decision(l->log, LOG_INFO, "accepted", "authenticator kept: no code for a new one",
                     NULL);
    } else if (why != NULL) {
        log_line(l->log, LOG_NOTICE, "warning", "authenticator not replaced: ", why, NULL);
    } else {
        log_line(l->log, LOG_ERR, "error", "authenticator not replaced: ",
                 err.message[0] != '\0' ? err.message : totp_strerror(rc), NULL);
    }
    totp_enrollment_clear(&e);
}
