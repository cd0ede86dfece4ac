#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# logfmt_all.sh: the last test: every syslog line the other tests of this run made (each test's
# TEST.syslog, Makefile.am) parses as strict logfmt with the keys of its kind, and the Fluent Bit
# prefix regex of examples/fluent-bit takes it apart (tests/tools/logfmt_check.py). A test that
# passed must have left at least the lines it makes (below), so that this cannot pass on nothing.
set -u
srcdir=${srcdir:-.}
command -v python3 >/dev/null || { echo "FAIL: python3 not found"; exit 1; }

# The fewest pam_totp lines each test makes when it passes (well below what it makes now).
minimum() {
    case $1 in
    tests/pam/check_pam) echo 60 ;;
    tests/pam/check_pam_throttle) echo 8 ;;
    tests/pam/check_pam_held) echo 30 ;;
    tests/pam/check_pam_enroll) echo 10 ;;
    tests/cli/totpctl.sh) if [ "$(id -u)" = 0 ]; then echo 60; else echo 20; fi ;; # root does more
    tests/logs/audit_syslog.sh) echo 7 ;;
    tests/e2e/sshd_sudo.sh) echo 20 ;;
    tests/pam/root_pamtester.sh) echo 10 ;;
    tests/ldap/ldap_store.sh) echo 100 ;;
    tests/ldap/ldap_secure.sh) echo 30 ;;
    tests/ad/ad_store.sh) echo 50 ;;
    *) echo 0 ;;
    esac
}

args=()
producers=0
for log in ${TOTP_TEST_LOGS:-}; do
    test=${log%.log}
    case $test in tests/logs/logfmt_all.sh) continue ;; esac
    syslog=$PWD/$test.syslog
    passed=no
    grep -q '^:test-result: PASS' "$test.trs" 2>/dev/null && passed=yes
    min=0
    [ "$passed" = yes ] && min=$(minimum "$test")
    if [ -f "$syslog" ]; then
        args+=("$syslog:$min")
        producers=$((producers + 1))
    elif [ "$min" != 0 ]; then
        echo "FAIL: $test passed but left no $test.syslog"
        exit 1
    fi
done
if [ "$producers" = 0 ]; then
    echo "SKIP: no test of this run left syslog lines (run it with the others: make check)"
    exit 77
fi
python3 "$srcdir/tests/tools/logfmt_check.py" "$srcdir/examples/fluent-bit/parsers_pam_totp.conf" "${args[@]}"
