/* SPDX-License-Identifier: Apache-2.0 */
/* allow.c: totpctl allow-enroll: an administrator's allowance for a user to enroll at login. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "json.h"

#define DURATION_MAX (366L * 86400) /* a year: an allowance is for a rollout, not for ever */

/* "90", "30m", "8h", "7d", "2w" in seconds; -1 if malformed or out of range. */
static long parse_duration(const char *v)
{
    static const struct {
        char unit;
        long seconds;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}};
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    long mult = end != NULL && *end == '\0' ? 1 : 0;
    for (size_t i = 0; end != NULL && end[0] != '\0' && end[1] == '\0' && i < 5; i++)
        mult = *end == units[i].unit ? units[i].seconds : mult;
    if (errno != 0 || end == v || v[0] == '-' || mult == 0 || n <= 0 || n > DURATION_MAX / mult)
        return -1;
    return n * mult;
}

/* A Unix time, or a local "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM"; -1 if malformed. */
static int64_t parse_time(const char *v)
{
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno == 0 && end != v && *end == '\0' && n > 0)
        return (int64_t)n;
    struct tm tm;
    static const char *const formats[] = {"%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"};
    for (size_t i = 0; i < 3; i++) {
        memset(&tm, 0, sizeof(tm));
        end = strptime(v, formats[i], &tm);
        if (end != NULL && *end == '\0') {
            tm.tm_isdst = -1;
            time_t t = mktime(&tm);
            return t > 0 ? (int64_t)t : -1;
        }
    }
    return -1;
}

static void print_time(int64_t t, char *buf, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (localtime_r(&tt, &tm) == NULL || strftime(buf, size, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
        snprintf(buf, size, "%lld", (long long)t);
}

int cmd_allow_enroll(struct cli *c)
{
    totp_error err = {0};
    unsigned given = c->seen & (OPT_FOR | OPT_UNTIL | OPT_REVOKE);
    if (given != OPT_FOR && given != OPT_UNTIL && given != OPT_REVOKE)
        return cli_fail(EXIT_USAGE, "allow-enroll: give one of --for, --until or --revoke");
    if (!c->is_root)
        return cli_fail(EXIT_ERROR, "allow-enroll: only root can let a user enroll");
    int64_t now = (int64_t)time(NULL), until = 0;
    if (given == OPT_FOR) {
        long d = parse_duration(c->for_arg);
        if (d < 0)
            return cli_fail(EXIT_USAGE,
                            "--for %s: must be a duration such as 3600, 30m, 8h or 7d (at most a "
                            "year)",
                            c->for_arg);
        until = now + d;
    } else if (given == OPT_UNTIL) {
        until = parse_time(c->until_arg);
        if (until < 0)
            return cli_fail(EXIT_USAGE,
                            "--until %s: must be a Unix time or a date YYYY-MM-DD[THH:MM]",
                            c->until_arg);
        if (until <= now)
            return cli_fail(EXIT_USAGE, "--until %s: that time has passed", c->until_arg);
        if (until - now > DURATION_MAX)
            return cli_fail(EXIT_USAGE, "--until %s: at most a year from now", c->until_arg);
    }
    /* An allowance is kept by name: one for a name no account has would pass to whoever
     * gets that name later. The directories answer for their own accounts. */
    char *canonical = NULL;
    if (given != OPT_REVOKE && !c->opt.ldap_store) {
        int found = totp_user_canonical(c->user, &canonical, &err);
        free(canonical);
        if (found == TOTP_EUSER)
            return cli_fail(EXIT_USAGE, "allow-enroll: -u %s: no such account", c->user);
        if (found != TOTP_OK)
            return cli_error(found, &err);
    }
    int rc = totp_store_allow_enroll(c->store, c->user, until, &err);
    if (rc == TOTP_ENOENT && given == OPT_REVOKE) {
        fprintf(stderr, "totpctl: %s had no enrollment allowance\n", c->user);
        audit(c, c->user, NULL, EXIT_REJECTED, "no enrollment allowance to revoke");
        return EXIT_REJECTED;
    }
    if (rc != TOTP_OK) {
        audit(c, c->user, NULL, rc = cli_error(rc, &err), NULL);
        return rc;
    }
    char when[64], note[96];
    print_time(until, when, sizeof(when));
    if (until > 0)
        snprintf(note, sizeof(note), "may enroll at login until %lld", (long long)until);
    else
        snprintf(note, sizeof(note), "allowance revoked");
    audit(c, c->user, NULL, EXIT_OK, note);
    if (c->json) {
        struct json j;
        json_begin(&j, stdout);
        json_string(&j, "user", c->user);
        if (until > 0)
            json_int(&j, "enroll_allowed_until", until);
        else
            json_null(&j, "enroll_allowed_until");
        json_end(&j);
    } else if (until > 0) {
        printf("%s may enroll at login until %s\n", c->user, when);
    } else {
        printf("%s may no longer enroll at login\n", c->user);
    }
    return EXIT_OK;
}

void allow_status(struct cli *c, struct json *j)
{
    int64_t until = 0;
    char when[64];
    if (!c->is_root && !c->opt.ldap_store)
        return; /* only root can see the allowances */
    int rc = totp_store_enroll_allowance(c->store, c->user, &until, NULL);
    if (rc != TOTP_OK) {
        if (j != NULL && rc == TOTP_ENOENT)
            json_null(j, "enroll_allowed_until");
        return;
    }
    if (j != NULL) {
        json_int(j, "enroll_allowed_until", until);
        return;
    }
    print_time(until, when, sizeof(when));
    printf("may enroll at login until %s%s\n", when,
           until <= (int64_t)time(NULL) ? " (expired)" : "");
}
