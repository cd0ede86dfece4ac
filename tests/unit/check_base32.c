/* SPDX-License-Identifier: Apache-2.0 */
/* check_base32.c: RFC 4648 base32 vectors, the tolerant decoder and its errors. */
#include "config.h"

#include <string.h>

#include "totp.h"
#include "unit.h"

/* RFC 4648 section 10. */
static const struct {
    const char *plain;
    const char *encoded;
} rfc4648[] = {
    {"", ""},
    {"f", "MY======"},
    {"fo", "MZXQ===="},
    {"foo", "MZXW6==="},
    {"foob", "MZXW6YQ="},
    {"fooba", "MZXW6YTB"},
    {"foobar", "MZXW6YTBOI======"},
};

START_TEST(rfc4648_encode)
{
    char out[32];
    const char *plain = rfc4648[_i].plain;
    ck_assert_int_eq(totp_base32_encode((const uint8_t *)plain, strlen(plain), out, sizeof(out),
                                        TOTP_BASE32_PAD),
                     TOTP_OK);
    ck_assert_str_eq(out, rfc4648[_i].encoded);
    ck_assert_uint_eq(totp_base32_encoded_len(strlen(plain), TOTP_BASE32_PAD), strlen(out));
}
END_TEST

START_TEST(rfc4648_decode)
{
    uint8_t out[32];
    size_t len = 99;
    ck_assert_int_eq(totp_base32_decode(rfc4648[_i].encoded, out, sizeof(out), &len), TOTP_OK);
    ck_assert_uint_eq(len, strlen(rfc4648[_i].plain));
    ck_assert(memcmp(out, rfc4648[_i].plain, len) == 0);
}
END_TEST

START_TEST(encode_without_padding)
{
    char out[32];
    ck_assert_int_eq(totp_base32_encode((const uint8_t *)"foobar", 6, out, sizeof(out), 0),
                     TOTP_OK);
    ck_assert_str_eq(out, "MZXW6YTBOI");
    ck_assert_uint_eq(totp_base32_encoded_len(6, 0), 10);
    ck_assert_uint_eq(totp_base32_encoded_len(10, 0), 16); /* GA's 80-bit secrets */
    ck_assert_uint_eq(totp_base32_encoded_len(20, 0), 32);
}
END_TEST

START_TEST(decode_lower_case_and_spaces)
{
    uint8_t out[16];
    size_t len = 0;
    ck_assert_int_eq(totp_base32_decode("mzxw 6ytb oi", out, sizeof(out), &len), TOTP_OK);
    ck_assert_uint_eq(len, 6);
    ck_assert(memcmp(out, "foobar", 6) == 0);
    ck_assert_int_eq(totp_base32_decode("MzXw6YtBoI======", out, sizeof(out), &len), TOTP_OK);
    ck_assert_uint_eq(len, 6);
    ck_assert(memcmp(out, "foobar", 6) == 0);
}
END_TEST

START_TEST(decode_missing_or_partial_padding)
{
    uint8_t out[16];
    size_t len = 0;
    ck_assert_int_eq(totp_base32_decode("MY", out, sizeof(out), &len), TOTP_OK);
    ck_assert_uint_eq(len, 1);
    ck_assert_int_eq(out[0], 'f');
    ck_assert_int_eq(totp_base32_decode("MZXW6==", out, sizeof(out), &len), TOTP_OK);
    ck_assert_uint_eq(len, 3);
    ck_assert(memcmp(out, "foo", 3) == 0);
}
END_TEST

START_TEST(decode_empty_and_blank)
{
    uint8_t out[4];
    size_t len = 7;
    ck_assert_int_eq(totp_base32_decode("", out, sizeof(out), &len), TOTP_OK);
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(totp_base32_decode("    ", out, sizeof(out), &len), TOTP_OK);
    ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(decode_rejects_foreign_characters)
{
    static const char *const bad[] = {"MZXW1YTB",  "MZXW0YTB", "MZXW8YTB", "MZXW-YTB", "MZXW6YT\t",
                                      "MZXW6YT\n", "MZXW6YTÄ", "MZXW_YTB", "MZXW.YTB", "+ZXW6YTB"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t out[16];
        size_t len = 5;
        ck_assert_msg(totp_base32_decode(bad[i], out, sizeof(out), &len) == TOTP_EBASE32,
                      "input #%zu", i);
        ck_assert_uint_eq(len, 0);
    }
}
END_TEST

START_TEST(decode_rejects_data_after_padding)
{
    uint8_t out[16];
    size_t len;
    ck_assert_int_eq(totp_base32_decode("MY======MY", out, sizeof(out), &len), TOTP_EBASE32);
    ck_assert_int_eq(totp_base32_decode("M=Y", out, sizeof(out), &len), TOTP_EBASE32);
}
END_TEST

START_TEST(decode_rejects_impossible_lengths)
{
    uint8_t out[16];
    size_t len;
    ck_assert_int_eq(totp_base32_decode("M", out, sizeof(out), &len), TOTP_EBASE32);
    ck_assert_int_eq(totp_base32_decode("MZX", out, sizeof(out), &len), TOTP_EBASE32);
    ck_assert_int_eq(totp_base32_decode("MZXW6Y", out, sizeof(out), &len), TOTP_EBASE32);
    ck_assert_int_eq(totp_base32_decode("MZXW6YTBM", out, sizeof(out), &len), TOTP_EBASE32);
}
END_TEST

START_TEST(encode_buffer_too_small)
{
    char out[16];
    ck_assert_int_eq(totp_base32_encode((const uint8_t *)"foobar", 6, out, 16, TOTP_BASE32_PAD),
                     TOTP_EBUFFER);
    ck_assert_int_eq(totp_base32_encode((const uint8_t *)"foobar", 6, out, 10, 0), TOTP_EBUFFER);
    ck_assert_int_eq(totp_base32_encode((const uint8_t *)"foobar", 6, out, 11, 0), TOTP_OK);
}
END_TEST

START_TEST(decode_buffer_too_small_wipes_output)
{
    uint8_t out[8];
    size_t len = 3;
    memset(out, 0xaa, sizeof(out));
    ck_assert_int_eq(totp_base32_decode("MZXW6YTBOI", out, 4, &len), TOTP_EBUFFER);
    ck_assert_uint_eq(len, 0);
    for (size_t i = 0; i < 4; i++)
        ck_assert_int_eq(out[i], 0);
    ck_assert_int_eq(out[4], 0xaa);
}
END_TEST

START_TEST(decode_error_wipes_partial_output)
{
    uint8_t out[16];
    size_t len;
    memset(out, 0xaa, sizeof(out));
    ck_assert_int_eq(totp_base32_decode("MZXW6YTB!", out, sizeof(out), &len), TOTP_EBASE32);
    for (size_t i = 0; i < 5; i++)
        ck_assert_int_eq(out[i], 0);
}
END_TEST

START_TEST(null_arguments)
{
    uint8_t out[4];
    char text[4];
    size_t len;
    ck_assert_int_eq(totp_base32_decode(NULL, out, sizeof(out), &len), TOTP_EINVAL);
    ck_assert_int_eq(totp_base32_decode("MY", NULL, sizeof(out), &len), TOTP_EINVAL);
    ck_assert_int_eq(totp_base32_decode("MY", out, sizeof(out), NULL), TOTP_EINVAL);
    ck_assert_int_eq(totp_base32_encode(NULL, 1, text, sizeof(text), 0), TOTP_EINVAL);
    ck_assert_int_eq(totp_base32_encode((const uint8_t *)"f", 1, NULL, 4, 0), TOTP_EINVAL);
    ck_assert_int_eq(totp_base32_encode(NULL, 0, text, sizeof(text), 0), TOTP_OK);
    ck_assert_str_eq(text, "");
}
END_TEST

START_TEST(round_trip_every_length)
{
    uint8_t in[TOTP_KEY_MAX], back[TOTP_KEY_MAX];
    char text[TOTP_KEY_MAX * 2];
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (uint8_t)(i * 37 + 11);
    for (int pad = 0; pad <= TOTP_BASE32_PAD; pad++) {
        for (size_t n = 0; n <= sizeof(in); n++) {
            size_t len = 0;
            ck_assert_int_eq(totp_base32_encode(in, n, text, sizeof(text), pad), TOTP_OK);
            ck_assert_uint_eq(strlen(text), totp_base32_encoded_len(n, pad));
            ck_assert_int_eq(totp_base32_decode(text, back, sizeof(back), &len), TOTP_OK);
            ck_assert_uint_eq(len, n);
            ck_assert(memcmp(in, back, n) == 0);
        }
    }
}
END_TEST

START_TEST(ga_style_secret_decodes_to_ten_bytes)
{
    /* google-authenticator writes 16 unpadded characters for its 80-bit secrets. */
    uint8_t out[TOTP_KEY_MAX];
    size_t len = 0;
    ck_assert_int_eq(totp_base32_decode("JBSWY3DPEHPK3PXP", out, sizeof(out), &len), TOTP_OK);
    ck_assert_uint_eq(len, 10);
    ck_assert(memcmp(out, "Hello!\xde\xad\xbe\xef", 10) == 0);
}
END_TEST

static Suite *base32_suite(void)
{
    Suite *s = suite_create("base32");
    TCase *tc = tcase_create("rfc4648");
    tcase_add_loop_test(tc, rfc4648_encode, 0, 7);
    tcase_add_loop_test(tc, rfc4648_decode, 0, 7);
    tcase_add_test(tc, encode_without_padding);
    tcase_add_test(tc, round_trip_every_length);
    tcase_add_test(tc, ga_style_secret_decodes_to_ten_bytes);
    suite_add_tcase(s, tc);

    tc = tcase_create("decoder");
    tcase_add_test(tc, decode_lower_case_and_spaces);
    tcase_add_test(tc, decode_missing_or_partial_padding);
    tcase_add_test(tc, decode_empty_and_blank);
    tcase_add_test(tc, decode_rejects_foreign_characters);
    tcase_add_test(tc, decode_rejects_data_after_padding);
    tcase_add_test(tc, decode_rejects_impossible_lengths);
    tcase_add_test(tc, encode_buffer_too_small);
    tcase_add_test(tc, decode_buffer_too_small_wipes_output);
    tcase_add_test(tc, decode_error_wipes_partial_output);
    tcase_add_test(tc, null_arguments);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(base32_suite)
