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
    # A bound on the whole run, whatever hangs.
    exec timeout -k 10 600 unshare --pid --fork --mount-proc --net --mount --uts bash "$0" "$@"
fi

# ---- inside the namespaces -----------------------------------------------------------------
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
section() { echo "[${SECONDS}s] $*"; }
has() { case "$1" in *"$2"*) ok ;; *) bad "$3: \"$2\" not in: $1" ;; esac; }

# ---- a domain controller -------------------------------------------------------------------
section "a domain controller"
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

# ---- the shipped schema --------------------------------------------------------------------
section "the shipped schema"
sed "s/DC=X/$base/" "$schema" | A ldapmodify >"$work/schema.log" 2>&1 ||
    { echo "FAIL: loading $schema: $(tail -n 3 "$work/schema.log")"; exit 1; }
for u in alice bob carol dave erin frank pamhost enroller sam rita ron ursula; do
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
g_scratch=818f39a5-c635-49ca-b25e-4228cdd34fb4
g_until=b14660fa-695a-4a93-948c-39470bdc9c7e
sid() { samba-tool user show "$1" --attributes=objectSid 2>/dev/null | sed -n 's/^objectSid: //p'; }
pam_sid=$(sid pamhost)
has "$pam_sid" "S-1-5-21-" "the PAM account's SID"
sddl="(OA;CIIO;RPCR;$g_secret;$user_class;$pam_sid)"
for g in $g_alg $g_digits $g_period; do sddl="$sddl(OA;CIIO;RP;$g;$user_class;$pam_sid)"; done
for g in $g_last $g_count $g_when; do sddl="$sddl(OA;CIIO;RPWP;$g;$user_class;$pam_sid)"; done
# scratch-code hashes: revealed (confidential) and written (a used one is deleted); allowances read
sddl="$sddl(OA;CIIO;RPWPCR;$g_scratch;$user_class;$pam_sid)(OA;CIIO;RP;$g_until;$user_class;$pam_sid)"
samba-tool dsacl set --objectdn="CN=Users,$base" --sddl="$sddl" >"$work/dsacl.log" 2>&1 ||
    bad "samba-tool dsacl set: $(tail -n 2 "$work/dsacl.log")"
# The enrollment identity: writes the secret and parameters, and adds the auxiliary class.
enroll_sid=$(sid enroller)
g_objectclass=bf9679e5-0de6-11d0-a285-00aa003049e2
sddl="(OA;CIIO;RPWPCR;$g_secret;$user_class;$enroll_sid)"
for g in $g_alg $g_digits $g_period $g_last $g_count $g_when; do
    sddl="$sddl(OA;CIIO;RPWP;$g;$user_class;$enroll_sid)"
done
sddl="$sddl(OA;CIIO;WP;$g_objectclass;$user_class;$enroll_sid)"
sddl="$sddl(OA;CIIO;RPWPCR;$g_scratch;$user_class;$enroll_sid)(OA;CIIO;RPWP;$g_until;$user_class;$enroll_sid)"
samba-tool dsacl set --objectdn="CN=Users,$base" --sddl="$sddl" >"$work/dsacl.log" 2>&1 ||
    bad "samba-tool dsacl set (enroller): $(tail -n 2 "$work/dsacl.log")"

# ---- configurations: the hosts' (PAM binds as pamhost) and the administrator's -------------
section "configurations: the hosts' (PAM binds as pamhost) and the administrator's"
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
printf 'Pw-enroller-0k!\n' >"$work/enroller.pw"
write_conf "$work/enroller.conf" "enroller@ad.test" "$work/enroller.pw"
umask 022
echo "auth required $module conf=$work/pam.conf" >"$work/services/login"
printf '%s\n' "auth required $module conf=$work/pam.conf nullok" "auth required pam_permit.so" \
    >"$work/services/nullok"
echo "auth required pam_deny.so" >"$work/services/other"
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
. "$srcdir/tests/tools/pamwrap-login.sh"
pamwrap_exclusive
login() { pamwrap_login "$work/services" "$@"; } # login SERVICE USER ANSWER: prints the result
T() { LD_PRELOAD=${LD_PRELOAD:-}$pamwrap_shim "$totpctl" --conf "$work/admin.conf" "$@"; }
logged() { pamwrap_log_since 0 | tail -n 1; } # the last line logged (by the module, after a login)
mark=0 # pamwrap_log_since "$mark": what was logged since
udn() { echo "CN=$1,CN=Users,$base"; }
attr() { # attr USER ATTRIBUTE: its value as the administrator (base64 if binary)
    A ldapsearch -LLL -o ldif-wrap=no -b "$(udn "$1")" -s base "(objectClass=*)" "$2" 2>/dev/null |
        sed -n "s/^$2:: //p; s/^$2: //p" | head -n 1
}
step_now() { echo $(($(date +%s) / 30)); }
code_at_step() { "$tools/totp-code" "$1" $(($2 * 30 + 15)); }
fresh() { # fresh USER: as the administrator, move USER's watermark 2 steps back from now, so
    # that the code of step $fs (now) is unused; no waiting for a time step
    fs=$(step_now)
    printf 'dn: %s\nchangetype: modify\nreplace: pamTotpLastStep\npamTotpLastStep: %s\n' \
        "$(udn "$1")" $((fs - 2)) | A ldapmodify >/dev/null 2>&1 || bad "resetting $1's watermark"
}

# ---- enrollment ----------------------------------------------------------------------------
section "enrollment"
T enroll -u alice --no-confirm --window 21 >/dev/null 2>"$work/err"
is "$?" 2 "--window with store=ad is refused"
has "$(cat "$work/err")" "store=ad keeps no window" "and says why"
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
out=$(T enroll -u ursula --no-confirm --scratch-codes 3 --json 2>"$work/err")
is "$?" 0 "enroll --scratch-codes 3 with store=ad: $(cat "$work/err")"
mapfile -t usc < <(printf '%s' "$out" | jq -r '.scratch_codes[]')
is "${#usc[@]}" 3 "three scratch codes printed"
is "$(A ldapsearch -LLL -o ldif-wrap=no -b "$(udn ursula)" -s base pamTotpScratchHash | grep -c '^pamTotpScratchHash')" 3 \
    "kept as three hashes on the user object"
is "$(login login ursula "${usc[0]}")" "login accepted" "an enrollment's scratch code logs in"
is "$(login login ursula "${usc[0]}")" "Authentication failure" "once"
out=$(T enroll -u ursula --no-confirm --force --scratch-codes 0 --json 2>"$work/err")
is "$?" 0 "enroll --force with no scratch codes: $(cat "$work/err")"
is "$(login login ursula "${usc[1]}")" "Authentication failure" "the old secret's scratch codes go with it"
T enroll -u ursula --no-confirm --force --scratch-codes 2 >/dev/null 2>"$work/err" ||
    bad "enroll --force with scratch codes: $(cat "$work/err")"
T remove -u ursula >/dev/null 2>"$work/err" || bad "removing ursula: $(cat "$work/err")"
is "$(A ldapsearch -LLL -o ldif-wrap=no -b "$(udn ursula)" -s base pamTotpScratchHash objectClass | grep -c 'pamTotpScratchHash\|pamTotpUser')" 0 \
    "remove takes the scratch hashes and the class away"
T enroll -u nobody-here --no-confirm >/dev/null 2>"$work/err"
is "$?" 1 "enrolling a user the directory lacks"
has "$(cat "$work/err")" "no entry under $base matches (sAMAccountName=nobody-here)" \
    "the missing user is named"

# ---- PAM logins ----------------------------------------------------------------------------
section "PAM logins"
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
is "$(attr alice pamTotpFailureCount)" 0 "a success resets the failures (to 0)"

# ---- totpctl: status, show, list -----------------------------------------------------------
section "totpctl: status, show, list"
out=$(T status -u alice --json 2>"$work/err")
is "$?" 0 "status alice: $(cat "$work/err")"
is "$(printf '%s' "$out" | jq -r .last_step)" "$((s0 + 1))" "status: the watermark"
is "$(printf '%s' "$out" | jq -r .failures)" 0 "status: no failures since the success"
out=$(T show -u alice --qr none 2>"$work/err")
has "$out" "secret=$alice_secret" "show: the same secret, opened again"
is "$(T list 2>&1)" "alice" "list: the enrolled users"

# ---- the compare-and-swap: a login that read the watermark before another moved it loses ---
section "the compare-and-swap: a login that read the watermark before another moved it loses"
fresh alice
code=$(code_at_step "$alice_secret" "$fs")
mkfifo "$work/go"
"$tools/ldap-txn" "$work/pam.conf" alice "$code" <"$work/go" >"$work/txn.out" 2>&1 &
txn=$!
exec 7>"$work/go"
for _ in $(seq 300); do grep -q . "$work/txn.out" && break; sleep 0.05; done # until it has read
is "$(head -n 1 "$work/txn.out")" begun "the slow login read the entry"
is "$(login login alice "$code")" "login accepted" "a fast login with the same code"
echo go >&7
exec 7>&-
wait "$txn"
is "$?" 1 "the slow login is refused at its commit"
has "$(cat "$work/txn.out")" "pamTotpLastStep changed meanwhile" "and says why"
is "$(attr alice pamTotpLastStep)" "$fs" "the watermark is the fast login's"

# ---- the guessing bound under parallel logins: a success commits only if no failure was
# counted since it read the entry, so logins judged alongside each other get one guess between
# them, not one each. A paused login with the RIGHT code; a wrong code commits meanwhile.
section "the guessing bound under parallel logins: a failure counted meanwhile refuses a success"
paused_login() { # paused_login CODE WHAT
    "$tools/ldap-txn" "$work/pam.conf" alice "$1" <"$work/go" >"$work/txn.out" 2>&1 &
    txn=$!
    exec 7>"$work/go"
    for _ in $(seq 300); do grep -q . "$work/txn.out" && break; sleep 0.05; done # until it has read
    is "$(head -n 1 "$work/txn.out")" begun "$2: the login with the right code read the entry"
    is "$(login login alice 000000)" "Authentication failure" "$2: a wrong code meanwhile"
    echo go >&7
    exec 7>&-
    wait "$txn"
    is "$?" 1 "$2: the right code is refused at its commit"
    has "$(cat "$work/txn.out")" "a failure was counted in pamTotpFailureCount" "$2: and says why"
}
fresh alice
printf 'dn: %s\nchangetype: modify\nreplace: pamTotpFailureCount\n-\nreplace: pamTotpLastFailure\n' \
    "$(udn alice)" | A ldapmodify >/dev/null 2>&1 || bad "deleting alice's failure state"
code=$(code_at_step "$alice_secret" "$fs")
paused_login "$code" "no count read"
is "$(attr alice pamTotpLastStep)" "$((fs - 2))" "no count read: no watermark moved"
is "$(attr alice pamTotpFailureCount)" 1 "no count read: the failure stays counted"
paused_login "$code" "count 1 read"
is "$(attr alice pamTotpLastStep)" "$((fs - 2))" "count 1 read: no watermark moved"
is "$(attr alice pamTotpFailureCount)" 2 "count 1 read: both failures counted"
is "$(login login alice "$code")" "login accepted" "the same code with nothing in between: accepted"
is "$(attr alice pamTotpFailureCount)" 0 "the success set the count to 0"
is "$(attr alice pamTotpLastStep)" "$fs" "and moved the watermark"

# ---- 40 logins with one code: exactly one accept -------------------------------------------
section "40 logins with one code: exactly one accept"
out=$(T enroll -u bob --no-confirm --json 2>"$work/err")
is "$?" 0 "enroll bob: $(cat "$work/err")"
bob_secret=$(printf '%s' "$out" | jq -r .secret)
write_conf "$work/racing.conf" "pamhost@ad.test" "$work/pam.pw" "ldap_timeout = 60"
echo "auth required $module conf=$work/racing.conf" >"$work/services/race"
code=$(code_at_step "$bob_secret" "$(step_now)")
pids=
for i in $(seq 40); do
    (login race bob "$code"; echo "exit $?") >"$work/race.$i" &
    pids="$pids $!"
done
wait $pids # (not a bare wait: samba is a child of this shell too)
# pam-login exits 0 only for PAM_SUCCESS: one did, 39 were denied (exit 1, whatever the reason),
# none died of a signal.
is "$(cat "$work"/race.* | grep -c "^exit 0$")" 1 "40 logins with one code: one accept"
is "$(cat "$work"/race.* | grep -c "^login accepted$")" 1 "the accept says so"
is "$(cat "$work"/race.* | grep -c "^exit 1$")" 39 "the other 39 denied"
# The 39 replays are failures on bob's object, which the throttle now holds against him.
T -u bob reset-failures >/dev/null
is "$(attr bob pamTotpFailureCount)" "" "reset-failures clears the count on the DC"
rm -f "$work"/race.*

# ---- two hosts on one DC: one watermark, one failure count ---------------------------------
section "two hosts on one DC: one watermark, one failure count"
# Counting first, with the throttle off (racing logins that read the count after the third
# failure would be throttled and, rightly, not counted); then the default throttle on both.
write_conf "$work/count1.conf" "pamhost@ad.test" "$work/pam.pw" "ldap_timeout = 60" "throttle = off"
write_conf "$work/count2.conf" "pamhost@ad.test" "$work/pam.pw" "ldap_timeout = 60" "throttle = off"
write_conf "$work/host2.conf" "pamhost@ad.test" "$work/pam.pw" "ldap_timeout = 60"
echo "auth required $module conf=$work/count1.conf" >"$work/services/count1"
echo "auth required $module conf=$work/count2.conf" >"$work/services/count2"
echo "auth required $module conf=$work/host2.conf" >"$work/services/host2"
fresh bob
code=$(code_at_step "$bob_secret" "$fs")
is "$(login count1 bob "$code")" "login accepted" "host 1 takes bob's code"
is "$(login count2 bob "$code")" "Authentication failure" "host 2 refuses it (one watermark)"
pids=
for i in $(seq 5); do
    login count1 bob 000000 >/dev/null &
    pids="$pids $!"
    login count2 bob 111111 >/dev/null &
    pids="$pids $!"
done
wait $pids
is "$(attr bob pamTotpFailureCount)" 11 "a replay and 10 racing wrong codes on two hosts: none lost"
fresh bob
code=$(code_at_step "$bob_secret" "$fs")
is "$(login login bob "$code")" "Have exhausted maximum number of retries for service" \
    "the guessing bound holds on host 1 (default throttle): a right code is not judged"
is "$(login host2 bob "$code")" "Have exhausted maximum number of retries for service" \
    "and on host 2"
is "$(attr bob pamTotpLastStep)" $((fs - 2)) "the refused right code moved no watermark"
is "$(attr bob pamTotpFailureCount)" 11 "and the refusals counted nothing"
T -u bob reset-failures >/dev/null
is "$(login host2 bob "$code")" "login accepted" "host 2 takes it once the admin lifts the throttle"
is "$(attr bob pamTotpFailureCount)" 0 "and the count is 0 for both hosts"

# ---- sealed secrets: moved to another user, or altered, do not open ------------------------
section "sealed secrets: moved to another user, or altered, do not open"
out=$(T enroll -u carol --no-confirm --json 2>"$work/err")
is "$?" 0 "enroll carol: $(cat "$work/err")"
carol_secret=$(printf '%s' "$out" | jq -r .secret)
A ldapmodify >/dev/null 2>"$work/err" <<EOF
dn: $(udn carol)
changetype: modify
replace: pamTotpSecret
pamTotpSecret:: $(attr alice pamTotpSecret)
-
replace: pamTotpLastStep
pamTotpLastStep: 0
EOF
is "$?" 0 "the administrator copies alice's sealed secret onto carol: $(cat "$work/err")"
is "$(login nullok carol "$(code_at_step "$alice_secret" "$(step_now)")")" \
    "Authentication service cannot retrieve authentication info" \
    "alice's sealed secret on carol does not open: unavailable, even with nullok"
T status -u carol >/dev/null 2>"$work/err"
has "$(cat "$work/err")" "$(udn carol): pamTotpSecret: the sealed secret does not open" \
    "the error names the entry and the reason"
printf 'dn: %s\nchangetype: modify\nreplace: pamTotpSecret\npamTotpSecret: 12345678901234567890\n' \
    "$(udn carol)" | A ldapmodify >/dev/null 2>&1 || bad "writing a plain secret on carol"
is "$(login nullok carol 123456)" "Authentication service cannot retrieve authentication info" \
    "a plain secret another tool wrote: unavailable, even with nullok"
T status -u carol >/dev/null 2>"$work/err"
has "$(cat "$work/err")" "not a sealed secret of version 1" "and says so"
out=$(T enroll -u carol --force --no-confirm --json 2>"$work/err")
is "$?" 0 "enroll --force over carol's broken secret: $(cat "$work/err")"
carol_secret=$(printf '%s' "$out" | jq -r .secret)
is "$(login login carol "$(code_at_step "$carol_secret" "$(step_now)")")" "login accepted" \
    "carol logs in with the new secret"

# ---- key rotation: a new first key, reseal, then the old key can go ------------------------
section "key rotation: a new first key, reseal, then the old key can go"
fs_alice=$(attr alice pamTotpLastStep)
printf '2 %s\n1 %s\n' "$key2" "$key1" >"$work/keys"
out=$(T reseal --json 2>"$work/err")
is "$?" 0 "reseal everyone: $(cat "$work/err")"
is "$(printf '%s' "$out" | jq -c .resealed)" '["alice","bob","carol"]' "every enrolled user"
is "$(attr alice pamTotpSecret | base64 -d | od -An -tx1 -N5 | tr -d ' \n')" 0100000002 \
    "alice's secret is sealed under key 2"
is "$(attr alice pamTotpLastStep)" "$fs_alice" "re-sealing leaves the watermark"
printf '2 %s\n' "$key2" >"$work/keys"
fresh alice
is "$(login login alice "$(code_at_step "$alice_secret" "$fs")")" "login accepted" \
    "alice logs in with only the new key on the host"
printf '1 %s\n' "$key1" >"$work/keys"
is "$(login nullok bob "$(code_at_step "$bob_secret" "$(step_now)")")" \
    "Authentication service cannot retrieve authentication info" \
    "a host with only the retired key cannot open the secret"
T status -u bob >/dev/null 2>"$work/err"
has "$(cat "$work/err")" "sealed under key id 2, which the key file lacks" "and says which key"
printf '2 %s\n' "$key2" >"$work/keys"
chmod 0644 "$work/keys"
is "$(login login bob 123456)" "Authentication service cannot retrieve authentication info" \
    "a key file others can read is refused"
chmod 0600 "$work/keys"

# ---- who can read and write what (measured) ------------------------------------------------
section "who can read and write what (measured)"
U() { "$@" -x -H "$uri" -D "alice@ad.test" -w 'Pw-alice-0k!'; } # alice herself
P() { "$@" -x -H "$uri" -D "pamhost@ad.test" -w 'Pw-pamhost-0k!'; }
is "$(U ldapsearch -LLL -b "$(udn alice)" -s base pamTotpSecret | grep -c '^pamTotpSecret')" 0 \
    "alice cannot read her own secret"
is "$(U ldapsearch -LLL -b "$(udn alice)" -s base sAMAccountName | grep -c '^sAMAccountName')" 1 \
    "(while she can read her entry)"
is "$(P ldapsearch -LLL -b "$(udn alice)" -s base pamTotpSecret | grep -c '^pamTotpSecret')" 1 \
    "the PAM account reveals the secret"
modify_as() { # modify_as P|U USER ATTRIBUTE VALUE-LINE: the ldapmodify exit status
    printf 'dn: %s\nchangetype: modify\nreplace: %s\n%s\n' "$(udn "$2")" "$3" "$4" |
        "$1" ldapmodify >/dev/null 2>&1
    echo $?
}
is "$(modify_as P alice pamTotpLastStep 'pamTotpLastStep: 1')" 0 "the PAM account writes the watermark"
is "$(modify_as P alice pamTotpFailureCount 'pamTotpFailureCount: 1')" 0 \
    "the PAM account writes the failure count"
is "$(modify_as P alice pamTotpDigits 'pamTotpDigits: 8')" 50 "the PAM account cannot change the digits"
is "$(modify_as P alice description 'description: x')" 50 "the PAM account cannot change other attributes"
# Samba lets the control-access right that reveals a confidential attribute overwrite it too
# (measured; docs/AD.md): the PAM hosts' grant is write-capable for the secret. Pinned here so
# that a change in Samba shows up.
is "$(modify_as P alice pamTotpSecret "pamTotpSecret:: $(attr alice pamTotpSecret)")" 0 \
    "measured: RP+CR on pamTotpSecret lets the PAM account overwrite it (Samba)"
is "$(modify_as U alice pamTotpLastStep 'pamTotpLastStep: 1')" 50 "alice cannot move her watermark"
is "$(modify_as U alice pamTotpSecret 'pamTotpSecret:: AAAA')" 50 "alice cannot write her secret"

# The enrollment identity's grant (docs/AD.md) is enough to enroll, re-seal and remove.
E() { "$totpctl" --conf "$work/enroller.conf" "$@"; }
out=$(E enroll -u erin --no-confirm --json 2>"$work/err")
is "$?" 0 "the enrollment identity enrolls erin: $(cat "$work/err")"
erin_secret=$(printf '%s' "$out" | jq -r .secret)
is "$(login login erin "$(code_at_step "$erin_secret" "$(step_now)")")" "login accepted" \
    "erin logs in"
E reseal -u erin >/dev/null 2>"$work/err"
is "$?" 0 "the enrollment identity re-seals: $(cat "$work/err")"
E remove -u erin >/dev/null 2>"$work/err"
is "$?" 0 "the enrollment identity removes erin: $(cat "$work/err")"
is "$(attr erin pamTotpSecret)" "" "erin's secret is gone"
is "$(modify_as P alice pamTotpAlgorithm 'pamTotpAlgorithm: SHA256')" 50 \
    "the PAM account cannot change the algorithm"

# ---- scratch codes: hashed on the user object (pamTotpScratchHash, confidential), each usable
# once on every host (two site files, two processes), rotated by totpctl scratch --------------
section "scratch codes: hashed, single use across hosts, rotated"
cp "$work/pam.conf" "$work/host2.conf"
echo "auth required $module conf=$work/host2.conf" >"$work/services/host2"
has "$(A ldapsearch -LLL -b "CN=Schema,CN=Configuration,$base" '(lDAPDisplayName=pamTotpScratchHash)' \
    searchFlags isSingleValued)" "searchFlags: 640" "pamTotpScratchHash is confidential"
out=$(T enroll -u sam --no-confirm --json 2>"$work/err")
is "$?" 0 "enroll sam: $(cat "$work/err")"
sam_secret=$(printf '%s' "$out" | jq -r .secret)
out=$(T scratch -u sam --scratch-codes 4 --json 2>"$work/err")
is "$?" 0 "totpctl scratch with store=ad: $(cat "$work/err")"
mapfile -t sc < <(printf '%s' "$out" | jq -r '.scratch_codes[]')
is "${#sc[@]}" 4 "four codes printed once"
nhash() { A ldapsearch -LLL -o ldif-wrap=no -b "$(udn "$1")" -s base pamTotpScratchHash |
    grep -c '^pamTotpScratchHash'; }
is "$(nhash sam)" 4 "four values on the DC"
h1=$(attr sam pamTotpScratchHash)
case "$h1" in '$'*) ;; *) h1=$(printf '%s' "$h1" | base64 -d 2>/dev/null) ;; esac
is "$(printf '%s' "$h1" | cut -c1-29)" '$pbkdf2-sha256-sealed$100000$' \
    "PBKDF2 hashes, sealed with the fleet key"
is "$(U ldapsearch -LLL -b "$(udn sam)" -s base pamTotpScratchHash | grep -c '^pamTotpScratchHash')" \
    0 "another user cannot read them"
is "$(T status -u sam --json | jq -r .scratch_codes_left)" 4 "status counts them"
is "$(login login sam "${sc[0]}")" "login accepted" "a scratch code logs in on host 1"
is "$(login host2 sam "${sc[0]}")" "Authentication failure" "and is refused on host 2"
is "$(nhash sam)" 3 "its hash is gone, the others stay"
is "$(attr sam pamTotpFailureCount)" 1 "the refused one counted as a failure"
is "$(login host2 sam "${sc[1]}")" "login accepted" "another code on host 2"
is "$(attr sam pamTotpFailureCount)" 0 "which reset the failures"
mkfifo "$work/go1" "$work/go2"
"$tools/ldap-txn" "$work/pam.conf" sam "${sc[2]}" <"$work/go1" >"$work/txn1.out" 2>&1 &
p1=$!
"$tools/ldap-txn" "$work/host2.conf" sam "${sc[2]}" <"$work/go2" >"$work/txn2.out" 2>&1 &
p2=$!
exec 7>"$work/go1" 8>"$work/go2"
for _ in $(seq 300); do grep -q . "$work/txn1.out" && grep -q . "$work/txn2.out" && break; sleep 0.05; done
is "$(head -n 1 "$work/txn1.out") $(head -n 1 "$work/txn2.out")" "begun begun" "both hosts read"
echo go >&7
echo go >&8
exec 7>&- 8>&-
wait "$p1"
r1=$?
wait "$p2"
r2=$?
is "$((r1 + r2))" 1 "one of two racing hosts accepts the code: $(cat "$work/txn1.out" "$work/txn2.out")"
has "$(cat "$work/txn1.out" "$work/txn2.out")" "pamTotpScratchHash changed meanwhile" "the other says why"
out=$(T scratch -u sam --scratch-codes 2 --json 2>"$work/err")
is "$?" 0 "rotate: $(cat "$work/err")"
mapfile -t sc2 < <(printf '%s' "$out" | jq -r '.scratch_codes[]')
is "$(nhash sam)" 2 "the new set replaced the old"
is "$(login login sam "${sc[3]}")" "Authentication failure" "an old code is dead after rotation"
is "$(login host2 sam "${sc2[0]}")" "login accepted" "a new one works"
is "$(login login sam "$(code_at_step "$sam_secret" "$(step_now)")")" "login accepted" \
    "TOTP codes still work beside them"
out=$(E scratch -u sam --scratch-codes 3 --json 2>"$work/err")
is "$?" 0 "the enrollment identity issues scratch codes: $(cat "$work/err")"

# The hosts' account needs WP on pamTotpScratchHash to delete a used value; AD has no
# delete-only right, so it can add values too. Its password without the key file must not give
# a second factor of its choosing (the seal keeps exactly that from pamTotpSecret): a hash it
# made up (of 13572468, PBKDF2 as totp(5) says) must not log in.
planted=$(python3 -c 'import base64, hashlib, os
e = lambda b: base64.b64encode(b).decode().rstrip("=")
s = os.urandom(16)
print("$pbkdf2-sha256$1000$%s$%s" % (e(s), e(hashlib.pbkdf2_hmac("sha256", b"13572468", s, 1000))))')
printf 'dn: %s\nchangetype: modify\nadd: pamTotpScratchHash\npamTotpScratchHash: %s\n' \
    "$(udn sam)" "$planted" | P ldapmodify >/dev/null 2>&1
is "$?" 0 "measured: the PAM account (no key file) adds a scratch hash"
is "$(login login sam 13572468)" "Authentication failure" \
    "a scratch hash the PAM account made up does not log in (no fleet key behind it)"
# One sealed for another user does not open here either (the objectGUID is bound in).
sam_h=$(attr sam pamTotpScratchHash)
case "$sam_h" in '$'*) ;; *) sam_h=$(printf '%s' "$sam_h" | base64 -d 2>/dev/null) ;; esac
alice_left=$(T status -u alice --json | jq -r .scratch_codes_left)
printf 'dn: %s\nchangetype: modify\nadd: pamTotpScratchHash\npamTotpScratchHash: %s\n' \
    "$(udn alice)" "$sam_h" | A ldapmodify >/dev/null 2>&1
is "$?" 0 "the administrator copies one of sam's sealed hashes onto alice"
is "$(T status -u alice --json | jq -r .scratch_codes_left)" "$alice_left" \
    "it is no scratch code of hers (the objectGUID is bound in)"
printf 'dn: %s\nchangetype: modify\ndelete: pamTotpScratchHash\npamTotpScratchHash: %s\n' \
    "$(udn alice)" "$sam_h" | A ldapmodify >/dev/null 2>&1
# reseal re-seals scratch hashes under the new first key; values that do not open cannot be,
# and it says what to do.
T reseal -u sam >/dev/null 2>"$work/err"
is "$?" 3 "reseal refuses sam while the planted value is there"
has "$(cat "$work/err")" "do not open with the key file" "and says why"
has "$(cat "$work/err")" "totpctl scratch" "and what to do"
out=$(T scratch -u sam --scratch-codes 2 --json 2>"$work/err")
is "$?" 0 "a new set for sam: $(cat "$work/err")"
mapfile -t sc3 < <(printf '%s' "$out" | jq -r '.scratch_codes[]')
printf '3 %s\n2 %s\n' "$key1" "$key2" >"$work/keys"
out=$(T reseal -u sam 2>"$work/err")
is "$?" 0 "reseal sam under a new first key: $(cat "$work/err")"
kid() { # the key id sealing a scratch-hash value
    python3 -c 'import base64, sys
b = sys.argv[1].rsplit("$", 1)[1]
print(int.from_bytes(base64.b64decode(b + "=" * (-len(b) % 4))[1:5], "big"))' "$1"
}
sam_h=$(attr sam pamTotpScratchHash)
case "$sam_h" in '$'*) ;; *) sam_h=$(printf '%s' "$sam_h" | base64 -d 2>/dev/null) ;; esac
is "$(kid "$sam_h")" 3 "sam's scratch hashes are sealed under key 3"
is "$(nhash sam)" 2 "both of them"
printf '3 %s\n' "$key1" >"$work/keys"
is "$(login login sam "${sc3[0]}")" "login accepted" "a scratch code opens with only the new key"
printf '2 %s\n' "$key2" >"$work/keys"
is "$(login login sam "${sc3[1]}")" "Authentication service cannot retrieve authentication info" \
    "a host with only the retired key cannot open sam's secret"
printf '2 %s\n3 %s\n' "$key2" "$key1" >"$work/keys"

# ---- enrollment is create-if-absent: two hosts enroll one user at once, one secret ---------
section "enrollment race: one secret"
rm -f "$work/go1" "$work/go2"
mkfifo "$work/go1" "$work/go2"
"$tools/ldap-txn" --enroll "$work/admin.conf" rita GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ \
    <"$work/go1" >"$work/txn1.out" 2>&1 &
p1=$!
"$tools/ldap-txn" --enroll "$work/enroller.conf" rita JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP \
    <"$work/go2" >"$work/txn2.out" 2>&1 &
p2=$!
exec 7>"$work/go1" 8>"$work/go2"
for _ in $(seq 300); do grep -q . "$work/txn1.out" && grep -q . "$work/txn2.out" && break; sleep 0.05; done
is "$(head -n 1 "$work/txn1.out") $(head -n 1 "$work/txn2.out")" "begun begun" \
    "both hosts found rita not enrolled"
echo go >&7
echo go >&8
exec 7>&- 8>&-
wait "$p1"
r1=$?
wait "$p2"
r2=$?
is "$((r1 + r2))" 1 "one of two racing enrollments commits: $(cat "$work/txn1.out" "$work/txn2.out")"
has "$(cat "$work/txn1.out" "$work/txn2.out")" "changed meanwhile" "the other is refused"
winner=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
[ "$r1" = 0 ] || winner=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
is "$(login login rita "$(code_at_step "$winner" "$(step_now)")")" "login accepted" \
    "the winner's secret stands"

# ---- the enrollment allowance: pamTotpEnrollUntil on the user object ------------------------
section "enrollment allowance"
is "$("$tools/ldap-txn" --allowance "$work/pam.conf" ron)" none "no allowance at first"
"$tools/ldap-txn" --allow "$work/admin.conf" ron 1893456000 >"$work/txn1.out" 2>&1
is "$?" 0 "allow ron until 2030: $(cat "$work/txn1.out")"
is "$(attr ron pamTotpEnrollUntil)" 1893456000 "as UNIX time"
has "$(A ldapsearch -LLL -b "$(udn ron)" -s base objectClass)" pamTotpEnrollee "with its class"
is "$("$tools/ldap-txn" --allowance "$work/host2.conf" ron)" 1893456000 "the hosts read it"
"$tools/ldap-txn" --allow "$work/admin.conf" ron 1000000000 >/dev/null 2>&1
is "$("$tools/ldap-txn" --allowance "$work/pam.conf" ron)" 1000000000 \
    "an expired one is read as it is (the caller judges it)"
"$tools/ldap-txn" --allow "$work/pam.conf" ron 1893456000 >/dev/null 2>&1
is "$?" 1 "the hosts' account cannot grant one"
"$tools/ldap-txn" --allow "$work/enroller.conf" ron 1893456000 >"$work/txn1.out" 2>&1
is "$?" 0 "the enrollment identity can: $(cat "$work/txn1.out")"
"$tools/ldap-txn" --allow "$work/admin.conf" ron 0 >"$work/txn1.out" 2>&1
is "$?" 0 "revoke: $(cat "$work/txn1.out")"
is "$("$tools/ldap-txn" --allowance "$work/pam.conf" ron)" none "revoked"

# ---- the DC down or hung: denied within the timeout ----------------------------------------
section "the DC down or hung: denied within the timeout"
write_conf "$work/down.conf" "pamhost@ad.test" "$work/pam.pw" "ldap_timeout = 2"
sed -i "s|^ldap_uri = .*|ldap_uri = ldaps://$host:1|" "$work/down.conf"
echo "auth required $module conf=$work/down.conf nullok" >"$work/services/down"
is "$(login down alice 123456)" "Authentication service cannot retrieve authentication info" \
    "no DC listening: unavailable, even with nullok"
: >"$work/hang.out"
python3 -c '
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 6360))
s.listen(64)
print("listening", flush=True)
held = []
while True:
    held.append(s.accept()[0])
' >"$work/hang.out" 2>&1 &
hang=$!
for _ in $(seq 100); do grep -q listening "$work/hang.out" && break; sleep 0.05; done
sed -i "s|^ldap_uri = .*|ldap_uri = ldaps://$host:6360|" "$work/down.conf"
# A server that takes the connection and never answers must cost at most ldap_timeout. libldap's
# TLS handshake has no bound of its own: ldap_conn.c bounds every read. Each login here is
# bounded by timeout(1) too, so the test cannot hang.
hung_login() { # hung_login WHAT: a bounded login on the "down" service; prints result, checks time
    local start result elapsed
    start=$(date +%s)
    result=$(LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=$work/services \
        PAM_WRAPPER_DISABLE_DEEPBIND=1 UID_WRAPPER_DISABLE_DEEPBIND=1 \
        timeout 20 "$tools/pam-login" down alice 123456 2>/dev/null)
    elapsed=$(($(date +%s) - start))
    if [ "$result" = "Authentication service cannot retrieve authentication info" ] &&
        [ "$elapsed" -le 10 ]; then
        ok
    else
        bad "$1: '$result' after $elapsed s; wanted unavailable within ldap_timeout (2 s)"
    fi
}
hung_login "a DC that accepts and never answers"
kill "$hang"
wait "$hang" 2>/dev/null
sed -i "s|^ldap_uri = .*|ldap_uri = $uri|" "$work/down.conf"
kill -STOP -- "-$samba_pid"
hung_login "the real DC stopped (SIGSTOP)"
kill -CONT -- "-$samba_pid"

# ---- configuration errors ------------------------------------------------------------------
section "configuration errors"
write_conf "$work/clear.conf" "pamhost@ad.test" "$work/pam.pw"
sed -i "s|^ldap_uri = .*|ldap_uri = ldap://$host|" "$work/clear.conf"
echo "auth required $module conf=$work/clear.conf" >"$work/services/clear"
is "$(login clear alice 123456)" "Error in service module" "store=ad over clear-text ldap:// is refused"
"$totpctl" --conf "$work/clear.conf" status -u alice >/dev/null 2>"$work/err"
has "$(cat "$work/err")" "store=ad needs ldaps:// or ldap_starttls" "and says why"
# Absence is "the base exists and nothing matches"; a base that does not exist, or one in
# another naming context (a referral), is a failure, never "not enrolled".
for b in "OU=Nowhere,$base" "DC=elsewhere,DC=test"; do
    write_conf "$work/base.conf" "pamhost@ad.test" "$work/pam.pw"
    sed -i "s|^ldap_base = .*|ldap_base = $b|" "$work/base.conf"
    echo "auth required $module conf=$work/base.conf nullok" >"$work/services/base"
    is "$(login base dave "")" "Authentication service cannot retrieve authentication info" \
        "ldap_base $b: unavailable, even with nullok for an unenrolled user"
done
# From the domain's root, AD answers a search with continuation references to the configuration
# and DNS partitions unless asked for the domain's scope (measured): the store sends the
# domain-scope control, so an absent user is "no entry, no reference", and a reference that
# still comes back (a part of the tree this DC does not hold) is an error.
refs() { A ldapsearch "$@" -b "$base" '(sAMAccountName=nobody-here)' dn 2>/dev/null | grep -c '^ref:'; }
is "$(refs)" 3 "Samba: three references from the domain's root without the control"
is "$(refs -e 1.2.840.113556.1.4.1339)" 0 "none with the domain-scope control"
is "$(login nullok nobody-here "")" "login accepted" \
    "an absent user at the domain's root: no reference came back, not enrolled (nullok)"
# docs/AD.md section 6 quotes these lines: the auth log says where the module looked and why.
has "$(logged)" "result=ignored user=nobody-here service=nullok rhost=- reason=\"no record (nullok): $uri: no entry under $base matches (sAMAccountName=nobody-here)\"" \
    "the log names the URI, the base and the filter"
is "$(login login nobody-here 123456)" "Authentication failure" "without nullok: asked and denied"
has "$(logged)" "result=denied user=nobody-here service=login rhost=- reason=\"no record: $uri: no entry under $base matches (sAMAccountName=nobody-here)\"" \
    "logged with the same words"
grep -v ad_key_file "$work/admin.conf" >"$work/nokey.conf"
chmod 0600 "$work/nokey.conf"
"$totpctl" --conf "$work/nokey.conf" status -u alice >/dev/null 2>"$work/err"
has "$(cat "$work/err")" "store=ad needs ad_key_file" "ad_key_file is required"

# An identity without the control-access right sees alice's class and parameters, but AD leaves
# the confidential secret out: an enrolled user it cannot judge, never "not enrolled".
write_conf "$work/plain.conf" "frank@ad.test" "$work/frank.pw"
(umask 077 && printf 'Pw-frank-0k!\n' >"$work/frank.pw")
printf '%s\n' "auth required $module conf=$work/plain.conf nullok" "auth required pam_permit.so" \
    >"$work/services/plain"
is "$(login plain alice "")" "Authentication service cannot retrieve authentication info" \
    "a secret the bind identity cannot see: unavailable, even with nullok"
"$totpctl" --conf "$work/plain.conf" status -u alice >/dev/null 2>"$work/err"
has "$(cat "$work/err")" "no pamTotpSecret readable by the bind identity" "and says why"
is "$(login plain dave "")" "login accepted" "dave (no pamTotp data) is still unenrolled"
# (user= is the account's own name as NSS gives it here: ADTEST\dave.)
has "$(logged)" "service=plain rhost=- reason=\"no record (nullok): $uri/$(udn dave): no pamTotpSecret (not enrolled)\"" \
    "the log names the entry and why"
# A directory server's diagnostic (Samba's spans two lines) is one escaped line on stderr.
"$totpctl" --conf "$work/plain.conf" enroll -u dave --no-confirm >/dev/null 2>"$work/err"
is "$?" 3 "frank cannot enroll dave"
is "$(wc -l <"$work/err")" 1 "one line on stderr: $(cat "$work/err")"
has "$(cat "$work/err")" "Insufficient access" "naming the server's refusal"

# ---- names of other domains ----------------------------------------------------------------
section "names of other domains"
# %s strips DOMAIN\ and @realm; a name of another domain must not be judged against (or count
# against) this domain's account of the same name.
fresh bob
c=$(code_at_step "$bob_secret" "$fs")
fails=$(attr bob pamTotpFailureCount)
is "$(login login 'EVIL\bob' "$c")" "Authentication failure" "EVIL\\bob is not ADTEST's bob"
is "$(login login 'bob@other.realm' "$c")" "Authentication failure" "nor is bob@other.realm"
is "$(login nullok 'bob@other.realm' "")" "Authentication failure" "an unknown user, even with nullok"
is "$(login login 'bob@other.realm' 000000)" "Authentication failure" "a wrong code for it"
is "$(attr bob pamTotpFailureCount)" "$fails" "counts against nobody"
is "$(attr bob pamTotpLastStep)" $((fs - 2)) "and moves no watermark"
pamwrap_log_since "$mark" | grep -q "result=denied user=bob@other.realm service=login rhost=- reason=\"unknown user: $uri/$base: bob@other.realm is not a name in this directory's domain (ad.test)\"" && ok || bad "the log says why bob@other.realm is unknown: $(logged)"
pamwrap_log_since "$mark" | grep -q "user=\"EVIL\\\\\\\\bob\" .*reason=\"unknown user: .*EVIL\\\\\\\\bob is not a name in this directory's domain (ad.test, ADTEST)\"" && ok || bad "the log says why EVIL\\bob is unknown: $(pamwrap_log_since "$mark" | grep EVIL)"
T status -u 'EVIL\bob' >/dev/null 2>"$work/err"
has "$(cat "$work/err")" "is not a name in this directory's domain (ad.test, ADTEST)" \
    "and says why"
is "$(login login 'ADTEST\bob' "$c")" "login accepted" "the domain's NetBIOS name is its own"
fresh bob
is "$(login login 'bob@AD.TEST' "$(code_at_step "$bob_secret" "$fs")")" "login accepted" \
    "and so is its DNS name"

# ---- two hosts with clocks apart -----------------------------------------------------------
section "two hosts with clocks apart (libfaketime)"
# As tests/ldap/ldap_secure.sh section 8, on the DC: host a's clock is ahead of host b's by 20
# and 150 s: 3 of 10 alternating guesses judged, whichever host starts; pamTotpLastFailure
# round-trips to the second; 1000 s apart: every switch judged, and host b warns.
. "$srcdir/tests/tools/fleet-clock.sh"
services=$work/services
if fleet_faketime=$(fleet_clock_lib); then
    write_conf "$work/clock.conf" "pamhost@ad.test" "$work/pam.pw" "throttle = 3,600,600"
    echo "auth required $module conf=$work/clock.conf" >"$work/services/clock-a"
    echo "auth required $module conf=$work/clock.conf" >"$work/services/clock-b"
    wrong=$(code_at_step "$bob_secret" $(($(step_now) + 120))) # an hour ahead: wrong
    for off in 20 150; do
        for first in a b; do
            T -u bob reset-failures >/dev/null
            mark=$(pamwrap_log_mark)
            fleet_burst "$off" clock-a clock-b bob "$wrong" 10 "$first" >/dev/null
            is "$(attr bob pamTotpFailureCount)" 3 \
                "host b $off s behind, $first first: 3 of 10 alternating guesses judged"
            is "$(pamwrap_log_since "$mark" | grep -c 'result=denied user=.* service=clock-b .*too many attempts')" "$([ "$first" = b ] && echo 3 || echo 4)" \
                "host b $off s behind, $first first: host b refuses its later guesses unjudged"
            pamwrap_log_since "$mark" | grep -q 'result=warning' && bad "a warning within the tolerance" || ok
        done
        T -u bob reset-failures >/dev/null
        login_ahead "$off" clock-a bob "$wrong" >/dev/null
        written=$(attr bob pamTotpLastFailure)
        login clock-b bob "$wrong" >/dev/null
        is "$(attr bob pamTotpLastFailure)" "$written" \
            "host b $off s behind keeps host a's later failure time, to the second"
        is "$(attr bob pamTotpFailureCount)" 2 "and counts its failure"
    done
    T -u bob reset-failures >/dev/null
    mark=$(pamwrap_log_mark)
    fleet_burst 1000 clock-a clock-b bob "$wrong" 6 >/dev/null
    is "$(attr bob pamTotpFailureCount)" 6 "host b 1000 s behind: every switch is judged"
    pamwrap_log_since "$mark" | grep -Eq 'result=warning user=.* service=clock-b rhost=- reason="the last failure was recorded (99[0-9]|1000) s in the future, more than the 900 s the throttle believes: check the clocks"' && ok ||
        bad "host b 1000 s behind logs the failure it does not believe: $(pamwrap_log_since "$mark" | grep result=warning)"
    T -u bob reset-failures >/dev/null
else
    echo "SKIP (the checks with clocks apart): $(fleet_clock_lib 2>&1)"
fi

# ---- remove --------------------------------------------------------------------------------
section "remove"
T remove -u carol >/dev/null 2>"$work/err"
is "$?" 0 "remove carol: $(cat "$work/err")"
is "$(attr carol pamTotpSecret)$(attr carol pamTotpLastStep)" "" "carol's attributes are gone"
has "$(A ldapsearch -LLL -b "$(udn carol)" -s base sAMAccountName)" "sAMAccountName: carol" \
    "carol's account stays"
is "$(A ldapsearch -LLL -b "$(udn carol)" -s base objectClass | grep -c pamTotpUser)" 0 \
    "and loses the auxiliary class"
is "$(login nullok carol "")" "login accepted" "carol is unenrolled (nullok)"
is "$(T list 2>&1 | tr '\n' ' ')" "alice bob rita sam " "list after removal"

# ---- enrollment at login (enroll_at_login): into the DC, with the hosts' account ------------
section "enrollment at login (enroll_at_login): into the DC, with the hosts' account"
# A hosts' account with exactly docs/AD.md's grants for enrollment at login: the PAM hosts'
# grant and the enrollment identity's (WP on pamTotpEnrollUntil among them: an enrollment by
# allowance spends it). Allowed by an allowance; then a later code on a second host, a scratch
# code once across two hosts, a lost phone replaced through another one, two hosts enrolling one
# user at once (one record), and a user without an allowance not offered enrollment.
for u in pamenroll ella rhea nora; do
    samba-tool user create "$u" "Pw-$u-0k!" >/dev/null 2>&1 || bad "creating user $u"
done
pe_sid=$(sid pamenroll)
sddl="(OA;CIIO;RPCR;$g_secret;$user_class;$pe_sid)"
for g in $g_alg $g_digits $g_period; do sddl="$sddl(OA;CIIO;RP;$g;$user_class;$pe_sid)"; done
for g in $g_last $g_count $g_when; do sddl="$sddl(OA;CIIO;RPWP;$g;$user_class;$pe_sid)"; done
sddl="$sddl(OA;CIIO;RPWPCR;$g_scratch;$user_class;$pe_sid)(OA;CIIO;RP;$g_until;$user_class;$pe_sid)"
samba-tool dsacl set --objectdn="CN=Users,$base" --sddl="$sddl" >"$work/dsacl.log" 2>&1 ||
    bad "samba-tool dsacl set (pamenroll, hosts' grant): $(tail -n 2 "$work/dsacl.log")"
sddl="(OA;CIIO;RPWPCR;$g_secret;$user_class;$pe_sid)"
for g in $g_alg $g_digits $g_period $g_last $g_count $g_when; do
    sddl="$sddl(OA;CIIO;RPWP;$g;$user_class;$pe_sid)"
done
sddl="$sddl(OA;CIIO;RPWPCR;$g_scratch;$user_class;$pe_sid)(OA;CIIO;RPWP;$g_until;$user_class;$pe_sid)"
sddl="$sddl(OA;CIIO;WP;$g_objectclass;$user_class;$pe_sid)"
samba-tool dsacl set --objectdn="CN=Users,$base" --sddl="$sddl" >"$work/dsacl.log" 2>&1 ||
    bad "samba-tool dsacl set (pamenroll, enrollment grant): $(tail -n 2 "$work/dsacl.log")"
(umask 077 && printf 'Pw-pamenroll-0k!\n' >"$work/pamenroll.pw")
write_conf "$work/enroll1.conf" "pamenroll@ad.test" "$work/pamenroll.pw"
write_conf "$work/enroll2.conf" "pamenroll@ad.test" "$work/pamenroll.pw"
echo "auth required $module conf=$work/enroll1.conf enroll_at_login enroll_replace_with_scratch" \
    >"$work/services/enroll"
echo "auth required $module conf=$work/enroll2.conf enroll_at_login enroll_replace_with_scratch" \
    >"$work/services/enroll2"
cp "$work/pam.conf" "$work/host2.conf"
echo "auth required $module conf=$work/host2.conf" >"$work/services/host2"
for u in ella rhea; do
    "$tools/ldap-txn" --allow "$work/admin.conf" "$u" $(($(date +%s) + 3600)) >"$work/txn.out" 2>&1 ||
        bad "allow $u: $(cat "$work/txn.out")"
done
mark=$(pamwrap_log_mark)
is "$(login enroll ella "enroll:$work/ella")" "login accepted" "ella enrolls at login into the DC"
ella_secret=$(head -n 1 "$work/ella" 2>/dev/null)
mapfile -t esc < <(tail -n +2 "$work/ella" 2>/dev/null)
is "${#esc[@]}" 5 "five scratch codes shown"
is "$(T status -u ella --json 2>/dev/null | jq -r .enrolled)" true "the secret is on the DC"
is "$(nhash ella)" 5 "with five scratch hashes"
is "$("$tools/ldap-txn" --allowance "$work/admin.conf" ella)" none "ella's allowance is used up"
blob=$(attr ella pamTotpSecret)
raw=$(python3 -c 'import base64,sys; s=sys.argv[1]; print(base64.b32decode(s+"="*(-len(s)%8)).hex())' "${ella_secret:-AAAA}" 2>/dev/null)
is "${#raw}" 40 "ella's key in hex"
is "$(printf '%s' "$blob" | base64 -d | wc -c)" $((33 + 20)) "the secret on the DC is a sealed blob"
is "$(printf '%s' "$blob" | base64 -d | od -An -tx1 | tr -d ' \n' | grep -c "${raw:-none}")" 0 \
    "the plain key is not on the DC"
first_kid=$(awk '$1 !~ /^#/ && NF == 2 { print $1; exit }' "$work/keys")
is "$(printf '%s' "$blob" | base64 -d | od -An -tx1 -N5 | tr -d ' \n')" "01$(printf '%08x' "$first_kid")" \
    "version 1, sealed under the key file's first key"
audit=$(pamwrap_log_since "$mark" | grep "action=enroll " | grep "ella")
has "$audit" "result=ok" "audit line: ok"
has "$audit" "store=ad" "audit line: the DC"
has "$audit" "how=login" "audit line: at login"
case "$(pamwrap_log_since "$mark")" in
*"${ella_secret:-none}"* | *"${raw:-none}"* | *"${esc[0]:-none}"* | *"${esc[4]:-none}"*)
    bad "a secret or scratch code in the log" ;;
*) ok ;;
esac
is "$(login enroll2 ella "$(code_at_step "$ella_secret" $(($(step_now) + 1)))")" "login accepted" \
    "ella logs in again on host 2 with a later code"
is "$(login enroll ella "enroll:$work/ella-again")" "Authentication failure" \
    "an existing record is never replaced: a code is asked for"
[ -s "$work/ella-again" ] && bad "enrollment offered over ella's record" || ok
is "$(attr ella pamTotpSecret)" "$blob" "ella's sealed secret is unchanged"
# A scratch code shown at enrollment: once across two hosts.
is "$(login login ella "${esc[0]:-}")" "login accepted" "ella's scratch code on host 1"
is "$(login host2 ella "${esc[0]:-}")" "Authentication failure" "is refused on host 2"
is "$(nhash ella)" 4 "its hash is gone, the others stay"
# A lost phone: a scratch code on host 2, then the new app's code; the record stays.
mark=$(pamwrap_log_mark)
is "$(login enroll2 ella "enroll:$work/ella-new:${esc[1]:-}")" "login accepted" \
    "a scratch code lets ella replace her lost phone"
new_ella=$(head -n 1 "$work/ella-new" 2>/dev/null)
[ -n "$new_ella" ] && [ "$new_ella" != "$ella_secret" ] && ok || bad "no new secret shown"
audit=$(pamwrap_log_since "$mark" | grep "action=replace ")
has "$audit" "result=ok" "audit line of the replacement: ok"
has "$audit" "store=ad" "audit line of the replacement: the DC"
is "$(nhash ella)" 5 "five new scratch hashes"
is "$(login host2 ella "${esc[2]:-}")" "Authentication failure" "an old scratch code is dead"
is "$(login login ella "$(code_at_step "$ella_secret" $(($(step_now) + 1)))")" "Authentication failure" \
    "the lost phone's code is dead"
is "$(login login ella "$(code_at_step "$new_ella" $(($(step_now) + 1)))")" "login accepted" \
    "the new phone's code logs in"
# Two hosts, one user, at once: one enrollment.
login enroll rhea "enroll:$work/rhea1" >"$work/rhea1.out" &
r1pid=$!
login enroll2 rhea "enroll:$work/rhea2" >"$work/rhea2.out" &
r2pid=$!
wait "$r1pid" "$r2pid" # (not a bare wait: samba is a child of this shell too)
is "$(cat "$work/rhea1.out" "$work/rhea2.out" | grep -c "login accepted")" 1 \
    "two hosts enrolling rhea at once: one login enrolls"
is "$(A ldapsearch -LLL -o ldif-wrap=no -b "$(udn rhea)" -s base pamTotpSecret | grep -c '^pamTotpSecret')" \
    1 "one secret"
winner=$work/rhea1
grep -q accepted "$work/rhea1.out" || winner=$work/rhea2
is "$(login login rhea "$(code_at_step "$(head -n 1 "$winner" 2>/dev/null)" $(($(step_now) + 1)))")" \
    "login accepted" "the winner's secret stands"
# No allowance, no group: not offered enrollment.
is "$(login enroll nora "enroll:$work/nora")" "Authentication failure" "nora has no allowance: denied"
[ -s "$work/nora" ] && bad "enrollment offered to nora" || ok
is "$(attr nora pamTotpSecret)" "" "nothing written for nora"

# ---- the end: nothing of ours is left running ----------------------------------------------
section "the end: nothing of ours is left running"
kill -TERM -- "-$samba_pid" 2>/dev/null
for _ in $(seq 150); do pgrep -g "$samba_pid" >/dev/null || break; sleep 0.1; done
left=$(pgrep -a -g "$samba_pid")
is "$left" "" "every samba process is gone"
samba_pid=
echo "ad_store: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
