/* SPDX-License-Identifier: Apache-2.0 */
/* inspect.c: commands that read a record: show, code, status, list. */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "qr.h"

/* Read the user's record (lock, read, release); EXIT_OK or the exit status. */
static int read_record(struct cli *c, totp_record **rec, char *where, size_t size)
{
    totp_txn *txn = NULL;
    int rc = cli_begin(c, &txn, rec);
    if (rc == EXIT_OK)
        snprintf(where, size, "%s", totp_txn_location(txn));
    totp_txn_abort(txn);
    return rc;
}

int cmd_show(struct cli *c)
{
    totp_record *rec = NULL;
    char where[4096], secret[TOTP_KEY_MAX * 2], *uri = NULL;
    uint8_t key[TOTP_KEY_MAX];
    size_t len = 0;
    totp_error err = {0};
    int rc = read_record(c, &rec, where, sizeof(where));
    if (rc != EXIT_OK)
        return rc;
    char system[4400];
    int in_system = cli_system_path(c, system, sizeof(system)) && strcmp(where, system) == 0;
    if (totp_record_uri(rec, &c->opt.policy.defaults, cli_default_issuer(c),
                        cli_default_account(c, in_system), &uri) != TOTP_OK ||
        totp_record_secret(rec, key, &len) != TOTP_OK ||
        totp_base32_encode(key, len, secret, sizeof(secret), 0) != TOTP_OK)
        rc = cli_fail(EXIT_ERROR, "%s: cannot build the otpauth URI", where);
    if (rc == EXIT_OK && c->qr_png != NULL && qr_write_png(c->qr_png, uri, &err) != TOTP_OK)
        rc = cli_fail(EXIT_ERROR, "%s", err.message);
    if (rc == EXIT_OK && c->qr_svg != NULL && qr_write_svg(c->qr_svg, uri, &err) != TOTP_OK)
        rc = cli_fail(EXIT_ERROR, "%s", err.message);
    int mode = c->qr_mode >= 0 ? c->qr_mode : isatty(STDOUT_FILENO) && !c->json ? QR_UTF8 : QR_NONE;
    if (rc == EXIT_OK && mode != QR_NONE)
        qr_print(c->json ? stderr : stdout, uri, mode);
    if (rc == EXIT_OK && c->json) {
        struct json j;
        cli_json_begin(&j, c, where);
        json_string(&j, "uri", uri);
        json_string(&j, "secret", secret);
        json_end(&j);
    } else if (rc == EXIT_OK) {
        printf("otpauth URI: %s\nsecret: %s\n", uri, secret);
    }
    totp_wipe(key, sizeof(key));
    totp_wipe(secret, sizeof(secret));
    totp_wipe_string(uri);
    totp_record_free(rec);
    return rc;
}

int cmd_code(struct cli *c)
{
    totp_record *rec = NULL;
    char where[4096], code[TOTP_CODE_BUFSIZE];
    uint64_t step = 0;
    int64_t at = (c->seen & OPT_AT) ? c->at : (int64_t)time(NULL);
    int rc = read_record(c, &rec, where, sizeof(where));
    if (rc != EXIT_OK)
        return rc;
    if (totp_record_expected_code(rec, &c->opt.policy, at, code, &step) != TOTP_OK)
        rc = cli_fail(EXIT_ERROR, "%s: cannot compute a code", where);
    else if (c->json) {
        struct json j;
        json_begin(&j, stdout);
        json_string(&j, "user", c->user);
        json_string(&j, "code", code);
        json_int(&j, "time", at);
        json_int(&j, "step", (int64_t)step);
        json_end(&j);
    } else {
        printf("%s\n", code);
    }
    totp_wipe(code, sizeof(code));
    totp_record_free(rec);
    return rc;
}

/* A record key's value as a number, or -1. */
static int64_t number_of(const totp_record *rec, const char *key, int field)
{
    const char *v = totp_record_get(rec, key);
    for (int i = 0; v != NULL && i < field; i++) {
        v = strchr(v, ' ');
        v = v != NULL ? v + 1 : NULL;
    }
    return v != NULL && *v >= '0' && *v <= '9' ? strtoll(v, NULL, 10) : -1;
}

static void status_text(const struct cli *c, const totp_record *rec, const totp_params *p,
                        const char *where, const totp_throttle_info *throttle)
{
    const char *rate = totp_record_get(rec, "RATE_LIMIT");
    int64_t last = number_of(rec, "LAST_SUCCESS", 0), failures = number_of(rec, "FAILURES", 0);
    printf("user:           %s\nrecord:         %s\n", c->user, where);
    printf("type:           %s\n", totp_record_get(rec, "HOTP_COUNTER") ? "HOTP (counter)"
                                   : totp_record_get(rec, "TOTP_AUTH")  ? "TOTP (time)"
                                                                        : "scratch codes only");
    printf("parameters:     %s, %u digits, %u s\n", totp_algorithm_name(p->algorithm), p->digits,
           p->period);
    printf("scratch codes:  %zu left\n", totp_record_scratch_count(rec));
    unsigned attempts, seconds;
    if (rate != NULL && sscanf(rate, "%u %u", &attempts, &seconds) == 2)
        printf("rate limit:     %u attempts in %u s\n", attempts, seconds);
    char when[64];
    if (last >= 0) {
        time_t t = (time_t)last;
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", localtime(&t));
        printf("last success:   %s\n", when);
    } else if (!c->opt.ldap_store) {
        printf("last success:   never\n");
    }
    int64_t next = number_of(rec, "HOTP_COUNTER", 0);
    uint64_t step;
    if (next >= 0) {
        printf("next counter:   %lld\n", (long long)next);
    } else if (totp_record_last_step(rec, &step) == TOTP_OK) {
        time_t t = (time_t)(step * p->period);
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", localtime(&t));
        printf("last code used: step %lld (%s)\n", (long long)step, when);
    } else if (c->opt.ldap_store) {
        printf("last code used: none yet\n");
    }
    printf("failures:       %lld since the last success\n",
           (long long)(failures > 0 ? failures : 0));
    if (throttle->last_failure >= 0) {
        time_t t = (time_t)throttle->last_failure;
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", localtime(&t));
        printf("last failure:   %s\n", when);
    }
    if (throttle->left > 0)
        printf("throttled:      yes, no code judged for %u s more (totpctl -u %s reset-failures "
               "lifts it)\n",
               throttle->left, c->user);
    else
        printf("throttled:      no%s\n",
               c->opt.policy.throttle.max_delay == 0 ? " (throttle=off)" : "");
}

int cli_record_facts(struct cli *c, const char *user, int64_t now, totp_record **rec,
                     struct record_facts *f, totp_error *err)
{
    totp_txn *txn = NULL;
    memset(f, 0, sizeof(*f));
    *rec = NULL;
    int rc = totp_store_begin(c->store, user, 0, &txn, rec, err);
    if (rc == TOTP_OK)
        snprintf(f->where, sizeof(f->where), "%s", totp_txn_location(txn));
    totp_txn_abort(txn);
    if (rc != TOTP_OK)
        return rc;
    if (totp_record_params(*rec, &c->opt.policy.defaults, &f->params) != TOTP_OK) {
        totp_record_free(*rec);
        *rec = NULL;
        if (err != NULL) {
            err->code = TOTP_EFORMAT;
            snprintf(err->message, sizeof(err->message), "%.300s: unusable parameters", f->where);
        }
        return TOTP_EFORMAT;
    }
    f->hotp = totp_record_get(*rec, "HOTP_COUNTER") != NULL;
    f->scratch_left = totp_record_scratch_count(*rec);
    f->last_success = number_of(*rec, "LAST_SUCCESS", 0);
    f->failures = number_of(*rec, "FAILURES", 0);
    if (f->failures < 0)
        f->failures = 0;
    f->last_failure = number_of(*rec, "FAILURES", 1);
    totp_throttle_state(*rec, now, &c->opt.policy, &f->throttle);
    return TOTP_OK;
}

int cmd_status(struct cli *c)
{
    totp_record *rec = NULL;
    totp_error err = {0};
    struct record_facts f;
    int64_t now = (c->seen & OPT_AT) ? c->at : (int64_t)time(NULL);
    int rc = cli_record_facts(c, c->user, now, &rec, &f, &err);
    /* A user cannot see the system store: "not enrolled" would be a guess. */
    int hidden = cli_system_store_hidden(c);
    if (rc == TOTP_ENOENT) {
        if (c->json) {
            struct json j;
            json_begin(&j, stdout);
            json_string(&j, "user", c->user);
            json_bool(&j, "enrolled", 0);
            json_bool(&j, "system_store_visible", !hidden);
            allow_status(c, &j);
            json_end(&j);
        } else if (hidden) {
            printf("%s has no record in their home directory\n", c->user);
        } else {
            printf("%s is not enrolled\n", c->user);
            allow_status(c, NULL);
        }
        cli_hidden_system_note(c);
        return EXIT_REJECTED;
    }
    if (rc != TOTP_OK)
        return cli_error(rc, &err);
    if (!c->json) {
        status_text(c, rec, &f.params, f.where, &f.throttle);
    } else {
        struct json j;
        int64_t v;
        json_begin(&j, stdout);
        json_string(&j, "user", c->user);
        json_bool(&j, "enrolled", 1);
        json_string(&j, "path", f.where);
        json_bool(&j, "system_store_visible", !hidden);
        json_string(&j, "type", f.hotp ? "hotp" : "totp");
        json_string(&j, "algorithm", totp_algorithm_name(f.params.algorithm));
        json_int(&j, "digits", f.params.digits);
        json_int(&j, "period", f.params.period);
        json_int(&j, "scratch_codes_left", (int64_t)f.scratch_left);
        if (f.last_success >= 0)
            json_int(&j, "last_success", f.last_success);
        else
            json_null(&j, "last_success");
        uint64_t step;
        if (totp_record_last_step(rec, &step) == TOTP_OK)
            json_int(&j, "last_step", (int64_t)step);
        else
            json_null(&j, "last_step");
        if ((v = number_of(rec, "HOTP_COUNTER", 0)) >= 0)
            json_int(&j, "next_counter", v);
        else
            json_null(&j, "next_counter");
        json_int(&j, "failures", f.failures);
        if (f.last_failure >= 0)
            json_int(&j, "last_failure", f.last_failure);
        else
            json_null(&j, "last_failure");
        json_bool(&j, "throttled", f.throttle.left > 0);
        json_int(&j, "throttle_seconds_left", f.throttle.left);
        json_end(&j);
    }
    totp_record_free(rec);
    cli_hidden_system_note(c);
    return EXIT_OK;
}

/* A system record whose account is gone would authenticate the next account of that name. */
static int no_account(const struct cli *c, const char *user)
{
    return !c->opt.ldap_store && getpwnam(user) == NULL;
}

int cmd_list(struct cli *c)
{
    char **users = NULL;
    totp_error err = {0};
    if (!c->is_root && !c->opt.ldap_store)
        return cli_fail(EXIT_ERROR, "list reads the system store: run it as root");
    int rc = totp_store_list(c->store, &users, &err);
    if (rc != TOTP_OK)
        return cli_error(rc, &err);
    struct json j;
    if (c->json) {
        json_begin(&j, stdout);
        json_open(&j, "users", '[');
        for (size_t i = 0; users[i] != NULL; i++)
            json_string(&j, NULL, users[i]);
        json_close(&j, ']');
        json_open(&j, "no_account", '[');
    }
    for (size_t i = 0; users[i] != NULL; i++) {
        if (c->json && no_account(c, users[i]))
            json_string(&j, NULL, users[i]);
        else if (!c->json && no_account(c, users[i]))
            printf("%s\t(no such account: a new account of that name would inherit this record; "
                   "totpctl -u %s remove)\n",
                   users[i], users[i]);
        else if (!c->json)
            printf("%s\n", users[i]);
    }
    if (c->json) {
        json_close(&j, ']');
        json_end(&j);
    }
    totp_store_list_free(users);
    return EXIT_OK;
}
