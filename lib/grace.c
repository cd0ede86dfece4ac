/* SPDX-License-Identifier: Apache-2.0 */
/* grace.c: google-authenticator's grace period: the last code login per remote host (LASTn). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "totp.h"

#define GRACE_SLOTS 10 /* LAST0 .. LAST9, as google-authenticator keeps them */

/* A host we can store in a space-separated line: printable, no spaces, not too long. */
static int host_ok(const char *rhost)
{
    size_t len = rhost != NULL ? strlen(rhost) : 0;
    if (len == 0 || len > 255)
        return 0;
    for (const unsigned char *p = (const unsigned char *)rhost; *p != '\0'; p++) {
        if (*p <= ' ' || *p == 0x7f)
            return 0;
    }
    return 1;
}

/* Slot `i`'s host and time; 0 if the slot is empty or not in the "HOST TIME" form. */
static int read_slot(const totp_record *rec, int i, const char **host, size_t *hostlen,
                     int64_t *when)
{
    char key[16];
    snprintf(key, sizeof(key), "LAST%d", i);
    const char *v = totp_record_get(rec, key), *tok;
    size_t len;
    uint64_t t;
    if (v == NULL || (*host = totpi_next_token(v, hostlen)) == NULL)
        return 0;
    tok = totpi_next_token(*host + *hostlen, &len);
    if (tok == NULL || !totpi_parse_uint(tok, len, INT64_MAX, &t))
        return 0;
    *when = (int64_t)t;
    return 1;
}

static int slot_is(const totp_record *rec, int i, const char *rhost, int64_t *when)
{
    const char *host;
    size_t len;
    return read_slot(rec, i, &host, &len, when) && len == strlen(rhost) &&
           memcmp(host, rhost, len) == 0;
}

int totp_grace_applies(const totp_record *rec, const char *rhost, int64_t now, unsigned period)
{
    int64_t when;
    if (rec == NULL || period == 0 || !host_ok(rhost))
        return 0;
    for (int i = 0; i < GRACE_SLOTS; i++) {
        if (slot_is(rec, i, rhost, &when))
            return when <= now && now - when < (int64_t)period;
    }
    return 0;
}

int totpi_grace_note(totp_record *rec, const char *rhost, int64_t now)
{
    if (!host_ok(rhost))
        return TOTP_OK; /* nothing we could key a grace period on */
    int slot = -1, oldest = 0;
    int64_t oldest_when = INT64_MAX, when;
    for (int i = 0; i < GRACE_SLOTS && slot < 0; i++) {
        const char *host;
        size_t len;
        if (slot_is(rec, i, rhost, &when))
            slot = i;
        else if (!read_slot(rec, i, &host, &len, &when))
            slot = i; /* a free slot */
        else if (when < oldest_when)
            oldest = i, oldest_when = when;
    }
    char key[16], value[300];
    snprintf(key, sizeof(key), "LAST%d", slot >= 0 ? slot : oldest);
    snprintf(value, sizeof(value), "%s %" PRId64, rhost, now);
    return totp_record_set(rec, key, value);
}
