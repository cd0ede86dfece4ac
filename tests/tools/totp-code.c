/* SPDX-License-Identifier: Apache-2.0 */
/* totp-code.c: test helper: print the code for a base32 secret, as an authenticator app would.
 * Usage: totp-code SECRET [UNIXTIME [SHA1|SHA256|SHA512 [DIGITS [PERIOD]]]] */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "totp.h"

int main(int argc, char **argv)
{
    totp_params p = TOTP_PARAMS_DEFAULT;
    uint8_t key[TOTP_KEY_MAX];
    size_t len;
    char code[TOTP_CODE_BUFSIZE];
    totp_key *k = NULL;
    uint64_t step;
    if (argc < 2 || argc > 6) {
        fprintf(stderr, "usage: totp-code SECRET [UNIXTIME [ALGORITHM [DIGITS [PERIOD]]]]\n");
        return 2;
    }
    int64_t t = argc > 2 ? strtoll(argv[2], NULL, 10) : (int64_t)time(NULL);
    if ((argc > 3 && totp_algorithm_parse(argv[3], &p.algorithm) != TOTP_OK) ||
        (argc > 4 && (p.digits = (unsigned)atoi(argv[4])) == 0) ||
        (argc > 5 && (p.period = (unsigned)atoi(argv[5])) == 0) ||
        totp_base32_decode(argv[1], key, sizeof(key), &len) != TOTP_OK ||
        totp_key_new(key, len, &p, &k) != TOTP_OK ||
        totp_time_step(t, p.period, &step) != TOTP_OK || totp_hotp(k, step, code) != TOTP_OK) {
        fprintf(stderr, "totp-code: bad arguments\n");
        return 2;
    }
    printf("%s\n", code);
    totp_key_free(k);
    return 0;
}
