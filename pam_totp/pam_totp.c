/* SPDX-License-Identifier: Apache-2.0 */
/* pam_totp.c: the PAM module: options, the prompt, the library's decision, the return code. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "accepted.h"
#include "conv.h"
#include "enroll.h"
#include "log.h"
#include "totp.h"

#define CODE_PROMPT          "Verification code: "
#define PASSWORD_CODE_PROMPT "Password & verification code: "

/* The delay libpam applies when the stack fails (pam_fail_delay; pam_unix asks for 2 s too).
 * The module never sleeps itself. */
#define FAIL_DELAY_USEC 2000000u

/* One call of pam_sm_authenticate. */
struct login {
    pam_handle_t *pamh;
    const totp_options *opt;
    totp_policy policy;
    totp_store *store;
    struct log_context log;
    const char *user;  /* the account's own name (see totp_user_canonical) */
    int64_t now;       /* before the question: grace period; each answer reads it again */
    char record[4096]; /* where the record is, once known */
};

/* The PAM answer for a library verdict or error: never PAM_IGNORE. */
static int pam_result(int rc)
{
    switch (rc) {
    case TOTP_OK:
        return PAM_SUCCESS;
    case TOTP_EMISMATCH:
    case TOTP_EREPLAY:
    case TOTP_ECODE:
    case TOTP_ENOENT:
    case TOTP_EUSER:
    case TOTP_EUNTRUSTED:
        return PAM_AUTH_ERR;
    case TOTP_ERATELIMIT:
        return PAM_MAXTRIES;
    case TOTP_ENOMEM:
        return PAM_BUF_ERR;
    default: /* the record or its store is unusable: unreadable, corrupt, unwritable, locked */
        return PAM_AUTHINFO_UNAVAIL;
    }
}

static const char *accepted_reason(const totp_result *res, char *buf, size_t size)
{
    switch (res->method) {
    case TOTP_BY_HOTP:
        return "counter-based code";
    case TOTP_BY_SCRATCH:
        snprintf(buf, size, "scratch code, %zu left", res->scratch_left);
        return buf;
    case TOTP_BY_SKEW:
        return "code; the authenticator's clock skew was learned";
    default:
        return "code";
    }
}

static const char *denied_reason(int rc)
{
    switch (rc) {
    case TOTP_EMISMATCH:
        return "wrong code";
    case TOTP_EREPLAY:
        return "code already used";
    case TOTP_ECODE:
        return "malformed code";
    case TOTP_ERATELIMIT:
        return "too many attempts";
    case TOTP_EUNTRUSTED:
        return "the record is one the user can write (system_only)";
    default:
        return NULL; /* an error: its message is the reason */
    }
}

/* "no record" or "unknown user", and where the store looked and why (its message: never a
 * secret), so that an administrator reading the log sees what was searched. */
static const char *absent_reason(int rc, const char *suffix, const totp_error *err, char *buf,
                                 size_t size)
{
    const char *what = rc == TOTP_EUSER ? "unknown user" : "no record";
    if (err != NULL && err->message[0] != '\0')
        snprintf(buf, size, "%s%s: %s", what, suffix, err->message);
    else
        snprintf(buf, size, "%s%s", what, suffix);
    return buf;
}

/* Log the outcome `rc` and return its PAM code. */
static int decide(struct login *l, int rc, const totp_result *res, const totp_error *err)
{
    char buf[sizeof(err->message) + 64];
    const char *record = l->record[0] != '\0' ? l->record : NULL;
    if (rc == TOTP_OK) {
        log_decision(&l->log, LOG_INFO, "accepted", accepted_reason(res, buf, sizeof(buf)), record);
    } else if (rc == TOTP_ERATELIMIT && res != NULL && res->throttle_wait > 0) {
        /* Throttled: the code was not looked at. */
        snprintf(buf, sizeof(buf), "too many attempts; codes judged again in %u s",
                 res->throttle_wait);
        log_decision(&l->log, LOG_NOTICE, "denied", buf, record);
    } else if (rc == TOTP_EMISMATCH && totp_clock_hint(res, buf, sizeof(buf))) {
        log_decision(&l->log, LOG_NOTICE, "denied", buf, record); /* clock trouble */
    } else if (rc == TOTP_ENOENT || rc == TOTP_EUSER) {
        log_decision(&l->log, LOG_NOTICE, "denied", absent_reason(rc, "", err, buf, sizeof(buf)),
                     record);
    } else if (rc == TOTP_EUNTRUSTED && err != NULL && err->message[0] != '\0') {
        log_decision(&l->log, LOG_NOTICE, "denied", err->message, NULL); /* names it */
    } else if (denied_reason(rc) != NULL) {
        log_decision(&l->log, LOG_NOTICE, "denied", denied_reason(rc), record);
    } else {
        const char *why = err != NULL && err->message[0] != '\0' ? err->message : totp_strerror(rc);
        log_decision(&l->log, LOG_ERR, "error", why, NULL);
    }
    if (res != NULL && res->failure_ahead > 0) { /* not believed: a clock is wrong */
        snprintf(buf, sizeof(buf),
                 "the last failure was recorded %lld s in the future, more than the %d s the "
                 "throttle believes: check the clocks",
                 (long long)res->failure_ahead, TOTP_THROTTLE_CLOCK_TOLERANCE);
        log_decision(&l->log, LOG_WARNING, "warning", buf, record);
    }
    if ((rc == TOTP_EMISMATCH || rc == TOTP_EREPLAY || rc == TOTP_ECODE) && res != NULL &&
        res->throttle_started) { /* once, as the delays begin */
        snprintf(buf, sizeof(buf), "%llu consecutive failures; no code judged for %u s",
                 (unsigned long long)res->failures, res->throttle_wait);
        log_decision(&l->log, LOG_WARNING, "throttled", buf, record);
    }
    return pam_result(rc);
}

/* Look at the record before asking: is there one, and does a grace period apply? */
static int look(struct login *l, int *grace, totp_error *err)
{
    totp_txn *txn = NULL;
    totp_record *rec = NULL;
    int rc = totp_store_begin(l->store, l->user, 0, &txn, &rec, err);
    if (rc == TOTP_OK) {
        snprintf(l->record, sizeof(l->record), "%s", totp_txn_location(txn));
        *grace = totp_grace_applies(rec, l->log.rhost, l->now, l->policy.grace_period);
        totp_txn_abort(txn);
        totp_record_free(rec);
    }
    return rc;
}

static char *ask(struct login *l, int *flags)
{
    const char *prompt = l->opt->prompt;
    if (prompt == NULL)
        prompt = l->opt->forward_pass ? PASSWORD_CODE_PROMPT : CODE_PROMPT;
    *flags = l->opt->forward_pass ? TOTP_INPUT_SUFFIX : 0;
    return conv_ask(l->pamh, prompt, l->opt->echo_code);
}

/* An earlier module's password, if it may end in a code (google-authenticator strips the code
 * off its end); NULL otherwise, so that a plain password does not cost an attempt. */
static char *first_pass(struct login *l)
{
    char *pass = conv_first_pass(l->pamh);
    size_t len = pass != NULL ? strlen(pass) : 0;
    if (len >= TOTP_DIGITS_MIN && strspn(pass + len - TOTP_DIGITS_MIN, "0123456789") == 6)
        return pass;
    totp_wipe_string(pass);
    return NULL;
}

/* Hand the password in front of the code on to the next module (forward_pass). */
static int forward_password(struct login *l, const char *input, size_t code_len)
{
    char *password = strndup(input, strlen(input) - code_len);
    int rc = password != NULL && pam_set_item(l->pamh, PAM_AUTHTOK, password) == PAM_SUCCESS
                 ? TOTP_OK
                 : TOTP_ENOMEM;
    totp_wipe_string(password);
    return rc;
}

/* Judge `input` with the time it arrived, never the time it was asked for: a question can be
 * held open for as long as the caller likes (sudo has no timeout), and answers to several
 * held questions can come in any order. Judged with the older time, an answer would miss
 * failures written since (a failure "in its future") and match codes of a step long gone. */
static int check(struct login *l, const char *input, int flags, totp_result *res, totp_error *err)
{
    l->now = (int64_t)time(NULL);
    return totp_authenticate(l->store, l->user, input, flags, l->now, &l->policy, res, l->record,
                             sizeof(l->record), err);
}

/* A code that was judged and did not get the user in. */
static int is_miss(int rc)
{
    return rc == TOTP_EMISMATCH || rc == TOTP_ECODE || rc == TOTP_EREPLAY;
}

static int authenticate(struct login *l)
{
    totp_error err = {0}, lookerr = {0};
    totp_result res = {0};
    int grace = 0, flags = 0, rc;

    /* Only nullok and grace_period decide anything before the question; without them, the
     * record is read once, under its lock, after it. */
    int found = TOTP_OK;
    int earlier = !l->opt->forward_pass && accepted_any(l->pamh, l->user);
    struct enroll_login el = {l->pamh, l->opt, &l->policy, l->store, &l->log, l->user, l->now};
    if (l->opt->nullok || l->policy.grace_period > 0 || earlier || l->opt->enroll_at_login)
        found = look(l, &grace, &lookerr);
    /* The same record accepted a code earlier in this transaction (pam_totp twice in a stack):
     * that code is spent, so asking again could only end in a replay. */
    if (found == TOTP_OK && earlier && accepted_before(l->pamh, l->user, l->record)) {
        log_decision(&l->log, LOG_INFO, "accepted",
                     "a code accepted earlier in this PAM transaction", l->record);
        return PAM_SUCCESS;
    }
    /* With forward_pass the question also carries the password the next module needs, so a
     * grace period cannot skip it. */
    if (found == TOTP_OK && grace && !l->opt->forward_pass) {
        log_decision(&l->log, LOG_INFO, "accepted", "grace period for this host", l->record);
        return PAM_SUCCESS;
    }
    /* No record: enrollment, if this line offers it and the user may (only now is the
     * allowance or the group looked at, so enrolled users pay nothing for it). */
    if (found == TOTP_ENOENT && l->opt->enroll_at_login) {
        rc = enroll_at_login(&el);
        if (rc != ENROLL_NOT_OFFERED)
            return rc;
    }
    if (found == TOTP_ENOENT && l->opt->nullok) {
        char why[sizeof(lookerr.message) + 64];
        log_decision(&l->log, LOG_INFO, "ignored",
                     absent_reason(found, " (nullok)", &lookerr, why, sizeof(why)), NULL);
        return PAM_IGNORE;
    }
    if (l->opt->debug && found != TOTP_OK)
        log_line(&l->log, LOG_DEBUG, "debug", "record lookup: ", lookerr.message, NULL);

    /* Everyone is asked, enrolled or not, so that the prompt tells nothing. */
    char *input = NULL;
    int from_first = 0;
    if (l->opt->pass_mode != TOTP_PASS_PROMPT) {
        input = first_pass(l);
        from_first = input != NULL;
        flags = TOTP_INPUT_SUFFIX;
    }
    if (input == NULL && l->opt->pass_mode != TOTP_PASS_USE_FIRST)
        input = ask(l, &flags);
    if (input == NULL) {
        log_decision(&l->log, LOG_NOTICE, "denied", "no code given", NULL);
        return PAM_AUTH_ERR;
    }
    if (found != TOTP_OK) {
        totp_wipe_string(input);
        return decide(l, found, NULL, &lookerr);
    }

    /* An earlier password that ends in a code's digits is judged as a real attempt, counted
     * durably before anything else is asked: a question nobody answers (a killed sudo, a
     * dropped connection) must not make it a free guess. */
    rc = check(l, input, flags, &res, &err);
    if (from_first && l->opt->pass_mode == TOTP_PASS_TRY_FIRST && is_miss(rc)) {
        totp_wipe_string(input);
        from_first = 0;
        input = ask(l, &flags);
        if (input == NULL) {
            log_decision(&l->log, LOG_NOTICE, "denied", "no code given", NULL);
            return PAM_AUTH_ERR;
        }
        memset(&res, 0, sizeof(res));
        memset(&err, 0, sizeof(err));
        rc = check(l, input, flags, &res, &err);
    }
    if (rc == TOTP_OK && (flags & TOTP_INPUT_SUFFIX) && l->opt->forward_pass)
        rc = forward_password(l, input, res.code_len);
    totp_wipe_string(input);
    /* Remembered for a later pam_totp line of this same pam_authenticate only (see
     * accepted.h); never an acceptance taken from the earlier password itself. */
    if (rc == TOTP_OK && !from_first)
        accepted_remember(l->pamh, l->user, l->record);
    int result = decide(l, rc, &res, &err);
    /* Lost phone: a scratch code (never the first factor alone) may set up a new app. */
    if (rc == TOTP_OK && res.method == TOTP_BY_SCRATCH && l->opt->enroll_replace_with_scratch)
        enroll_replace(&el);
    return result;
}

/* debug: one line for each place the store looked at, and what it found there. */
static void debug_trace(void *ctx, const char *message)
{
    log_line(ctx, LOG_DEBUG, "debug", "looked for a record: ", message, NULL);
}

/* secret= names the record; a system record the administrator made for the user is then not
 * consulted, which nobody should learn only when it matters. */
static void warn_hidden_system_record(struct login *l)
{
    char path[4096];
    if (totp_store_hides_system_record(l->store, l->user, path, sizeof(path)))
        log_line(&l->log, LOG_WARNING, "warning",
                 "secret= is set, so this line does not consult the system store's record", NULL,
                 path);
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    totp_options opt;
    totp_error err = {0};
    struct login l;
    const char *user = NULL;
    (void)flags;

    memset(&l, 0, sizeof(l));
    l.pamh = pamh;
    l.opt = &opt;
    totp_options_init(&opt);
    /* The user, if libpam already has one: the options are read before anyone is asked. */
    const void *known = NULL;
    log_context_init(pamh, &l.log,
                     pam_get_item(pamh, PAM_USER, &known) == PAM_SUCCESS ? known : NULL);
    if (totp_options_load(&opt, argc, argv, &err) != TOTP_OK) {
        log_line(&l.log, LOG_ERR, "error",
                 "configuration error, refusing every login: ", err.message, NULL);
        totp_options_clear(&opt);
        return PAM_SERVICE_ERR;
    }
    if (!opt.nodelay)
        pam_fail_delay(pamh, FAIL_DELAY_USEC);
    int rc = pam_get_user(pamh, &user, NULL);
    log_context_init(pamh, &l.log, rc == PAM_SUCCESS ? user : NULL);
    if (rc != PAM_SUCCESS || user == NULL || user[0] == '\0') {
        log_decision(&l.log, LOG_ERR, "error", "no user name", NULL);
        totp_options_clear(&opt);
        return PAM_AUTH_ERR;
    }
    /* One account, one name: "ALICE" from a case-insensitive account source is alice. A user
     * that does not exist is asked like anyone else; a lookup that fails is an error. */
    char *canonical = NULL;
    rc = totp_user_canonical(user, &canonical, &err);
    if (rc != TOTP_OK && rc != TOTP_EUSER) {
        log_decision(&l.log, LOG_ERR, "error", err.message, NULL);
        totp_options_clear(&opt);
        return rc == TOTP_ENOMEM ? PAM_BUF_ERR : PAM_AUTHINFO_UNAVAIL;
    }
    l.user = canonical != NULL ? canonical : user;
    l.log.user = l.user;
    l.policy = opt.policy;
    l.policy.rhost = l.log.rhost;
    l.now = (int64_t)time(NULL);
    if (opt.debug) {
        opt.store.trace = debug_trace;
        opt.store.trace_ctx = &l.log;
    }
    rc = totp_options_store(&opt, &l.store, &err);
    if (rc != TOTP_OK) {
        log_decision(&l.log, LOG_ERR, "error", err.message, NULL);
        rc = rc == TOTP_ENOMEM ? PAM_BUF_ERR : PAM_SERVICE_ERR;
    } else {
        if (opt.debug && opt.conf != NULL)
            log_line(&l.log, LOG_DEBUG, "debug", "site configuration from ", opt.conf, NULL);
        warn_hidden_system_record(&l);
        rc = authenticate(&l);
    }
    free(canonical);
    totp_store_free(l.store);
    totp_options_clear(&opt);
    return rc;
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh, (void)flags, (void)argc, (void)argv;
    return PAM_SUCCESS; /* a second factor has no credentials to set */
}
