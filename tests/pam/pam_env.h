/* SPDX-License-Identifier: Apache-2.0 */
/* pam_env.h: run a PAM test program under pam_wrapper and nss_wrapper. */
#ifndef PAM_ENV_H
#define PAM_ENV_H

/* Re-executes the program with libpam_wrapper preloaded and the test users of testutil; exits
 * 99 (a hard error) naming `program` when pam_wrapper is not installed. */
void pam_env_setup(char **argv, const char *program);

#endif /* PAM_ENV_H */
