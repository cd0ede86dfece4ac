/* SPDX-License-Identifier: Apache-2.0 */
/* json.c: a small streaming JSON writer: RFC 8259 string escaping, no allocation. */
#include "config.h"

#include <inttypes.h>

#include "json.h"

static void quoted(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '\t')
            fputs("\\t", out);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out); /* UTF-8 passes through */
    }
    fputc('"', out);
}

/* The separator and key before a member (or element, with key NULL). */
static void member(struct json *j, const char *key)
{
    if (!j->first[j->depth])
        fputc(',', j->out);
    j->first[j->depth] = 0;
    if (key != NULL) {
        quoted(j->out, key);
        fputc(':', j->out);
    }
}

void json_begin(struct json *j, FILE *out)
{
    j->out = out;
    j->depth = 0;
    j->first[0] = 1;
    fputc('{', out);
}

void json_begin_array(struct json *j, FILE *out)
{
    j->out = out;
    j->depth = 0;
    j->first[0] = 1;
    fputc('[', out);
}

void json_end_array(struct json *j)
{
    fputs("]\n", j->out);
}

void json_end(struct json *j)
{
    fputs("}\n", j->out);
}

void json_string(struct json *j, const char *key, const char *value)
{
    member(j, key);
    if (value == NULL)
        fputs("null", j->out);
    else
        quoted(j->out, value);
}

void json_int(struct json *j, const char *key, int64_t value)
{
    member(j, key);
    fprintf(j->out, "%" PRId64, value);
}

void json_bool(struct json *j, const char *key, int value)
{
    member(j, key);
    fputs(value ? "true" : "false", j->out);
}

void json_null(struct json *j, const char *key)
{
    member(j, key);
    fputs("null", j->out);
}

void json_open(struct json *j, const char *key, char bracket)
{
    member(j, key);
    fputc(bracket, j->out);
    if (j->depth + 1 < (int)(sizeof(j->first) / sizeof(j->first[0])))
        j->first[++j->depth] = 1;
}

void json_close(struct json *j, char bracket)
{
    fputc(bracket, j->out);
    if (j->depth > 0)
        j->depth--;
}
