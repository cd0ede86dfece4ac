/* SPDX-License-Identifier: Apache-2.0 */
/* accepted.h: remembering, for the rest of one PAM transaction, which record accepted a code. */
#ifndef PAM_TOTP_ACCEPTED_H
#define PAM_TOTP_ACCEPTED_H

#include <security/pam_modules.h>

/*
 * pam_totp twice in one transaction (a common-auth profile and a service's own line) must
 * accept one code once, not ask again and refuse it as a replay. After an acceptance the
 * module remembers `user` and the record that accepted (pam_set_data, freed by pam_end); a
 * later pam_totp line in the same transaction that would consult the same record accepts
 * without asking. A new transaction starts with nothing remembered.
 */
int accepted_remember(pam_handle_t *pamh, const char *user, const char *location);

/* Whether `user`'s record at `location` accepted a code earlier in this transaction. */
int accepted_before(pam_handle_t *pamh, const char *user, const char *location);

/* Whether anything was accepted for `user` in this transaction (before looking it up). */
int accepted_any(pam_handle_t *pamh, const char *user);

#endif /* PAM_TOTP_ACCEPTED_H */
