/* SPDX-License-Identifier: Apache-2.0 */
/* secret_path.c: google-authenticator's secret= templates: a leading ~, ${HOME} and ${USER}. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "account.h"
#include "internal.h"

/* Append `s` to buf; 0 if it does not fit. */
static int append(char *buf, size_t size, size_t *len, const char *s, size_t n)
{
    if (*len + n >= size)
        return 0;
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
    return 1;
}

/* Expand GA's secret= shorthands: a leading ~, ${HOME} and ${USER}. */
int totpi_expand_secret_path(const char *tmpl, const struct totpi_account *user, char *out,
                             size_t size, totp_error *err)
{
    size_t len = 0;
    const char *p = tmpl;
    out[0] = '\0';
    if (p[0] == '~' && (p[1] == '/' || p[1] == '\0')) {
        if (!append(out, size, &len, user->home, strlen(user->home)))
            goto too_long;
        p++;
    }
    while (*p != '\0') {
        if (strncmp(p, "${HOME}", 7) == 0) {
            if (!append(out, size, &len, user->home, strlen(user->home)))
                goto too_long;
            p += 7;
        } else if (strncmp(p, "${USER}", 7) == 0) {
            if (!append(out, size, &len, user->name, strlen(user->name)))
                goto too_long;
            p += 7;
        } else if (p[0] == '$' && p[1] == '{') {
            return totpi_fail(err, TOTP_EINVAL, 0, 0,
                              "secret=%s: only ~, ${HOME} and ${USER} can be expanded", tmpl);
        } else if (!append(out, size, &len, p++, 1)) {
            goto too_long;
        }
    }
    return TOTP_OK;
too_long:
    return totpi_fail(err, TOTP_EINVAL, ENAMETOOLONG, 0, "secret=%s: path too long", tmpl);
}
