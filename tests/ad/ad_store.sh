#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# ad_store.sh: store=ad against a throwaway Samba AD DC, provisioned on loopback inside private
# PID, network, mount and UTS namespaces (Samba's directories and /etc/hosts bind-mounted from a
# temporary directory), with the shipped schema extension and ACLs loaded. Root only; everything
# it starts dies with its PID namespace, and nothing outside its temporary directory is touched.
set -u
top=${top_builddir:-.}
srcdir=${srcdir:-.}
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: a Samba AD DC in private namespaces needs root (CI runs this as root)"
    exit 77
fi
for tool in samba samba-tool ldapmodify ldapsearch unshare ip jq; do
    if ! command -v "$tool" >/dev/null; then
        echo "SKIP: $tool missing (README's command 2 installs samba-ad-dc, ldap-utils, jq)"
        exit 77
    fi
done

if [ -z "${AD_TEST_NAMESPACED:-}" ]; then
    # Everything below runs in new namespaces; when the test ends, the PID namespace ends and
    # the kernel kills whatever is left in it.
    export AD_TEST_NAMESPACED=1
    exec unshare --pid --fork --mount-proc --net --mount --uts bash "$0" "$@"
fi

# ---- inside the namespaces ----------------------------------------------------------------
totpctl=$PWD/$top/totpctl/totpctl
tools=$PWD/$top/tests/tools
module=${PAM_TOTP_MODULE:-$PWD/$top/pam_totp/.libs/pam_totp.so}
schema=$srcdir/examples/ad/pam_totp-schema.ldif

mount --make-rprivate / || { echo "FAIL: cannot make the mount namespace private"; exit 1; }
work=$(mktemp -d /tmp/ad-store-test.XXXXXX)
samba_pid=
cleanup() {
    if [ -n "$samba_pid" ]; then
        kill -TERM -- "-$samba_pid" 2>/dev/null
        for _ in $(seq 100); do pgrep -g "$samba_pid" >/dev/null || break; sleep 0.1; done
        kill -KILL -- "-$samba_pid" 2>/dev/null
    fi
    umount -l /etc/hosts /etc/samba /var/lib/samba /var/cache/samba /run/samba /var/log/samba \
        2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
chmod 0755 "$work"

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
is() { if [ "$1" = "$2" ]; then ok; else bad "$3: got '$1', wanted '$2'"; fi; }
has() { case "$1" in *"$2"*) ok ;; *) bad "$3: \"$2\" not in: $1" ;; esac; }

# ---- a domain controller ------------------------------------------------------------------
realm=AD.TEST
base=DC=ad,DC=test
host=dc1.ad.test
adminpw='Adm1n-Pass!x9'
ip link set lo up && hostname dc1 || { echo "FAIL: loopback or host name"; exit 1; }
printf '127.0.0.1 localhost\n127.0.0.1 %s dc1\n' "$host" >"$work/hosts"
mount --bind "$work/hosts" /etc/hosts || { echo "FAIL: bind-mounting /etc/hosts"; exit 1; }
for d in /etc/samba /var/lib/samba /var/cache/samba /run/samba /var/log/samba; do
    mkdir -p "$work/root$d" && mount --bind "$work/root$d" "$d" ||
        { echo "FAIL: bind-mounting $d"; exit 1; }
done
samba-tool domain provision --realm=$realm --domain=ADTEST --server-role=dc \
    --dns-backend=SAMBA_INTERNAL --adminpass="$adminpw" --host-ip=127.0.0.1 \
    --option="dsdb:schema update allowed = true" --option="interfaces = lo" \
    --option="bind interfaces only = yes" >"$work/provision.log" 2>&1 ||
    { echo "FAIL: provisioning: $(tail -n 5 "$work/provision.log")"; exit 1; }
ca=/var/lib/samba/private/tls/ca.pem
uri=ldaps://$host
export LDAPTLS_CACERT=$ca
setsid samba -F --debug-stdout >"$work/samba.log" 2>&1 &
samba_pid=$!
A() { "$@" -x -H "$uri" -D "Administrator@ad.test" -w "$adminpw"; } # as the domain administrator
for _ in $(seq 300); do # waiting for the server to answer, not for a time step
    A ldapsearch -b "" -s base dnsHostName >/dev/null 2>&1 && break
    kill -0 "$samba_pid" 2>/dev/null || break
    sleep 0.2
done
A ldapsearch -b "" -s base dnsHostName >/dev/null 2>&1 ||
    { echo "FAIL: samba did not answer LDAPS: $(tail -n 5 "$work/samba.log")"; exit 1; }

# ---- the shipped schema -------------------------------------------------------------------
sed "s/DC=X/$base/" "$schema" | A ldapmodify >"$work/schema.log" 2>&1 ||
    { echo "FAIL: loading $schema: $(tail -n 3 "$work/schema.log")"; exit 1; }
for u in alice bob carol dave erin frank pamhost enroller; do
    samba-tool user create "$u" "Pw-$u-0k!" >/dev/null 2>&1 || bad "creating user $u"
done
has "$(A ldapsearch -LLL -b "CN=Schema,CN=Configuration,$base" '(lDAPDisplayName=pamTotpLastStep)' \
    attributeSyntax isSingleValued)" "2.5.5.16" "pamTotpLastStep is a Large-Integer"
has "$(A ldapsearch -LLL -b "CN=Schema,CN=Configuration,$base" '(lDAPDisplayName=pamTotpSecret)' \
    searchFlags)" "searchFlags: 640" "pamTotpSecret is confidential and RODC-filtered"

# ---- the end: nothing of ours is left running ---------------------------------------------
kill -TERM -- "-$samba_pid" 2>/dev/null
for _ in $(seq 150); do pgrep -g "$samba_pid" >/dev/null || break; sleep 0.1; done
left=$(pgrep -a -g "$samba_pid")
is "$left" "" "every samba process is gone"
samba_pid=
echo "ad_store: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
