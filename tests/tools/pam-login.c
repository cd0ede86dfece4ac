/* SPDX-License-Identifier: Apache-2.0 */
/* pam-login.c: test and demo helper: one pam_authenticate, answering every prompt with ANSWER.
 * Usage: pam-login SERVICE USER ANSWER. Prints the PAM result; exits 0 only on PAM_SUCCESS. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>

static int answer(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    if (r == NULL)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++) {
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
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
