#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# audit_syslog.sh: (as root) totpctl's audit lines through the real syslog(3) path: a /dev/log
# of the test's own (tests/tools/devlog.sh) receives one authpriv line for each change, with
# the acting user, the sudo user only when sudo's SUDO_UID comes with it from root, and never
# the secret, a code or a scratch code.
set -u
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: a /dev/log of the test's own needs root (CI runs this as root)"
    exit 77
fi
srcdir=${srcdir:-.}
. "$srcdir/tests/tools/devlog.sh"
devlog_enter "$@" || { echo "SKIP: no mount namespaces (unshare -m) here"; exit 77; }
top=${top_builddir:-.}
totpctl=$PWD/$top/totpctl/totpctl
code_tool=$PWD/$top/tests/tools/totp-code
command -v python3 >/dev/null || { echo "FAIL: python3 not found"; exit 1; }

work=$(mktemp -d /tmp/pam_totp-audit.XXXXXX)
cleanup() { devlog_cleanup; rm -rf --one-file-system "$work"; }
trap cleanup EXIT
chmod 0755 "$work"
devlog_start "$work" || { echo "SKIP: cannot make a private /dev/log (overlay over /dev)"; exit 77; }

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
has() { case "$1" in *"$2"*) ok ;; *) bad "$3: \"$2\" not in: $1" ;; esac; }

mkdir -m 0700 "$work/system"
mkdir -m 0700 "$work/home" && chown 65534:65534 "$work/home"
conf=$work/pam_totp.conf
echo "system_dir = $work/system" >"$conf"
T() { env -u SUDO_USER -u SUDO_UID "$totpctl" --conf "$conf" "$@"; }
user=nobody

out=$(T -u "$user" enroll --no-confirm --json) || bad "enroll -u $user"
secret=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
scratch=$(printf '%s' "$out" | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["scratch_codes"]))')
code=$("$code_tool" "$secret")
T -u "$user" verify "$code" >/dev/null || bad "verify the current code"
SUDO_USER=alice SUDO_UID=1000 "$totpctl" --conf "$conf" -u "$user" scratch --json >"$work/scratch.json" || bad "scratch through sudo"
scratch="$scratch $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["scratch_codes"]))' "$work/scratch.json")"
SUDO_USER=mallory "$totpctl" --conf "$conf" -u "$user" enroll --no-confirm >/dev/null 2>&1 && bad "enroll again without --force"
# A user's own record (nobody's home is /nonexistent: one in the test's passwd, nss_wrapper),
# and a SUDO_USER a user set: not believed.
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:%s:/bin/sh\n' "$work/home" >"$work/passwd"
echo "nogroup:x:65534:" >"$work/group"
as_nobody() {
    LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_PASSWD=$work/passwd NSS_WRAPPER_GROUP=$work/group \
        NSS_WRAPPER_DISABLE_DEEPBIND=1 ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
        SUDO_USER=mallory SUDO_UID=0 setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}
as_nobody "$totpctl" --conf "$conf" enroll --no-confirm --json >"$work/own.json" || bad "$user enrolls its own"
own=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["secret"])' "$work/own.json")
T -u "$user" remove >/dev/null || bad "remove"
as_nobody "$totpctl" --conf "$conf" remove >/dev/null 2>&1 || bad "$user removes its own"
devlog_stop

lines=$(grep 'totpctl: ' "$work/syslog")
printf '%s\n' "$lines" | sed 's/^/  /'
[ "$(printf '%s\n' "$lines" | grep -c .)" = 7 ] && ok || bad "7 audit lines wanted (enroll, verify, scratch, refused enroll, remove, and the user's enroll and remove)"
enroll=$(printf '%s\n' "$lines" | grep ' action=enroll result=ok ' | head -n 1)
has "$enroll" "<85>totpctl: action=enroll result=ok user=$user store=file record=$work/system/$user how=admin actor=root actor_uid=0 sudo_user=- " "root's enroll: authpriv.notice, the system record, how=admin"
has "$(printf '%s\n' "$lines" | grep ' action=verify ')" "<85>totpctl: action=verify result=ok user=$user " "verify"
has "$(printf '%s\n' "$lines" | grep ' action=scratch ')" " how=admin actor=root actor_uid=0 sudo_user=alice " "root through sudo: sudo_user"
refused=$(printf '%s\n' "$lines" | grep ' action=enroll result=refused ')
has "$refused" "<84>totpctl: " "a refusal is authpriv.warning"
has "$refused" "sudo_user=- " "SUDO_USER without SUDO_UID is not believed"
has "$refused" 'reason="nobody is already enrolled' "the refusal says why"
mine=$(printf '%s\n' "$lines" | grep " record=$work/home/.config/totp/secret ")
[ "$(printf '%s\n' "$mine" | grep -c "how=user actor=$user actor_uid=65534 sudo_user=- ")" = 2 ] && ok ||
    bad "a user's own enroll and remove: how=user, and SUDO_USER not believed from a user: $mine"
has "$(printf '%s\n' "$lines" | grep ' action=remove ' | grep how=admin)" "<85>totpctl: action=remove result=ok user=$user store=file record=$work/system/$user how=admin" "root's remove"
for s in "$secret" "$own" $scratch "$code"; do
    case "$(cat "$work/syslog")" in *"$s"*) bad "a secret or code is in the log: $s" ;; *) ok ;; esac
done
cat "$work/syslog" >>"${TOTP_TEST_SYSLOG_FILE:-/dev/null}"

echo "audit_syslog: $passed passed, $failed failed"
[ "$failed" = 0 ]
