/* SPDX-License-Identifier: Apache-2.0 */
/* check_ldap.c: the LDAP store's pieces that need no server: filters (RFC 4515 escaping), the
 * ldap_* options and what store=ldap refuses. The store against a real slapd is
 * tests/ldap/ldap_store.sh. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"
#include "ldap_conn.h"
#include "totp.h"
#include "unit.h"

static const struct {
    const char *filter, *user, *want;
} expansions[] = {
    {"(uid=%u)", "alice", "(uid=alice)"},
    {"(uid=%u)", "*", "(uid=\\2a)"},
    {"(uid=%u)", "a)(uid=*", "(uid=a\\29\\28uid=\\2a)"},
    {"(uid=%u)", "back\\slash", "(uid=back\\5cslash)"},
    {"(uid=%u)", "caf\xc3\xa9", "(uid=caf\\c3\\a9)"},
    {"(&(objectClass=posixAccount)(|(uid=%u)(mail=%u@example.com)))", "bob",
     "(&(objectClass=posixAccount)(|(uid=bob)(mail=bob@example.com)))"},
    {"(&(uid=%u)(description=100%%))", "x", "(&(uid=x)(description=100%))"},
    {"(uid=%u)", NULL, "(uid=*)"},
    /* %s: the name without winbind's DOMAIN\ or SSSD's @realm, escaped the same way */
    {"(sAMAccountName=%s)", "ADTEST\\alice", "(sAMAccountName=alice)"},
    {"(sAMAccountName=%s)", "alice@ad.example.com", "(sAMAccountName=alice)"},
    {"(sAMAccountName=%s)", "alice", "(sAMAccountName=alice)"},
    {"(sAMAccountName=%s)", "D\\a*)(x@r", "(sAMAccountName=a\\2a\\29\\28x)"},
    {"(sAMAccountName=%s)", "@only", "(sAMAccountName=@only)"},
    {"(&(sAMAccountName=%s)(userPrincipalName=%u))", "bob@r",
     "(&(sAMAccountName=bob)(userPrincipalName=bob@r))"},
};

START_TEST(filters_escape_the_user)
{
    char *out = NULL;
    totp_error err = {0};
    ck_assert_int_eq(totpi_ldap_filter(expansions[_i].filter, expansions[_i].user, &out, &err),
                     TOTP_OK);
    ck_assert_str_eq(out, expansions[_i].want);
    free(out);
}
END_TEST

START_TEST(filters_are_checked)
{
    ck_assert(totpi_ldap_filter_ok("(uid=%u)"));
    ck_assert(totpi_ldap_filter_ok("(&(objectClass=person)(uid=%u))"));
    ck_assert(!totpi_ldap_filter_ok("uid=%u"));         /* no parentheses */
    ck_assert(!totpi_ldap_filter_ok("(uid=alice)"));    /* no %u */
    ck_assert(!totpi_ldap_filter_ok("(uid=%u"));        /* unbalanced */
    ck_assert(!totpi_ldap_filter_ok("(uid=%u))(x=y"));  /* two filters */
    ck_assert(!totpi_ldap_filter_ok("(uid=%u)(cn=x)")); /* two side by side */
    ck_assert(totpi_ldap_filter_ok("(uid=%s)"));        /* the short name */
    ck_assert(!totpi_ldap_filter_ok("(uid=%x)"));       /* an unknown escape */
    ck_assert(!totpi_ldap_filter_ok("(uid=%u\n)"));     /* a control character */
    ck_assert(!totpi_ldap_filter_ok(NULL));
}
END_TEST

START_TEST(the_user_attribute_comes_from_the_filter)
{
    char *a = totpi_ldap_filter_attr("(uid=%u)");
    ck_assert_str_eq(a, "uid");
    free(a);
    a = totpi_ldap_filter_attr("(&(objectClass=person)(sAMAccountName=%u))");
    ck_assert_str_eq(a, "sAMAccountName");
    free(a);
    ck_assert_ptr_null(totpi_ldap_filter_attr("(cn=x%u)"));
    ck_assert_ptr_null(totpi_ldap_filter_attr("(uid~=%u)"));
}
END_TEST

static int opt_set(totp_options *opt, const char *arg, totp_error *err)
{
    memset(err, 0, sizeof(*err));
    return totp_options_set(opt, arg, err);
}

START_TEST(ldap_options_set_their_fields)
{
    totp_options opt;
    totp_error err;
    totp_options_init(&opt);
    ck_assert_int_eq(opt.ldap_store, 0);
    ck_assert_int_eq(opt_set(&opt, "store=ldap", &err), TOTP_OK);
    ck_assert_int_eq(opt_set(&opt, "ldap_uri=ldaps://ldap1.example.com ldaps://ldap2", &err),
                     TOTP_OK);
    ck_assert_int_eq(opt_set(&opt, "ldap_base=dc=example,dc=com", &err), TOTP_OK);
    ck_assert_int_eq(opt_set(&opt, "ldap_filter=(&(objectClass=person)(uid=%u))", &err), TOTP_OK);
    ck_assert_int_eq(opt_set(&opt, "ldap_bind_dn=cn=pam,dc=example,dc=com", &err), TOTP_OK);
    ck_assert_int_eq(opt_set(&opt, "ldap_bind_pw_file=/etc/security/pam_totp.ldap.pw", &err),
                     TOTP_OK);
    ck_assert_int_eq(opt_set(&opt, "ldap_ca_file=/etc/ssl/certs/ca.pem", &err), TOTP_OK);
    ck_assert_int_eq(opt_set(&opt, "ldap_starttls", &err), TOTP_OK);
    ck_assert_int_eq(opt_set(&opt, "ldap_timeout=3", &err), TOTP_OK);
    ck_assert_int_eq(opt.ldap_store, 1);
    ck_assert_str_eq(opt.ldap.uri, "ldaps://ldap1.example.com ldaps://ldap2");
    ck_assert_str_eq(opt.ldap.base, "dc=example,dc=com");
    ck_assert_str_eq(opt.ldap.filter, "(&(objectClass=person)(uid=%u))");
    ck_assert_str_eq(opt.ldap.bind_dn, "cn=pam,dc=example,dc=com");
    ck_assert_str_eq(opt.ldap.bind_pw_file, "/etc/security/pam_totp.ldap.pw");
    ck_assert_str_eq(opt.ldap.ca_file, "/etc/ssl/certs/ca.pem");
    ck_assert_int_eq(opt.ldap.starttls, 1);
    ck_assert_uint_eq(opt.ldap.timeout, 3);
    totp_store *store = NULL;
    ck_assert_int_eq(totp_options_store(&opt, &store, &err), TOTP_OK); /* no connection yet */
    ck_assert_ptr_nonnull(store);
    totp_store_free(store);
    ck_assert_int_eq(opt_set(&opt, "store=file", &err), TOTP_OK);
    ck_assert_int_eq(opt.ldap_store, 0);
    totp_options_clear(&opt);
}
END_TEST

static const struct {
    const char *arg, *message;
} bad[] = {
    {"store=sql", "store=sql: must be file, ldap or ad"},
    {"ad_key_file=keys", "ad_key_file=keys: must be an absolute path"},
    {"ldap_uri=http://x", "ldap_uri=http://x: must be ldap://, ldaps:// or ldapi:// URIs"},
    {"ldap_uri=", "ldap_uri=: must be ldap://"},
    {"ldap_filter=uid=%u", "ldap_filter=uid=%u: must be one LDAP filter in parentheses"},
    {"ldap_filter=(uid=alice)", "ldap_filter=(uid=alice): must be one LDAP filter"},
    {"ldap_bind_pw_file=pw.txt", "ldap_bind_pw_file=pw.txt: must be an absolute path"},
    {"ldap_timeout=0", "ldap_timeout=0: must be 1 to 60 seconds"},
    {"ldap_timeout=61", "ldap_timeout=61: must be 1 to 60 seconds"},
    {"ldap_starttls=1", "ldap_starttls takes no value"},
    {"ldap_frob=1", "unknown option \"ldap_frob\""},
};

START_TEST(bad_ldap_options_are_named)
{
    totp_options opt;
    totp_error err;
    totp_options_init(&opt);
    ck_assert_int_eq(opt_set(&opt, bad[_i].arg, &err), TOTP_EINVAL);
    ck_assert_msg(strncmp(err.message, bad[_i].message, strlen(bad[_i].message)) == 0,
                  "%s: got \"%s\", want \"%s\"", bad[_i].arg, err.message, bad[_i].message);
    totp_options_clear(&opt);
}
END_TEST

static const struct {
    const char *args[4], *message;
} refused[] = {
    {{"store=ldap", "ldap_base=dc=x", NULL}, "store=ldap needs ldap_uri"},
    {{"store=ldap", "ldap_uri=ldap://x", NULL}, "store=ldap needs ldap_base"},
    {{"ldap_uri=ldap://x", "ldap_base=dc=x", "ldap_bind_dn=cn=pam,dc=x"},
     "ldap_bind_dn needs ldap_bind_pw_file"},
    {{"ldap_uri=ldap://x", "ldap_base=dc=x", "rate_limit=3/30"},
     "rate_limit cannot be used with store=ldap"},
    {{"ldap_uri=ldap://x", "ldap_base=dc=x", "grace_period=60"},
     "grace_period cannot be used with store=ldap"},
    /* Clear text, whatever the spelling or the place in the list, needs the loud option. */
    {{"ldap_uri=ldap://x", "ldap_base=dc=x", NULL}, "ldap_uri ldap://x: clear text"},
    {{"ldap_uri=ldaps://a LDAP://b", "ldap_base=dc=x", NULL}, "ldap_uri LDAP://b: clear text"},
    {{"ldap_uri=ldaps://a,ldap://b", "ldap_base=dc=x", "ldap_ca_file=/ca.pem"},
     "ldap_uri ldap://b: clear text"},
    {{"ldap_uri=ldapi:///", "ldap_base=dc=x", "ldap_ca_file=/ca.pem"},
     "ldap_ca_file /ca.pem: no URI uses TLS"},
    {{"ldap_uri=ldap://x", "ldap_base=dc=x", "ldap_insecure_cleartext", "ldap_ca_file=/ca.pem"},
     "ldap_ca_file /ca.pem: no URI uses TLS"},
    /* An anonymous bind may see no token: nullok would let enrolled users in. */
    {{"ldap_uri=ldaps://x", "ldap_base=dc=x", "nullok", NULL},
     "nullok with store=ldap needs ldap_bind_dn"},
    {{"ldap_uri=ldaps://a http://b", "ldap_base=dc=x", NULL},
     "ldap_uri http://b: not an ldap://, ldaps:// or ldapi:// URI"},
};

/* What is not clear text, or is asked for loudly, makes a store. */
static const char *const accepted[][4] = {
    {"ldap_uri=ldap://x", "ldap_starttls", "ldap_ca_file=/ca.pem", NULL},
    {"ldap_uri=LDAPS://a ldaps://b", "ldap_ca_file=/ca.pem", NULL, NULL},
    {"ldap_uri=ldapi:///", NULL, NULL, NULL},
    {"ldap_uri=ldap://127.0.0.1", "ldap_insecure_cleartext", NULL, NULL},
};

START_TEST(store_ldap_takes_tls_ldapi_or_the_loud_option)
{
    totp_options opt;
    totp_error err;
    totp_store *store = NULL;
    totp_options_init(&opt);
    ck_assert_int_eq(opt_set(&opt, "store=ldap", &err), TOTP_OK);
    ck_assert_int_eq(opt_set(&opt, "ldap_base=dc=x", &err), TOTP_OK);
    for (int i = 0; i < 4 && accepted[_i][i] != NULL; i++)
        ck_assert_int_eq(opt_set(&opt, accepted[_i][i], &err), TOTP_OK);
    ck_assert_msg(totp_options_store(&opt, &store, &err) == TOTP_OK, "%s", err.message);
    totp_store_free(store);
    totp_options_clear(&opt);
}
END_TEST

START_TEST(store_ldap_refuses_what_it_cannot_keep)
{
    totp_options opt;
    totp_error err;
    totp_store *store = (totp_store *)&opt; /* must be reset to NULL */
    totp_options_init(&opt);
    opt.ldap_store = 1;
    for (int i = 0; i < 4 && refused[_i].args[i] != NULL; i++)
        ck_assert_int_eq(opt_set(&opt, refused[_i].args[i], &err), TOTP_OK);
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(totp_options_store(&opt, &store, &err), TOTP_EINVAL);
    ck_assert_ptr_null(store);
    ck_assert_msg(strncmp(err.message, refused[_i].message, strlen(refused[_i].message)) == 0,
                  "got \"%s\", want \"%s\"", err.message, refused[_i].message);
    totp_options_clear(&opt);
}
END_TEST

#define AD_BASE "store=ad", "ldap_base=DC=ad,DC=test"
static const struct {
    const char *args[7], *message;
} ad_refused[] = {
    {{AD_BASE, "ldap_uri=ldaps://dc1", "ldap_bind_dn=pam@ad.test", "ldap_bind_pw_file=/pw", NULL},
     "store=ad needs ad_key_file"},
    {{AD_BASE, "ldap_uri=ldaps://dc1", "ad_key_file=/k", NULL}, "store=ad needs ldap_bind_dn"},
    {{AD_BASE, "ldap_uri=ldaps://dc1 ldap://dc2", "ldap_bind_dn=pam@ad.test",
      "ldap_bind_pw_file=/pw", "ad_key_file=/k"},
     "ldap_uri ldap://dc2: store=ad needs ldaps:// or ldap_starttls"},
    /* Split as the connection splits: a comma is a separator too. */
    {{AD_BASE, "ldap_uri=ldaps://dc1,ldap://dc2", "ldap_bind_dn=pam@ad.test",
      "ldap_bind_pw_file=/pw", "ad_key_file=/k"},
     "ldap_uri ldap://dc2: store=ad needs ldaps:// or ldap_starttls"},
    {{AD_BASE, "ldap_uri=ldaps://dc1\tldap://dc2", "ldap_bind_dn=pam@ad.test",
      "ldap_bind_pw_file=/pw", "ad_key_file=/k"},
     "ldap_uri ldap://dc2: store=ad needs ldaps:// or ldap_starttls"},
    /* AD needs TLS anyway: the loud option has no place there, even with TLS URIs. */
    {{AD_BASE, "ldap_uri=ldaps://dc1", "ldap_bind_dn=pam@ad.test", "ldap_bind_pw_file=/pw",
      "ad_key_file=/k", "ldap_insecure_cleartext"},
     "ldap_insecure_cleartext cannot be used with store=ad"},
    {{AD_BASE, "ldap_uri=LDAP://dc1", "ldap_bind_dn=pam@ad.test", "ldap_bind_pw_file=/pw",
      "ad_key_file=/k"},
     "ldap_uri LDAP://dc1: store=ad needs ldaps://"},
    {{AD_BASE, "ldap_uri=ldaps://dc1", "ldap_bind_dn=pam@ad.test", "ldap_bind_pw_file=/pw",
      "rate_limit=3/30"},
     "rate_limit cannot be used with store=ad"},
};

START_TEST(store_ad_refuses_bad_configurations)
{
    totp_options opt;
    totp_error err;
    totp_store *store = (totp_store *)&opt; /* must be reset to NULL */
    totp_options_init(&opt);
    for (int i = 0; i < 7 && ad_refused[_i].args[i] != NULL; i++)
        ck_assert_int_eq(opt_set(&opt, ad_refused[_i].args[i], &err), TOTP_OK);
    ck_assert_int_eq(opt.ad_store, 1);
    ck_assert_int_eq(opt.ldap_store, 1); /* a directory: totpctl and the policy treat it so */
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(totp_options_store(&opt, &store, &err), TOTP_EINVAL);
    ck_assert_ptr_null(store);
    ck_assert_msg(strncmp(err.message, ad_refused[_i].message, strlen(ad_refused[_i].message)) == 0,
                  "got \"%s\", want \"%s\"", err.message, ad_refused[_i].message);
    totp_options_clear(&opt);
}
END_TEST

START_TEST(store_ad_accepts_starttls_and_ldapi)
{
    totp_options opt;
    totp_error err;
    totp_store *store = NULL;
    const char *args[] = {AD_BASE,
                          "ldap_uri=ldap://dc1 ldapi:///",
                          "ldap_starttls",
                          "ldap_bind_dn=pam@ad.test",
                          "ldap_bind_pw_file=/pw",
                          "ad_key_file=/k"};
    totp_options_init(&opt);
    for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++)
        ck_assert_int_eq(opt_set(&opt, args[i], &err), TOTP_OK);
    ck_assert_int_eq(totp_options_store(&opt, &store, &err), TOTP_OK); /* no connection yet */
    ck_assert_ptr_nonnull(store);
    totp_store_free(store);
    totp_options_clear(&opt);
}
END_TEST

START_TEST(an_unreachable_directory_is_an_error_within_the_timeout)
{
    /* Port 1 on loopback: nothing listens, the connection is refused at once. */
    totp_ldap_store_config cfg = {
        "ldap://127.0.0.1:1", "dc=example,dc=com", NULL, NULL, NULL, 0, NULL, 1, 1};
    totp_store *store = NULL;
    totp_txn *txn = NULL;
    totp_record *rec = NULL;
    totp_error err = {0};
    ck_assert_int_eq(totp_store_ldap_new(&cfg, &store, &err), TOTP_OK);
    ck_assert_int_eq(totp_store_begin(store, "alice", 0, &txn, &rec, &err), TOTP_EIO);
    ck_assert_ptr_null(txn);
    ck_assert_ptr_null(rec);
    ck_assert_msg(strstr(err.message, "ldap://127.0.0.1:1") != NULL, "%s", err.message);
    totp_result res;
    totp_policy policy = TOTP_POLICY_DEFAULT;
    ck_assert_int_eq(
        totp_authenticate(store, "alice", "123456", 0, 0, &policy, &res, NULL, 0, &err), TOTP_EIO);
    ck_assert_int_ne(res.verdict, TOTP_OK);
    totp_store_free(store);
}
END_TEST

/* A "directory" that reads the first request of each connection and hangs up: libldap then
 * writes into a closed connection, which raises SIGPIPE unless the store keeps it away. */
static void *hang_up_server(void *arg)
{
    int fd = *(int *)arg;
    for (int i = 0; i < 4; i++) {
        int c = accept(fd, NULL, NULL);
        if (c < 0)
            break;
        char buf[512];
        (void)!read(c, buf, sizeof(buf));
        struct linger lg = {1, 0}; /* reset, not a polite close */
        setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        close(c);
    }
    return NULL;
}

START_TEST(a_server_that_hangs_up_raises_no_sigpipe)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(fd, 4), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, hang_up_server, &fd), 0);

    char uri[64], pwfile[] = "/tmp/check_ldap_pw.XXXXXX";
    snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
    int pw = mkstemp(pwfile);
    ck_assert_int_ge(pw, 0);
    ck_assert_int_eq(write(pw, "secret\n", 7), 7);
    close(pw);
    totp_ldap_store_config cfg = {
        uri, "dc=example,dc=com", NULL, "cn=pam,dc=example,dc=com", pwfile, 0, NULL, 2, 1};
    signal(SIGPIPE, SIG_DFL); /* as in a process that never heard of SIGPIPE */
    totp_store *store = NULL;
    totp_error err = {0};
    ck_assert_int_eq(totp_store_ldap_new(&cfg, &store, &err), TOTP_OK);
    for (int i = 0; i < 4; i++) {
        totp_txn *txn = NULL;
        totp_record *rec = NULL;
        int rc = totp_store_begin(store, "alice", 0, &txn, &rec, &err);
        ck_assert_msg(rc == TOTP_EIO, "attempt %d: %d %s", i, rc, err.message);
    }
    totp_store_free(store);
    shutdown(fd, SHUT_RDWR);
    close(fd);
    pthread_join(th, NULL);
    unlink(pwfile);
    /* Nothing is left pending for the thread either. */
    sigset_t pending;
    sigpending(&pending);
    ck_assert(!sigismember(&pending, SIGPIPE));
}
END_TEST

START_TEST(a_sigpipe_during_ldap_work_is_consumed)
{
    signal(SIGPIPE, SIG_DFL); /* delivered, it would end this process */
    struct totpi_sigpipe sp;
    totpi_sigpipe_block(&sp);
    raise(SIGPIPE); /* what a write to a reset connection does */
    totpi_sigpipe_restore(&sp);
    sigset_t mask, pending;
    pthread_sigmask(SIG_SETMASK, NULL, &mask);
    ck_assert(!sigismember(&mask, SIGPIPE)); /* the mask is as it was */
    sigpending(&pending);
    ck_assert(!sigismember(&pending, SIGPIPE));
}
END_TEST

START_TEST(dns_are_compared_as_dns)
{
    ck_assert_int_eq(totpi_ldap_dn_equal("uid=alice,ou=people,dc=example,dc=com",
                                         "UID=Alice, OU=People,DC=Example,DC=COM"),
                     1);
    ck_assert_int_eq(totpi_ldap_dn_equal("cn=a\\2cb,dc=x", "cn=a\\,b,dc=x"), 1); /* escapes */
    ck_assert_int_eq(totpi_ldap_dn_equal("cn=totp,uid=alice,dc=x", "uid=alice,dc=x"), 0);
    ck_assert_int_eq(totpi_ldap_dn_equal("uid=alice,dc=x", "uid=alicf,dc=x"), 0);
    ck_assert_int_eq(totpi_ldap_dn_equal("uid=alice,dc=x", "cn=alice,dc=x"), 0);
    ck_assert_int_eq(totpi_ldap_dn_equal("uid=alice,dc=x", "not a dn"), -1);
    ck_assert_int_eq(totpi_ldap_dn_equal(NULL, "dc=x"), -1);
}
END_TEST

static Suite *ldap_suite(void)
{
    Suite *s = suite_create("ldap");
    TCase *tc = tcase_create("filters");
    tcase_add_loop_test(tc, filters_escape_the_user, 0, sizeof(expansions) / sizeof(expansions[0]));
    tcase_add_test(tc, filters_are_checked);
    tcase_add_test(tc, the_user_attribute_comes_from_the_filter);
    tcase_add_test(tc, dns_are_compared_as_dns);
    suite_add_tcase(s, tc);
    tc = tcase_create("options");
    tcase_add_test(tc, ldap_options_set_their_fields);
    tcase_add_loop_test(tc, bad_ldap_options_are_named, 0, sizeof(bad) / sizeof(bad[0]));
    tcase_add_loop_test(tc, store_ldap_refuses_what_it_cannot_keep, 0,
                        sizeof(refused) / sizeof(refused[0]));
    tcase_add_loop_test(tc, store_ldap_takes_tls_ldapi_or_the_loud_option, 0,
                        sizeof(accepted) / sizeof(accepted[0]));
    tcase_add_loop_test(tc, store_ad_refuses_bad_configurations, 0,
                        sizeof(ad_refused) / sizeof(ad_refused[0]));
    tcase_add_test(tc, store_ad_accepts_starttls_and_ldapi);
    tcase_add_test(tc, an_unreachable_directory_is_an_error_within_the_timeout);
    tcase_add_test(tc, a_server_that_hangs_up_raises_no_sigpipe);
    tcase_add_test(tc, a_sigpipe_during_ldap_work_is_consumed);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(ldap_suite)
