/* SPDX-License-Identifier: Apache-2.0 */
/* ldap_conn.c: connecting and binding to the directory, filters, values and LDAP errors. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "ldap_conn.h"

int totpi_ldap_read_password(const char *path, char **pw, size_t *len, totp_error *err)
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
    /* The server's words, one line: Samba's span two, and totpctl says one line per error. */
    char shown[161] = "";
    int has_diag = diag != NULL && totpi_one_line(diag, shown, sizeof(shown)) > 0;
    totpi_fail(err, code, 0, 0, "%s: %s%s%s%s", what, ldap_err2string(rc), has_diag ? " (" : "",
               shown, has_diag ? ")" : "");
    ldap_memfree(diag);
    return code;
}

/* The scheme of one URI of ldap_uri. */
enum uri_kind { URI_BAD, URI_LDAP, URI_LDAPS, URI_LDAPI };

static enum uri_kind uri_kind(const char *uri)
{
    if (totpi_has_prefix_ci(uri, "ldap://"))
        return URI_LDAP;
    if (totpi_has_prefix_ci(uri, "ldaps://"))
        return URI_LDAPS;
    if (totpi_has_prefix_ci(uri, "ldapi://"))
        return URI_LDAPI;
    return URI_BAD;
}

#define URI_SEPARATORS " \t,"

char *totpi_ldap_next_uri(const char **p)
{
    *p += strspn(*p, URI_SEPARATORS);
    size_t n = strcspn(*p, URI_SEPARATORS);
    if (n == 0)
        return NULL;
    char *u = strndup(*p, n);
    *p += n;
    return u;
}

int totpi_ldap_check_config(const totp_ldap_store_config *cfg, totp_error *err)
{
    int count = 0, tls = 0, rc = TOTP_OK;
    const char *p = cfg->uri != NULL ? cfg->uri : "";
    char *u;
    while (rc == TOTP_OK && (u = totpi_ldap_next_uri(&p)) != NULL) {
        enum uri_kind kind = uri_kind(u);
        count++;
        if (kind == URI_BAD)
            rc = totpi_fail(err, TOTP_EINVAL, 0, 0,
                            "ldap_uri %.300s: not an ldap://, ldaps:// or ldapi:// URI", u);
        else if (kind == URI_LDAP && !cfg->starttls && !cfg->insecure_cleartext)
            rc = totpi_fail(err, TOTP_EINVAL, 0, 0,
                            "ldap_uri %.300s: clear text (the bind password and every secret "
                            "would cross the network readable); use ldaps://, ldap_starttls or "
                            "ldapi://",
                            u);
        tls |= kind == URI_LDAPS || (kind == URI_LDAP && cfg->starttls);
        free(u);
    }
    if (rc == TOTP_OK && count == 0)
        rc = totpi_fail(err, TOTP_EINVAL, 0, 0, "store=ldap needs ldap_uri");
    if (rc == TOTP_OK && cfg->ca_file != NULL && !tls)
        rc = totpi_fail(err, TOTP_EINVAL, 0, 0,
                        "ldap_ca_file %.300s: no URI uses TLS (ldaps://, or ldap:// with "
                        "ldap_starttls), so the certificate would never be checked",
                        cfg->ca_file);
    return rc;
}

/*
 * A server that accepts a connection and never answers must cost at most ldap_timeout, but
 * libldap (2.5, GnuTLS) leaves the socket non-blocking after a connect with a timeout and then
 * retries the TLS handshake of an ldaps:// connection in a loop that never ends, spinning. So
 * every connection gets one more layer under TLS: before reading, wait for bytes, and none is an
 * error (ETIMEDOUT), which ends the handshake, and libldap reports a connect error. Until the
 * bind has answered, the wait ends at one absolute deadline for the whole attempt (connect, TLS
 * handshake, StartTLS, bind), so a server that drips a byte now and then cannot hold a login
 * beyond ldap_timeout before the next URI is tried; after it, each read waits at most the
 * timeout (libldap reads only what its own wait said was there).
 */
struct deadline {
    int ms;              /* the longest wait for one read */
    struct timespec end; /* the end of the connection attempt (CLOCK_MONOTONIC) */
    int armed;           /* until the bind has answered */
};

#define DEADLINE_DISARM 0x7d01 /* a private sockbuf control: the attempt is over */

/* The end of the attempt under way on this thread: connect_one sets it before libldap
 * connects, which it does inside the first operation, on this thread. */
static _Thread_local struct timespec attempt_end;

static struct timespec after_ms(int64_t ms)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += (time_t)(ms / 1000);
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

static int64_t ms_until(const struct timespec *end)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)(end->tv_sec - now.tv_sec) * 1000 + (end->tv_nsec - now.tv_nsec) / 1000000;
}

static int deadline_setup(Sockbuf_IO_Desc *d, void *arg)
{
    d->sbiod_pvt = arg;
    return 0;
}

static int deadline_remove(Sockbuf_IO_Desc *d)
{
    free(d->sbiod_pvt);
    d->sbiod_pvt = NULL;
    return 0;
}

static int deadline_ctrl(Sockbuf_IO_Desc *d, int opt, void *arg)
{
    struct deadline *dl = d->sbiod_pvt;
    if (opt != DEADLINE_DISARM)
        return LBER_SBIOD_CTRL_NEXT(d, opt, arg);
    dl->armed = 0;
    return 1;
}

/* How long the next read or write may wait: 0 once the attempt's deadline has passed. */
static int wait_ms(const struct deadline *dl)
{
    int64_t left = dl->armed ? ms_until(&dl->end) : dl->ms;
    return left <= 0 ? 0 : left < dl->ms ? (int)left : dl->ms;
}

static ber_slen_t deadline_read(Sockbuf_IO_Desc *d, void *buf, ber_len_t len)
{
    ber_socket_t fd = -1;
    int ms = wait_ms(d->sbiod_pvt);
    if (ms == 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    if (LBER_SBIOD_CTRL_NEXT(d, LBER_SB_OPT_DATA_READY, NULL) <= 0 &&
        ber_sockbuf_ctrl(d->sbiod_sb, LBER_SB_OPT_GET_FD, &fd) == 1 && fd >= 0) {
        struct pollfd p = {fd, POLLIN, 0};
        int n;
        while ((n = poll(&p, 1, ms)) < 0 && errno == EINTR)
            ;
        if (n == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
    }
    return LBER_SBIOD_READ_NEXT(d, buf, len);
}

static ber_slen_t deadline_write(Sockbuf_IO_Desc *d, void *buf, ber_len_t len)
{
    if (wait_ms(d->sbiod_pvt) == 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    return LBER_SBIOD_WRITE_NEXT(d, buf, len);
}

static int deadline_close(Sockbuf_IO_Desc *d)
{
    (void)d;
    return 0;
}

static Sockbuf_IO deadline_io = {deadline_setup, deadline_remove, deadline_ctrl,
                                 deadline_read,  deadline_write,  deadline_close};

/* Called by libldap once a connection is made, before TLS: the layer, at the level TLS will
 * take above it, with the attempt's deadline. */
static int deadline_add(LDAP *ld, Sockbuf *sb, LDAPURLDesc *srv, struct sockaddr *addr,
                        struct ldap_conncb *ctx)
{
    (void)srv;
    (void)addr;
    (void)ctx;
    struct timeval *tv = NULL;
    struct deadline *dl = calloc(1, sizeof(*dl));
    if (dl == NULL)
        return -1;
    dl->ms = 5000;
    if (ldap_get_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) == LDAP_OPT_SUCCESS && tv != NULL)
        dl->ms = (int)(tv->tv_sec * 1000 + tv->tv_usec / 1000);
    ldap_memfree(tv);
    if (dl->ms <= 0)
        dl->ms = 5000;
    dl->armed = 1;
    dl->end = attempt_end.tv_sec != 0 ? attempt_end : after_ms(dl->ms);
    if (ber_sockbuf_add_io(sb, &deadline_io, LBER_SBIOD_LEVEL_TRANSPORT, dl) != 0) {
        free(dl);
        return -1;
    }
    return 0;
}

static void deadline_del(LDAP *ld, Sockbuf *sb, struct ldap_conncb *ctx)
{
    (void)ld;
    (void)sb;
    (void)ctx;
}

static struct ldap_conncb deadline_cb = {deadline_add, deadline_del, NULL};

/* One server: TLS with the certificate checked (a context of its own, so nothing from ldap.conf
 * such as TLS_REQCERT never applies), StartTLS on ldap:// when asked, and a bind (anonymous
 * without a bind DN), so that a server is used only once it has answered. */
static int connect_one(const totp_ldap_store_config *cfg, const char *uri, struct berval *cred,
                       LDAP **out, totp_error *err)
{
    LDAP *ld = NULL;
    char what[600];
    enum uri_kind kind = uri_kind(uri);
    *out = NULL;
    int rc = ldap_initialize(&ld, uri);
    if (rc != LDAP_SUCCESS)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "ldap_uri %.500s: %s", uri, ldap_err2string(rc));

    int version = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, zero = 0;
    struct timeval tv = {(time_t)cfg->timeout, 0};
    int ok = ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version) == LDAP_OPT_SUCCESS &&
             ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) == LDAP_OPT_SUCCESS &&
             ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) == LDAP_OPT_SUCCESS &&
             ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) == LDAP_OPT_SUCCESS &&
             ldap_set_option(ld, LDAP_OPT_RESTART, LDAP_OPT_ON) == LDAP_OPT_SUCCESS &&
             ldap_set_option(ld, LDAP_OPT_CONNECT_CB, &deadline_cb) == LDAP_OPT_SUCCESS;
    if (ok && kind != URI_LDAPI)
        ok = ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) == LDAP_OPT_SUCCESS &&
             (cfg->ca_file == NULL ||
              ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, cfg->ca_file) == LDAP_OPT_SUCCESS) &&
             ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero) == LDAP_OPT_SUCCESS;
    if (!ok) {
        ldap_unbind_ext_s(ld, NULL, NULL);
        return totpi_fail(err, TOTP_EIO, 0, 0, "%.500s: cannot set the connection options (TLS)",
                          uri);
    }
    /* The attempt's deadline starts now: libldap connects inside the first operation. */
    attempt_end = after_ms((int64_t)cfg->timeout * 1000);
    if (kind == URI_LDAP && cfg->starttls) {
        rc = ldap_start_tls_s(ld, NULL, NULL);
        if (rc != LDAP_SUCCESS) {
            snprintf(what, sizeof(what), "%.500s: StartTLS", uri);
            rc = totpi_ldap_fail(ld, rc, TOTP_EIO, what, err);
            ldap_unbind_ext_s(ld, NULL, NULL);
            return rc;
        }
    }
    struct berval anonymous = {0, NULL};
    rc = ldap_sasl_bind_s(ld, cfg->bind_dn, LDAP_SASL_SIMPLE,
                          cfg->bind_dn != NULL ? cred : &anonymous, NULL, NULL, NULL);
    if (rc != LDAP_SUCCESS) {
        snprintf(what, sizeof(what), "%.300s: bind as %.200s", uri,
                 cfg->bind_dn != NULL ? cfg->bind_dn : "anonymous");
        rc = totpi_ldap_fail(ld, rc, TOTP_EIO, what, err);
        ldap_unbind_ext_s(ld, NULL, NULL);
        return rc;
    }
    /* Connected: from now on each read waits at most the timeout (a login holds the connection
     * while the user types the code). */
    Sockbuf *sb = NULL;
    if (ldap_get_option(ld, LDAP_OPT_SOCKBUF, &sb) != LDAP_OPT_SUCCESS || sb == NULL ||
        ber_sockbuf_ctrl(sb, DEADLINE_DISARM, NULL) != 1) {
        ldap_unbind_ext_s(ld, NULL, NULL);
        return totpi_fail(err, TOTP_EIO, 0, 0, "%.500s: cannot end the connection deadline", uri);
    }
    *out = ld;
    return TOTP_OK;
}

int totpi_ldap_connect(const totp_ldap_store_config *cfg, LDAP **out, totp_error *err)
{
    char *pw = NULL, *uri;
    size_t len = 0;
    *out = NULL;
    int rc = totpi_ldap_check_config(cfg, err);
    if (rc == TOTP_OK && cfg->bind_dn != NULL)
        rc = totpi_ldap_read_password(cfg->bind_pw_file, &pw, &len, err);
    if (rc != TOTP_OK)
        return rc;
    /* Each URI in turn, each within the timeout: libldap's own list goes on to the next server
     * only when a connection is refused, not when one accepts and never answers. */
    struct berval cred = {len, pw};
    int tried = 0;
    totp_error first;
    memset(&first, 0, sizeof(first));
    for (const char *p = cfg->uri; (uri = totpi_ldap_next_uri(&p)) != NULL; tried++) {
        rc = connect_one(cfg, uri, &cred, out, err);
        free(uri);
        if (rc == TOTP_OK || rc == TOTP_ENOMEM)
            break;
        if (tried == 0 && err != NULL)
            first = *err;
    }
    if (pw != NULL)
        totp_wipe_string(pw);
    if (rc != TOTP_OK && rc != TOTP_ENOMEM && tried > 1 && err != NULL) {
        char last[sizeof(err->message)];
        snprintf(last, sizeof(last), "%s", err->message);
        totpi_fail(err, rc, 0, 0, "none of the %d servers of ldap_uri answered: %.180s; ... %.180s",
                   tried, first.message, last);
    }
    return rc;
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
            if (f[i + 1] == 'u' || f[i + 1] == 's')
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

/* The account name without its domain: what follows a "DOMAIN\\" (winbind) and what precedes an
 * "@realm" (SSSD's fully qualified names, user principal names); the whole name if that leaves
 * nothing. */
static void short_name(const char *user, const char **start, size_t *len)
{
    const char *s = strrchr(user, '\\'), *at;
    s = s != NULL && s[1] != '\0' ? s + 1 : user;
    at = strchr(s, '@');
    *start = s;
    *len = at != NULL && at > s ? (size_t)(at - s) : strlen(s);
}

int totpi_ldap_filter(const char *filter, const char *user, char **out, totp_error *err)
{
    size_t ulen = user != NULL ? strlen(user) : 1, need = strlen(filter) + 1;
    for (const char *p = strchr(filter, '%'); p != NULL; p = strchr(p + 2, '%')) {
        if (p[1] == '\0')
            break;
        need += 3 * ulen;
    }
    char *o = malloc(need), *w = o;
    *out = o;
    if (o == NULL)
        return totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    for (const char *p = filter; *p != '\0'; p++) {
        if (p[0] == '%' && p[1] == '%') {
            *w++ = '%';
            p++;
        } else if (p[0] == '%' && (p[1] == 'u' || p[1] == 's')) {
            int whole = *++p == 'u';
            if (user == NULL) {
                *w++ = '*';
                continue;
            }
            const char *name = user;
            size_t len = strlen(user);
            if (!whole)
                short_name(user, &name, &len);
            for (const unsigned char *u = (const unsigned char *)name; len-- > 0; u++) {
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
    if (at == NULL && filter != NULL)
        at = strstr(filter, "=%s");
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

/* Two attribute values alike as the naming attributes in use compare them: ignoring case. */
static int value_equal(const struct berval *a, const struct berval *b)
{
    if (a->bv_len != b->bv_len)
        return 0;
    for (ber_len_t i = 0; i < a->bv_len; i++) {
        unsigned char x = (unsigned char)a->bv_val[i], y = (unsigned char)b->bv_val[i];
        if (x != y && (x | 0x20) != (y | 0x20))
            return 0;
        if (x != y && ((x | 0x20) < 'a' || (x | 0x20) > 'z'))
            return 0;
    }
    return 1;
}

int totpi_ldap_dn_equal(const char *a, const char *b)
{
    LDAPDN da = NULL, db = NULL;
    if (a == NULL || b == NULL)
        return -1;
    int equal = -1;
    if (ldap_str2dn(a, &da, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS &&
        ldap_str2dn(b, &db, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS) {
        equal = 1;
        size_t i = 0;
        for (; equal && da != NULL && db != NULL && da[i] != NULL && db[i] != NULL; i++) {
            size_t j = 0;
            for (; equal && da[i][j] != NULL && db[i][j] != NULL; j++) {
                const LDAPAVA *x = da[i][j], *y = db[i][j];
                equal = x->la_attr.bv_len == y->la_attr.bv_len &&
                        strncasecmp(x->la_attr.bv_val, y->la_attr.bv_val, x->la_attr.bv_len) == 0 &&
                        value_equal(&x->la_value, &y->la_value);
            }
            equal = equal && da[i][j] == NULL && db[i][j] == NULL;
        }
        equal = equal && (da == NULL || da[i] == NULL) && (db == NULL || db[i] == NULL);
    }
    ldap_dnfree(da);
    ldap_dnfree(db);
    return equal;
}
