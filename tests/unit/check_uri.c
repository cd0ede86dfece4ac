/* SPDX-License-Identifier: Apache-2.0 */
/* check_uri.c: otpauth Key URIs: exact output, percent-encoding, parsing and every refusal. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "totp.h"
#include "unit.h"

static const uint8_t hello_key[10] = {'H', 'e', 'l', 'l', 'o', '!', 0xde, 0xad, 0xbe, 0xef};

static char *build(const char *issuer, const char *account, totp_params params)
{
    totp_uri u = {TOTP_TYPE_TOTP,
                  (char *)issuer,
                  (char *)account,
                  (uint8_t *)hello_key,
                  sizeof(hello_key),
                  params,
                  0};
    char *out = NULL;
    ck_assert_int_eq(totp_uri_build(&u, &out), TOTP_OK);
    ck_assert_ptr_nonnull(out);
    return out;
}

START_TEST(build_exact_totp)
{
    totp_params p = TOTP_PARAMS_DEFAULT;
    char *s = build("Example", "alice@example.com", p);
    ck_assert_str_eq(s, "otpauth://totp/Example:alice%40example.com?secret=JBSWY3DPEHPK3PXP"
                        "&issuer=Example&algorithm=SHA1&digits=6&period=30");
    totp_wipe_string(s);
}
END_TEST

/* Enrollment at login's URI: the defaults left out (a QR code that fits 80x24), the rest kept,
 * and what an app parses back is the same. */
START_TEST(build_compact_leaves_out_defaults_only)
{
    totp_params def = TOTP_PARAMS_DEFAULT, other = {TOTP_SHA256, 8, 60};
    totp_uri u = {TOTP_TYPE_TOTP,    "Example", "alice", (uint8_t *)hello_key,
                  sizeof(hello_key), def,       0};
    totp_uri back;
    char *s = NULL;
    ck_assert_int_eq(totpi_uri_build(&u, 1, &s), TOTP_OK);
    ck_assert_str_eq(s, "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example");
    ck_assert_int_eq(totp_uri_parse(s, &back), TOTP_OK);
    ck_assert(back.params.algorithm == def.algorithm && back.params.digits == def.digits &&
              back.params.period == def.period);
    totp_uri_clear(&back);
    totp_wipe_string(s);
    u.params = other;
    ck_assert_int_eq(totpi_uri_build(&u, 1, &s), TOTP_OK);
    ck_assert_str_eq(s, "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example"
                        "&algorithm=SHA256&digits=8&period=60");
    totp_wipe_string(s);
}
END_TEST

START_TEST(build_without_issuer)
{
    totp_params p = {TOTP_SHA512, 8, 60};
    char *s = build(NULL, "bob", p);
    ck_assert_str_eq(
        s, "otpauth://totp/bob?secret=JBSWY3DPEHPK3PXP&algorithm=SHA512&digits=8&period=60");
    totp_wipe_string(s);
    s = build("", "bob", p); /* an empty issuer is no issuer */
    ck_assert_ptr_null(strstr(s, "issuer"));
    totp_wipe_string(s);
}
END_TEST

START_TEST(build_percent_encodes_reserved_and_utf8)
{
    totp_params p = TOTP_PARAMS_DEFAULT;
    char *s = build("ACME Co & Sons", "Zürich user/1?#=+%", p);
    ck_assert_str_eq(s,
                     "otpauth://totp/ACME%20Co%20%26%20Sons:Z%C3%BCrich%20user%2F1%3F%23%3D%2B%25"
                     "?secret=JBSWY3DPEHPK3PXP&issuer=ACME%20Co%20%26%20Sons"
                     "&algorithm=SHA1&digits=6&period=30");
    totp_wipe_string(s);
}
END_TEST

START_TEST(build_hotp_has_counter)
{
    totp_uri u = {TOTP_TYPE_HOTP,
                  "I",
                  "a",
                  (uint8_t *)hello_key,
                  sizeof(hello_key),
                  TOTP_PARAMS_DEFAULT,
                  18446744073709551615ull};
    char *s = NULL;
    ck_assert_int_eq(totp_uri_build(&u, &s), TOTP_OK);
    ck_assert_str_eq(s, "otpauth://hotp/I:a?secret=JBSWY3DPEHPK3PXP&issuer=I&algorithm=SHA1"
                        "&digits=6&counter=18446744073709551615");
    totp_wipe_string(s);
}
END_TEST

START_TEST(build_rejects_bad_input)
{
    totp_uri u = {TOTP_TYPE_TOTP,      "I", "a", (uint8_t *)hello_key, sizeof(hello_key),
                  TOTP_PARAMS_DEFAULT, 0};
    char *s = (char *)"untouched";
    u.params.digits = 9;
    ck_assert_int_eq(totp_uri_build(&u, &s), TOTP_EDIGITS);
    ck_assert_ptr_null(s);
    u.params.digits = 6;
    u.params.period = 0;
    ck_assert_int_eq(totp_uri_build(&u, &s), TOTP_EPERIOD);
    u.params.period = 30;
    u.key_len = 9;
    ck_assert_int_eq(totp_uri_build(&u, &s), TOTP_EKEYLEN);
    u.key_len = sizeof(hello_key);
    u.account = "";
    ck_assert_int_eq(totp_uri_build(&u, &s), TOTP_EINVAL);
    u.account = NULL;
    ck_assert_int_eq(totp_uri_build(&u, &s), TOTP_EINVAL);
    u.account = " a"; /* a parser drops spaces before the account */
    ck_assert_int_eq(totp_uri_build(&u, &s), TOTP_EINVAL);
    u.account = "a:b"; /* ':' separates issuer and account, so neither may contain one */
    ck_assert_int_eq(totp_uri_build(&u, &s), TOTP_EINVAL);
    u.account = "a";
    u.issuer = "x:y";
    ck_assert_int_eq(totp_uri_build(&u, &s), TOTP_EINVAL);
    u.issuer = "tab\there";
    ck_assert_int_eq(totp_uri_build(&u, &s), TOTP_EINVAL);
    u.issuer = "bad \xc3\x28 utf8";
    ck_assert_int_eq(totp_uri_build(&u, &s), TOTP_EINVAL);
    ck_assert_int_eq(totp_uri_build(NULL, &s), TOTP_EINVAL);
    ck_assert_int_eq(totp_uri_build(&u, NULL), TOTP_EINVAL);
}
END_TEST

START_TEST(parse_google_example)
{
    totp_uri u;
    ck_assert_int_eq(totp_uri_parse("otpauth://totp/Example:alice@google.com?secret="
                                    "JBSWY3DPEHPK3PXP&issuer=Example",
                                    &u),
                     TOTP_OK);
    ck_assert_int_eq(u.type, TOTP_TYPE_TOTP);
    ck_assert_str_eq(u.issuer, "Example");
    ck_assert_str_eq(u.account, "alice@google.com");
    ck_assert_uint_eq(u.key_len, 10);
    ck_assert(memcmp(u.key, hello_key, 10) == 0);
    ck_assert_int_eq(u.params.algorithm, TOTP_SHA1);
    ck_assert_uint_eq(u.params.digits, 6);
    ck_assert_uint_eq(u.params.period, 30);
    totp_uri_clear(&u);
    ck_assert_ptr_null(u.key);
}
END_TEST

START_TEST(parse_explicit_parameters)
{
    totp_uri u;
    ck_assert_int_eq(totp_uri_parse("otpauth://totp/ACME%20Co:john.doe%40email.com?secret="
                                    "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co"
                                    "&algorithm=sha256&digits=8&period=60&image=x",
                                    &u),
                     TOTP_OK);
    ck_assert_str_eq(u.issuer, "ACME Co");
    ck_assert_str_eq(u.account, "john.doe@email.com");
    ck_assert_uint_eq(u.key_len, 20);
    ck_assert_int_eq(u.params.algorithm, TOTP_SHA256);
    ck_assert_uint_eq(u.params.digits, 8);
    ck_assert_uint_eq(u.params.period, 60);
    totp_uri_clear(&u);
}
END_TEST

START_TEST(parse_issuer_from_parameter_only)
{
    totp_uri u;
    ck_assert_int_eq(
        totp_uri_parse("otpauth://totp/alice?issuer=Big%20Corp&secret=JBSWY3DPEHPK3PXP", &u),
        TOTP_OK);
    ck_assert_str_eq(u.issuer, "Big Corp");
    ck_assert_str_eq(u.account, "alice");
    totp_uri_clear(&u);
    ck_assert_int_eq(totp_uri_parse("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP", &u), TOTP_OK);
    ck_assert_ptr_null(u.issuer);
    totp_uri_clear(&u);
}
END_TEST

START_TEST(parse_encoded_colon_and_spaces)
{
    totp_uri u;
    ck_assert_int_eq(
        totp_uri_parse("OTPAUTH://TOTP/Example%3A%20%20alice?secret=jbswy3dpehpk3pxp", &u),
        TOTP_OK);
    ck_assert_str_eq(u.issuer, "Example");
    ck_assert_str_eq(u.account, "alice");
    totp_uri_clear(&u);
}
END_TEST

START_TEST(parse_hotp_counter)
{
    totp_uri u;
    ck_assert_int_eq(totp_uri_parse("otpauth://hotp/a?secret=JBSWY3DPEHPK3PXP&counter=42", &u),
                     TOTP_OK);
    ck_assert_int_eq(u.type, TOTP_TYPE_HOTP);
    ck_assert_uint_eq(u.counter, 42);
    totp_uri_clear(&u);
    ck_assert_int_eq(totp_uri_parse("otpauth://hotp/a?secret=JBSWY3DPEHPK3PXP", &u), TOTP_EURI);
}
END_TEST

static const struct {
    const char *uri;
    int err;
} bad_uris[] = {
    {"", TOTP_EURI},
    {"http://totp/a?secret=JBSWY3DPEHPK3PXP", TOTP_EURI},
    {"otpauth://motp/a?secret=JBSWY3DPEHPK3PXP", TOTP_EURI},
    {"otpauth://totp/a", TOTP_EURI},
    {"otpauth://totp/a?issuer=x", TOTP_EURI},
    {"otpauth://totp/?secret=JBSWY3DPEHPK3PXP", TOTP_EURI},
    {"otpauth://totp/I:?secret=JBSWY3DPEHPK3PXP", TOTP_EURI},
    {"otpauth://totp/:a?secret=JBSWY3DPEHPK3PXP", TOTP_EURI},
    {"otpauth://totp/%20%20?secret=JBSWY3DPEHPK3PXP", TOTP_EURI},
    {"otpauth://totp/a?secret=JBSWY3DPEHPK3PX1", TOTP_EBASE32},
    {"otpauth://totp/a?secret=", TOTP_EKEYLEN},
    {"otpauth://totp/a?secret=JBSWY3DP", TOTP_EKEYLEN},
    {"otpauth://totp/a%G1?secret=JBSWY3DPEHPK3PXP", TOTP_EURI},
    {"otpauth://totp/a%4?secret=JBSWY3DPEHPK3PXP", TOTP_EURI},
    {"otpauth://totp/a%?secret=JBSWY3DPEHPK3PXP", TOTP_EURI},
    {"otpauth://totp/a%00b?secret=JBSWY3DPEHPK3PXP", TOTP_EURI},
    {"otpauth://totp/a%0Ab?secret=JBSWY3DPEHPK3PXP", TOTP_EURI},
    {"otpauth://totp/%C3%28?secret=JBSWY3DPEHPK3PXP", TOTP_EURI},
    {"otpauth://totp/%C0%AF?secret=JBSWY3DPEHPK3PXP", TOTP_EURI},
    {"otpauth://totp/%ED%A0%80?secret=JBSWY3DPEHPK3PXP", TOTP_EURI},
    {"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&digits=9", TOTP_EDIGITS},
    {"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&digits=5", TOTP_EDIGITS},
    {"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&digits=6x", TOTP_EDIGITS},
    {"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&period=0", TOTP_EPERIOD},
    {"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&period=301", TOTP_EPERIOD},
    {"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&period=-30", TOTP_EPERIOD},
    {"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&algorithm=MD5", TOTP_EALGORITHM},
    {"otpauth://totp/X:a?secret=JBSWY3DPEHPK3PXP&issuer=Y", TOTP_EURI},
    {"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&secret=JBSWY3DPEHPK3PXP", TOTP_EURI},
    {"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&digits=6&digits=8", TOTP_EURI},
    {"otpauth://totp/a?secret", TOTP_EURI},
    {"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP#frag", TOTP_EURI},
    {"otpauth://hotp/a?secret=JBSWY3DPEHPK3PXP&counter=x", TOTP_EURI},
    {"otpauth://hotp/a?secret=JBSWY3DPEHPK3PXP&counter=18446744073709551616", TOTP_EURI},
};

START_TEST(parse_rejects)
{
    totp_uri u;
    int rc = totp_uri_parse(bad_uris[_i].uri, &u);
    ck_assert_msg(rc == bad_uris[_i].err, "%s: got %d (%s), want %d", bad_uris[_i].uri, rc,
                  totp_strerror(rc), bad_uris[_i].err);
    /* A failed parse leaves nothing behind to free or leak. */
    ck_assert_ptr_null(u.key);
    ck_assert_ptr_null(u.issuer);
    ck_assert_ptr_null(u.account);
}
END_TEST

START_TEST(parse_null_arguments)
{
    totp_uri u;
    ck_assert_int_eq(totp_uri_parse(NULL, &u), TOTP_EINVAL);
    ck_assert_int_eq(totp_uri_parse("otpauth://totp/a?secret=JBSWY3DPEHPK3PXP", NULL), TOTP_EINVAL);
    totp_uri_clear(NULL);
}
END_TEST

static const struct {
    const char *issuer;
    const char *account;
} names[] = {
    {"Example", "alice"},
    {NULL, "root@host.example"},
    {"ACME Co & Sons", "a b+c"},
    {"Zürich Bank", "Jürgen Müller"},
    {"日本銀行", "ユーザー"},
    {"emoji 🔐", "x?y=z&w#v%"},
    {"~-._", "/"},
};

START_TEST(round_trip_names)
{
    uint8_t key[TOTP_KEY_MAX];
    for (size_t i = 0; i < sizeof(key); i++)
        key[i] = (uint8_t)(255 - i);
    totp_params p = {(totp_algorithm)(_i % 3), 6 + (unsigned)_i % 3, 1 + (unsigned)_i * 40};
    totp_uri in = {TOTP_TYPE_TOTP,
                   (char *)names[_i].issuer,
                   (char *)names[_i].account,
                   key,
                   10 + (size_t)_i * 9,
                   p,
                   0};
    char *text = NULL;
    totp_uri out;
    ck_assert_int_eq(totp_uri_build(&in, &text), TOTP_OK);
    /* Nothing outside RFC 3986's unreserved set, '%' escapes and the structure survives. */
    for (const char *c = text; *c != '\0'; c++)
        ck_assert_msg(strchr(" \"<>\\^`{|}", *c) == NULL && (unsigned char)*c < 0x80, "%s", text);
    ck_assert_int_eq(totp_uri_parse(text, &out), TOTP_OK);
    if (names[_i].issuer == NULL)
        ck_assert_ptr_null(out.issuer);
    else
        ck_assert_str_eq(out.issuer, names[_i].issuer);
    ck_assert_str_eq(out.account, names[_i].account);
    ck_assert_uint_eq(out.key_len, in.key_len);
    ck_assert(memcmp(out.key, key, in.key_len) == 0);
    ck_assert_int_eq(out.params.algorithm, p.algorithm);
    ck_assert_uint_eq(out.params.digits, p.digits);
    ck_assert_uint_eq(out.params.period, p.period);
    totp_wipe_string(text);
    totp_uri_clear(&out);
}
END_TEST

/* ---- records from other systems' URIs (totpctl import --uri) ------------------------------ */

START_TEST(record_from_totp_uri)
{
    totp_record *rec = NULL;
    char *account = NULL;
    totp_error err = {0};
    totp_params p;
    ck_assert_int_eq(totp_record_from_uri("otpauth://totp/Old%20Corp:alice%40example.com?secret="
                                          "JBSWY3DPEHPK3PXP&issuer=Old%20Corp&algorithm=SHA256&"
                                          "digits=8&period=60",
                                          &rec, &account, &err),
                     TOTP_OK);
    ck_assert_str_eq(account, "alice@example.com");
    ck_assert_str_eq(totp_record_get(rec, "ISSUER"), "Old Corp");
    ck_assert_str_eq(totp_record_get(rec, "ACCOUNT"), "alice@example.com");
    ck_assert_ptr_nonnull(totp_record_get(rec, "TOTP_AUTH"));
    ck_assert_ptr_null(totp_record_get(rec, "HOTP_COUNTER"));
    const totp_params defaults = TOTP_PARAMS_DEFAULT;
    ck_assert_int_eq(totp_record_params(rec, &defaults, &p), TOTP_OK);
    ck_assert_int_eq(p.algorithm, TOTP_SHA256);
    ck_assert_uint_eq(p.digits, 8);
    ck_assert_uint_eq(p.period, 60);
    totp_record_free(rec);
    free(account);
}
END_TEST

START_TEST(record_from_hotp_uri)
{
    totp_record *rec = NULL;
    char *account = NULL;
    ck_assert_int_eq(totp_record_from_uri("otpauth://hotp/bob?secret=JBSWY3DPEHPK3PXP&counter=5",
                                          &rec, &account, NULL),
                     TOTP_OK);
    ck_assert_str_eq(totp_record_get(rec, "HOTP_COUNTER"), "5");
    ck_assert_ptr_null(totp_record_get(rec, "TOTP_AUTH"));
    ck_assert_ptr_null(totp_record_get(rec, "DISALLOW_REUSE"));
    totp_record_free(rec);
    free(account);
    /* google-authenticator's format has no counter 0: the first counter is 1. */
    ck_assert_int_eq(totp_record_from_uri("otpauth://hotp/bob?secret=JBSWY3DPEHPK3PXP&counter=0",
                                          &rec, &account, NULL),
                     TOTP_OK);
    ck_assert_str_eq(totp_record_get(rec, "HOTP_COUNTER"), "1");
    totp_record_free(rec);
    free(account);
}
END_TEST

START_TEST(record_from_uri_refuses)
{
    totp_record *rec = NULL;
    char *account = NULL;
    totp_error err = {0};
    ck_assert_int_eq(
        totp_record_from_uri("otpauth-migration://offline?data=CjEKCkhlbGxv", &rec, &account, &err),
        TOTP_EURI);
    ck_assert_ptr_nonnull(strstr(err.message, "otpauth-migration://) are not supported"));
    ck_assert_ptr_null(rec);
    ck_assert_ptr_null(account);
    ck_assert_int_eq(
        totp_record_from_uri("otpauth://totp/a?secret=not-base32!", &rec, &account, &err),
        TOTP_EBASE32);
    ck_assert_ptr_null(strstr(err.message, "not-base32")); /* never the secret */
    ck_assert_ptr_null(rec);
}
END_TEST

START_TEST(uri_account_user)
{
    char user[16];
    ck_assert_int_eq(totp_uri_account_user("alice@example.com", user, sizeof(user)), TOTP_OK);
    ck_assert_str_eq(user, "alice");
    ck_assert_int_eq(totp_uri_account_user("bob", user, sizeof(user)), TOTP_OK);
    ck_assert_str_eq(user, "bob");
    ck_assert_int_eq(totp_uri_account_user("@example.com", user, sizeof(user)), TOTP_EUSER);
    ck_assert_int_eq(totp_uri_account_user("averyveryverylongname", user, sizeof(user)),
                     TOTP_EUSER);
}
END_TEST

/* ISSUER and ACCOUNT: characters, not bytes; UTF-8 text without control characters. */
START_TEST(label_limits)
{
    char v[4 * 130 + 1] = "";
    for (int i = 0; i < 128; i++)
        strcat(v, "\xc3\xa9");
    ck_assert_ptr_null(totp_record_check("ISSUER", v));
    strcat(v, "\xc3\xa9");
    ck_assert_ptr_nonnull(totp_record_check("ISSUER", v));
    ck_assert_ptr_nonnull(totp_record_check("ACCOUNT", "a\tb"));
    ck_assert_ptr_nonnull(totp_record_check("ACCOUNT", "a\xff"
                                                       "b"));
    ck_assert_ptr_nonnull(totp_record_check("ACCOUNT", "a:b"));
    ck_assert_ptr_nonnull(totp_record_check("ACCOUNT", ""));
    ck_assert_ptr_null(totp_record_check("ACCOUNT", "\xf0\x9f\x94\x91 key"));
}
END_TEST

static Suite *uri_suite(void)
{
    Suite *s = suite_create("uri");
    TCase *tc = tcase_create("build");
    tcase_add_test(tc, build_exact_totp);
    tcase_add_test(tc, build_without_issuer);
    tcase_add_test(tc, build_percent_encodes_reserved_and_utf8);
    tcase_add_test(tc, build_hotp_has_counter);
    tcase_add_test(tc, build_compact_leaves_out_defaults_only);
    tcase_add_test(tc, build_rejects_bad_input);
    suite_add_tcase(s, tc);

    tc = tcase_create("parse");
    tcase_add_test(tc, parse_google_example);
    tcase_add_test(tc, parse_explicit_parameters);
    tcase_add_test(tc, parse_issuer_from_parameter_only);
    tcase_add_test(tc, parse_encoded_colon_and_spaces);
    tcase_add_test(tc, parse_hotp_counter);
    tcase_add_loop_test(tc, parse_rejects, 0, sizeof(bad_uris) / sizeof(bad_uris[0]));
    tcase_add_test(tc, parse_null_arguments);
    tcase_add_loop_test(tc, round_trip_names, 0, sizeof(names) / sizeof(names[0]));
    suite_add_tcase(s, tc);

    tc = tcase_create("import");
    tcase_add_test(tc, record_from_totp_uri);
    tcase_add_test(tc, record_from_hotp_uri);
    tcase_add_test(tc, record_from_uri_refuses);
    tcase_add_test(tc, uri_account_user);
    tcase_add_test(tc, label_limits);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(uri_suite)
