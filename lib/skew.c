/* SPDX-License-Identifier: Apache-2.0 */
/* skew.c: time-based codes: the window around now plus TIME_SKEW, replay, clock-skew learning. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "totp.h"

/* How far GA looks for a drifting clock: 25 * 60 steps either way. */
#define SKEW_SEARCH 1500
/* GA's RESETTING_TIME_SKEW keeps the last three out-of-window codes. */
#define SKEW_SAMPLES 3

static int set_number(totp_record *rec, const char *key, int64_t value)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%" PRId64, value);
    return totp_record_set(rec, key, buf);
}

static int64_t record_skew(const totp_record *rec)
{
    const char *v = totp_record_get(rec, "TIME_SKEW");
    int64_t skew = 0;
    if (v != NULL && !totpi_parse_skew(v, strlen(v), &skew))
        skew = 0;
    return skew;
}

/*
 * GA's clock-skew learning: a code that matches `skew` steps away from now is remembered in
 * RESETTING_TIME_SKEW; three such codes in consecutive steps with a steady skew set TIME_SKEW,
 * and the third one logs the user in. Returns TOTP_OK when the skew was learned.
 */
static int learn_skew(totp_record *rec, uint64_t step, int64_t skew, int *changed)
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
        int rc = set_number(rec, "TIME_SKEW", sum / (int64_t)n);
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
                     unsigned window, const char *code, int64_t now, int noskewadj,
                     totp_result *res)
{
    uint64_t step, matched = 0, watermark;
    int rc = totp_time_step(now, params->period, &step);
    if (rc != TOTP_OK)
        return rc;
    int64_t skew = record_skew(rec);
    int has_watermark = totp_record_last_step(rec, &watermark) == TOTP_OK;
    uint64_t center = skew < 0 && (uint64_t)-skew > step ? 0 : step + (uint64_t)skew;

    totp_window w = {center, (window - 1) / 2, window / 2, has_watermark, watermark};
    rc = totp_verify(key, code, &w, &matched);
    if (rc == TOTP_EMISMATCH && !noskewadj) {
        /* Perhaps the phone's clock is off: look further, as google-authenticator does. */
        totp_window wide = {step, SKEW_SEARCH, SKEW_SEARCH, has_watermark, watermark};
        if (totp_verify(key, code, &wide, &matched) == TOTP_OK) {
            rc = learn_skew(rec, step, (int64_t)(matched - step), &res->changed);
            if (rc == TOTP_OK)
                res->method = TOTP_BY_SKEW;
        }
    } else if (rc == TOTP_OK) {
        res->method = TOTP_BY_TOTP;
    }
    if (rc != TOTP_OK)
        return rc;
    /* Replay protection is always on: nothing at or below this step will match again. */
    rc = set_number(rec, "DISALLOW_REUSE", (int64_t)matched);
    res->changed = 1;
    return rc;
}
