/* SPDX-License-Identifier: Apache-2.0 */
/* log.c: the module's syslog lines (pam_syslog, LOG_AUTHPRIV) in strict logfmt. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "log.h"
#include "totp.h"

/* User names and hosts come from the network: no more of them than a log needs. */
#define NAME_MAX_BYTES 256

void log_context_init(pam_handle_t *pamh, struct log_context *ctx, const char *user)
{
    const void *item;
    ctx->pamh = pamh;
    ctx->user = user;
    ctx->service = pam_get_item(pamh, PAM_SERVICE, &item) == PAM_SUCCESS ? item : NULL;
    ctx->rhost = pam_get_item(pamh, PAM_RHOST, &item) == PAM_SUCCESS ? item : NULL;
}

static const char *cut(const char *in, char out[NAME_MAX_BYTES + 1])
{
    if (in == NULL)
        return NULL;
    snprintf(out, NAME_MAX_BYTES + 1, "%s", in);
    return out;
}

void log_line(const struct log_context *ctx, int priority, const char *result, const char *why,
              const char *detail, const char *record)
{
    char user[NAME_MAX_BYTES + 1], service[NAME_MAX_BYTES + 1], rhost[NAME_MAX_BYTES + 1];
    char reason[2 * TOTP_LOGFMT_VALUE_MAX], line[6 * TOTP_LOGFMT_VALUE_MAX];
    size_t len = 0;
    snprintf(reason, sizeof(reason), "%s%s", why != NULL ? why : "", detail != NULL ? detail : "");
    line[0] = '\0';
    totp_logfmt_add(line, sizeof(line), &len, "result", result);
    totp_logfmt_add(line, sizeof(line), &len, "user", cut(ctx->user, user));
    totp_logfmt_add(line, sizeof(line), &len, "service", cut(ctx->service, service));
    totp_logfmt_add(line, sizeof(line), &len, "rhost", cut(ctx->rhost, rhost));
    totp_logfmt_add(line, sizeof(line), &len, "reason", reason);
    totp_logfmt_add(line, sizeof(line), &len, "record", record);
    pam_syslog(ctx->pamh, priority, "%s", line);
}

void log_decision(const struct log_context *ctx, int priority, const char *result,
                  const char *reason, const char *record)
{
    log_line(ctx, priority, result, reason, NULL, record);
}

void log_audit(const struct log_context *ctx, const totp_audit *audit)
{
    char line[12 * TOTP_LOGFMT_VALUE_MAX];
    totp_audit_format(audit, line, sizeof(line)); /* a cut value still leaves a line that parses */
    pam_syslog(ctx->pamh, LOG_NOTICE, "%s", line);
}
