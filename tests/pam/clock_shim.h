/* SPDX-License-Identifier: Apache-2.0 */
/* clock_shim.h: a fake time() shared with child processes, for tests that hold questions. */
#ifndef CLOCK_SHIM_H
#define CLOCK_SHIM_H

#include <stdint.h>

/* From now on time() answers `now` in this process and every child forked after it; 0 or -1. */
int clock_shim_start(int64_t now);

/* Move the shared clock (seen at once by the children). */
void clock_shim_set(int64_t now);

#endif /* CLOCK_SHIM_H */
