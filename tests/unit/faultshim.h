/* SPDX-License-Identifier: Apache-2.0 */
/* faultshim.h: make the Nth call of one system call fail, or kill the process there. */
#ifndef FAULTSHIM_H
#define FAULTSHIM_H

/* The calls the shim watches, as named in fault_arm(). */
/* clang-format off: one call per line (clang-format does not settle on a layout here) */
#define FAULT_CALLS                                                                                \
    X(open)                                                                                        \
    X(openat)                                                                                      \
    X(read)                                                                                        \
    X(pread)                                                                                       \
    X(write)                                                                                       \
    X(fsync)                                                                                       \
    X(close)                                                                                       \
    X(renameat)                                                                                    \
    X(renameat2)                                                                                   \
    X(linkat)                                                                                      \
    X(unlinkat)                                                                                    \
    X(fchmod)                                                                                      \
    X(fchown)                                                                                      \
    X(flock)                                                                                       \
    X(mkdir)                                                                                       \
    X(alloc)
/* clang-format on */

#define FAULT_KILL (-1) /* instead of an errno: SIGKILL the process at that call */

/* From now on, count the calls; the `nth` call of `call` fails with `err` (nth 0: only
 * count). Counting starts afresh. */
void fault_arm(const char *call, int err, unsigned nth);

/* Stop counting and failing. */
void fault_disarm(void);

/* How many calls of `call` were seen since fault_arm(). */
unsigned fault_count(const char *call);

/* Whether "alloc" (malloc, calloc, realloc, strdup, strndup) can be failed: not under a
 * sanitizer, whose allocator must not be bypassed. */
extern const int fault_alloc_supported;

/* The names of the watched calls, NULL-terminated. */
extern const char *const fault_call_names[];

#endif /* FAULTSHIM_H */
