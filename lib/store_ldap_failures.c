/* SPDX-License-Identifier: Apache-2.0 */
/* store_ldap_failures.c: the guessing bound's state on the token (oathFailureCount and
 * oathLastFailure of the OATH-LDAP schema) as the record's FAILURES, counted up with a
 * compare-and-swap that racing hosts cannot lose, cleared by a success or a reset, and the guard
 * that keeps a success from committing after a failure was counted since it read. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "store_ldap.h"

#define COUNT_ATTR "oathFailureCount"
#define TIME_ATTR  "oathLastFailure"
#define MAX_RACES  64 /* lost compare-and-swaps before giving up (a host per loss) */

int totpi_ldap_read_failures(struct ldap_txn *t, LDAPMessage *e, totp_record *rec, totp_error *err)
{
    uint64_t count = 0;
    free(t->failures);
    t->failures = totpi_ldap_get_one(t->ld, e, COUNT_ATTR);
    char *when = totpi_ldap_get_one(t->ld, e, TIME_ATTR);
    t->had_last_failure = when != NULL;
    int64_t at = when != NULL ? totpi_ldap_parse_time(when) : -1;
    int rc = TOTP_OK;
    /* The guessing bound is only as good as this state: what cannot be read is an error (as
     * store=ad has it), never "no failures". An administrator deletes the attribute to lift it. */
    if (t->failures != NULL &&
        !totpi_parse_uint(t->failures, strlen(t->failures), UINT32_MAX, &count))
        rc = totpi_fail(err, TOTP_EFORMAT, 0, 0,
                        "%s: %s %.24s is not a count of 0 to 4294967295 (delete it to reset)",
                        t->location, COUNT_ATTR, t->failures);
    else if (when != NULL && at < 0)
        rc = totpi_fail(err, TOTP_EFORMAT, 0, 0,
                        "%s: %s %.40s is not a GeneralizedTime (delete it to reset)", t->location,
                        TIME_ATTR, when);
    else if (count > 0 && when == NULL)
        rc = totpi_fail(err, TOTP_EFORMAT, 0, 0, "%s: %s without %s (delete it to reset)",
                        t->location, COUNT_ATTR, TIME_ATTR);
    free(when);
    if (rc != TOTP_OK || count == 0)
        return rc; /* an error, or no failures since the last success */
    char buf[48];
    snprintf(buf, sizeof(buf), "%" PRIu64 " %" PRId64, count, at);
    rc = totp_record_set(rec, "FAILURES", buf);
    return rc == TOTP_OK ? TOTP_OK
                         : totpi_fail(err, rc, 0, 0, "%s: %s", t->location, totp_strerror(rc));
}

/* The record's FAILURES: count and time; 0 if it has none. */
static uint64_t record_failures(const totp_record *rec, int64_t *at)
{
    const char *v = totp_record_get(rec, "FAILURES");
    size_t len;
    uint64_t count = 0, when = 0;
    const char *tok = v != NULL ? totpi_next_token(v, &len) : NULL;
    *at = 0;
    if (tok == NULL || !totpi_parse_uint(tok, len, UINT32_MAX, &count))
        return 0;
    tok = totpi_next_token(tok + len, &len);
    if (tok != NULL && totpi_parse_uint(tok, len, INT64_MAX, &when))
        *at = (int64_t)when;
    return count;
}

int totpi_ldap_failures_cleared(const struct ldap_txn *t, const totp_record *rec)
{
    return totp_record_get(rec, "FAILURES") == NULL && (t->failures != NULL || t->had_last_failure);
}

/* Read the count on the token again, after a lost race. */
static int reread_count(struct ldap_txn *t, totp_error *err)
{
    char *attrs[] = {COUNT_ATTR, NULL};
    struct timeval tv = {(time_t)t->store->cfg.timeout, 0};
    LDAPMessage *res = NULL;
    int rc = ldap_search_ext_s(t->ld, t->token_dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0,
                               NULL, NULL, &tv, 1, &res);
    LDAPMessage *e = rc == LDAP_SUCCESS ? ldap_first_entry(t->ld, res) : NULL;
    free(t->failures);
    t->failures = e != NULL ? totpi_ldap_get_one(t->ld, e, COUNT_ATTR) : NULL;
    ldap_msgfree(res);
    if (rc == LDAP_SUCCESS && e != NULL)
        return TOTP_OK;
    char what[1100];
    snprintf(what, sizeof(what), "%s: reading %s again", t->location, COUNT_ATTR);
    return totpi_ldap_fail(t->ld, rc == LDAP_SUCCESS ? LDAP_NO_SUCH_OBJECT : rc, TOTP_EIO, what,
                           err);
}

int totpi_ldap_store_failures(struct ldap_txn *t, const totp_record *rec, totp_error *err)
{
    char what[1100];
    int64_t at;
    uint64_t now_count = record_failures(rec, &at), read_count = 0;
    if (t->failures != NULL)
        totpi_parse_uint(t->failures, strlen(t->failures), UINT32_MAX, &read_count);
    if (totpi_ldap_failures_cleared(t, rec)) { /* a reset: both go */
        LDAPMod c = {LDAP_MOD_REPLACE, COUNT_ATTR, {NULL}},
                w = {LDAP_MOD_REPLACE, TIME_ATTR, {NULL}};
        LDAPMod *mods[] = {&c, &w, NULL};
        int lrc = ldap_modify_ext_s(t->ld, t->token_dn, mods, NULL, NULL);
        snprintf(what, sizeof(what), "%s: clearing %s", t->location, COUNT_ATTR);
        return lrc == LDAP_SUCCESS ? TOTP_OK : totpi_ldap_fail(t->ld, lrc, TOTP_EIO, what, err);
    }
    if (now_count <= read_count)
        return TOTP_OK; /* nothing new to count */
    uint64_t delta = now_count - read_count;

    /* Delete the count we read and add ours in one modify: if another host counted meanwhile,
     * the delete (or, with none read, the add to a single value) fails; read again, retry. A
     * failure is never lost; an accept is never retried (that is the watermark's business). */
    char stamp[TOTPI_LDAP_TIME_SIZE];
    if (totpi_ldap_format_time(at > 0 ? at : (int64_t)time(NULL), stamp) != TOTP_OK)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "%s: the failure time is out of range",
                          t->location);
    for (int race = 0; race < MAX_RACES; race++) {
        uint64_t base = 0;
        if (t->failures != NULL &&
            !totpi_parse_uint(t->failures, strlen(t->failures), UINT32_MAX, &base))
            base = 0; /* unusable: replaced (the delete names the value as read) */
        char value[24];
        snprintf(value, sizeof(value), "%" PRIu64,
                 base + delta < UINT32_MAX ? base + delta : (uint64_t)UINT32_MAX);
        char *old_v[] = {t->failures, NULL}, *new_v[] = {value, NULL}, *time_v[] = {stamp, NULL};
        LDAPMod del = {LDAP_MOD_DELETE, COUNT_ATTR, {old_v}};
        LDAPMod add = {LDAP_MOD_ADD, COUNT_ATTR, {new_v}};
        LDAPMod when = {LDAP_MOD_REPLACE, TIME_ATTR, {time_v}};
        LDAPMod *mods[] = {&del, &add, &when, NULL};
        int lrc = ldap_modify_ext_s(t->ld, t->token_dn, t->failures != NULL ? mods : mods + 1, NULL,
                                    NULL);
        if (lrc == LDAP_SUCCESS)
            return TOTP_OK;
        if (lrc != LDAP_NO_SUCH_ATTRIBUTE && lrc != LDAP_TYPE_OR_VALUE_EXISTS &&
            lrc != LDAP_CONSTRAINT_VIOLATION) {
            snprintf(what, sizeof(what), "%s: counting a failure in %s", t->location, COUNT_ATTR);
            return totpi_ldap_fail(t->ld, lrc, TOTP_EIO, what, err);
        }
        int rc = reread_count(t, err);
        if (rc != TOTP_OK)
            return rc;
    }
    return totpi_fail(err, TOTP_EIO, 0, 0, "%s: %s kept changing; the failure was not counted",
                      t->location, COUNT_ATTR);
}

void totpi_ldap_failure_guard(struct ldap_txn *t, int clear, struct totpi_ldap_guard *g,
                              LDAPMod **mods, size_t *n)
{
    memcpy(g->zero, "0", 2);
    g->zero_v[0] = g->zero;
    g->zero_v[1] = NULL;
    g->read_v[0] = t->failures;
    g->read_v[1] = NULL;
    /* Delete exactly the count read, which fails if it changed; then add a count: "0" after a
     * success. With none read, that add is the guard: a count there now makes the single-valued
     * attribute two-valued, which the server refuses (slapd checks single values once all of a
     * modify's changes are made, so an add-and-delete of "0" would not do). */
    g->m[0] = (LDAPMod){LDAP_MOD_DELETE, COUNT_ATTR, {g->read_v}};
    g->m[1] =
        (LDAPMod){LDAP_MOD_ADD, COUNT_ATTR, {clear || t->failures == NULL ? g->zero_v : g->read_v}};
    g->m[2] = (LDAPMod){LDAP_MOD_REPLACE, TIME_ATTR, {NULL}};
    if (t->failures != NULL)
        mods[(*n)++] = &g->m[0];
    mods[(*n)++] = &g->m[1];
    if (clear)
        mods[(*n)++] = &g->m[2];
}

int totpi_ldap_failures_moved(struct ldap_txn *t)
{
    char *was = t->failures != NULL ? strdup(t->failures) : NULL;
    totp_error ignored = {0};
    if (t->failures != NULL && was == NULL)
        return 0;
    int moved =
        reread_count(t, &ignored) == TOTP_OK &&
        ((was == NULL) != (t->failures == NULL) || (was != NULL && strcmp(was, t->failures) != 0));
    free(was);
    return moved;
}
