/* SPDX-License-Identifier: Apache-2.0 */
/* qr.c: QR codes for otpauth URIs: on a terminal (libtotp's totp_qr_text: UTF-8 half blocks or
 * ANSI colours, black on white with a quiet zone, so dark and light terminals both work), and
 * as PNG or SVG images (libqrencode). */
#include "config.h"

#include <png.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

#include "qr.h"

#define QUIET 4 /* modules of light margin on each side in images, as the QR standard asks */
#define SCALE 8 /* image pixels per module */

int qr_mode_parse(const char *name)
{
    if (strcmp(name, "utf8") == 0)
        return QR_UTF8;
    if (strcmp(name, "ansi") == 0)
        return QR_ANSI;
    if (strcmp(name, "none") == 0)
        return QR_NONE;
    return -1;
}

static QRcode *encode(const char *text)
{
    return QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
}

/* Dark module at (x, y), counting the quiet zone as light. */
static int dark(const QRcode *qr, int x, int y)
{
    if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
        return 0;
    return qr->data[y * qr->width + x] & 1;
}

int qr_print_fit(FILE *out, const char *text, enum qr_mode mode, int reserve_lines)
{
    if (mode == QR_NONE)
        return 0;
    char *drawn = NULL;
    int cols, lines, rc = 0;
    struct winsize ws;
    if (totp_qr_text(text, mode == QR_ANSI ? TOTP_QR_ANSI : TOTP_QR_COLOUR, &drawn, &cols,
                     &lines) != TOTP_OK)
        return -1;
    /* On a terminal, a code whose top scrolls away or whose lines wrap cannot be scanned. */
    if (isatty(fileno(out)) && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
        ws.ws_col > 0 && (cols > ws.ws_col || lines + reserve_lines > ws.ws_row)) {
        fprintf(out,
                "(The QR code needs %dx%d characters and this terminal has %ux%u: enlarge the "
                "window or make the font smaller and run this again, or use --qr-png FILE, or "
                "type the secret into the app.)\n",
                cols, lines + reserve_lines, (unsigned)ws.ws_col, (unsigned)ws.ws_row);
        rc = 1;
    } else {
        fputs(drawn, out);
    }
    totp_wipe_string(drawn);
    return rc;
}

int qr_print(FILE *out, const char *text, enum qr_mode mode)
{
    return qr_print_fit(out, text, mode, 0) < 0 ? -1 : 0;
}

/* ---- PNG ------------------------------------------------------------------------------- */

struct buffer {
    unsigned char *data;
    size_t len, cap;
    int failed;
};

static void buffer_add(struct buffer *b, const void *data, size_t len)
{
    if (b->failed)
        return;
    if (b->len + len > b->cap) {
        /* Not realloc: the image encodes the secret, so old copies are wiped, not abandoned. */
        size_t cap = (b->len + len) * 2;
        unsigned char *grown = malloc(cap);
        if (grown == NULL) {
            b->failed = 1;
            return;
        }
        if (b->data != NULL) {
            memcpy(grown, b->data, b->len);
            totp_wipe(b->data, b->cap);
            free(b->data);
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

static void png_to_buffer(png_structp png, png_bytep data, png_size_t len)
{
    buffer_add(png_get_io_ptr(png), data, len);
}

static void png_no_flush(png_structp png)
{
    (void)png;
}

/* A grey-scale PNG of the code in `b`; 0 on success. */
static int render_png(const QRcode *qr, struct buffer *b)
{
    int side = (qr->width + 2 * QUIET) * SCALE;
    png_bytep row = malloc((size_t)side);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png != NULL ? png_create_info_struct(png) : NULL;
    if (row == NULL || info == NULL || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(row);
        return -1;
    }
    png_set_write_fn(png, b, png_to_buffer, png_no_flush);
    png_set_IHDR(png, info, (png_uint_32)side, (png_uint_32)side, 8, PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < side; y++) {
        for (int x = 0; x < side; x++)
            row[x] = dark(qr, x / SCALE - QUIET, y / SCALE - QUIET) ? 0 : 255;
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    return b->failed ? -1 : 0;
}

int qr_write_png(const char *path, const char *text, totp_error *err)
{
    struct buffer b = {NULL, 0, 0, 0};
    QRcode *qr = encode(text);
    int rc = TOTP_ENOMEM;
    if (qr != NULL && render_png(qr, &b) == 0)
        rc = totp_output_file(path, b.data, b.len, err);
    else if (err != NULL)
        snprintf(err->message, sizeof(err->message), "%s: cannot render the QR code", path);
    if (qr != NULL)
        QRcode_free(qr);
    totp_wipe(b.data, b.cap);
    free(b.data);
    return rc;
}

/* ---- SVG ------------------------------------------------------------------------------- */

int qr_write_svg(const char *path, const char *text, totp_error *err)
{
    struct buffer b = {NULL, 0, 0, 0};
    QRcode *qr = encode(text);
    if (qr == NULL) {
        if (err != NULL)
            snprintf(err->message, sizeof(err->message), "%s: cannot render the QR code", path);
        return TOTP_ENOMEM;
    }
    char line[320];
    int side = qr->width + 2 * QUIET;
    int n = snprintf(line, sizeof(line),
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                     "viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">\n"
                     "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n<g fill=\"#000000\">\n",
                     side * SCALE, side * SCALE, side, side, side, side);
    buffer_add(&b, line, (size_t)n);
    for (int y = 0; y < qr->width; y++) {
        for (int x = 0; x < qr->width; x++) {
            if (dark(qr, x, y)) {
                /* One square per module: the plainest SVG, which every renderer gets right. */
                n = snprintf(line, sizeof(line),
                             "<rect x=\"%d\" y=\"%d\" width=\"1\" height=\"1\"/>\n", x + QUIET,
                             y + QUIET);
                buffer_add(&b, line, (size_t)n);
            }
        }
    }
    buffer_add(&b, "</g>\n</svg>\n", 11);
    QRcode_free(qr);
    int rc = b.failed ? TOTP_ENOMEM : totp_output_file(path, b.data, b.len, err);
    totp_wipe(b.data, b.cap);
    free(b.data);
    return rc;
}
