/* SPDX-License-Identifier: Apache-2.0 */
/* check_cond.c: what a pam_succeed_if line is known to answer for the service whose stack
 * totpctl check judges (conditions on "service"), as Linux-PAM's pam_succeed_if evaluates it. */
#include "config.h"

#include <fnmatch.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "check.h"

/* The words pam_succeed_if takes as flags wherever they stand. */
static int is_flag(const char *arg)
{
    static const char *const flags[] = {"debug",      "use_uid",       "quiet",
                                        "quiet_fail", "quiet_success", "audit"};
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        if (strcmp(arg, flags[i]) == 0)
            return 1;
    }
    return 0;
}

/* Whether `name` is one of the colon-separated `list` (pam_succeed_if's "in"). */
static int in_list(const char *name, const char *list)
{
    size_t n = strlen(name);
    for (const char *p = list;;) {
        const char *colon = strchr(p, ':');
        size_t len = colon != NULL ? (size_t)(colon - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return 1;
        if (colon == NULL)
            return 0;
        p = colon + 1;
    }
}

/* One condition "service QUAL VALUE": COND_TRUE, COND_FALSE, or COND_EITHER when the qualifier
 * does not compare strings (eq, lt, ...: an error of the module, not a known answer). */
static int service_condition(const char *service, const char *qual, const char *value)
{
    int r;
    if (strcasecmp(qual, "=") == 0)
        r = strcmp(service, value) == 0;
    else if (strcasecmp(qual, "!=") == 0)
        r = strcmp(service, value) != 0;
    else if (strcasecmp(qual, "in") == 0)
        r = in_list(service, value);
    else if (strcasecmp(qual, "notin") == 0)
        r = !in_list(service, value);
    else if (strcasecmp(qual, "=~") == 0 || strcasecmp(qual, "glob") == 0)
        r = fnmatch(value, service, 0) == 0;
    else if (strcasecmp(qual, "!~") == 0 || strcasecmp(qual, "noglob") == 0)
        r = fnmatch(value, service, 0) != 0;
    else
        return COND_EITHER;
    return r ? COND_TRUE : COND_FALSE;
}

int check_condition_for_service(const struct stack_entry *e, const char *service)
{
    if (strcmp(check_base_name(e->module), "pam_succeed_if.so") != 0 || e->argv == NULL)
        return COND_EITHER;
    /* The conditions are ANDed: the line fails if one service condition is not met (whatever
     * the others answer), and is known to succeed only if every condition is on the service. */
    const char *cond[3];
    int have = 0, result = COND_TRUE;
    for (int i = 0; i < e->argc; i++) {
        if (is_flag(e->argv[i]))
            continue;
        cond[have++] = e->argv[i];
        if (have < 3)
            continue;
        have = 0;
        int r = strcasecmp(cond[0], "service") == 0 ? service_condition(service, cond[1], cond[2])
                                                    : COND_EITHER;
        if (r == COND_FALSE)
            return COND_FALSE;
        if (r == COND_EITHER)
            result = COND_EITHER;
    }
    return have != 0 ? COND_EITHER : result; /* an incomplete condition: the module's error */
}
