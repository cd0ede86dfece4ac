/* SPDX-License-Identifier: Apache-2.0 */
/* pty-enroll.c: test helper: run `totpctl ... enroll` on a pseudo-terminal and answer its
 * question as a person with an authenticator app would: read the secret it prints, type the
 * current code (or, with --wrong, a wrong one every time). Exits with totpctl's status.
 * Usage: pty-enroll [--wrong] TOTPCTL [ARGS...] */
#include "config.h"

#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "totp.h"

int main(int argc, char **argv)
{
    int wrong = argc > 1 && strcmp(argv[1], "--wrong") == 0, master;
    char **cmd = argv + 1 + wrong;
    if (cmd[0] == NULL) {
        fprintf(stderr, "usage: pty-enroll [--wrong] TOTPCTL [ARGS...]\n");
        return 2;
    }
    pid_t pid = forkpty(&master, NULL, NULL, NULL);
    if (pid < 0)
        return 2;
    if (pid == 0) {
        execvp(cmd[0], cmd);
        _exit(127);
    }
    static char seen[1 << 16];
    size_t len = 0;
    char secret[128] = "";
    int answered = 0;
    for (;;) {
        ssize_t n = read(master, seen + len, sizeof(seen) - 1 - len);
        if (n <= 0)
            break; /* EIO: the child closed the terminal */
        fwrite(seen + len, 1, (size_t)n, stdout);
        len += (size_t)n;
        seen[len] = '\0';
        const char *s = strstr(seen, "secret: ");
        if (s != NULL && secret[0] == '\0')
            sscanf(s + 8, "%127[A-Z2-7]", secret);
        /* Answer each new question. */
        int asked = 0;
        for (const char *p = seen; (p = strstr(p, "Code from the app: ")) != NULL; p++)
            asked++;
        while (answered < asked) {
            char code[TOTP_CODE_BUFSIZE] = "000000";
            uint8_t key[TOTP_KEY_MAX];
            size_t klen;
            totp_params params = TOTP_PARAMS_DEFAULT;
            totp_key *k = NULL;
            uint64_t step;
            if (!wrong && totp_base32_decode(secret, key, sizeof(key), &klen) == TOTP_OK &&
                totp_key_new(key, klen, &params, &k) == TOTP_OK &&
                totp_time_step((int64_t)time(NULL), 30, &step) == TOTP_OK)
                totp_hotp(k, step, code);
            totp_key_free(k);
            dprintf(master, "%s\n", code);
            answered++;
        }
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}
