/* SPDX-License-Identifier: Apache-2.0 */
/* ldap-txn.c: test helper: one login decision with a pause between reading the record and
 * committing it, so that a test can change the store in between.
 * Usage: ldap-txn CONF USER CODE. Prints "begun" once the record is read, waits for a line on
 * standard input, then judges CODE and commits; prints "committed" or the error, and exits 0
 * only if the commit succeeded. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "totp.h"

int main(int argc, char **argv)
{
    totp_options opt;
    totp_store *store = NULL;
    totp_txn *txn = NULL;
    totp_record *rec = NULL;
    totp_error err = {0};
    totp_result res;
    char conf[4200], line[64];
    if (argc != 4) {
        fprintf(stderr, "usage: ldap-txn CONF USER CODE\n");
        return 2;
    }
    snprintf(conf, sizeof(conf), "conf=%s", argv[1]);
    const char *args[] = {conf};
    totp_options_init(&opt);
    int rc = totp_options_load(&opt, 1, args, &err);
    if (rc == TOTP_OK)
        rc = totp_options_store(&opt, &store, &err);
    if (rc == TOTP_OK)
        rc = totp_store_begin(store, argv[2], 0, &txn, &rec, &err);
    if (rc != TOTP_OK) {
        printf("begin: %s\n", err.message);
        return 1;
    }
    printf("begun\n");
    fflush(stdout);
    if (fgets(line, sizeof(line), stdin) == NULL)
        line[0] = '\0';
    rc = totp_policy_check(rec, argv[3], 0, (int64_t)time(NULL), &opt.policy, &res);
    if (rc != TOTP_OK) {
        printf("judged: %s\n", totp_strerror(rc));
        totp_txn_abort(txn);
    } else {
        rc = totp_txn_commit(txn, rec, &err);
        printf("%s%s\n",
               rc == TOTP_OK ? "committed" : "commit: ", rc == TOTP_OK ? "" : err.message);
    }
    totp_record_free(rec);
    totp_store_free(store);
    totp_options_clear(&opt);
    return rc == TOTP_OK ? 0 : 1;
}
