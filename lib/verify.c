/* SPDX-License-Identifier: Apache-2.0 */
/* verify.c: the login policy: rate limit, scratch codes, HOTP window; TOTP codes in skew.c. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "scratch_hash.h"
#include "totp.h"

/* Timestamps kept for rate limiting, at most: one more than the largest limit (rate_limit=
 * allows TOTPI_RATE_ATTEMPTS_MAX attempts, a record's RATE_LIMIT 100), so that every limit
 * can see itself exceeded. */
#define MAX_ATTEMPTS (TOTPI_RATE_ATTEMPTS_MAX + 1)
#define TS_DIGITS    21 /* an int64 and a space */

static int set_number(totp_record *rec, const char *key, int64_t value)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%" PRId64, value);
    return totp_record_set(rec, key, buf);
}

static int get_number(const totp_record *rec, const char *key, uint64_t *value)
{
    const char *v = totp_record_get(rec, key);
    return v != NULL && totpi_parse_uint(v, strlen(v), INT64_MAX, value);
}

/* ---- Rate limiting ------------------------------------------------------------------------ */

struct limits {
    unsigned n;
    unsigned attempts[2];
    unsigned interval[2];
};

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/*
 * Count this attempt against the record's RATE_LIMIT and the site floor. The timestamps live in
 * RATE_LIMIT when the record has one (where google-authenticator keeps them), else in ATTEMPTS.
 * Returns TOTP_ERATELIMIT when either limit is exceeded.
 */
static int rate_limit(totp_record *rec, int64_t now, const totp_policy *policy, int *changed)
{
    struct limits lim = {0, {0, 0}, {0, 0}};
    const char *rl = totp_record_get(rec, "RATE_LIMIT");
    const char *list = NULL, *tok;
    size_t len;
    uint64_t v;

    if (rl != NULL) {
        tok = totpi_next_token(rl, &len);
        totpi_parse_uint(tok, len, 100, &v);
        lim.attempts[lim.n] = (unsigned)v;
        tok = totpi_next_token(tok + len, &len);
        totpi_parse_uint(tok, len, 3600, &v);
        lim.interval[lim.n++] = (unsigned)v;
        list = tok + len;
    }
    if (policy->rate_attempts > 0 && policy->rate_interval > 0) {
        lim.attempts[lim.n] = policy->rate_attempts;
        lim.interval[lim.n++] = policy->rate_interval;
        if (list == NULL)
            list = totp_record_get(rec, "ATTEMPTS");
    }
    if (lim.n == 0)
        return TOTP_OK;

    unsigned keep_count = 0, keep_interval = 0;
    for (unsigned i = 0; i < lim.n; i++) {
        keep_count = lim.attempts[i] > keep_count ? lim.attempts[i] : keep_count;
        keep_interval = lim.interval[i] > keep_interval ? lim.interval[i] : keep_interval;
    }

    int64_t *ts = malloc((MAX_ATTEMPTS + 1) * sizeof(*ts));
    char *buf = malloc(16 + (MAX_ATTEMPTS + 1) * TS_DIGITS);
    if (ts == NULL || buf == NULL) {
        free(ts);
        free(buf);
        return TOTP_ENOMEM;
    }
    size_t n = 0;
    for (; list != NULL && (tok = totpi_next_token(list, &len)) != NULL; list = tok + len) {
        if (!totpi_parse_uint(tok, len, INT64_MAX, &v)) {
            free(ts);
            free(buf);
            return TOTP_EFORMAT;
        }
        /* Keep what falls inside the longest interval. An attempt in our future (a host whose
         * clock is ahead, or ours set back) counts as within every interval, as the throttle
         * counts such a failure, unless it is too far ahead for any working clock. */
        if ((int64_t)v > now + TOTP_THROTTLE_CLOCK_TOLERANCE ||
            (int64_t)v < now - (int64_t)keep_interval)
            continue;
        if (n == MAX_ATTEMPTS) { /* more than any limit needs: forget the oldest */
            qsort(ts, n, sizeof(ts[0]), compare_i64);
            memmove(ts, ts + 1, (n - 1) * sizeof(ts[0]));
            n--;
        }
        ts[n++] = (int64_t)v;
    }
    ts[n++] = now;
    qsort(ts, n, sizeof(ts[0]), compare_i64);

    int exceeded = 0;
    for (unsigned i = 0; i < lim.n; i++) {
        size_t within = 0;
        for (size_t k = 0; k < n; k++)
            within += ts[k] >= now - (int64_t)lim.interval[i];
        exceeded |= within > lim.attempts[i];
    }
    /* The most recent `keep_count` attempts are all any limit needs next time. */
    size_t first = n > keep_count ? n - keep_count : 0;

    size_t size = 16 + (MAX_ATTEMPTS + 1) * TS_DIGITS, o = 0;
    if (rl != NULL)
        o += (size_t)snprintf(buf, size, "%u %u", lim.attempts[0], lim.interval[0]);
    for (size_t k = first; k < n; k++)
        o += (size_t)snprintf(buf + o, size - o, "%s%" PRId64, o > 0 ? " " : "", ts[k]);
    buf[o] = '\0';
    int rc = totp_record_set(rec, rl != NULL ? "RATE_LIMIT" : "ATTEMPTS", buf);
    free(ts);
    free(buf);
    if (rc != TOTP_OK)
        return rc;
    *changed = 1;
    return exceeded ? TOTP_ERATELIMIT : TOTP_OK;
}

/* ---- Counter-based codes ------------------------------------------------------------------ */

static int check_hotp(totp_record *rec, const totp_key *key, unsigned window, const char *code,
                      int no_increment, totp_result *res)
{
    uint64_t counter, matched = 0;
    if (!get_number(rec, "HOTP_COUNTER", &counter) || counter < 1)
        return TOTP_EFORMAT;
    /* HOTP_COUNTER is the next counter to accept: everything below it is used. */
    totp_window w = {counter, window - 1, window - 1, 1, counter - 1};
    int rc = totp_verify(key, code, &w, &matched);
    if (rc == TOTP_OK) {
        res->method = TOTP_BY_HOTP;
        res->changed = 1;
        return set_number(rec, "HOTP_COUNTER", (int64_t)matched + 1);
    }
    if ((rc == TOTP_EMISMATCH || rc == TOTP_EREPLAY) && !no_increment) {
        /* As google-authenticator: every failed attempt burns a counter value. */
        int set = set_number(rec, "HOTP_COUNTER", (int64_t)counter + 1);
        res->changed = 1;
        if (set != TOTP_OK)
            return set;
    }
    return rc;
}

/* ---- The decision ------------------------------------------------------------------------- */

/* The code of `input` in `out`: with TOTP_INPUT_SUFFIX its last `want` characters, if they are
 * digits; else all of it, spaces dropped (apps show "123 456"). Returns its length, 0 if none. */
static size_t extract_code(const char *input, int flags, size_t want, char out[TOTP_DIGITS_MAX + 1])
{
    size_t n = 0, len = strlen(input);
    if (flags & TOTP_INPUT_SUFFIX) {
        if (want > TOTP_DIGITS_MAX || len < want)
            return 0;
        input += len - want;
    }
    for (; *input != '\0'; input++) {
        if (*input == ' ' && !(flags & TOTP_INPUT_SUFFIX))
            continue;
        if (*input < '0' || *input > '9' || n == TOTP_DIGITS_MAX) {
            totp_wipe(out, TOTP_DIGITS_MAX + 1);
            return 0;
        }
        out[n++] = *input;
    }
    out[n] = '\0';
    return n;
}

static int record_outcome(totp_record *rec, int64_t now, int verdict, totp_result *res)
{
    int rc;
    if (verdict == TOTP_OK) {
        rc = set_number(rec, "LAST_SUCCESS", now);
        if (rc == TOTP_OK)
            rc = totp_record_unset(rec, "FAILURES");
    } else {
        uint64_t count = 0;
        const char *v = totp_record_get(rec, "FAILURES");
        size_t len;
        const char *tok = v != NULL ? totpi_next_token(v, &len) : NULL;
        if (tok == NULL || !totpi_parse_uint(tok, len, UINT32_MAX, &count))
            count = 0;
        /* The time of the last failure never moves back while it is believed (up to the clock
         * tolerance ahead): a host whose clock is behind writes the later time it read, or a
         * failure it writes would reopen the throttle at once for the hosts ahead of it. */
        uint64_t last = 0;
        int64_t when = now;
        tok = tok != NULL ? totpi_next_token(tok + len, &len) : NULL;
        if (tok != NULL && totpi_parse_uint(tok, len, INT64_MAX, &last) && (int64_t)last > now &&
            (int64_t)last - now <= TOTP_THROTTLE_CLOCK_TOLERANCE)
            when = (int64_t)last;
        char buf[48];
        snprintf(buf, sizeof(buf), "%" PRIu64 " %" PRId64, count < UINT32_MAX ? count + 1 : count,
                 when);
        rc = totp_record_set(rec, "FAILURES", buf);
    }
    res->changed = 1;
    return rc;
}

/* Whether `input` can be a code for `rec` at all: eight digits (a scratch code) or the record's
 * DIGITS, after extract_code. Anything else (a password sent to every prompt, as sshd's password
 * authentication does) is no guess: it is refused as TOTP_ECODE before the rate limit, counts
 * as no failure and writes nothing. */
static int code_shape(const totp_record *rec, const char *input, int flags,
                      const totp_policy *policy)
{
    totp_params params;
    char digits[TOTP_DIGITS_MAX + 1];
    int rc = totp_record_params(rec, &policy->defaults, &params);
    if (rc != TOTP_OK)
        return rc;
    size_t n = extract_code(input, flags, 8, digits);
    if (n != 8 && (flags & TOTP_INPUT_SUFFIX))
        n = extract_code(input, flags, params.digits, digits);
    totp_wipe(digits, sizeof(digits));
    return n == 8 || n == params.digits ? TOTP_OK : TOTP_ECODE;
}

/* Judge `input` (shape and rate limit already passed): a scratch code first, then the record's
 * TOTP or HOTP code. */
static int judge(totp_record *rec, const char *input, int flags, int64_t now,
                 const totp_policy *policy, totp_result *res)
{
    totp_params params;
    totp_key *key = NULL;
    char digits[TOTP_DIGITS_MAX + 1];
    int rc = totp_record_params(rec, &policy->defaults, &params);
    if (rc != TOTP_OK)
        return rc;
    unsigned window = policy->window > 0 ? policy->window : 3;
    uint64_t v;
    if (get_number(rec, "WINDOW_SIZE", &v))
        window = (unsigned)v;

    size_t n = extract_code(input, flags, 8, digits);
    if (n == 8 &&
        (totpi_record_take_scratch(rec, digits) || totpi_scratch_hash_take(rec, digits))) {
        totp_wipe(digits, sizeof(digits));
        res->method = TOTP_BY_SCRATCH;
        res->code_len = 8;
        res->changed = 1;
        return TOTP_OK;
    }
    if (flags & TOTP_INPUT_SUFFIX)
        n = extract_code(input, flags, params.digits, digits);
    if (n != params.digits) {
        totp_wipe(digits, sizeof(digits));
        return n == 8 ? TOTP_EMISMATCH : TOTP_ECODE; /* 8 digits: a scratch code that was not */
    }
    res->code_len = n;
    rc = totpi_record_key_with(rec, &params, &key); /* params: read above, once */
    if (rc == TOTP_OK && totp_record_get(rec, "HOTP_COUNTER") != NULL)
        rc = check_hotp(rec, key, window, digits, policy->no_increment_hotp, res);
    else if (rc == TOTP_OK && totp_record_get(rec, "TOTP_AUTH") != NULL)
        rc = totpi_check_totp(rec, key, &params, window, digits, now, policy, res);
    else if (rc == TOTP_OK)
        rc = TOTP_EMISMATCH; /* neither TOTP nor HOTP: scratch codes only, as GA */
    totp_key_free(key);
    totp_wipe(digits, sizeof(digits));
    return rc;
}

int totp_policy_check(totp_record *rec, const char *code, int flags, int64_t now,
                      const totp_policy *policy, totp_result *res)
{
    if (res == NULL)
        return TOTP_EINVAL;
    memset(res, 0, sizeof(*res));
    res->verdict = TOTP_EINVAL;
    if (rec == NULL || code == NULL || policy == NULL)
        return TOTP_EINVAL;
    res->verdict = TOTP_ETIME;
    if (now < 0)
        return TOTP_ETIME;

    /* Throttled: refused without looking at the code, and nothing is written. */
    int verdict = totpi_throttle_check(rec, now, policy, res);
    if (verdict != TOTP_OK) {
        res->verdict = verdict;
        res->scratch_left = totp_record_scratch_count(rec);
        return verdict;
    }
    verdict = code_shape(rec, code, flags, policy);
    if (verdict == TOTP_OK)
        verdict = rate_limit(rec, now, policy, &res->changed);
    if (verdict == TOTP_OK)
        verdict = judge(rec, code, flags, now, policy, res);
    if (verdict == TOTP_OK && policy->grace_period > 0)
        verdict = totpi_grace_note(rec, policy->rhost, now);

    /* Consecutive failures, which the throttle counts: errors of the record itself are not
     * attempts, nor is a code refused by a rate limit unjudged (or a stranger could push a
     * user's throttle up for nothing), nor an answer that cannot be a code (no guess). */
    if (verdict == TOTP_OK || verdict == TOTP_EMISMATCH || verdict == TOTP_EREPLAY) {
        int rc = record_outcome(rec, now, verdict, res);
        if (rc != TOTP_OK)
            verdict = rc;
    }
    totpi_throttle_note(rec, now, policy, res);
    if (verdict != TOTP_OK) {
        res->method = TOTP_BY_NONE;
        res->code_len = 0;
    }
    res->verdict = verdict;
    res->scratch_left = totp_record_scratch_count(rec);
    return verdict;
}
