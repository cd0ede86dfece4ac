/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_verify.c: a whole verification on a fuzzed record, code, time and policy. Whatever
 * state the policy writes must serialize to a record that parses again. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "totp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* [8 bytes time][1 byte policy bits][code]\0[record] */
    if (size < 10)
        return 0;
    uint64_t t = 0;
    for (int i = 0; i < 8; i++)
        t = (t << 8) | data[i];
    int64_t now = (int64_t)(t & 0x3fffffffffffULL); /* up to year ~70000 */
    uint8_t bits = data[8];
    const char *rest = (const char *)data + 9;
    size_t restlen = size - 9;
    const char *nul = memchr(rest, '\0', restlen);
    if (nul == NULL)
        return 0;

    totp_record *rec = NULL, *again = NULL;
    totp_error err;
    if (totp_record_parse(nul + 1, restlen - (size_t)(nul - rest) - 1, &rec, &err) != TOTP_OK)
        return 0;
    totp_policy policy = TOTP_POLICY_DEFAULT;
    policy.noskewadj = bits & 1;
    policy.no_increment_hotp = (bits >> 1) & 1;
    policy.window = (bits >> 2) & 7;
    if (bits & 0x20) {
        policy.rate_attempts = 2;
        policy.rate_interval = 30;
    }
    /* The skew bound from the time's unused high bits: default, minutes, up to 12.5 hours. */
    policy.skew_max = (unsigned)((t >> 46) % (TOTP_SKEW_MAX_SECONDS + 1));
    if (bits & 0x40) {
        policy.grace_period = 3600;
        policy.rhost = "192.0.2.1";
    }
    totp_result res;
    totp_policy_check(rec, rest, (bits & 0x80) ? TOTP_INPUT_SUFFIX : 0, now, &policy, &res);
    totp_grace_applies(rec, "192.0.2.1", now, 3600);

    char *text = NULL;
    size_t len = 0;
    if (totp_record_serialize(rec, &text, &len) == TOTP_OK &&
        totp_record_parse(text, len, &again, &err) != TOTP_OK)
        abort(); /* the policy wrote a record we could not read back */
    totp_wipe_string(text);
    totp_record_free(again);
    totp_record_free(rec);
    return 0;
}
