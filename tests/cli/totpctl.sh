#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# totpctl.sh: every totpctl command and error path, with fake users (nss_wrapper), logins
# through the real PAM module (pam_wrapper), JSON checked with jq and QR images decoded with
# zbarimg. As root, the fake users are uid 65534 and the root-only paths run too.
set -u
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
EOF
echo "users:x:$gid:alice,bob" >"$work/group"
export NSS_WRAPPER_PASSWD=$work/passwd NSS_WRAPPER_GROUP=$work/group
export NSS_WRAPPER_DISABLE_DEEPBIND=1 # sanitizer builds refuse RTLD_DEEPBIND
export LD_PRELOAD=libnss_wrapper.so ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
if [ "$(id -u)" = 0 ]; then
    system=$work/system
    mkdir -m 0700 "$system"
else
    system=$work/no-system-store # users cannot see one; this stands for it
fi
conf=$work/pam_totp.conf
echo "system_dir = $system" >"$conf"
# The commands below fail on purpose up to 4 times in a row (replays, malformed codes): more
# than the default throttle's 3 free failures. The throttle itself has its own section.
echo "throttle = 10,15,120" >>"$conf"
echo "auth required $module conf=$conf" >"$work/services/login"
echo "auth required pam_deny.so" >"$work/services/other" # libpam's fallback service

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
# expect STATUS DESCRIPTION COMMAND...: the command's exit status; its output is in $out.
expect() {
    local want=$1 what=$2
    shift 2
    out=$("$@" 2>"$work/err")
    local got=$?
    err=$(cat "$work/err")
    if [ "$got" = "$want" ]; then ok; else bad "$what: exit $got, wanted $want; $err"; fi
}
has() { case "$1" in *"$2"*) ok ;; *) bad "$3: \"$2\" not in: $1" ;; esac; }
as_alice() { # run as alice, in her home
    if [ "$(id -u)" = 0 ]; then
        HOME=$work/home/alice setpriv --reuid="$uid" --regid="$gid" --clear-groups "$@"
    else
        HOME=$work/home/alice "$@"
    fi
}
T() { "$totpctl" --conf "$conf" "$@"; }
login() { # login USER CODE: through pam_totp.so, as sshd would (as whoever runs the test)
    LD_PRELOAD=libpam_wrapper.so:libnss_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=$work/services \
        PAM_WRAPPER_DISABLE_DEEPBIND=1 UID_WRAPPER_DISABLE_DEEPBIND=1 \
        "$tools/pam-login" login "$1" "$2" >/dev/null 2>&1
}
code_in() { "$tools/totp-code" "$1" "${2:-$(date +%s)}"; }

# ---- usage --------------------------------------------------------------------------------
expect 0 "--help" T --help; has "$out" "commands:" "--help lists commands"
for c in enroll show code verify scratch status reset-failures remove list import; do
    expect 0 "$c --help" T "$c" --help; has "$out" "usage: totpctl" "$c --help"
done
expect 2 "unknown command" T frobnicate; has "$err" 'unknown command "frobnicate"' "unknown command"
expect 2 "unknown option" T status --frob
expect 2 "option that does not apply" T code --issuer x; has "$err" "does not apply" "option check"
expect 2 "missing argument" T verify; has "$err" "usage: totpctl verify CODE" "verify usage"
expect 2 "bad --digits" T enroll --digits 9 --no-confirm; has "$err" "--digits 9: must be a number from 6 to 8" "digits"
expect 2 "bad --qr" T show --qr sixel; has "$err" "--qr sixel: must be utf8, ansi or none" "qr mode"
expect 2 "relative --file" T --file rel/path status; has "$err" "must be an absolute path" "--file"
expect 2 "bad --rate-limit" T enroll --no-confirm --rate-limit 3 --file "$work/x"

# ---- self-enrollment: confirm with the app, scan the QR, log in ---------------------------
alice_rec=$work/home/alice/.config/totp/secret
expect 2 "enroll without a terminal" as_alice "$totpctl" --conf "$conf" enroll </dev/null
has "$err" "no terminal to read a code from the app" "no terminal"
expect 1 "enroll with wrong codes" as_alice "$tools/pty-enroll" --wrong "$totpctl" --conf "$conf" enroll --qr none
[ ! -e "$alice_rec" ] && ok || bad "a refused enrollment wrote a record"
expect 0 "self-enrollment" as_alice "$tools/pty-enroll" "$totpctl" --conf "$conf" enroll --qr utf8 \
    --qr-png "$work/home/alice/qr.png" --qr-svg "$work/home/alice/qr.svg" --issuer "ACME Co"
has "$out" "enrolled alice: $alice_rec" "self-enrollment path"
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

# ---- enroll --json, verify, the module agrees on what is used up ----------------------------
expect 0 "enroll --force --json" as_alice "$totpctl" --conf "$conf" enroll --force --no-confirm --json --scratch-codes 4
echo "$out" | jq -e '.user == "alice" and (.scratch_codes | length) == 4 and .algorithm == "SHA1" and .digits == 6 and .period == 30 and (.uri | startswith("otpauth://totp/")) and (.secret | test("^[A-Z2-7]{32}$"))' >/dev/null && ok || bad "enroll JSON: $out"
[ "$(echo "$out" | jq -r .path)" = "$alice_rec" ] && ok || bad "enroll JSON path"
secret=$(echo "$out" | jq -r .secret)
old_scratch=$(echo "$out" | jq -r '.scratch_codes[0]')
now=$(date +%s)
code=$(code_in "$secret" "$now")
expect 0 "code" as_alice "$totpctl" --conf "$conf" code
[ "$out" = "$code" ] || [ "$out" = "$(code_in "$secret" $((now + 1)))" ] && ok || bad "code prints $out, app shows $code"
expect 0 "verify the current code" as_alice "$totpctl" --conf "$conf" verify "$code"; has "$out" "accepted" "verify"
expect 1 "verify it again" as_alice "$totpctl" --conf "$conf" verify "$code"; has "$out" "code already used" "replay"
login alice "$code" && bad "PAM accepted a code totpctl verify used" || ok
next=$(code_in "$secret" $((now + 30)))
login alice "$next" && ok || bad "PAM refused the next code"
expect 1 "verify a code PAM used" as_alice "$totpctl" --conf "$conf" verify --json "$next"
echo "$out" | jq -e '.accepted == false and .result == "rejected: code already used"' >/dev/null && ok || bad "verify JSON: $out"
expect 1 "verify a malformed code" as_alice "$totpctl" --conf "$conf" verify 12ab56

# ---- scratch codes -------------------------------------------------------------------------
expect 0 "scratch --json" as_alice "$totpctl" --conf "$conf" scratch --scratch-codes 3 --json
echo "$out" | jq -e '(.scratch_codes | length) == 3' >/dev/null && ok || bad "scratch JSON: $out"
new_scratch=$(echo "$out" | jq -r '.scratch_codes[1]')
expect 1 "an old scratch code is dead" as_alice "$totpctl" --conf "$conf" verify "$old_scratch"
expect 0 "a new scratch code works" as_alice "$totpctl" --conf "$conf" verify "$new_scratch"
has "$out" "scratch code" "scratch accepted"
login alice "$new_scratch" && bad "a used scratch code logged in" || ok

# ---- status, remove ---------------------------------------------------------------------------
expect 0 "status" as_alice "$totpctl" --conf "$conf" status
has "$out" "record:         $alice_rec" "status record"
has "$out" "scratch codes:  2 left" "status scratch count"
expect 0 "status --json" as_alice "$totpctl" --conf "$conf" status --json
echo "$out" | jq -e '.enrolled == true and .type == "totp" and .scratch_codes_left == 2 and (.last_success | type) == "number" and .failures == 1' >/dev/null && ok || bad "status JSON: $out"
expect 0 "remove" as_alice "$totpctl" --conf "$conf" remove; has "$out" "removed $alice_rec" "remove"
expect 1 "status after remove" as_alice "$totpctl" --conf "$conf" status --json
echo "$out" | jq -e '.enrolled == false' >/dev/null && ok || bad "status JSON after remove: $out"
expect 1 "verify when not enrolled" as_alice "$totpctl" --conf "$conf" verify 123456; has "$err" "alice is not enrolled" "not enrolled"
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
    echo "$out" | jq -e '.failures_cleared == 5' >/dev/null && ok || bad "reset-failures JSON: $out"
    expect 0 "status after reset-failures" as_alice "$totpctl" --conf "$tconf" status --at 1800000010 --json
    echo "$out" | jq -e '.failures == 0 and .last_failure == null and .throttled == false' >/dev/null && ok || bad "status JSON after reset: $out"
    grep -q FAILURES "$alice_rec" && bad "FAILURES still in the record" || ok
    grep -q '^12345678$' "$alice_rec" && ok || bad "reset-failures lost a scratch code"
else
    expect 3 "a user cannot lift a throttle" as_alice "$totpctl" --conf "$tconf" reset-failures
    has "$err" "only root can lift a throttle" "reset-failures is root's"
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

# ---- errors: one line naming the file and the reason; nothing half-written -------------------
printf 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n" STEP_SIZE 0\n' >"$work/home/alice/rfc"
expect 3 "corrupt record" as_alice "$totpctl" --conf "$conf" --file "$work/home/alice/rfc" status
has "$err" "$work/home/alice/rfc: line 2: STEP_SIZE must be 1 to 300 seconds" "corrupt record message"
[ "$(echo "$err" | wc -l)" = 1 ] && ok || bad "error is not one line: $err"
expect 3 "QR image into a missing directory" as_alice "$totpctl" --conf "$conf" enroll --no-confirm --qr-png "$work/nowhere/qr.png"
has "$err" "$work/nowhere: cannot open directory" "missing directory message"
[ ! -e "$alice_rec" ] && ok || bad "a failed enrollment wrote a record"

# ---- as root: provisioning others, the system store, list, import --------------------------
if [ "$(id -u)" = 0 ]; then
    expect 0 "root enrolls bob" T -u bob enroll --no-confirm --json
    bob_secret=$(echo "$out" | jq -r .secret)
    [ "$(echo "$out" | jq -r .path)" = "$system/bob" ] && ok || bad "bob's record is not in the system store"
    [ "$(stat -c %a:%U "$system/bob")" = "600:root" ] && ok || bad "system record mode/owner"
    setpriv --reuid="$uid" --regid="$gid" --clear-groups cat "$system/bob" >/dev/null 2>&1 && bad "bob can read his system record" || ok
    HOME=$work/home/bob expect 1 "bob cannot see his system record" setpriv --reuid="$uid" --regid="$gid" --clear-groups "$totpctl" --conf "$conf" status
    login bob "$(code_in "$bob_secret")" && ok || bad "bob cannot log in with the system record"
    expect 0 "list" T list; has "$out" "bob" "list names bob"
    expect 0 "list --json" T list --json
    echo "$out" | jq -e '.users == ["bob"]' >/dev/null && ok || bad "list JSON: $out"
    # import a google-authenticator file, read as alice
    ga=$work/home/alice/.google_authenticator
    printf 'JBSWY3DPEHPK3PXP\n" RATE_LIMIT 3 30\n" DISALLOW_REUSE\n" TOTP_AUTH\n11223344\n' >"$ga"
    chmod 0600 "$ga"
    chown "$uid:$gid" "$ga"
    expect 0 "import" T -u alice import "$ga"; has "$out" "imported $ga into $system/alice" "import"
    cmp -s "$ga" "$system/alice" && ok || bad "the imported record differs from the file"
    expect 1 "import again without --force" T -u alice import "$ga"
    expect 0 "import --force" T -u alice import --force "$ga"
    chown 0:0 "$ga"
    expect 3 "import a file only root can read" T -u alice import --force "$ga"
    has "$err" "$ga: cannot open: Permission denied" "import reads as the user, not as root"
    chmod 0644 "$ga"
    expect 3 "import a file alice does not own" T -u alice import --force "$ga"
    has "$err" "owned by uid 0, must be uid $uid" "import checks the owner"
    expect 0 "root removes bob" T -u bob remove
else
    echo "SKIP: root-only paths (provisioning, system store, list, import) need root; CI runs them"
    expect 3 "-u another user" T -u root status; has "$err" "only root can act on another user" "-u check"
    expect 3 "list as a user" T list; has "$err" "run it as root" "list as user"
    expect 3 "import as a user" T import /tmp/x; has "$err" "run it as root" "import as user"
fi

echo "totpctl: $passed passed, $failed failed"
[ "$failed" = 0 ]
