/* SPDX-License-Identifier: Apache-2.0 */
/* change.c: commands that change a record: verify, scratch, reset-failures, remove, import. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "json.h"

static const char *verdict_text(int rc, const totp_result *res)
{
    switch (rc) {
    case TOTP_OK:
        return res->method == TOTP_BY_SCRATCH ? "accepted (scratch code)" : "accepted";
    case TOTP_EREPLAY:
        return "rejected: code already used";
    case TOTP_ECODE:
        return "rejected: malformed code";
    case TOTP_ERATELIMIT:
        return "rejected: too many attempts";
    default:
        return "rejected: wrong code";
    }
}

/* The verdict, with the clock hint when a wrong code is another step's code (never the code). */
static const char *verdict_line(int rc, const totp_result *res, char *buf, size_t size)
{
    char hint[96];
    if (rc != TOTP_EMISMATCH || !totp_clock_hint(res, hint, sizeof(hint)))
        return verdict_text(rc, res);
    snprintf(buf, size, "rejected: %s", hint);
    return buf;
}

int cmd_verify(struct cli *c)
{
    char line[128];
    totp_result res;
    totp_error err = {0};
    char where[4096];
    int rc = totp_authenticate(c->store, c->user, c->arg, 0, (int64_t)time(NULL), &c->opt.policy,
                               &res, where, sizeof(where), &err);
    if (rc == TOTP_ENOENT)
        return cli_fail(EXIT_REJECTED, "%s is not enrolled", c->user);
    if (rc != TOTP_OK && rc != TOTP_EMISMATCH && rc != TOTP_EREPLAY && rc != TOTP_ECODE &&
        rc != TOTP_ERATELIMIT)
        return cli_error(rc, &err); /* not durable, or unreadable: not accepted */
    /* Either way the record changed: a code used up, or one more failure counted. */
    audit(c, c->user, where, rc == TOTP_OK ? EXIT_OK : EXIT_REJECTED,
          verdict_line(rc, &res, line, sizeof(line)));
    if (c->json) {
        struct json j;
        cli_json_begin(&j, c, where);
        json_bool(&j, "accepted", rc == TOTP_OK);
        json_string(&j, "result", verdict_line(rc, &res, line, sizeof(line)));
        json_int(&j, "scratch_codes_left", (int64_t)res.scratch_left);
        json_end(&j);
    } else {
        printf("%s\n", verdict_line(rc, &res, line, sizeof(line)));
    }
    return rc == TOTP_OK ? EXIT_OK : EXIT_REJECTED;
}

int cmd_scratch(struct cli *c)
{
    totp_txn *txn = NULL;
    totp_record *rec = NULL;
    totp_error err = {0};
    uint32_t codes[TOTP_SCRATCH_COUNT_MAX];
    char where[4096];
    int rc = cli_begin(c, &txn, &rec);
    if (rc != EXIT_OK)
        return rc;
    snprintf(where, sizeof(where), "%s", totp_txn_location(txn));
    if (totp_scratch_generate(codes, c->scratch_count) != TOTP_OK ||
        totp_record_set_scratch(rec, codes, c->scratch_count) != TOTP_OK) {
        totp_txn_abort(txn);
        rc = cli_fail(EXIT_ERROR, "cannot make scratch codes");
    } else if ((rc = totp_txn_commit(txn, rec, &err)) != TOTP_OK) {
        rc = cli_error(rc, &err); /* the old codes still stand */
    } else if (c->json) {
        struct json j;
        cli_json_begin(&j, c, where);
        json_open(&j, "scratch_codes", '[');
        for (unsigned i = 0; i < c->scratch_count; i++) {
            char code[16];
            snprintf(code, sizeof(code), "%08u", (unsigned)codes[i]);
            json_string(&j, NULL, code);
        }
        json_close(&j, ']');
        json_end(&j);
    } else {
        printf("new scratch codes for %s (the old ones no longer work):\n", c->user);
        for (unsigned i = 0; i < c->scratch_count; i++)
            printf("  %08u\n", (unsigned)codes[i]);
    }
    totp_wipe(codes, sizeof(codes));
    totp_record_free(rec);
    char note[64];
    snprintf(note, sizeof(note), "%u new scratch codes", c->scratch_count);
    audit(c, c->user, where, rc, rc == EXIT_OK ? note : NULL);
    return rc;
}

int cmd_reset_failures(struct cli *c)
{
    totp_txn *txn = NULL;
    totp_record *rec = NULL;
    totp_error err = {0};
    totp_throttle_info info;
    char where[4096];
    /* The throttle is what stands between a guesser and the code: only root lifts it (with
     * store=ldap, whoever the directory lets write the record). */
    if (!c->is_root && !c->opt.ldap_store)
        return cli_fail(EXIT_ERROR, "reset-failures: only root can lift a throttle");
    int rc = cli_begin(c, &txn, &rec);
    if (rc != EXIT_OK)
        return rc;
    snprintf(where, sizeof(where), "%s", totp_txn_location(txn));
    totp_throttle_state(rec, (int64_t)time(NULL), &c->opt.policy, &info);
    if (totp_record_get(rec, "FAILURES") == NULL) {
        totp_txn_abort(txn); /* nothing to clear: no write */
    } else if (totp_record_unset(rec, "FAILURES") != TOTP_OK) {
        totp_txn_abort(txn);
        rc = cli_fail(EXIT_ERROR, "%s: cannot clear FAILURES", where);
    } else if ((rc = totp_txn_commit(txn, rec, &err)) != TOTP_OK) {
        rc = cli_error(rc, &err);
    }
    totp_record_free(rec);
    char note[96];
    snprintf(note, sizeof(note), "%llu consecutive failures cleared%s",
             (unsigned long long)info.failures, info.left > 0 ? ", throttle lifted" : "");
    audit(c, c->user, where, rc, rc == EXIT_OK ? note : NULL);
    if (rc != EXIT_OK)
        return rc;
    if (c->json) {
        struct json j;
        cli_json_begin(&j, c, where);
        json_int(&j, "failures_cleared", (int64_t)info.failures);
        json_int(&j, "throttle_seconds_lifted", info.left);
        json_end(&j);
    } else {
        printf("%s: %llu consecutive failures cleared%s\n", c->user,
               (unsigned long long)info.failures, info.left > 0 ? "; the throttle is lifted" : "");
    }
    return EXIT_OK;
}

int cmd_remove(struct cli *c)
{
    char **removed = NULL;
    totp_error err = {0};
    /* Every record in the lookup order, not only the first: else the next one takes over. */
    int rc = totp_store_remove_all(c->store, c->user, &removed, &err);
    if (c->json && removed != NULL) {
        struct json j;
        cli_json_begin(&j, c, removed[0]);
        json_bool(&j, "removed", rc == TOTP_OK);
        json_open(&j, "paths", '[');
        for (size_t i = 0; removed[i] != NULL; i++)
            json_string(&j, NULL, removed[i]);
        json_close(&j, ']');
        json_end(&j);
    } else {
        for (size_t i = 0; removed != NULL && removed[i] != NULL; i++)
            printf("removed %s\n", removed[i]);
    }
    /* One line for each record gone, and one more if not all could go. */
    for (size_t i = 0; removed != NULL && removed[i] != NULL; i++)
        audit(c, c->user, removed[i], EXIT_OK, NULL);
    totp_store_list_free(removed);
    if (rc == TOTP_ENOENT)
        rc = cli_fail(EXIT_REJECTED, "%s is not enrolled", c->user);
    else if (rc != TOTP_OK)
        rc = cli_error(rc, &err);
    if (rc != EXIT_OK)
        audit(c, c->user, NULL, rc, NULL);
    if (rc != EXIT_REJECTED)
        cli_hidden_system_note(c);
    if (rc == EXIT_OK && !c->json)
        fprintf(stderr, "Not removed: copies of these files elsewhere (backups, snapshots), a "
                        "record a PAM line's secret= names, and the entry in the app.\n");
    return rc;
}

int cmd_import(struct cli *c)
{
    totp_store *from = NULL;
    totp_txn *txn = NULL;
    totp_record *rec = NULL, *old = NULL;
    totp_error err = {0};
    char where[4096];
    if (!c->is_root)
        return cli_fail(EXIT_ERROR, "import writes the system store: run it as root");
    if (c->uri)
        return import_uris(c);
    if (c->dry_run)
        return cli_fail(EXIT_USAGE, "--dry-run goes with --uri");
    int status = cli_absolute_path("import", &c->arg, 0, c->arg_path, sizeof(c->arg_path));
    if (status != EXIT_OK)
        return status;
    if (c->arg[0] != '/')
        return cli_fail(EXIT_USAGE, "import %s: must be an absolute path", c->arg);

    /* Read the file as its user would: with the same checks, never as root. */
    totp_file_store_config cfg = c->opt.store;
    cfg.secret_path = c->arg;
    cfg.system_dir = "";
    int rc = totp_store_file_new(&cfg, &from);
    if (rc == TOTP_OK)
        rc = totp_store_begin(from, c->user, 0, &txn, &rec, &err);
    totp_txn_abort(txn);
    totp_store_free(from);
    if (rc == TOTP_EFORMAT) /* e.g. "line 1: the secret is not valid base32" */
        return cli_fail(EXIT_ERROR, "%s (for otpauth:// URIs: import --uri)", err.message);
    if (rc != TOTP_OK)
        return cli_error(rc, &err);

    rc = totp_store_begin(c->store, c->user, TOTP_TXN_CREATE | TOTP_TXN_SYSTEM, &txn, &old, &err);
    if (rc == TOTP_EEXIST && c->force) /* replace the system record under its lock */
        rc = totp_store_begin(c->store, c->user, 0, &txn, &old, &err);
    else if (rc == TOTP_EEXIST)
        snprintf(err.message, sizeof(err.message),
                 "%s already has a system record; --force replaces it", c->user);
    totp_record_free(old);
    if (rc == TOTP_OK) {
        snprintf(where, sizeof(where), "%s", totp_txn_location(txn));
        rc = totp_txn_commit(txn, rec, &err);
    }
    totp_record_free(rec);
    if (rc != TOTP_OK)
        rc = cli_error(rc, &err);
    char note[4200];
    snprintf(note, sizeof(note), "from %s", c->arg);
    audit(c, c->user, rc == EXIT_OK ? where : NULL, rc, rc == EXIT_OK ? note : NULL);
    if (rc != EXIT_OK)
        return rc;
    /* The file was read as the user: they (and anything running as them) have seen the
     * secret, and copying it does not take it back. */
    fprintf(stderr,
            "totpctl: warning: %s could read the secret in %s, so it is not out of their reach; "
            "for a secret they have never seen: totpctl -u %s enroll --force\n",
            c->user, c->arg, c->user);
    if (c->json) {
        struct json j;
        cli_json_begin(&j, c, where);
        json_string(&j, "from", c->arg);
        json_bool(&j, "secret_exposed", 1);
        json_end(&j);
    } else {
        printf("imported %s into %s; it is used before %s from now on\n", c->arg, where, c->arg);
    }
    return EXIT_OK;
}
