#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# root_pamtester.sh: pam_totp.so in a real /etc/pam.d service, driven by pamtester (as root):
# the RFC 6238 Appendix B vectors at faked times (libfaketime), fail-closed stacks, and
# google-authenticator-libpam swapped for pam_totp and back on one enrollment, and interleaved
# on one file with a learned skew (no code accepted twice).
set -u
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: needs root to write /etc/pam.d (CI runs this as root)"
    exit 77
fi
# The module's syslog lines go to a /dev/log of the test's own, for tests/logs/logfmt_all.sh.
. "${srcdir:-.}/tests/tools/devlog.sh"
devlog_enter "$@" || echo "note: no mount namespaces here: the syslog lines are not collected"
for tool in pamtester faketime google-authenticator; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool not found (README's test command installs it)"; exit 1; }
done

top=${top_builddir:-.}
module=${PAM_TOTP_MODULE:-$PWD/$top/pam_totp/.libs/pam_totp.so}
code_tool=$top/tests/tools/totp-code
ga_module=/lib/x86_64-linux-gnu/security/pam_google_authenticator.so
[ -f "$ga_module" ] || ga_module=$(find /lib /usr/lib -name pam_google_authenticator.so 2>/dev/null | head -n 1)
[ -n "$ga_module" ] || { echo "FAIL: pam_google_authenticator.so not found"; exit 1; }

work=$(mktemp -d /tmp/pam_totp-pamtester.XXXXXX)
service=pam_totp_test_$$
cleanup() {
    devlog_cleanup
    rm -f "/etc/pam.d/$service"
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
chmod 0700 "$work"
mkdir -m 0700 "$work/system"
syslog=
devlog_start "$work/devlog" && syslog=$work/devlog/syslog

if ldd "$module" | grep -q libasan; then
    # pamtester would need the ASan runtime preloaded, and libfaketime deadlocks with it. The
    # plain build runs this script; the sanitizer build runs the module through pam_wrapper.
    echo "SKIP: sanitizer build (libfaketime and the ASan runtime cannot share pamtester)"
    exit 77
fi

passed=0
failed=0
check() { # check WHAT EXPECTED(0|1) ACTUAL
    if [ "$2" = "$3" ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $1 (wanted $2, got $3)"; fi
}
use_service() { printf '%s\n' "$@" >"/etc/pam.d/$service"; }
# login USER CODE [UNIXTIME]: 0 if pamtester authenticated.
login() {
    local when=${3:-}
    if [ -n "$when" ]; then
        printf '%s\n' "$2" | TZ=UTC timeout 60 faketime -f "@$(date -u -d "@$when" '+%Y-%m-%d %H:%M:%S')" \
            pamtester "$service" "$1" authenticate >"$work/out" 2>&1
    else
        printf '%s\n' "$2" | timeout 60 pamtester "$service" "$1" authenticate >"$work/out" 2>&1
    fi
    [ $? = 0 ] && return 0 || return 1
}

# ---- RFC 6238 Appendix B through the whole PAM stack --------------------------------------
seed_sha1=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
seed_sha256=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA
seed_sha512=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA
use_service "auth required $module system_dir=$work/system"
while read -r t alg code; do
    seed_var=seed_$(echo "$alg" | tr 'A-Z' 'a-z')
    printf '%s\n" TOTP_AUTH\n" ALGORITHM %s\n" DIGITS 8\n' "${!seed_var}" "$alg" >"$work/system/rfc"
    chmod 0600 "$work/system/rfc"
    login rfc "$code" "$t"; check "RFC 6238 $alg at $t accepted" 0 $?
    login rfc "$code" "$t"; check "RFC 6238 $alg at $t replay refused" 1 $?
done <<'EOF'
59 SHA1 94287082
59 SHA256 46119246
59 SHA512 90693936
1111111109 SHA1 07081804
1111111109 SHA256 68084774
1111111109 SHA512 25091201
1111111111 SHA1 14050471
1111111111 SHA256 67062674
1111111111 SHA512 99943326
1234567890 SHA1 89005924
1234567890 SHA256 91819424
1234567890 SHA512 93441116
2000000000 SHA1 69279037
2000000000 SHA256 90698825
2000000000 SHA512 38618901
20000000000 SHA1 65353130
20000000000 SHA256 77737706
20000000000 SHA512 47863826
EOF

# ---- Error paths fail closed, even with pam_permit after ----------------------------------
use_service "auth required $module system_dir=$work/system nullok" "auth required pam_permit.so"
printf '%s\n" TOTP_AUTH\n" STEP_SIZE 0\n' "$seed_sha1" >"$work/system/broken"
chmod 0600 "$work/system/broken"
login broken 123456; check "corrupt record fails the stack" 1 $?
grep -q "cannot retrieve authentication info" "$work/out"; check "corrupt record is PAM_AUTHINFO_UNAVAIL" 0 $?
use_service "auth required $module system_dir=$work/not-mounted nullok" "auth required pam_permit.so"
login rfc 123456; check "a missing system store fails the stack, even with nullok" 1 $?
grep -q "cannot retrieve authentication info" "$work/out"; check "a missing system store is PAM_AUTHINFO_UNAVAIL" 0 $?
use_service "auth required $module system_dir=$work/system nonsense_option" "auth required pam_permit.so"
login rfc 123456; check "unknown option fails the stack" 1 $?

# ---- google-authenticator enrollment: swap modules both ways --------------------------------
ga_file=$work/ga
google-authenticator -t -d -f -C -q -Q NONE -r 3 -R 30 -w 3 -e 3 -s "$ga_file" </dev/null
secret=$(head -n 1 "$ga_file")
scratch=$(sed -n '/^[0-9]\{8\}$/p' "$ga_file" | head -n 1)
now=$(( $(date +%s) / 30 * 30 ))
ga_line="auth required $ga_module secret=$ga_file user=root"
totp_line="auth required $module secret=$ga_file user=root"

use_service "$ga_line"
login root "$($code_tool "$secret" "$now")" "$now"; check "GA accepts its own enrollment" 0 $?
use_service "$totp_line"
login root "$($code_tool "$secret" "$now")" "$((now + 10))"; check "pam_totp refuses the code GA accepted" 1 $?
login root "$($code_tool "$secret" $((now + 30)))" "$((now + 30))"; check "pam_totp accepts the GA enrollment" 0 $?
login root "$scratch" "$((now + 31))"; check "pam_totp accepts GA's scratch code" 0 $?
login root "$scratch" "$((now + 32))"; check "the scratch code works once" 1 $?
# (RATE_LIMIT 3 30 counts every attempt, for both modules: wait out the three just made.)
use_service "$ga_line"
login root "$($code_tool "$secret" $((now + 90)))" "$((now + 90))"; check "GA accepts the file pam_totp rewrote" 0 $?
grep -q '^" RATE_LIMIT 3 30' "$ga_file"; check "GA's options survive in the file" 0 $?
use_service "$totp_line"
login root "$($code_tool "$secret" $((now + 90)))" "$((now + 91))"; check "pam_totp refuses GA's last code" 1 $?

# GA with reuse allowed: pam_totp refuses the replay anyway.
google-authenticator -t -D -f -C -q -Q NONE -u -w 3 -e 0 -s "$ga_file" </dev/null
secret=$(head -n 1 "$ga_file")
use_service "$totp_line"
code=$($code_tool "$secret" "$now")
login root "$code" "$now"; check "pam_totp accepts a reuse-allowed GA file" 0 $?
login root "$code" "$((now + 5))"; check "pam_totp refuses the replay GA would allow" 1 $?

# Both modules on one file, the attack review's interleaving: GA drops DISALLOW_REUSE entries
# a window away from the step it accepts, which must not reopen a step pam_totp accepted.
t0=1764290010 # step s0 = t0 / 30
printf '%s\n" TOTP_AUTH\n" DISALLOW_REUSE\n" TIME_SKEW 8\n' "$seed_sha1" >"$ga_file"
chmod 0600 "$ga_file"
ahead=$($code_tool "$seed_sha1" $((t0 + 240)))
use_service "$totp_line"
login root "$ahead" "$t0"; check "pam_totp accepts the code of s0+8 (TIME_SKEW 8)" 0 $?
login root "$($code_tool "$seed_sha1" $((t0 + 30)))" "$((t0 + 30))"; check "a corrected phone: 1st code" 1 $?
login root "$($code_tool "$seed_sha1" $((t0 + 60)))" "$((t0 + 60))"; check "a corrected phone: 2nd code" 1 $?
login root "$($code_tool "$seed_sha1" $((t0 + 90)))" "$((t0 + 90))"; check "a corrected phone: 3rd code relearns" 0 $?
use_service "$ga_line"
login root "$($code_tool "$seed_sha1" $((t0 + 120)))" "$((t0 + 120))"; check "GA accepts s0+4" 0 $?
grep -q '^" TOTP_USED ' "$ga_file"; check "GA keeps TOTP_USED" 0 $?
use_service "$totp_line"
login root "$ahead" "$((t0 + 240))"; check "pam_totp refuses the replay of s0+8 after GA pruned" 1 $?
login root "$($code_tool "$seed_sha1" $((t0 + 120)))" "$((t0 + 121))"; check "pam_totp refuses GA's s0+4" 1 $?
login root "$($code_tool "$seed_sha1" $((t0 + 150)))" "$((t0 + 150))"; check "pam_totp accepts s0+5" 0 $?
use_service "$ga_line"
login root "$($code_tool "$seed_sha1" $((t0 + 150)))" "$((t0 + 151))"; check "GA refuses pam_totp's s0+5" 1 $?

# The module's lines in pamtester reached syslog, in logfmt (logfmt_all.sh parses them).
if [ -n "$syslog" ]; then
    devlog_stop
    check "the module's lines reached /dev/log" 0 "$([ "$(grep -c 'pamtester: pam_totp(' "$syslog")" -ge 10 ]; echo $?)"
    cat "$syslog" >>"${TOTP_TEST_SYSLOG_FILE:-/dev/null}"
fi

echo "pamtester: $passed passed, $failed failed"
[ "$failed" = 0 ]
