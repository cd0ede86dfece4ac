/* totp-demo.c: shows what libtotp does: a new secret, its otpauth URI, and the codes around now. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "totp.h"

static int fail(const char *what, int rc)
{
    fprintf(stderr, "totp-demo: %s: %s\n", what, totp_strerror(rc));
    return EXIT_FAILURE;
}

int main(void)
{
    totp_params params = TOTP_PARAMS_DEFAULT;
    uint8_t secret[TOTP_KEY_MAX];
    size_t len = totp_secret_default_len(params.algorithm);
    char b32[TOTP_KEY_MAX * 2], code[TOTP_CODE_BUFSIZE];
    char *uri = NULL;
    totp_key *key = NULL;
    uint64_t step, matched;
    int rc;

    if ((rc = totp_secret_generate(secret, len)) != TOTP_OK)
        return fail("generating a secret", rc);
    if ((rc = totp_base32_encode(secret, len, b32, sizeof(b32), 0)) != TOTP_OK)
        return fail("encoding the secret", rc);
    totp_uri u = {TOTP_TYPE_TOTP, "pam_totp demo", "demo@localhost", secret, len, params, 0};
    if ((rc = totp_uri_build(&u, &uri)) != TOTP_OK)
        return fail("building the URI", rc);
    if ((rc = totp_key_new(secret, len, &params, &key)) != TOTP_OK)
        return fail("loading the key", rc);

    time_t now = time(NULL);
    if ((rc = totp_time_step((int64_t)now, params.period, &step)) != TOTP_OK ||
        (rc = totp_hotp(key, step, code)) != TOTP_OK)
        return fail("computing the code", rc);

    printf("libtotp demo (a throwaway secret; nothing is stored)\n\n");
    printf("  secret (base32): %s\n", b32);
    printf("  otpauth URI:     %s\n", uri);
    printf("  time step:       %llu (period %u s)\n", (unsigned long long)step, params.period);
    printf("  current code:    %s\n\n", code);

    totp_window w = {step, 1, 1, 0, 0};
    rc = totp_verify(key, code, &w, &matched);
    printf("  verify current code:            %s\n", totp_strerror(rc));
    w.has_watermark = 1;
    w.watermark = matched;
    rc = totp_verify(key, code, &w, &matched);
    printf("  verify it again (replay):       %s\n", totp_strerror(rc));
    rc = totp_verify(key, "000000", &w, &matched);
    printf("  verify 000000 (wrong code):     %s\n", totp_strerror(rc));

    uint32_t scratch[5];
    if ((rc = totp_scratch_generate(scratch, 5)) != TOTP_OK)
        return fail("making scratch codes", rc);
    printf("  scratch codes:  ");
    for (int i = 0; i < 5; i++)
        printf(" %08u", (unsigned)scratch[i]);
    printf("\n");

    totp_wipe(scratch, sizeof(scratch));
    totp_wipe(secret, sizeof(secret));
    totp_wipe(b32, sizeof(b32));
    totp_wipe(code, sizeof(code));
    totp_wipe_string(uri);
    totp_key_free(key);
    return EXIT_SUCCESS;
}
