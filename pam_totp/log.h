/* SPDX-License-Identifier: Apache-2.0 */
/* log.h: the module's syslog lines: strict logfmt, the same keys on every line, nothing secret. */
#ifndef PAM_TOTP_LOG_H
#define PAM_TOTP_LOG_H

#include <security/pam_modules.h>

#include "totp.h"

/* What every line says about the login. */
struct log_context {
    pam_handle_t *pamh;
    const char *user;
    const char *service;
    const char *rhost;
};

void log_context_init(pam_handle_t *pamh, struct log_context *ctx, const char *user);

/*
 * "result=RESULT user=U service=S rhost=H reason=R record=PATH" at `priority` (after libpam's
 * "pam_totp(SERVICE:auth): "), every value by totp_logfmt_add: quoted and escaped where it
 * has to be, "-" when absent. `reason` is `why` followed by `detail` (either may be NULL);
 * RESULT is accepted, denied, ignored, throttled, error, warning or debug.
 */
void log_line(const struct log_context *ctx, int priority, const char *result, const char *why,
              const char *detail, const char *record);

/* log_line() with a reason in one piece: the decision on a login. */
void log_decision(const struct log_context *ctx, int priority, const char *result,
                  const char *reason, const char *record);

/* The audit line of a change to a record (LOG_NOTICE), by totp_audit_format. Never a secret. */
void log_audit(const struct log_context *ctx, const totp_audit *audit);

#endif /* PAM_TOTP_LOG_H */
