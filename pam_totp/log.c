/* SPDX-License-Identifier: Apache-2.0 */
/* log.c: the one syslog line per decision (pam_syslog, LOG_AUTHPRIV), with safe fields. */
#include "config.h"

#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "log.h"

void log_context_init(pam_handle_t *pamh, struct log_context *ctx, const char *user)
{
    const void *item;
    ctx->user = user;
    ctx->service = pam_get_item(pamh, PAM_SERVICE, &item) == PAM_SUCCESS ? item : NULL;
    ctx->rhost = pam_get_item(pamh, PAM_RHOST, &item) == PAM_SUCCESS ? item : NULL;
}

/* Printable ASCII other than space and quotes, at most size-1 characters; "-" when empty. */
static const char *clean(const char *in, char *out, size_t size)
{
    size_t n = 0;
    for (; in != NULL && *in != '\0' && n + 1 < size; in++) {
        unsigned char c = (unsigned char)*in;
        out[n++] = c > ' ' && c < 0x7f && c != '"' ? (char)c : '?';
    }
    if (n == 0)
        out[n++] = '-';
    out[n] = '\0';
    return out;
}

/* The reason and the record's place are ours or the library's, but may quote a directory's
 * DN or message: no control characters (no forged lines), and inside reason="..." no double
 * quotes (they would confuse a parser of the line). UTF-8 stays. */
static const char *text(const char *in, char *out, size_t size, int in_quotes)
{
    size_t n = 0;
    for (; in != NULL && in[n] != '\0' && n + 1 < size; n++) {
        unsigned char c = (unsigned char)in[n];
        out[n] = c < 0x20 || c == 0x7f ? '?' : c == '"' && in_quotes ? '\'' : (char)c;
    }
    out[n] = '\0';
    return out;
}

void log_decision(pam_handle_t *pamh, const struct log_context *ctx, int priority,
                  const char *result, const char *reason, const char *record)
{
    char user[65], service[65], rhost[129], why[385], where[1025];
    pam_syslog(pamh, priority, "%s user=%s service=%s rhost=%s reason=\"%s\"%s%s", result,
               clean(ctx->user, user, sizeof(user)), clean(ctx->service, service, sizeof(service)),
               clean(ctx->rhost, rhost, sizeof(rhost)), text(reason, why, sizeof(why), 1),
               record != NULL ? " record=" : "", text(record, where, sizeof(where), 0));
}

void log_note(pam_handle_t *pamh, int priority, const char *prefix, const char *message)
{
    char line[1025];
    pam_syslog(pamh, priority, "%s%s", prefix, text(message, line, sizeof(line), 0));
}

void log_audit(pam_handle_t *pamh, const struct log_context *ctx, const char *action,
               const char *result, const char *store, const char *record, const char *how,
               const char *actor, long actor_uid)
{
    char user[65], who[65], service[65], rhost[129], where[1025];
    pam_syslog(pamh, LOG_NOTICE,
               "action=%s result=%s user=%s store=%s record=\"%s\" how=%s actor=%s actor_uid=%ld "
               "service=%s rhost=%s",
               action, result, clean(ctx->user, user, sizeof(user)), store,
               text(record, where, sizeof(where), 1), how, clean(actor, who, sizeof(who)),
               actor_uid, clean(ctx->service, service, sizeof(service)),
               clean(ctx->rhost, rhost, sizeof(rhost)));
}
