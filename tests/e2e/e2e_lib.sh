# SPDX-License-Identifier: Apache-2.0
# e2e_lib.sh: sourced by the real sshd and sudo tests (as root): this build's paths, a sandbox,
# throwaway users and groups, a sshd of the test's own on loopback with the shipped drop-in, a
# PAM service of its own for sshd and for sudo, and one cleanup that removes all of it.
#
#   e2e_init NAME "$@"    root and tools checked (SKIP/FAIL), the script run again in a mount
#                         namespace of its own whose /dev/log is the test's (tests/tools/devlog.sh:
#                         what the module in sshd and sudo logs lands in $syslog; empty when
#                         that cannot be), paths set, the sandbox made, the cleanup trapped;
#                         NAME goes into every global name (with the PID)
#   e2e_user USER [PW]    a user with a home in the sandbox and USER's public key (user_key)
#   e2e_group GROUP       a group, removed on exit
#   install_pam FILE SERVICE  the shipped PAM file, pointed at this build and $conf
#   start_sshd NAME [METHODS [SED_ON_DROP_IN]] / stop_sshd NAME   sshd on a random port ($port)
#   e2e_sudoers USER [DEFAULTS]  USER may sudo through $sudo_service
#   check WHAT WANTED GOT, ok, bad WHAT; e2e_finish: nothing left behind, the summary, status
set -u

e2e_init() {
    if [ "$(id -u)" != 0 ]; then
        echo "SKIP: real sshd and sudo logins need root (CI runs this as root)"
        exit 77
    fi
    local name=$1 tool
    shift
    srcdir=${srcdir:-.}
    syslog=
    if [ -f "$srcdir/tests/tools/devlog.sh" ]; then
        . "$srcdir/tests/tools/devlog.sh"
        devlog_enter "$@" || echo "note: no mount namespaces here: the syslog lines are not checked"
    fi
    for tool in sshd ssh ssh-keygen sudo visudo useradd userdel groupadd groupdel usermod gpasswd chpasswd runuser pamtester; do
        command -v "$tool" >/dev/null || { echo "FAIL: $tool not found (README's test command installs openssh-server)"; exit 1; }
    done
    top=${top_builddir:-.}
    examples=$srcdir/examples
    totpctl=$PWD/$top/totpctl/totpctl
    module=${PAM_TOTP_MODULE:-$PWD/$top/pam_totp/.libs/pam_totp.so}
    code_tool=$PWD/$top/tests/tools/totp-code
    if ldd "$module" | grep -q libasan; then
        echo "SKIP: sanitizer build (sshd and sudo cannot host an ASan module; the plain build runs this)"
        exit 77
    fi
    sandbox=$(mktemp -d "/tmp/pam_totp-$name.XXXXXX")
    chmod 0755 "$sandbox"
    ssh_service=pam_totp_${name}_sshd_$$
    sudo_service=pam_totp_${name}_sudo_$$
    sudoers=/etc/sudoers.d/pam_totp_${name}_$$
    e2e_users=
    e2e_groups=
    sshd_job=
    made_privsep=
    passed=0
    failed=0
    trap e2e_cleanup EXIT
    type devlog_start >/dev/null 2>&1 && devlog_start "$sandbox/devlog" && syslog=$sandbox/devlog/syslog
    [ -d /run/sshd ] || { mkdir -m 0755 /run/sshd && made_privsep=1; }
    ssh-keygen -q -t ed25519 -N "" -f "$sandbox/user_key"
    mkdir -m 0755 "$sandbox/keys" # sshd reads authorized keys as the user
    ssh-keygen -q -t ed25519 -N "" -f "$sandbox/host_key"
    # sshd names its PAM service after the program: a link gives it a service of its own.
    ln -s "$(command -v sshd)" "$sandbox/$ssh_service"
    mkdir -m 0700 "$sandbox/system"
    conf=$sandbox/pam_totp.conf
    echo "system_dir = $sandbox/system" >"$conf"
}

e2e_cleanup() {
    local pid u g
    for pid in "$sandbox"/sshd*.pid; do [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null; done
    rm -f "/etc/pam.d/$ssh_service" "/etc/pam.d/$sudo_service" "$sudoers"
    for u in $e2e_users; do
        id "$u" >/dev/null 2>&1 && userdel "$u" 2>/dev/null
        rm -rf "/run/sudo/ts/$u"
    done
    for g in $e2e_groups; do getent group "$g" >/dev/null && groupdel "$g" 2>/dev/null; done
    type devlog_cleanup >/dev/null 2>&1 && devlog_cleanup # /dev as it was, before the sandbox goes
    rm -rf "$sandbox"
    [ -n "$made_privsep" ] && rmdir /run/sshd 2>/dev/null
    return 0
}

e2e_user() {
    e2e_users="$e2e_users $1"
    useradd -m -d "$sandbox/home-$1" -s /bin/bash "$1" || exit 1
    [ -n "${2:-}" ] && echo "$1:$2" | chpasswd
    install -m 0600 -o "$1" "$sandbox/user_key.pub" "$sandbox/keys/$1"
}

e2e_group() {
    e2e_groups="$e2e_groups $1"
    groupadd "$1" || exit 1
}

check() { if [ "$2" = "$3" ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $1 (wanted $2, got $3)"; fi; }
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# The shipped PAM file, pointed at this build of the module and this test's store.
install_pam() { sed "s|pam_totp.so|$module conf=$conf|" "$1" >"/etc/pam.d/$2"; }

# ---- sshd on loopback -------------------------------------------------------------------------
port=
# Debian's stock sshd_config as the package ships it, its Include pointed at a directory of this
# test's: 00-test.conf (port, keys, pid file; first, so first-match-wins keeps them) and the
# shipped drop-in examples/sshd_config.d/pam_totp.conf, as an administrator installs it.
stock_config=/usr/share/openssh/sshd_config
write_sshd_config() { # write_sshd_config NAME AUTHENTICATION_METHODS_OVERRIDE [SED_ON_DROP_IN]
    local dir=$sandbox/sshd_config_$1.d
    [ -f "$stock_config" ] || { echo "FAIL: $stock_config not found (openssh-server ships it)"; exit 1; }
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
start_sshd() { # start_sshd NAME [AUTHENTICATION_METHODS_OVERRIDE [SED_ON_DROP_IN]]
    local cfg=$sandbox/sshd_$1.conf try
    for try in 1 2 3 4 5; do
        port=$((20000 + (RANDOM % 20000)))
        write_sshd_config "$1" "${2:-}" "${3:-}"
        "$sandbox/$ssh_service" -t -f "$cfg" || { echo "FAIL: sshd -t refuses stock sshd_config + drop-in"; exit 1; }
        "$sandbox/$ssh_service" -D -f "$cfg" -E "$sandbox/sshd_$1.log" &
        sshd_job=$!
        for _ in $(seq 50); do
            grep -q "Server listening" "$sandbox/sshd_$1.log" 2>/dev/null && return 0
            grep -q "Bind to port" "$sandbox/sshd_$1.log" 2>/dev/null && break
            sleep 0.1 # waiting for a daemon to come up, not for a time step
        done
        kill "$sshd_job" 2>/dev/null
        wait "$sshd_job" 2>/dev/null
    done
    echo "FAIL: sshd did not start"; cat "$sandbox/sshd_$1.log"; exit 1
}
# Waits for that sshd only: the syslog listener is a child of the script too.
stop_sshd() { kill "$(cat "$sandbox/sshd_$1.pid")" 2>/dev/null; wait "$sshd_job" 2>/dev/null; rm -f "$sandbox/sshd_$1.pid"; }

# ---- sudo --------------------------------------------------------------------------------------
e2e_sudoers() { # e2e_sudoers USER [MORE_DEFAULTS]: USER may run anything through $sudo_service
    printf 'Defaults:%s pam_service=%s%s\n%s ALL=(ALL) ALL\n' "$1" "$sudo_service" "${2:+, $2}" "$1" >>"$sandbox/sudoers"
    visudo -c -q -f "$sandbox/sudoers" || { echo "FAIL: sudoers drop-in does not parse"; exit 1; }
    install -m 0440 "$sandbox/sudoers" "$sudoers"
}

# ---- nothing left behind ----------------------------------------------------------------------
e2e_finish() { # e2e_finish NAME: the summary line; the script's exit status
    local f left= u g
    e2e_cleanup
    trap - EXIT
    for f in "/etc/pam.d/$ssh_service" "/etc/pam.d/$sudo_service" "$sudoers" "$sandbox"; do [ -e "$f" ] && left="$left $f"; done
    for u in $e2e_users; do id "$u" >/dev/null 2>&1 && left="$left user:$u"; done
    for g in $e2e_groups; do getent group "$g" >/dev/null && left="$left group:$g"; done
    pgrep -f "$ssh_service" >/dev/null && left="$left sshd"
    check "nothing left behind ($left)" "" "$left"
    echo "$1: $passed passed, $failed failed"
    [ "$failed" = 0 ]
}
