/* SPDX-License-Identifier: Apache-2.0 */
/* qr.h: the otpauth URI as a QR code: on a terminal, and as PNG or SVG files. */
#ifndef TOTPCTL_QR_H
#define TOTPCTL_QR_H

#include <stdio.h>

#include "totp.h"

enum qr_mode { QR_NONE, QR_UTF8, QR_ANSI };

/* Parse --qr's argument; -1 if unknown. */
int qr_mode_parse(const char *name);

/* Draw the code for `text` on `out`. 0 on success, -1 if it cannot be encoded. */
int qr_print(FILE *out, const char *text, enum qr_mode mode);

/* The same, leaving `reserve_lines` lines under it (a prompt) on a terminal: if the code does
 * not fit the terminal (TIOCGWINSZ), it is not drawn and 1 is returned after a line saying
 * what size it needs and what to do instead. */
int qr_print_fit(FILE *out, const char *text, enum qr_mode mode, int reserve_lines);

/* Write the code as a PNG or SVG file (mode 0600: it holds the secret). */
int qr_write_png(const char *path, const char *text, totp_error *err);
int qr_write_svg(const char *path, const char *text, totp_error *err);

#endif /* TOTPCTL_QR_H */
