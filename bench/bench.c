/* SPDX-License-Identifier: Apache-2.0 */
/* bench.c: make bench: logins through libpam as sshd makes them (pam_start, pam_authenticate,
 * pam_end), against pam_permit (the floor), pam_totp and, when installed,
 * pam_google_authenticator; and libtotp's window scan against one-shot HMACs. Run as root: it
 * writes PAM service files (removed at exit), a temporary store and throwaway users. */
#include "config.h"

#include <errno.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "totp.h"

#define GA_USERS    201 /* real accounts, since pam_google_authenticator looks every user up */
#define OATH_MODULE "/lib/x86_64-linux-gnu/security/pam_oath.so"

static char dir[256], module[1024], ga_module[256];
static char services[5][64];
static int n_services;
static uint8_t (*keys)[20];

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- libtotp's window scan -------------------------------------------------------------- */

static double scan_rate(void)
{
    totp_params p = TOTP_PARAMS_DEFAULT;
    totp_key *key = NULL;
    totp_key_new((const uint8_t *)"12345678901234567890", 20, &p, &key);
    totp_window w = {1000000, 1500, 1500, 0, 0}; /* 3001 steps, as a clock-skew search */
    long evaluations = 0;
    double start = now_s();
    while (now_s() - start < 1.0) {
        totp_verify(key, "000000", &w, NULL); /* matches nothing: the whole window is scanned */
        evaluations += 3001;
    }
    double rate = (double)evaluations / (now_s() - start);
    totp_key_free(key);
    return rate;
}

static double oneshot_rate(void)
{
    unsigned char msg[8] = {0}, md[EVP_MAX_MD_SIZE];
    size_t len;
    long evaluations = 0;
    double start = now_s();
    while (now_s() - start < 1.0) {
        for (int i = 0; i < 1000; i++) {
            msg[7] = (unsigned char)i;
            EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, "12345678901234567890", 20, msg,
                      sizeof(msg), md, sizeof(md), &len);
        }
        evaluations += 1000;
    }
    return (double)evaluations / (now_s() - start);
}

/* ---- logins -------------------------------------------------------------------------------- */

static int answer(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    for (int i = 0; i < n; i++) {
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
            r[i].resp = strdup(data);
    }
    *resp = r;
    return PAM_SUCCESS;
}

static void user_name(char *buf, size_t size, const char *prefix, long i)
{
    snprintf(buf, size, "%s%06ld", prefix, i);
}

static void code_for(long i, char code[TOTP_CODE_BUFSIZE], int right)
{
    totp_params p = TOTP_PARAMS_DEFAULT;
    totp_key *key = NULL;
    uint64_t step;
    if (!right) {
        strcpy(code, "000000");
        return;
    }
    totp_key_new(keys[i], 20, &p, &key);
    totp_time_step((int64_t)time(NULL), 30, &step);
    totp_hotp(key, step, code);
    totp_key_free(key);
}

/* libpam calls this instead of sleeping the delay a module asks for after a failure
 * (pam_fail_delay): the reject path measures the module's work, not a sleep. */
static void no_delay(int retval, unsigned usec, void *appdata)
{
    (void)retval, (void)usec, (void)appdata;
}

/* One login as sshd makes it; its wall time in seconds, negative if the result was not `want`. */
static double login(const char *service, const char *user, const char *code, int want)
{
    pam_handle_t *ph = NULL;
    struct pam_conv conv = {answer, (void *)code};
    double start = now_s();
    int rc = pam_start(service, user, &conv, &ph);
    if (rc == PAM_SUCCESS)
        rc = pam_set_item(ph, PAM_FAIL_DELAY, (const void *)no_delay);
    if (rc == PAM_SUCCESS)
        rc = pam_authenticate(ph, 0);
    pam_end(ph, rc);
    double t = now_s() - start;
    return (rc == PAM_SUCCESS) == want ? t : -t;
}

/* `procs` processes log in `logins` distinct users (from `first`) between them. Their login
 * times go to times[0..logins-1]; returns the logins per second of all of them together and
 * counts in *wrong the logins whose result was not the expected one. */
static double run(const char *service, const char *prefix, long first, long logins, int procs,
                  int right, double *times, long *wrong)
{
    double *shared = mmap(NULL, (size_t)logins * sizeof(double), PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    double start = now_s();
    for (int p = 0; p < procs; p++) {
        if (fork() == 0) {
            for (long i = p; i < logins; i += procs) {
                char user[32], code[TOTP_CODE_BUFSIZE];
                user_name(user, sizeof(user), prefix, first + i);
                code_for(first + i, code, right);
                shared[i] = login(service, user, code, right);
            }
            _exit(0);
        }
    }
    while (wait(NULL) > 0)
        ;
    double elapsed = now_s() - start;
    for (long i = 0; i < logins; i++) {
        if (shared[i] < 0)
            (*wrong)++;
        times[i] = shared[i] < 0 ? -shared[i] : shared[i];
    }
    munmap(shared, (size_t)logins * sizeof(double));
    return (double)logins / elapsed;
}

static double median_of(double *times, long n)
{
    qsort(times, (size_t)n, sizeof(double), compare_double);
    return times[n / 2];
}

#define ROUNDS 3

/* Alternating rounds: module a, then b, then a... (b first in odd rounds), each round on users
 * no one has used; the medians over all rounds. */
static void alternate(const char *sa, const char *pa, long *next_a, const char *sb, const char *pb,
                      long *next_b, long per_round, double *ma, double *mb, long *wrong)
{
    double *ta = calloc((size_t)(per_round * ROUNDS), sizeof(double));
    double *tb = calloc((size_t)(per_round * ROUNDS), sizeof(double));
    for (int r = 0; r < ROUNDS; r++) {
        for (int k = 0; k < 2; k++) {
            if ((k == 0) == (r % 2 == 0)) {
                run(sa, pa, *next_a, per_round, 1, 1, ta + r * per_round, wrong);
                *next_a += per_round;
            } else {
                run(sb, pb, *next_b, per_round, 1, 1, tb + r * per_round, wrong);
                *next_b += per_round;
            }
        }
    }
    *ma = median_of(ta, per_round * ROUNDS);
    *mb = median_of(tb, per_round * ROUNDS);
    free(ta);
    free(tb);
}

/* ---- set-up -------------------------------------------------------------------------------- */

static void write_record(const char *path, long i)
{
    totp_params p = TOTP_PARAMS_DEFAULT;
    totp_record *rec = NULL;
    char *text = NULL;
    size_t len;
    totp_record_new(keys[i], 20, &p, &rec);
    totp_record_serialize(rec, &text, &len);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        exit(1);
    }
    /* DISALLOW_REUSE is in the record: google-authenticator protects against replays too. */
    fputs(text, f);
    fclose(f);
    chmod(path, 0600);
    totp_wipe_string(text);
    totp_record_free(rec);
}

static void add_service(int slot, const char *name, const char *line)
{
    char path[128];
    snprintf(services[slot], sizeof(services[0]), "%s_%d", name, (int)getpid());
    snprintf(path, sizeof(path), "/etc/pam.d/%s", services[slot]);
    FILE *f = fopen(path, "w");
    fprintf(f, "%s\n", line);
    fclose(f);
    n_services = slot + 1 > n_services ? slot + 1 : n_services;
}

static void cleanup(void)
{
    char cmd[512];
    for (int i = 0; i < n_services; i++) {
        snprintf(cmd, sizeof(cmd), "/etc/pam.d/%s", services[i]);
        unlink(cmd);
    }
    if (ga_module[0] != '\0') {
        for (long i = 0; i < GA_USERS; i++) {
            char user[32];
            user_name(user, sizeof(user), "totpb", i);
            snprintf(cmd, sizeof(cmd), "userdel %s >/dev/null 2>&1", user);
            if (system(cmd) != 0)
                continue;
        }
    }
    if (strncmp(dir, "/tmp/pam_totp-bench.", 20) == 0) {
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench: could not remove %s\n", dir);
    }
}

static void on_signal(int sig)
{
    cleanup();
    _exit(128 + sig);
}

/* One line of the table: the median, its ratio to the floor, the cost above the floor, and
 * that cost as a ratio to a peer's (0: none). */
static void row(const char *what, double median, double floor_median, double peer_cost,
                const char *peer, double per_second, long wrong)
{
    printf("%-44s %7.3f ms %6.2fx %7.3f ms", what, median * 1e3, median / floor_median,
           (median - floor_median) * 1e3);
    if (peer_cost > 0)
        printf(" %5.2fx %-6s", (median - floor_median) / peer_cost, peer);
    else
        printf(" %13s", "");
    if (per_second > 0)
        printf(" %6.0f/s", per_second);
    printf("%s\n", wrong ? "  (UNEXPECTED RESULTS)" : "");
}

static void write_oath_users(const char *path, long n)
{
    FILE *f = fopen(path, "w");
    for (long i = 0; i < n; i++) {
        fprintf(f, "HOTP/T30 u%06ld - ", i);
        for (int k = 0; k < 20; k++)
            fprintf(f, "%02x", keys[i][k]);
        fputc('\n', f);
    }
    fclose(f);
    chmod(path, 0600);
}

int main(int argc, char **argv)
{
    long sizes[] = {100, 10000, 100000};
    if (geteuid() != 0) {
        fprintf(stderr, "bench: run as root (it writes /etc/pam.d service files)\n");
        return 77;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: bench PAM_TOTP_MODULE [GA_MODULE]\n");
        return 2;
    }
    snprintf(module, sizeof(module), "%s", argv[1]);
    if (argc > 2 && access(argv[2], R_OK) == 0)
        snprintf(ga_module, sizeof(ga_module), "%s", argv[2]);
    snprintf(dir, sizeof(dir), "/tmp/pam_totp-bench.XXXXXX");
    if (mkdtemp(dir) == NULL)
        return 1;
    atexit(cleanup);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    /* Start from quiet disks: an earlier run's files may still be being written back. */
    sync();
    keys = calloc(100000, sizeof(*keys));
    for (long i = 0; i < 100000; i++)
        totp_secret_generate(keys[i], 20);

    printf("libtotp window scan (3001 steps, HMAC-SHA1 keyed once): %.2f M evaluations/s\n",
           scan_rate() / 1e6);
    printf("one-shot OpenSSL HMAC-SHA1 (EVP_Q_mac, keyed each time): %.2f M evaluations/s\n\n",
           oneshot_rate() / 1e6);

    char line[2048], path[512], sys[300], oath[300];
    snprintf(sys, sizeof(sys), "%s/system", dir);
    snprintf(oath, sizeof(oath), "%s/users.oath", dir);
    mkdir(sys, 0700);
    add_service(0, "pam_totp_bench_permit", "auth required pam_permit.so");
    snprintf(line, sizeof(line), "auth required %s system_dir=%s", module, sys);
    add_service(1, "pam_totp_bench_totp", line);
    int have_oath = access(OATH_MODULE, R_OK) == 0;
    snprintf(line, sizeof(line), "auth required %s usersfile=%s window=3 digits=6", OATH_MODULE,
             oath);
    add_service(2, "pam_totp_bench_oath", line);

    double *times = calloc(4000, sizeof(double)), floor_median, m, m2, ps, ga_cost = 0;
    long wrong = 0;
    ps = run(services[0], "u", 0, 2000, 1, 1, times, &wrong);
    floor_median = median_of(times, 2000);
    printf("%-44s %10s %7s %10s %13s %8s\n", "login (pam_start+authenticate+end)", "median",
           "floor", "above", "vs peer", "rate");
    row("pam_permit only (the floor)", floor_median, floor_median, 0, "", ps, wrong);

    /* google-authenticator and pam_totp on the same files, for the same real users. */
    if (ga_module[0] != '\0') {
        char gadir[300], totpdir[300];
        snprintf(gadir, sizeof(gadir), "%s/ga", dir);
        snprintf(totpdir, sizeof(totpdir), "%s/ga-totp", dir);
        mkdir(gadir, 0700);
        mkdir(totpdir, 0700);
        for (long i = 0; i < GA_USERS; i++) {
            char user[32], cmd[256];
            user_name(user, sizeof(user), "totpb", i);
            snprintf(cmd, sizeof(cmd), "useradd -M -N -d /nonexistent -s /usr/sbin/nologin %s",
                     user);
            if (system(cmd) != 0) {
                fprintf(stderr, "bench: useradd %s failed\n", user);
                return 1;
            }
            snprintf(path, sizeof(path), "%s/%s", gadir, user);
            write_record(path, i);
            snprintf(path, sizeof(path), "%s/%s", totpdir, user);
            write_record(path, i);
        }
        snprintf(line, sizeof(line), "auth required %s secret=%s/${USER} user=root", ga_module,
                 gadir);
        add_service(3, "pam_totp_bench_ga", line);
        snprintf(line, sizeof(line), "auth required %s secret=%s/${USER} user=root", module,
                 totpdir);
        add_service(4, "pam_totp_bench_ga_layout", line);
        sync(); /* the accounts and files just made must not be written back while we measure */
        long na = 0, nb = 0;
        wrong = 0;
        alternate(services[3], "totpb", &na, services[4], "totpb", &nb, GA_USERS / ROUNDS, &m, &m2,
                  &wrong);
        ga_cost = m - floor_median;
        row("google-authenticator, accept, 200 users", m, floor_median, 0, "", 0, wrong);
        row("pam_totp, the same files and users, accept", m2, floor_median, ga_cost, "GA", 0,
            wrong);
    } else {
        printf("(pam_google_authenticator not installed: not compared)\n");
    }

    /* The system store at 100, 10k and 100k users, against pam_oath's users file of as many:
     * accept (each login a user who has not logged in yet), reject, 1/2/16 processes. */
    long made = 0, next_user = 0;
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        for (; made < sizes[s]; made++) {
            char user[32];
            user_name(user, sizeof(user), "u", made);
            snprintf(path, sizeof(path), "%s/%s", sys, user);
            write_record(path, made);
        }
        char what[96];
        double oath_cost = 0;
        sync();
        long per_round = sizes[s] < 300 ? sizes[s] / ROUNDS : 100, next_oath = 0;
        wrong = 0;
        if (have_oath) {
            write_oath_users(oath, sizes[s]);
            sync();
            alternate(services[1], "u", &next_user, services[2], "u", &next_oath, per_round, &m,
                      &m2, &wrong);
            oath_cost = m2 - floor_median;
            snprintf(what, sizeof(what), "pam_oath, accept, %ld users", sizes[s]);
            row(what, m2, floor_median, 0, "", 0, 0);
            snprintf(what, sizeof(what), "pam_totp, accept, %ld users", sizes[s]);
            row(what, m, floor_median, oath_cost, "oath", 0, wrong);
        }
        for (int procs = 2; procs <= 16; procs *= 8) {
            long logins = 1000;
            if (next_user + logins > sizes[s])
                break; /* not enough users who have not logged in yet */
            wrong = 0;
            double one = run(services[1], "u", next_user, logins, 1, 1, times, &wrong);
            next_user += logins;
            ps = run(services[1], "u", next_user, logins, procs, 1, times, &wrong);
            next_user += logins;
            snprintf(what, sizeof(what), "pam_totp, accept, %ld users, %d processes", sizes[s],
                     procs);
            row(what, median_of(times, logins), floor_median, 0, "", ps, wrong);
            printf("%-44s %.2fx the logins per second of 1 process\n", "", ps / one);
        }
        wrong = 0;
        long n = sizes[s] < 500 ? sizes[s] : 500;
        run(services[1], "u", 0, n, 1, 0, times, &wrong);
        snprintf(what, sizeof(what), "pam_totp, reject, %ld users", sizes[s]);
        row(what, median_of(times, n), floor_median, 0, "", 0, wrong);
        if (s == 0)
            next_user = sizes[0]; /* the 100 are used up; continue above them */
    }
    free(times);
    return 0;
}
