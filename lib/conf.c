/* SPDX-License-Identifier: Apache-2.0 */
/* conf.c: reading the site configuration file safely, line by line. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "internal.h"

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

int totpi_read_root_file(const char *path, const char *label, mode_t forbidden, int optional,
                         char **text, size_t *len, mode_t *mode, totp_error *err)
{
    struct stat st;
    *text = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT && optional)
            return TOTP_OK;
        return totpi_fail(err, errno == ENOENT ? TOTP_ENOENT : TOTP_EPERM, errno, 0,
                          "%s%s: cannot open: %s", label, path,
                          errno == ELOOP ? "is a symbolic link" : strerror(errno));
    }
    int rc = TOTP_OK;
    if (fstat(fd, &st) != 0)
        rc = totpi_fail(err, TOTP_EIO, errno, 0, "%s%s: cannot stat: %s", label, path,
                        strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = totpi_fail(err, TOTP_EPERM, 0, 0, "%s%s: not a regular file", label, path);
    else if (st.st_uid != 0 && st.st_uid != geteuid())
        rc = totpi_fail(err, TOTP_EPERM, 0, 0, "%s%s: owned by uid %u, must be owned by root",
                        label, path, (unsigned)st.st_uid);
    else if (st.st_mode & forbidden)
        rc = totpi_fail(err, TOTP_EPERM, 0, 0, "%s%s: mode %04o lets others %s it", label, path,
                        (unsigned)(st.st_mode & 07777), forbidden & 044 ? "read" : "change");
    if (rc == TOTP_OK)
        rc = totpi_read_all(fd, path, text, len, err);
    close(fd);
    if (rc == TOTP_OK && mode != NULL)
        *mode = st.st_mode & 07777;
    return rc;
}

/* The next setting of `text` from *cursor on: its line number, name and value (NULL for a bare
 * name; name "" for a value without a name). 0 at the end. Changes the text in place. */
static int next_setting(char **cursor, unsigned *lineno, char **name, char **value)
{
    for (char *line = *cursor, *next; line != NULL; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        ++*lineno;
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        *value = NULL;
        if (eq != NULL) {
            *eq = '\0';
            *value = trim(eq + 1);
        }
        *name = trim(s);
        *cursor = next;
        return 1;
    }
    *cursor = NULL;
    return 0;
}

int totpi_conf_parse(char *text, const char *path,
                     int (*apply)(void *, const char *, const char *, totp_error *), void *ctx,
                     totp_error *err)
{
    unsigned lineno = 0;
    char *name, *value;
    for (char *cursor = text; next_setting(&cursor, &lineno, &name, &value);) {
        if (*name == '\0')
            return totpi_fail(err, TOTP_EINVAL, 0, lineno, "%s:%u: a value without a name", path,
                              lineno);
        totp_error why = {0};
        if (apply(ctx, name, value, &why) != TOTP_OK)
            return totpi_fail(err, TOTP_EINVAL, why.sys_errno, lineno, "%s:%u: %s", path, lineno,
                              why.message);
    }
    return TOTP_OK;
}

void totpi_conf_parse_each(char *text,
                           int (*apply)(void *, const char *, const char *, totp_error *),
                           void *ctx, totpi_conf_line_fn done, void *done_ctx)
{
    unsigned lineno = 0;
    char *name, *value;
    for (char *cursor = text; next_setting(&cursor, &lineno, &name, &value);) {
        totp_error why = {0};
        if (*name == '\0')
            done(done_ctx, lineno, name, "a value without a name");
        else if (apply(ctx, name, value, &why) != TOTP_OK)
            done(done_ctx, lineno, name, why.message[0] != '\0' ? why.message : "refused");
        else
            done(done_ctx, lineno, name, NULL);
    }
}

int totpi_conf_read(const char *path, int optional,
                    int (*apply)(void *ctx, const char *name, const char *value, totp_error *err),
                    void *ctx, int *was_read, mode_t *mode, totp_error *err)
{
    char *text = NULL;
    size_t len = 0;
    *was_read = 0;
    *mode = 0;
    int rc = totpi_read_root_file(path, "", 022, optional, &text, &len, mode, err);
    if (rc != TOTP_OK || text == NULL)
        return rc;
    if (memchr(text, '\0', len) != NULL)
        rc = totpi_fail(err, TOTP_EINVAL, 0, 0, "%s: contains a NUL byte", path);
    else
        rc = totpi_conf_parse(text, path, apply, ctx, err);
    totp_wipe(text, len); /* settings may be sensitive (a directory password file, say) */
    free(text);
    *was_read = rc == TOTP_OK;
    return rc;
}
