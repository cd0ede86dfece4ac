/* SPDX-License-Identifier: Apache-2.0 */
/* syslog_file.h: the tests' syslog lines, appended to $TOTP_TEST_SYSLOG_FILE for
 * tests/logs/logfmt_all.sh to parse. */
#ifndef SYSLOG_FILE_H
#define SYSLOG_FILE_H

/* "<PRIORITY>IDENT: MESSAGE\n" in one write(2) to the file named by TOTP_TEST_SYSLOG_FILE
 * (nothing if it is unset). PRIORITY is facility | level, as syslog(3) got it. */
void syslog_file_append(int priority, const char *ident, const char *message);

#endif /* SYSLOG_FILE_H */
