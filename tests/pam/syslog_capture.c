/* SPDX-License-Identifier: Apache-2.0 */
/* syslog_capture.c: the PAM tests' syslog: this program's syslog() family (found before libc's,
 * the test programs link with -rdynamic) appends to a buffer the tests read, and to
 * $TOTP_TEST_SYSLOG_FILE, whose every line tests/logs/logfmt_all.sh parses. */
#include "config.h"

#include <errno.h> /* program_invocation_short_name */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "syslog_capture.h"
#include "../tools/syslog_file.h"

char logbuf[1 << 16];
size_t loglen;

void __syslog_chk(int priority, int flag, const char *fmt, ...);
void __vsyslog_chk(int priority, int flag, const char *fmt, va_list ap);

void vsyslog(int priority, const char *fmt, va_list ap)
{
    char message[8000];
    vsnprintf(message, sizeof(message), fmt, ap);
    syslog_file_append(priority, program_invocation_short_name, message);
    int n = snprintf(logbuf + loglen, sizeof(logbuf) - loglen, "<%d> ", priority & LOG_PRIMASK);
    if (n > 0 && (size_t)n < sizeof(logbuf) - loglen)
        loglen += (size_t)n;
    n = snprintf(logbuf + loglen, sizeof(logbuf) - loglen, "%s", message);
    if (n > 0 && (size_t)n < sizeof(logbuf) - loglen - 1) {
        loglen += (size_t)n;
        logbuf[loglen++] = '\n';
        logbuf[loglen] = '\0';
    }
}

void syslog(int priority, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsyslog(priority, fmt, ap);
    va_end(ap);
}

void __syslog_chk(int priority, int flag, const char *fmt, ...)
{
    va_list ap;
    (void)flag;
    va_start(ap, fmt);
    vsyslog(priority, fmt, ap);
    va_end(ap);
}

void __vsyslog_chk(int priority, int flag, const char *fmt, va_list ap)
{
    (void)flag;
    vsyslog(priority, fmt, ap);
}

const char *last_log(void)
{
    static char line[1024];
    size_t end = loglen > 0 ? loglen - 1 : 0, start = end;
    while (start > 0 && logbuf[start - 1] != '\n')
        start--;
    snprintf(line, sizeof(line), "%.*s", (int)(end - start), logbuf + start);
    return line;
}
