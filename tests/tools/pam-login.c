/* SPDX-License-Identifier: Apache-2.0 */
/* pam-login.c: test and demo helper: one pam_authenticate, answering every prompt with ANSWER.
 * Usage: pam-login SERVICE USER ANSWER. Prints the PAM result; exits 0 only on PAM_SUCCESS.
 * With PAM_LOGIN_CODE_TOOL set (tests/tools/totp-code), it enrolls as a user with the app would:
 * a prompt holding an otpauth URI is answered with the current code of its secret, and one that
 * waits for Enter (the scratch codes shown) with nothing. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>

/* The current code of the secret in the otpauth URI of `prompt`, from the code tool; NULL if the
 * prompt has no URI. */
static char *app_code(const char *prompt)
{
    const char *tool = getenv("PAM_LOGIN_CODE_TOOL"), *s = strstr(prompt, "secret=");
    char cmd[512], out[32] = "";
    if (tool == NULL || s == NULL || strstr(prompt, "otpauth://") == NULL)
        return NULL;
    s += strlen("secret=");
    size_t len = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
    snprintf(cmd, sizeof(cmd), "'%s' %.*s", tool, (int)len, s);
    FILE *p = popen(cmd, "r");
    if (p != NULL && fgets(out, sizeof(out), p) != NULL)
        out[strcspn(out, "\n")] = '\0';
    if (p != NULL)
        pclose(p);
    return strdup(out);
}

static int answer(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    if (r == NULL)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++) {
        if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF && msg[i]->msg_style != PAM_PROMPT_ECHO_ON)
            continue;
        r[i].resp = app_code(msg[i]->msg);
        if (r[i].resp == NULL && getenv("PAM_LOGIN_CODE_TOOL") != NULL &&
            strstr(msg[i]->msg, "press Enter") != NULL)
            r[i].resp = strdup("");
        if (r[i].resp == NULL)
            r[i].resp = strdup(data);
    }
    *resp = r;
    return PAM_SUCCESS;
}

int main(int argc, char **argv)
{
    pam_handle_t *ph = NULL;
    if (argc != 4) {
        fprintf(stderr, "usage: pam-login SERVICE USER ANSWER\n");
        return 2;
    }
    struct pam_conv conv = {answer, argv[3]};
    int rc = pam_start(argv[1], argv[2], &conv, &ph);
    if (rc == PAM_SUCCESS)
        rc = pam_authenticate(ph, 0);
    printf("%s\n", rc == PAM_SUCCESS ? "login accepted" : pam_strerror(ph, rc));
    pam_end(ph, rc);
    return rc == PAM_SUCCESS ? 0 : 1;
}
