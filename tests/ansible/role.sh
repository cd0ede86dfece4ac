#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# role.sh: ansible-playbook applies the role (ansible/roles/pam_totp) to a fresh Debian 12 root,
# a debootstrap tree, inside private mount, PID, network and UTS namespaces: then a real sshd
# login there needs the code, and a second run reports changed=0. Needs root, debootstrap, a
# Debian mirror, and the built .debs in PAM_TOTP_DEBS (.ci/packages runs it with the .debs it
# builds). Everything it starts dies with its namespaces; the tree is removed on exit.
set -u
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: the Ansible role test builds a Debian root and starts sshd: it needs root"
    exit 77
fi
debs=${PAM_TOTP_DEBS:-}
if [ -z "$debs" ] || ! ls "$debs"/libpam-totp_*.deb >/dev/null 2>&1; then
    echo "SKIP: set PAM_TOTP_DEBS to a directory holding the built .debs (.ci/packages does)"
    exit 77
fi
srcdir=$(cd "${srcdir:-.}" && pwd)

# ---- inside the namespaces: the tree is $work/tree --------------------------------------------
if [ "${1:-}" = --inside ]; then
    work=$2
    tree=$work/tree
    user=totpansible
    passed=0
    failed=0
    check() { if [ "$2" = "$3" ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $1 (wanted $2, got $3)"; fi; }
    ip link set lo up || exit 1
    mount -t proc proc "$tree/proc" && mount --rbind /dev "$tree/dev" && mount -t tmpfs tmpfs "$tree/run" || exit 1
    mkdir -m 0755 "$tree/run/sshd"
    in_tree() { chroot "$tree" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 "$@"; }

    # sshd as Debian ships it, on port 22 of this namespace's loopback; the role reloads it.
    in_tree /usr/sbin/sshd -o ListenAddress=127.0.0.1 -o LogLevel=VERBOSE -E /var/log/sshd_test.log || exit 1
    for _ in $(seq 50); do
        grep -q "Server listening" "$tree/var/log/sshd_test.log" 2>/dev/null && break
        sleep 0.1 # waiting for a daemon to come up, not for a time step
    done

    # A user with a key.
    in_tree useradd -m -s /bin/bash "$user" || exit 1
    ssh-keygen -q -t ed25519 -N "" -f "$work/user_key"
    install -d -m 0700 "$tree/home/$user/.ssh"
    install -m 0600 "$work/user_key.pub" "$tree/home/$user/.ssh/authorized_keys"
    in_tree chown -R "$user:$user" "/home/$user/.ssh"

    cat >"$work/askpass" <<ASKPASS
#!/bin/sh
case "\$1" in
*"Verification code"*) cat "$work/answer_code" ;;
esac
ASKPASS
    chmod 0755 "$work/askpass"
    ssh_login() { # ssh_login METHODS CODE: 0 if the command ran as the user
        local outp
        printf '%s\n' "$2" >"$work/answer_code"
        outp=$(SSH_ASKPASS=$work/askpass SSH_ASKPASS_REQUIRE=force timeout 60 ssh -F /dev/null \
            -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=no \
            -o PreferredAuthentications="$1" -o IdentitiesOnly=yes -o NumberOfPasswordPrompts=1 \
            -i "$work/user_key" -p 22 "$user@127.0.0.1" 'echo "logged in as $(id -un)"' 2>/dev/null </dev/null)
        [ "$outp" = "logged in as $user" ]
    }
    ssh_login publickey ""; check "stock sshd: the key alone logs in (before the role)" 0 $?

    # RFC 6238 by Python's standard library: an implementation independent of the product's.
    code_of() {
        python3 -c 'import base64, hmac, struct, sys, time
h = hmac.new(base64.b32decode(sys.argv[1]), struct.pack(">Q", int(time.time()) // 30), "sha1").digest()
o = h[-1] & 15
print("%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7fffffff) % 1000000))' "$1"
    }

    playbook() { # playbook PHASE [ARGS]: runs the example site.yml; the recap's counts in $recap
        local phase=$1
        shift
        in_tree ansible-playbook -i /root/ansible/test-inventory.ini /root/ansible/site.yml \
            -e pam_totp_phase="$phase" "$@" >"$work/playbook.log" 2>&1
        local rc=$?
        recap=$(sed -n 's/^localhost *: *//p' "$work/playbook.log" | tr -s ' ')
        [ $rc = 0 ] || [ -n "${expect_failure:-}" ] || { echo "---- ansible-playbook ($phase) failed:"; tail -n 40 "$work/playbook.log"; }
        return $rc
    }
    count() { echo "$recap" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

    # ---- rollout: the unenrolled log in with the key; nobody without it ----------------------
    playbook rollout; check "rollout: ansible-playbook succeeds" 0 $?
    [ "$(count changed)" -gt 0 ] 2>/dev/null; check "rollout: the first run changed things ($recap)" 0 $?
    grep -q "RUNNING HANDLER \[pam_totp : Reload sshd with the site's command\]" "$work/playbook.log"
    check "rollout: sshd was reloaded by the handler" 0 $?
    # The configuration check (totpctl check) validated the files and ran at the end.
    grep -A1 "TASK \[pam_totp : Run the configuration check\]" "$work/playbook.log" | grep -q "^ok: "
    check "rollout: totpctl check ran and passed" 0 $?
    in_tree dpkg-query -W -f '${Status}\n' libpam-totp totpctl | grep -c "install ok installed" | grep -qx 2
    check "the packages are installed" 0 $?
    check "the site file is root's, 0644" "root:644" "$(stat -c %U:%a "$tree/etc/security/pam_totp.conf")"
    grep -qx "auth required                                  pam_permit.so" "$tree/etc/pam.d/sshd"
    check "rollout: /etc/pam.d/sshd has the rollout lines" 0 $?
    ssh_login publickey,keyboard-interactive ""; check "rollout: an unenrolled user with the key logs in" 0 $?
    ssh_login keyboard-interactive ""; check "rollout: without the key nobody logs in" 1 $?
    ssh_login publickey ""; check "rollout: the key alone is no longer enough for sshd" 1 $?

    # ---- enforce: the code is needed ----------------------------------------------------------
    secret=$(in_tree totpctl -u "$user" enroll --no-confirm --json | sed -n 's/.*"secret":"\([A-Z2-7]*\)".*/\1/p')
    [ -n "$secret" ]; check "totpctl enrolls the user in the tree" 0 $?
    playbook enforce; check "enforce: ansible-playbook succeeds" 0 $?
    [ "$(count changed)" -gt 0 ] 2>/dev/null; check "enforce: the phase change changed things ($recap)" 0 $?
    grep -q "pam_permit" "$tree/etc/pam.d/sshd"; check "enforce: no pam_permit left in /etc/pam.d/sshd" 1 $?
    check "enforce: one pam_totp line for sudo" 1 "$(grep -c '^auth .*pam_totp.so system_only$' "$tree/etc/pam.d/sudo")"
    ssh_login publickey,keyboard-interactive ""; check "enforce: key and no code is refused" 1 $?
    ssh_login publickey,keyboard-interactive 000000; check "enforce: key and a wrong code is refused" 1 $?

    # ---- the second run changes nothing; then the right code logs in ---------------------------
    playbook enforce; check "again: ansible-playbook succeeds" 0 $?
    check "again: the second run changes nothing ($recap)" 0 "$(count changed)"
    check "again: nothing failed" 0 "$(count failed)"
    ssh_login publickey,keyboard-interactive "$(code_of "$secret")"; check "enforce: key and the right code log in" 0 $?
    grep -q "Accepted keyboard-interactive/pam for $user" "$tree/var/log/sshd_test.log"
    check "sshd logged the accepted keyboard-interactive login" 0 $?

    # ---- a site file the module would refuse is not written ----------------------------------
    before=$(sha256sum <"$tree/etc/security/pam_totp.conf")
    expect_failure=1 playbook enforce -e '{"pam_totp_site_options": {"no_such_option": 1}}'
    check "a bad site option: ansible-playbook fails" 2 $?
    grep -q "failed to validate" "$work/playbook.log"; check "a bad site option: totpctl check refused the candidate" 0 $?
    check "a bad site option: the site file is unchanged" "$before" "$(sha256sum <"$tree/etc/security/pam_totp.conf")"
    echo "ansible: $passed passed, $failed failed"
    [ "$failed" = 0 ]
    exit
fi

# ---- outside: the tree, then the namespaces ------------------------------------------------------
for tool in debootstrap unshare chroot ssh ssh-keygen python3 ip; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool not found (README's test command installs it)"; exit 1; }
done
# The mirror apt uses (deb822 or one-line sources), unless PAM_TOTP_MIRROR says.
mirror=${PAM_TOTP_MIRROR:-$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    grep -oE '^(deb +(\[[^]]*\] +)?|URIs: +)https?://[^ ]*/debian/?( |$)' | grep -oE 'https?://[^ ]*' | head -n 1)}
mirror=${mirror:-http://deb.debian.org/debian}

work=$(mktemp -d /tmp/pam_totp-ansible.XXXXXX)
cleanup() {
    # Mounts live in the namespaces only; refuse to remove a tree something is mounted in.
    if grep -q " $work/" /proc/self/mountinfo; then echo "FAIL: something is still mounted under $work"; return; fi
    rm -rf "$work"
}
trap cleanup EXIT

# The runtime dependencies of the .debs, sshd, and ansible-core (python3-cffi-backend and
# python3-apt by name: debootstrap does not resolve virtual packages, and Ansible's apt module
# needs python3-apt). Its own mounts (proc, sys) die with its mount namespace.
include=ansible-core,python3-cffi-backend,python3-apt,openssh-server,sudo,libssl3,libldap-2.5-0,libqrencode4,libpng16-16
started=$(date +%s)
if ! unshare --mount --kill-child -- debootstrap --variant=minbase --include="$include" bookworm "$work/tree" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -n 20 "$work/debootstrap.log"
    echo "FAIL: debootstrap bookworm from $mirror failed"
    exit 1
fi
echo "debootstrap: bookworm from $mirror in $(( $(date +%s) - started )) s"

# The role, the example playbook and an inventory for this host, and the .debs (library first).
cp -r "$srcdir/ansible" "$work/tree/root/ansible"
mkdir "$work/tree/root/debs"
cp "$debs"/libtotp0_*.deb "$debs"/libpam-totp_*.deb "$debs"/totpctl_*.deb "$work/tree/root/debs/"
list=$(cd "$work/tree/root/debs" && for p in libtotp0 libpam-totp totpctl; do printf '"/root/debs/%s", ' "$(ls ${p}_*.deb)"; done)
cat >"$work/tree/root/ansible/test-inventory.ini" <<INV
[totp]
localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3 ansible_become=false

[totp:vars]
pam_totp_debs=[${list%, }]
pam_totp_sshd_reload_command="/bin/sh -c 'kill -HUP \$(cat /run/sshd.pid)'"
INV

unshare --mount --pid --fork --net --uts --kill-child -- "$0" --inside "$work"
rc=$?
echo "done in $(( $(date +%s) - started )) s"
cleanup
trap - EXIT
[ ! -e "$work" ] || { echo "FAIL: $work was left behind"; exit 1; }
exit $rc
