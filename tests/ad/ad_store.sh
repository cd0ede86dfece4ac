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

# ---- ACLs: the PAM hosts' account reveals the secret and reads the parameters, and writes only
# the watermark and the failure state (docs/AD.md, "Least privilege").
user_class=bf967aba-0de6-11d0-a285-00aa003049e2
g_secret=290ffe46-3610-4b48-beb2-a8efafcdde1a
g_alg=1bea6b38-293b-4660-acba-db7832518efb
g_digits=10b0b283-02bd-42c9-bc26-02b57c98dbd3
g_period=9c57241e-80be-4d4e-8db9-9dceb5deffb0
g_last=19edf052-119d-4173-85c6-032b867ff008
g_count=e7fa6d84-aa4b-48c6-8bec-80af2a76dca6
g_when=34fc0f2d-844a-4830-867e-ce65d3cd925d
sid() { samba-tool user show "$1" --attributes=objectSid 2>/dev/null | sed -n 's/^objectSid: //p'; }
pam_sid=$(sid pamhost)
has "$pam_sid" "S-1-5-21-" "the PAM account's SID"
sddl="(OA;CIIO;RPCR;$g_secret;$user_class;$pam_sid)"
for g in $g_alg $g_digits $g_period; do sddl="$sddl(OA;CIIO;RP;$g;$user_class;$pam_sid)"; done
for g in $g_last $g_count $g_when; do sddl="$sddl(OA;CIIO;RPWP;$g;$user_class;$pam_sid)"; done
samba-tool dsacl set --objectdn="CN=Users,$base" --sddl="$sddl" >"$work/dsacl.log" 2>&1 ||
    bad "samba-tool dsacl set: $(tail -n 2 "$work/dsacl.log")"

# ---- configurations: the hosts' (PAM binds as pamhost) and the administrator's ---------------
umask 077
mkdir -p "$work/services"
printf 'Pw-pamhost-0k!\n' >"$work/pam.pw"
printf '%s\n' "$adminpw" >"$work/admin.pw"
key1=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
key2=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
printf '# fleet keys\n1 %s\n' "$key1" >"$work/keys"
write_conf() { # write_conf FILE BIND PWFILE [more lines]
    local f=$1 dn=$2 pw=$3
    shift 3
    printf '%s\n' "store = ad" "ldap_uri = $uri" "ldap_base = $base" "ldap_bind_dn = $dn" \
        "ldap_bind_pw_file = $pw" "ldap_ca_file = $ca" "ad_key_file = $work/keys" \
        "ldap_timeout = 10" "$@" >"$f"
    chmod 0600 "$f"
}
write_conf "$work/pam.conf" "pamhost@ad.test" "$work/pam.pw"
write_conf "$work/admin.conf" "Administrator@ad.test" "$work/admin.pw"
umask 022
echo "auth required $module conf=$work/pam.conf" >"$work/services/login"
printf '%s\n' "auth required $module conf=$work/pam.conf nullok" "auth required pam_permit.so" \
    >"$work/services/nullok"
echo "auth required pam_deny.so" >"$work/services/other"
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
login() { # login SERVICE USER ANSWER: pam_totp.so through the real libpam; prints the result
    LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=$work/services \
        PAM_WRAPPER_DISABLE_DEEPBIND=1 UID_WRAPPER_DISABLE_DEEPBIND=1 \
        "$tools/pam-login" "$1" "$2" "$3" 2>/dev/null
}
T() { "$totpctl" --conf "$work/admin.conf" "$@"; }
udn() { echo "CN=$1,CN=Users,$base"; }
attr() { # attr USER ATTRIBUTE: its value as the administrator (base64 if binary)
    A ldapsearch -LLL -o ldif-wrap=no -b "$(udn "$1")" -s base "(objectClass=*)" "$2" 2>/dev/null |
        sed -n "s/^$2:: //p; s/^$2: //p" | head -n 1
}
step_now() { echo $(($(date +%s) / 30)); }
code_at_step() { "$tools/totp-code" "$1" $(($2 * 30 + 15)); }

# ---- enrollment ---------------------------------------------------------------------------
out=$(T enroll -u alice --no-confirm --json 2>"$work/err")
is "$?" 0 "enroll alice: $(cat "$work/err")"
alice_secret=$(printf '%s' "$out" | jq -r .secret)
has "$(printf '%s' "$out" | jq -r .path)" "$uri/CN=alice,CN=Users,$base" "enroll names the entry"
has "$(A ldapsearch -LLL -b "$(udn alice)" -s base objectClass)" "pamTotpUser" \
    "alice has the auxiliary class"
is "$(attr alice pamTotpAlgorithm)/$(attr alice pamTotpDigits)/$(attr alice pamTotpPeriod)" \
    "SHA1/6/30" "the parameters"
blob=$(attr alice pamTotpSecret)
raw=$(python3 -c 'import base64,sys; s=sys.argv[1]; print(base64.b32decode(s+"="*(-len(s)%8)).hex())' "$alice_secret")
is "${#raw}" 40 "alice's key in hex"
is "$(printf '%s' "$blob" | base64 -d | wc -c)" $((33 + 20)) \
    "the secret on the DC is a sealed blob (version, key id, nonce, 20 bytes, tag)"
is "$(printf '%s' "$blob" | base64 -d | od -An -tx1 | tr -d ' \n' | grep -c "$raw")" 0 \
    "the plain key is not on the DC (read back as the domain administrator)"
is "$(printf '%s' "$blob" | base64 -d | od -An -tx1 -N5 | tr -d ' \n')" 0100000001 \
    "version 1, key id 1"
T enroll -u alice --no-confirm >/dev/null 2>"$work/err"
is "$?" 1 "enrolling alice twice"
has "$(cat "$work/err")" "already enrolled" "second enrollment refused"
T enroll -u alice --no-confirm --scratch-codes 3 >/dev/null 2>"$work/err"
is "$?" 2 "scratch codes with store=ad"
T enroll -u nobody-here --no-confirm >/dev/null 2>"$work/err"
is "$?" 1 "enrolling a user the directory lacks"
has "$(cat "$work/err")" "no entry under $base matches (sAMAccountName=nobody-here)" \
    "the missing user is named"

# ---- PAM logins ---------------------------------------------------------------------------
s0=$(step_now)
code=$(code_at_step "$alice_secret" "$s0")
is "$(login login alice "$code")" "login accepted" "alice logs in with the current code"
is "$(attr alice pamTotpLastStep)" "$s0" "the watermark is the code's step"
is "$(login login alice "$code")" "Authentication failure" "the same code again (replay)"
is "$(login login alice 000000)" "Authentication failure" "a wrong code"
is "$(attr alice pamTotpLastStep)" "$s0" "a failure leaves the watermark"
is "$(attr alice pamTotpFailureCount)" 2 "the replay and the wrong code are counted on the DC"
t_fail=$(attr alice pamTotpLastFailure)
[ -n "$t_fail" ] && [ $(($(date +%s) - t_fail)) -lt 120 ] && ok || bad "its time: '$t_fail'"
is "$(login login dave "$code")" "Authentication failure" "dave is not enrolled"
is "$(login nullok dave "")" "login accepted" "nullok lets an unenrolled user through"
is "$(login login '*' "$code")" "Authentication failure" "user '*' matches nobody (escaped)"
c1=$(code_at_step "$alice_secret" $((s0 + 1)))
is "$(login login alice "$c1")" "login accepted" "alice with step +1"
is "$(attr alice pamTotpFailureCount)" "" "a success resets the failures"

# ---- the end: nothing of ours is left running ---------------------------------------------
kill -TERM -- "-$samba_pid" 2>/dev/null
for _ in $(seq 150); do pgrep -g "$samba_pid" >/dev/null || break; sleep 0.1; done
left=$(pgrep -a -g "$samba_pid")
is "$left" "" "every samba process is gone"
samba_pid=
echo "ad_store: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
