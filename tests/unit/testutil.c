/* SPDX-License-Identifier: Apache-2.0 */
/* testutil.c: temp trees, files and fake users (nss_wrapper) for the unit tests. */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#define PAMWRAP_LOCK "/tmp/pam_totp-pam_wrapper.lock"

#define NSS_WRAPPER_LIB "libnss_wrapper.so"
#define RFC_SEED_B32    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" /* "12345678901234567890" */

static char home_buf[2][4096];

const char *tu_root(void)
{
    const char *root = getenv("TOTP_TEST_ROOT");
    ck_assert_ptr_nonnull(root);
    return root;
}

uid_t tu_uid(void)
{
    return geteuid() == 0 ? 65534 : geteuid();
}

uid_t tu_other_uid(void)
{
    return geteuid() == 0 ? 65533 : geteuid() + 1;
}

gid_t tu_gid(void)
{
    return getegid() == 0 ? 65534 : getegid();
}

static void must(int ok, const char *what, const char *path)
{
    if (!ok) {
        fprintf(stderr, "testutil: %s %s: %s\n", what, path, strerror(errno));
        exit(99);
    }
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    must(f != NULL, "cannot write", path);
    fputs(text, f);
    must(fclose(f) == 0, "cannot close", path);
}

void tu_setup_users(char **argv)
{
    if (getenv("NSS_WRAPPER_PASSWD") != NULL)
        return;
    void *probe = dlopen(NSS_WRAPPER_LIB, RTLD_NOW);
    if (probe == NULL) {
        fprintf(stderr, "testutil: %s not found: install the Debian package libnss-wrapper\n",
                NSS_WRAPPER_LIB);
        exit(99); /* a hard error for the test harness, not a skip */
    }
    dlclose(probe);
    char tmpl[] = "/tmp/totp-test-XXXXXX";
    char *root = mkdtemp(tmpl);
    must(root != NULL, "cannot create", tmpl);
    must(chmod(root, 0755) == 0, "cannot chmod", root);

    char path[4096], text[8192];
    snprintf(text, sizeof(text),
             "root:x:0:0:root:/root:/bin/sh\n"
             "alice:x:%u:%u:Alice:%s/home/alice:/bin/sh\n"
             "bob:x:%u:%u:Bob:%s/home/bob:/bin/sh\n"
             "carol:x:%u:%u:Carol:%s/home/alice:/bin/sh\n"
             "svc:x:%u:%u:A service account:/nonexistent:/usr/sbin/nologin\n",
             (unsigned)tu_uid(), (unsigned)tu_gid(), root, (unsigned)tu_uid(), (unsigned)tu_gid(),
             root, (unsigned)tu_other_uid(), (unsigned)tu_gid(), root, (unsigned)tu_uid(),
             (unsigned)tu_gid());
    snprintf(path, sizeof(path), "%s/passwd", root);
    put(path, text);
    setenv("NSS_WRAPPER_PASSWD", path, 1);
    snprintf(text, sizeof(text), "root:x:0:\nusers:x:%u:alice,bob\ntotpgrp:x:%u:alice\n",
             (unsigned)tu_gid(), (unsigned)TU_EXTRA_GID);
    snprintf(path, sizeof(path), "%s/group", root);
    put(path, text);
    setenv("NSS_WRAPPER_GROUP", path, 1);
    setenv("NSS_WRAPPER_DISABLE_DEEPBIND", "1", 1); /* sanitizer builds refuse RTLD_DEEPBIND */
    setenv("TOTP_TEST_ROOT", root, 1);
    if (getenv("PAM_WRAPPER") != NULL) {
        /* pam_wrapper reads its service files from here, from the moment it is loaded. */
        snprintf(path, sizeof(path), "%s/services", root);
        must(mkdir(path, 0755) == 0, "cannot create", path);
        setenv("PAM_WRAPPER_SERVICE_DIR", path, 1);
        /* pam_wrapper copies them into /tmp/pam.X, X one character; a process that collides
         * with another can take or remove the other's copy. The directory tests, which start
         * 40 logins at once, hold this lock exclusively (tests/tools/pamwrap-login.sh): this
         * program shares it for its life, so it never starts among them. Best effort. */
        int lock = open(PAMWRAP_LOCK, O_RDONLY | O_CREAT | O_CLOEXEC, 0666);
        if (lock >= 0) {
            (void)fchmod(lock, 0666);
            /* Bounded, so that a stray holder can delay this program but never hang it. */
            for (int i = 0; i < 3000 && flock(lock, LOCK_SH | LOCK_NB) != 0; i++)
                usleep(100000);
        }
    }

    const char *preload = getenv("LD_PRELOAD");
    snprintf(text, sizeof(text), "%s%s%s", NSS_WRAPPER_LIB, preload ? ":" : "",
             preload ? preload : "");
    setenv("LD_PRELOAD", text, 1);
    /* A sanitizer build must tolerate a preloaded library ahead of its runtime. */
    const char *asan = getenv("ASAN_OPTIONS");
    snprintf(text, sizeof(text), "%s%sverify_asan_link_order=0", asan ? asan : "", asan ? ":" : "");
    setenv("ASAN_OPTIONS", text, 1);
    /* The path, not /proc/self/exe itself: under valgrind that names valgrind's own tool. */
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    must(n > 0, "cannot find", "/proc/self/exe");
    self[n] = '\0';
    execv(self, argv);
    must(0, "cannot re-execute", self);
}

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL) {
        unlink(path);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char sub[4096];
        snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
            chmod(sub, 0700);
            remove_tree(sub);
        } else {
            unlink(sub);
        }
    }
    closedir(d);
    rmdir(path);
}

void tu_cleanup_users(void)
{
    const char *root = getenv("TOTP_TEST_ROOT");
    if (root != NULL && strncmp(root, "/tmp/totp-test-", 15) == 0)
        remove_tree(root);
}

const char *tu_home(const char *user)
{
    char *buf = home_buf[strcmp(user, "bob") == 0];
    snprintf(buf, sizeof(home_buf[0]), "%s/home/%s", tu_root(), user);
    return buf;
}

static void fresh_dir(const char *path, mode_t mode, int for_user)
{
    remove_tree(path);
    must(mkdir(path, mode) == 0 || errno == EEXIST, "cannot create", path);
    must(chmod(path, mode) == 0, "cannot chmod", path);
    if (for_user && geteuid() == 0)
        must(chown(path, tu_uid(), tu_gid()) == 0, "cannot chown", path);
}

void tu_reset_homes(void)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/home", tu_root());
    must(mkdir(path, 0755) == 0 || errno == EEXIST, "cannot create", path);
    fresh_dir(tu_home("alice"), 0755, 1);
    fresh_dir(tu_home("bob"), 0755, 1);
}

const char *tu_system_dir(void)
{
    static char path[4096];
    snprintf(path, sizeof(path), "%s/system", tu_root());
    struct stat st;
    if (stat(path, &st) != 0)
        fresh_dir(path, 0700, 0);
    return path;
}

void tu_write(const char *path, const char *text, mode_t mode)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
    must(fd >= 0, "cannot create", path);
    size_t len = strlen(text);
    must(write(fd, text, len) == (ssize_t)len, "cannot write", path);
    must(fchmod(fd, mode) == 0, "cannot chmod", path);
    close(fd);
    if (geteuid() == 0 && strncmp(path, tu_system_dir(), strlen(tu_system_dir())) != 0)
        must(chown(path, tu_uid(), tu_gid()) == 0, "cannot chown", path);
}

char *tu_read(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    char *buf = calloc(1, TOTP_RECORD_MAX + 2);
    size_t n = fread(buf, 1, TOTP_RECORD_MAX + 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

int tu_count_dotfiles(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' && strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    }
    closedir(d);
    return n;
}

totp_store *tu_store(const char *secret_path)
{
    totp_file_store_config cfg = {tu_system_dir(), secret_path, 0, 0,    0,    0,
                                  geteuid(),       2000,        0, NULL, NULL, 0};
    totp_store *store = NULL;
    ck_assert_int_eq(totp_store_file_new(&cfg, &store), TOTP_OK);
    return store;
}

char *tu_record_text(const char *extra)
{
    size_t size = strlen(extra) + 128;
    char *text = malloc(size);
    snprintf(text, size, RFC_SEED_B32 "\n%s", extra);
    return text;
}

void tu_code_at(int64_t t, unsigned digits, char out[TOTP_CODE_BUFSIZE])
{
    totp_params p = {TOTP_SHA1, digits ? digits : 6, 30};
    totp_key *key = NULL;
    uint64_t step;
    ck_assert_int_eq(totp_key_new((const uint8_t *)"12345678901234567890", 20, &p, &key), TOTP_OK);
    ck_assert_int_eq(totp_time_step(t, 30, &step), TOTP_OK);
    ck_assert_int_eq(totp_hotp(key, step, out), TOTP_OK);
    totp_key_free(key);
}
