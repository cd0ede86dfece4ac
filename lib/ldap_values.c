/* SPDX-License-Identifier: Apache-2.0 */
/* ldap_values.c: attribute values both directory stores read and write alike: scratch-code
 * hashes into a record's SCRATCH_HASH, and GeneralizedTime. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "ldap_conn.h"
#include "scratch_hash.h"

int64_t totpi_ldap_parse_time(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    size_t n = strspn(s, "0123456789");
    if (n != 14)
        return -1;
    int f[6];
    const int widths[6] = {4, 2, 2, 2, 2, 2};
    for (int i = 0, at = 0; i < 6; at += widths[i++]) {
        f[i] = 0;
        for (int k = 0; k < widths[i]; k++)
            f[i] = f[i] * 10 + (s[at + k] - '0');
    }
    tm.tm_year = f[0] - 1900;
    tm.tm_mon = f[1] - 1;
    tm.tm_mday = f[2];
    tm.tm_hour = f[3];
    tm.tm_min = f[4];
    tm.tm_sec = f[5];
    const char *p = s + 14;
    if (*p == '.' || *p == ',')
        p += 1 + strspn(p + 1, "0123456789");
    int64_t offset = 0;
    if ((*p == '+' || *p == '-') && strspn(p + 1, "0123456789") == 4 && p[5] == '\0') {
        offset =
            ((p[1] - '0') * 10 + (p[2] - '0')) * 3600 + ((p[3] - '0') * 10 + (p[4] - '0')) * 60;
        offset = *p == '+' ? offset : -offset;
    } else if (!(p[0] == 'Z' && p[1] == '\0')) {
        return -1;
    }
    time_t t = timegm(&tm);
    return t == (time_t)-1 ? -1 : (int64_t)t - offset;
}

int totpi_ldap_format_time(int64_t t, char out[TOTPI_LDAP_TIME_SIZE])
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (t < 0 || gmtime_r(&tt, &tm) == NULL ||
        strftime(out, TOTPI_LDAP_TIME_SIZE, "%Y%m%d%H%M%SZ", &tm) == 0)
        return TOTP_EINVAL;
    return TOTP_OK;
}

int totpi_ldap_scratch_read(LDAP *ld, LDAPMessage *e, const char *attr, const char *where,
                            totp_record *rec, char **read, totp_error *err)
{
    struct berval **v = ldap_get_values_len(ld, e, attr);
    size_t n = 0, size = 1;
    int rc = TOTP_OK;
    *read = NULL;
    for (size_t i = 0; v != NULL && v[i] != NULL; i++, n++) {
        const char *why = totpi_scratch_hash_problem(v[i]->bv_val, v[i]->bv_len);
        if (why != NULL && rc == TOTP_OK)
            rc = totpi_fail(err, TOTP_EFORMAT, 0, 0, "%s: %s: value %zu: %s (delete it)", where,
                            attr, i + 1, why);
        size += v[i]->bv_len + 1;
    }
    if (rc == TOTP_OK && n > TOTP_SCRATCH_COUNT_MAX)
        rc = totpi_fail(err, TOTP_EFORMAT, 0, 0, "%s: %s: more than %d values", where, attr,
                        TOTP_SCRATCH_COUNT_MAX);
    char *joined = rc == TOTP_OK ? malloc(size) : NULL;
    if (rc == TOTP_OK && joined == NULL)
        rc = totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    size_t o = 0;
    for (size_t i = 0; rc == TOTP_OK && i < n; i++) {
        if (o > 0)
            joined[o++] = ' ';
        memcpy(joined + o, v[i]->bv_val, v[i]->bv_len);
        o += v[i]->bv_len;
    }
    if (joined != NULL)
        joined[o] = '\0';
    ldap_value_free_len(v);
    const char *why = rc == TOTP_OK ? totpi_scratch_hash_set_problem(joined) : NULL;
    if (why != NULL)
        rc = totpi_fail(err, TOTP_EFORMAT, 0, 0, "%s: %s: %s (totpctl scratch makes a new set)",
                        where, attr, why);
    /* Present even when empty: the record is a directory's, a new set replaces it. */
    if (rc == TOTP_OK && (rc = totp_record_set(rec, TOTPI_SCRATCH_HASH_KEY, joined)) != TOTP_OK)
        totpi_fail(err, rc, 0, 0, "%s: %s", where, totp_strerror(rc));
    if (rc == TOTP_OK)
        *read = joined;
    else
        free(joined);
    return rc;
}
