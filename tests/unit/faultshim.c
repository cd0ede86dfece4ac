/* SPDX-License-Identifier: Apache-2.0 */
/* faultshim.c: interposes libc's file calls for the fault and crash tests (linked into them). */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faultshim.h"

enum {
#define X(name) CALL_##name,
    FAULT_CALLS
#undef X
        CALL_COUNT
};

const char *const fault_call_names[] = {
#define X(name) #name,
    FAULT_CALLS
#undef X
        NULL};

static int armed, target = -1, target_err;
static unsigned target_nth, counts[CALL_COUNT];

void fault_arm(const char *call, int err, unsigned nth)
{
    target = -1;
    for (int i = 0; i < CALL_COUNT; i++) {
        if (strcmp(call, fault_call_names[i]) == 0)
            target = i;
    }
    target_err = err;
    target_nth = nth;
    memset(counts, 0, sizeof(counts));
    armed = 1;
}

void fault_disarm(void)
{
    armed = 0;
    target = -1;
}

unsigned fault_count(const char *call)
{
    for (int i = 0; i < CALL_COUNT; i++) {
        if (strcmp(call, fault_call_names[i]) == 0)
            return counts[i];
    }
    return 0;
}

/* Nonzero if this call must fail (errno is set); never returns if it must kill. */
static int hit(int call)
{
    if (!armed)
        return 0;
    counts[call]++;
    if (call != target || counts[call] != target_nth)
        return 0;
    if (target_err == FAULT_KILL)
        kill(getpid(), SIGKILL);
    errno = target_err;
    return 1;
}

/* The next definition of `name` (libc's, or a sanitizer's interceptor in front of it). */
#define REAL(name, ret, args)                                                                      \
    static ret(*real_##name) args;                                                                 \
    if (real_##name == NULL)                                                                       \
        *(void **)&real_##name = dlsym(RTLD_NEXT, #name);

/* open's optional third argument, there only when the call may create a file. */
#define MODE_ARG(flags, mode)                                                                      \
    do {                                                                                           \
        if ((flags) & (O_CREAT | O_TMPFILE)) {                                                     \
            va_list ap;                                                                            \
            va_start(ap, flags);                                                                   \
            (mode) = (mode_t)va_arg(ap, unsigned);                                                 \
            va_end(ap);                                                                            \
        }                                                                                          \
    } while (0)

int open(const char *path, int flags, ...)
{
    REAL(open, int, (const char *, int, ...));
    mode_t mode = 0;
    MODE_ARG(flags, mode);
    return hit(CALL_open) ? -1 : real_open(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    REAL(openat, int, (int, const char *, int, ...));
    mode_t mode = 0;
    MODE_ARG(flags, mode);
    return hit(CALL_openat) ? -1 : real_openat(dirfd, path, flags, mode);
}

ssize_t read(int fd, void *buf, size_t n)
{
    REAL(read, ssize_t, (int, void *, size_t));
    return hit(CALL_read) ? -1 : real_read(fd, buf, n);
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
    REAL(pread, ssize_t, (int, void *, size_t, off_t));
    return hit(CALL_pread) ? -1 : real_pread(fd, buf, n, off);
}

ssize_t write(int fd, const void *buf, size_t n)
{
    REAL(write, ssize_t, (int, const void *, size_t));
    return hit(CALL_write) ? -1 : real_write(fd, buf, n);
}

int fsync(int fd)
{
    REAL(fsync, int, (int));
    return hit(CALL_fsync) ? -1 : real_fsync(fd);
}

int close(int fd)
{
    REAL(close, int, (int));
    if (hit(CALL_close)) {
        real_close(fd); /* as Linux does: the descriptor is gone even when close fails */
        return -1;
    }
    return real_close(fd);
}

int renameat(int olddir, const char *oldpath, int newdir, const char *newpath)
{
    REAL(renameat, int, (int, const char *, int, const char *));
    return hit(CALL_renameat) ? -1 : real_renameat(olddir, oldpath, newdir, newpath);
}

int renameat2(int olddir, const char *oldpath, int newdir, const char *newpath, unsigned flags)
{
    REAL(renameat2, int, (int, const char *, int, const char *, unsigned));
    return hit(CALL_renameat2) ? -1 : real_renameat2(olddir, oldpath, newdir, newpath, flags);
}

int linkat(int olddir, const char *oldpath, int newdir, const char *newpath, int flags)
{
    REAL(linkat, int, (int, const char *, int, const char *, int));
    return hit(CALL_linkat) ? -1 : real_linkat(olddir, oldpath, newdir, newpath, flags);
}

int unlinkat(int dirfd, const char *path, int flags)
{
    REAL(unlinkat, int, (int, const char *, int));
    return hit(CALL_unlinkat) ? -1 : real_unlinkat(dirfd, path, flags);
}

int fchmod(int fd, mode_t mode)
{
    REAL(fchmod, int, (int, mode_t));
    return hit(CALL_fchmod) ? -1 : real_fchmod(fd, mode);
}

int fchown(int fd, uid_t uid, gid_t gid)
{
    REAL(fchown, int, (int, uid_t, gid_t));
    return hit(CALL_fchown) ? -1 : real_fchown(fd, uid, gid);
}

int flock(int fd, int op)
{
    REAL(flock, int, (int, int));
    return hit(CALL_flock) ? -1 : real_flock(fd, op);
}

int mkdir(const char *path, mode_t mode)
{
    REAL(mkdir, int, (const char *, mode_t));
    return hit(CALL_mkdir) ? -1 : real_mkdir(path, mode);
}

/* ---- allocations ------------------------------------------------------------------------ */
#if defined(__SANITIZE_ADDRESS__)
#define NO_ALLOC_FAULTS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_ALLOC_FAULTS 1
#endif
#endif

#ifdef NO_ALLOC_FAULTS
const int fault_alloc_supported = 0;
#else
const int fault_alloc_supported = 1;

/* glibc's own allocator: calling it directly avoids dlsym, which itself allocates. */
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);

void *malloc(size_t size)
{
    return hit(CALL_alloc) ? NULL : __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    return hit(CALL_alloc) ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    return hit(CALL_alloc) ? NULL : __libc_realloc(p, size);
}

char *strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    return copy != NULL ? memcpy(copy, s, n) : NULL;
}

char *strndup(const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    char *copy = malloc(n + 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, s, n);
    copy[n] = '\0';
    return copy;
}
#endif
