/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_record.c: the record parser. Whatever parses must serialize, parse again, and give the
 * same text (a rewrite never loses or changes anything); nothing may crash or leak. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "totp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    totp_record *rec = NULL, *again = NULL;
    totp_error err;
    char *text = NULL, *text2 = NULL;
    size_t len = 0, len2 = 0;
    if (totp_record_parse((const char *)data, size, &rec, &err) != TOTP_OK)
        return 0;
    if (totp_record_serialize(rec, &text, &len) != TOTP_OK ||
        totp_record_parse(text, len, &again, &err) != TOTP_OK ||
        totp_record_serialize(again, &text2, &len2) != TOTP_OK || len != len2 ||
        memcmp(text, text2, len) != 0)
        abort();
    totp_params defaults = TOTP_PARAMS_DEFAULT, p;
    totp_record_params(rec, &defaults, &p);
    totp_record_scratch_count(rec);
    char *uri = NULL;
    if (totp_record_uri(rec, &defaults, "issuer", "account", &uri) == TOTP_OK)
        totp_wipe_string(uri);
    totp_wipe_string(text);
    totp_wipe_string(text2);
    totp_record_free(rec);
    totp_record_free(again);
    return 0;
}
