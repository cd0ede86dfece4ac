/* SPDX-License-Identifier: Apache-2.0 */
/* internal.h: helpers shared inside libtotp; never installed, never exported. */
#ifndef TOTP_INTERNAL_H
#define TOTP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "totp.h"

/* The OpenSSL digest name ("SHA1", ...) for an algorithm, NULL if unknown. */
const char *totpi_digest_name(totp_algorithm alg);

/* ASCII-only case-insensitive comparison, independent of the locale. */
int totpi_strcasecmp(const char *a, const char *b);

/* Whether `s` starts with `prefix`, ASCII case-insensitively. */
int totpi_has_prefix_ci(const char *s, const char *prefix);

/* Parse exactly `len` characters of decimal digits, at most `max`; 1 on success, else 0. */
int totpi_parse_uint(const char *s, size_t len, uint64_t max, uint64_t *v);

/* The largest clock skew, in steps, a record may hold (TIME_SKEW). */
#define TOTP_SKEW_MAX 1000000

/* Parse an optionally signed number of steps, |v| <= TOTP_SKEW_MAX; 1 on success, else 0. */
int totpi_parse_skew(const char *s, size_t len, int64_t *v);

/* NULL if `value` is acceptable for the record key `key` (known keys are validated; unknown
 * keys take anything without control characters), else the reason. */
const char *totpi_check_value(const char *key, const char *value);

/* The number of characters in `len` bytes of valid UTF-8 (no overlong forms, surrogates or
 * values above U+10FFFF) without control characters (C0, DEL, C1); -1 for anything else. */
long totpi_text_chars(const char *text, size_t len);

/* The code point of the UTF-8 sequence at `s` in `*cp` and its length in bytes, or 0 if `s`
 * does not start with a valid one (overlong, surrogate, above U+10FFFF, cut short). */
size_t totpi_utf8_decode(const unsigned char *s, uint32_t *cp);

/* `in` as one line for an error message: a trailing newline dropped, control characters as
 * \n, \r, \t or \xNN, invisible characters (totp_char_is_hidden) as \u{XXXX}, bytes that are
 * not UTF-8 as \xNN; cut to fit `size` at a character's end. Returns the length written. */
size_t totpi_one_line(const char *in, char *out, size_t size);

/* Whether `len` bytes of `key` make an option name: A-Z first, then A-Z, 0-9 or '_'. */
int totpi_key_is_well_formed(const char *key, size_t len);

/* The record's key with parameters the caller has already read from it. */
int totpi_record_key_with(const totp_record *rec, const totp_params *params, totp_key **key);

/* If `code` (8 digits) is one of the record's plain scratch codes, remove it and return 1. All
 * codes are compared in constant time. (Hashed ones: totpi_scratch_hash_take.) */
int totpi_record_take_scratch(totp_record *rec, const char *code);

/* The record's plain scratch codes (8 digits and a NUL each), at most `max` of them copied into
 * `codes` (NULL: only counted); returns how many the record has. */
size_t totpi_record_scratch_codes(const totp_record *rec, char (*codes)[9], size_t max);

/* The option that carries a directory's scratch codes as hashes ("$pbkdf2-sha256$..." values
 * separated by spaces; see scratch_hash.h). Present, even empty, on every record a directory
 * store reads; a file store's records carry plain codes instead. */
#define TOTPI_SCRATCH_HASH_KEY "SCRATCH_HASH"

/* Steps accepted before: every step at or below `floor` (if `has_floor`), and the `n` listed. */
typedef struct totpi_used {
    int has_floor;
    uint64_t floor;
    const uint64_t *steps;
    size_t n;
} totpi_used;

/* How far learning and TIME_SKEW may reach under `policy`, in steps of `period` seconds. */
uint64_t totpi_skew_bound(const totp_policy *policy, unsigned period);
/* TIME_SKEW, clamped to `bound`: a skew learned before there was one (GA's reaches 12.5 hours)
 * counts only as far as the bound. */
int64_t totpi_record_skew(const totp_record *rec, uint64_t bound);

/* totp_verify() with the steps `used` (NULL: none) in place of the window's watermark. */
int totpi_verify_used(const totp_key *key, const char *code, const totp_window *window,
                      const totpi_used *used, uint64_t *matched);

/* Judge a time-based `code` at `now` (skew.c): the window around now plus TIME_SKEW, replay
 * (TOTP_USED, DISALLOW_REUSE) and, unless policy->noskewadj, clock-skew learning within
 * policy->skew_max. Sets res->method, res->changed and the clock hint; returns TOTP_OK or why
 * not. */
int totpi_check_totp(totp_record *rec, const totp_key *key, const totp_params *params,
                     unsigned window, const char *code, int64_t now, const totp_policy *policy,
                     totp_result *res);

/* Remember `rhost` (if it can be stored) as the host of a code login at `now` (LASTn). */
int totpi_grace_note(totp_record *rec, const char *rhost, int64_t now);

/* The most attempts rate_limit=N/SECONDS may allow; the policy keeps N+1 timestamps. */
#define TOTPI_RATE_ATTEMPTS_MAX 1000

/* The throttle before judging: TOTP_ERATELIMIT (and how long is left in `res`) while the
 * record's failures hold codes off at `now`, else TOTP_OK. */
int totpi_throttle_check(const totp_record *rec, int64_t now, const totp_policy *policy,
                         totp_result *res);

/* After the outcome is recorded: the failure count and any delay now in force, in `res`. */
void totpi_throttle_note(const totp_record *rec, int64_t now, const totp_policy *policy,
                         totp_result *res);

/*
 * Read a file of root's: opened without following a symlink, a regular file owned by root (or by
 * our effective uid), with none of the `forbidden` permission bits (022: others may not change
 * it; 077: nor read it), at most 64 KiB. `*text` is malloc'ed and NUL-terminated; wipe it. With
 * `optional`, a missing file is TOTP_OK with `*text` NULL. Messages start with `label` + path.
 */
int totpi_read_root_file(const char *path, const char *label, mode_t forbidden, int optional,
                         char **text, size_t *len, mode_t *mode, totp_error *err);

/*
 * Read a site configuration file: a regular file owned by root (or by our effective uid) that
 * group and others cannot write, at most 64 KiB, opened without following a symlink. Each
 * "name = value" or "name" line (blank lines and lines starting with '#' skipped) goes to
 * `apply` (value NULL for a bare name); its error gets "PATH:LINE: " in front. With
 * `optional`, a missing file is not an error. `*was_read` says whether the file was there,
 * `*mode` its permission bits.
 */
int totpi_conf_read(const char *path, int optional,
                    int (*apply)(void *ctx, const char *name, const char *value, totp_error *err),
                    void *ctx, int *was_read, mode_t *mode, totp_error *err);

/* The line parser of totpi_conf_read(), on text in memory (changed in place). */
int totpi_conf_parse(char *text, const char *path,
                     int (*apply)(void *ctx, const char *name, const char *value, totp_error *err),
                     void *ctx, totp_error *err);

/* Told about each setting line of a site file: its number, the option's name, and why `apply`
 * refused it (NULL if it applied). */
typedef void (*totpi_conf_line_fn)(void *ctx, unsigned line, const char *name, const char *problem);

/* Like totpi_conf_parse(), but a refused line does not stop the walk: `done` hears of each. */
void totpi_conf_parse_each(char *text,
                           int (*apply)(void *ctx, const char *name, const char *value,
                                        totp_error *err),
                           void *ctx, totpi_conf_line_fn done, void *done_ctx);

/* totp_options_load()'s rule for the site file at `path` with permission bits `mode` once read
 * into `opt`: one that names ldap_bind_pw_file must not be readable by others. */
int totpi_options_conf_mode(const totp_options *opt, const char *path, mode_t mode,
                            totp_error *err);

/* Whether an ldap_filter is usable: one filter in parentheses, with at least one %u. */
int totpi_ldap_filter_ok(const char *filter);

/* Apply one site-file line to a totp_options (what totp_options_load() does per line). */
int totpi_options_conf_line(void *opt, const char *name, const char *value, totp_error *err);

/* The next space- or tab-separated token of `s` and its length; NULL when none is left. */
const char *totpi_next_token(const char *s, size_t *len);

/* totp_uri_build(); `compact` leaves out algorithm, digits and period where they are the Key
 * URI format's defaults (SHA1, 6, 30), which every app assumes: a shorter QR code. */
int totpi_uri_build(const totp_uri *uri, int compact, char **out);

/* Fill `err` (if not NULL) and return `code`. The message must never contain secrets. */
int totpi_fail(totp_error *err, int code, int sys_errno, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* All ones if `x` is zero, else zero: for branch-free selection on secret-dependent values. */
static inline uint64_t totpi_ct_is_zero(uint64_t x)
{
    return (uint64_t)0 - (((x | ((uint64_t)0 - x)) >> 63) ^ 1);
}

#endif /* TOTP_INTERNAL_H */
