/* SPDX-License-Identifier: Apache-2.0 */
/* syslog_file.c: the tests' syslog lines, appended to $TOTP_TEST_SYSLOG_FILE (one write each,
 * O_APPEND: lines of processes logging at once do not mix). */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "syslog_file.h"

void syslog_file_append(int priority, const char *ident, const char *message)
{
    const char *path = getenv("TOTP_TEST_SYSLOG_FILE");
    char line[8192];
    if (path == NULL || path[0] == '\0')
        return;
    int n = snprintf(line, sizeof(line), "<%d>%s: %s\n", priority, ident, message);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line)) { /* cut, but still one line: the parser then says so */
        n = (int)sizeof(line) - 1;
        line[n - 1] = '\n';
    }
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return;
    ssize_t w = write(fd, line, (size_t)n);
    (void)w;
    close(fd);
}
