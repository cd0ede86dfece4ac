/* SPDX-License-Identifier: Apache-2.0 */
/* totp.h: the public API of libtotp (HOTP/TOTP, base32, otpauth URIs, secrets). */
#ifndef TOTP_H
#define TOTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Conventions
 * - Every function returns an int: TOTP_OK (0) on success or a negative TOTP_E* code. Nothing
 *   prints, exits, or keeps global state; all functions are thread-safe.
 * - Time is always passed in by the caller (seconds since the Unix epoch); the library never
 *   reads the clock itself.
 * - Buffers that held key material are wiped with OPENSSL_cleanse before they are released.
 */

/* Error codes. */
enum {
    TOTP_OK = 0,
    TOTP_EINVAL = -1,      /* a NULL or otherwise unusable argument */
    TOTP_ENOMEM = -2,      /* allocation failed */
    TOTP_ECRYPTO = -3,     /* OpenSSL reported a failure */
    TOTP_EBUFFER = -4,     /* output buffer too small */
    TOTP_EBASE32 = -5,     /* not valid base32 */
    TOTP_EKEYLEN = -6,     /* key shorter than 10 or longer than 64 bytes */
    TOTP_EDIGITS = -7,     /* digits not 6, 7 or 8 */
    TOTP_EPERIOD = -8,     /* period not within 1..300 seconds */
    TOTP_EALGORITHM = -9,  /* unknown HMAC algorithm */
    TOTP_ETIME = -10,      /* time before the epoch or out of range */
    TOTP_ECODE = -11,      /* the code is not exactly `digits` decimal digits */
    TOTP_EMISMATCH = -12,  /* the code matches no step in the window */
    TOTP_EREPLAY = -13,    /* the code matches only steps at or below the watermark */
    TOTP_EURI = -14,       /* malformed otpauth URI */
    TOTP_ERANDOM = -15,    /* the random generator failed */
    TOTP_EFORMAT = -16,    /* a record is malformed */
    TOTP_ENOENT = -17,     /* no record for this user */
    TOTP_EPERM = -18,      /* a file has the wrong type, owner or mode, or access was denied */
    TOTP_EIO = -19,        /* reading or durably writing a record failed */
    TOTP_ELOCKED = -20,    /* the record stayed locked by another process for too long */
    TOTP_EUSER = -21,      /* unknown user, or a user name unfit for a path */
    TOTP_ERATELIMIT = -22, /* too many attempts: RATE_LIMIT or the site floor */
    TOTP_EEXIST = -23,     /* a record already exists */
    TOTP_EUNTRUSTED = -30, /* the record is one the user can write, and system_only is set */
};

/* The last error code; tests walk TOTP_OK..TOTP_ELAST. */
#define TOTP_ELAST TOTP_EEXIST

/*
 * Details of a failure, for an administrator: one line naming the file (and line) and the
 * reason. Never contains key material, codes or scratch codes.
 */
typedef struct totp_error {
    int code;          /* TOTP_E* */
    int sys_errno;     /* errno of the failed system call, or 0 */
    unsigned line;     /* record line number for TOTP_EFORMAT, or 0 */
    char message[384]; /* e.g. "/var/lib/totp/alice: line 3: STEP_SIZE must be 1 to 300" */
} totp_error;

/* A short, static, human-readable reason for an error code (never NULL). */
const char *totp_strerror(int err);

/* ---- Parameters -------------------------------------------------------------------------- */

typedef enum {
    TOTP_SHA1 = 0,
    TOTP_SHA256 = 1,
    TOTP_SHA512 = 2,
} totp_algorithm;

#define TOTP_KEY_MIN      10 /* bytes */
#define TOTP_KEY_MAX      64 /* bytes */
#define TOTP_DIGITS_MIN   6
#define TOTP_DIGITS_MAX   8
#define TOTP_PERIOD_MIN   1   /* seconds */
#define TOTP_PERIOD_MAX   300 /* seconds */
#define TOTP_CODE_BUFSIZE (TOTP_DIGITS_MAX + 1)

typedef struct totp_params {
    totp_algorithm algorithm; /* HMAC hash */
    unsigned digits;          /* 6, 7 or 8 */
    unsigned period;          /* TOTP time step in seconds, 1..300 (unused by HOTP) */
} totp_params;

/* SHA1, 6 digits, 30 seconds: what every authenticator app assumes when a URI says nothing. */
#define TOTP_PARAMS_DEFAULT                                                                        \
    {                                                                                              \
        TOTP_SHA1, 6, 30                                                                           \
    }

/* TOTP_OK if every field is in range, otherwise the error naming the first bad field. */
int totp_params_check(const totp_params *params);

/* "SHA1", "SHA256", "SHA512"; NULL for an unknown value. */
const char *totp_algorithm_name(totp_algorithm alg);

/* Parse an algorithm name, case-insensitively; TOTP_EALGORITHM if unknown. */
int totp_algorithm_parse(const char *name, totp_algorithm *alg);

/* ---- Keys and codes ---------------------------------------------------------------------- */

/* An HMAC key with its algorithm and code length; opaque, wiped on free. */
typedef struct totp_key totp_key;

/* Copy `len` key bytes (10..64) into a new key. `params->period` is not checked here. */
int totp_key_new(const uint8_t *bytes, size_t len, const totp_params *params, totp_key **out);

/* Wipe and free a key; NULL is allowed. */
void totp_key_free(totp_key *key);

/* The HOTP code (RFC 4226) for `counter`, as `digits` decimal digits and a NUL. */
int totp_hotp(const totp_key *key, uint64_t counter, char code[TOTP_CODE_BUFSIZE]);

/* The RFC 6238 time step of `unix_time` for `period` seconds (T0 = 0). */
int totp_time_step(int64_t unix_time, unsigned period, uint64_t *step);

/*
 * Which counters or time steps a verification tries, around `center`:
 * center - behind ... center + ahead (clamped to 0 and UINT64_MAX). Steps at or below the
 * watermark never match; a code that matches only there is reported as TOTP_EREPLAY.
 */
typedef struct totp_window {
    uint64_t center;
    unsigned behind;
    unsigned ahead;
    int has_watermark;  /* 0: nothing was ever accepted */
    uint64_t watermark; /* the last accepted step or counter */
} totp_window;

/* Scan at most this many steps in one verification (behind + ahead + 1); room for GA's
 * +-1500-step clock-skew search. */
#define TOTP_WINDOW_MAX 3001

/*
 * Verify `code` against every step of `window`. The HMAC key is set up once; each candidate is
 * compared in constant time and the scan never stops early. On TOTP_OK, `*matched` (if not NULL)
 * is the matching step above the watermark nearest `center` (the earlier of two as near), which
 * the caller must record as the new watermark. Returns TOTP_ECODE for a malformed code,
 * TOTP_EMISMATCH or TOTP_EREPLAY otherwise.
 */
int totp_verify(const totp_key *key, const char *code, const totp_window *window,
                uint64_t *matched);

/* ---- Base32 (RFC 4648) ------------------------------------------------------------------- */

#define TOTP_BASE32_PAD 1 /* flag: append '=' padding to a multiple of 8 characters */

/* Characters needed to encode `len` bytes, not counting the terminating NUL. */
size_t totp_base32_encoded_len(size_t len, int flags);

/* Encode `len` bytes as upper-case base32 into `out` (with a NUL); TOTP_EBUFFER if too small. */
int totp_base32_encode(const uint8_t *in, size_t len, char *out, size_t outsize, int flags);

/*
 * Decode base32 text: case-insensitive; spaces are ignored anywhere and '=' padding at the end.
 * Any other character, or a length that cannot come from whole bytes, is TOTP_EBASE32. On error
 * `out` is wiped. `*outlen` receives the number of bytes written.
 */
int totp_base32_decode(const char *in, uint8_t *out, size_t outsize, size_t *outlen);

/* ---- otpauth Key URIs -------------------------------------------------------------------- */

typedef enum {
    TOTP_TYPE_TOTP = 0,
    TOTP_TYPE_HOTP = 1,
} totp_type;

/* The fields of an otpauth://TYPE/LABEL?PARAMETERS URI. Strings are UTF-8. */
typedef struct totp_uri {
    totp_type type;
    char *issuer;  /* NULL if the URI has none */
    char *account; /* never NULL after a successful parse */
    uint8_t *key;  /* key_len bytes of secret */
    size_t key_len;
    totp_params params;
    uint64_t counter; /* HOTP only: the initial counter */
} totp_uri;

/*
 * Build "otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=...&algorithm=...&digits=...&period=..."
 * (or hotp with counter=...). `issuer` may be NULL. The label and values are percent-encoded
 * (RFC 3986 unreserved characters stay as they are). `*out` is malloc'ed; wipe it with
 * totp_wipe_string() since it contains the secret.
 */
int totp_uri_build(const totp_uri *uri, char **out);

/*
 * Parse an otpauth URI into `uri`, which the caller later releases with totp_uri_clear().
 * Unknown parameters are ignored; missing algorithm/digits/period take the defaults. Errors:
 * TOTP_EURI (structure, escapes, invalid UTF-8, control characters, conflicting issuers,
 * repeated parameters), TOTP_EBASE32, TOTP_EKEYLEN, TOTP_EDIGITS, TOTP_EPERIOD, TOTP_EALGORITHM.
 */
int totp_uri_parse(const char *text, totp_uri *uri);

/* Wipe and free what totp_uri_parse() allocated, and zero the struct. NULL is allowed. */
void totp_uri_clear(totp_uri *uri);

/* ---- Secrets and scratch codes ----------------------------------------------------------- */

/* The size of a new secret for `alg`: 20 bytes for SHA1, 32 for SHA256, 64 for SHA512. */
size_t totp_secret_default_len(totp_algorithm alg);

/* Fill `len` (10..64) bytes of `out` from the OpenSSL CSPRNG (RAND_bytes). */
int totp_secret_generate(uint8_t *out, size_t len);

#define TOTP_SCRATCH_MIN 10000000u /* scratch codes have 8 digits, the first not zero */
#define TOTP_SCRATCH_MAX 99999999u

#define TOTP_SCRATCH_COUNT_MAX 100 /* at most this many in one set */

/* `n` (<= TOTP_SCRATCH_COUNT_MAX) distinct uniformly random scratch codes. */
int totp_scratch_generate(uint32_t *codes, size_t n);

/* ---- Records: the google-authenticator file format and our extensions ----------------- */

/*
 * A parsed record: the secret on line 1, then `" KEY value` option lines and 8-digit scratch
 * codes, in file order. Unknown keys are kept and written back in place. Opaque; see totp(5).
 */
typedef struct totp_record totp_record;

#define TOTP_RECORD_MAX 65536 /* bytes */

/* Parse `len` bytes. On TOTP_EFORMAT, `err` (if not NULL) names the line and the reason. */
int totp_record_parse(const char *text, size_t len, totp_record **out, totp_error *err);

/* A new TOTP record (TOTP_AUTH, DISALLOW_REUSE) for a key; ALGORITHM/DIGITS/STEP_SIZE are
 * written only where they differ from SHA1/6/30, so google-authenticator can read it. */
int totp_record_new(const uint8_t *key, size_t len, const totp_params *params, totp_record **out);

/* Wipe and free; NULL is allowed. */
void totp_record_free(totp_record *rec);

/* The file text (malloc'ed, NUL-terminated; wipe with totp_wipe_string). */
int totp_record_serialize(const totp_record *rec, char **text, size_t *len);

/* An option's value ("" for a bare key such as TOTP_AUTH), or NULL when absent. */
const char *totp_record_get(const totp_record *rec, const char *key);

/* Set (replace in place, or add after the other options) or remove an option. Known keys are
 * validated as the parser would; TOTP_EFORMAT if the value is not acceptable. */
int totp_record_set(totp_record *rec, const char *key, const char *value);

/* Why `value` is not acceptable for `key` (a sentence such as "must be 1 to 128 characters
 * without ':'"), or NULL if it is: the check totp_record_set() applies. */
const char *totp_record_check(const char *key, const char *value);
int totp_record_unset(totp_record *rec, const char *key);

/* The secret, and the algorithm/digits/period the record says (or `defaults` where silent). */
int totp_record_key(const totp_record *rec, const totp_params *defaults, totp_key **key);
int totp_record_params(const totp_record *rec, const totp_params *defaults, totp_params *out);
int totp_record_secret(const totp_record *rec, uint8_t out[TOTP_KEY_MAX], size_t *len);

/* Scratch codes: how many are left, and replacing the whole set. */
size_t totp_record_scratch_count(const totp_record *rec);
int totp_record_set_scratch(totp_record *rec, const uint32_t *codes, size_t n);

/* A new authenticator for `rec` (a lost phone): `from`'s secret, the keys that describe it
 * (TOTP_AUTH or HOTP_COUNTER, STEP_SIZE, ALGORITHM, DIGITS; the old device's TIME_SKEW and
 * RESETTING_TIME_SKEW go), its used steps (TOTP_USED, DISALLOW_REUSE: the confirming code's;
 * the old ones were the old secret's codes) and its scratch codes (every old one, plain or
 * hashed, dies); every other key (WINDOW_SIZE, RATE_LIMIT, ISSUER, ACCOUNT, history, unknown
 * keys) stays as it is. On failure `rec` may be half changed. */
int totp_record_replace_secret(totp_record *rec, const totp_record *from);

/*
 * The otpauth URI of the record (its ISSUER and ACCOUNT keys, else `issuer` and `account`),
 * malloc'ed; wipe it with totp_wipe_string().
 */
int totp_record_uri(const totp_record *rec, const totp_params *defaults, const char *issuer,
                    const char *account, char **uri);

/*
 * A new record from an otpauth URI made by another system (pyotp, otplib, oathtool, an
 * authenticator's export): its secret, algorithm, digits and period; for HOTP the counter
 * (HOTP_COUNTER, at least 1); ISSUER and ACCOUNT when they fit totp(5). `*account` receives the
 * URI's account name (malloc'ed). otpauth-migration:// exports are refused with a message
 * saying so. Errors as totp_uri_parse(), with `err` saying what is wrong (never the secret).
 */
int totp_record_from_uri(const char *text, totp_record **out, char **account, totp_error *err);

/* The user name an imported URI's account names: the account up to its first '@'
 * ("alice@example.com" and "alice" both name alice). TOTP_EUSER if there is none. */
int totp_uri_account_user(const char *account, char *user, size_t size);

/* The replay watermark of a TOTP record: the highest time step in DISALLOW_REUSE, the last one
 * a code was accepted for. TOTP_ENOENT if there is none yet. */
int totp_record_last_step(const totp_record *rec, uint64_t *step);

/* The code the record expects at `now` under `policy` (its defaults and skew_max): for TOTP at
 * now's step plus TIME_SKEW, as far as skew_max lets the module honour it; for HOTP at
 * HOTP_COUNTER. `*step` (if not NULL) receives that step or counter. */
struct totp_policy;
int totp_record_expected_code(const totp_record *rec, const struct totp_policy *policy, int64_t now,
                              char code[TOTP_CODE_BUFSIZE], uint64_t *step);

/* ---- Verification policy ----------------------------------------------------------------- */

/*
 * The guessing bound (on by default): after `free_failures` consecutive failures (the record's
 * FAILURES count), no code is judged until `first_delay` seconds after the last failure; each
 * further failure doubles the delay, up to `max_delay` seconds, which grows in proportion to a
 * window wider than 3 codes. A success resets it. max_delay 0 turns it off.
 */
typedef struct totp_throttle {
    unsigned free_failures; /* failures in a row without delay (3) */
    unsigned first_delay;   /* seconds to wait after them (15), doubled per further failure */
    unsigned max_delay;     /* the longest wait for a window of 3 (120); 0: off */
} totp_throttle;

#define TOTP_THROTTLE_DEFAULT                                                                      \
    {                                                                                              \
        3, 15, 120                                                                                 \
    }

/* How far in the future (seconds) a recorded failure or attempt is still believed: another
 * host whose clock is ahead of ours by up to this much wrote it, or our clock was set back.
 * Such a failure holds codes off until it is behind us and its delay has passed, so hosts
 * whose clocks differ by up to this much share one guessing bound. A failure further ahead
 * is taken for a broken clock and not believed (a host far ahead would otherwise lock its
 * users out everywhere until its time came); the module logs it. */
#define TOTP_THROTTLE_CLOCK_TOLERANCE 900

/* Site-wide settings the policy applies to every record. */
typedef struct totp_policy {
    totp_params defaults;   /* algorithm/digits/period for records that do not say */
    unsigned window;        /* WINDOW_SIZE for records that do not say (GA: 3) */
    unsigned rate_attempts; /* site floor: at most this many attempts... (0: none) */
    unsigned rate_interval; /* ...in this many seconds; applies on top of RATE_LIMIT */
    int noskewadj;          /* do not learn TIME_SKEW from codes outside the window */
    int no_increment_hotp;  /* a failed HOTP attempt does not advance HOTP_COUNTER */
    unsigned grace_period;  /* seconds; > 0: remember the host of each code login (LASTn) */
    const char *rhost;      /* the remote host of this login, or NULL */
    totp_throttle throttle; /* the guessing bound (throttle=) */
    unsigned skew_max;      /* seconds TIME_SKEW and its learning may reach; 0: the default */
} totp_policy;

/* How far a phone's clock may be off and still be learned (and TIME_SKEW honoured), in
 * seconds, unless the policy says: phones that keep network time are seconds off; a clock set
 * by hand, minutes. At most TOTP_SKEW_MAX_SECONDS. */
#define TOTP_SKEW_MAX_DEFAULT 300
#define TOTP_SKEW_MAX_SECONDS 45000

#define TOTP_POLICY_DEFAULT                                                                        \
    {                                                                                              \
        TOTP_PARAMS_DEFAULT, 3, 0, 0, 0, 0, 0, NULL, TOTP_THROTTLE_DEFAULT, 0                      \
    }

typedef enum {
    TOTP_BY_NONE = 0,
    TOTP_BY_TOTP,    /* a time-based code */
    TOTP_BY_HOTP,    /* a counter-based code */
    TOTP_BY_SCRATCH, /* a scratch code, now removed */
    TOTP_BY_SKEW,    /* the third consistent out-of-window code: TIME_SKEW learned (as GA) */
} totp_method;

typedef struct totp_result {
    int verdict;            /* TOTP_OK, or why not: EMISMATCH, EREPLAY, ECODE, ERATELIMIT, ... */
    totp_method method;     /* how it was accepted */
    int changed;            /* the record holds new state that must be committed */
    size_t scratch_left;    /* scratch codes left afterwards */
    size_t code_len;        /* TOTP_INPUT_SUFFIX: how many trailing characters were the code */
    int clock_hint;         /* a wrong time-based code is the code of a step within an hour... */
    int64_t off_by;         /* ...this many seconds from the expected one: check the clocks */
    uint64_t failures;      /* consecutive failures afterwards (FAILURES) */
    unsigned throttle_wait; /* seconds until a code is judged again (0: now) */
    int throttle_started;   /* this failure began the delays (log it once) */
    int64_t failure_ahead;  /* > 0: the record's last failure was this far in the future and
                             * beyond TOTP_THROTTLE_CLOCK_TOLERANCE, so not believed: a clock
                             * is wrong (log it) */
} totp_result;

/* The log reason for a wrong code that is another step's code: "wrong code (matches a code N s
 * behind: check the clocks)" in `buf`, and 1; 0 (buf untouched) when `res` has no such hint.
 * Never the code. */
int totp_clock_hint(const totp_result *res, char *buf, size_t size);

/* Input flag: the code is at the end of the input, after a password (forward_pass). The last
 * 8 characters are tried as a scratch code, then the last DIGITS as a code; spaces are part of
 * the password, not ignored. It counts as one attempt. */
#define TOTP_INPUT_SUFFIX 1

/*
 * Decide on `code` at `now` (Unix seconds, from the caller's clock) and update `rec` in memory:
 * the throttle (while it holds, TOTP_ERATELIMIT without looking at the code or changing the
 * record), rate limit, scratch codes, the TOTP window or HOTP look-ahead, the replay watermark
 * (always on: DISALLOW_REUSE for TOTP, HOTP_COUNTER for HOTP), and TIME_SKEW learning. Returns the
 * verdict (also in `res`). The caller must commit `rec` if res->changed, and must treat a
 * failed commit as a denial.
 */
int totp_policy_check(totp_record *rec, const char *code, int flags, int64_t now,
                      const totp_policy *policy, totp_result *res);

/* The seconds the throttle imposes after `failures` consecutive failures with `window`. */
unsigned totp_throttle_delay(const totp_throttle *throttle, uint64_t failures, unsigned window);

typedef struct totp_throttle_info {
    uint64_t failures;    /* consecutive failures (FAILURES), 0 if none */
    int64_t last_failure; /* when the last one was, -1 if unknown */
    unsigned delay;       /* the delay those failures impose, seconds */
    unsigned left;        /* still to wait at `now` (counting a failure in the future from when
                           * it will have happened): 0 if a code would be judged */
    int64_t ahead;        /* how far the last failure lies in the future of `now` (0: not) */
    int untrusted;        /* ahead by more than TOTP_THROTTLE_CLOCK_TOLERANCE: not believed */
} totp_throttle_info;

/* The throttle of `rec` at `now` under `policy`, from FAILURES (for `totpctl status`). */
int totp_throttle_state(const totp_record *rec, int64_t now, const totp_policy *policy,
                        totp_throttle_info *info);

/*
 * google-authenticator's grace period: 1 if the last code login from `rhost` (a LASTn line) was
 * less than `period` seconds before `now`, else 0. An empty or NULL rhost never qualifies.
 */
int totp_grace_applies(const totp_record *rec, const char *rhost, int64_t now, unsigned period);

/* ---- Stores ------------------------------------------------------------------------------ */

/* Where records live; opaque: the file store or the LDAP store. */
typedef struct totp_store totp_store;

/* One locked read-modify-write of one user's record; opaque. */
typedef struct totp_txn totp_txn;

typedef struct totp_file_store_config {
    const char *system_dir;  /* NULL: /var/lib/totp; "" turns the system store off */
    const char *secret_path; /* secret=: a path template (~, ${HOME}, ${USER}); NULL: lookup */
    int fixed_user;          /* user=: act as (and expect files owned by) fixed_uid */
    uid_t fixed_uid;
    mode_t allowed_perm;              /* mode bits a record may have; 0 means 0600 */
    int no_strict_owner;              /* do not check who owns a record in a home directory */
    uid_t system_owner;               /* owner of the system store (0; tests use their own uid) */
    unsigned lock_timeout_ms;         /* give up waiting for a lock after this long; 0 means 5000 */
    int skip_unreadable_system_store; /* a system store we may not read, or that is missing,
                                       * counts as empty (for users' own tools; otherwise that
                                       * is an error) */
    /* debug: called once for each place looked at, with "PATH: absent", "PATH: found" or
     * "PATH: " and why it cannot be used (never anything secret); NULL: silent. */
    void (*trace)(void *trace_ctx, const char *message);
    void *trace_ctx;
    int system_only; /* system_only: trust only records the user cannot write (the system
                      * store, a secret= file root's alone); one in the home is
                      * TOTP_EUNTRUSTED */
} totp_file_store_config;

int totp_store_file_new(const totp_file_store_config *config, totp_store **out);

/*
 * The LDAP store: OATH-LDAP entries as OpenLDAP's slapo-otp reads them. The user entry (found
 * under `base` with `filter`) has objectClass oathTOTPUser and oathTOTPToken: the token entry's
 * DN; the token has oathSecret, oathTOTPParams (the DN of the shared parameters entry) and the
 * replay watermark oathTOTPLastTimeStep, which a commit moves with one compare-and-swap modify
 * (delete the old value, add the new): a transaction that loses the race fails with
 * TOTP_EREPLAY. A user with only an oathHOTPToken gets an HOTP record, its oathHOTPCounter moved
 * the same way. Enrollment (TOTP_TXN_CREATE) makes TOTP tokens; committing a record with another
 * secret or parameters (or over a TOTP_TXN_UNREAD begin) replaces them on the token in one
 * modify. See totp(5).
 */
typedef struct totp_ldap_store_config {
    const char *uri;          /* ldap_uri: ldap://, ldaps:// or ldapi:// URIs, space-separated */
    const char *base;         /* ldap_base: where users are searched, and parameters created */
    const char *filter;       /* ldap_filter with %u for the user; NULL means "(uid=%u)" */
    const char *bind_dn;      /* ldap_bind_dn; NULL: no bind (anonymous) */
    const char *bind_pw_file; /* ldap_bind_pw_file: the password, in a root-only (0600) file */
    int starttls;             /* ldap_starttls: StartTLS on an ldap:// connection */
    const char *ca_file;      /* ldap_ca_file: the CA certificates to check the server with */
    unsigned timeout;         /* ldap_timeout: seconds to connect and per operation; 0 means 5 */
    int insecure_cleartext;   /* ldap_insecure_cleartext: allow ldap:// without StartTLS (tests) */
} totp_ldap_store_config;

int totp_store_ldap_new(const totp_ldap_store_config *config, totp_store **out, totp_error *err);
void totp_store_free(totp_store *store);

#define TOTP_TXN_CREATE                                                                            \
    1                     /* begin: prepare a new record where enrollment would put it (root: the  \
                           * system store; a user: ~/.config/totp/secret; or secret_path) */
#define TOTP_TXN_SYSTEM 2 /* with TOTP_TXN_CREATE: in the system store, whoever we are */
#define TOTP_TXN_UNREAD                                                                            \
    4 /* begin: find and lock the record but do not read it, so that a broken one can still be     \
       * removed or replaced; `*rec` is NULL */
#define TOTP_TXN_RESEAL                                                                            \
    8 /* begin: the commit writes the secret again, sealed under the store's current key (store=ad \
       * key rotation); stores that seal nothing ignore it */

/*
 * Lock and read `user`'s record (the first that exists, in lookup order). TOTP_ENOENT when the
 * user has none. With TOTP_TXN_CREATE, `*rec` is NULL and the commit creates the record
 * (TOTP_EEXIST if one appeared meanwhile).
 */
int totp_store_begin(totp_store *store, const char *user, int flags, totp_txn **txn,
                     totp_record **rec, totp_error *err);

/* Durably replace (or create) the record and end the transaction; the txn is freed. */
int totp_txn_commit(totp_txn *txn, const totp_record *rec, totp_error *err);

/* Delete the record durably and end the transaction; the txn is freed. */
int totp_txn_remove(totp_txn *txn, totp_error *err);

/* Release the lock without writing; the txn is freed. NULL is allowed. */
void totp_txn_abort(totp_txn *txn);

/* The users with a record in the system store (names malloc'ed, NULL-terminated array); free
 * with totp_store_list_free(). */
int totp_store_list(totp_store *store, char ***users, totp_error *err);
void totp_store_list_free(char **users);

/* The account's own spelling of `name` (pw_name of getpwnam_r), malloc'ed: every path and
 * lookup uses it, so that "ALICE" from a case-insensitive account source finds alice's
 * records. TOTP_EUSER if there is no such account, TOTP_EIO if the lookup failed. */
int totp_user_canonical(const char *name, char **canonical, totp_error *err);

/* 1 if `store` is a file store with secret= set and the system store still has a record for
 * `user` (its path in `path`), which that secret= line hides; else 0. */
int totp_store_hides_system_record(totp_store *store, const char *user, char *path, size_t size);

/*
 * Remove every record that would authenticate `user`, in the lookup order (for files: the
 * system record, ~/.config/totp/secret, ~/.google_authenticator; each home file as the user),
 * so that removing one never makes the next one active. `*removed` receives the locations
 * removed (free with totp_store_list_free()), also when an error stops the walk part way.
 * TOTP_ENOENT if there was none. A system record of an account that no longer exists is removed
 * too (there is then no home to look in).
 */
int totp_store_remove_all(totp_store *store, const char *user, char ***removed, totp_error *err);

/* Enrollment at login (pam_totp enroll_at_login): an administrator's allowance for `user` to
 * enroll until `until` (Unix seconds; 0 revokes it). A store that keeps none: TOTP_EINVAL. */
int totp_store_allow_enroll(totp_store *store, const char *user, int64_t until, totp_error *err);
/* The allowance's expiry in `*until`, expired or not; TOTP_ENOENT if there is none. */
int totp_store_enroll_allowance(totp_store *store, const char *user, int64_t *until,
                                totp_error *err);
/* Use the allowance up for an enrollment at `now`: remove it only if it is still the one read
 * (a compare-and-swap), and only if it was valid at `now` (totp_enroll_permitted). TOTP_OK: it
 * was this caller's to spend, and no other enrollment can use it; TOTP_ENOENT: none (expired,
 * revoked, or spent by another host meanwhile). Spend it before creating the record, and do
 * not put it back if the creation fails: one allowance never enrolls twice. */
int totp_store_spend_allowance(totp_store *store, const char *user, int64_t now, totp_error *err);

/* Where the record of a transaction lives (for logs and totpctl). */
const char *totp_txn_location(const totp_txn *txn);

/*
 * The whole login decision: begin, totp_policy_check, commit when the state changed. If the
 * new state cannot be made durable the answer is TOTP_EIO (or the store's error) and `res`
 * says nothing about whether the code was right. `location` (if not NULL) receives where the
 * record lives, for logs.
 */
int totp_authenticate(totp_store *store, const char *user, const char *code, int flags, int64_t now,
                      const totp_policy *policy, totp_result *res, char *location,
                      size_t location_size, totp_error *err);

/* ---- Options: module arguments and the site configuration file ------------------------- */

typedef enum {
    TOTP_PASS_PROMPT = 0, /* ask with the PAM conversation */
    TOTP_PASS_TRY_FIRST,  /* try_first_pass: an earlier module's PAM_AUTHTOK, then ask */
    TOTP_PASS_USE_FIRST,  /* use_first_pass: only an earlier module's PAM_AUTHTOK */
} totp_pass_mode;

/*
 * Everything pam_totp's arguments and pam_totp.conf can say (see pam_totp(8)). Strings point
 * into storage the struct owns; release with totp_options_clear().
 */
typedef struct totp_options {
    totp_policy policy;           /* window= digits= algorithm= rate_limit= noskewadj ... */
    totp_file_store_config store; /* secret= user= allowed_perm= no_strict_owner system_dir= */
    const char *prompt;           /* authtok_prompt=, or NULL for the default */
    totp_pass_mode pass_mode;
    int forward_pass;
    int nullok;
    int debug;
    int echo_code;                   /* echo_verification_code */
    int allow_readonly;              /* accepted for compatibility; replay safety still wins */
    int nodelay;                     /* no pam_fail_delay() request on failure */
    const char *conf;                /* conf=: the site file read, NULL if none */
    int ldap_store;                  /* store=ldap or store=ad: a directory (else store=file) */
    totp_ldap_store_config ldap;     /* ldap_uri= ldap_base= ldap_filter= ... */
    char *owned[16];                 /* copies the pointers above refer to */
    int ad_store;                    /* store=ad: Active Directory (ldap_store is set too) */
    const char *ad_key_file;         /* ad_key_file: the fleet keys that seal secrets (store=ad) */
    int enroll_at_login;             /* enroll_at_login: a user with no record may enroll... */
    const char *enroll_group;        /* ...if in enroll_group=GROUP, or holding an allowance */
    int enroll_replace_with_scratch; /* a scratch-code login may replace the authenticator */
    const char *issuer;              /* issuer=: new records' (totpctl, enroll_at_login) */
} totp_options;

#define TOTP_CONF_DEFAULT "/etc/security/pam_totp.conf"

/* Defaults: google-authenticator's (window 3, SHA1/6/30, allowed_perm 0600, ...). */
void totp_options_init(totp_options *opt);

/* Apply one "name" or "name=value" option. TOTP_EINVAL with `err` naming it if unknown or if
 * the value is bad. */
int totp_options_set(totp_options *opt, const char *arg, totp_error *err);

/*
 * Read the site file (conf= among `argv`, else TOTP_CONF_DEFAULT if it exists), then apply
 * `argv` over it. The file must be a regular file owned by root (or by the user running us)
 * that others cannot write; its lines are "name = value", "name" or "# comment".
 */
int totp_options_load(totp_options *opt, int argc, const char **argv, totp_error *err);

void totp_options_clear(totp_options *opt);

/* The store the options describe: the file store, or with store=ldap the LDAP store (which
 * needs ldap_uri and ldap_base, and refuses rate_limit and grace_period, whose state the
 * directory cannot hold), or with store=ad the Active Directory store (which needs ldap_uri
 * with TLS, ldap_base, ldap_bind_dn, ldap_bind_pw_file and ad_key_file; see totp(5)).
 * TOTP_EINVAL with `err` naming the problem. */
int totp_options_store(const totp_options *opt, totp_store **out, totp_error *err);

/* ---- Configuration check (totpctl check) ----------------------------------------------- */

/* Told about each setting line of a site file: its number, the option's name, and why the
 * module would refuse it (NULL if it applies). */
typedef void (*totp_conf_line_fn)(void *ctx, unsigned line, const char *name, const char *problem);

/*
 * Read the site file `path` exactly as totp_options_load() does and apply each line it accepts
 * to `opt`, but go on past a refused line, so that every bad line is found: `fn` hears of each
 * setting line. A file the module would refuse as a whole (missing: TOTP_ENOENT; a symbolic
 * link, not a regular file, not root's, writable by others, a NUL byte, readable by others
 * while it names ldap_bind_pw_file: TOTP_EPERM or TOTP_EINVAL) is an error with `err` saying
 * why; once read, its lines have all been reported even when the file is then refused.
 */
int totp_conf_check(const char *path, totp_options *opt, totp_conf_line_fn fn, void *ctx,
                    totp_error *err);

/* Whether the module can use the file `path` given to `option` (ldap_bind_pw_file or
 * ad_key_file): a regular file of root's (or ours) that group and others cannot read, with a
 * password on its first line, or keys that parse. TOTP_OK, or `err` says why not. */
int totp_secret_file_check(const char *option, const char *path, totp_error *err);

/* The accounts a directory store (store=ldap or store=ad) holds, enrolled or not: the names in
 * the entries under ldap_base that ldap_filter matches with any name (AD: user objects that
 * are not computers), sorted, NULL-terminated; free with totp_store_list_free(). For
 * totpctl report, where NSS may not enumerate the directory's accounts. */
int totp_options_list_accounts(const totp_options *opt, char ***users, totp_error *err);

/* ---- Output files ------------------------------------------------------------------------ */

/* Write `len` bytes to `path` (replacing a regular file there, never following a symlink),
 * mode 0600, via a temporary file, fsync and rename: for QR images, which hold the secret. As
 * root, no link on the path is followed and every directory on it must be root's and not
 * writable by others (root's sticky directories such as /tmp excepted). */
int totp_output_file(const char *path, const void *data, size_t len, totp_error *err);

/* ---- Hygiene ----------------------------------------------------------------------------- */

/* Overwrite `len` bytes with zeros in a way the compiler cannot elide (OPENSSL_cleanse). */
void totp_wipe(void *buf, size_t len);

/* Wipe a NUL-terminated string in place and free() it; NULL is allowed. */
void totp_wipe_string(char *s);

#ifdef __cplusplus
}
#endif

#include "totp_enroll.h" /* making a new record: enrollment at login, QR codes as text */
#include "totp_log.h"    /* log lines in strict logfmt, and the audit line */

#endif /* TOTP_H */
