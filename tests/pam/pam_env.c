/* SPDX-License-Identifier: Apache-2.0 */
/* pam_env.c: run a PAM test program under pam_wrapper and nss_wrapper. */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "pam_env.h"
#include "testutil.h"

void pam_env_setup(char **argv, const char *program)
{
    if (getenv("NSS_WRAPPER_PASSWD") != NULL)
        return;
    /* Without pam_wrapper, these logins would run against the machine's own PAM setup. */
    void *probe = dlopen("libpam_wrapper.so", RTLD_NOW);
    if (probe == NULL) {
        fprintf(stderr, "%s: libpam_wrapper.so not found: install libpam-wrapper\n", program);
        exit(99);
    }
    dlclose(probe);
    char preload[4096];
    const char *old = getenv("LD_PRELOAD");
    snprintf(preload, sizeof(preload), "libpam_wrapper.so%s%s", old ? ":" : "", old ? old : "");
    setenv("LD_PRELOAD", preload, 1);
    setenv("PAM_WRAPPER", "1", 1);
    setenv("PAM_WRAPPER_USE_SYSLOG", "1", 1);
    /* Sanitizers refuse RTLD_DEEPBIND; pam_wrapper 1.1.4 reads this switch under uid_wrapper's
     * name, later versions under its own: set both. */
    setenv("PAM_WRAPPER_DISABLE_DEEPBIND", "1", 1);
    setenv("UID_WRAPPER_DISABLE_DEEPBIND", "1", 1);
    tu_setup_users(argv); /* re-executes with nss_wrapper too; sets TOTP_TEST_ROOT */
}
