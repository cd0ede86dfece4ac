/* SPDX-License-Identifier: Apache-2.0 */
/* ldap_conn.h: connecting to the directory for the LDAP store, and the small LDAP helpers it
 * needs (filters, single values, error messages). */
#ifndef TOTP_LDAP_CONN_H
#define TOTP_LDAP_CONN_H

#include <ldap.h>
#include <signal.h>

#include "totp.h"

/* Whether config->uri is usable: each URI ldap://, ldaps:// or ldapi:// (any letter case);
 * ldap:// only with StartTLS (or insecure_cleartext); ldap_ca_file only when some URI uses TLS.
 * TOTP_EINVAL with a one-line reason otherwise. */
int totpi_ldap_check_config(const totp_ldap_store_config *config, totp_error *err);

/* The next URI of the list at *p, separated by spaces, tabs or commas, as the connection
 * tries them (malloc'ed; NULL at the end or without memory, *p moved past it). Everything that
 * checks the URIs walks them with this, so a check sees exactly what is connected to. */
char *totpi_ldap_next_uri(const char **p);

/* The bind password: the first line of `path`, a file that only root (or we) may read
 * (malloc'ed, `*len` bytes; wipe it). */
int totpi_ldap_read_password(const char *path, char **pw, size_t *len, totp_error *err);

/* Connect to the URIs of config->uri in turn, each within config->timeout (seconds, > 0), until
 * one answers: TLS always verified (a context of the connection's own; ldap.conf's TLS_REQCERT
 * does not apply), StartTLS on ldap:// if asked, bind (simple with the password file, which a
 * bind DN needs, else anonymously). On failure `err` names the URI(s) and the reason. */
int totpi_ldap_connect(const totp_ldap_store_config *config, LDAP **ld, totp_error *err);

/* Close a connection; NULL is allowed. */
void totpi_ldap_close(LDAP *ld);

/*
 * libldap writes to sockets (and TLS close alerts) that the server may have reset, which raises
 * SIGPIPE, and a PAM application may not ignore it. Around LDAP work, SIGPIPE is blocked for the
 * calling thread only; a SIGPIPE that arrived meanwhile is consumed, and the mask restored.
 */
struct totpi_sigpipe {
    sigset_t saved;
    int was_pending;
};
void totpi_sigpipe_block(struct totpi_sigpipe *s);
void totpi_sigpipe_restore(struct totpi_sigpipe *s);

/* `filter` with each %u replaced by `user` escaped as RFC 4515 says, and %% by %; malloc'ed.
 * A NULL `user` puts "*" in place of %u (for listing). */
int totpi_ldap_filter(const char *filter, const char *user, char **out, totp_error *err);

/* The attribute that %u is compared with in `filter` ("uid" for "(uid=%u)"), malloc'ed; NULL
 * if the filter does not have one. */
char *totpi_ldap_filter_attr(const char *filter);

/* Fail with a message naming `what` and the server's reason for `rc`. Connection losses and
 * timeouts are TOTP_EIO, missing rights TOTP_EPERM, anything else `code`. */
int totpi_ldap_fail(LDAP *ld, int rc, int code, const char *what, totp_error *err);

/* The (first) value of `attr` in `e` as a NUL-terminated string (malloc'ed), or NULL if the
 * attribute is absent. */
char *totpi_ldap_get_one(LDAP *ld, LDAPMessage *e, const char *attr);

/* Whether DNs `a` and `b` name the same entry: parsed (so spacing and escapes do not matter),
 * attribute types and values compared ignoring case. 1 equal, 0 not, -1 if either cannot be
 * parsed (callers take that as "maybe the same"). */
int totpi_ldap_dn_equal(const char *a, const char *b);

/* The users a directory store holds: the values of the attribute ldap_filter compares the name
 * with, in the entries under config->base that match ldap_filter and `classes` (one filter,
 * such as "(objectClass=x)"), sorted, NULL-terminated (free with totp_store_list_free). With
 * `refs_are_errors`, a referral or continuation reference (part of the list elsewhere) is an
 * error. `where` names the server in errors. (ldap_list.c) */
int totpi_ldap_list_users(const totp_ldap_store_config *config, const char *where,
                          const char *classes, int refs_are_errors, char ***users, totp_error *err);

/* ---- Values both directory stores keep (ldap_values.c) ---- */

/* A GeneralizedTime ("YYYYMMDDHHMMSS[.fraction](Z|+HHMM|-HHMM)") as UNIX time; -1 if not one. */
int64_t totpi_ldap_parse_time(const char *s);

/* UNIX time `t` (>= 0) as a GeneralizedTime "YYYYMMDDHHMMSSZ". */
#define TOTPI_LDAP_TIME_SIZE 32
int totpi_ldap_format_time(int64_t t, char out[TOTPI_LDAP_TIME_SIZE]);

/* The scratch-code hashes in `attr` of entry `e` into the record's SCRATCH_HASH (set even when
 * there are none), and as read into `*read` (malloc'ed, values separated by spaces) for the
 * commit's compare-and-swap. A value that is not a hash is an error naming `where`. */
int totpi_ldap_scratch_read(LDAP *ld, LDAPMessage *e, const char *attr, const char *where,
                            totp_record *rec, char **read, totp_error *err);

#endif /* TOTP_LDAP_CONN_H */
