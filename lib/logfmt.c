/* SPDX-License-Identifier: Apache-2.0 */
/* logfmt.c: strict logfmt fields for log lines, and which characters text must never show raw. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "totp.h"

int totp_char_is_hidden(uint32_t cp)
{
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0xa0)) /* C0, DEL, C1, no-break space */
        return 1;
    if (cp < 0x2000) {
        return cp == 0xad || cp == 0x34f || (cp >= 0x600 && cp <= 0x605) || cp == 0x61c ||
               cp == 0x6dd || cp == 0x70f || cp == 0x890 || cp == 0x891 || cp == 0x8e2 ||
               cp == 0x115f || cp == 0x1160 || cp == 0x1680 || (cp >= 0x17b4 && cp <= 0x17b5) ||
               (cp >= 0x180b && cp <= 0x180f);
    }
    if (cp <= 0x206f) /* spaces, zero widths, bidi, line/paragraph separators, invisibles */
        return cp <= 0x200f || (cp >= 0x2028 && cp <= 0x202f) || cp >= 0x205f;
    return cp == 0x2800 || cp == 0x3000 || cp == 0x3164 || (cp >= 0xd800 && cp <= 0xdfff) ||
           (cp >= 0xfe00 && cp <= 0xfe0f) || cp == 0xfeff || cp == 0xffa0 ||
           (cp >= 0xfff0 && cp <= 0xfffb) || cp == 0x110bd || cp == 0x110cd ||
           (cp >= 0x13430 && cp <= 0x1343f) || (cp >= 0x1bca0 && cp <= 0x1bca3) ||
           (cp >= 0x1d173 && cp <= 0x1d17a) || (cp >= 0xe0000 && cp <= 0xe0fff) ||
           (cp >= 0xf0000 && cp <= 0x10ffff); /* private use planes */
}

size_t totpi_utf8_decode(const unsigned char *s, uint32_t *cp)
{
    unsigned n;
    uint32_t c, min;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 1, c = s[0] & 0x1f, min = 0x80;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 2, c = s[0] & 0x0f, min = 0x800;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 3, c = s[0] & 0x07, min = 0x10000;
    else
        return 0;
    for (unsigned k = 1; k <= n; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[k] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return n + 1;
}

size_t totpi_one_line(const char *in, char *out, size_t size)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t end = strlen(in), o = 0;
    while (end > 0 && (p[end - 1] == ' ' || (p[end - 1] >= '\t' && p[end - 1] <= '\r')))
        end--; /* a trailing newline is no part of the message */
    if (size == 0)
        return 0;
    for (size_t i = 0; i < end;) {
        uint32_t cp = 0;
        size_t step = totpi_utf8_decode(p + i, &cp);
        char piece[16];
        size_t plen;
        if (step == 0)
            plen = (size_t)snprintf(piece, sizeof(piece), "\\x%02x", p[i]), step = 1;
        else if (cp == '\n')
            plen = (size_t)snprintf(piece, sizeof(piece), "\\n");
        else if (cp == '\r')
            plen = (size_t)snprintf(piece, sizeof(piece), "\\r");
        else if (cp == '\t')
            plen = (size_t)snprintf(piece, sizeof(piece), "\\t");
        else if (cp < 0x20 || cp == 0x7f)
            plen = (size_t)snprintf(piece, sizeof(piece), "\\x%02x", (unsigned)cp);
        else if (cp > 0x7f && totp_char_is_hidden(cp))
            plen = (size_t)snprintf(piece, sizeof(piece), "\\u{%04X}", (unsigned)cp);
        else
            memcpy(piece, p + i, step), plen = step;
        if (o + plen >= size)
            break;
        memcpy(out + o, piece, plen);
        o += plen;
        i += step;
    }
    out[o] = '\0';
    return o;
}

/* A value goes bare only if a parser cannot misread it: printable ASCII without space, '=',
 * quotes or backslashes, and not empty. */
static int is_bare(const char *v)
{
    if (*v == '\0')
        return 0;
    for (; *v != '\0'; v++) {
        unsigned char c = (unsigned char)*v;
        if (c <= ' ' || c >= 0x7f || c == '"' || c == '=' || c == '\\')
            return 0;
    }
    return 1;
}

/* The escape for `cp` inside quotes (JSON's, which logfmt parsers read) in `out`. */
static size_t escape(uint32_t cp, char out[16])
{
    switch (cp) {
    case '"':
        return (size_t)snprintf(out, 16, "\\\"");
    case '\\':
        return (size_t)snprintf(out, 16, "\\\\");
    case '\n':
        return (size_t)snprintf(out, 16, "\\n");
    case '\r':
        return (size_t)snprintf(out, 16, "\\r");
    case '\t':
        return (size_t)snprintf(out, 16, "\\t");
    default:
        break;
    }
    if (cp < 0x10000)
        return (size_t)snprintf(out, 16, "\\u%04x", (unsigned)cp);
    cp -= 0x10000; /* a surrogate pair, as JSON spells it */
    return (size_t)snprintf(out, 16, "\\u%04x\\u%04x", (unsigned)(0xd800 + (cp >> 10)),
                            (unsigned)(0xdc00 + (cp & 0x3ff)));
}

int totp_logfmt_add(char *buf, size_t size, size_t *len, const char *key, const char *value)
{
    if (buf == NULL || len == NULL || key == NULL || *len >= size)
        return TOTP_EINVAL;
    size_t o = *len;
    const char *v = value != NULL && value[0] != '\0' ? value : "-";
    int n = snprintf(buf + o, size - o, "%s%s=", o > 0 ? " " : "", key);
    if (n < 0 || (size_t)n >= size - o) {
        buf[o] = '\0';
        return TOTP_EBUFFER;
    }
    o += (size_t)n;
    /* One long value (a path, a server's message) must not crowd the keys after it out. */
    if (size - o > TOTP_LOGFMT_VALUE_MAX)
        size = o + TOTP_LOGFMT_VALUE_MAX;
    size_t vl = strlen(v);
    if (is_bare(v) && vl < size - o) {
        memcpy(buf + o, v, vl + 1);
        *len = o + vl;
        return TOTP_OK;
    }
    /* Quoted: room is kept for the closing quote and NUL, and for "..." should the value be
     * cut; a cut never splits an escape or a character. */
    if (size - o < 6) {
        buf[*len] = '\0';
        return TOTP_EBUFFER;
    }
    int rc = TOTP_OK;
    buf[o++] = '"';
    const unsigned char *p = (const unsigned char *)v;
    while (*p != '\0') {
        uint32_t cp;
        char piece[16];
        size_t step = totpi_utf8_decode(p, &cp), plen;
        if (step == 0) { /* not UTF-8: the replacement character */
            cp = 0xfffd;
            step = 1;
        }
        if (cp == '"' || cp == '\\' || totp_char_is_hidden(cp) || cp == 0xfffd) {
            plen = escape(cp, piece);
        } else {
            memcpy(piece, p, step);
            plen = step;
        }
        if (o + plen + 5 > size) { /* piece, then "..." + '"' + NUL must still fit */
            memcpy(buf + o, "...", 3);
            o += 3;
            rc = TOTP_EBUFFER;
            break;
        }
        memcpy(buf + o, piece, plen);
        o += plen;
        p += step;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    *len = o;
    return rc;
}
