/* SPDX-License-Identifier: Apache-2.0 */
/* skew.c: time-based codes: the window around now plus TIME_SKEW, replay, clock-skew learning,
 * and the code a record expects now. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "totp.h"

/* GA's RESETTING_TIME_SKEW keeps the last three out-of-window codes. */
#define SKEW_SAMPLES 3
/* The most steps one scan searches each way (TOTP_WINDOW_MAX). */
#define SCAN_MAX 1500
/* A wrong code that is the code of a step this close to the expected one means clock trouble. */
#define HINT_SECONDS 3600
/* Accepted steps DISALLOW_REUSE lists above its floor; more only with a wide skew_max. */
#define USED_KEEP 32

/*
 * The used steps. pam_totp keeps its own in TOTP_USED: a floor (every step at or below it is
 * used, which is also what a single watermark meant), then the steps accepted above it, the last
 * one the last accepted. google-authenticator does not know that key and keeps it as it is, but
 * prunes DISALLOW_REUSE to the steps near the one it accepts, so that list alone cannot hold a
 * floor. DISALLOW_REUSE is written with the same steps, so GA refuses what pam_totp accepted, and
 * each step it lists (GA appends the ones it accepts) is used too, one by one. A record without
 * TOTP_USED (older pam_totp, GA, LDAP) has its floor at the highest DISALLOW_REUSE step, as a
 * watermark: replay safety first.
 */
struct used_steps {
    totpi_used u;
    uint64_t *list;
};

static int set_number(totp_record *rec, const char *key, int64_t value)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%" PRId64, value);
    return totp_record_set(rec, key, buf);
}

uint64_t totpi_skew_bound(const totp_policy *policy, unsigned period)
{
    uint64_t seconds = policy->skew_max > 0 ? policy->skew_max : TOTP_SKEW_MAX_DEFAULT;
    if (seconds > TOTP_SKEW_MAX_SECONDS)
        seconds = TOTP_SKEW_MAX_SECONDS;
    uint64_t steps = seconds / period;
    return steps < SCAN_MAX ? steps : SCAN_MAX;
}

int64_t totpi_record_skew(const totp_record *rec, uint64_t bound)
{
    const char *v = totp_record_get(rec, "TIME_SKEW");
    int64_t skew = 0;
    if (v != NULL && !totpi_parse_skew(v, strlen(v), &skew))
        skew = 0;
    if (skew > (int64_t)bound)
        skew = (int64_t)bound;
    if (skew < -(int64_t)bound)
        skew = -(int64_t)bound;
    return skew;
}

static uint64_t shift(uint64_t step, int64_t by)
{
    return by < 0 && (uint64_t)-by > step ? 0 : step + (uint64_t)by;
}

static size_t count_tokens(const char *list)
{
    size_t n = 0, len;
    for (const char *tok; list != NULL && (tok = totpi_next_token(list, &len)) != NULL;
         list = tok + len)
        n++;
    return n;
}

/* Add the steps of `list` not listed yet; with `floor_first`, its first is the floor. */
static int used_parse(struct used_steps *used, const char *list, int floor_first)
{
    const char *tok;
    size_t len;
    for (; list != NULL && (tok = totpi_next_token(list, &len)) != NULL; list = tok + len) {
        uint64_t step;
        size_t i = 0;
        if (!totpi_parse_uint(tok, len, INT64_MAX, &step))
            return TOTP_EFORMAT;
        if (floor_first) {
            used->u.floor = step;
            used->u.has_floor = 1;
            floor_first = 0;
            continue;
        }
        if (used->u.has_floor && step <= used->u.floor)
            continue; /* used already; not the last accepted */
        while (i < used->u.n && used->list[i] != step)
            i++;
        if (i == used->u.n)
            used->list[used->u.n++] = step;
    }
    return TOTP_OK;
}

static int used_read(const totp_record *rec, struct used_steps *used)
{
    const char *own = totp_record_get(rec, "TOTP_USED");
    const char *ga = totp_record_get(rec, "DISALLOW_REUSE");
    size_t n = count_tokens(own) + count_tokens(ga);
    memset(used, 0, sizeof(*used));
    if (n == 0)
        return TOTP_OK;
    if ((used->list = calloc(n, sizeof(used->list[0]))) == NULL)
        return TOTP_ENOMEM;
    int rc = used_parse(used, own, 1);
    if (rc == TOTP_OK)
        rc = used_parse(used, ga, 0);
    if (rc != TOTP_OK) {
        free(used->list);
        used->list = NULL;
        return rc;
    }
    if (!used->u.has_floor) { /* a legacy record: the highest step is the floor */
        for (size_t i = 0; i < used->u.n; i++) {
            if (!used->u.has_floor || used->list[i] > used->u.floor)
                used->u.floor = used->list[i];
            used->u.has_floor = 1;
        }
    }
    used->u.steps = used->list;
    return TOTP_OK;
}

/*
 * Add `matched` to the used steps (TOTP_USED, and the same in DISALLOW_REUSE). What no code can
 * reach any more (below `step` - `behind`, the lowest step a code may be accepted for now) goes
 * under the floor; the floor never moves down. So every step ever accepted stays either listed or
 * at or below the floor, and no code is accepted twice, even when a clock moves back; while the
 * steps between the floor and the highest accepted one that were never accepted stay open to a
 * phone whose clock was corrected.
 */
static int used_add(totp_record *rec, const struct used_steps *used, uint64_t step, uint64_t behind,
                    uint64_t matched)
{
    int has_floor = step > behind;
    uint64_t floor = has_floor ? step - behind - 1 : 0;
    if (used->u.has_floor && (!has_floor || used->u.floor > floor)) {
        floor = used->u.floor;
        has_floor = 1;
    }
    uint64_t *keep = calloc(used->u.n + 1, sizeof(keep[0]));
    if (keep == NULL)
        return TOTP_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < used->u.n; i++) {
        if (!has_floor || used->u.steps[i] > floor)
            keep[k++] = used->u.steps[i];
    }
    keep[k++] = matched;    /* last: the last accepted, as GA, which appends too */
    while (k > USED_KEEP) { /* the lowest beyond the limit goes under the floor */
        size_t low = 0;
        for (size_t i = 1; i < k; i++)
            low = keep[i] < keep[low] ? i : low;
        floor = keep[low];
        has_floor = 1;
        memmove(keep + low, keep + low + 1, (k - low - 1) * sizeof(keep[0]));
        k--;
    }

    /* Without a floor yet (only near step 0), step 0 stands in for it. */
    char buf[(USED_KEEP + 1) * 21 + 1];
    size_t o = (size_t)snprintf(buf, sizeof(buf), "%" PRIu64, has_floor ? floor : 0);
    for (size_t i = 0; i < k; i++)
        o += (size_t)snprintf(buf + o, sizeof(buf) - o, " %" PRIu64, keep[i]);
    free(keep);
    int rc = totp_record_set(rec, "TOTP_USED", buf);
    return rc == TOTP_OK ? totp_record_set(rec, "DISALLOW_REUSE", buf) : rc;
}

/*
 * Why a code was refused, for the log. The code of a step still listed as accepted, near the
 * expected one (`center`), is a replay (TOTP_EREPLAY), however far from now. The code of
 * another step behind both now and the expected one means clock trouble (under the floor, too:
 * most steps there were never accepted, and a phone that is slow lands there): how far behind
 * goes into the hint. A step ahead is never
 * named, nor how far ahead: its code becomes valid later, and whoever reads the log (with the
 * password) could type it then. Behind, it cannot: the window only moves on, and a step behind
 * it is accepted again only by relearning the skew, which takes three consistent unused codes.
 */
static int refusal(const totp_key *key, const char *code, uint64_t step, uint64_t center,
                   unsigned period, const totpi_used *used, totp_result *res)
{
    uint64_t reach = HINT_SECONDS / period, at = 0;
    if (reach > SCAN_MAX)
        reach = SCAN_MAX;
    totp_window near = {center, (unsigned)reach, (unsigned)reach, 0, 0};
    totpi_used listed = {0, 0, used->steps, used->n};
    int rc = totpi_verify_used(key, code, &near, &listed, &at);
    if (rc == TOTP_EREPLAY)
        return TOTP_EREPLAY;
    if (rc == TOTP_OK && at < center && at <= step) {
        /* center - at <= reach <= 3600: no overflow, whatever the time */
        res->clock_hint = 1;
        res->off_by = -(int64_t)((center - at) * period);
    }
    return TOTP_EMISMATCH;
}

/*
 * GA's clock-skew learning: a code that matches `skew` steps away from now is remembered in
 * RESETTING_TIME_SKEW; three such codes in consecutive steps with a steady skew set TIME_SKEW,
 * and the third one logs the user in. Returns TOTP_OK when the skew was learned.
 */
static int learn_skew(totp_record *rec, uint64_t step, int64_t skew, uint64_t bound, int *changed)
{
    uint64_t tms[SKEW_SAMPLES + 1];
    int64_t skews[SKEW_SAMPLES + 1];
    size_t n = 0, len;
    const char *list = totp_record_get(rec, "RESETTING_TIME_SKEW"), *tok;

    for (; list != NULL && (tok = totpi_next_token(list, &len)) != NULL; list = tok + len) {
        size_t digits = strspn(tok, "0123456789");
        if (n == SKEW_SAMPLES) {
            memmove(tms, tms + 1, (n - 1) * sizeof(tms[0]));
            memmove(skews, skews + 1, (n - 1) * sizeof(skews[0]));
            n--;
        }
        if (!totpi_parse_uint(tok, digits, INT64_MAX, &tms[n]) ||
            !totpi_parse_skew(tok + digits, len - digits, &skews[n]))
            return TOTP_EFORMAT;
        n++;
    }
    /* The same code once more tells nothing new. */
    if (n > 0 && (int64_t)tms[n - 1] + skews[n - 1] == (int64_t)step + skew)
        return TOTP_EMISMATCH;
    if (n == SKEW_SAMPLES) {
        memmove(tms, tms + 1, (n - 1) * sizeof(tms[0]));
        memmove(skews, skews + 1, (n - 1) * sizeof(skews[0]));
        n--;
    }
    tms[n] = step;
    skews[n++] = skew;
    *changed = 1;

    int steady = n == SKEW_SAMPLES;
    int64_t sum = skews[0];
    for (size_t i = 1; steady && i < n; i++) {
        if (tms[i] <= tms[i - 1] || tms[i] > tms[i - 1] + 2 || skews[i] - skews[i - 1] > 1 ||
            skews[i - 1] - skews[i] > 1)
            steady = 0;
        sum += skews[i];
    }
    if (steady) {
        int64_t learned = sum / (int64_t)n;
        if (learned > (int64_t)bound || learned < -(int64_t)bound) { /* older, wider samples */
            int rc = totp_record_set(rec, "RESETTING_TIME_SKEW", "");
            return rc == TOTP_OK ? TOTP_EMISMATCH : rc;
        }
        int rc = set_number(rec, "TIME_SKEW", learned);
        if (rc == TOTP_OK)
            rc = totp_record_set(rec, "RESETTING_TIME_SKEW", "");
        return rc;
    }

    char buf[SKEW_SAMPLES * 48], *o = buf;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++)
        o += snprintf(o, sizeof(buf) - (size_t)(o - buf), "%s%" PRIu64 "%+" PRId64,
                      i > 0 ? " " : "", tms[i], skews[i]);
    int rc = totp_record_set(rec, "RESETTING_TIME_SKEW", buf);
    return rc == TOTP_OK ? TOTP_EMISMATCH : rc;
}

int totpi_check_totp(totp_record *rec, const totp_key *key, const totp_params *params,
                     unsigned window, const char *code, int64_t now, const totp_policy *policy,
                     totp_result *res)
{
    uint64_t step, matched = 0;
    int rc = totp_time_step(now, params->period, &step);
    if (rc != TOTP_OK)
        return rc;
    uint64_t bound = totpi_skew_bound(policy, params->period);
    uint64_t center = shift(step, totpi_record_skew(rec, bound));
    struct used_steps used;
    if ((rc = used_read(rec, &used)) != TOTP_OK)
        return rc;

    /* In the window, as before, every step up to the last one accepted is used (an older code
     * is refused once a newer one was accepted); steps listed above it or beyond the window
     * (accepted with a skew since corrected) are used one by one. */
    totp_window w = {center, (window - 1) / 2, window / 2, 0, 0};
    totpi_used in_window = used.u;
    uint64_t last = used.u.n > 0 ? used.list[used.u.n - 1] : 0;
    for (size_t i = 0; i < used.u.n; i++) {
        uint64_t s = used.list[i];
        if (s <= center + window / 2 && s <= last && s > in_window.floor)
            in_window.floor = s;
    }
    rc = totpi_verify_used(key, code, &w, &in_window, &matched);
    if (rc == TOTP_OK) {
        res->method = TOTP_BY_TOTP;
    } else if (rc == TOTP_EMISMATCH && !policy->noskewadj && bound > 0) {
        /* Perhaps the phone's clock is off: look further, as google-authenticator does, but
         * only as far as a phone's clock drifts, not as far as an attacker's notes reach. */
        totp_window wide = {step, (unsigned)bound, (unsigned)bound, 0, 0};
        if (totpi_verify_used(key, code, &wide, &used.u, &matched) == TOTP_OK) {
            rc = learn_skew(rec, step, (int64_t)(matched - step), bound, &res->changed);
            if (rc == TOTP_OK)
                res->method = TOTP_BY_SKEW;
        }
    }
    /* Nothing beyond now plus the bound plus the window is ever accepted, so the watermark
     * cannot run ahead of real time and lock the user out. */
    if (rc == TOTP_OK && matched > step + bound + window / 2)
        rc = TOTP_EMISMATCH;
    if (rc == TOTP_EMISMATCH)
        rc = refusal(key, code, step, center, params->period, &used.u, res);
    if (rc == TOTP_OK) {
        /* Replay protection is always on: the accepted step is never accepted again. */
        rc = used_add(rec, &used, step, bound + (window - 1) / 2, matched);
        res->changed = 1;
    }
    free(used.list);
    return rc;
}

/* The code the record expects at `now` (TIME_SKEW applied as the policy bounds it), or at its
 * HOTP counter. */
int totp_record_expected_code(const totp_record *rec, const totp_policy *policy, int64_t now,
                              char code[TOTP_CODE_BUFSIZE], uint64_t *step)
{
    totp_params p;
    totp_key *key = NULL;
    uint64_t at;
    if (policy == NULL)
        return TOTP_EINVAL;
    int rc = totp_record_params(rec, &policy->defaults, &p);
    const char *v;
    if (rc != TOTP_OK)
        return rc;
    if ((v = totp_record_get(rec, "HOTP_COUNTER")) != NULL) {
        if (!totpi_parse_uint(v, strlen(v), INT64_MAX, &at))
            return TOTP_EFORMAT;
    } else {
        if ((rc = totp_time_step(now, p.period, &at)) != TOTP_OK)
            return rc;
        /* TIME_SKEW only as far as the module honours it */
        int64_t skew = totpi_record_skew(rec, totpi_skew_bound(policy, p.period));
        at = skew < 0 && (uint64_t)-skew > at ? 0 : at + (uint64_t)skew;
    }
    rc = totpi_record_key_with(rec, &p, &key);
    if (rc == TOTP_OK)
        rc = totp_hotp(key, at, code);
    totp_key_free(key);
    if (rc == TOTP_OK && step != NULL)
        *step = at;
    return rc;
}
