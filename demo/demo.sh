#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# demo.sh: a real enrollment and real PAM logins in a sandbox: a temporary home, a fake user
# (nss_wrapper) and a private PAM service (pam_wrapper). Nothing in /etc is touched.
set -eu
top=${1:-.}
totpctl=$top/totpctl/totpctl
module=$(cd "$top" && pwd)/pam_totp/.libs/pam_totp.so

sandbox=$(mktemp -d /tmp/pam_totp-demo.XXXXXX)
trap 'rm -rf "$sandbox"' EXIT
mkdir -p "$sandbox/home" "$sandbox/services"
mkdir -m 0700 "$sandbox/system"
printf 'demo:x:%s:%s:Demo User:%s/home:/bin/sh\n' "$(id -u)" "$(id -g)" "$sandbox" >"$sandbox/passwd"
printf 'demo:x:%s:\n' "$(id -g)" >"$sandbox/group"
echo "system_dir = $sandbox/system" >"$sandbox/pam_totp.conf"
echo "auth required $module conf=$sandbox/pam_totp.conf" >"$sandbox/services/demo-login"
echo "auth required pam_deny.so" >"$sandbox/services/other" # libpam's fallback service
export HOME=$sandbox/home NSS_WRAPPER_PASSWD=$sandbox/passwd NSS_WRAPPER_GROUP=$sandbox/group
export NSS_WRAPPER_DISABLE_DEEPBIND=1
export LD_PRELOAD=libnss_wrapper.so

login() { # the real libpam and pam_totp.so, answering the prompt with $1
    LD_PRELOAD=libpam_wrapper.so:libnss_wrapper.so PAM_WRAPPER=1 \
        PAM_WRAPPER_SERVICE_DIR=$sandbox/services "$top/tests/tools/pam-login" demo-login demo "$1" || true
}
step() { printf '\n== %s\n' "$*"; }

step "1. The user 'demo' enrolls (totpctl enroll); the QR code is what the app scans"
"$totpctl" --conf "$sandbox/pam_totp.conf" enroll --no-confirm --qr utf8 --issuer "pam_totp demo" \
    --scratch-codes 3 | tee "$sandbox/enroll.txt"
echo "(Interactively, without --no-confirm, totpctl now asks for a code from the app and only"
echo " then writes the record.)"
secret=$(sed -n 's/^secret: //p' "$sandbox/enroll.txt")
scratch=$(sed -n 's/^  \([1-9][0-9]\{7\}\)$/\1/p' "$sandbox/enroll.txt" | head -n 1)

code=$("$top/tests/tools/totp-code" "$secret")
step "2. Log in through PAM with the code the app shows now: $code"
login "$code"
step "3. The same code again (a replay)"
login "$code"
step "4. A wrong code"
login 000000
step "5. A scratch code, $scratch, when the phone is lost"
login "$scratch"
step "6. The same scratch code again"
login "$scratch"
step "7. What totpctl status says now"
"$totpctl" --conf "$sandbox/pam_totp.conf" status
