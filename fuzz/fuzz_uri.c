/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_uri.c: base32 and otpauth URIs. A decoded secret re-encodes to something that decodes
 * to the same bytes; a parsed URI builds and parses back to the same fields. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "totp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void base32(const char *text)
{
    uint8_t bytes[256], back[256];
    char encoded[512];
    size_t n = 0, m = 0;
    if (totp_base32_decode(text, bytes, sizeof(bytes), &n) != TOTP_OK)
        return;
    if (totp_base32_encode(bytes, n, encoded, sizeof(encoded), TOTP_BASE32_PAD) != TOTP_OK ||
        totp_base32_decode(encoded, back, sizeof(back), &m) != TOTP_OK || m != n ||
        memcmp(bytes, back, n) != 0)
        abort();
}

static int same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void uri(const char *text)
{
    totp_uri u, v;
    char *built = NULL;
    if (totp_uri_parse(text, &u) != TOTP_OK)
        return;
    /* A label part with ':' cannot be written back; everything else must be. */
    int rc = totp_uri_build(&u, &built);
    if (rc == TOTP_OK) {
        if (totp_uri_parse(built, &v) != TOTP_OK || !same(u.issuer, v.issuer) ||
            !same(u.account, v.account) || u.key_len != v.key_len ||
            memcmp(u.key, v.key, u.key_len) != 0 || u.params.digits != v.params.digits ||
            (u.type == TOTP_TYPE_TOTP && u.params.period != v.params.period) ||
            u.params.algorithm != v.params.algorithm || u.type != v.type || u.counter != v.counter)
            abort();
        totp_uri_clear(&v);
        totp_wipe_string(built);
    } else if (rc != TOTP_EINVAL || (strchr(u.account, ':') == NULL && u.account[0] != ' ' &&
                                     (u.issuer == NULL || strchr(u.issuer, ':') == NULL))) {
        abort();
    }
    totp_uri_clear(&u);
}

/* What import --uri writes: any URI that becomes a record becomes one that parses back. */
static void imported(const char *text)
{
    totp_record *rec = NULL, *back = NULL;
    char *account = NULL, *serial = NULL;
    size_t len = 0;
    if (totp_record_from_uri(text, &rec, &account, NULL) != TOTP_OK)
        return;
    if (totp_record_serialize(rec, &serial, &len) != TOTP_OK ||
        totp_record_parse(serial, len, &back, NULL) != TOTP_OK)
        abort();
    totp_record_free(back);
    totp_wipe_string(serial);
    totp_record_free(rec);
    free(account);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    base32(text);
    uri(text);
    imported(text);
    free(text);
    return 0;
}
