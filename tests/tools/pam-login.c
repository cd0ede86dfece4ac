/* SPDX-License-Identifier: Apache-2.0 */
/* pam-login.c: test and demo helper: one pam_authenticate, answering every prompt with ANSWER.
 * Usage: pam-login SERVICE USER ANSWER. Prints the PAM result; exits 0 only on PAM_SUCCESS.
 * ANSWER "enroll:FILE[:CODE]" is a user enrolling at login: the QR prompt's secret gives the
 * code typed, the scratch codes' prompt gets Enter, any other prompt CODE (default: nothing);
 * FILE receives the secret, then the scratch codes, one a line. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <security/pam_appl.h>

#include "totp.h"

struct enrolling {
    const char *file;
    const char *other;
};

/* The code of the secret in an enrollment prompt, now; the secret and scratch codes to file. */
static char *enroll_answer(const struct enrolling *e, const char *prompt)
{
    const char *s = strstr(prompt, "otpauth URI: "), *codes = strstr(prompt, "Scratch codes");
    FILE *f = NULL;
    if (codes != NULL && (f = fopen(e->file, "a")) != NULL) {
        for (const char *p = prompt; (p = strstr(p, "\n  ")) != NULL; p += 3)
            fprintf(f, "%.8s\n", p + 3);
        fclose(f);
        return strdup("");
    }
    if (s == NULL || (s = strstr(s, "secret=")) == NULL)
        return strdup(e->other);
    char secret[TOTP_KEY_MAX * 2] = "", code[TOTP_CODE_BUFSIZE] = "";
    uint8_t key[TOTP_KEY_MAX];
    size_t len = strspn(s + 7, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
    const totp_params p = TOTP_PARAMS_DEFAULT;
    totp_key *k = NULL;
    uint64_t step = 0;
    if (len < sizeof(secret))
        memcpy(secret, s + 7, len);
    if ((f = fopen(e->file, "w")) != NULL) {
        fprintf(f, "%s\n", secret);
        fclose(f);
    }
    if (totp_base32_decode(secret, key, sizeof(key), &len) != TOTP_OK ||
        totp_key_new(key, len, &p, &k) != TOTP_OK ||
        totp_time_step((int64_t)time(NULL), p.period, &step) != TOTP_OK ||
        totp_hotp(k, step, code) != TOTP_OK)
        code[0] = '\0';
    totp_key_free(k);
    return strdup(code);
}

static int answer(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    const struct enrolling *e = data;
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    if (r == NULL)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++) {
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
            r[i].resp = e->file != NULL ? enroll_answer(e, msg[i]->msg) : strdup(e->other);
    }
    *resp = r;
    return PAM_SUCCESS;
}

int main(int argc, char **argv)
{
    pam_handle_t *ph = NULL;
    struct enrolling e = {NULL, NULL};
    if (argc != 4) {
        fprintf(stderr, "usage: pam-login SERVICE USER ANSWER\n");
        return 2;
    }
    e.other = argv[3];
    if (strncmp(argv[3], "enroll:", 7) == 0) {
        char *colon = strchr(argv[3] + 7, ':');
        e.file = argv[3] + 7;
        e.other = "";
        if (colon != NULL) {
            *colon = '\0';
            e.other = colon + 1;
        }
    }
    struct pam_conv conv = {answer, &e};
    int rc = pam_start(argv[1], argv[2], &conv, &ph);
    if (rc == PAM_SUCCESS)
        rc = pam_authenticate(ph, 0);
    printf("%s\n", rc == PAM_SUCCESS ? "login accepted" : pam_strerror(ph, rc));
    pam_end(ph, rc);
    return rc == PAM_SUCCESS ? 0 : 1;
}
