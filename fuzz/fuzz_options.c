/* fuzz_options.c: module arguments (one per line) and the site file's line parser. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "totp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), *copy = malloc(size + 1);
    totp_options opt;
    totp_error err;
    if (text == NULL || copy == NULL) {
        free(text);
        free(copy);
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    memcpy(copy, text, size + 1);

    /* As a site file. */
    totp_options_init(&opt);
    totpi_conf_parse(copy, "fuzz.conf", totpi_options_conf_line, &opt, &err);
    totp_options_clear(&opt);

    /* As module arguments, one per line. */
    totp_options_init(&opt);
    for (char *line = text, *next; line != NULL; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        totp_options_set(&opt, line, &err);
    }
    totp_options_clear(&opt);
    free(text);
    free(copy);
    return 0;
}
