#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# enroll_login.sh: enrollment at login into the system store at a real sshd (publickey, then
# keyboard-interactive, the shipped drop-in) and a real sudo (the shipped sudo stack with
# system_only), on a pseudo-terminal as a person sees it: the QR code read off the screen
# (zbarimg), its secret's code typed, the scratch codes acknowledged, then a later login with
# the next code. Who is not allowed is not offered it; an existing record is never replaced.
# As root; everything is removed on exit.
set -u
srcdir=${srcdir:-.}
. "$srcdir/tests/e2e/e2e_lib.sh"
e2e_init enroll "$@"
for tool in zbarimg python3; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool not found (README's test command installs it)"; exit 1; }
done

group=totpen$$
e2e_group "$group"
by_group=totpea$$     # in enroll_group: enrolls over ssh
by_allowance=totpeb$$ # holds an allowance: enrolls over ssh
outsider=totpec$$     # neither: never offered
enrolled=totped$$     # in the group, with a record already
at_sudo=totpee$$      # in the group: enrolls at sudo
password="Correct-Horse-$$"
for u in "$by_group" "$by_allowance" "$outsider" "$enrolled" "$at_sudo"; do e2e_user "$u" "$password"; done
for u in "$by_group" "$enrolled" "$at_sudo"; do usermod -a -G "$group" "$u"; done
"$totpctl" --conf "$conf" -u "$by_allowance" allow-enroll --for 1h >/dev/null || bad "totpctl allow-enroll"
old_secret=$("$totpctl" --conf "$conf" -u "$enrolled" enroll --no-confirm --json | sed -n 's/.*"secret":"\([A-Z2-7]*\)".*/\1/p')
[ -n "$old_secret" ] || { echo "FAIL: totpctl could not enroll $enrolled"; exit 1; }
enroll_opts="enroll_at_login enroll_group=$group"

stored_secret() { "$totpctl" --conf "$conf" -u "$1" show --json --qr none 2>/dev/null | sed -n 's/.*"secret":"\([A-Z2-7]*\)".*/\1/p'; }
later_code() { "$code_tool" "$1" $(($(date +%s) + 30)); } # the next time step's code
n=0
pty_run() { # pty_run [pty_login options] -- COMMAND...: the conversation in $dir
    n=$((n + 1))
    dir=$sandbox/login$n
    python3 "$srcdir/tests/e2e/pty_login.py" --code-tool "$code_tool" \
        --qr-tool "$srcdir/tests/cli/qr_from_pane.py" --password "$password" "$@" >/dev/null 2>&1
}
ssh_pty() { # ssh_pty USER [pty_login options]: 0 if the command ran as USER
    local u=$1
    shift
    pty_run "$@" "$sandbox/login$((n + 1))" -- ssh -F /dev/null -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=no \
        -o PreferredAuthentications=publickey,keyboard-interactive -o IdentitiesOnly=yes \
        -o NumberOfPasswordPrompts=1 -i "$sandbox/user_key" -p "$port" "$u@127.0.0.1" \
        'echo "logged in as $(id -un)"'
    tr -d '\r' <"$dir/transcript" | grep -qx "logged in as $u"
}
sudo_pty() { # sudo_pty USER [pty_login options]: 0 if sudo ran id as root
    local u=$1
    shift
    pty_run "$@" "$sandbox/login$((n + 1))" -- runuser -u "$u" -- sudo -k id -un
    tr -d '\r' <"$dir/transcript" | grep -qx root
}
offered() { grep -q "otpauth" "$dir/transcript"; }

# An enrollment as the user saw it: the QR code on the screen decoded to the URI the prompt
# shows, its secret is what the record holds, the scratch codes came once, the record is root's.
enrolled_ok() { # enrolled_ok WHAT USER
    local uri
    uri=$(cat "$dir/uri" 2>/dev/null)
    case $uri in
    otpauth://totp/*secret=*) ok ;;
    *) bad "$1: the QR code on the screen does not decode to an otpauth URI (got: $uri)" ;;
    esac
    grep -qF "otpauth URI: $uri" "$dir/qr_prompt.txt" && ok || bad "$1: the QR code is not the URI the prompt shows"
    check "$1: the record holds the QR code's secret" "$(cat "$dir/secret")" "$(stored_secret "$2")"
    # Named in the app as totpctl names a system record: the same issuer and label.
    shown=$("$totpctl" --conf "$conf" -u "$2" show --json --qr none 2>/dev/null | sed -n 's/.*"uri":"\([^"?]*\)?.*/\1/p')
    check "$1: the app's names are totpctl's" "${shown:-none}" "${uri%%\?*}"
    case $uri in *"%20%28system%29?"*) ok ;; *) bad "$1: the label does not say (system): $uri" ;; esac
    check "$1: five scratch codes shown" 5 "$(wc -l <"$dir/scratch" 2>/dev/null)"
    check "$1: the record is root's, 0600" root:root:600 "$(stat -c %U:%G:%a "$sandbox/system/$2" 2>&1)"
}

# ---- sshd: publickey, then keyboard-interactive (examples/pam.d/sshd + enroll_at_login) ------
install_pam "$examples/pam.d/sshd" "$ssh_service"
sed -i "s|$module conf=$conf|& $enroll_opts|" "/etc/pam.d/$ssh_service"
start_sshd enroll

ssh_pty "$by_group"; check "ssh: a member of enroll_group with no record enrolls and logs in" 0 $?
offered && ok || bad "ssh: no enrollment was offered to a member of enroll_group"
enrolled_ok "ssh, group" "$by_group"
secret=$(cat "$dir/secret")
ssh_pty "$by_group" --code "$(later_code "$secret")"; check "ssh: the enrolled user logs in again with a later code" 0 $?
offered && bad "ssh: enrollment offered again to an enrolled user" || ok
ssh_pty "$by_group" --code 000000; check "ssh: the enrolled user's wrong code is refused" 1 $?

ssh_pty "$by_allowance"; check "ssh: a user with an allowance enrolls and logs in" 0 $?
enrolled_ok "ssh, allowance" "$by_allowance"
[ -e "$sandbox/system/.allow/$by_allowance" ] && bad "ssh: the allowance is not used up" || ok
ssh_pty "$by_allowance" --code "$(later_code "$(cat "$dir/secret")")"; check "ssh: the user with the allowance logs in again with a later code" 0 $?

ssh_pty "$outsider"; check "ssh: a user outside the group, without an allowance, is refused" 1 $?
offered && bad "ssh: enrollment offered outside the group" || ok
grep -q "Verification code: " "$dir/transcript" && ok || bad "ssh: the outsider was not asked for a code as anyone else"
[ -e "$sandbox/system/$outsider" ] && bad "ssh: a record was made for the outsider" || ok

ssh_pty "$enrolled" --code "$("$code_tool" "$old_secret")"; check "ssh: a user with a record logs in with its code" 0 $?
offered && bad "ssh: enrollment offered to a user with a record" || ok
ssh_pty "$enrolled" --code 000000; check "ssh: a user with a record and a wrong code is refused" 1 $?
offered && bad "ssh: a wrong code offered enrollment over an existing record" || ok
check "ssh: the existing record is never replaced" "$old_secret" "$(stored_secret "$enrolled")"
stop_sshd enroll

# ---- the rollout stack (examples/pam.d/sshd-rollout): nullok lets the outsider through ---------
sed "s|pam_totp.so|$module conf=$conf|; s|totp-exempt|totpnone$$|; s|enroll_group=totp-enroll|enroll_group=$group|" \
    "$examples/pam.d/sshd-rollout" >"/etc/pam.d/$ssh_service"
start_sshd rollout
ssh_pty "$outsider"; check "rollout: a user outside the group with no record logs in (nullok)" 0 $?
offered && bad "rollout: enrollment offered outside the group" || ok
[ -e "$sandbox/system/$outsider" ] && bad "rollout: a record was made for the outsider" || ok
ssh_pty "$enrolled" --code 000000; check "rollout: an enrolled user's wrong code is refused" 1 $?
stop_sshd rollout

# ---- sudo (examples/pam.d/sudo: system_only) + enroll_at_login -----------------------------
install_pam "$examples/pam.d/sudo" "$sudo_service"
sed -i "s|$module conf=$conf|& $enroll_opts|" "/etc/pam.d/$sudo_service"
grep -q "$enroll_opts system_only" "/etc/pam.d/$sudo_service" || bad "the sudo line is not system_only with enrollment"
for u in "$at_sudo" "$outsider" "$enrolled"; do e2e_sudoers "$u" passwd_tries=1; done

sudo_pty "$at_sudo"; check "sudo: a member of enroll_group with no record enrolls and elevates" 0 $?
offered && ok || bad "sudo: no enrollment was offered"
enrolled_ok "sudo" "$at_sudo"
sudo_pty "$at_sudo" --code "$(later_code "$(cat "$dir/secret")")"; check "sudo: the enrolled user elevates again with a later code" 0 $?
offered && bad "sudo: enrollment offered again" || ok
sudo_pty "$outsider"; check "sudo: a user outside the group is refused" 1 $?
offered && bad "sudo: enrollment offered outside the group" || ok
sudo_pty "$enrolled" --code "$(later_code "$old_secret")"; check "sudo: a user with a record elevates with its code" 0 $?
offered && bad "sudo: enrollment offered to a user with a record" || ok
check "sudo: the existing record is never replaced" "$old_secret" "$(stored_secret "$enrolled")"

# ---- the syslog lines (the module in sshd and in sudo, through the test's /dev/log) ------------
if [ -n "$syslog" ]; then
    devlog_stop # every line sent so far is in $syslog
    audit_lines() { grep "pam_totp(.*): action=enroll " "$syslog" | grep " user=$1 " || true; } # the module's, not totpctl's
    for who in "$by_group:$ssh_service" "$by_allowance:$ssh_service" "$at_sudo:$sudo_service"; do
        u=${who%%:*}
        line=$(audit_lines "$u")
        check "audit: one enrollment line for $u" 1 "$(printf '%s' "$line" | grep -c .)"
        for key in "result=ok" "how=login" "store=file" "actor=$u" "service=${who#*:}" "record=$sandbox/system/$u"; do
            case " $line " in *" $key "*) ok ;; *) bad "audit: $u's line lacks $key: $line" ;; esac
        done
        grep " user=$u " "$syslog" | grep -q 'reason="enrolled at login"' && ok || bad "no 'enrolled at login' decision line for $u"
    done
    for u in "$outsider" "$enrolled"; do check "audit: no enrollment line for $u" "" "$(audit_lines "$u")"; done
    # What the user had to see on the screen never reaches the log.
    for f in "$sandbox"/login*/secret "$sandbox"/login*/scratch; do
        while read -r s; do [ -n "$s" ] && grep -qF "$s" "$syslog" && bad "a secret or scratch code is in the syslog ($f)"; done <"$f"
    done
    ok
    cat "$syslog" >>"${TOTP_TEST_SYSLOG_FILE:-/dev/null}" # for tests/logs/logfmt_all.sh
else
    echo "note: no /dev/log of the test's own (tests/tools/devlog.sh): the audit lines are not checked"
fi

e2e_finish "enroll at login"
