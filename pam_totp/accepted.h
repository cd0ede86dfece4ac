/* SPDX-License-Identifier: Apache-2.0 */
/* accepted.h: remembering, for the rest of one pam_authenticate, which record accepted a code. */
#ifndef PAM_TOTP_ACCEPTED_H
#define PAM_TOTP_ACCEPTED_H

#include <security/pam_modules.h>

/*
 * pam_totp twice in one pam_authenticate (a common-auth profile and a service's own line) must
 * accept one code once, not ask again and refuse it as a replay. After an acceptance the
 * module remembers `user`, the record that accepted, and a salted SHA-256 digest of
 * PAM_AUTHTOK (pam_set_data, freed by pam_end), and marks the pass with a random value in
 * PAM_OLDAUTHTOK (unused in authentication). A later pam_totp line that would consult the same
 * record accepts without asking only while PAM_AUTHTOK has the same digest and PAM_OLDAUTHTOK
 * the same mark. libpam clears both items at the start and the end of every pam_authenticate,
 * so a retry on the same handle (sudo's second try, after the password failed) is asked again,
 * even with the same password: the handle may outlive the person (a screen locker's), and an
 * acceptance is worth one pass through the stack. Nothing is remembered while PAM_AUTHTOK is
 * unset (a code asked before the password) or PAM_OLDAUTHTOK is in use.
 */
int accepted_remember(pam_handle_t *pamh, const char *user, const char *location);

/* Whether `user`'s record at `location` accepted a code earlier in this pam_authenticate,
 * with the same PAM_AUTHTOK. */
int accepted_before(pam_handle_t *pamh, const char *user, const char *location);

/* Whether anything was accepted for `user` in this transaction (before looking it up). */
int accepted_any(pam_handle_t *pamh, const char *user);

#endif /* PAM_TOTP_ACCEPTED_H */
