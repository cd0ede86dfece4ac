/* SPDX-License-Identifier: Apache-2.0 */
/* json.h: a small streaming JSON writer for --json output (objects, arrays, escaped strings). */
#ifndef TOTPCTL_JSON_H
#define TOTPCTL_JSON_H

#include <stdint.h>
#include <stdio.h>

struct json {
    FILE *out;
    int depth;
    int first[16]; /* per level: nothing written yet */
};

void json_begin(struct json *j, FILE *out);       /* opens the top-level object */
void json_end(struct json *j);                    /* closes it, and a newline */
void json_begin_array(struct json *j, FILE *out); /* a top-level array instead */
void json_end_array(struct json *j);
void json_string(struct json *j, const char *key, const char *value); /* NULL: null */
void json_int(struct json *j, const char *key, int64_t value);
void json_bool(struct json *j, const char *key, int value);
void json_null(struct json *j, const char *key);
void json_open(struct json *j, const char *key, char bracket); /* '{' or '[', key NULL in arrays */
void json_close(struct json *j, char bracket);

#endif /* TOTPCTL_JSON_H */
