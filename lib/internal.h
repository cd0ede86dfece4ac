/* internal.h: helpers shared inside libtotp; never installed, never exported. */
#ifndef TOTP_INTERNAL_H
#define TOTP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "totp.h"

/* The OpenSSL digest name ("SHA1", ...) for an algorithm, NULL if unknown. */
const char *totpi_digest_name(totp_algorithm alg);

/* ASCII-only case-insensitive comparison, independent of the locale. */
int totpi_strcasecmp(const char *a, const char *b);

/* Whether `s` starts with `prefix`, ASCII case-insensitively. */
int totpi_has_prefix_ci(const char *s, const char *prefix);

/* All ones if `x` is zero, else zero: for branch-free selection on secret-dependent values. */
static inline uint64_t totpi_ct_is_zero(uint64_t x)
{
    return (uint64_t)0 - (((x | ((uint64_t)0 - x)) >> 63) ^ 1);
}

#endif /* TOTP_INTERNAL_H */
