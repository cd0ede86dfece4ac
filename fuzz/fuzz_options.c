/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_options.c: module arguments (one per line) and the site file's line parser. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ldap_conn.h"
#include "totp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whatever the user name, the expanded filter has exactly the template's structure: the same
 * parentheses, and no unescaped '*' or '\\' that the name brought in. */
static void check_filter(const char *filter, const char *user)
{
    char *out = NULL;
    totp_error err;
    if (totpi_ldap_filter(filter, user, &out, &err) != TOTP_OK)
        return;
    size_t open_t = 0, open_o = 0, stars_t = 0, stars_o = 0;
    for (const char *p = filter; *p != '\0'; p++) {
        open_t += *p == '(' || *p == ')';
        stars_t += *p == '*';
    }
    for (const char *p = out; *p != '\0'; p++) {
        open_o += *p == '(' || *p == ')';
        stars_o += *p == '*';
    }
    if (open_t != open_o || stars_t != stars_o)
        abort();
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), *copy = malloc(size + 1);
    totp_options opt;
    totp_error err;
    if (text == NULL || copy == NULL) {
        free(text);
        free(copy);
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    memcpy(copy, text, size + 1);

    /* As a site file. */
    totp_options_init(&opt);
    totpi_conf_parse(copy, "fuzz.conf", totpi_options_conf_line, &opt, &err);
    totp_options_clear(&opt);

    /* As module arguments, one per line; the last line is also a user name for ldap_filter. */
    totp_options_init(&opt);
    const char *user = text;
    for (char *line = text, *next; line != NULL; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        totp_options_set(&opt, line, &err);
        user = line;
    }
    if (opt.ldap.filter != NULL)
        check_filter(opt.ldap.filter, user);
    totp_options_clear(&opt);
    free(text);
    free(copy);
    return 0;
}
