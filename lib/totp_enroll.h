/* SPDX-License-Identifier: Apache-2.0 */
/* totp_enroll.h: libtotp's public API for making a new record: who may enroll at login, a new
 * secret with its URI and scratch codes, its confirmation, and the QR code as text.
 * Included by totp.h; not meant to be included on its own. */
#ifndef TOTP_ENROLL_H
#define TOTP_ENROLL_H

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Who may enroll at login (pam_totp enroll_at_login) ----------------------------------- */

typedef enum {
    TOTP_ENROLL_NO = 0,       /* not allowed: err->message says why */
    TOTP_ENROLL_BY_GROUP,     /* a member of enroll_group */
    TOTP_ENROLL_BY_ALLOWANCE, /* holds an allowance (totp_store_allow_enroll) ending after now */
} totp_enroll_grant;

/*
 * Whether `user` (a canonical account name, with no record) may enroll at `now`: a member of
 * `group` (NULL: no group; primary or supplementary, through NSS getgrouplist), or holding an
 * allowance in `store` that ends after `now`. TOTP_OK with `*grant` set, also to
 * TOTP_ENROLL_NO (err->message says why; err->sys_errno is TOTP_EINVAL when `group` names no
 * group, which the caller should tell an administrator); an error (an account, group or store
 * that cannot be read) otherwise.
 */
int totp_enroll_permitted(totp_store *store, const char *user, const char *group, int64_t now,
                          totp_enroll_grant *grant, totp_error *err);

/* ---- A new secret, its record and its confirmation --------------------------------------- */

/* The names a new enrollment shows in the app (ISSUER and ACCOUNT, totp(5)), one rule for
 * totpctl and pam_totp. */
typedef struct totp_enroll_names {
    char issuer[256];  /* `site_issuer` (the site file's issuer=) if not NULL, else the host name */
    char account[600]; /* USER@HOST, "USER@HOST (system)" in the system store, so that a user
                        * with a record there and one at home tells the two apart */
} totp_enroll_names;

void totp_enroll_names_default(const char *site_issuer, const char *user, int system_store,
                               totp_enroll_names *out);

/* Everything a new enrollment shows once; wiped by totp_enrollment_clear(). */
typedef struct totp_enrollment {
    totp_record *rec;                         /* the record to create once confirmed */
    char *uri;                                /* its otpauth URI */
    char secret[TOTP_KEY_MAX * 2];            /* the secret in base32, for typing in */
    uint32_t scratch[TOTP_SCRATCH_COUNT_MAX]; /* the scratch codes the record holds */
    size_t scratch_count;
} totp_enrollment;

/* A new secret (RAND_bytes, the default length for params->algorithm), `scratch_count`
 * scratch codes, and the record with ISSUER `issuer` and ACCOUNT `account` (totp(5)); TOTP_EFORMAT
 * if one of them is not acceptable there. */
int totp_enrollment_new(const totp_params *params, const char *issuer, const char *account,
                        size_t scratch_count, totp_enrollment *e);

/* Judge `code` from the app at `now` against the new record (no skew learning, no rate limit;
 * a scratch code proves nothing about the app and is refused). TOTP_OK leaves the code's step
 * as the record's watermark, so the same code cannot log in again. */
int totp_enrollment_confirm(totp_enrollment *e, const char *code, int64_t now,
                            const totp_policy *policy);

void totp_enrollment_clear(totp_enrollment *e);

/* ---- The QR code as text ------------------------------------------------------------------ */

typedef enum {
    TOTP_QR_COLOUR = 0, /* UTF-8 half blocks, black on white by ANSI colour codes (a terminal) */
    TOTP_QR_ANSI,       /* two spaces a module, ANSI background colours (a terminal) */
    TOTP_QR_PLAIN,      /* UTF-8 half blocks and spaces, nothing else: blocks are the light
                         * modules, so a dark background shows black on white (the PAM
                         * conversation, where ssh escapes control characters) */
} totp_qr_style;

/* The QR code of `text` as lines ending in '\n', with a quiet zone of two modules; `*out` is
 * malloc'ed (it holds the secret: wipe it with totp_wipe_string), `*cols` and `*lines` its size
 * in character cells. TOTP_EBUFFER if `text` is too long for a QR code. */
int totp_qr_text(const char *text, totp_qr_style style, char **out, int *cols, int *lines);

#ifdef __cplusplus
}
#endif

#endif /* TOTP_ENROLL_H */
