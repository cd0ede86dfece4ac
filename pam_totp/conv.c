/* SPDX-License-Identifier: Apache-2.0 */
/* conv.c: asking the user through the PAM conversation, and earlier modules' passwords. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>
#include <security/pam_modules.h>

#include "conv.h"
#include "totp.h"

char *conv_ask(pam_handle_t *pamh, const char *prompt, int echo)
{
    const struct pam_conv *conv = NULL;
    if (pam_get_item(pamh, PAM_CONV, (const void **)&conv) != PAM_SUCCESS || conv == NULL ||
        conv->conv == NULL)
        return NULL;
    struct pam_message msg = {echo ? PAM_PROMPT_ECHO_ON : PAM_PROMPT_ECHO_OFF, prompt};
    const struct pam_message *msgs = &msg;
    struct pam_response *resp = NULL;
    char *answer = NULL;
    if (conv->conv(1, &msgs, &resp, conv->appdata_ptr) == PAM_SUCCESS && resp != NULL)
        answer = resp->resp; /* ours now */
    else if (resp != NULL)
        totp_wipe_string(resp->resp);
    free(resp);
    return answer;
}

char *conv_first_pass(pam_handle_t *pamh)
{
    const void *item = NULL;
    if (pam_get_item(pamh, PAM_AUTHTOK, &item) != PAM_SUCCESS || item == NULL)
        return NULL;
    return strdup(item);
}
