/* SPDX-License-Identifier: Apache-2.0 */
/* check_seal.c: sealed secrets (AES-256-GCM bound to an objectGUID) and the fleet key file. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seal.h"
#include "unit.h"

#define KEY1 "1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
#define KEY2 "7 ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n"

static const uint8_t guid_a[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t guid_b[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17};
static const uint8_t secret[20] = "12345678901234567890";

static void keys_from(const char *text, struct totpi_seal_keys *k)
{
    totp_error err;
    ck_assert_int_eq(totpi_seal_keys_parse(text, strlen(text), "test", k, &err), TOTP_OK);
}

static size_t seal_a(const struct totpi_seal_keys *k, uint8_t *blob)
{
    size_t len = 0;
    totp_error err;
    ck_assert_int_eq(
        totpi_seal(&k->keys[0], guid_a, "pamTotpSecret", secret, sizeof(secret), blob, &len, &err),
        TOTP_OK);
    return len;
}

START_TEST(round_trip)
{
    struct totpi_seal_keys k;
    uint8_t blob[TOTPI_SEAL_MAX], plain[TOTP_KEY_MAX];
    size_t n = 0;
    totp_error err;
    keys_from("# fleet keys\n" KEY1 "\n" KEY2, &k);
    ck_assert_uint_eq(k.count, 2);
    size_t len = seal_a(&k, blob);
    ck_assert_uint_eq(len, TOTPI_SEAL_OVERHEAD + sizeof(secret));
    ck_assert_uint_eq(blob[0], TOTPI_SEAL_VERSION);
    ck_assert_uint_eq(totpi_seal_key_id(blob, len), 1);
    ck_assert(memmem(blob, len, secret, sizeof(secret)) == NULL); /* not in the clear */
    ck_assert_int_eq(totpi_unseal(&k, guid_a, "pamTotpSecret", blob, len, plain, &n, &err),
                     TOTP_OK);
    ck_assert_uint_eq(n, sizeof(secret));
    ck_assert(memcmp(plain, secret, n) == 0);
    /* Two seals of one secret differ (a fresh nonce each time). */
    uint8_t again[TOTPI_SEAL_MAX];
    ck_assert(seal_a(&k, again) == len && memcmp(again, blob, len) != 0);
    totpi_seal_keys_wipe(&k);
}
END_TEST

START_TEST(wrong_guid_or_label)
{
    struct totpi_seal_keys k;
    uint8_t blob[TOTPI_SEAL_MAX], plain[TOTP_KEY_MAX];
    size_t n = 99;
    totp_error err;
    keys_from(KEY1, &k);
    size_t len = seal_a(&k, blob);
    ck_assert_int_eq(totpi_unseal(&k, guid_b, "pamTotpSecret", blob, len, plain, &n, &err),
                     TOTP_ECRYPTO);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_nonnull(strstr(err.message, "another object"));
    ck_assert_int_eq(totpi_unseal(&k, guid_a, "otherAttr", blob, len, plain, &n, &err),
                     TOTP_ECRYPTO);
}
END_TEST

START_TEST(wrong_key_id)
{
    struct totpi_seal_keys k1, k2, swapped;
    uint8_t blob[TOTPI_SEAL_MAX], plain[TOTP_KEY_MAX];
    size_t n = 0;
    totp_error err;
    keys_from(KEY1, &k1);
    keys_from(KEY2, &k2);
    size_t len = seal_a(&k1, blob);
    /* The key file lacks the blob's key id. */
    ck_assert_int_eq(totpi_unseal(&k2, guid_a, "pamTotpSecret", blob, len, plain, &n, &err),
                     TOTP_ENOENT);
    ck_assert_ptr_nonnull(strstr(err.message, "key id 1"));
    /* Another key under the same id does not open it. */
    keys_from("1 ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n", &swapped);
    ck_assert_int_eq(totpi_unseal(&swapped, guid_a, "pamTotpSecret", blob, len, plain, &n, &err),
                     TOTP_ECRYPTO);
    /* A header rewritten to name another key that the file has does not open either. */
    struct totpi_seal_keys both;
    keys_from(KEY1 KEY2, &both);
    blob[4] = 7;
    ck_assert_int_eq(totpi_unseal(&both, guid_a, "pamTotpSecret", blob, len, plain, &n, &err),
                     TOTP_ECRYPTO);
}
END_TEST

START_TEST(tampered)
{
    struct totpi_seal_keys k;
    uint8_t blob[TOTPI_SEAL_MAX], plain[TOTP_KEY_MAX];
    size_t n = 0;
    totp_error err;
    keys_from(KEY1, &k);
    size_t len = seal_a(&k, blob);
    for (size_t i = TOTPI_SEAL_HEAD; i < len; i++) { /* nonce, ciphertext, tag */
        blob[i] ^= 0x01;
        ck_assert_int_eq(totpi_unseal(&k, guid_a, "pamTotpSecret", blob, len, plain, &n, &err),
                         TOTP_ECRYPTO);
        blob[i] ^= 0x01;
    }
    blob[0] = 2; /* another version */
    ck_assert_int_eq(totpi_unseal(&k, guid_a, "pamTotpSecret", blob, len, plain, &n, &err),
                     TOTP_EFORMAT);
}
END_TEST

START_TEST(truncated)
{
    struct totpi_seal_keys k;
    uint8_t blob[TOTPI_SEAL_MAX + 1], plain[TOTP_KEY_MAX];
    size_t n = 0;
    totp_error err;
    keys_from(KEY1, &k);
    size_t len = seal_a(&k, blob);
    for (size_t l = 0; l < len; l++) {
        int rc = totpi_unseal(&k, guid_a, "pamTotpSecret", blob, l, plain, &n, &err);
        ck_assert(rc == TOTP_EFORMAT || rc == TOTP_ECRYPTO);
    }
    /* A plain 20-byte secret is not taken for a sealed one. */
    ck_assert_int_eq(
        totpi_unseal(&k, guid_a, "pamTotpSecret", secret, sizeof(secret), plain, &n, &err),
        TOTP_EFORMAT);
    ck_assert_int_eq(
        totpi_unseal(&k, guid_a, "pamTotpSecret", blob, TOTPI_SEAL_MAX + 1, plain, &n, &err),
        TOTP_EFORMAT);
}
END_TEST

START_TEST(key_file_errors)
{
    struct totpi_seal_keys k;
    totp_error err;
    static const struct {
        const char *text;
        unsigned line;
        const char *why;
    } bad[] = {
        {"", 0, "no key"},
        {"# only a comment\n", 0, "no key"},
        {"0 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", 1, "key id"},
        {"x 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", 1, "key id"},
        {"\n1 0001\n", 2, "64 hexadecimal"},
        {"1 g00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", 1, "64 hex"},
        {KEY1 "1 ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n", 2, "twice"},
        {"1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f extra\n", 1, "extra"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(totpi_seal_keys_parse(bad[i].text, strlen(bad[i].text), "kf", &k, &err),
                         TOTP_EFORMAT);
        ck_assert_ptr_nonnull(strstr(err.message, bad[i].why));
        ck_assert_uint_eq(err.line, bad[i].line);
        /* No key material in the message. */
        ck_assert_ptr_null(strstr(err.message, "0102030405"));
        ck_assert_ptr_null(strstr(err.message, "ffeedd"));
    }
}
END_TEST

START_TEST(key_file_must_be_private)
{
    char path[] = "/tmp/check_seal.XXXXXX";
    struct totpi_seal_keys k;
    totp_error err;
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, KEY2 KEY1, strlen(KEY2 KEY1)), (ssize_t)strlen(KEY2 KEY1));
    close(fd);
    ck_assert_int_eq(chmod(path, 0600), 0);
    ck_assert_int_eq(totpi_seal_keys_read(path, "ad_key_file", &k, &err), TOTP_OK);
    ck_assert_uint_eq(k.count, 2);
    ck_assert_uint_eq(k.keys[0].id, 7); /* the first line seals */
    ck_assert_int_eq(chmod(path, 0640), 0);
    ck_assert_int_eq(totpi_seal_keys_read(path, "ad_key_file", &k, &err), TOTP_EPERM);
    ck_assert_ptr_nonnull(strstr(err.message, "ad_key_file"));
    unlink(path);
}
END_TEST

static Suite *seal_suite(void)
{
    Suite *s = suite_create("seal");
    TCase *tc = tcase_create("seal");
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, wrong_guid_or_label);
    tcase_add_test(tc, wrong_key_id);
    tcase_add_test(tc, tampered);
    tcase_add_test(tc, truncated);
    tcase_add_test(tc, key_file_errors);
    tcase_add_test(tc, key_file_must_be_private);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(seal_suite)
