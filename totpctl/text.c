/* SPDX-License-Identifier: Apache-2.0 */
/* text.c: text from elsewhere made safe to show on a terminal. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"

/* `in` for a terminal: control characters and invalid UTF-8 as \xNN, and every character the
 * log escapes too (totp_char_is_hidden: format, separator and filler characters that reorder
 * or hide text) as \u{XXXX}, so that an account name cannot pass for another one on the
 * screen. */
const char *cli_printable(const char *in, char *out, size_t size)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t o = 0;
    while (*p != '\0' && o + 11 < size) {
        unsigned cp = 0, n = 0;
        if (*p >= 0xc2 && *p <= 0xdf)
            cp = *p & 0x1f, n = 1;
        else if (*p >= 0xe0 && *p <= 0xef)
            cp = *p & 0x0f, n = 2;
        else if (*p >= 0xf0 && *p <= 0xf4)
            cp = *p & 0x07, n = 3;
        size_t k = 1;
        for (; k <= n && (p[k] & 0xc0) == 0x80; k++)
            cp = (cp << 6) | (p[k] & 0x3f);
        static const unsigned least[4] = {0, 0x80, 0x800, 0x10000}; /* no overlong forms */
        if (*p < 0x20 || *p == 0x7f ||
            (*p >= 0x80 && (n == 0 || k <= n || cp < least[n] || cp > 0x10ffff))) {
            o += (size_t)snprintf(out + o, size - o, "\\x%02x", *p);
            p++;
        } else if (n > 0 && totp_char_is_hidden(cp)) { /* one list, the log's */
            o += (size_t)snprintf(out + o, size - o, "\\u{%04X}", cp);
            p += n + 1;
        } else {
            memcpy(out + o, p, n + 1);
            o += n + 1;
            p += n + 1;
        }
    }
    out[o] = '\0';
    return out;
}
