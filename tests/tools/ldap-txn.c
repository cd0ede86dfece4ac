/* SPDX-License-Identifier: Apache-2.0 */
/* ldap-txn.c: test helper: one store transaction with a pause between reading the record and
 * committing it, so that a test can change the store (or race another host) in between.
 * Usage: ldap-txn CONF USER CODE: a login decision. Prints "begun" once the record is read,
 *          waits for a line on standard input, then judges CODE and commits; prints "committed"
 *          or the error, and exits 0 only if the commit succeeded.
 *        ldap-txn --enroll CONF USER BASE32: the same for an enrollment (TOTP_TXN_CREATE) of a
 *          TOTP record with that secret.
 *        ldap-txn --allow CONF USER UNTIL: totp_store_allow_enroll (no pause).
 *        ldap-txn --allowance CONF USER: totp_store_enroll_allowance: prints UNTIL or "none". */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "totp.h"

static int open_store(const char *path, totp_options *opt, totp_store **store, totp_error *err)
{
    char conf[4200];
    snprintf(conf, sizeof(conf), "conf=%s", path);
    const char *args[] = {conf};
    totp_options_init(opt);
    int rc = totp_options_load(opt, 1, args, err);
    return rc == TOTP_OK ? totp_options_store(opt, store, err) : rc;
}

static void pause_here(void)
{
    char line[64];
    printf("begun\n");
    fflush(stdout);
    if (fgets(line, sizeof(line), stdin) == NULL)
        line[0] = '\0';
}

/* An enrollment that read "nothing there" and commits after the pause. */
static int enroll(totp_store *store, const char *user, const char *secret, totp_error *err)
{
    totp_txn *txn = NULL;
    totp_record *rec = NULL;
    uint8_t key[TOTP_KEY_MAX];
    size_t len = 0;
    const totp_params params = TOTP_PARAMS_DEFAULT;
    int rc = totp_store_begin(store, user, TOTP_TXN_CREATE, &txn, &rec, err);
    if (rc != TOTP_OK) {
        printf("begin: %s\n", err->message);
        return rc;
    }
    pause_here();
    if (totp_base32_decode(secret, key, sizeof(key), &len) != TOTP_OK ||
        totp_record_new(key, len, &params, &rec) != TOTP_OK) {
        printf("bad secret\n");
        totp_txn_abort(txn);
        return TOTP_EINVAL;
    }
    rc = totp_txn_commit(txn, rec, err);
    printf("%s%s\n", rc == TOTP_OK ? "committed" : "commit: ", rc == TOTP_OK ? "" : err->message);
    totp_record_free(rec);
    return rc;
}

static int login(totp_store *store, const totp_options *opt, const char *user, const char *code,
                 totp_error *err)
{
    totp_txn *txn = NULL;
    totp_record *rec = NULL;
    totp_result res;
    int rc = totp_store_begin(store, user, 0, &txn, &rec, err);
    if (rc != TOTP_OK) {
        printf("begin: %s\n", err->message);
        return rc;
    }
    pause_here();
    rc = totp_policy_check(rec, code, 0, (int64_t)time(NULL), &opt->policy, &res);
    if (rc != TOTP_OK) {
        printf("judged: %s\n", totp_strerror(rc));
        totp_txn_abort(txn);
    } else {
        rc = totp_txn_commit(txn, rec, err);
        printf("%s%s\n",
               rc == TOTP_OK ? "committed" : "commit: ", rc == TOTP_OK ? "" : err->message);
    }
    totp_record_free(rec);
    return rc;
}

int main(int argc, char **argv)
{
    totp_options opt;
    totp_store *store = NULL;
    totp_error err = {0};
    int64_t until = 0;
    const char *mode = argc > 1 && argv[1][0] == '-' ? argv[1] : NULL;
    int shift = mode != NULL;
    int want =
        mode == NULL || strcmp(mode, "--enroll") == 0 || strcmp(mode, "--allow") == 0 ? 4 : 3;
    if (argc != want + shift ||
        (mode != NULL && strcmp(mode, "--enroll") != 0 && strcmp(mode, "--allow") != 0 &&
         strcmp(mode, "--allowance") != 0)) {
        fprintf(stderr, "usage: ldap-txn [--enroll|--allow|--allowance] CONF USER [ARG]\n");
        return 2;
    }
    argv += shift;
    int rc = open_store(argv[1], &opt, &store, &err);
    if (rc != TOTP_OK)
        printf("store: %s\n", err.message);
    else if (mode == NULL)
        rc = login(store, &opt, argv[2], argv[3], &err);
    else if (strcmp(mode, "--enroll") == 0)
        rc = enroll(store, argv[2], argv[3], &err);
    else if (strcmp(mode, "--allow") == 0 &&
             (rc = totp_store_allow_enroll(store, argv[2], strtoll(argv[3], NULL, 10), &err)) !=
                 TOTP_OK)
        printf("allow: %s\n", err.message);
    else if (strcmp(mode, "--allowance") == 0) {
        rc = totp_store_enroll_allowance(store, argv[2], &until, &err);
        if (rc == TOTP_OK)
            printf("%" PRId64 "\n", until);
        else if (rc == TOTP_ENOENT)
            printf("none\n");
        else
            printf("allowance: %s\n", err.message);
    }
    totp_store_free(store);
    totp_options_clear(&opt);
    return rc == TOTP_OK ? 0 : 1;
}
