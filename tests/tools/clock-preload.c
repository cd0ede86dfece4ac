/* SPDX-License-Identifier: Apache-2.0 */
/* clock-preload.c: an LD_PRELOAD time() for daemons under test (sshd): the real time plus an
 * offset in seconds ("+70") read at every call from the file that PAM_TOTP_TEST_CLOCK named
 * when the process started.
 *
 * libfaketime cannot move sshd's clock for the module: sshd empties the environment of the
 * process that runs PAM (auth-pam.c, sshpam_thread: environ[0] = NULL, keeping only TZ), and
 * libfaketime looks its settings up in the environment at every call. This keeps the file's
 * name from the start. Only time() is replaced: it is what the module reads. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char clock_file[4096]; /* empty: the real clock */

__attribute__((constructor)) static void clock_preload_init(void)
{
    const char *name = getenv("PAM_TOTP_TEST_CLOCK");
    if (name != NULL && strlen(name) < sizeof(clock_file))
        memcpy(clock_file, name, strlen(name) + 1);
}

/* The offset in the file, 0 if it cannot be read (sshd's sandboxed processes cannot open). */
static long clock_offset(void)
{
    char buf[32];
    ssize_t n;
    int saved = errno, fd;
    long offset = 0;
    if (clock_file[0] == '\0')
        return 0;
    fd = open(clock_file, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        n = read(fd, buf, sizeof(buf) - 1);
        if (n > 0) {
            buf[n] = '\0';
            offset = strtol(buf, NULL, 10);
        }
        close(fd);
    }
    errno = saved;
    return offset;
}

time_t time(time_t *out)
{
    struct timespec ts;
    time_t now;
    clock_gettime(CLOCK_REALTIME, &ts);
    now = ts.tv_sec + (time_t)clock_offset();
    if (out != NULL)
        *out = now;
    return now;
}
