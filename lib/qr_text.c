/* SPDX-License-Identifier: Apache-2.0 */
/* qr_text.c: QR codes as terminal text (libqrencode), the one renderer of totpctl and pam_totp. */
#include "config.h"

#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

#include "totp.h"

/* Every line counts (80x24 must hold the code and the prompt under it): two modules of
 * margin, which phone scanners read, and the lowest error correction, which a crisp screen
 * does not need. */
#define QUIET 2

#define UPPER  "\u2580"
#define LOWER  "\u2584"
#define FULL   "\u2588"
#define COLOUR "\033[30;107m"
#define RESET  "\033[0m"

/* Dark module at (x, y), counting the quiet zone as light. */
static int dark(const QRcode *qr, int x, int y)
{
    if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
        return 0;
    return qr->data[y * qr->width + x] & 1;
}

static void put(char **p, const char *s)
{
    size_t n = strlen(s);
    memcpy(*p, s, n);
    *p += n;
}

/* One line of two module rows as half blocks; `ink` is what a block draws (dark or light). */
static void half_blocks(char **p, const QRcode *qr, int y, int hi, int ink)
{
    for (int x = -QUIET; x < hi; x++) {
        /* The row below the last (an odd side) is the screen, not the code: nothing there. */
        int top = dark(qr, x, y) == ink, bottom = y + 1 < hi && dark(qr, x, y + 1) == ink;
        put(p, top && bottom ? FULL : top ? UPPER : bottom ? LOWER : " ");
    }
}

int totp_qr_text(const char *text, totp_qr_style style, char **out, int *cols, int *lines)
{
    if (out != NULL)
        *out = NULL;
    if (text == NULL || out == NULL || cols == NULL || lines == NULL || style < TOTP_QR_COLOUR ||
        style > TOTP_QR_PLAIN)
        return TOTP_EINVAL;
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
    if (qr == NULL)
        return TOTP_EBUFFER;
    int side = qr->width + 2 * QUIET, hi = qr->width + QUIET;
    *cols = style == TOTP_QR_ANSI ? 2 * side : side;
    *lines = style == TOTP_QR_ANSI ? side : (side + 1) / 2;
    /* The longest cell is a 3-byte block or 7 bytes of colour and 2 spaces; plus each line's
     * colour codes and newline. */
    size_t size = (size_t)*lines * ((size_t)side * 9 + sizeof(COLOUR) + sizeof(RESET) + 1) + 1;
    char *buf = malloc(size), *p = buf;
    if (buf == NULL) {
        QRcode_free(qr);
        return TOTP_ENOMEM;
    }
    for (int y = -QUIET; y < hi; y += style == TOTP_QR_ANSI ? 1 : 2) {
        if (style == TOTP_QR_ANSI) {
            for (int x = -QUIET; x < hi; x++)
                put(&p, dark(qr, x, y) ? "\033[40m  " : "\033[107m  ");
            put(&p, RESET);
        } else if (style == TOTP_QR_COLOUR) {
            put(&p, COLOUR);
            half_blocks(&p, qr, y, hi, 1);
            put(&p, RESET);
        } else {
            half_blocks(&p, qr, y, hi, 0);
        }
        put(&p, "\n");
    }
    *p = '\0';
    QRcode_free(qr);
    *out = buf;
    return TOTP_OK;
}
