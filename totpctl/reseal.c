/* SPDX-License-Identifier: Apache-2.0 */
/* reseal.c: totpctl reseal: store=ad secrets sealed again under the key file's first key. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json.h"

/* One user's secret opened with whichever key sealed it and sealed again under the first. */
static int reseal_one(struct cli *c, const char *user, char *where, size_t size, totp_error *err)
{
    totp_txn *txn = NULL;
    totp_record *rec = NULL;
    int rc = totp_store_begin(c->store, user, TOTP_TXN_RESEAL, &txn, &rec, err);
    where[0] = '\0';
    if (rc == TOTP_OK) {
        snprintf(where, size, "%s", totp_txn_location(txn));
        rc = totp_txn_commit(txn, rec, err);
    }
    totp_record_free(rec);
    return rc;
}

int cmd_reseal(struct cli *c)
{
    if (!c->opt.ad_store)
        return cli_fail(EXIT_USAGE, "reseal: only store=ad seals secrets");
    char **users = NULL, *one[] = {c->user, NULL};
    totp_error err = {0};
    if (!(c->seen & OPT_USER)) {
        int rc = totp_store_list(c->store, &users, &err);
        if (rc != TOTP_OK)
            return cli_error(rc, &err);
    }
    char **list = users != NULL ? users : one;
    size_t failed = 0;
    struct json j;
    if (c->json) {
        json_begin(&j, stdout);
        json_open(&j, "resealed", '[');
    }
    for (size_t i = 0; list[i] != NULL; i++) {
        memset(&err, 0, sizeof(err));
        char where[4096];
        int rc = reseal_one(c, list[i], where, sizeof(where), &err);
        if (rc != TOTP_OK) {
            failed++;
            audit(c, list[i], where[0] != '\0' ? where : NULL,
                  cli_fail(EXIT_ERROR, "%s: %s", list[i],
                           err.message[0] != '\0' ? err.message : totp_strerror(rc)),
                  NULL);
            continue;
        }
        audit(c, list[i], where, EXIT_OK, NULL);
        if (c->json)
            json_string(&j, NULL, list[i]);
        else
            printf("%s: re-sealed\n", list[i]);
    }
    if (c->json) {
        json_close(&j, ']');
        json_int(&j, "failed", (int64_t)failed);
        json_end(&j);
    }
    totp_store_list_free(users);
    return failed == 0 ? EXIT_OK : EXIT_ERROR;
}
