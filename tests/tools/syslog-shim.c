/* SPDX-License-Identifier: Apache-2.0 */
/* syslog-shim.c: LD_PRELOAD'ed by the shell tests: syslog(3) of the programs they run (totpctl,
 * the PAM module under pam_wrapper) goes to $TOTP_TEST_SYSLOG_FILE instead of /dev/log, with
 * its ident and facility, so the tests can read the lines (and never fill the host's journal). */
#include "config.h"

#include <errno.h> /* program_invocation_short_name */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "syslog_file.h"

static const char *ident;
static int facility = LOG_USER;

void openlog(const char *id, int option, int fac)
{
    (void)option;
    ident = id;
    if (fac != 0)
        facility = fac;
}

void closelog(void)
{
    ident = NULL;
    facility = LOG_USER;
}

void vsyslog(int priority, const char *fmt, va_list ap)
{
    char message[8000];
    vsnprintf(message, sizeof(message), fmt, ap);
    if ((priority & LOG_FACMASK) == 0)
        priority |= facility;
    syslog_file_append(priority, ident != NULL ? ident : program_invocation_short_name, message);
}

void syslog(int priority, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsyslog(priority, fmt, ap);
    va_end(ap);
}

void __syslog_chk(int priority, int flag, const char *fmt, ...);
void __vsyslog_chk(int priority, int flag, const char *fmt, va_list ap);

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
