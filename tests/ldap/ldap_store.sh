#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# ldap_store.sh: the LDAP store against a real slapd (Debian's, back_mdb and the otp overlay) on
# a loopback port, with its own configuration and database in a temporary directory: enrollment
# with totpctl, PAM logins through pam_totp.so (pam_wrapper), the watermark shared with
# slapo-otp binds, a race of many logins with one code, the directory down or hanging, broken
# entries, the example ACLs, and removal. Runs as root or not; slapd is torn down at the end.
set -u
top=${top_builddir:-.}
srcdir=${srcdir:-.}
totpctl=$PWD/$top/totpctl/totpctl
tools=$PWD/$top/tests/tools
module=${PAM_TOTP_MODULE:-$PWD/$top/pam_totp/.libs/pam_totp.so}
slapd=/usr/sbin/slapd
if [ ! -x "$slapd" ] || [ ! -e /usr/lib/ldap/otp.so ] || ! command -v ldapadd >/dev/null; then
    echo "SKIP: slapd, its otp module or ldap-utils missing (README's test command installs them)"
    exit 77
fi
for tool in jq base64; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool not found"; exit 1; }
done

work=$(mktemp -d /tmp/ldap-store-test.XXXXXX)
slapd_pid=
cleanup() {
    if [ -n "$slapd_pid" ]; then
        kill -CONT "$slapd_pid" 2>/dev/null
        kill "$slapd_pid" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$slapd_pid" 2>/dev/null || break; sleep 0.05; done
    fi
    rm -rf "$work"
}
trap cleanup EXIT
chmod 0755 "$work"
suffix=dc=example,dc=com
admin_dn=cn=admin,$suffix
pam_dn=cn=pam_totp,ou=services,$suffix
enroll_dn=cn=pam_enroll,ou=services,$suffix

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
is() { if [ "$1" = "$2" ]; then ok; else bad "$3: got '$1', wanted '$2'"; fi; }
has() { case "$1" in *"$2"*) ok ;; *) bad "$3: \"$2\" not in: $1" ;; esac; }

# ---- slapd --------------------------------------------------------------------------------
mkdir -p "$work/db" "$work/services"
{
    for s in core cosine nis inetorgperson; do echo "include /etc/ldap/schema/$s.schema"; done
    echo "include $(cd "$srcdir" && pwd)/examples/ldap/pam_totp.schema"
    cat <<EOF
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload otp
pidfile $work/slapd.pid
database mdb
maxsize 104857600
suffix "$suffix"
rootdn "$admin_dn"
rootpw admin-secret
directory $work/db
overlay otp
EOF
    # Enrollment at login and the lost-phone replacement (docs/LDAP.md), granted to the hosts'
    # account for the two users who enroll at login below only.
    echo "access to dn.regex=\"^(.+,)?uid=(ella|rhea),ou=people,$suffix\$\" attrs=children,entry,objectClass,cn,oathSecret,oathTOTPParams,oathTOTPLastTimeStep,oathTOTPToken,pamTotpScratchHash"
    echo "    by dn.exact=\"$pam_dn\" write"
    echo "    by * break"
    # A hosts' account with docs/LDAP.md's grant for enrollment at login (and what the example
    # gives the PAM account on allowances); "break" leaves everyone else to the example's rules.
    cat <<EOF
access to dn.subtree="ou=people,$suffix" attrs=children,entry,objectClass,cn,oathSecret,oathTOTPParams,oathTOTPLastTimeStep,oathTOTPToken,pamTotpScratchHash
    by dn.exact="$enroll_dn" =rscda
    by * break
access to dn.base="$suffix" attrs=children
    by dn.exact="$enroll_dn" =rscda
    by * break
access to attrs=pamTotpEnrollUntil
    by dn.exact="$enroll_dn" =rscdz
    by * break
EOF
    cat "$srcdir/examples/ldap/slapd-acl.conf"
} >"$work/slapd.conf"

start_slapd() {
    local i
    for i in $(seq 20); do
        port=$((20000 + RANDOM % 30000))
        uri=ldap://127.0.0.1:$port
        "$slapd" -f "$work/slapd.conf" -h "$uri/" -n pam_totp-test 2>"$work/slapd.err" || continue
        for _ in $(seq 200); do
            ldapsearch -x -H "$uri" -b "" -s base >/dev/null 2>&1 && break
            sleep 0.05 # waiting for a server to listen, not for a time step
        done
        slapd_pid=$(cat "$work/slapd.pid" 2>/dev/null)
        ldapsearch -x -H "$uri" -b "" -s base >/dev/null 2>&1 && return 0
    done
    echo "FAIL: slapd did not start: $(cat "$work/slapd.err")"
    exit 1
}
start_slapd
A() { "$@" -x -H "$uri" -D "$admin_dn" -w admin-secret; } # as the administrator

. "$srcdir/tests/ldap/directory.sh"
load_directory alice bob carol dave erin frank gina '*' || { echo "FAIL: loading the directory"; exit 1; }

# ---- configurations: the hosts' (PAM binds as the service account) and the admin's ---------
umask 077
echo pam-secret >"$work/pam.pw"
echo admin-secret >"$work/admin.pw"
write_conf() { # write_conf FILE BIND_DN PWFILE [more lines]
    local f=$1 dn=$2 pw=$3
    shift 3
    printf '%s\n' "store = ldap" "ldap_uri = $uri" "ldap_base = $suffix" "ldap_bind_dn = $dn" \
        "ldap_bind_pw_file = $pw" "ldap_timeout = 2" "ldap_insecure_cleartext" "$@" >"$f"
    chmod 0600 "$f" # it names a password file
}
write_conf "$work/pam.conf" "$pam_dn" "$work/pam.pw"
write_conf "$work/admin.conf" "$admin_dn" "$work/admin.pw"
umask 022
service() { # service NAME ARGS...: a PAM service with pam_totp.so and these arguments
    local name=$1
    shift
    echo "auth required $module $*" >"$work/services/$name-svc"
}
echo "auth required $module conf=$work/pam.conf" >"$work/services/login"
printf '%s\n' "auth required $module conf=$work/pam.conf nullok" "auth required pam_permit.so" \
    >"$work/services/nullok" # nullok answers PAM_IGNORE; the next module decides
echo "auth required pam_deny.so" >"$work/services/other"
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
. "$srcdir/tests/tools/pamwrap-login.sh"
pamwrap_exclusive
login() { pamwrap_login "$work/services" "$@"; } # login SERVICE USER ANSWER: prints the result
T() { LD_PRELOAD=${LD_PRELOAD:-}$pamwrap_shim "$totpctl" --conf "$work/admin.conf" "$@"; }
attr() { # attr DN ATTRIBUTE: its value (base64 values decoded), as the administrator
    A ldapsearch -LLL -o ldif-wrap=no -b "$1" -s base "(objectClass=*)" "$2" 2>/dev/null |
        sed -n "s/^$2: //p; s/^$2:: //p" | head -n 1
}
now() { date +%s; }
step_now() { echo $(($(now) / 30)); }
code_at_step() { "$tools/totp-code" "$1" $(($2 * 30 + 15)); }

# ---- enrollment ---------------------------------------------------------------------------
out=$(T enroll -u alice --no-confirm --json --window 21 2>"$work/err")
is "$?" 0 "enroll alice: $(cat "$work/err")"
alice_secret=$(printf '%s' "$out" | jq -r .secret)
token=cn=totp,uid=alice,ou=people,$suffix
is "$(printf '%s' "$out" | jq -r '.scratch_codes | length')" 5 "five scratch codes, as for files"
has "$(printf '%s' "$out" | jq -r .path)" "$uri/uid=alice,ou=people" "enroll names the user entry"
is "$(attr "uid=alice,ou=people,$suffix" oathTOTPToken)" "$token" "alice links to her token"
has "$(A ldapsearch -LLL -b "uid=alice,ou=people,$suffix" -s base objectClass)" "oathTOTPUser" \
    "alice is an oathTOTPUser"
params=$(attr "$token" oathTOTPParams)
is "$params" "cn=totp-SHA1-6-30s-w10,$suffix" "the shared parameters entry"
is "$(attr "$params" oathTOTPTimeStepWindow)" 10 "--window 21 is +-10 steps"
is "$(attr "$params" oathHMACAlgorithm)" 1.2.840.113549.2.7 "SHA-1 as its OID"
secret_b64=$(A ldapsearch -LLL -o ldif-wrap=no -b "$token" -s base "(objectClass=*)" oathSecret |
    sed -n 's/^oathSecret:: //p')
is "$(printf '%s' "$secret_b64" | base64 -d | base64 -w0)" "$(printf '%s' "$secret_b64")" \
    "oathSecret holds raw bytes"
is "$(printf '%s' "$secret_b64" | base64 -d | wc -c)" 20 "a 20-byte SHA-1 secret"
T enroll -u alice --no-confirm >/dev/null 2>"$work/err"
is "$?" 1 "enrolling alice twice"
has "$(cat "$work/err")" "already enrolled" "second enrollment refused"
A ldapadd >/dev/null <<EOF || bad "adding ursula"
dn: uid=ursula,ou=people,$suffix
objectClass: inetOrgPerson
uid: ursula
cn: ursula
sn: ursula
EOF
out=$(T enroll -u ursula --no-confirm --scratch-codes 3 --json 2>"$work/err")
is "$?" 0 "enroll --scratch-codes 3 with LDAP: $(cat "$work/err")"
mapfile -t usc < <(printf '%s' "$out" | jq -r '.scratch_codes[]')
is "${#usc[@]}" 3 "three scratch codes printed"
is "$(A ldapsearch -LLL -b "cn=totp,uid=ursula,ou=people,$suffix" -s base pamTotpScratchHash | grep -c '^pamTotpScratchHash')" 3 \
    "kept as three hashes on the token"
is "$(login login ursula "${usc[0]}")" "login accepted" "an enrollment's scratch code logs in"
is "$(login login ursula "${usc[0]}")" "Authentication failure" "once"
out=$(T enroll -u ursula --no-confirm --force --scratch-codes 0 --json 2>"$work/err")
is "$?" 0 "enroll --force with no scratch codes: $(cat "$work/err")"
is "$(login login ursula "${usc[1]}")" "Authentication failure" "the old secret's scratch codes go with it"
T remove -u ursula >/dev/null 2>"$work/err" || bad "removing ursula: $(cat "$work/err")"
T enroll -u nobody-here --no-confirm >/dev/null 2>"$work/err"
is "$?" 1 "enrolling a user the directory lacks"
has "$(cat "$work/err")" "no entry under $suffix matches (uid=nobody-here)" "missing user named"

# Confirmation on a terminal, as a person with the app would answer it.
"$tools/pty-enroll" --wrong "$totpctl" --conf "$work/admin.conf" enroll -u dave --qr none \
    >"$work/pty.out" 2>&1
is "$?" 1 "dave's enrollment with wrong codes"
is "$(attr "uid=dave,ou=people,$suffix" oathTOTPToken)" "" "wrong codes write nothing"
"$tools/pty-enroll" "$totpctl" --conf "$work/admin.conf" enroll -u dave --qr utf8 >"$work/pty.out" 2>&1
is "$?" 0 "dave enrolls, confirming with a code: $(tail -n 2 "$work/pty.out")"
dave_secret=$(sed -n 's/^secret: //p' "$work/pty.out" | tr -d '\r')
dave_step=$(attr "cn=totp,uid=dave,ou=people,$suffix" oathTOTPLastTimeStep)
[ -n "$dave_step" ] && [ $((dave_step - $(step_now))) -le 1 ] && [ $(($(step_now) - dave_step)) -le 1 ] &&
    ok || bad "the confirming code's step is the first watermark: '$dave_step'"
is "$(login login dave "$(code_at_step "$dave_secret" "$dave_step")")" "Authentication failure" \
    "the confirming code cannot log in"
T remove -u dave >/dev/null || bad "removing dave again"

# ---- PAM logins ---------------------------------------------------------------------------
s0=$(step_now)
code=$(code_at_step "$alice_secret" "$s0")
is "$(login login alice "$code")" "login accepted" "alice logs in with the current code"
is "$(attr "$token" oathTOTPLastTimeStep)" "$s0" "the watermark is the code's step"
is "$(login login alice "$code")" "Authentication failure" "the same code again (replay)"
is "$(login login alice 000000)" "Authentication failure" "a wrong code"
is "$(attr "$token" oathTOTPLastTimeStep)" "$s0" "a failure leaves the watermark"
mark=$(pamwrap_log_mark)
is "$(login login dave "$code")" "Authentication failure" "dave has no token"
has "$(pamwrap_log_since 0 | tail -n 1)" "result=denied user=dave service=login rhost=- reason=\"no record: $uri/uid=dave,ou=people,$suffix: no oathTOTPToken or oathHOTPToken\"" \
    "the log says where it looked and why"
is "$(login nullok dave "")" "login accepted" "nullok lets an unenrolled user through"
has "$(pamwrap_log_since 0 | tail -n 1)" "result=ignored user=dave service=nullok rhost=- reason=\"no record (nullok): $uri/uid=dave,ou=people,$suffix: no oathTOTPToken or oathHOTPToken\"" \
    "and so does the nullok line"
is "$(login login '*' "$code")" "Authentication failure" "user '*' matches nobody (escaped)"
has "$(pamwrap_log_since 0 | tail -n 1)" "reason=\"no record: $uri: no entry under $suffix matches (uid=\\\\2a)\"" \
    "a name no entry matches: the URI, base and filter"
# A name the directory does not know is no record, as an unenrolled user: the same to an
# outsider, so nullok lets both through alike (pam_totp(8), nullok).
is "$(login nullok nobody-here "")" "login accepted" "nullok: a name no entry matches"
has "$(pamwrap_log_since 0 | tail -n 1)" "result=ignored user=nobody-here service=nullok rhost=- reason=\"no record (nullok): $uri: no entry under $suffix matches (uid=nobody-here)\"" \
    "logged as no record, with where it looked"

# ---- one watermark with slapo-otp (password followed by the code, in a simple bind) --------
c1=$(code_at_step "$alice_secret" $((s0 + 1)))
is "$(login login alice "$c1")" "login accepted" "PAM takes step +1"
ldapwhoami -x -H "$uri" -D "uid=alice,ou=people,$suffix" -w "alice-password$c1" >/dev/null 2>&1
is "$?" 49 "slapo-otp refuses the code PAM used"
c2=$(code_at_step "$alice_secret" $((s0 + 2)))
ldapwhoami -x -H "$uri" -D "uid=alice,ou=people,$suffix" -w "alice-password$c2" >/dev/null 2>&1
is "$?" 0 "slapo-otp takes step +2"
is "$(attr "$token" oathTOTPLastTimeStep)" "$((s0 + 2))" "slapo-otp moved the same watermark"
is "$(login login alice "$c2")" "Authentication failure" "PAM refuses the code slapo-otp used"
c3=$(code_at_step "$alice_secret" $((s0 + 3)))
is "$(login login alice "$c3")" "login accepted" "PAM after slapo-otp: step +3"

# ---- the compare-and-swap itself: a login that read the watermark before another one moved it
# loses at its commit, though its code was right when it looked (no timing luck needed).
code=$(code_at_step "$alice_secret" $((s0 + 4)))
mkfifo "$work/go"
"$tools/ldap-txn" "$work/pam.conf" alice "$code" <"$work/go" >"$work/txn.out" 2>&1 &
txn=$!
exec 7>"$work/go"
for _ in $(seq 200); do grep -q . "$work/txn.out" && break; sleep 0.05; done # until it has read
is "$(head -n 1 "$work/txn.out")" begun "the slow login read the token"
is "$(login login alice "$code")" "login accepted" "a fast login with the same code"
echo go >&7
exec 7>&-
wait "$txn"
is "$?" 1 "the slow login is refused at its commit"
has "$(cat "$work/txn.out")" "oathTOTPLastTimeStep changed meanwhile" "and says why"
is "$(attr "$token" oathTOTPLastTimeStep)" "$((s0 + 4))" "the watermark is the fast login's"

# ---- the guessing bound under parallel logins: a success commits only if no failure was
# counted since it read the token, so logins judged alongside each other get one guess between
# them, not one each. A paused login with the RIGHT code; a wrong code commits meanwhile.
out=$(T enroll -u gina --no-confirm --json --window 21 2>"$work/err")
is "$?" 0 "enroll gina: $(cat "$work/err")"
gina_secret=$(printf '%s' "$out" | jq -r .secret)
gina_token=cn=totp,uid=gina,ou=people,$suffix
g0=$(step_now)
paused_login() { # paused_login CODE WHAT: a login that reads, then a wrong code commits, then it resumes
    "$tools/ldap-txn" "$work/pam.conf" gina "$1" <"$work/go" >"$work/txn.out" 2>&1 &
    txn=$!
    exec 7>"$work/go"
    for _ in $(seq 200); do grep -q . "$work/txn.out" && break; sleep 0.05; done # until it has read
    is "$(head -n 1 "$work/txn.out")" begun "$2: the login with the right code read the token"
    is "$(login login gina 000000)" "Authentication failure" "$2: a wrong code meanwhile"
    echo go >&7
    exec 7>&-
    wait "$txn"
    is "$?" 1 "$2: the right code is refused at its commit"
    has "$(cat "$work/txn.out")" "a failure was counted in oathFailureCount" "$2: and says why"
}
paused_login "$(code_at_step "$gina_secret" "$g0")" "no count read"
is "$(attr "$gina_token" oathTOTPLastTimeStep)" "" "no count read: no watermark moved"
is "$(attr "$gina_token" oathFailureCount)" 1 "no count read: the failure stays counted"
paused_login "$(code_at_step "$gina_secret" "$g0")" "count 1 read"
is "$(attr "$gina_token" oathTOTPLastTimeStep)" "" "count 1 read: no watermark moved"
is "$(attr "$gina_token" oathFailureCount)" 2 "count 1 read: both failures counted"
is "$(login login gina "$(code_at_step "$gina_secret" "$g0")")" "login accepted" \
    "the same code with nothing in between: accepted"
is "$(attr "$gina_token" oathFailureCount)" 0 "the success set the count to 0"
is "$(attr "$gina_token" oathTOTPLastTimeStep)" "$g0" "and moved the watermark"

# A failure state that cannot be read fails closed (it would otherwise lift the throttle).
set_failures() { # set_failures COUNT TIME ("" deletes it)
    {
        printf 'dn: %s\nchangetype: modify\n' "$gina_token"
        if [ -n "$1" ]; then printf 'replace: oathFailureCount\noathFailureCount: %s\n-\n' "$1"
        else printf 'replace: oathFailureCount\n-\n'; fi
        if [ -n "$2" ]; then printf 'replace: oathLastFailure\noathLastFailure: %s\n' "$2"
        else printf 'replace: oathLastFailure\n'; fi
    } | A ldapmodify >/dev/null || bad "setting gina's failure state to '$1' '$2'"
}
stamp=$(date -u +%Y%m%d%H%M%SZ)
for state in "99999999999 $stamp:oversized count" "5 $(date -u +%Y%m%d%H)Z:time without seconds" \
    "5 :count without time"; do
    set -- ${state%%:*}
    what=${state#*:}
    set_failures "$1" "${2:-}"
    is "$(login login gina "$(code_at_step "$gina_secret" $((g0 + 1)))")" \
        "Authentication service cannot retrieve authentication info" "$what: the right code fails closed"
    "$totpctl" --conf "$work/pam.conf" status -u gina >/dev/null 2>"$work/err"
    has "$(cat "$work/err")" "$gina_token: oath" "$what: status names the token"
    is "$(attr "$gina_token" oathTOTPLastTimeStep)" "$g0" "$what: no watermark moved"
done
set_failures "" ""
is "$(login login gina "$(code_at_step "$gina_secret" $((g0 + 1)))")" "login accepted" \
    "the failure state deleted: the right code again"
T remove -u gina >/dev/null || bad "removing gina"

# ---- an HOTP token another tool made: one counter with slapo-otp --------------------------
# RFC 4226's key and codes (counter 0 to 9).
rfc4226=(755224 287082 359152 969429 338314 254676 287922 162583 399871 520489)
A ldapadd >/dev/null <<EOF
dn: cn=hotp-params,$suffix
objectClass: applicationProcess
objectClass: oathHOTPParams
cn: hotp-params
oathOTPLength: 6
oathHMACAlgorithm: 1.2.840.113549.2.7
oathHOTPLookAhead: 3

dn: cn=hotp,uid=frank,ou=people,$suffix
objectClass: device
objectClass: oathHOTPToken
cn: hotp
oathSecret:: $(printf '12345678901234567890' | base64)
oathHOTPParams: cn=hotp-params,$suffix
EOF
A ldapmodify >/dev/null <<EOF
dn: uid=frank,ou=people,$suffix
changetype: modify
add: objectClass
objectClass: oathHOTPUser
-
add: oathHOTPToken
oathHOTPToken: cn=hotp,uid=frank,ou=people,$suffix
EOF
hotp_token=cn=hotp,uid=frank,ou=people,$suffix
frank_bind() { ldapwhoami -x -H "$uri" -D "uid=frank,ou=people,$suffix" -w "frank-password$1" >/dev/null 2>&1; }
is "$(login login frank "${rfc4226[0]}")" "Authentication failure" \
    "HOTP: counter 0 of a token never used is taken as used"
is "$(attr "$hotp_token" oathHOTPCounter)" "" "a refused code moves no counter"
is "$(login login frank "${rfc4226[1]}")" "login accepted" "HOTP: counter 1"
is "$(attr "$hotp_token" oathHOTPCounter)" 1 "oathHOTPCounter is the counter used"
is "$(login login frank "${rfc4226[1]}")" "Authentication failure" "HOTP: counter 1 again"
frank_bind "${rfc4226[2]}"
is "$?" 0 "slapo-otp takes counter 2"
is "$(login login frank "${rfc4226[2]}")" "Authentication failure" "PAM refuses the counter slapo-otp used"
is "$(login login frank "${rfc4226[4]}")" "login accepted" "HOTP: counter 4, within the look-ahead"
frank_bind "${rfc4226[3]}"
is "$?" 49 "slapo-otp refuses counter 3, below the one PAM used"
is "$(login login frank 000000)" "Authentication failure" "HOTP: a wrong code"
is "$(attr "$hotp_token" oathHOTPCounter)" 4 "a wrong code burns no counter (anyone could send one)"
is "$(login login frank "${rfc4226[9]}")" "Authentication failure" "HOTP: counter 9, beyond the look-ahead"
for i in $(seq 20); do login login frank "${rfc4226[5]}" >"$work/race.$i" & done
wait
is "$(cat "$work"/race.* | grep -c "login accepted")" 1 "HOTP: 20 logins with counter 5, one accepted"
rm -f "$work"/race.*
out=$(T status -u frank --json)
is "$(printf '%s' "$out" | jq -r '.type + " " + (.next_counter | tostring)')" "hotp 6" \
    "status: an HOTP token and its next counter"

# ---- many hosts, one code: exactly one accept ---------------------------------------------
out=$(T enroll -u bob --no-confirm --json 2>"$work/err")
is "$?" 0 "enroll bob: $(cat "$work/err")"
bob_secret=$(printf '%s' "$out" | jq -r .secret)
is "$(attr "cn=totp,uid=bob,ou=people,$suffix" oathTOTPParams)" "cn=totp-SHA1-6-30s-w1,$suffix" \
    "the site window (3) is +-1 step"
# What matters is one accept and 39 denials. Why each loser was denied (a replay, or a timeout
# on a loaded machine, failing closed) is not: only its result line is counted, whatever it
# says. A roomier timeout keeps the one winner from timing out when 40 logins share 2 cores.
write_conf "$work/racing.conf" "$pam_dn" "$work/pam.pw" "ldap_timeout = 30"
echo "auth required $module conf=$work/racing.conf" >"$work/services/race"
for round in 1 2 3; do
    code=$(code_at_step "$bob_secret" $(($(step_now) + round - 2)))
    for i in $(seq 40); do (login race bob "$code"; echo "exit $?") >"$work/race.$i" & done
    wait
    # pam-login exits 0 only for PAM_SUCCESS: one did, with its result line; 39 exited 1 (a
    # denial, whatever the reason); none died of a signal.
    is "$(cat "$work"/race.* | grep -c "^exit 0$")" 1 "race $round: 40 logins with one code"
    is "$(cat "$work"/race.* | grep -c "^login accepted$")" 1 "race $round: the accept says so"
    is "$(cat "$work"/race.* | grep -c "^exit 1$")" 39 "race $round: the rest denied"
    rm -f "$work"/race.*
    # The 39 replays were failures, shared by every host: the throttle would refuse the next
    # round's right code. Lift it as an administrator would.
    T -u bob reset-failures >/dev/null
    is "$(attr "cn=totp,uid=bob,ou=people,$suffix" oathFailureCount)" "" "race $round: failures lifted"
done

# ---- broken entries: fail closed, name the entry -------------------------------------------
link_token() { # link_token USER TOKEN_DN: as another tool would enroll USER
    A ldapmodify >/dev/null <<EOF
dn: uid=$1,ou=people,$suffix
changetype: modify
add: objectClass
objectClass: oathTOTPUser
-
add: oathTOTPToken
oathTOTPToken: $2
EOF
}
A ldapadd >/dev/null <<EOF
dn: cn=totp,uid=carol,ou=people,$suffix
objectClass: device
objectClass: oathTOTPToken
cn: totp
oathSecret:: $(printf 'short' | base64)
oathTOTPParams: $params
EOF
link_token carol "cn=totp,uid=carol,ou=people,$suffix"
is "$(login nullok carol 123456)" "Authentication service cannot retrieve authentication info" \
    "a 5-byte secret: unavailable, even with nullok"
T status -u carol >/dev/null 2>"$work/err"
has "$(cat "$work/err")" "cn=totp,uid=carol,ou=people,$suffix: oathSecret is 5 bytes" \
    "the error names the entry and the reason"
link_token erin "cn=gone,ou=people,$suffix"
is "$(login nullok erin 123456)" "Authentication service cannot retrieve authentication info" \
    "a token DN that does not exist"

# Broken enrollments can still be removed or replaced by the administrator.
out=$(T remove -u erin 2>&1)
is "$?" 0 "remove erin, whose token does not exist: $out"
is "$(attr "uid=erin,ou=people,$suffix" oathTOTPToken)" "" "erin is unlinked"
out=$(T enroll -u carol --force --no-confirm --json 2>"$work/err")
is "$?" 0 "enroll --force over carol's broken token: $(cat "$work/err")"
carol_secret=$(printf '%s' "$out" | jq -r .secret)
is "$(login login carol "$(code_at_step "$carol_secret" "$(step_now)")")" "login accepted" \
    "carol logs in with the new token"

# ---- the example ACLs: the PAM account reads secrets and moves the watermark, nothing else --
P() { "$@" -x -H "$uri" -D "$pam_dn" -w pam-secret; }
P ldapmodify >/dev/null 2>&1 <<EOF
dn: $token
changetype: modify
replace: oathSecret
oathSecret: AAAAAAAAAAAAAAAAAAAA
EOF
is "$?" 50 "the PAM account cannot change a secret"
P ldapmodify >/dev/null 2>&1 <<EOF
dn: uid=alice,ou=people,$suffix
changetype: modify
replace: oathTOTPToken
oathTOTPToken: cn=totp,uid=bob,ou=people,$suffix
EOF
is "$?" 50 "the PAM account cannot relink a user"
is "$(P ldapsearch -LLL -b "uid=bob,ou=people,$suffix" -s base userPassword | grep -c userPassword)" 0 \
    "the PAM account cannot read passwords"
is "$(ldapsearch -x -LLL -H "$uri" -b "$token" -s base oathSecret | grep -c oathSecret)" 0 \
    "anonymous cannot read secrets"

# ---- configuration errors -----------------------------------------------------------------
write_conf "$work/ratelimit.conf" "$pam_dn" "$work/pam.pw" "rate_limit = 3/30"
service rl "conf=$work/ratelimit.conf"
is "$(login rl-svc alice 123456)" "Error in service module" "rate_limit with store=ldap is refused"
chmod 0644 "$work/pam.conf"
is "$(login login alice 123456)" "Error in service module" "a site file naming a password, readable by others"
"$totpctl" --conf "$work/pam.conf" status -u alice >/dev/null 2>"$work/err"
has "$(cat "$work/err")" "pam.conf: names ldap_bind_pw_file, so others must not read it (mode 0644" \
    "the site file's mode is named"
chmod 0600 "$work/pam.conf"
chmod 0644 "$work/pam.pw"
is "$(login login alice 123456)" "Authentication service cannot retrieve authentication info" \
    "a password file others can read"
"$totpctl" --conf "$work/pam.conf" status -u alice >/dev/null 2>"$work/err"
has "$(cat "$work/err")" "pam.pw: mode 0644 lets others read it" "the password file's mode is named"
chmod 0600 "$work/pam.pw"
write_conf "$work/wrongpw.conf" "$pam_dn" "$work/admin.pw"
service wrongpw "conf=$work/wrongpw.conf"
is "$(login wrongpw-svc alice 123456)" "Authentication service cannot retrieve authentication info" \
    "a wrong bind password"

# ---- totpctl: show, status, list, remove --------------------------------------------------
out=$(T show -u alice --qr none 2>&1)
has "$out" "secret=$alice_secret" "show gives alice's otpauth URI"
out=$(T status -u alice --json)
is "$(printf '%s' "$out" | jq -r .last_step)" "$((s0 + 4))" "status: the watermark"
is "$(printf '%s' "$out" | jq -r .enrolled)" true "status: enrolled"
out=$(T status -u alice)
has "$out" "last code used: step $((s0 + 4))" "status text"
is "$(T list | tr '\n' ' ')" "alice bob carol frank " "list: users linked to a token"
out=$(T remove -u frank 2>&1)
is "$?" 0 "remove frank's HOTP token: $out"
is "$(attr "uid=frank,ou=people,$suffix" oathHOTPToken)" "" "frank is unlinked"
out=$(T remove -u bob 2>&1)
is "$?" 0 "remove bob: $out"
is "$(attr "uid=bob,ou=people,$suffix" oathTOTPToken)" "" "bob is unlinked"
A ldapsearch -b "cn=totp,uid=bob,ou=people,$suffix" -s base >/dev/null 2>&1
is "$?" 32 "bob's token entry is gone"
is "$(login login bob "$(code_at_step "$bob_secret" "$(step_now)")")" "Authentication failure" \
    "bob is no longer enrolled"
is "$(attr "$params" cn)" "totp-SHA1-6-30s-w10" "the shared parameters stay"
out=$(T enroll -u alice --force --no-confirm --json 2>"$work/err")
is "$?" 0 "enroll --force replaces alice's token: $(cat "$work/err")"
new_secret=$(printf '%s' "$out" | jq -r .secret)
[ "$new_secret" != "$alice_secret" ] && ok || bad "--force made a new secret"
is "$(attr "uid=alice,ou=people,$suffix" oathTOTPToken)" "$token" "the same token entry, changed in place"
is "$(attr "$token" oathTOTPParams)" "cn=totp-SHA1-6-30s-w1,$suffix" "with the new parameters"
is "$(login login alice "$(code_at_step "$new_secret" "$(step_now)")")" "login accepted" \
    "the new secret logs in"
is "$(login login alice "$(code_at_step "$alice_secret" $(($(step_now) + 1)))")" \
    "Authentication failure" "the old secret does not"

# import --force puts a google-authenticator file's secret on the token (root: the file is read
# as its owner, a user nss_wrapper provides).
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$work/home/alice"
    printf 'alice:x:65534:65534:Alice:%s:/bin/sh\n' "$work/home/alice" >"$work/passwd"
    echo "alice:x:65534:" >"$work/group"
    printf 'KRUGS4ZAMJSWK3TUMVZSA2LTEBSXG5DT\n" TOTP_AUTH\n' >"$work/home/alice/.google_authenticator"
    chown -R 65534:65534 "$work/home/alice"
    chmod 0600 "$work/home/alice/.google_authenticator"
    out=$(LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_DISABLE_DEEPBIND=1 NSS_WRAPPER_PASSWD=$work/passwd \
        NSS_WRAPPER_GROUP=$work/group \
        T -u alice import --force "$work/home/alice/.google_authenticator" 2>&1)
    is "$?" 0 "import --force over alice's token: $out"
    is "$(login login alice "$(code_at_step KRUGS4ZAMJSWK3TUMVZSA2LTEBSXG5DT $(($(step_now) + 1)))")" \
        "login accepted" "the imported secret logs in"
    is "$(login login alice "$(code_at_step "$new_secret" $(($(step_now) + 1)))")" \
        "Authentication failure" "the secret it replaced does not"
else
    echo "SKIP: import --force into LDAP needs root (it reads the file as its owner); CI runs it"
fi

# ---- scratch codes (examples/ldap/pam_totp.schema): hashed on the token, each usable once on
# every host, rotated by totpctl scratch; two "hosts" are two site files, two processes.
for u in sam rita; do
    A ldapadd >/dev/null <<EOF || bad "adding $u"
dn: uid=$u,ou=people,$suffix
objectClass: inetOrgPerson
uid: $u
cn: $u
sn: $u
EOF
done
cp "$work/pam.conf" "$work/host2.conf"
echo "auth required $module conf=$work/host2.conf" >"$work/services/host2"
out=$(T enroll -u sam --no-confirm --json 2>"$work/err")
is "$?" 0 "enroll sam: $(cat "$work/err")"
sam_token=cn=totp,uid=sam,ou=people,$suffix
out=$(T scratch -u sam --scratch-codes 4 --json 2>"$work/err")
is "$?" 0 "totpctl scratch in LDAP: $(cat "$work/err")"
mapfile -t sc < <(printf '%s' "$out" | jq -r '.scratch_codes[]')
is "${#sc[@]}" 4 "four new codes printed once"
hashes=$(A ldapsearch -LLL -o ldif-wrap=no -b "$sam_token" -s base "(objectClass=*)" \
    pamTotpScratchHash objectClass)
is "$(printf '%s\n' "$hashes" | grep -c '^pamTotpScratchHash: \$pbkdf2-sha256\$100000\$')" 4 \
    "kept as four PBKDF2 hashes"
has "$hashes" "objectClass: pamTotpScratchCodes" "the token has the auxiliary class"
case "$hashes" in *"${sc[0]}"*) bad "a plain scratch code in the directory" ;; *) ok ;; esac
is "$(T status -u sam --json | jq -r .scratch_codes_left)" 4 "status counts them"
is "$(ldapsearch -x -H "$uri" -LLL -b "$sam_token" -s base pamTotpScratchHash | grep -c Hash)" 0 \
    "others cannot read the hashes"
nhash() { A ldapsearch -LLL -b "$1" -s base pamTotpScratchHash | grep -c '^pamTotpScratchHash'; }
is "$(login login sam "${sc[0]}")" "login accepted" "a scratch code logs in on host 1"
is "$(login host2 sam "${sc[0]}")" "Authentication failure" "and is refused on host 2"
is "$(login login sam "${sc[0]}")" "Authentication failure" "and on host 1 again"
is "$(nhash "$sam_token")" 3 "its hash is gone, the others stay"
is "$(attr "$sam_token" oathFailureCount)" 2 "the refused ones counted as failures"
is "$(login host2 sam "${sc[1]}")" "login accepted" "another code on host 2"
is "$(attr "$sam_token" oathFailureCount)" 0 "which reset the failures"
is "$(T status -u sam --json | jq -r .scratch_codes_left)" 2 "two left"

# Two hosts read the token, both judge the same scratch code right, both commit: one accept.
race() { # race OUT1 OUT2 CMD1... -- CMD2...: both begin, then both commit; sets r1 r2
    local a=() b=() in_b=0 x
    for x in "${@:3}"; do
        if [ "$x" = -- ]; then in_b=1; elif [ $in_b = 0 ]; then a+=("$x"); else b+=("$x"); fi
    done
    rm -f "$work/go" "$work/go2"
    mkfifo "$work/go" "$work/go2"
    "${a[@]}" <"$work/go" >"$1" 2>&1 &
    local p1=$!
    "${b[@]}" <"$work/go2" >"$2" 2>&1 &
    local p2=$!
    exec 7>"$work/go" 8>"$work/go2"
    for _ in $(seq 200); do grep -q . "$1" && grep -q . "$2" && break; sleep 0.05; done
    is "$(head -n 1 "$1") $(head -n 1 "$2")" "begun begun" "both hosts read first"
    echo go >&7
    echo go >&8
    exec 7>&- 8>&-
    wait "$p1"
    r1=$?
    wait "$p2"
    r2=$?
}
race "$work/txn.out" "$work/txn2.out" "$tools/ldap-txn" "$work/pam.conf" sam "${sc[2]}" -- \
    "$tools/ldap-txn" "$work/host2.conf" sam "${sc[2]}"
is "$((r1 + r2))" 1 "one of two racing hosts accepts the scratch code: $(cat "$work/txn.out" "$work/txn2.out")"
has "$(cat "$work/txn.out" "$work/txn2.out")" "pamTotpScratchHash changed meanwhile" "the other says why"

out=$(T scratch -u sam --scratch-codes 2 --json 2>"$work/err")
is "$?" 0 "rotate: $(cat "$work/err")"
mapfile -t sc2 < <(printf '%s' "$out" | jq -r '.scratch_codes[]')
is "$(nhash "$sam_token")" 2 "the new set replaced the old"
is "$(login login sam "${sc[3]}")" "Authentication failure" "an old code is dead after rotation"
is "$(login host2 sam "${sc2[1]}")" "login accepted" "a new one works"
out=$(T scratch -u sam --scratch-codes 0 2>&1)
is "$?" 0 "rotate to none: $out"
is "$(nhash "$sam_token")" 0 "no hashes left"
is "$(login login sam "${sc2[0]}")" "Authentication failure" "and no code works"

# ---- enrollment is create-if-absent: two hosts enroll one user at once, one record --------
race "$work/txn.out" "$work/txn2.out" \
    "$tools/ldap-txn" --enroll "$work/admin.conf" rita GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ -- \
    "$tools/ldap-txn" --enroll "$work/admin.conf" rita JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
is "$((r1 + r2))" 1 "one of two racing enrollments commits: $(cat "$work/txn.out" "$work/txn2.out")"
has "$(cat "$work/txn.out" "$work/txn2.out")" "exists already" "the other finds the token there"
rita_token=cn=totp,uid=rita,ou=people,$suffix
winner=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
[ "$r1" = 0 ] || winner=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
is "$(login login rita "$(code_at_step "$winner" "$(step_now)")")" "login accepted" \
    "the winner's secret stands"
is "$(A ldapsearch -LLL -b "uid=rita,ou=people,$suffix" -s base oathTOTPToken | grep -c '^oathTOTPToken')" \
    1 "one link"
"$tools/ldap-txn" --enroll "$work/admin.conf" rita JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP \
    </dev/null >"$work/txn.out" 2>&1
is "$?" 1 "a later enrollment is refused"
has "$(cat "$work/txn.out")" "already has an oathTOTPToken" "at once"
# A token entry already there (another host's half-made enrollment) is not overwritten either.
A ldapadd >/dev/null <<EOF || bad "adding a stray token"
dn: uid=gina2,ou=people,$suffix
objectClass: inetOrgPerson
uid: gina2
cn: gina2
sn: gina2

dn: cn=totp,uid=gina2,ou=people,$suffix
objectClass: device
objectClass: oathTOTPToken
cn: totp
oathTOTPParams: $params
oathSecret: stray-secret-stray-secret
EOF
out=$(T enroll -u gina2 --no-confirm 2>&1)
[ "$?" != 0 ] && ok || bad "enroll over a stray token entry succeeded: $out"
has "$out" "exists already" "and says so"
is "$(attr "cn=totp,uid=gina2,ou=people,$suffix" oathSecret)" stray-secret-stray-secret \
    "the entry is not overwritten"

# ---- the enrollment allowance: pamTotpEnrollUntil on the user's entry -----------------------
is "$("$tools/ldap-txn" --allowance "$work/admin.conf" rita)" none "no allowance at first"
"$tools/ldap-txn" --allow "$work/admin.conf" rita 1893456000 >"$work/txn.out" 2>&1
is "$?" 0 "allow rita until 2030: $(cat "$work/txn.out")"
is "$(attr "uid=rita,ou=people,$suffix" pamTotpEnrollUntil)" 20300101000000Z "as a GeneralizedTime"
has "$(A ldapsearch -LLL -b "uid=rita,ou=people,$suffix" -s base objectClass)" pamTotpEnrollee \
    "with the auxiliary class"
is "$("$tools/ldap-txn" --allowance "$work/pam.conf" rita)" 1893456000 "the hosts read it back"
"$tools/ldap-txn" --allow "$work/admin.conf" rita 1000000000 >/dev/null 2>&1
is "$("$tools/ldap-txn" --allowance "$work/host2.conf" rita)" 1000000000 \
    "an expired one is read as it is (the caller judges it)"
"$tools/ldap-txn" --allow "$work/pam.conf" rita 1893456000 >"$work/txn.out" 2>&1
is "$?" 1 "the hosts' account cannot grant one (example ACLs)"
"$tools/ldap-txn" --allow "$work/admin.conf" rita 0 >"$work/txn.out" 2>&1
is "$?" 0 "revoke: $(cat "$work/txn.out")"
is "$("$tools/ldap-txn" --allowance "$work/admin.conf" rita)" none "revoked"
case "$(A ldapsearch -LLL -b "uid=rita,ou=people,$suffix" -s base objectClass)" in
*pamTotpEnrollee*) bad "the class stays after a revoke" ;;
*) ok ;;
esac
is "$("$tools/ldap-txn" --allowance "$work/admin.conf" nobody-here)" none \
    "an unknown user has none"
"$tools/ldap-txn" --allow "$work/admin.conf" nobody-here 1893456000 >"$work/txn.out" 2>&1
is "$?" 1 "nor can get one"

# ---- enrollment at login (enroll_at_login): into the directory, with the hosts' account ----
# Allowed by an allowance (these users are the directory's alone: no group to be in). Then a
# later code; a scratch code once across two hosts; a lost phone replaced through another one;
# two hosts enrolling one user at once: one record.
for u in ella rhea; do
    A ldapadd >/dev/null <<EOF || bad "adding $u"
dn: uid=$u,ou=people,$suffix
objectClass: inetOrgPerson
uid: $u
cn: $u
sn: $u
EOF
    "$tools/ldap-txn" --allow "$work/admin.conf" "$u" $(($(now) + 3600)) >/dev/null 2>&1 || bad "allow $u"
done
echo "auth required $module conf=$work/pam.conf enroll_at_login enroll_replace_with_scratch" >"$work/services/enroll"
echo "auth required $module conf=$work/host2.conf enroll_at_login enroll_replace_with_scratch" >"$work/services/enroll2"
mark=$(pamwrap_log_mark) # the module's lines, through the tests' syslog shim (make check)
is "$(login enroll ella "enroll:$work/ella")" "login accepted" "ella enrolls at login into the directory"
ella_secret=$(head -n 1 "$work/ella")
mapfile -t esc < <(tail -n +2 "$work/ella")
is "${#esc[@]}" 5 "five scratch codes shown"
ella_token=cn=totp,uid=ella,ou=people,$suffix
is "$(T status -u ella --json | jq -r .enrolled)" true "the token is in the directory"
is "$(nhash "$ella_token")" 5 "with five scratch hashes"
# The example ACL lets the PAM account delete an allowance: the enrollment spent it.
is "$("$tools/ldap-txn" --allowance "$work/admin.conf" ella)" none "ella's allowance is used up"
audit=$(pamwrap_log_since "$mark" | grep "action=enroll " | grep " user=ella ")
has "$audit" "result=ok" "audit line: ok"
has "$audit" "store=ldap" "audit line: the directory"
has "$audit" "how=login" "audit line: at login"
case "$(pamwrap_log_since "$mark")" in *"${ella_secret:-none}"* | *"${esc[0]:-none}"*) bad "a secret or scratch code in the log" ;; *) ok ;; esac
is "$(login enroll2 ella "$(code_at_step "$ella_secret" $(($(step_now) + 1)))")" "login accepted" \
    "ella logs in again on host 2 with a later code"
is "$(login enroll ella "enroll:$work/ella-again")" "Authentication failure" \
    "an existing record is never replaced: a code is asked for"
[ -s "$work/ella-again" ] && bad "enrollment offered over ella's record" || ok
# A directory scratch code: once across two hosts.
is "$(login login ella "${esc[0]:-}")" "login accepted" "ella's scratch code on host 1"
is "$(login host2 ella "${esc[0]:-}")" "Authentication failure" "is refused on host 2"
# A lost phone: a scratch code on host 2, then the new app's code; the record stays.
mark=$(pamwrap_log_mark)
is "$(login enroll2 ella "enroll:$work/ella-new:${esc[1]:-}")" "login accepted" \
    "a scratch code lets ella replace her lost phone"
new_ella=$(head -n 1 "$work/ella-new" 2>/dev/null)
[ -n "$new_ella" ] && [ "$new_ella" != "$ella_secret" ] && ok || bad "no new secret shown"
has "$(pamwrap_log_since "$mark" | grep "action=replace ")" "result=ok user=ella store=ldap" "audit line of the replacement"
is "$(nhash "$ella_token")" 5 "five new scratch hashes"
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
wait "$r1pid" "$r2pid"
is "$(cat "$work/rhea1.out" "$work/rhea2.out" | grep -c "login accepted")" 1 \
    "two hosts enrolling rhea at once: one login enrolls"
is "$(A ldapsearch -LLL -b "uid=rhea,ou=people,$suffix" -s base oathTOTPToken | grep -c '^oathTOTPToken')" \
    1 "one token"
winner=$work/rhea1
grep -q accepted "$work/rhea1.out" || winner=$work/rhea2
is "$(login login rhea "$(code_at_step "$(head -n 1 "$winner")" $(($(step_now) + 1)))")" "login accepted" \
    "the winner's secret stands"

# ---- enrollment at login spends the allowance it used (pam_totp(8): "an allowance is used up");
# a removal afterwards must not reopen enrollment to whoever holds the first factor.
A ldapadd >/dev/null <<EOF || bad "adding the enrolling hosts' account and tess"
dn: $enroll_dn
objectClass: applicationProcess
objectClass: simpleSecurityObject
cn: pam_enroll
userPassword: pam-secret

dn: uid=tess,ou=people,$suffix
objectClass: inetOrgPerson
uid: tess
cn: tess
sn: tess
EOF
write_conf "$work/enroll.conf" "$enroll_dn" "$work/pam.pw"
echo "auth required $module conf=$work/enroll.conf enroll_at_login" >"$work/services/enroll-svc"
"$tools/ldap-txn" --allow "$work/admin.conf" tess $(($(now) + 7 * 86400)) >"$work/txn.out" 2>&1 ||
    bad "allow tess: $(cat "$work/txn.out")"
is "$(login enroll-svc tess "enroll:$work/tess")" "login accepted" "tess enrolls at login with her allowance"
has "$(attr "uid=tess,ou=people,$suffix" oathTOTPToken)" "cn=totp,uid=tess" "into LDAP"
is "$("$tools/ldap-txn" --allowance "$work/admin.conf" tess)" none \
    "the enrollment used the allowance up"
T remove -u tess >/dev/null 2>"$work/err" || bad "removing tess: $(cat "$work/err")"
is "$(login enroll-svc tess "enroll:$work/tess-again")" "Authentication failure" \
    "after a removal, the first factor alone does not enroll tess again"

# ---- the directory down or hanging: denied, within the timeout -----------------------------
code=$(code_at_step "$new_secret" $(($(step_now) + 1)))
kill -STOP "$slapd_pid"
t0=$(date +%s%N)
is "$(login login alice "$code")" "Authentication service cannot retrieve authentication info" \
    "a hanging directory"
elapsed=$((($(date +%s%N) - t0) / 1000000))
[ "$elapsed" -lt 8000 ] && ok || bad "a hanging directory took ${elapsed} ms (ldap_timeout = 2)"
kill -CONT "$slapd_pid"
kill "$slapd_pid"
for _ in $(seq 200); do kill -0 "$slapd_pid" 2>/dev/null || break; sleep 0.05; done
slapd_pid=
is "$(login login alice "$code")" "Authentication service cannot retrieve authentication info" \
    "the directory is down"
"$totpctl" --conf "$work/pam.conf" status -u alice >/dev/null 2>"$work/err"
has "$(cat "$work/err")" "$uri" "the error names the directory"

echo "ldap_store: $passed passed, $failed failed"
[ "$failed" = 0 ]
