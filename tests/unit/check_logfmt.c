/* SPDX-License-Identifier: Apache-2.0 */
/* check_logfmt.c: log line fields in strict logfmt, invisible characters, the audit line. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "totp.h"
#include "unit.h"

static const char *field(const char *key, const char *value)
{
    static char buf[2048];
    size_t len = 0;
    buf[0] = '\0';
    totp_logfmt_add(buf, sizeof(buf), &len, key, value);
    ck_assert_uint_eq(len, strlen(buf));
    return buf;
}

START_TEST(values_are_bare_only_when_safe)
{
    ck_assert_str_eq(field("user", "alice"), "user=alice");
    ck_assert_str_eq(field("record", "/var/lib/totp/alice"), "record=/var/lib/totp/alice");
    ck_assert_str_eq(field("user", NULL), "user=-");
    ck_assert_str_eq(field("user", ""), "user=-");
    ck_assert_str_eq(field("record", "/home/eve smith/.google_authenticator"),
                     "record=\"/home/eve smith/.google_authenticator\"");
    ck_assert_str_eq(field("user", "a=b"), "user=\"a=b\"");
    ck_assert_str_eq(field("reason", "say \"hi\" \\ bye"), "reason=\"say \\\"hi\\\" \\\\ bye\"");
    ck_assert_str_eq(field("record", "CN=Eve Smith,OU=Staff,DC=ad,DC=test"),
                     "record=\"CN=Eve Smith,OU=Staff,DC=ad,DC=test\"");
}
END_TEST

START_TEST(control_and_invisible_characters_are_escaped)
{
    ck_assert_str_eq(field("user", "a\nb\tc\rd\033e"), "user=\"a\\nb\\tc\\rd\\u001be\"");
    ck_assert_str_eq(field("user", "caf\xc3\xa9"), "user=\"caf\xc3\xa9\""); /* UTF-8 stays */
    /* U+202E (bidi override), U+2028 (line separator), U+00AD, U+061C, U+2060, U+115F,
     * U+3164: escaped, so nothing in the line can pass for something else. */
    ck_assert_str_eq(field("user", "a\xe2\x80\xae"
                                   "b"),
                     "user=\"a\\u202eb\"");
    ck_assert_str_eq(field("user", "\xe2\x80\xa8"), "user=\"\\u2028\"");
    ck_assert_str_eq(field("user", "\xc2\xad\xd8\x9c\xe2\x81\xa0\xe1\x85\x9f\xe3\x85\xa4"),
                     "user=\"\\u00ad\\u061c\\u2060\\u115f\\u3164\"");
    /* Not UTF-8 (a lone continuation byte, an overlong '/', a cut sequence). */
    ck_assert_str_eq(field("user", "\x80"
                                   "a\xc0\xaf\xe2\x82"),
                     "user=\"\\ufffda\\ufffd\\ufffd\\ufffd\\ufffd\"");
    /* Beyond the BMP: as JSON's surrogate pair when hidden (a tag character), raw when not. */
    ck_assert_str_eq(field("user", "\xf3\xa0\x80\x81"), "user=\"\\udb40\\udc01\"");
    ck_assert_str_eq(field("user", "\xf0\x9f\x99\x82"), "user=\"\xf0\x9f\x99\x82\"");
}
END_TEST

START_TEST(long_values_are_cut_and_still_parse)
{
    char value[3000], buf[4096];
    memset(value, 'x', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    value[10] = ' ';
    size_t len = 0;
    buf[0] = '\0';
    ck_assert_int_eq(totp_logfmt_add(buf, sizeof(buf), &len, "reason", value), TOTP_EBUFFER);
    ck_assert_uint_le(strlen("reason=") + TOTP_LOGFMT_VALUE_MAX, sizeof(buf));
    ck_assert_uint_le(len, strlen("reason=") + TOTP_LOGFMT_VALUE_MAX);
    ck_assert_str_eq(buf + len - 4, "...\"");
    /* The next key still fits. */
    ck_assert_int_eq(totp_logfmt_add(buf, sizeof(buf), &len, "record", "r"), TOTP_OK);
    ck_assert_str_eq(buf + len - 10, "\" record=r");
    /* A cut never splits an escape: 300 newlines are 600 bytes of escapes. */
    memset(value, '\n', 400);
    value[400] = '\0';
    len = 0;
    totp_logfmt_add(buf, sizeof(buf), &len, "reason", value);
    ck_assert_str_eq(buf + len - 6, "\\n...\"");
    /* A small buffer: no overflow, a terminated line. */
    char tiny[12];
    len = 0;
    tiny[0] = '\0';
    ck_assert_int_eq(totp_logfmt_add(tiny, sizeof(tiny), &len, "reason", "one two three"),
                     TOTP_EBUFFER);
    ck_assert_uint_lt(strlen(tiny), sizeof(tiny));
}
END_TEST

START_TEST(audit_line_has_every_key_in_order)
{
    char buf[2048];
    totp_audit a = {0};
    a.action = "enroll";
    a.result = "ok";
    a.user = "eve";
    a.store = "file";
    a.record = "/var/lib/totp/eve";
    a.how = "admin";
    a.actor = "root";
    a.actor_uid = 0;
    a.sudo_user = "bob";
    ck_assert_int_eq(totp_audit_format(&a, buf, sizeof(buf)), TOTP_OK);
    ck_assert_str_eq(buf, "action=enroll result=ok user=eve store=file record=/var/lib/totp/eve "
                          "how=admin actor=root actor_uid=0 sudo_user=bob service=- rhost=- "
                          "reason=-");
    a.actor_uid = -1;
    a.reason = "the record exists";
    ck_assert_int_eq(totp_audit_format(&a, buf, sizeof(buf)), TOTP_OK);
    ck_assert_ptr_nonnull(strstr(buf, " actor_uid=- "));
    ck_assert_ptr_nonnull(strstr(buf, " reason=\"the record exists\""));
}
END_TEST

/* A directory server's diagnostic in an error message: one line, nothing invisible. */
START_TEST(server_words_become_one_line)
{
    char out[161];
    totpi_one_line("00002098: SecErr: DSID-03150F94, problem 4003 (INSUFF_ACCESS_RIGHTS), "
                   "data 0\n\tInsufficient access\r\n",
                   out, sizeof(out));
    ck_assert_str_eq(out, "00002098: SecErr: DSID-03150F94, problem 4003 (INSUFF_ACCESS_RIGHTS), "
                          "data 0\\n\\tInsufficient access");
    totpi_one_line("a\x1b[2Jb\xe2\x80\xae"
                   "c\xff"
                   "d \xc3\xa9",
                   out, sizeof(out));
    ck_assert_str_eq(out, "a\\x1b[2Jb\\u{202E}c\\xffd \xc3\xa9");
    ck_assert_uint_eq(totpi_one_line("\n\n", out, sizeof(out)), 0);
    /* Cut at a character's end, never inside an escape. */
    ck_assert_uint_eq(totpi_one_line("abc\n", out, 5), 3);
    ck_assert_str_eq(out, "abc");
}
END_TEST

static Suite *logfmt_suite(void)
{
    Suite *s = suite_create("logfmt");
    TCase *tc = tcase_create("logfmt");
    tcase_add_test(tc, values_are_bare_only_when_safe);
    tcase_add_test(tc, control_and_invisible_characters_are_escaped);
    tcase_add_test(tc, long_values_are_cut_and_still_parse);
    tcase_add_test(tc, audit_line_has_every_key_in_order);
    tcase_add_test(tc, server_words_become_one_line);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(logfmt_suite)
