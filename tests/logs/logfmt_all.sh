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
    tests/e2e/enroll_login.sh) echo 15 ;;
    tests/pam/root_pamtester.sh) echo 10 ;;
    tests/ldap/ldap_store.sh) echo 100 ;;
    tests/ldap/ldap_secure.sh) echo 30 ;;
    tests/ad/ad_store.sh) echo 50 ;;
    *) echo 0 ;;
    esac
}

# The checker itself can fail: each of these lines must be refused, and the good ones taken.
check=$srcdir/tests/tools/logfmt_check.py
parsers=$srcdir/examples/fluent-bit/parsers_pam_totp.conf
self=$(mktemp "${TMPDIR:-/tmp}/logfmt_all.XXXXXX")
trap 'rm -f "$self"' EXIT
d='pam_totp(sshd:auth): '
while IFS= read -r line; do
    printf '%s\n' "$line" >"$self"
    python3 "$check" "$parsers" "$self:0" >/dev/null && { echo "FAIL: the checker took a bad line: $line"; exit 1; }
done <<EOF
<84>sshd: ${d}denied user=alice service=sshd rhost=- reason=code record=-
<84>sshd: ${d}result=denied user=alice service=sshd rhost=- reason=code record=/home/eve smith
<84>sshd: ${d}result=denied user=alice service=sshd rhost=- reason="code record=-
<84>sshd: ${d}result=denied user=alice service=sshd rhost=- record=- reason=code
<84>sshd: ${d}result=denied user=alice service=sshd rhost=- reason=code
<84>sshd: ${d}result=denied  user=alice service=sshd rhost=- reason=code record=-
<84>sshd: ${d}result=denied user=alice service=sudo rhost=- reason=code record=-
<84>sshd: ${d}result=maybe user=alice service=sshd rhost=- reason=code record=-
<84>sshd: ${d}Result=denied user=alice service=sshd rhost=- reason=code record=-
<84>sshd: ${d}result=denied user=alice service=sshd rhost=- reason="a\x" record=-
<12>sshd: ${d}result=denied user=alice service=sshd rhost=- reason=code record=-
<84>totpctl: action=enroll result=ok user=alice store=file record=- how=admin actor=root actor_uid=0 sudo_user=- service=- rhost=- reason=-
<85>totpctl: action=enroll result=ok user=alice store=file record=- how=admin actor=root actor_uid=0 sudo_user=- service=- rhost=-
EOF
cat >"$self" <<EOF
<84>sshd: ${d}result=denied user=alice service=sshd rhost=- reason="wrong \"code\"" record="/home/eve smith/x"
<85>totpctl: action=enroll result=ok user=alice store=file record=/var/lib/totp/alice how=admin actor=root actor_uid=0 sudo_user=- service=- rhost=- reason=-
EOF
python3 "$check" "$parsers" "$self:2" >/dev/null || { echo "FAIL: the checker refused good lines"; exit 1; }

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
python3 "$check" "$parsers" "${args[@]}"
