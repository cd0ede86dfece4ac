/* SPDX-License-Identifier: Apache-2.0 */
/* options.c: the options of pam_totp, shared by module arguments, pam_totp.conf and totpctl. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "internal.h"
#include "store_ad.h"
#include "totp.h"

void totp_options_init(totp_options *opt)
{
    const totp_policy policy = TOTP_POLICY_DEFAULT;
    memset(opt, 0, sizeof(*opt));
    opt->policy = policy;
    opt->store.allowed_perm = 0600;
    /* root's; when we do not run as root (tests, a screen locker), our own, as for the site
     * file: nobody else can have made it. */
    opt->store.system_owner = geteuid();
}

void totp_options_clear(totp_options *opt)
{
    for (size_t i = 0; i < sizeof(opt->owned) / sizeof(opt->owned[0]); i++)
        free(opt->owned[i]);
    memset(opt, 0, sizeof(*opt));
}

/* Keep a copy of `value` in slot `slot` and return it. */
static const char *own(totp_options *opt, int slot, const char *value)
{
    free(opt->owned[slot]);
    opt->owned[slot] = strdup(value);
    return opt->owned[slot];
}

enum {
    SLOT_SECRET,
    SLOT_PROMPT,
    SLOT_SYSTEM_DIR,
    SLOT_CONF,
    SLOT_LDAP_URI,
    SLOT_LDAP_BASE,
    SLOT_LDAP_FILTER,
    SLOT_LDAP_BIND_DN,
    SLOT_LDAP_BIND_PW_FILE,
    SLOT_LDAP_CA_FILE,
    SLOT_AD_KEY_FILE,
    SLOT_ENROLL_GROUP,
    SLOT_ISSUER,
};

static int number(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
    return v != NULL && totpi_parse_uint(v, strlen(v), max, out) && *out >= min;
}

static int set_user(totp_options *opt, const char *v, totp_error *err)
{
    struct totpi_account acct;
    uint64_t uid;
    if (number(v, 0, UINT32_MAX - 1, &uid)) { /* google-authenticator takes a uid too */
        opt->store.fixed_user = 1;
        opt->store.fixed_uid = (uid_t)uid;
        return TOTP_OK;
    }
    if (totpi_account_lookup(v, &acct, err) != TOTP_OK)
        return TOTP_EUSER;
    opt->store.fixed_user = 1;
    opt->store.fixed_uid = acct.uid;
    totpi_account_clear(&acct);
    return TOTP_OK;
}

static int set_rate_limit(totp_options *opt, const char *v)
{
    const char *slash = v != NULL ? strchr(v, '/') : NULL;
    uint64_t n, s;
    if (slash == NULL || !totpi_parse_uint(v, (size_t)(slash - v), TOTPI_RATE_ATTEMPTS_MAX, &n) ||
        n < 1 || !number(slash + 1, 1, 86400, &s))
        return 0;
    opt->policy.rate_attempts = (unsigned)n;
    opt->policy.rate_interval = (unsigned)s;
    return 1;
}

/* throttle=off, or FREE,FIRST,MAX: free failures, the first delay and the longest (seconds). */
static int set_throttle(totp_options *opt, const char *v)
{
    uint64_t n[3];
    const char *p = v;
    if (strcmp(v, "off") == 0) {
        const totp_throttle off = {0, 0, 0};
        opt->policy.throttle = off;
        return 1;
    }
    for (int i = 0; i < 3; i++) {
        const char *end = i < 2 ? strchr(p, ',') : p + strlen(p);
        if (end == NULL || !totpi_parse_uint(p, (size_t)(end - p), 86400, &n[i]))
            return 0;
        p = end + 1;
    }
    if (n[0] < 1 || n[0] > 100 || n[1] < 1 || n[1] > 3600 || n[2] < n[1])
        return 0;
    opt->policy.throttle.free_failures = (unsigned)n[0];
    opt->policy.throttle.first_delay = (unsigned)n[1];
    opt->policy.throttle.max_delay = (unsigned)n[2];
    return 1;
}

/* The ldap_* options of store=ldap. */
static int set_ldap(totp_options *opt, const char *name, const char *v, const char **why,
                    int *handled)
{
    static const struct {
        const char *name;
        int slot;
        size_t offset;
        int is_path;
        const char *why;
    } strings[] = {
        {"ldap_uri", SLOT_LDAP_URI, offsetof(totp_options, ldap.uri), 0,
         "ldap://, ldaps:// or ldapi:// URIs"},
        {"ldap_base", SLOT_LDAP_BASE, offsetof(totp_options, ldap.base), 0, "a DN"},
        {"ldap_filter", SLOT_LDAP_FILTER, offsetof(totp_options, ldap.filter), 0,
         "one LDAP filter in parentheses with %u, such as (uid=%u)"},
        {"ldap_bind_dn", SLOT_LDAP_BIND_DN, offsetof(totp_options, ldap.bind_dn), 0, "a DN"},
        {"ldap_bind_pw_file", SLOT_LDAP_BIND_PW_FILE, offsetof(totp_options, ldap.bind_pw_file), 1,
         "an absolute path"},
        {"ldap_ca_file", SLOT_LDAP_CA_FILE, offsetof(totp_options, ldap.ca_file), 1,
         "an absolute path"},
    };
    uint64_t n;
    if (strcmp(name, "ldap_timeout") == 0) {
        *why = "1 to 60 seconds";
        if (!number(v, 1, 60, &n))
            return 0;
        opt->ldap.timeout = (unsigned)n;
        return 1;
    }
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        if (strcmp(name, strings[i].name) != 0)
            continue;
        *why = strings[i].why;
        if (v[0] == '\0' || (strings[i].is_path && v[0] != '/'))
            return 0;
        if (strings[i].slot == SLOT_LDAP_FILTER && !totpi_ldap_filter_ok(v))
            return 0;
        if (strings[i].slot == SLOT_LDAP_URI && !totpi_has_prefix_ci(v, "ldap://") &&
            !totpi_has_prefix_ci(v, "ldaps://") && !totpi_has_prefix_ci(v, "ldapi://"))
            return 0;
        const char *copy = own(opt, strings[i].slot, v);
        *(const char **)((char *)opt + strings[i].offset) = copy;
        return copy != NULL;
    }
    *handled = 0;
    return 0;
}

/* Options with a value. Each returns 1 if the value is acceptable; `why` says what is wanted. */
static int set_valued(totp_options *opt, const char *name, const char *v, const char **why,
                      totp_error *err, int *handled)
{
    uint64_t n;
    *handled = 1;
    if (strcmp(name, "secret") == 0) {
        *why = "an absolute path, perhaps with ~, ${HOME} or ${USER}";
        if (v[0] != '/' && v[0] != '~' && strncmp(v, "${HOME}", 7) != 0)
            return 0;
        return (opt->store.secret_path = own(opt, SLOT_SECRET, v)) != NULL;
    }
    if (strcmp(name, "authtok_prompt") == 0) {
        *why = "some text";
        return (opt->prompt = own(opt, SLOT_PROMPT, v)) != NULL;
    }
    if (strcmp(name, "system_dir") == 0) {
        *why = "an absolute path";
        return v[0] == '/' && (opt->store.system_dir = own(opt, SLOT_SYSTEM_DIR, v)) != NULL;
    }
    if (strcmp(name, "conf") == 0) {
        *why = "an absolute path";
        return v[0] == '/' && (opt->conf = own(opt, SLOT_CONF, v)) != NULL;
    }
    if (strcmp(name, "user") == 0) {
        *why = "an existing user name or a uid";
        return set_user(opt, v, err) == TOTP_OK;
    }
    if (strcmp(name, "allowed_perm") == 0) {
        char *end = NULL;
        long perm = strtol(v, &end, 8);
        *why = "an octal mode such as 0600";
        if (end == v || *end != '\0' || perm <= 0 || perm > 0777)
            return 0;
        opt->store.allowed_perm = (mode_t)perm;
        return 1;
    }
    if (strcmp(name, "window") == 0) {
        *why = "1 to 100";
        if (!number(v, 1, 100, &n))
            return 0;
        opt->policy.window = (unsigned)n;
        return 1;
    }
    if (strcmp(name, "skew_max") == 0) {
        *why = "1 to 45000 seconds";
        if (!number(v, 1, TOTP_SKEW_MAX_SECONDS, &n))
            return 0;
        opt->policy.skew_max = (unsigned)n;
        return 1;
    }
    if (strcmp(name, "digits") == 0) {
        *why = "6, 7 or 8";
        if (!number(v, 6, 8, &n))
            return 0;
        opt->policy.defaults.digits = (unsigned)n;
        return 1;
    }
    if (strcmp(name, "algorithm") == 0) {
        *why = "SHA1, SHA256 or SHA512";
        return totp_algorithm_parse(v, &opt->policy.defaults.algorithm) == TOTP_OK;
    }
    if (strcmp(name, "rate_limit") == 0) {
        *why = "ATTEMPTS/SECONDS, 1-1000 attempts in 1-86400 seconds";
        return set_rate_limit(opt, v);
    }
    if (strcmp(name, "throttle") == 0) {
        *why = "off, or FREE,FIRST,MAX: 1-100 failures without delay, then FIRST (1-3600) "
               "seconds doubling up to MAX (FIRST-86400) seconds";
        return set_throttle(opt, v);
    }
    if (strcmp(name, "store") == 0) {
        *why = "file, ldap or ad";
        if (strcmp(v, "file") != 0 && strcmp(v, "ldap") != 0 && strcmp(v, "ad") != 0)
            return 0;
        opt->ad_store = strcmp(v, "ad") == 0;
        opt->ldap_store = strcmp(v, "ldap") == 0 || opt->ad_store;
        return 1;
    }
    if (strcmp(name, "issuer") == 0) { /* totpctl's; valid as a record's ISSUER would be */
        *why = "1 to 128 characters of text without ':'";
        return totp_record_check("ISSUER", v) == NULL &&
               (opt->issuer = own(opt, SLOT_ISSUER, v)) != NULL;
    }
    if (strcmp(name, "ad_key_file") == 0) {
        *why = "an absolute path";
        return v[0] == '/' && (opt->ad_key_file = own(opt, SLOT_AD_KEY_FILE, v)) != NULL;
    }
    if (strcmp(name, "enroll_group") == 0) {
        *why = "a group name";
        return v[0] != '\0' && strlen(v) <= 256 && strchr(v, ':') == NULL &&
               (opt->enroll_group = own(opt, SLOT_ENROLL_GROUP, v)) != NULL;
    }
    if (strncmp(name, "ldap_", 5) == 0)
        return set_ldap(opt, name, v, why, handled);
    if (strcmp(name, "grace_period") == 0) {
        *why = "0 to 2592000 seconds";
        if (!number(v, 0, 2592000, &n))
            return 0;
        opt->policy.grace_period = (unsigned)n;
        return 1;
    }
    *handled = 0;
    return 0;
}

/* Options without a value: the field they turn on (or, with on == 0, off), or a pass mode. */
static int set_flag(totp_options *opt, const char *name, int on)
{
    static const struct {
        const char *name;
        size_t offset;
    } flags[] = {
        {"nullok", offsetof(totp_options, nullok)},
        {"debug", offsetof(totp_options, debug)},
        {"forward_pass", offsetof(totp_options, forward_pass)},
        {"echo_verification_code", offsetof(totp_options, echo_code)},
        {"echo-verification-code", offsetof(totp_options, echo_code)}, /* GA's other spelling */
        {"allow_readonly", offsetof(totp_options, allow_readonly)},
        {"nodelay", offsetof(totp_options, nodelay)},
        {"no_strict_owner", offsetof(totp_options, store.no_strict_owner)},
        {"system_only", offsetof(totp_options, store.system_only)},
        {"noskewadj", offsetof(totp_options, policy.noskewadj)},
        {"no_increment_hotp", offsetof(totp_options, policy.no_increment_hotp)},
        {"ldap_starttls", offsetof(totp_options, ldap.starttls)},
        {"ldap_insecure_cleartext", offsetof(totp_options, ldap.insecure_cleartext)},
        {"enroll_at_login", offsetof(totp_options, enroll_at_login)},
        {"enroll_replace_with_scratch", offsetof(totp_options, enroll_replace_with_scratch)},
    };
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        if (strcmp(name, flags[i].name) == 0) {
            *(int *)((char *)opt + flags[i].offset) = on;
            return 1;
        }
    }
    if (strcmp(name, "try_first_pass") == 0)
        opt->pass_mode = on ? TOTP_PASS_TRY_FIRST : TOTP_PASS_PROMPT;
    else if (strcmp(name, "use_first_pass") == 0)
        opt->pass_mode = on ? TOTP_PASS_USE_FIRST : TOTP_PASS_PROMPT;
    else
        return 0;
    return 1;
}

int totp_options_set(totp_options *opt, const char *arg, totp_error *err)
{
    if (opt == NULL || arg == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "invalid argument");
    const char *eq = strchr(arg, '=');
    char name[64];
    size_t len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
    if (len == 0 || len >= sizeof(name))
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "unknown option \"%.64s\"", arg);
    memcpy(name, arg, len);
    name[len] = '\0';

    if (eq == NULL) {
        if (set_flag(opt, name, 1))
            return TOTP_OK;
        const char *why;
        int handled;
        totp_error ignored;
        set_valued(opt, name, "", &why, &ignored, &handled);
        if (handled)
            return totpi_fail(err, TOTP_EINVAL, 0, 0, "%s needs a value: %s", name, why);
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "unknown option \"%.64s\"", arg);
    }
    const char *why = "";
    int handled;
    if (set_valued(opt, name, eq + 1, &why, err, &handled))
        return TOTP_OK;
    if (!handled) {
        if (set_flag(opt, name, 1))
            return totpi_fail(err, TOTP_EINVAL, 0, 0, "%s takes no value", name);
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "unknown option \"%.64s\"", name);
    }
    return totpi_fail(err, TOTP_EINVAL, errno == ENOMEM ? ENOMEM : 0, 0, "%s=%.128s: must be %s",
                      name, eq + 1, why);
}

/* A conf line: "name = value" for options with values, "name" or "name = yes|no" for flags. */
int totpi_options_conf_line(void *ctx, const char *name, const char *value, totp_error *err)
{
    totp_options *opt = ctx;
    static const char *const yes[] = {"yes", "true", "on", "1"}, *const no[] = {"no", "false",
                                                                                "off", "0"};
    totp_options probe;
    if (strcmp(name, "conf") == 0)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "conf cannot be set in a configuration file");
    totp_options_init(&probe);
    int is_flag = set_flag(&probe, name, 1);
    totp_options_clear(&probe);
    if (is_flag && value != NULL) {
        for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
            if (strcmp(value, yes[i]) == 0)
                return set_flag(opt, name, 1) ? TOTP_OK : TOTP_EINVAL;
            if (strcmp(value, no[i]) == 0)
                return set_flag(opt, name, 0) ? TOTP_OK : TOTP_EINVAL;
        }
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "%s must be yes or no", name);
    }
    char arg[1024];
    size_t n = strlen(name), m = value != NULL ? strlen(value) : 0;
    if (n + m + 2 > sizeof(arg))
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "%s: value too long", name);
    memcpy(arg, name, n);
    if (value != NULL) {
        arg[n] = '=';
        memcpy(arg + n + 1, value, m + 1);
    } else {
        arg[n] = '\0';
    }
    return totp_options_set(opt, arg, err);
}

int totpi_options_conf_mode(const totp_options *opt, const char *path, mode_t mode, totp_error *err)
{
    /* A site file that points at the directory's password is root's to read, as the password. */
    if (opt->ldap.bind_pw_file != NULL && (mode & 004))
        return totpi_fail(err, TOTP_EPERM, 0, 0,
                          "%s: names ldap_bind_pw_file, so others must not read it (mode %04o; "
                          "use 0640 or 0600)",
                          path, (unsigned)mode);
    return TOTP_OK;
}

int totp_options_load(totp_options *opt, int argc, const char **argv, totp_error *err)
{
    const char *conf = NULL;
    if (opt == NULL || (argc > 0 && argv == NULL))
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "invalid argument");
    for (int i = 0; i < argc; i++) {
        if (argv[i] != NULL && strncmp(argv[i], "conf=", 5) == 0)
            conf = argv[i] + 5;
    }
    const char *path = conf != NULL ? conf : TOTP_CONF_DEFAULT;
    int was_read = 0;
    mode_t mode = 0;
    /* The default file is optional; one that conf= names must be there. */
    int rc =
        totpi_conf_read(path, conf == NULL, totpi_options_conf_line, opt, &was_read, &mode, err);
    if (rc != TOTP_OK)
        return rc;
    if (was_read && (rc = totpi_options_conf_mode(opt, path, mode, err)) != TOTP_OK)
        return rc;
    if (was_read && (opt->conf = own(opt, SLOT_CONF, path)) == NULL)
        return totpi_fail(err, TOTP_ENOMEM, ENOMEM, 0, "out of memory");
    for (int i = 0; i < argc; i++) {
        if (argv[i] == NULL)
            return totpi_fail(err, TOTP_EINVAL, 0, 0, "invalid argument");
        rc = totp_options_set(opt, argv[i], err);
        if (rc != TOTP_OK)
            return rc;
    }
    /* Enrollment at login writes where the administrator's records are (the system store, a
     * directory); secret= names a file of the user's or a path of the site's own making. */
    if (opt->enroll_at_login && !opt->ldap_store &&
        (opt->store.secret_path != NULL ||
         (opt->store.system_dir != NULL && opt->store.system_dir[0] == '\0')))
        return totpi_fail(err, TOTP_EINVAL, 0, 0,
                          "enroll_at_login needs the system store (or store=ldap or ad): it cannot "
                          "be used with %s",
                          opt->store.secret_path != NULL ? "secret=" : "system_dir=\"\"");
    /* forward_pass's one question carries the password on: an enrollment has no place in it. */
    if ((opt->enroll_at_login || opt->enroll_replace_with_scratch) && opt->forward_pass)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "%s cannot be used with forward_pass",
                          opt->enroll_at_login ? "enroll_at_login" : "enroll_replace_with_scratch");
    if (opt->ldap_store) {
        /* The directory keeps no skew samples (so do not search 3001 steps for nothing), and a
         * failed HOTP code must not move a counter that every host and slapo-otp share: anyone
         * could push it beyond the user's device with wrong codes. */
        opt->policy.noskewadj = 1;
        opt->policy.no_increment_hotp = 1;
    }
    return TOTP_OK;
}

int totp_options_store(const totp_options *opt, totp_store **out, totp_error *err)
{
    if (out != NULL)
        *out = NULL;
    if (opt == NULL || out == NULL)
        return totpi_fail(err, TOTP_EINVAL, 0, 0, "invalid argument");
    if (!opt->ldap_store) {
        int rc = totp_store_file_new(&opt->store, out);
        return rc == TOTP_OK ? rc : totpi_fail(err, rc, 0, 0, "%s", totp_strerror(rc));
    }
    /* The directory holds the secret and the watermark only: refuse what would silently not
     * be enforced. */
    const char *kind = opt->ad_store ? "ad" : "ldap";
    if (opt->policy.rate_attempts > 0)
        return totpi_fail(err, TOTP_EINVAL, 0, 0,
                          "rate_limit cannot be used with store=%s (the directory keeps no "
                          "attempt history)",
                          kind);
    if (opt->policy.grace_period > 0)
        return totpi_fail(err, TOTP_EINVAL, 0, 0,
                          "grace_period cannot be used with store=%s (the directory keeps no "
                          "login history)",
                          kind);
    if (opt->ad_store)
        return totpi_store_ad_new(&opt->ldap, opt->ad_key_file, out, err);
    int rc = totp_store_ldap_new(&opt->ldap, out, err);
    /* Anonymous readers usually see no token at all: every enrolled user would look
     * unenrolled, and nullok would let them in. (After the store's own checks, which name
     * what is more basically wrong, such as clear text.) */
    if (rc == TOTP_OK && opt->nullok && opt->ldap.bind_dn == NULL) {
        totp_store_free(*out);
        *out = NULL;
        rc = totpi_fail(err, TOTP_EINVAL, 0, 0,
                        "nullok with store=ldap needs ldap_bind_dn (an anonymous bind may not "
                        "see the tokens, and an enrolled user would pass as unenrolled)");
    }
    return rc;
}
