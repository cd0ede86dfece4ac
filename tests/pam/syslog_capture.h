/* SPDX-License-Identifier: Apache-2.0 */
/* syslog_capture.h: the PAM tests' syslog: every line the module logs, kept in memory. */
#ifndef SYSLOG_CAPTURE_H
#define SYSLOG_CAPTURE_H

#include <stddef.h>

/* The lines logged so far, each "<PRIORITY> text\n"; tests clear it with loglen = 0. */
extern char logbuf[1 << 16];
extern size_t loglen;

/* The last line logged, without its newline (a static buffer). */
const char *last_log(void);

#endif /* SYSLOG_CAPTURE_H */
