/* SPDX-License-Identifier: Apache-2.0 */
/* logindefs.c: which accounts are people's: UID_MIN and UID_MAX of /etc/login.defs. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The number after `key` on a line of /etc/login.defs, else `fallback`. */
static unsigned long login_defs(const char *key, unsigned long fallback)
{
    unsigned long value = fallback;
    size_t n = strlen(key);
    char line[256];
    FILE *f = fopen("/etc/login.defs", "re");
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        char *end = NULL;
        if (strncmp(line, key, n) == 0 && (line[n] == ' ' || line[n] == '\t')) {
            unsigned long v = strtoul(line + n + 1, &end, 10);
            if (end != line + n + 1)
                value = v;
        }
    }
    if (f != NULL)
        fclose(f);
    return value;
}

unsigned long cli_uid_min(void)
{
    return login_defs("UID_MIN", 1000);
}

unsigned long cli_uid_max(void)
{
    return login_defs("UID_MAX", 60000);
}
