/* SPDX-License-Identifier: Apache-2.0 */
/* options-probe.c: test helper: for each argument, print "ok", "unknown" or "bad-value" as the
 * module's option parser sees it (tests/docs compares that with the man page). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "totp.h"

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        totp_options opt;
        totp_error err = {0};
        totp_options_init(&opt);
        int rc = totp_options_set(&opt, argv[i], &err);
        printf("%s %s\n", argv[i],
               rc == TOTP_OK                                     ? "ok"
               : strncmp(err.message, "unknown option", 14) == 0 ? "unknown"
                                                                 : "bad-value");
        totp_options_clear(&opt);
    }
    return 0;
}
