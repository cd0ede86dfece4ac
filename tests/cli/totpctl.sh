#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# totpctl.sh: every totpctl command and error path, with fake users (nss_wrapper), logins
# through the real PAM module (pam_wrapper), JSON checked with jq and QR images decoded with
# zbarimg, and the audit line of each command that changes a record (syslog through
# tests/tools/libsyslog-shim.so). As root, the fake users are uid 65534 and the root-only paths
# run too.
set -u
# Share the pam_wrapper lock (tests/tools/pamwrap-login.sh): no directory test's burst of 40
# logins starts while this test's pam_wrapper processes run.
{ : >>/tmp/pam_totp-pam_wrapper.lock && chmod 0666 /tmp/pam_totp-pam_wrapper.lock; } 2>/dev/null
exec 8</tmp/pam_totp-pam_wrapper.lock 2>/dev/null && flock -w 300 -s 8
top=${top_builddir:-.}
srcdir=${srcdir:-.}
totpctl=$PWD/$top/totpctl/totpctl
tools=$PWD/$top/tests/tools
module=${PAM_TOTP_MODULE:-$PWD/$top/pam_totp/.libs/pam_totp.so}
for tool in jq zbarimg rsvg-convert setpriv; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool not found (README's test command installs it)"; exit 1; }
done

work=$(mktemp -d /tmp/totpctl-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
if [ "$(id -u)" = 0 ]; then uid=65534 gid=65534; else uid=$(id -u) gid=$(id -g); fi
mkdir -p "$work/home/alice" "$work/home/bob" "$work/services"
[ "$(id -u)" = 0 ] && chown "$uid:$gid" "$work/home/alice" "$work/home/bob"
cat >"$work/passwd" <<EOF
alice:x:$uid:$gid:Alice:$work/home/alice:/bin/sh
bob:x:$uid:$gid:Bob:$work/home/bob:/bin/sh
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
EOF
echo "users:x:$gid:alice,bob" >"$work/group"
export NSS_WRAPPER_PASSWD=$work/passwd NSS_WRAPPER_GROUP=$work/group
export NSS_WRAPPER_DISABLE_DEEPBIND=1 # sanitizer builds refuse RTLD_DEEPBIND
# syslog(3) of totpctl and of the module goes to the test's file, not to the host's log.
shim=${TOTP_TEST_SYSLOG_SHIM:-$PWD/$top/tests/tools/.libs/libsyslog-shim.so}
[ -f "$shim" ] || { echo "FAIL: $shim not built (make check builds it)"; exit 1; }
export TOTP_TEST_SYSLOG_FILE=${TOTP_TEST_SYSLOG_FILE:-$work/syslog}
: >>"$TOTP_TEST_SYSLOG_FILE" && chmod 0666 "$TOTP_TEST_SYSLOG_FILE" # alice's lines too
export LD_PRELOAD=libnss_wrapper.so:$shim ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
# The system store must exist (a missing one is an error, not "not enrolled"). As a user, the
# module and totpctl take one of the user's own for the system store, as for the site file.
system=$work/system
mkdir -m 0700 "$system"
conf=$work/pam_totp.conf
echo "system_dir = $system" >"$conf"
# The commands below fail on purpose up to 4 times in a row (replays, malformed codes): more
# than the default throttle's 3 free failures. The throttle itself has its own section.
echo "throttle = 10,15,120" >>"$conf"
echo "auth required $module conf=$conf" >"$work/services/login"
echo "auth required pam_deny.so" >"$work/services/other" # libpam's fallback service

passed=0
failed=0
secrets=()
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
# expect STATUS DESCRIPTION COMMAND...: the command's exit status; its output is in $out.
expect() {
    local want=$1 what=$2
    shift 2
    log_mark
    out=$("$@" 2>"$work/err")
    local got=$?
    err=$(cat "$work/err")
    # Secrets and scratch codes shown, which no log line may hold (checked at the end).
    case $out in "{"*) secrets+=($(printf '%s' "$out" | jq -r '(.secret? // empty), (.scratch_codes? // [] | .[])' 2>/dev/null)) ;; esac
    if [ "$got" = "$want" ]; then ok; else bad "$what: exit $got, wanted $want; $err"; fi
}
has() { case "$1" in *"$2"*) ok ;; *) bad "$3: \"$2\" not in: $1" ;; esac; }
# The syslog lines since log_mark (expect() marks before each command).
log_mark() { log_seen=$(cat "$TOTP_TEST_SYSLOG_FILE" 2>/dev/null | wc -l); }
log_since() { tail -n +$((log_seen + 1)) "$TOTP_TEST_SYSLOG_FILE" 2>/dev/null; }
# audited [-N] FIELD...: the last command wrote N (default 1) audit lines (authpriv: notice when
# result=ok, else warning), each with every key=value FIELD.
audited() {
    local n=1 lines f
    case $1 in -[0-9]*) n=${1#-}; shift ;; esac
    lines=$(log_since | grep '^<[0-9]*>totpctl: ')
    [ "$(printf '%s' "$lines" | grep -c .)" = "$n" ] && ok || { bad "$n audit line(s) wanted for $*, got: $lines"; return; }
    while IFS= read -r line; do
        for f in "$@"; do
            case " ${line#*: } " in *" $f "*) ok ;; *) bad "$f not in the audit line: $line" ;; esac
        done
        case $line in "<85>totpctl: "*" result=ok "* | "<84>totpctl: "*" result=refused "* | "<84>totpctl: "*" result=failed "*) ok ;;
        *) bad "not authpriv.notice for result=ok, authpriv.warning else: $line" ;; esac
    done <<<"$lines"
}
not_audited() { case "$(log_since)" in *"totpctl: "*) bad "$1 wrote an audit line: $(log_since)" ;; *) ok ;; esac; }
as_alice() { # run as alice, in her home
    if [ "$(id -u)" = 0 ]; then
        HOME=$work/home/alice setpriv --reuid="$uid" --regid="$gid" --clear-groups "$@"
    else
        HOME=$work/home/alice "$@"
    fi
}
T() { "$totpctl" --conf "$conf" "$@"; }
login() { # login USER CODE: through pam_totp.so, as sshd would (as whoever runs the test)
    LD_PRELOAD=libpam_wrapper.so:libnss_wrapper.so:$shim PAM_WRAPPER_USE_SYSLOG=1 \
        PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=$work/services \
        PAM_WRAPPER_DISABLE_DEEPBIND=1 UID_WRAPPER_DISABLE_DEEPBIND=1 \
        "$tools/pam-login" login "$1" "$2" >/dev/null 2>&1
}
code_in() { "$tools/totp-code" "$1" "${2:-$(date +%s)}"; }

# ---- usage --------------------------------------------------------------------------------
expect 0 "--help" T --help; has "$out" "commands:" "--help lists commands"
has "$out" "  verify          check a code and use it up" "--help says what each command does"
for c in enroll show code verify scratch status reset-failures remove list import; do
    expect 0 "$c --help" T "$c" --help; has "$out" "usage: totpctl" "$c --help"
done
expect 2 "unknown command" T frobnicate; has "$err" 'unknown command "frobnicate"' "unknown command"
expect 2 "unknown option" T status --frob
expect 2 "option that does not apply" T code --issuer x; has "$err" "does not apply" "option check"
expect 2 "missing argument" T verify; has "$err" "usage: totpctl verify CODE" "verify usage"
expect 2 "bad --digits" T enroll --digits 9 --no-confirm; has "$err" "--digits 9: must be a number from 6 to 8" "digits"
expect 2 "bad --qr" T show --qr sixel; has "$err" "--qr sixel: must be utf8, ansi or none" "qr mode"
# A relative --file is the current directory's (its directories kept as given); ~ is not.
expect 0 "relative --file" sh -c 'cd "$1" && shift && exec "$@"' - "$work" "$totpctl" --conf "$conf" --file rel-secret enroll --no-confirm --qr none --json
[ "$(echo "$out" | jq -r .path)" = "$work/rel-secret" ] && [ -f "$work/rel-secret" ] && ok || bad "relative --file: not $work/rel-secret: $out"
rm -f "$work/rel-secret"
expect 2 "--file ~/..." T --file '~/secret' status; has "$err" "must be an absolute path" "--file with ~"
expect 2 "bad --rate-limit" T enroll --no-confirm --rate-limit 3 --file "$work/x"
# ISSUER/ACCOUNT: 1 to 128 characters (not bytes) of UTF-8 text; anything else is a usage error
# naming the option, and no record is written.
e128=$(printf 'é%.0s' $(seq 128))
expect 0 "--issuer of 128 x é (256 bytes)" T enroll --no-confirm --qr none --json --issuer "$e128" --file "$work/label-ok"
[ "$(echo "$out" | jq -r .uri | grep -o '%C3%A9' | wc -l)" = 256 ] && ok || bad "the URI does not carry 128 x é in the label and the issuer parameter"
rm -f "$work/label-ok"
expect 2 "--issuer of 129 x é" T enroll --no-confirm --qr none --issuer "${e128}é" --file "$work/label"
has "$err" "--issuer: must be 1 to 128 characters" "129 characters refused, naming the option"
expect 2 "--issuer with a tab" T enroll --no-confirm --qr none --issuer "$(printf 'a\tb')" --file "$work/label"
has "$err" "--issuer: must be UTF-8 text without control characters" "a tab is a usage error naming --issuer"
expect 2 "--label with invalid UTF-8" T enroll --no-confirm --qr none --label "$(printf 'a\377b')" --file "$work/label"
has "$err" "--label: must be UTF-8 text without control characters" "invalid UTF-8 is a usage error naming --label"
[ ! -e "$work/label" ] && ok || bad "a refused --issuer/--label wrote a record"

# The site file's issuer names new enrollments; --issuer overrides it; a bad one is refused
# naming the file and line, by totpctl and by the module (the same parser), which otherwise
# accepts the key and ignores it for logins.
iconf=$work/issuer.conf
{ cat "$conf"; echo "issuer = Example Corp"; } >"$iconf"
expect 0 "enroll under a site issuer" T --conf "$iconf" enroll --no-confirm --qr none --json --file "$work/issuer-rec"
[ "$(echo "$out" | jq -r .issuer)" = "Example Corp" ] && ok || bad "the site file's issuer is not used: $out"
has "$(echo "$out" | jq -r .uri)" "otpauth://totp/Example%20Corp:" "the URI carries the site issuer"
[ "$(echo "$out" | jq -r .uri)" = "$(T --conf "$iconf" --file "$work/issuer-rec" show --json | jq -r .uri)" ] && ok || bad "show gives another URI than enroll"
expect 0 "--issuer over a site issuer" T --conf "$iconf" enroll --no-confirm --qr none --json --force --issuer "Ops Team" --file "$work/issuer-rec"
[ "$(echo "$out" | jq -r .issuer)" = "Ops Team" ] && ok || bad "--issuer does not override the site file: $out"
printf 'JBSWY3DPEHPK3PXP\n" TOTP_AUTH\n' >"$work/issuer-ga" # a google-authenticator file: no ISSUER
chmod 0600 "$work/issuer-ga"
expect 0 "show a record without ISSUER under a site issuer" T --conf "$iconf" --file "$work/issuer-ga" show --json
has "$(echo "$out" | jq -r .uri)" "otpauth://totp/Example%20Corp:" "show uses the site issuer for a record without one"
echo "issuer = a:b" >"$work/bad-issuer.conf"
expect 2 "a site issuer with a colon" T --conf "$work/bad-issuer.conf" enroll --no-confirm --qr none --file "$work/issuer-bad"
has "$err" "$work/bad-issuer.conf:1: issuer=a:b: must be 1 to 128 characters of text without ':'" "the bad issuer's file and line are named"
[ ! -e "$work/issuer-bad" ] && ok || bad "a bad site issuer still wrote a record"
echo "auth required $module conf=$iconf" >"$work/services/issuer"
LD_PRELOAD=libpam_wrapper.so:libnss_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=$work/services \
    PAM_WRAPPER_DISABLE_DEEPBIND=1 UID_WRAPPER_DISABLE_DEEPBIND=1 \
    "$tools/pam-login" issuer nosuchuser 000000 >"$work/issuer.out" 2>&1
grep -q "Authentication failure" "$work/issuer.out" && ok || bad "the module does not take a site file with issuer: $(cat "$work/issuer.out")"
rm -f "$work/issuer-rec" "$work/issuer-ga"

# ---- self-enrollment: confirm with the app, scan the QR, log in ---------------------------
alice_rec=$work/home/alice/.config/totp/secret
expect 2 "enroll without a terminal" as_alice "$totpctl" --conf "$conf" enroll </dev/null
has "$err" "no terminal to read a code from the app" "no terminal"
audited action=enroll result=refused user=alice store=file how=user actor=alice actor_uid=$uid sudo_user=-
expect 1 "enroll with wrong codes" as_alice "$tools/pty-enroll" --wrong "$totpctl" --conf "$conf" enroll --qr none
audited action=enroll result=refused user=alice record=- 'reason="not enrolled: no code from the app matched"'
[ ! -e "$alice_rec" ] && ok || bad "a refused enrollment wrote a record"
expect 0 "self-enrollment" as_alice "$tools/pty-enroll" "$totpctl" --conf "$conf" enroll --qr utf8 \
    --qr-png "$work/home/alice/qr.png" --qr-svg "$work/home/alice/qr.svg" --issuer "ACME Co"
has "$out" "enrolled alice: $alice_rec" "self-enrollment path"
audited action=enroll result=ok user=alice store=file "record=$alice_rec" how=user actor=alice actor_uid=$uid \
    sudo_user=- service=- rhost=- reason=-
has "$out" "$(printf '\033[30;107m')" "utf8 QR drawn black on white"
[ "$(stat -c %a:%u "$alice_rec")" = "600:$uid" ] && ok || bad "record mode/owner $(stat -c %a:%u "$alice_rec")"
[ "$(stat -c %a "$work/home/alice/.config/totp")" = 700 ] && ok || bad "directory mode"
[ "$(stat -c %a "$work/home/alice/qr.png")" = 600 ] && ok || bad "QR image mode"
expect 0 "show --json" as_alice "$totpctl" --conf "$conf" show --json
uri=$(echo "$out" | jq -r .uri)
secret=$(echo "$out" | jq -r .secret)
has "$uri" "otpauth://totp/ACME%20Co:alice%40" "URI carries issuer and account"
[ "$(zbarimg --raw -q "$work/home/alice/qr.png" 2>/dev/null)" = "$uri" ] && ok || bad "PNG QR does not decode to the URI"
rsvg-convert -o "$work/svg.png" "$work/home/alice/qr.svg"
[ "$(zbarimg --raw -q "$work/svg.png" 2>/dev/null)" = "$uri" ] && ok || bad "SVG QR does not decode to the URI"
now=$(date +%s)
login alice "$(code_in "$secret" $((now + 30)))" && ok || bad "alice cannot log in with the next code"
expect 1 "enroll again without --force" as_alice "$totpctl" --conf "$conf" enroll --no-confirm
has "$err" "alice is already enrolled ($alice_rec); --force replaces the record" "already enrolled"
audited action=enroll result=refused "record=$alice_rec" "reason=\"alice is already enrolled ($alice_rec); --force replaces the record\""

# ---- enroll --json, verify, the module agrees on what is used up ----------------------------
expect 0 "enroll --force --json" as_alice "$totpctl" --conf "$conf" enroll --force --no-confirm --json --scratch-codes 4
audited action=replace result=ok user=alice "record=$alice_rec" how=user
echo "$out" | jq -e '.user == "alice" and (.scratch_codes | length) == 4 and .algorithm == "SHA1" and .digits == 6 and .period == 30 and (.uri | startswith("otpauth://totp/")) and (.secret | test("^[A-Z2-7]{32}$"))' >/dev/null && ok || bad "enroll JSON: $out"
[ "$(echo "$out" | jq -r .path)" = "$alice_rec" ] && ok || bad "enroll JSON path"
secret=$(echo "$out" | jq -r .secret)
old_scratch=$(echo "$out" | jq -r '.scratch_codes[0]')
now=$(date +%s)
code=$(code_in "$secret" "$now")
expect 0 "code" as_alice "$totpctl" --conf "$conf" code
[ "$out" = "$code" ] || [ "$out" = "$(code_in "$secret" $((now + 1)))" ] && ok || bad "code prints $out, app shows $code"
expect 0 "verify the current code" as_alice "$totpctl" --conf "$conf" verify "$code"; has "$out" "accepted" "verify"
audited action=verify result=ok user=alice "record=$alice_rec" reason=accepted
expect 1 "verify it again" as_alice "$totpctl" --conf "$conf" verify "$code"; has "$out" "code already used" "replay"
audited action=verify result=refused 'reason="rejected: code already used"'
login alice "$code" && bad "PAM accepted a code totpctl verify used" || ok
next=$(code_in "$secret" $((now + 30)))
login alice "$next" && ok || bad "PAM refused the next code"
expect 1 "verify a code PAM used" as_alice "$totpctl" --conf "$conf" verify --json "$next"
echo "$out" | jq -e '.accepted == false and .result == "rejected: code already used"' >/dev/null && ok || bad "verify JSON: $out"
expect 1 "verify a malformed code" as_alice "$totpctl" --conf "$conf" verify 12ab56
audited action=verify result=refused 'reason="rejected: malformed code"'
far=$(code_in "$secret" $((now - 1200)))
expect 1 "verify a code 20 minutes behind" as_alice "$totpctl" --conf "$conf" verify "$far"
has "$out" "rejected: wrong code (matches a code " "clock hint"
has "$out" " s behind: check the clocks)" "clock hint direction"
far=$(code_in "$secret" $((now + 1200)))
expect 1 "verify a code 20 minutes ahead" as_alice "$totpctl" --conf "$conf" verify "$far"
case $out in *"check the clocks"*) bad "a code valid later is hinted: $out" ;; *) ok ;; esac

# ---- scratch codes -------------------------------------------------------------------------
expect 0 "scratch --json" as_alice "$totpctl" --conf "$conf" scratch --scratch-codes 3 --json
audited action=scratch result=ok user=alice "record=$alice_rec" how=user 'reason="3 new scratch codes"'
echo "$out" | jq -e '(.scratch_codes | length) == 3' >/dev/null && ok || bad "scratch JSON: $out"
new_scratch=$(echo "$out" | jq -r '.scratch_codes[1]')
expect 1 "an old scratch code is dead" as_alice "$totpctl" --conf "$conf" verify "$old_scratch"
expect 0 "a new scratch code works" as_alice "$totpctl" --conf "$conf" verify "$new_scratch"
audited action=verify result=ok 'reason="accepted (scratch code)"'
has "$out" "scratch code" "scratch accepted"
login alice "$new_scratch" && bad "a used scratch code logged in" || ok

# ---- status, remove ---------------------------------------------------------------------------
expect 0 "status" as_alice "$totpctl" --conf "$conf" status
not_audited "status"
has "$out" "record:         $alice_rec" "status record"
has "$out" "scratch codes:  2 left" "status scratch count"
expect 0 "status --json" as_alice "$totpctl" --conf "$conf" status --json
echo "$out" | jq -e '.enrolled == true and .type == "totp" and .scratch_codes_left == 2 and (.last_success | type) == "number" and .failures == 1' >/dev/null && ok || bad "status JSON: $out"
expect 0 "remove" as_alice "$totpctl" --conf "$conf" remove; has "$out" "removed $alice_rec" "remove"
audited action=remove result=ok user=alice "record=$alice_rec" how=user actor=alice
expect 1 "status after remove" as_alice "$totpctl" --conf "$conf" status --json
echo "$out" | jq -e '.enrolled == false' >/dev/null && ok || bad "status JSON after remove: $out"
expect 1 "verify when not enrolled" as_alice "$totpctl" --conf "$conf" verify 123456; has "$err" "alice is not enrolled" "not enrolled"
audited action=verify result=refused user=alice record=- 'reason="alice is not enrolled"'
# A record too broken to read is still replaced by enroll --force, and removed by remove.
broken() { as_alice sh -c 'umask 077; mkdir -p "$(dirname "$1")"; printf "not base32!\n" >"$1"' sh "$alice_rec"; }
broken
expect 3 "status of a broken record" as_alice "$totpctl" --conf "$conf" status; has "$err" "$alice_rec: line 1" "the broken line is named"
expect 0 "enroll --force over a broken record" as_alice "$totpctl" --conf "$conf" enroll --force --no-confirm --qr none
expect 0 "status after replacing it" as_alice "$totpctl" --conf "$conf" status
broken
expect 0 "remove a broken record" as_alice "$totpctl" --conf "$conf" remove; has "$out" "removed $alice_rec" "broken record removed"
[ ! -e "$alice_rec" ] && ok || bad "the broken record is still there"

# ---- the guessing throttle: status shows it, root lifts it ---------------------------------------
tconf=$work/throttle.conf
echo "system_dir = $system" >"$tconf" # the default throttle: 3 free, 15 s doubling to 120 s
as_alice sh -c 'umask 077; mkdir -p "$(dirname "$1")"; printf "%s\n\" TOTP_AUTH\n\" FAILURES 5 1800000000\n12345678\n" "$2" >"$1"' sh "$alice_rec" "$secret"
expect 0 "status of a throttled user" as_alice "$totpctl" --conf "$tconf" status --at 1800000010 --json
echo "$out" | jq -e '.failures == 5 and .last_failure == 1800000000 and .throttled == true and .throttle_seconds_left == 50' >/dev/null && ok || bad "throttled status JSON: $out"
expect 0 "status text of a throttled user" as_alice "$totpctl" --conf "$tconf" status --at 1800000010
has "$out" "throttled:      yes, no code judged for 50 s more" "status text says throttled"
expect 0 "status once the delay is over" as_alice "$totpctl" --conf "$tconf" status --at 1800000060 --json
echo "$out" | jq -e '.failures == 5 and .throttled == false and .throttle_seconds_left == 0' >/dev/null && ok || bad "status JSON after the delay: $out"
expect 0 "status under a looser site throttle" as_alice "$totpctl" --conf "$conf" status --at 1800000010 --json
echo "$out" | jq -e '.throttled == true and .throttle_seconds_left == 50' >/dev/null && bad "the site throttle is ignored: $out" || ok
if [ "$(id -u)" = 0 ]; then
    expect 0 "root lifts the throttle" T -u alice --file "$alice_rec" reset-failures --json
    audited action=reset-failures result=ok user=alice "record=$alice_rec" how=admin actor=root actor_uid=0 \
        'reason="5 consecutive failures cleared"'
    echo "$out" | jq -e '.failures_cleared == 5' >/dev/null && ok || bad "reset-failures JSON: $out"
    expect 0 "status after reset-failures" as_alice "$totpctl" --conf "$tconf" status --at 1800000010 --json
    echo "$out" | jq -e '.failures == 0 and .last_failure == null and .throttled == false' >/dev/null && ok || bad "status JSON after reset: $out"
    grep -q FAILURES "$alice_rec" && bad "FAILURES still in the record" || ok
    grep -q '^12345678$' "$alice_rec" && ok || bad "reset-failures lost a scratch code"
else
    expect 3 "a user cannot lift a throttle" as_alice "$totpctl" --conf "$tconf" reset-failures
    has "$err" "only root can lift a throttle" "reset-failures is root's"
    audited action=reset-failures result=failed user=alice how=user 'reason="reset-failures: only root can lift a throttle"'
fi
rm -f "$alice_rec"

# ---- code --at: RFC 6238 Appendix B ------------------------------------------------------------
while read -r t alg seed want; do
    printf '%s\n" TOTP_AUTH\n" ALGORITHM %s\n" DIGITS 8\n' "$seed" "$alg" >"$work/home/alice/rfc"
    chmod 0600 "$work/home/alice/rfc"
    [ "$(id -u)" = 0 ] && chown "$uid:$gid" "$work/home/alice/rfc"
    expect 0 "code --at $t $alg" as_alice "$totpctl" --conf "$conf" --file "$work/home/alice/rfc" code --at "$t"
    [ "$out" = "$want" ] && ok || bad "code --at $t $alg: $out, RFC 6238 says $want"
done <<'EOF'
59 SHA1 GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ 94287082
1111111109 SHA1 GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ 07081804
1234567890 SHA1 GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ 89005924
20000000000 SHA1 GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ 65353130
59 SHA256 GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA 46119246
2000000000 SHA256 GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA 90698825
59 SHA512 GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA 90693936
1111111111 SHA512 GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA 99943326
EOF
expect 0 "code --at --json" as_alice "$totpctl" --conf "$conf" --file "$work/home/alice/rfc" code --at 59 --json
echo "$out" | jq -e '.code == "90693936" and .time == 59 and .step == 1' >/dev/null && ok || bad "code JSON: $out"
# TIME_SKEW only as far as the module honours it (skew_max, 300 s by default; then 600 s)
seed=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ t=1764290010
for skew in 40 -40; do
    printf '%s\n" TOTP_AUTH\n" TIME_SKEW %s\n' "$seed" "$skew" >"$work/home/alice/rfc"
    chmod 0600 "$work/home/alice/rfc"
    [ "$(id -u)" = 0 ] && chown "$uid:$gid" "$work/home/alice/rfc"
    want=$(code_in "$seed" $((t + (skew > 0 ? 300 : -300))))
    expect 0 "code --at with TIME_SKEW $skew" as_alice "$totpctl" --conf "$conf" --file "$work/home/alice/rfc" code --at $t
    [ "$out" = "$want" ] && ok || bad "code with TIME_SKEW $skew: $out, the module expects $want"
    echo "skew_max = 600" >"$work/skew.conf"
    cat "$conf" >>"$work/skew.conf"
    want=$(code_in "$seed" $((t + (skew > 0 ? 600 : -600))))
    expect 0 "code --at, skew_max 600, TIME_SKEW $skew" as_alice "$totpctl" --conf "$work/skew.conf" --file "$work/home/alice/rfc" code --at $t
    [ "$out" = "$want" ] && ok || bad "code with skew_max 600, TIME_SKEW $skew: $out, the module expects $want"
done

# ---- errors: one line naming the file and the reason; nothing half-written -------------------
printf 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n" STEP_SIZE 0\n' >"$work/home/alice/rfc"
expect 3 "corrupt record" as_alice "$totpctl" --conf "$conf" --file "$work/home/alice/rfc" status
has "$err" "$work/home/alice/rfc: line 2: STEP_SIZE must be 1 to 300 seconds" "corrupt record message"
[ "$(echo "$err" | wc -l)" = 1 ] && ok || bad "error is not one line: $err"
expect 3 "QR image into a missing directory" as_alice "$totpctl" --conf "$conf" enroll --no-confirm --qr-png "$work/nowhere/qr.png"
has "$err" "$work/nowhere: cannot open directory" "missing directory message"
audited action=enroll result=failed user=alice record=-
[ ! -e "$alice_rec" ] && ok || bad "a failed enrollment wrote a record"

# ---- as root: provisioning others, the system store, list, import --------------------------
if [ "$(id -u)" = 0 ]; then
    expect 0 "allow-enroll --for" T -u bob allow-enroll --for 1h
    audited action=allow-enroll result=ok user=bob how=admin actor=root actor_uid=0
    expect 0 "allow-enroll --revoke" T -u bob allow-enroll --revoke
    audited action=allow-enroll result=ok user=bob 'reason="allowance revoked"'
    expect 1 "allow-enroll --revoke again" T -u bob allow-enroll --revoke
    audited action=allow-enroll result=refused user=bob 'reason="no enrollment allowance to revoke"'
    expect 0 "root enrolls bob" T -u bob enroll --no-confirm --json
    audited action=enroll result=ok user=bob store=file "record=$system/bob" how=admin actor=root actor_uid=0 sudo_user=-
    bob_secret=$(echo "$out" | jq -r .secret)
    [ "$(echo "$out" | jq -r .path)" = "$system/bob" ] && ok || bad "bob's record is not in the system store"
    [ "$(stat -c %a:%U "$system/bob")" = "600:root" ] && ok || bad "system record mode/owner"
    setpriv --reuid="$uid" --regid="$gid" --clear-groups cat "$system/bob" >/dev/null 2>&1 && bad "bob can read his system record" || ok
    HOME=$work/home/bob expect 1 "bob cannot see his system record" setpriv --reuid="$uid" --regid="$gid" --clear-groups "$totpctl" --conf "$conf" status
    login bob "$(code_in "$bob_secret")" && ok || bad "bob cannot log in with the system record"
    expect 0 "list" T list; has "$out" "bob" "list names bob"
    not_audited "list"
    # allow-enroll: kept by name, so never for a name no account has (a later account of that
    # name would inherit it); revoking one is always possible.
    expect 2 "allow-enroll for an unknown account" T -u nosuchuser allow-enroll --for 1h
    has "$err" "-u nosuchuser: no such account" "allow-enroll names the unknown account"
    audited action=allow-enroll result=refused user=nosuchuser how=admin
    [ ! -e "$system/.allow/nosuchuser" ] && ok || bad "an allowance was kept for an unknown name"
    expect 1 "revoking a missing allowance of an unknown name" T -u nosuchuser allow-enroll --revoke
    expect 0 "allow-enroll for bob" T -u bob allow-enroll --for 1h --json
    echo "$out" | jq -e '.user == "bob" and .enroll_allowed_until > 0' >/dev/null && ok || bad "allow-enroll JSON: $out"
    [ "$(stat -c %a:%U "$system/.allow/bob")" = "600:root" ] && ok || bad "the allowance is root's, 0600"
    expect 0 "revoke bob's allowance" T -u bob allow-enroll --revoke
    [ ! -e "$system/.allow/bob" ] && ok || bad "the revoked allowance is still there"
    expect 0 "list --json" T list --json
    echo "$out" | jq -e '.users == ["bob"] and .no_account == []' >/dev/null && ok || bad "list JSON: $out"
    # import a google-authenticator file, read as alice
    ga=$work/home/alice/.google_authenticator
    printf 'JBSWY3DPEHPK3PXP\n" RATE_LIMIT 3 30\n" DISALLOW_REUSE\n" TOTP_AUTH\n11223344\n' >"$ga"
    chmod 0600 "$ga"
    chown "$uid:$gid" "$ga"
    expect 0 "import" T -u alice import "$ga"; has "$out" "imported $ga into $system/alice" "import"
    audited action=import result=ok user=alice "record=$system/alice" how=admin actor=root "reason=\"from $ga\""
    has "$err" "alice could read the secret in $ga, so it is not out of their reach" "import says the secret was exposed"
    has "$err" "totpctl -u alice enroll --force" "import points to enroll --force"
    cmp -s "$ga" "$system/alice" && ok || bad "the imported record differs from the file"
    expect 1 "import again without --force" T -u alice import "$ga"
    audited action=import result=refused user=alice 'reason="alice already has a system record; --force replaces it"'
    expect 0 "import --force" T -u alice import --force "$ga"
    audited action=import result=ok user=alice "record=$system/alice"
    expect 0 "import FILE relative to the current directory" sh -c 'cd "$1" && shift && exec "$@"' - "$work/home/alice" "$totpctl" --conf "$conf" -u alice import --force .google_authenticator
    has "$out" "imported $ga into $system/alice" "a relative import FILE"
    expect 0 "import --force --json" T -u alice import --force --json "$ga"
    [ "$(echo "$out" | jq -r .secret_exposed)" = true ] && ok || bad "import --json lacks secret_exposed: $out"
    chown 0:0 "$ga"
    expect 3 "import a file only root can read" T -u alice import --force "$ga"
    has "$err" "$ga: cannot open: Permission denied" "import reads as the user, not as root"
    audited action=import result=failed user=alice record=-
    chmod 0644 "$ga"
    expect 3 "import a file alice does not own" T -u alice import --force "$ga"
    has "$err" "owned by uid 0, must be uid $uid" "import checks the owner"
    # root's QR images: never through a directory another user controls (here alice made part
    # of the path a link to a directory of root's), and not into a directory of hers.
    mkdir -m 0700 "$work/rootdir"
    ln -s "$work/rootdir" "$work/home/alice/out"
    expect 3 "root's --qr-png through alice's link" T -u bob enroll --no-confirm --force --qr-png "$work/home/alice/out/passwd"
    has "$err" "$work/home/alice: directory owned by uid $uid, must be root's" "alice's directory is named"
    [ -e "$work/rootdir/passwd" ] && bad "root wrote through alice's link" || ok
    expect 3 "root's --qr-svg into alice's home" T -u bob enroll --no-confirm --force --qr-svg "$work/home/alice/qr-root.svg"
    [ -e "$work/home/alice/qr-root.svg" ] && bad "root wrote into alice's home" || ok
    ln -s "$work/rootdir" "$work/rootlink"
    expect 3 "root's --qr-png through a link" T -u bob enroll --no-confirm --force --qr-png "$work/rootlink/x.png"
    has "$err" "$work/rootlink: not a directory (symbolic links are not followed here)" "the link is named"
    expect 0 "root's --qr-png in a directory of root's" T -u bob enroll --no-confirm --force --qr-png "$work/rootdir/bob.png"
    [ "$(stat -c %a:%U "$work/rootdir/bob.png")" = "600:root" ] && ok || bad "root's QR image mode/owner"
    rm -rf "$work/rootdir" "$work/rootlink" "$work/home/alice/out"
    # A fresh install without the system store: reading is an error (not "not enrolled"), and
    # root's first enrollment creates it, root's and 0700.
    echo "system_dir = $work/fresh/system" >"$work/fresh.conf"
    expect 3 "status with no system store" "$totpctl" --conf "$work/fresh.conf" -u bob status
    has "$err" "$work/fresh/system: cannot open directory" "a missing system store is named"
    expect 0 "the first enrollment creates the system store" "$totpctl" --conf "$work/fresh.conf" -u bob enroll --no-confirm
    [ "$(stat -c %a:%U "$work/fresh/system")" = "700:root" ] && ok || bad "the new system store is not root's 0700"
    expect 0 "status once it exists" "$totpctl" --conf "$work/fresh.conf" -u bob status
    rm -rf "$work/fresh" "$work/fresh.conf"
    # remove revokes the allowance too: after a removal (a lost phone) the first factor alone
    # must not enroll again
    expect 0 "an allowance for enrolled bob" T -u bob allow-enroll --for 1h
    expect 0 "root removes bob" T -u bob remove
    [ ! -e "$system/.allow/bob" ] && ok || bad "remove left bob's allowance in $system/.allow"

    # Root's --file without -u acts as root and follows no link: alice's ~/.google_authenticator
    # aimed at root's system record must not show root's secret or rewrite root's record.
    expect 0 "root enrolls root" T -u root enroll --no-confirm --qr none --json
    root_secret=$(echo "$out" | jq -r .secret)
    as_alice ln -sf "$system/root" "$work/home/alice/.google_authenticator"
    before=$(sha256sum <"$system/root")
    expect 3 "root's --file through alice's link: show" T --file "$work/home/alice/.google_authenticator" show
    has "$err" "is a symbolic link" "the link is refused by name"
    case "$out$err" in *"$root_secret"*) bad "root's secret shown through alice's link" ;; *) ok ;; esac
    expect 3 "root's --file through alice's link: scratch" T --file "$work/home/alice/.google_authenticator" scratch
    [ "$(sha256sum <"$system/root")" = "$before" ] && ok || bad "root's record rewritten through alice's link"
    rm -f "$work/home/alice/.google_authenticator"
    expect 0 "root removes root" T -u root remove

    # otpauth URIs made by pyotp (another implementation computes the codes): a dry run, then
    # the import, then logins with pyotp's codes.
    pyotp() { /usr/bin/python3 -c "import pyotp, sys; $1"; }
    pyotp 'pass' || { bad "python3-pyotp is not installed (README's test command installs it)"; pyotp() { :; }; }
    uris=$work/uris.txt
    {
        echo "# migrated from the old system"
        pyotp "print(pyotp.TOTP('JBSWY3DPEHPK3PXPJBSWY3DP', issuer='Old Corp', digits=6).provisioning_uri(name='alice@example.com'))"
        echo
        pyotp "print(pyotp.HOTP('GEZDGNBVGY3TQOJQGEZDGNBV', digits=8).provisioning_uri(name='bob', initial_count=5))"
    } >"$uris"
    chmod 0600 "$uris"
    expect 0 "import --uri --dry-run" T import --uri --dry-run --force "$uris"
    has "$out" "line 2: alice@example.com -> alice: would write $system/alice (replacing" "dry run maps the account to alice"
    has "$out" "line 4: bob -> bob: would write $system/bob" "dry run maps bob"
    has "$err" 'warning: '"$uris"': line 2: accounts "...@example.com" go to the local user of the same name' "a domain that is dropped is named"
    [ ! -e "$system/bob" ] && ok || bad "--dry-run wrote a record"
    not_audited "import --uri --dry-run"
    expect 1 "import --uri over a record without --force" T import --uri "$uris"
    has "$err" "alice already has a system record; --force replaces it (nothing was imported)" "all or nothing"
    audited action=import result=refused user=alice "record=$system/alice"
    [ ! -e "$system/bob" ] && ok || bad "a refused import wrote bob's record"
    expect 0 "import --uri --force --json" T import --uri --force --json "$uris"
    audited -2 action=import result=ok how=admin actor=root
    has "$(log_since)" " user=alice store=file record=$system/alice how=admin actor=root actor_uid=0 sudo_user=- service=- rhost=- reason=\"otpauth URI, line 2 of $uris, replacing the record there\"" "import --uri: alice's line"
    has "$(log_since)" " user=bob store=file record=$system/bob how=admin" "import --uri: bob's line"
    echo "$out" | jq -e '.dry_run == false and ([.imported[].user] == ["alice", "bob"]) and .imported[0].replaced == true' >/dev/null && ok || bad "import --uri JSON: $out"
    login alice "$(pyotp "print(pyotp.TOTP('JBSWY3DPEHPK3PXPJBSWY3DP').now())")" && ok || bad "alice cannot log in with pyotp's code after the URI import"
    expect 0 "HOTP from a URI: pyotp's code at the counter" T -u bob verify "$(pyotp "print(pyotp.HOTP('GEZDGNBVGY3TQOJQGEZDGNBV', digits=8).at(5))")"
    audited action=verify result=ok user=bob how=admin actor=root
    expect 0 "status of the HOTP import" T -u bob status --json
    echo "$out" | jq -e '.type == "hotp" and .digits == 8 and .next_counter == 6' >/dev/null && ok || bad "HOTP import status: $out"
    head -n 2 "$uris" | T -u alice import --uri --force - >/dev/null 2>&1 && ok || bad "-u alice with one URI on standard input"
    expect 2 "-u with two URIs" T -u alice import --uri --force "$uris"; has "$err" "-u alice takes one URI and there are 2" "-u takes one URI"
    echo 'otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8' >"$work/migration.txt"
    expect 2 "an otpauth-migration export" T import --uri "$work/migration.txt"; has "$err" "otpauth-migration://) are not supported" "migration exports refused by name"
    expect 2 "a URI for a user who does not exist" T import --uri - <<<'otpauth://totp/Old:carol?secret=JBSWY3DPEHPK3PXP'
    audited action=import result=refused user=- record=-
    has "$err" "no user carol on this system" "unknown user named"
    # Without -u, a URI never names root or a system account; names are shown escaped.
    expect 2 "a URI for root" T import --uri - <<<'otpauth://totp/Old:root@example.com?secret=JBSWY3DPEHPK3PXP'
    has "$err" "account \"root@example.com\" names root, root (uid 0): refused without -u" "root refused"
    [ ! -e "$system/root" ] && ok || bad "a URI made a record for root"
    expect 2 "a URI for a system account" T import --uri - <<<'otpauth://totp/daemon?secret=JBSWY3DPEHPK3PXP'
    has "$err" "names daemon, a system account (uid 1)" "system account refused"
    [ ! -e "$system/daemon" ] && ok || bad "a URI made a record for daemon"
    expect 2 "a URI whose account hides text" T import --uri - <<<'otpauth://totp/Old:carol%E2%80%AEmoc.elpmaxe@x?secret=JBSWY3DPEHPK3PXP'
    has "$err" 'account "carol\u{202E}moc.elpmaxe@x"' "a bidi character is escaped"
    case "$err" in *$'\e'*|*$'\u202e'*) bad "raw control or bidi character printed: $err" ;; *) ok ;; esac
    # Every character the log escapes (totp_char_is_hidden) is escaped here too: one list.
    for hidden in '%D8%9C:061C' '%E2%81%A0:2060' '%C2%AD:00AD' '%E2%80%A8:2028' '%E1%85%9F:115F' \
        '%E3%85%A4:3164'; do
        expect 2 "a URI whose account holds U+${hidden#*:}" T import --uri - \
            <<<"otpauth://totp/Old:carol@ex${hidden%%:*}ample.com?secret=JBSWY3DPEHPK3PXP"
        has "$err" "account \"carol@ex\\u{${hidden#*:}}ample.com\"" "U+${hidden#*:} is escaped"
    done
    cp "$uris" "$work/home/alice/uris.txt"; chown "$uid:$gid" "$work/home/alice/uris.txt"
    expect 3 "a URI file that is not root's" T import --uri "$work/home/alice/uris.txt"; has "$err" "must be a regular file of root's" "URI file owner"
    expect 3 "a URI file imported as a google-authenticator file" T -u alice import --force "$work/home/alice/uris.txt"
    has "$err" "(for otpauth:// URIs: import --uri)" "the hint to use --uri"
    T -u alice remove >/dev/null; T -u bob remove >/dev/null
    # A system record hides the user's own: import --uri follows enroll's rule (refused without
    # --force, and the record it would hide is named, in --dry-run too).
    expect 0 "alice enrolls herself" as_alice "$totpctl" --conf "$conf" enroll --no-confirm --qr none
    own=$work/home/alice/.config/totp/secret
    before=$(sha256sum <"$own")
    one_uri() { sed -n 2p "$uris"; }
    expect 1 "import --uri over alice's own record without --force" T import --uri - <<<"$(one_uri)"
    has "$err" "alice has their own record ($own); a system record is used before it" "the hidden record is named"
    [ ! -e "$system/alice" ] && ok || bad "a refused import wrote alice's system record"
    expect 1 "import --uri --dry-run over alice's own record" T import --uri --dry-run - <<<"$(one_uri)"
    has "$err" "($own)" "--dry-run names it too"
    expect 0 "import --uri --dry-run --force" T import --uri --dry-run --force - <<<"$(one_uri)"
    has "$out" "would write $system/alice (the user's own record would be unused: $own)" "--dry-run --force names it"
    expect 0 "import --uri --force --json" T import --uri --force --json - <<<"$(one_uri)"
    echo "$out" | jq -e --arg own "$own" '.imported[0].shadows == $own and .imported[0].replaced == false' >/dev/null && ok || bad "import --uri JSON names the hidden record: $out"
    [ "$(sha256sum <"$own")" = "$before" ] && ok || bad "import --uri --force changed alice's own record"
    T -u alice remove >/dev/null; rm -f "$own"

    # remove takes every record that would authenticate the user, in the lookup order: removing
    # the system record must not leave a home record to take over.
    # (alice and bob share a uid here, which names alice: alice it is.)
    rm -f "$work/home/alice/.google_authenticator" "$work/home/alice/.config/totp/secret"
    expect 0 "alice enrolls herself" as_alice "$totpctl" --conf "$conf" enroll --no-confirm --qr none --json
    alice_home_secret=$(echo "$out" | jq -r .secret)
    printf 'JBSWY3DPEHPK3PXP\n" TOTP_AUTH\n' >"$work/home/alice/.google_authenticator"
    chmod 0600 "$work/home/alice/.google_authenticator"; chown "$uid:$gid" "$work/home/alice/.google_authenticator"
    # Root's enrollment goes to the system store: the refusal says what --force does.
    expect 1 "root's enroll over a home record" T -u alice enroll --no-confirm --qr none
    has "$err" "alice is already enrolled ($work/home/alice/.config/totp/secret); --force keeps that record and enrolls alice in the system store ($system/alice)" "the refusal says where --force writes"
    expect 0 "root enrolls alice in the system store too" T -u alice enroll --no-confirm --force --qr none
    audited action=enroll result=ok user=alice "record=$system/alice" "reason=\"the record at $work/home/alice/.config/totp/secret stays, used after this one\""
    has "$err" "Note: alice's record $work/home/alice/.config/totp/secret stays" "the kept home record is named"
    [ -e "$work/home/alice/.config/totp/secret" ] && [ -e "$system/alice" ] && ok || bad "--force did what its message said"
    # Two entries in alice's app for one host: the labels tell the system store's from hers.
    home_account=$(as_alice "$totpctl" --conf "$conf" show --json | jq -r .uri)
    expect 0 "root's show of alice's system record" T -u alice show --json
    case "$home_account" in *"alice%40$(hostname)?"*) ok ;; *) bad "the home record's label is not alice@HOST: $home_account" ;; esac
    has "$(echo "$out" | jq -r .uri)" ":alice%40$(hostname)%20%28system%29?" "the system record's label is alice@HOST (system)"
    [ "${home_account%%\?*}" != "$(echo "$out" | jq -r .uri | sed 's/?.*//')" ] && ok || bad "the home and system entries have one label"
    expect 0 "remove every record of alice's" T -u alice remove
    audited -3 action=remove result=ok user=alice how=admin actor=root
    has "$out" "removed $system/alice
removed $work/home/alice/.config/totp/secret
removed $work/home/alice/.google_authenticator" "remove names each record, in the lookup order"
    has "$err" "Not removed: copies of these files elsewhere" "remove says what remains"
    for f in "$system/alice" "$work/home/alice/.config/totp/secret" "$work/home/alice/.google_authenticator"; do
        [ ! -e "$f" ] && ok || bad "remove left $f"
    done
    login alice "$(code_in "$alice_home_secret")" && bad "alice's home record still logs in after remove" || ok
    expect 1 "status after removing all" T -u alice status
    expect 1 "remove again" T -u alice remove; has "$err" "alice is not enrolled" "nothing left to remove"
    audited action=remove result=refused user=alice record=- 'reason="alice is not enrolled"'
    # A user removing their own records: the home ones go; a note about the system store remains.
    expect 0 "alice enrolls herself again" as_alice "$totpctl" --conf "$conf" enroll --no-confirm --qr none
    expect 0 "alice removes her own record" as_alice "$totpctl" --conf "$conf" remove --json
    echo "$out" | jq -e --arg p "$work/home/alice/.config/totp/secret" '.removed == true and .paths == [$p]' >/dev/null && ok || bad "remove JSON: $out"
    has "$err" "a record for alice in the system store, which only root can see, would be used" "a user is told about the system store"
    # A user cannot see the system store: status and enroll say that a record there would win.
    expect 0 "root enrolls alice in the system store" T -u alice enroll --no-confirm --qr none
    expect 1 "alice's status, her record being in the system store" as_alice "$totpctl" --conf "$conf" status
    has "$out" "alice has no record in their home directory" "status does not claim 'not enrolled'"
    has "$err" "would be used before any record of yours" "status names the system store"
    expect 1 "alice's status --json" as_alice "$totpctl" --conf "$conf" status --json
    echo "$out" | jq -e '.enrolled == false and .system_store_visible == false' >/dev/null && ok || bad "status JSON as a user: $out"
    expect 0 "alice enrolls at home anyway" as_alice "$totpctl" --conf "$conf" enroll --no-confirm --qr none
    has "$err" "a record for alice in the system store, which only root can see, would be used" "enroll warns first"
    has "$out" "(used unless an administrator enrolled alice in the system store)" "enroll's result says it"
    expect 0 "root's status of alice" T -u alice status --json
    echo "$out" | jq -e --arg p "$system/alice" '.path == $p and .system_store_visible == true' >/dev/null && ok || bad "root's status: $out"
    T -u alice remove >/dev/null 2>&1
    # A lost phone, README's advice: the user logs in with a scratch code and re-enrolls with
    # --force; for a system record, root re-enrolls. The old secret stops working either way.
    expect 0 "alice's first phone" as_alice "$totpctl" --conf "$conf" enroll --no-confirm --qr none --json
    old_secret=$(echo "$out" | jq -r .secret); scratch=$(echo "$out" | jq -r '.scratch_codes[0]')
    login alice "$scratch" && ok || bad "alice cannot log in with a scratch code"
    expect 0 "alice re-enrolls with the new phone" as_alice "$totpctl" --conf "$conf" enroll --force --no-confirm --qr none --json
    new_secret=$(echo "$out" | jq -r .secret)
    login alice "$(code_in "$old_secret")" && bad "the lost phone's code still logs in" || ok
    login alice "$(code_in "$new_secret")" && ok || bad "the new phone's code does not log in"
    T -u alice remove >/dev/null 2>&1
    expect 0 "root enrolls alice in the system store" T -u alice enroll --no-confirm --qr none --json
    old_secret=$(echo "$out" | jq -r .secret)
    expect 0 "root re-enrolls alice's new phone" T -u alice enroll --force --no-confirm --qr none --json
    new_secret=$(echo "$out" | jq -r .secret)
    [ "$(echo "$out" | jq -r .path)" = "$system/alice" ] && ok || bad "root's re-enrollment is not in the system store"
    login alice "$(code_in "$old_secret")" && bad "the lost phone's code still logs in (system)" || ok
    login alice "$(code_in "$new_secret")" && ok || bad "the new phone's code does not log in (system)"
    T -u alice remove >/dev/null 2>&1
    # A system record of an account that no longer exists: flagged by list, removed by remove.
    printf 'JBSWY3DPEHPK3PXP\n" TOTP_AUTH\n' >"$system/ghost"; chmod 0600 "$system/ghost"
    expect 0 "list flags a deleted account" T list; has "$out" "ghost	(no such account" "list flags ghost"
    expect 0 "list --json" T list --json
    echo "$out" | jq -e '.users == ["ghost"] and .no_account == ["ghost"]' >/dev/null && ok || bad "list JSON: $out"
    expect 0 "remove a deleted account's record" T -u ghost remove; has "$out" "removed $system/ghost" "ghost removed"
    [ ! -e "$system/ghost" ] && ok || bad "the deleted account's record is still there"
else
    echo "SKIP: root-only paths (provisioning, system store, list, import) need root; CI runs them"
    expect 3 "-u another user" T -u root status; has "$err" "only root can act on another user" "-u check"
    expect 3 "list as a user" T list; has "$err" "run it as root" "list as user"
    expect 3 "import as a user" T import /tmp/x; has "$err" "run it as root" "import as user"
    audited action=import result=failed how=user 'reason="import writes the system store: run it as root"'
    expect 3 "allow-enroll as a user" T allow-enroll --for 1h
    audited action=allow-enroll result=failed how=user 'reason="allow-enroll: only root can let a user enroll"'
    expect 3 "remove -u another user" T -u root remove
    audited action=remove result=failed user=root how=admin actor=alice 'reason="-u root: only root can act on another user"'
    expect 3 "import --uri as a user" T import --uri -; has "$err" "run it as root" "import --uri as user"
fi

# ---- the audit trail: never a secret, code or scratch code -------------------------------------
[ "${#secrets[@]}" -gt 20 ] && ok || bad "too few secrets and scratch codes collected (${#secrets[@]})"
for s in "${secrets[@]}" "$code" "$next" "$old_scratch" "$new_scratch"; do
    grep -qF -- "$s" "$TOTP_TEST_SYSLOG_FILE" && bad "a secret or code is in the log: $s" || ok
done
[ "$(grep -c '^<8[45]>totpctl: action=' "$TOTP_TEST_SYSLOG_FILE")" -ge 20 ] && ok || bad "fewer than 20 audit lines"

echo "totpctl: $passed passed, $failed failed"
[ "$failed" = 0 ]
