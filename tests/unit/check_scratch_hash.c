/* SPDX-License-Identifier: Apache-2.0 */
/* check_scratch_hash.c: scratch codes as the directory stores keep them: the hash format, the
 * verify path with hashed codes, the record round trip and what a commit changes. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "scratch_hash.h"
#include "unit.h"

#define SEED "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n\" TOTP_AUTH\n"
/* Made with Python's hashlib.pbkdf2_hmac("sha256", code, salt, iterations), not with our code:
 * 12345678 and 87654321 under salt "0123456789abcdef", 1000 iterations; 11111111 under another
 * salt and 2000. */
#define H1 "$pbkdf2-sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg$N4TvvtjglJbyYZ9QW3DjLsxk40Z1PzTrVYxnJeV7UkU"
#define H2 "$pbkdf2-sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg$Go1z2h1DmyJSghI8YUjDlQw8+2oP1U/9ZIPFFvIru+w"
#define H3 "$pbkdf2-sha256$2000$ZmVkY2JhOTg3NjU0MzIxMA$Hro8oh5oK9EADw8XDlpVtbPKUvoZiU2S8s0GFy9yv44"

static totp_record *parse(const char *text)
{
    totp_record *rec = NULL;
    totp_error err;
    ck_assert_int_eq(totp_record_parse(text, strlen(text), &rec, &err), TOTP_OK);
    return rec;
}

static totp_record *with_hashes(const char *hashes)
{
    totp_record *rec = parse(SEED);
    ck_assert_int_eq(totp_record_set(rec, TOTPI_SCRATCH_HASH_KEY, hashes), TOTP_OK);
    return rec;
}

START_TEST(values_are_well_formed_or_refused)
{
    ck_assert(totpi_scratch_hash_ok(H1, strlen(H1)));
    ck_assert(totpi_scratch_hash_ok(H3, strlen(H3)));
    const char *bad[] = {
        "",
        "$pbkdf2-sha1$1000$MDEyMzQ1Njc4OWFiY2RlZg$N4TvvtjglJbyYZ9QW3DjLsxk40Z1PzTrVYxnJeV7UkU",
        "$pbkdf2-sha256$999$MDEyMzQ1Njc4OWFiY2RlZg$N4TvvtjglJbyYZ9QW3DjLsxk40Z1PzTrVYxnJeV7UkU",
        "$pbkdf2-sha256$99999999$MDEyMzQ1Njc4OWFiY2RlZg$N4TvvtjglJbyYZ9QW3DjLsxk40Z1PzTrVYxnJeV7Uk"
        "U",
        "$pbkdf2-sha256$1000$MDEy$N4TvvtjglJbyYZ9QW3DjLsxk40Z1PzTrVYxnJeV7UkU", /* short salt */
        "$pbkdf2-sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg$N4TvvtjglJbyYZ9QW3DjLsxk40Z1PzTr", /* short */
        "$pbkdf2-sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg$N4TvvtjglJbyYZ9QW3DjLsxk40Z1PzTrVYxnJeV7UkU$",
        "$pbkdf2-sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg$N4Tvvtjgl*byYZ9QW3DjLsxk40Z1PzTrVYxnJeV7UkU",
        "$pbkdf2-sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(!totpi_scratch_hash_ok(bad[i], strlen(bad[i])), "accepted %s", bad[i]);
}
END_TEST

START_TEST(a_made_set_shares_one_salt_and_checks_out)
{
    totp_record *rec = parse(SEED "12345678\n87654321\n");
    char **v = NULL;
    totp_error err;
    ck_assert_int_eq(totpi_scratch_hash_make(rec, &v, &err), TOTP_OK);
    ck_assert_ptr_nonnull(v[0]);
    ck_assert_ptr_nonnull(v[1]);
    ck_assert_ptr_null(v[2]);
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "$pbkdf2-sha256$%u$", TOTPI_SCRATCH_HASH_ITER);
    for (int i = 0; i < 2; i++) {
        ck_assert(totpi_scratch_hash_ok(v[i], strlen(v[i])));
        ck_assert_int_eq(strncmp(v[i], prefix, strlen(prefix)), 0);
        ck_assert_ptr_null(strstr(v[i], "12345678"));
        ck_assert_ptr_null(strstr(v[i], "87654321"));
    }
    /* one salt: the same up to the hash */
    size_t salt_end = (size_t)(strrchr(v[0], '$') - v[0]);
    ck_assert_int_eq(strncmp(v[0], v[1], salt_end + 1), 0);
    ck_assert_str_ne(v[0], v[1]);
    /* another set, another salt */
    char **w = NULL;
    ck_assert_int_eq(totpi_scratch_hash_make(rec, &w, &err), TOTP_OK);
    ck_assert_int_ne(strncmp(v[0], w[0], salt_end), 0);

    char joined[512];
    snprintf(joined, sizeof(joined), "%s %s", v[0], v[1]);
    totp_record *h = with_hashes(joined);
    ck_assert_uint_eq(totp_record_scratch_count(h), 2);
    ck_assert_int_eq(totpi_scratch_hash_take(h, "87654321"), 1);
    ck_assert_str_eq(totp_record_get(h, TOTPI_SCRATCH_HASH_KEY), v[0]);
    ck_assert_int_eq(totpi_scratch_hash_take(h, "87654321"), 0);
    ck_assert_int_eq(totpi_scratch_hash_take(h, "12345678"), 1);
    ck_assert_str_eq(totp_record_get(h, TOTPI_SCRATCH_HASH_KEY), "");
    ck_assert_uint_eq(totp_record_scratch_count(h), 0);
    totp_record_free(h);
    totpi_scratch_hash_free(v);
    totpi_scratch_hash_free(w);
    totp_record_free(rec);
}
END_TEST

START_TEST(take_matches_hashes_made_elsewhere)
{
    totp_record *rec = with_hashes(H1 " " H2);
    ck_assert_int_eq(totpi_scratch_hash_take(rec, "22222222"), 0);
    ck_assert_int_eq(totpi_scratch_hash_take(rec, "1234567"), 0);
    ck_assert_uint_eq(totp_record_scratch_count(rec), 2);
    ck_assert_int_eq(totpi_scratch_hash_take(rec, "87654321"), 1);
    ck_assert_str_eq(totp_record_get(rec, TOTPI_SCRATCH_HASH_KEY), H1);
    totp_record_free(rec);
    rec = with_hashes(H3); /* another salt and count, alone: a set of its own */
    ck_assert_int_eq(totpi_scratch_hash_take(rec, "11111111"), 1);
    ck_assert_str_eq(totp_record_get(rec, TOTPI_SCRATCH_HASH_KEY), "");
    totp_record_free(rec);
    /* a malformed value never matches, and does not hide the others */
    rec = with_hashes("$pbkdf2-sha256$1000$x$y " H1);
    ck_assert_int_eq(totpi_scratch_hash_take(rec, "12345678"), 1);
    ck_assert_str_eq(totp_record_get(rec, TOTPI_SCRATCH_HASH_KEY), "$pbkdf2-sha256$1000$x$y");
    totp_record_free(rec);
}
END_TEST

/* 1000000 iterations, 12345678 under H1's salt (hashlib.pbkdf2_hmac, as above). */
#define H_MAX                                                                                      \
    "$pbkdf2-sha256$1000000$MDEyMzQ1Njc4OWFiY2RlZg$p6FWoaPuE8ccRi7jyykdUd7QTLdW9/DgLSBQXSGeCgU"

/* A value asking more than ten times the default iterations is bad (one attempt would take
 * minutes with 100 such values), and a set shares one iteration count and salt (a login
 * derives once): anything else is refused, and never matches. */
START_TEST(iterations_are_capped_and_a_set_shares_one_salt)
{
    const char *over = "$pbkdf2-sha256$1000001$MDEyMzQ1Njc4OWFiY2RlZg$"
                       "N4TvvtjglJbyYZ9QW3DjLsxk40Z1PzTrVYxnJeV7UkU";
    const char *huge = "$pbkdf2-sha256$10000000$MDEyMzQ1Njc4OWFiY2RlZg$"
                       "N4TvvtjglJbyYZ9QW3DjLsxk40Z1PzTrVYxnJeV7UkU";
    ck_assert_uint_eq(TOTPI_SCRATCH_HASH_ITER_MAX, 1000000u);
    ck_assert(totpi_scratch_hash_ok(H_MAX, strlen(H_MAX)));
    ck_assert_ptr_null(totpi_scratch_hash_problem(H_MAX, strlen(H_MAX)));
    ck_assert(!totpi_scratch_hash_ok(over, strlen(over)));
    ck_assert(!totpi_scratch_hash_ok(huge, strlen(huge)));
    ck_assert_str_eq(totpi_scratch_hash_problem(huge, strlen(huge)),
                     "its iteration count is above 1000000 (ten times the default)");
    ck_assert_ptr_nonnull(strstr(totpi_scratch_hash_problem("x", 1), "not a $pbkdf2-sha256$"));
    /* a value over the cap never matches, though it is the right hash of its code */
    totp_record *rec = with_hashes(huge);
    ck_assert_int_eq(totpi_scratch_hash_take(rec, "12345678"), 0);
    totp_record_free(rec);
    /* sets: one salt and count, or refused as a whole */
    ck_assert_ptr_null(totpi_scratch_hash_set_problem(H1 " " H2));
    ck_assert_ptr_null(totpi_scratch_hash_set_problem(H3));
    ck_assert_ptr_null(totpi_scratch_hash_set_problem(""));
    ck_assert_str_eq(totpi_scratch_hash_set_problem(H1 " " H3),
                     "its values differ in iteration count or salt (a set shares one)");
    ck_assert_ptr_nonnull(totpi_scratch_hash_set_problem(H1 " " H_MAX)); /* same salt, count */
    rec = with_hashes(H1 " " H3 " " H2);
    ck_assert_int_eq(totpi_scratch_hash_take(rec, "11111111"), 0);
    ck_assert_int_eq(totpi_scratch_hash_take(rec, "12345678"), 0);
    ck_assert_str_eq(totp_record_get(rec, TOTPI_SCRATCH_HASH_KEY), H1 " " H3 " " H2);
    totp_record_free(rec);
}
END_TEST

START_TEST(verify_takes_a_hashed_code_once_and_counts_a_wrong_one)
{
    totp_policy policy = TOTP_POLICY_DEFAULT;
    totp_result res;
    totp_record *rec = with_hashes(H1 " " H2);
    ck_assert_int_eq(totp_policy_check(rec, "8765 4321", 0, 1700000000, &policy, &res), TOTP_OK);
    ck_assert_int_eq(res.method, TOTP_BY_SCRATCH);
    ck_assert_uint_eq(res.scratch_left, 1);
    ck_assert(res.changed);
    ck_assert_str_eq(totp_record_get(rec, TOTPI_SCRATCH_HASH_KEY), H1);
    /* used: refused, and a failure like any wrong code */
    ck_assert_int_eq(totp_policy_check(rec, "87654321", 0, 1700000010, &policy, &res),
                     TOTP_EMISMATCH);
    ck_assert_uint_eq(res.scratch_left, 1);
    ck_assert_ptr_nonnull(totp_record_get(rec, "FAILURES"));
    ck_assert_int_eq(strncmp(totp_record_get(rec, "FAILURES"), "1 ", 2), 0);
    totp_record_free(rec);
}
END_TEST

START_TEST(records_round_trip_and_a_new_set_replaces_hashes)
{
    totp_record *rec = with_hashes(H1 " " H2), *back = NULL;
    char *text = NULL;
    size_t len = 0;
    totp_error err;
    ck_assert_int_eq(totp_record_serialize(rec, &text, &len), TOTP_OK);
    ck_assert_ptr_nonnull(strstr(text, "\" SCRATCH_HASH " H1 " " H2 "\n"));
    ck_assert_int_eq(totp_record_parse(text, len, &back, &err), TOTP_OK);
    ck_assert_str_eq(totp_record_get(back, TOTPI_SCRATCH_HASH_KEY), H1 " " H2);
    ck_assert_uint_eq(totp_record_scratch_count(back), 2);
    /* an empty set read from a directory stays a (bare) option */
    ck_assert_int_eq(totpi_scratch_hash_take(back, "12345678"), 1);
    ck_assert_int_eq(totpi_scratch_hash_take(back, "87654321"), 1);
    ck_assert_str_eq(totp_record_get(back, TOTPI_SCRATCH_HASH_KEY), "");
    uint32_t fresh[] = {11112222, 33334444, 55556666};
    ck_assert_int_eq(totp_record_set_scratch(rec, fresh, 3), TOTP_OK);
    ck_assert_ptr_null(totp_record_get(rec, TOTPI_SCRATCH_HASH_KEY));
    ck_assert_uint_eq(totp_record_scratch_count(rec), 3);
    char codes[4][9];
    ck_assert_uint_eq(totpi_record_scratch_codes(rec, codes, 4), 3);
    ck_assert_str_eq(codes[1], "33334444");
    free(text);
    totp_record_free(back);
    totp_record_free(rec);
}
END_TEST

START_TEST(changes_are_deletes_of_used_values_or_a_new_set)
{
    struct totpi_scratch_changes c;
    totp_error err;
    totp_record *rec = with_hashes(H1 " " H3);
    ck_assert_int_eq(totpi_scratch_hash_changes(H1 " " H2 " " H3, rec, &c, &err), TOTP_OK);
    ck_assert(!c.replace);
    ck_assert_str_eq(c.del[0], H2);
    ck_assert_ptr_null(c.del[1]);
    totpi_scratch_changes_free(&c);
    ck_assert_int_eq(totpi_scratch_hash_changes(H1 " " H3, rec, &c, &err), TOTP_OK);
    ck_assert(!c.replace && c.del == NULL && c.add == NULL);
    /* a value that was not read is never written this way */
    ck_assert_int_eq(totpi_scratch_hash_changes(H1, rec, &c, &err), TOTP_EINVAL);
    totp_record_free(rec);

    /* plain codes: a new set, hashed */
    rec = parse(SEED "12345678\n");
    ck_assert_int_eq(totpi_scratch_hash_changes(H1 " " H2, rec, &c, &err), TOTP_OK);
    ck_assert(c.replace);
    ck_assert_ptr_nonnull(c.add[0]);
    ck_assert_ptr_null(c.add[1]);
    totp_record *check = with_hashes(c.add[0]);
    ck_assert_int_eq(totpi_scratch_hash_take(check, "12345678"), 1);
    totp_record_free(check);
    totpi_scratch_changes_free(&c);
    totp_record_free(rec);

    /* no codes at all: nothing to do, unless the directory held some */
    rec = parse(SEED);
    ck_assert_int_eq(totpi_scratch_hash_changes(NULL, rec, &c, &err), TOTP_OK);
    ck_assert(!c.replace && c.add == NULL && c.del == NULL);
    ck_assert_int_eq(totpi_scratch_hash_changes(H1, rec, &c, &err), TOTP_OK);
    ck_assert(c.replace);
    ck_assert_ptr_null(c.add[0]);
    totpi_scratch_changes_free(&c);
    totp_record_free(rec);
}
END_TEST

static Suite *scratch_hash_suite(void)
{
    Suite *s = suite_create("scratch_hash");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, values_are_well_formed_or_refused);
    tcase_add_test(tc, a_made_set_shares_one_salt_and_checks_out);
    tcase_add_test(tc, take_matches_hashes_made_elsewhere);
    tcase_add_test(tc, iterations_are_capped_and_a_set_shares_one_salt);
    tcase_add_test(tc, verify_takes_a_hashed_code_once_and_counts_a_wrong_one);
    tcase_add_test(tc, records_round_trip_and_a_new_set_replaces_hashes);
    tcase_add_test(tc, changes_are_deletes_of_used_values_or_a_new_set);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(scratch_hash_suite)
