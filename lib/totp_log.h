/* SPDX-License-Identifier: Apache-2.0 */
/* totp_log.h: libtotp's public API for log lines: strict logfmt fields, the characters text must
 * never show raw, and the audit line of a change to a record.
 * Included by totp.h; not meant to be included on its own. */
#ifndef TOTP_LOG_H
#define TOTP_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Log lines --------------------------------------------------------------------------- */

/* The most bytes one value takes in a line (quotes and escapes included); longer ones are cut,
 * ending in "...". */
#define TOTP_LOGFMT_VALUE_MAX 600

/*
 * Append `key=value` (with a space before it unless `*len` is 0) to the NUL-terminated line in
 * `buf` at `*len`, in strict logfmt: the value bare when it is printable ASCII without space,
 * '=', '"' or '\\'; otherwise in double quotes, with '"', '\\', control and invisible
 * characters (totp_char_is_hidden) escaped as JSON escapes them and bytes that are not UTF-8 as
 * \ufffd. NULL or "" is "-". TOTP_EBUFFER if the value had to be cut (the line still parses).
 */
int totp_logfmt_add(char *buf, size_t size, size_t *len, const char *key, const char *value);

/* 1 if the Unicode code point `cp` must never be shown raw (to a terminal or in a log): control
 * characters, format characters (bidi overrides, zero widths, soft hyphen, ...), separators
 * other than the ASCII space, fillers that look like nothing (U+115F, U+3164, ...), variation
 * selectors, surrogates and private use; else 0. */
int totp_char_is_hidden(uint32_t cp);

/* One change to a record, for the audit line (authpriv, as useradd and passwd log theirs).
 * Absent fields are logged as "-"; never put a secret, code or scratch code in any. */
typedef struct totp_audit {
    const char *action;    /* enroll, replace, verify, remove, ...: totpctl(1), AUDIT */
    const char *result;    /* ok, failed, refused */
    const char *user;      /* whose record */
    const char *store;     /* file, ldap, ad */
    const char *record;    /* where it is */
    const char *how;       /* login (the module), user (their own), admin (root for another) */
    const char *actor;     /* who acted: the account name of the real uid */
    long long actor_uid;   /* its uid, -1 if unknown */
    const char *sudo_user; /* SUDO_USER when run through sudo */
    const char *service;   /* the PAM service (the module) */
    const char *rhost;     /* the remote host (the module) */
    const char *reason;    /* why it failed, or what else to know */
} totp_audit;

/* The audit line: action= result= user= store= record= how= actor= actor_uid= sudo_user=
 * service= rhost= reason=, in that order, each by totp_logfmt_add(). */
int totp_audit_format(const totp_audit *audit, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* TOTP_LOG_H */
