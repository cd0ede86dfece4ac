/* SPDX-License-Identifier: Apache-2.0 */
/* path_arg.c: a relative path given to totpctl, made absolute against the current directory. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cli_absolute_path(const char *what, const char **path, int resolve_dirs, char *buf, size_t size)
{
    const char *p = *path;
    /* absolute already, or a template (~, ${HOME}) left for the caller to refuse */
    if (p == NULL || p[0] == '/' || p[0] == '~' || p[0] == '$' || p[0] == '\0')
        return EXIT_OK;
    char dir[PATH_MAX];
    const char *slash = strrchr(p, '/');
    const char *base = slash != NULL ? slash + 1 : p;
    int whole = base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0;
    int n;
    if (!resolve_dirs) {
        /* The directories stay as given (the file store's walk then refuses links and ".."
         * as it does in an absolute path); the current directory is already physical. */
        if (getcwd(dir, sizeof(dir)) == NULL)
            return cli_fail(EXIT_ERROR, "%s %s: cannot find the current directory: %s", what, p,
                            strerror(errno));
        n = snprintf(buf, size, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, p);
    } else if (whole) { /* a directory: all of it */
        if (realpath(p, dir) == NULL)
            return cli_fail(EXIT_ERROR, "%s %s: %s", what, p, strerror(errno));
        n = snprintf(buf, size, "%s", dir);
    } else { /* the directory part resolved, the last component not followed */
        char head[PATH_MAX];
        snprintf(head, sizeof(head), "%.*s", slash != NULL ? (int)(slash - p) + 1 : 1,
                 slash != NULL ? p : ".");
        if (realpath(head, dir) == NULL)
            return cli_fail(EXIT_ERROR, "%s %s: %s: %s", what, p, head, strerror(errno));
        n = snprintf(buf, size, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, base);
    }
    if (n < 0 || (size_t)n >= size)
        return cli_fail(EXIT_USAGE, "%s %s: the path is too long", what, p);
    *path = buf;
    return EXIT_OK;
}
