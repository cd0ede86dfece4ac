/* SPDX-License-Identifier: Apache-2.0 */
/* accepted.c: the record that accepted a code in this pam_authenticate, kept with pam_set_data. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <security/pam_ext.h>

#include "accepted.h"

#define SALT_LEN   16
#define DIGEST_LEN 32
#define MARK_LEN   32 /* hex digits of 16 random bytes */

/* What is kept: where the record is, a salted digest of PAM_AUTHTOK at the acceptance (never
 * the password itself), and the mark put in PAM_OLDAUTHTOK for this pam_authenticate. */
struct acceptance {
    unsigned char salt[SALT_LEN];
    unsigned char digest[DIGEST_LEN];
    char mark[MARK_LEN + 1];
    char location[];
};

static int data_name(char *buf, size_t size, const char *user)
{
    int n = snprintf(buf, size, "pam_totp:accepted:%s", user);
    return n > 0 && (size_t)n < size;
}

static void cleanup(pam_handle_t *pamh, void *data, int status)
{
    (void)pamh, (void)status;
    struct acceptance *a = data;
    if (a != NULL)
        OPENSSL_cleanse(a, sizeof(*a) + strlen(a->location));
    free(a);
}

/* The password this pam_authenticate carries; NULL when none (libpam clears it at the start and
 * the end of every pam_authenticate, so a retry on the same handle starts without one). */
static const char *authtok(pam_handle_t *pamh)
{
    const void *item = NULL;
    if (pam_get_item(pamh, PAM_AUTHTOK, &item) != PAM_SUCCESS || item == NULL ||
        ((const char *)item)[0] == '\0')
        return NULL;
    return item;
}

/* PAM_OLDAUTHTOK, or NULL. It means nothing in an auth stack (only pam_chauthtok uses it), and
 * libpam clears it, with PAM_AUTHTOK, when every pam_authenticate starts and ends: so a mark
 * put there lasts exactly one pass through the stack, which PAM_AUTHTOK alone cannot tell
 * (a retry on the same handle may carry the same password again). */
static const char *oldauthtok(pam_handle_t *pamh)
{
    const void *item = NULL;
    if (pam_get_item(pamh, PAM_OLDAUTHTOK, &item) != PAM_SUCCESS)
        return NULL;
    return item;
}

/* A fresh random mark for this pass, set in PAM_OLDAUTHTOK; 0 if one cannot be set (the item is
 * in use already: then nothing is remembered, and a later line asks again). */
static int mark_pass(pam_handle_t *pamh, char mark[MARK_LEN + 1])
{
    unsigned char raw[MARK_LEN / 2];
    if (oldauthtok(pamh) != NULL || RAND_bytes(raw, sizeof(raw)) != 1)
        return 0;
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(mark + 2 * i, 3, "%02x", raw[i]);
    OPENSSL_cleanse(raw, sizeof(raw));
    return pam_set_item(pamh, PAM_OLDAUTHTOK, mark) == PAM_SUCCESS;
}

/* SHA-256 of salt || tok into `out`. */
static int digest(const unsigned char salt[SALT_LEN], const char *tok,
                  unsigned char out[DIGEST_LEN])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int len = 0;
    int ok = ctx != NULL && EVP_DigestInit_ex2(ctx, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, salt, SALT_LEN) == 1 &&
             EVP_DigestUpdate(ctx, tok, strlen(tok)) == 1 &&
             EVP_DigestFinal_ex(ctx, out, &len) == 1 && len == DIGEST_LEN;
    EVP_MD_CTX_free(ctx);
    return ok;
}

int accepted_remember(pam_handle_t *pamh, const char *user, const char *location)
{
    char name[512];
    const char *tok = authtok(pamh);
    if (user == NULL || location == NULL || location[0] == '\0' || tok == NULL ||
        !data_name(name, sizeof(name), user))
        return 0;
    size_t len = strlen(location);
    struct acceptance *a = malloc(sizeof(*a) + len + 1);
    if (a == NULL)
        return 0;
    memcpy(a->location, location, len + 1);
    if (RAND_bytes(a->salt, SALT_LEN) != 1 || !digest(a->salt, tok, a->digest) ||
        !mark_pass(pamh, a->mark) || pam_set_data(pamh, name, a, cleanup) != PAM_SUCCESS) {
        cleanup(pamh, a, 0);
        return 0;
    }
    return 1;
}

static const struct acceptance *remembered(pam_handle_t *pamh, const char *user)
{
    char name[512];
    const void *data = NULL;
    if (user == NULL || !data_name(name, sizeof(name), user) ||
        pam_get_data(pamh, name, &data) != PAM_SUCCESS)
        return NULL;
    return data;
}

int accepted_any(pam_handle_t *pamh, const char *user)
{
    return remembered(pamh, user) != NULL;
}

int accepted_before(pam_handle_t *pamh, const char *user, const char *location)
{
    const struct acceptance *a = remembered(pamh, user);
    const char *tok = authtok(pamh), *mark = oldauthtok(pamh);
    unsigned char now[DIGEST_LEN];
    /* Only in the pass that accepted: its mark still in PAM_OLDAUTHTOK. */
    if (a == NULL || location == NULL || tok == NULL || mark == NULL || strlen(mark) != MARK_LEN ||
        CRYPTO_memcmp(mark, a->mark, MARK_LEN) != 0 || strcmp(a->location, location) != 0 ||
        !digest(a->salt, tok, now))
        return 0;
    int same = CRYPTO_memcmp(now, a->digest, DIGEST_LEN) == 0;
    OPENSSL_cleanse(now, sizeof(now));
    return same;
}
