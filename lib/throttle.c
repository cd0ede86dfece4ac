/* SPDX-License-Identifier: Apache-2.0 */
/* throttle.c: the guessing bound: consecutive failures (FAILURES) delay the next judged code. */
#include "config.h"

#include <string.h>

#include "internal.h"
#include "totp.h"

/*
 * The arithmetic, with the defaults (3 free failures, then 15 s doubling up to 120 s, a window
 * of 3 codes): an attacker who holds the first factor gets 3 guesses at once, 3 more at 15, 45
 * and 105 s, then one every 120 s: 725 judged guesses the first day, 720 a day after. Each
 * guess is right with probability 3 / 10^6, so the expected wait for one success is
 * 10^6 / 3 / 720, about 460 days. A record with a wider window is a bigger target per guess,
 * so the longest delay grows in proportion (window 100: 4000 s), which keeps a day's chance
 * the same once the first delays are over.
 */

/* The record's window, as judge() in verify.c reads it. */
static unsigned record_window(const totp_record *rec, const totp_policy *policy)
{
    const char *v = totp_record_get(rec, "WINDOW_SIZE");
    uint64_t n;
    if (v != NULL && totpi_parse_uint(v, strlen(v), 100, &n) && n > 0)
        return (unsigned)n;
    return policy->window > 0 ? policy->window : 3;
}

unsigned totp_throttle_delay(const totp_throttle *t, uint64_t failures, unsigned window)
{
    if (t == NULL || t->max_delay == 0 || failures == 0 || failures < t->free_failures)
        return 0;
    /* The cap for a window of 3 or less; wider windows wait proportionally longer. */
    uint64_t cap = window <= 3 ? t->max_delay : ((uint64_t)t->max_delay * window + 2) / 3;
    uint64_t doublings = failures - t->free_failures;
    uint64_t delay = doublings >= 32 ? cap : (uint64_t)t->first_delay << doublings;
    return (unsigned)(delay < cap ? delay : cap);
}

int totp_throttle_state(const totp_record *rec, int64_t now, const totp_policy *policy,
                        totp_throttle_info *info)
{
    if (info != NULL)
        memset(info, 0, sizeof(*info));
    if (rec == NULL || policy == NULL || info == NULL)
        return TOTP_EINVAL;
    info->last_failure = -1;
    const char *v = totp_record_get(rec, "FAILURES");
    size_t len;
    const char *count = v != NULL ? totpi_next_token(v, &len) : NULL;
    uint64_t n, last;
    if (count == NULL || !totpi_parse_uint(count, len, UINT32_MAX, &n))
        return TOTP_OK; /* no failures since the last success */
    info->failures = n;
    const char *when = totpi_next_token(count + len, &len);
    if (when == NULL || !totpi_parse_uint(when, len, INT64_MAX, &last))
        return TOTP_OK;
    info->last_failure = (int64_t)last;
    info->delay = totp_throttle_delay(&policy->throttle, n, record_window(rec, policy));
    /* A failure in our future was written by a host whose clock is ahead, or before ours was
     * set back: it holds codes off until it is behind us and its delay has passed, or every
     * host behind the others would judge codes at once (and answers held since before it was
     * written would too). Only a failure further ahead than any clock that still works is
     * disbelieved, so that one broken host cannot lock its users out everywhere. */
    if ((int64_t)last > now) {
        info->ahead = (int64_t)last - now;
        info->untrusted = info->ahead > TOTP_THROTTLE_CLOCK_TOLERANCE;
    }
    if (info->delay > 0 && !info->untrusted && now - (int64_t)last < (int64_t)info->delay)
        info->left = (unsigned)((int64_t)last + info->delay - now);
    return TOTP_OK;
}

int totpi_throttle_check(const totp_record *rec, int64_t now, const totp_policy *policy,
                         totp_result *res)
{
    totp_throttle_info info;
    if (totp_throttle_state(rec, now, policy, &info) != TOTP_OK)
        return TOTP_OK;
    if (info.untrusted)
        res->failure_ahead = info.ahead;
    if (info.left == 0)
        return TOTP_OK;
    res->failures = info.failures;
    res->throttle_wait = info.left;
    return TOTP_ERATELIMIT;
}

void totpi_throttle_note(const totp_record *rec, int64_t now, const totp_policy *policy,
                         totp_result *res)
{
    totp_throttle_info info;
    if (totp_throttle_state(rec, now, policy, &info) != TOTP_OK)
        return;
    res->failures = info.failures;
    res->throttle_wait = info.left;
    /* This failure is the one that began the delays. */
    res->throttle_started = info.left > 0 && info.failures == policy->throttle.free_failures;
}
