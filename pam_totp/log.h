/* SPDX-License-Identifier: Apache-2.0 */
/* log.h: one syslog line per decision, with nothing secret in it. */
#ifndef PAM_TOTP_LOG_H
#define PAM_TOTP_LOG_H

#include <security/pam_modules.h>

/* What every line says about the login. */
struct log_context {
    const char *user;
    const char *service;
    const char *rhost;
};

void log_context_init(pam_handle_t *pamh, struct log_context *ctx, const char *user);

/*
 * "RESULT user=U service=S rhost=H reason="R" [record=PATH]" at `priority`. User and host
 * come from the network: anything but printable ASCII is replaced, and they are cut short.
 */
void log_decision(pam_handle_t *pamh, const struct log_context *ctx, int priority,
                  const char *result, const char *reason, const char *record);

/* "PREFIX MESSAGE" at `priority`, MESSAGE (the library's, which may quote a file name or a
 * directory's DN) without control characters. */
void log_note(pam_handle_t *pamh, int priority, const char *prefix, const char *message);

/* The audit line of a change to a record (authpriv, LOG_NOTICE): "action=ACTION result=RESULT
 * user=U store=KIND record="WHERE" how=HOW actor=A actor_uid=N service=S rhost=H". Never a
 * secret. */
void log_audit(pam_handle_t *pamh, const struct log_context *ctx, const char *action,
               const char *result, const char *store, const char *record, const char *how,
               const char *actor, long actor_uid);

#endif /* PAM_TOTP_LOG_H */
