/* SPDX-License-Identifier: Apache-2.0 */
/* audit.c: totpctl's audit trail: one syslog line (authpriv) for each change to a record. */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "cli.h"

int audit_covers(const char *command)
{
    static const char *const changing[] = {
        "enroll", "verify", "scratch", "reset-failures",
        "remove", "import", "reseal",  "allow-enroll",
    };
    for (size_t i = 0; i < sizeof(changing) / sizeof(changing[0]); i++) {
        if (strcmp(command, changing[i]) == 0)
            return 1;
    }
    return 0;
}

static const char *result_of(int status)
{
    switch (status) {
    case EXIT_OK:
        return "ok";
    case EXIT_REJECTED: /* not enrolled, already enrolled, a wrong code */
    case EXIT_USAGE:    /* a request totpctl declines */
        return "refused";
    default: /* permission, I/O, an unavailable store */
        return "failed";
    }
}

static const char *store_of(const struct cli *c)
{
    return c->opt.ad_store ? "ad" : c->opt.ldap_store ? "ldap" : "file";
}

void audit(struct cli *c, const char *user, const char *record, int status, const char *reason)
{
    if (c->action == NULL)
        return;
    c->audited++;
    uid_t uid = getuid();
    struct passwd *pw = getpwuid(uid);
    char actor[257] = "", sudo_user[257] = "";
    if (pw != NULL)
        snprintf(actor, sizeof(actor), "%s", pw->pw_name);
    /* SUDO_USER is anyone's to set: believed only from root with sudo's SUDO_UID beside it,
     * and even then advisory (totpctl(1)). */
    const char *su = getenv("SUDO_USER"), *suid = getenv("SUDO_UID");
    if (uid == 0 && su != NULL && suid != NULL && suid[0] != '\0')
        snprintf(sudo_user, sizeof(sudo_user), "%s", su);
    if (reason == NULL && status != EXIT_OK)
        reason = cli_last_failure();
    totp_audit a = {
        .action = c->action,
        .result = result_of(status),
        .user = user,
        .store = store_of(c),
        .record = record,
        /* Root is the administrator even on its own record (it lives in the system store). */
        .how = uid != 0 && user != NULL && strcmp(actor, user) == 0 ? "user" : "admin",
        .actor = actor,
        .actor_uid = (long long)uid,
        .sudo_user = sudo_user,
        .reason = reason,
    };
    char line[12 * TOTP_LOGFMT_VALUE_MAX];
    totp_audit_format(&a, line, sizeof(line));
    openlog("totpctl", LOG_PID, LOG_AUTHPRIV);
    syslog(LOG_AUTHPRIV | (status == EXIT_OK ? LOG_NOTICE : LOG_WARNING), "%s", line);
    closelog();
    cli_forget_failure();
}

void audit_end(struct cli *c, int status)
{
    if (c->action == NULL || c->audited > 0)
        return;
    /* import --uri without -u: the URIs name the users, none of which got as far as a line. */
    const char *user = c->uri && c->user_arg == NULL ? NULL : c->user[0] ? c->user : c->user_arg;
    audit(c, user, NULL, status, NULL);
}
