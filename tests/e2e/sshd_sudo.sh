#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# sshd_sudo.sh: real OpenSSH and sudo logins through pam_totp, with the shipped examples/ files
# (as root). A throwaway user, its own sshd on loopback (own config, host key, pid file, PAM
# service), sudo with its own PAM service (sudoers' pam_service). Everything is removed on exit.
# What the module (in sshd and sudo) and totpctl send to syslog goes to a /dev/log of the test's
# own (tests/tools/devlog.sh): the lines are checked here and by tests/logs/logfmt_all.sh.
set -u
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: real sshd and sudo logins need root (CI runs this as root)"
    exit 77
fi
. "${srcdir:-.}/tests/tools/devlog.sh"
devlog_enter "$@" || echo "note: no mount namespaces here: the syslog lines are not checked"

for tool in sshd ssh ssh-keygen sudo visudo useradd userdel groupadd groupdel usermod gpasswd chpasswd runuser pamtester; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool not found (README's test command installs openssh-server)"; exit 1; }
done
top=${top_builddir:-.}
srcdir=${srcdir:-.}
examples=$srcdir/examples
totpctl=$PWD/$top/totpctl/totpctl
module=${PAM_TOTP_MODULE:-$PWD/$top/pam_totp/.libs/pam_totp.so}
code_tool=$PWD/$top/tests/tools/totp-code
if ldd "$module" | grep -q libasan; then
    echo "SKIP: sanitizer build (sshd and sudo cannot host an ASan module; the plain build runs this)"
    exit 77
fi

user=totpe2e$$
sandbox=$(mktemp -d /tmp/pam_totp-e2e.XXXXXX)
chmod 0755 "$sandbox"
ssh_service=pam_totp_e2e_sshd_$$
sudo_service=pam_totp_e2e_sudo_$$
sudoers=/etc/sudoers.d/pam_totp_e2e_$$
made_privsep=
exempt=totpx$$
cleanup() {
    for pid in "$sandbox"/sshd*.pid; do [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null; done
    devlog_cleanup
    rm -f "/etc/pam.d/$ssh_service" "/etc/pam.d/$sudo_service" "$sudoers"
    id "$user" >/dev/null 2>&1 && userdel "$user" 2>/dev/null
    getent group "$exempt" >/dev/null && groupdel "$exempt" 2>/dev/null
    rm -rf --one-file-system "/run/sudo/ts/$user" "$sandbox"
    [ -n "$made_privsep" ] && rmdir /run/sshd 2>/dev/null
}
trap cleanup EXIT
[ -d /run/sshd ] || { mkdir -m 0755 /run/sshd && made_privsep=1; }
syslog=
devlog_start "$sandbox/devlog" && syslog=$sandbox/devlog/syslog

passed=0
failed=0
check() { if [ "$2" = "$3" ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $1 (wanted $2, got $3)"; fi; }

# ---- the user, a key, a password, and a record made by totpctl -----------------------------
password="Correct-Horse-$$"
useradd -m -d "$sandbox/home" -s /bin/bash "$user" || exit 1
echo "$user:$password" | chpasswd
ssh-keygen -q -t ed25519 -N "" -f "$sandbox/user_key"
mkdir -m 0755 "$sandbox/keys" # sshd reads authorized keys as the user
install -m 0600 -o "$user" "$sandbox/user_key.pub" "$sandbox/keys/$user"
ssh-keygen -q -t ed25519 -N "" -f "$sandbox/host_key"
mkdir -m 0700 "$sandbox/system"
conf=$sandbox/pam_totp.conf
echo "system_dir = $sandbox/system" >"$conf"
enroll() { "$totpctl" --conf "$conf" -u "$user" enroll --no-confirm --force --json | sed -n 's/.*"secret":"\([A-Z2-7]*\)".*/\1/p'; }
secret=$(enroll)
[ -n "$secret" ] || { echo "FAIL: totpctl could not enroll $user"; exit 1; }

# The shipped PAM file, pointed at this build of the module and this test's store.
install_pam() { sed "s|pam_totp.so|$module conf=$conf|" "$1" >"/etc/pam.d/$2"; }

# ---- sshd on loopback -------------------------------------------------------------------------
# sshd names its PAM service after the program: a link gives it a service of its own.
ln -s "$(command -v sshd)" "$sandbox/$ssh_service"
port=
# Debian's stock sshd_config as the package ships it, its Include pointed at a directory of this
# test's: 00-test.conf (port, keys, pid file; first, so first-match-wins keeps them) and the
# shipped drop-in examples/sshd_config.d/pam_totp.conf, as an administrator installs it.
stock_config=/usr/share/openssh/sshd_config
[ -f "$stock_config" ] || { echo "FAIL: $stock_config not found (openssh-server ships it)"; exit 1; }
write_sshd_config() { # write_sshd_config NAME AUTHENTICATION_METHODS_OVERRIDE [SED_ON_DROP_IN]
    local dir=$sandbox/sshd_config_$1.d
    mkdir -p "$dir"
    {
        echo "ListenAddress 127.0.0.1"
        echo "Port $port"
        echo "HostKey $sandbox/host_key"
        echo "PidFile $sandbox/sshd_$1.pid"
        echo "AuthorizedKeysFile $sandbox/keys/%u"
        echo "StrictModes no"
        echo "LogLevel VERBOSE"
        [ -n "$2" ] && echo "AuthenticationMethods $2"
    } >"$dir/00-test.conf"
    sed "${3:-}" "$examples/sshd_config.d/pam_totp.conf" >"$dir/pam_totp.conf"
    sed "s|^Include /etc/ssh/sshd_config.d/\*.conf|Include $dir/*.conf|" "$stock_config" >"$sandbox/sshd_$1.conf"
}
start_sshd() { # start_sshd NAME AUTHENTICATION_METHODS_OVERRIDE [SED_ON_DROP_IN]
    local cfg=$sandbox/sshd_$1.conf
    for try in 1 2 3 4 5; do
        port=$((20000 + (RANDOM % 20000)))
        write_sshd_config "$1" "$2" "${3:-}"
        "$sandbox/$ssh_service" -t -f "$cfg" || { echo "FAIL: sshd -t refuses stock sshd_config + drop-in"; exit 1; }
        env ${sshd_env:-} "$sandbox/$ssh_service" -D -f "$cfg" -E "$sandbox/sshd_$1.log" & # sshd_env: held_prompts' clock
        for _ in $(seq 50); do
            grep -q "Server listening" "$sandbox/sshd_$1.log" 2>/dev/null && return 0
            grep -q "Bind to port" "$sandbox/sshd_$1.log" 2>/dev/null && break
            sleep 0.1 # waiting for a daemon to come up, not for a time step
        done
        kill %% 2>/dev/null
        wait %% 2>/dev/null
    done
    echo "FAIL: sshd did not start"; cat "$sandbox/sshd_$1.log"; exit 1
}
stop_sshd() { kill "$(cat "$sandbox/sshd_$1.pid")" 2>/dev/null; wait 2>/dev/null; rm -f "$sandbox/sshd_$1.pid"; }

# The client answers each keyboard-interactive prompt through SSH_ASKPASS, by its text.
cat >"$sandbox/askpass" <<EOF
#!/bin/sh
case "\$1" in
*"Password & verification code"*) cat "$sandbox/answer_both" ;;
*"Verification code"*) cat "$sandbox/answer_code" ;;
*assword*) cat "$sandbox/answer_password" ;;
esac
EOF
chmod 0755 "$sandbox/askpass"
ssh_login() { # ssh_login METHODS: 0 if the command ran as the user ($login_user, else $user)
    local outp
    outp=$(SSH_ASKPASS=$sandbox/askpass SSH_ASKPASS_REQUIRE=force timeout 60 ssh -F /dev/null \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=no \
        -o PreferredAuthentications="$1" -o IdentitiesOnly=yes -o NumberOfPasswordPrompts=1 \
        -i "$sandbox/user_key" -p "$port" "${login_user:-$user}@127.0.0.1" 'echo "logged in as $(id -un)"' 2>/dev/null </dev/null)
    [ "$outp" = "logged in as ${login_user:-$user}" ]
}
answer() { printf '%s\n' "$1" >"$sandbox/answer_code"; printf '%s\n' "$2" >"$sandbox/answer_password"; printf '%s%s\n' "$2" "$1" >"$sandbox/answer_both"; }

# The drop-in in sshd_config.d passes "sshd -t" with the stock file; the same lines appended
# at the end do not (the stock "KbdInteractiveAuthentication no" comes first and wins).
port=22
write_sshd_config check ""
"$sandbox/$ssh_service" -t -f "$sandbox/sshd_check.conf"; check "sshd -t: stock sshd_config with the drop-in" 0 $?
{ sed '/^Include/d' "$stock_config"; grep -v '^#' "$examples/sshd_config.d/pam_totp.conf"; } >"$sandbox/appended.conf"
"$sandbox/$ssh_service" -t -f "$sandbox/appended.conf" -o HostKey="$sandbox/host_key" 2>&1 | grep -q "AuthenticationMethods cannot be satisfied"
check "sshd -t: the same lines appended at the end are refused" 0 $?
effective=$("$sandbox/$ssh_service" -T -f "$sandbox/sshd_check.conf" -C user="$user",host=localhost,addr=127.0.0.1 | grep -E '^(kbdinteractiveauthentication|authenticationmethods|usepam) ' | sort | tr '\n' ' ')
check "sshd -T: the drop-in's values are in force" "authenticationmethods publickey,keyboard-interactive kbdinteractiveauthentication yes usepam yes " "$effective"

# publickey, then the code (examples/pam.d/sshd, examples/sshd_config.d/pam_totp.conf)
install_pam "$examples/pam.d/sshd" "$ssh_service"
start_sshd key ""
code=$("$code_tool" "$secret")
answer "$code" ""
ssh_login publickey,keyboard-interactive; check "ssh: key and the right code log in" 0 $?
ssh_login publickey,keyboard-interactive; check "ssh: the same code again is refused" 1 $?
answer 000000 ""
ssh_login publickey,keyboard-interactive; check "ssh: a wrong code is refused" 1 $?
grep -q "Accepted keyboard-interactive/pam for $user" "$sandbox/sshd_key.log"; check "sshd logged the accepted login" 0 $?
"$totpctl" --conf "$conf" -u "$user" remove >/dev/null
answer "$("$code_tool" "$secret" $(( $(date +%s) + 30 )))" ""
ssh_login publickey,keyboard-interactive; check "ssh: an unenrolled user is refused (no nullok)" 1 $?
# Every attempt passed the key step; the refusals were pam_totp's, at keyboard-interactive.
check "ssh: the key was accepted each time" 4 "$(grep -c "Partial publickey for $user" "$sandbox/sshd_key.log")"
check "ssh: three refusals at keyboard-interactive/pam" 3 "$(grep -c "Failed keyboard-interactive/pam for $user" "$sandbox/sshd_key.log")"
stop_sshd key

# ---- root over SSH (the drop-in's comment) ----------------------------------------------------
# sshd refuses keyboard-interactive to root unless PermitRootLogin is yes: under the default
# prohibit-password the drop-in locks root out; its documented choices let root in. root's key
# and record are this test's (AuthorizedKeysFile and the system store are in the sandbox).
root_secret=$("$totpctl" --conf "$conf" -u root enroll --no-confirm --force --json | sed -n 's/.*"secret":"\([A-Z2-7]*\)".*/\1/p')
install -m 0600 "$sandbox/user_key.pub" "$sandbox/keys/root"
start_sshd rootdefault ""
answer "$("$code_tool" "$root_secret")" ""
login_user=root ssh_login publickey,keyboard-interactive; check "ssh: root under prohibit-password with the drop-in is refused (as documented)" 1 $?
stop_sshd rootdefault
start_sshd rootyes "" 's/^#PermitRootLogin yes$/PermitRootLogin yes/'
login_user=root ssh_login publickey,keyboard-interactive; check "ssh: root with key and code, PermitRootLogin yes" 0 $?
answer 000000 ""
login_user=root ssh_login publickey,keyboard-interactive; check "ssh: root with a wrong code is refused" 1 $?
login_user=root ssh_login keyboard-interactive; check "ssh: root without the key is refused" 1 $?
stop_sshd rootyes
start_sshd rootmatch "" 's/^#Match User root$/Match User root/; s/^#    AuthenticationMethods publickey$/    AuthenticationMethods publickey/'
login_user=root ssh_login publickey; check "ssh: root by key alone with the Match User root block" 0 $?
stop_sshd rootmatch
rm -f "$sandbox/keys/root"
"$totpctl" --conf "$conf" -u root remove >/dev/null

# ---- rolling out (examples/pam.d/sshd-rollout): nullok, pam_permit and an exempt group -----
# The user has no record now (removed above).
groupadd "$exempt" || exit 1
sed "s|pam_totp.so|$module conf=$conf|; s|ingroup totp-exempt|ingroup $exempt|" "$examples/pam.d/sshd-rollout" >"/etc/pam.d/$ssh_service"
pam_try() { printf '%s\n' "$1" | timeout 60 pamtester "$ssh_service" "$user" authenticate >/dev/null 2>&1; }
pam_try ""; check "rollout, pamtester: an unenrolled user passes (nullok, pam_permit)" 0 $?
start_sshd rollout ""
answer 000000 ""
ssh_login publickey,keyboard-interactive; check "rollout: an unenrolled user with a key logs in" 0 $?
ssh_login keyboard-interactive; check "rollout: without the key nobody logs in" 1 $?
secret=$(enroll)
pam_try 000000; check "rollout, pamtester: an enrolled user's wrong code is refused" 1 $?
ssh_login publickey,keyboard-interactive; check "rollout: an enrolled user's wrong code is refused" 1 $?
answer "$("$code_tool" "$secret")" ""
ssh_login publickey,keyboard-interactive; check "rollout: an enrolled user's right code logs in" 0 $?
usermod -a -G "$exempt" "$user"
answer 000000 ""
pam_try 000000; check "rollout, pamtester: a member of the exempt group passes" 0 $?
ssh_login publickey,keyboard-interactive; check "rollout: a member of the exempt group logs in without a code" 0 $?
gpasswd -d "$user" "$exempt" >/dev/null
stop_sshd rollout

# password and code at one prompt (examples/pam.d/sshd-forward-pass), real pam_unix
secret=$(enroll)
install_pam "$examples/pam.d/sshd-forward-pass" "$ssh_service"
start_sshd forward keyboard-interactive
answer "$("$code_tool" "$secret")" "$password"
ssh_login keyboard-interactive; check "ssh: password+code at one prompt (forward_pass) logs in" 0 $?
answer "$("$code_tool" "$secret" $(( $(date +%s) + 30 )))" "wrong-$password"
ssh_login keyboard-interactive; check "ssh: a wrong password with a right code is refused" 1 $?
stop_sshd forward

# password, then code, at two prompts (examples/pam.d/sshd-password)
secret=$(enroll)
install_pam "$examples/pam.d/sshd-password" "$ssh_service"
start_sshd password keyboard-interactive
answer "$("$code_tool" "$secret")" "$password"
ssh_login keyboard-interactive; check "ssh: password then code logs in" 0 $?
stop_sshd password

# ---- sudo (examples/pam.d/sudo) ------------------------------------------------------------
secret=$(enroll)
install_pam "$examples/pam.d/sudo" "$sudo_service"
printf 'Defaults:%s pam_service=%s\n%s ALL=(ALL) ALL\n' "$user" "$sudo_service" "$user" >"$sandbox/sudoers"
visudo -c -q -f "$sandbox/sudoers" || { echo "FAIL: sudoers drop-in does not parse"; exit 1; }
install -m 0440 "$sandbox/sudoers" "$sudoers"
sudo_as_user() { # sudo_as_user PASSWORD CODE: 0 if sudo ran id as root
    local outp
    outp=$(printf '%s\n%s\n' "$1" "$2" | timeout 60 runuser -u "$user" -- sudo -S -k -p '' id -un 2>/dev/null)
    [ "$outp" = root ]
}
code=$("$code_tool" "$secret")
sudo_as_user "$password" "$code"; check "sudo: password and the right code elevate" 0 $?
sudo_as_user "$password" "$code"; check "sudo: the same code again is refused" 1 $?
sudo_as_user "$password" 000000; check "sudo: a wrong code is refused" 1 $?
[ "$(stat -c %U:%a "$sandbox/system/$user")" = root:600 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: the sudo record is not root's 0600"; }
# A record the user wrote in their home (what anything running as the user could do) is
# refused by the shipped sudo line (system_only), even with its right code; the system record
# works again once root enrolls the user.
home_secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
"$totpctl" --conf "$conf" -u "$user" remove >/dev/null
runuser -u "$user" -- sh -c 'umask 077 && mkdir -p "$HOME/.config/totp" && printf "%s\n\" TOTP_AUTH\n" "$1" >"$HOME/.config/totp/secret"' sh "$home_secret"
sudo_as_user "$password" "$("$code_tool" "$home_secret")"; check "sudo: a record the user wrote is refused with its right code" 1 $?
secret=$(enroll)
sudo_as_user "$password" "$("$code_tool" "$secret")"; check "sudo: the system record works beside the user's own" 0 $?
# pam_totp twice in one transaction (a pam-auth-update profile in common-auth, then the
# example's own line): one code, asked once, is enough; the next sudo refuses it as a replay.
install_pam "$examples/pam.d/sudo" "$sudo_service"
sed -i "s|^@include common-auth|&\nauth required $module conf=$conf|" "/etc/pam.d/$sudo_service"
[ "$(grep -c "$module" "/etc/pam.d/$sudo_service")" = 2 ] || { failed=$((failed + 1)); echo "FAIL: the two-line sudo service was not made"; }
code=$("$code_tool" "$secret" $(( $(date +%s) + 30 )))
sudo_as_user "$password" "$code"; check "sudo: pam_totp twice in the stack, one code once" 0 $?
sudo_as_user "$password" "$code"; check "sudo: that code again, in a new transaction, is refused" 1 $?

# ---- held prompts (tests/e2e/held_prompts.sh), answered in every order ----------------------
. "$srcdir/tests/e2e/held_prompts.sh"
held_prompts || failed=$((failed + 1))

# ---- the syslog lines: the module's decisions in sshd and sudo, totpctl's audit lines ----------
if [ -n "$syslog" ]; then
    devlog_stop
    lines() { grep -F -- "$1" "$syslog" | grep -F -- "$2" | grep -c .; }
    [ "$(lines "pam_totp($ssh_service:auth): result=accepted user=$user service=$ssh_service rhost=127.0.0.1 reason=" " record=$sandbox/system/$user")" -ge 4 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: sshd's accepted logins are not in the log"; }
    [ "$(lines "pam_totp($ssh_service:auth): result=denied user=$user service=$ssh_service rhost=127.0.0.1 reason=" "")" -ge 3 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: sshd's refused codes are not in the log"; }
    [ "$(lines "pam_totp($sudo_service:auth): result=accepted user=$user service=$sudo_service " "")" -ge 3 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: sudo's accepted codes are not in the log"; }
    [ "$(lines "totpctl: action=" " user=$user store=file record=$sandbox/system/$user how=admin actor=root actor_uid=0 ")" -ge 8 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: totpctl's audit lines are not in the log"; }
    for s in "$secret" "$home_secret" "$root_secret"; do
        grep -qF "$s" "$syslog" && { failed=$((failed + 1)); echo "FAIL: a secret is in the log"; } || passed=$((passed + 1))
    done
    cat "$syslog" >>"${TOTP_TEST_SYSLOG_FILE:-/dev/null}"
fi

# ---- nothing left behind ----------------------------------------------------------------------
cleanup
trap - EXIT
left=
for f in "/etc/pam.d/$ssh_service" "/etc/pam.d/$sudo_service" "$sudoers" "$sandbox"; do [ -e "$f" ] && left="$left $f"; done
id "$user" >/dev/null 2>&1 && left="$left user:$user"
getent group "$exempt" >/dev/null && left="$left group:$exempt"
pgrep -f "$ssh_service" >/dev/null && left="$left sshd"
check "nothing left behind ($left)" "" "$left"

echo "e2e: $passed passed, $failed failed"
[ "$failed" = 0 ]
