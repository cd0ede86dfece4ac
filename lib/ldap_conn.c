/* SPDX-License-Identifier: Apache-2.0 */
/* ldap_conn.c: connecting and binding to the directory, filters, values and LDAP errors. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "ldap_conn.h"

/* The bind password: the first line of a file that only root (or we) may read; wipe it. */
static int read_password(const char *path, char **pw, size_t *len, totp_error *err)
{
    int rc = totpi_read_root_file(path, "ldap_bind_pw_file ", 077, 0, pw, len, NULL, err);
    if (rc != TOTP_OK)
        return rc;
    size_t n = *len, l = strcspn(*pw, "\r\n"); /* stops at a NUL too */
    const char *why = l == 0 ? "the first line is empty" : NULL;
    if (l < n && (*pw)[l] == '\0')
        why = "contains a NUL byte";
    if (why == NULL) {
        totp_wipe(*pw + l, n - l);
        *len = l;
        return TOTP_OK;
    }
    totp_wipe(*pw, n);
    free(*pw);
    *pw = NULL;
    return totpi_fail(err, TOTP_EINVAL, 0, 0, "ldap_bind_pw_file %s: %s", path, why);
}

int totpi_ldap_fail(LDAP *ld, int rc, int code, const char *what, totp_error *err)
{
    char *diag = NULL;
    if (ld != NULL && ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag) != LDAP_OPT_SUCCESS)
        diag = NULL;
    switch (rc) {
    case LDAP_SERVER_DOWN:
    case LDAP_CONNECT_ERROR:
    case LDAP_TIMEOUT:
    case LDAP_TIMELIMIT_EXCEEDED:
    case LDAP_UNAVAILABLE:
    case LDAP_BUSY:
    case LDAP_UNWILLING_TO_PERFORM:
        code = TOTP_EIO;
        break;
    case LDAP_INSUFFICIENT_ACCESS:
    case LDAP_INVALID_CREDENTIALS:
    case LDAP_INAPPROPRIATE_AUTH:
    case LDAP_STRONG_AUTH_REQUIRED:
    case LDAP_CONFIDENTIALITY_REQUIRED:
        code = TOTP_EPERM;
        break;
    case LDAP_NO_MEMORY:
        code = TOTP_ENOMEM;
        break;
    default:
        break;
    }
    int has_diag = diag != NULL && diag[0] != '\0';
    totpi_fail(err, code, 0, 0, "%s: %s%s%.160s%s", what, ldap_err2string(rc), has_diag ? " (" : "",
               has_diag ? diag : "", has_diag ? ")" : "");
    ldap_memfree(diag);
    return code;
}

int totpi_ldap_connect(const totp_ldap_store_config *cfg, LDAP **out, totp_error *err)
{
    LDAP *ld = NULL;
    char what[600];
    *out = NULL;
    snprintf(what, sizeof(what), "%.500s", cfg->uri);
    int rc = ldap_initialize(&ld, cfg->uri);
    if (rc != LDAP_SUCCESS)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "ldap_uri %.500s: %s", cfg->uri,
                          ldap_err2string(rc));

    int version = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, zero = 0;
    struct timeval tv = {(time_t)cfg->timeout, 0};
    int ok = ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version) == LDAP_OPT_SUCCESS &&
             ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) == LDAP_OPT_SUCCESS &&
             ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) == LDAP_OPT_SUCCESS &&
             ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) == LDAP_OPT_SUCCESS &&
             ldap_set_option(ld, LDAP_OPT_RESTART, LDAP_OPT_ON) == LDAP_OPT_SUCCESS &&
             ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) == LDAP_OPT_SUCCESS &&
             (cfg->ca_file == NULL ||
              ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, cfg->ca_file) == LDAP_OPT_SUCCESS);
    if (ok && (cfg->ca_file != NULL || cfg->starttls || strncmp(cfg->uri, "ldaps:", 6) == 0))
        ok = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero) == LDAP_OPT_SUCCESS;
    if (!ok) {
        ldap_unbind_ext_s(ld, NULL, NULL);
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "%s: cannot set the connection options (TLS)",
                          what);
    }

    if (cfg->starttls) {
        rc = ldap_start_tls_s(ld, NULL, NULL);
        if (rc != LDAP_SUCCESS) {
            snprintf(what, sizeof(what), "%.500s: StartTLS", cfg->uri);
            rc = totpi_ldap_fail(ld, rc, TOTP_EIO, what, err);
            ldap_unbind_ext_s(ld, NULL, NULL);
            return rc;
        }
    }
    if (cfg->bind_dn != NULL) {
        char *pw = NULL;
        size_t len = 0;
        rc = read_password(cfg->bind_pw_file, &pw, &len, err);
        if (rc != TOTP_OK) {
            ldap_unbind_ext_s(ld, NULL, NULL);
            return rc;
        }
        struct berval cred = {len, pw};
        rc = ldap_sasl_bind_s(ld, cfg->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
        totp_wipe_string(pw);
        if (rc != LDAP_SUCCESS) {
            snprintf(what, sizeof(what), "%.300s: bind as %.200s", cfg->uri, cfg->bind_dn);
            rc = totpi_ldap_fail(ld, rc, TOTP_EIO, what, err);
            ldap_unbind_ext_s(ld, NULL, NULL);
            return rc;
        }
    }
    *out = ld;
    return TOTP_OK;
}

void totpi_ldap_close(LDAP *ld)
{
    if (ld != NULL)
        ldap_unbind_ext_s(ld, NULL, NULL);
}

void totpi_sigpipe_block(struct totpi_sigpipe *s)
{
    sigset_t pipe, pending;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    sigemptyset(&pending);
    sigpending(&pending);
    s->was_pending = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe, &s->saved);
}

void totpi_sigpipe_restore(struct totpi_sigpipe *s)
{
    sigset_t pipe, pending;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    sigemptyset(&pending);
    if (!s->was_pending && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
        const struct timespec now = {0, 0};
        while (sigtimedwait(&pipe, NULL, &now) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &s->saved, NULL);
}

int totpi_ldap_filter_ok(const char *f)
{
    size_t len = f != NULL ? strlen(f) : 0;
    int depth = 0, has_user = 0;
    if (len < 5 || len > 512 || f[0] != '(' || f[len - 1] != ')')
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (f[i] == '(')
            depth++;
        else if (f[i] == ')' && --depth < 0)
            return 0;
        else if (f[i] == '%') {
            if (f[i + 1] == 'u')
                has_user = 1;
            else if (f[i + 1] != '%')
                return 0;
            i++;
        } else if ((unsigned char)f[i] < 0x20) {
            return 0;
        }
        if (depth == 0 && i + 1 < len)
            return 0; /* one filter, not two side by side */
    }
    return depth == 0 && has_user;
}

int totpi_ldap_filter(const char *filter, const char *user, char **out, totp_error *err)
{
    size_t ulen = user != NULL ? strlen(user) : 1, need = strlen(filter) + 1;
    for (const char *p = strstr(filter, "%u"); p != NULL; p = strstr(p + 2, "%u"))
        need += 3 * ulen;
    char *o = malloc(need), *w = o;
    *out = o;
    if (o == NULL)
        return totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    for (const char *p = filter; *p != '\0'; p++) {
        if (p[0] == '%' && p[1] == '%') {
            *w++ = '%';
            p++;
        } else if (p[0] == '%' && p[1] == 'u') {
            p++;
            if (user == NULL) {
                *w++ = '*';
                continue;
            }
            for (const unsigned char *u = (const unsigned char *)user; *u != '\0'; u++) {
                /* RFC 4515 names * ( ) \ NUL; controls and non-ASCII bytes are escaped too. */
                if (*u == '*' || *u == '(' || *u == ')' || *u == '\\' || *u < 0x20 || *u >= 0x7f)
                    w += sprintf(w, "\\%02x", *u);
                else
                    *w++ = (char)*u;
            }
        } else {
            *w++ = *p;
        }
    }
    *w = '\0';
    return TOTP_OK;
}

char *totpi_ldap_filter_attr(const char *filter)
{
    const char *at = filter != NULL ? strstr(filter, "=%u") : NULL;
    if (at == NULL)
        return NULL;
    const char *start = at;
    while (start > filter && (start[-1] == '-' || start[-1] == '.' || start[-1] == ';' ||
                              (start[-1] >= '0' && start[-1] <= '9') ||
                              ((start[-1] | 0x20) >= 'a' && (start[-1] | 0x20) <= 'z')))
        start--;
    if (start == at || start == filter || start[-1] != '(')
        return NULL;
    return strndup(start, (size_t)(at - start));
}

char *totpi_ldap_get_one(LDAP *ld, LDAPMessage *e, const char *attr)
{
    struct berval **vals = ldap_get_values_len(ld, e, attr);
    char *s = vals != NULL && vals[0] != NULL ? strndup(vals[0]->bv_val, vals[0]->bv_len) : NULL;
    ldap_value_free_len(vals);
    return s;
}
