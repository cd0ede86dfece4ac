/* SPDX-License-Identifier: Apache-2.0 */
/* record_uri.c: a record from another system's otpauth URI (migration), and the user it names. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "totp.h"

#define MIGRATION_SCHEME "otpauth-migration:"

/* A HOTP record: HOTP_COUNTER instead of TOTP_AUTH and DISALLOW_REUSE (google-authenticator's
 * layout). Its format has no counter 0: the next counter to accept is at least 1. */
static int make_hotp(totp_record *rec, uint64_t counter)
{
    char v[24];
    snprintf(v, sizeof(v), "%llu", (unsigned long long)(counter < 1 ? 1 : counter));
    int rc = totp_record_unset(rec, "TOTP_AUTH");
    if (rc == TOTP_OK)
        rc = totp_record_unset(rec, "DISALLOW_REUSE");
    return rc == TOTP_OK ? totp_record_set(rec, "HOTP_COUNTER", v) : rc;
}

int totp_record_from_uri(const char *text, totp_record **out, char **account, totp_error *err)
{
    totp_uri u;
    totp_record *rec = NULL;
    memset(&u, 0, sizeof(u));
    if (out == NULL || account == NULL || text == NULL)
        return TOTP_EINVAL;
    *out = NULL;
    *account = NULL;
    if (totpi_has_prefix_ci(text, MIGRATION_SCHEME))
        return totpi_fail(err, TOTP_EURI, 0, 0,
                          "Google Authenticator exports (otpauth-migration://) are not "
                          "supported: export each account as an otpauth:// URI");
    int rc = totp_uri_parse(text, &u);
    if (rc != TOTP_OK)
        return totpi_fail(err, rc, 0, 0, "not a usable otpauth URI: %s", totp_strerror(rc));
    rc = totp_record_new(u.key, u.key_len, &u.params, &rec);
    if (rc == TOTP_OK && u.type == TOTP_TYPE_HOTP)
        rc = make_hotp(rec, u.counter);
    /* The names the app shows, if our records can hold them (else the URI still imports). */
    if (rc == TOTP_OK && u.issuer != NULL && totp_record_check("ISSUER", u.issuer) == NULL)
        rc = totp_record_set(rec, "ISSUER", u.issuer);
    if (rc == TOTP_OK && totp_record_check("ACCOUNT", u.account) == NULL)
        rc = totp_record_set(rec, "ACCOUNT", u.account);
    if (rc == TOTP_OK && (*account = strdup(u.account)) == NULL)
        rc = TOTP_ENOMEM;
    totp_uri_clear(&u);
    if (rc != TOTP_OK) {
        totp_record_free(rec);
        return totpi_fail(err, rc, 0, 0, "cannot make a record of the URI: %s", totp_strerror(rc));
    }
    *out = rec;
    return TOTP_OK;
}

int totp_uri_account_user(const char *account, char *user, size_t size)
{
    if (account == NULL || user == NULL || size == 0)
        return TOTP_EINVAL;
    size_t len = strcspn(account, "@");
    if (len == 0 || len >= size)
        return TOTP_EUSER;
    memcpy(user, account, len);
    user[len] = '\0';
    return TOTP_OK;
}
