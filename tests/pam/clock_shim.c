/* SPDX-License-Identifier: Apache-2.0 */
/* clock_shim.c: time() for the module under test, read from a clock the test moves and that
 * the test's child processes share (the binary exports it with -rdynamic). */
#include "config.h"

#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

#include "clock_shim.h"

static volatile int64_t *fake_now; /* NULL: the real clock */

int clock_shim_start(int64_t now)
{
    if (fake_now == NULL) {
        void *page = mmap(NULL, sizeof(*fake_now), PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (page == MAP_FAILED)
            return -1;
        fake_now = page;
    }
    *fake_now = now;
    return 0;
}

void clock_shim_set(int64_t now)
{
    if (fake_now != NULL)
        *fake_now = now;
}

time_t time(time_t *out)
{
    struct timespec ts;
    time_t now;
    if (fake_now != NULL) {
        now = (time_t)*fake_now;
    } else {
        clock_gettime(CLOCK_REALTIME, &ts);
        now = ts.tv_sec;
    }
    if (out != NULL)
        *out = now;
    return now;
}
