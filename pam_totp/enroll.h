/* SPDX-License-Identifier: Apache-2.0 */
/* enroll.h: enrollment at login and the lost-phone replacement, in the PAM conversation. */
#ifndef PAM_TOTP_ENROLL_H
#define PAM_TOTP_ENROLL_H

#include <security/pam_modules.h>

#include "log.h"
#include "totp.h"

/* What the enrollment of one login works with. */
struct enroll_login {
    pam_handle_t *pamh;
    const totp_options *opt;
    const totp_policy *policy;
    totp_store *store;
    const struct log_context *log;
    const char *user; /* the account's own name */
    int64_t now;
};

/* The user may not enroll: carry on as without enroll_at_login. */
#define ENROLL_NOT_OFFERED (-1)

/*
 * A user with no record (enroll_at_login): if allowed (enroll_group or an allowance), show the
 * QR code and the URI in a prompt, confirm a code from the app and create the record
 * (create-if-absent), then show the scratch codes in a prompt that waits for Enter. Returns
 * the PAM result (logged), or ENROLL_NOT_OFFERED.
 */
int enroll_at_login(const struct enroll_login *l);

/* After a login with a scratch code (enroll_replace_with_scratch): offer to replace the
 * authenticator (a new secret confirmed by a code, one commit under the record's lock). The
 * login has succeeded whatever happens here; a failure is logged and the old record stays. */
void enroll_replace(const struct enroll_login *l);

#endif /* PAM_TOTP_ENROLL_H */
