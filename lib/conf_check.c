/* SPDX-License-Identifier: Apache-2.0 */
/* conf_check.c: the site file and secret files judged as the module would, for totpctl check. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ldap_conn.h"
#include "seal.h"

struct line_report {
    totp_conf_line_fn fn;
    void *ctx;
};

static void report_line(void *ctx, unsigned line, const char *name, const char *problem)
{
    const struct line_report *r = ctx;
    if (r->fn != NULL)
        r->fn(r->ctx, line, name, problem);
}

int totp_conf_check(const char *path, totp_options *opt, totp_conf_line_fn fn, void *ctx,
                    totp_error *err)
{
    char *text = NULL;
    size_t len = 0;
    mode_t mode = 0;
    if (path == NULL || opt == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "invalid argument");
    /* The same reader and rules as totpi_conf_read(): what the module would refuse, this does. */
    int rc = totpi_read_root_file(path, "", 022, 0, &text, &len, &mode, err);
    if (rc != TOTP_OK)
        return rc;
    if (memchr(text, '\0', len) != NULL) {
        rc = totpi_fail(err, TOTP_EINVAL, 0, 0, "%s: contains a NUL byte", path);
    } else {
        struct line_report r = {fn, ctx};
        totpi_conf_parse_each(text, totpi_options_conf_line, opt, report_line, &r);
        rc = totpi_options_conf_mode(opt, path, mode, err);
    }
    totp_wipe(text, len);
    free(text);
    return rc;
}

int totp_secret_file_check(const char *option, const char *path, totp_error *err)
{
    if (option == NULL || path == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "invalid argument");
    if (strcmp(option, "ad_key_file") == 0) {
        struct totpi_seal_keys keys;
        int rc = totpi_seal_keys_read(path, option, &keys, err);
        totpi_seal_keys_wipe(&keys);
        return rc;
    }
    char *pw = NULL;
    size_t len = 0;
    int rc = totpi_ldap_read_password(path, &pw, &len, err);
    if (pw != NULL)
        totp_wipe_string(pw);
    return rc;
}
