#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# check_exports.sh: libtotp.so has a versioned soname and exports only the public totp_* API.
set -eu
lib="${top_builddir:-.}/lib/.libs/libtotp.so"
[ -f "$lib" ] || { echo "FAIL: $lib not built"; exit 1; }
soname=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
[ "$soname" = "libtotp.so.0" ] || { echo "FAIL: soname is '$soname', want libtotp.so.0"; exit 1; }
# Every exported function or object must be declared in lib/totp.h (or totp_enroll.h and
# totp_log.h, which it includes).
header="${srcdir:-.}/lib/totp.h ${srcdir:-.}/lib/totp_enroll.h ${srcdir:-.}/lib/totp_log.h"
bad=0
for sym in $(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sed 's/@.*//'); do
    case "$sym" in
    totp_*) cat $header | grep -q "\\b$sym(" || { echo "FAIL: $sym exported but not in totp.h"; bad=1; } ;;
    *) echo "FAIL: $sym exported"; bad=1 ;;
    esac
done
# ...and every function in totp.h must be exported.
for sym in $(cat $header | grep -oE '\btotp_[a-z0-9_]+\('  | tr -d '(' | sort -u); do
    nm -D --defined-only "$lib" | grep -q " $sym@" || nm -D --defined-only "$lib" | grep -q " $sym\$" ||
        { echo "FAIL: $sym declared in totp.h but not exported"; bad=1; }
done
[ "$bad" -eq 0 ] || exit 1
echo "PASS: libtotp.so.0 exports exactly the totp.h API"
# The PAM module exports pam_sm_authenticate and pam_sm_setcred, nothing else.
module="${top_builddir:-.}/pam_totp/.libs/pam_totp.so"
exported=$(nm -D --defined-only "$module" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sort | tr '\n' ' ')
[ "$exported" = "pam_sm_authenticate pam_sm_setcred " ] ||
    { echo "FAIL: pam_totp.so exports: $exported"; exit 1; }
echo "PASS: pam_totp.so exports only pam_sm_authenticate and pam_sm_setcred"
