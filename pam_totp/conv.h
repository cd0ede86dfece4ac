/* SPDX-License-Identifier: Apache-2.0 */
/* conv.h: asking the user through the PAM conversation. */
#ifndef PAM_TOTP_CONV_H
#define PAM_TOTP_CONV_H

#include <security/pam_modules.h>

/* Ask `prompt` (echoing the answer if `echo`); a malloc'ed answer, or NULL if there is none.
 * Wipe it with totp_wipe_string(). */
char *conv_ask(pam_handle_t *pamh, const char *prompt, int echo);

/* A copy of the PAM_AUTHTOK an earlier module left, or NULL. */
char *conv_first_pass(pam_handle_t *pamh);

#endif /* PAM_TOTP_CONV_H */
