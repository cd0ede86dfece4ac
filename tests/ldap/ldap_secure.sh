#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# ldap_secure.sh: the LDAP store's safety against a real slapd serving TLS with a certificate from
# a throwaway CA that the host does not trust: the certificate always verified (a weak ldap.conf
# given with LDAPCONF, URIs in capitals, TLS in second place), clear text refused, a search base
# that does not exist or a referral is an error and not "not enrolled", DNs compared as DNs by
# remove, failover past a server that accepts and never answers, and the failure count on the
# token shared by two hosts. Runs as root or not; everything it starts is stopped at the end.
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
for tool in jq openssl python3; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool not found"; exit 1; }
done

work=$(mktemp -d /tmp/ldap-secure-test.XXXXXX)
slapd_pid=
hung_pid=
drip_pid=
cleanup() {
    [ -n "$hung_pid" ] && kill "$hung_pid" 2>/dev/null
    [ -n "$drip_pid" ] && kill "$drip_pid" 2>/dev/null
    if [ -n "$slapd_pid" ]; then
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

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
is() { if [ "$1" = "$2" ]; then ok; else bad "$3: got '$1', wanted '$2'"; fi; }
has() { case "$1" in *"$2"*) ok ;; *) bad "$3: \"$2\" not in: $1" ;; esac; }

# ---- a throwaway CA and the server's certificate (127.0.0.1 and localhost) -----------------
(
    cd "$work" || exit 1
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
        -subj "/CN=pam_totp throwaway test CA" &&
        openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
            -subj "/CN=localhost" &&
        printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >san.ext &&
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -out server.pem -days 2 -extfile san.ext
) >"$work/openssl.log" 2>&1 || { echo "FAIL: making the certificates: $(cat "$work/openssl.log")"; exit 1; }
# A client configuration as weak as they come: any certificate, or none, would do.
printf 'TLS_REQCERT never\n' >"$work/weak-ldap.conf"

# ---- slapd: ldaps://, ldap:// (for StartTLS) and ldapi:// --------------------------------
mkdir -p "$work/db" "$work/services"
{
    for s in core cosine nis inetorgperson; do echo "include /etc/ldap/schema/$s.schema"; done
    echo "include $(cd "$srcdir" && pwd)/examples/ldap/pam_totp.schema"
    cat <<EOF
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload otp
pidfile $work/slapd.pid
TLSCACertificateFile $work/ca.pem
TLSCertificateFile $work/server.pem
TLSCertificateKeyFile $work/server.key
database mdb
maxsize 104857600
suffix "$suffix"
rootdn "$admin_dn"
rootpw admin-secret
directory $work/db
overlay otp
EOF
    cat "$srcdir/examples/ldap/slapd-acl.conf"
} >"$work/slapd.conf"
sock=$work/ldapi
ldapi=ldapi://$(printf '%s' "$sock" | sed 's|/|%2F|g')
for _ in $(seq 20); do
    p1=$((20000 + RANDOM % 30000))
    p2=$((20000 + RANDOM % 30000))
    [ "$p1" = "$p2" ] && continue
    "$slapd" -f "$work/slapd.conf" -h "ldaps://127.0.0.1:$p1/ ldap://127.0.0.1:$p2/ $ldapi/" \
        -n pam_totp-test 2>"$work/slapd.err" || continue
    for _ in $(seq 200); do
        ldapsearch -x -H "$ldapi" -b "" -s base >/dev/null 2>&1 && break
        sleep 0.05 # waiting for a server to listen, not for a time step
    done
    slapd_pid=$(cat "$work/slapd.pid" 2>/dev/null)
    ldapsearch -x -H "$ldapi" -b "" -s base >/dev/null 2>&1 && break
done
[ -n "$slapd_pid" ] || { echo "FAIL: slapd did not start: $(cat "$work/slapd.err")"; exit 1; }
ldaps=ldaps://127.0.0.1:$p1
plain=ldap://127.0.0.1:$p2
A() { "$@" -x -H "$ldapi" -D "$admin_dn" -w admin-secret; } # as the administrator, over ldapi

. "$srcdir/tests/ldap/directory.sh"
load_directory alice bob selfie carol || { echo "FAIL: loading the directory"; exit 1; }

# ---- site files: hosts reach the directory over TLS, the administrator over ldapi ----------
umask 077
echo pam-secret >"$work/pam.pw"
echo admin-secret >"$work/admin.pw"
conf() { # conf NAME LINES...: a site file binding as the PAM account
    local f=$work/$1.conf
    shift
    printf '%s\n' "store = ldap" "ldap_base = $suffix" "ldap_bind_dn = $pam_dn" \
        "ldap_bind_pw_file = $work/pam.pw" "ldap_timeout = 2" "$@" >"$f"
    chmod 0600 "$f" # it names a password file
}
printf '%s\n' "store = ldap" "ldap_uri = $ldapi" "ldap_base = $suffix" "ldap_bind_dn = $admin_dn" \
    "ldap_bind_pw_file = $work/admin.pw" "ldap_timeout = 10" >"$work/admin.conf"
umask 022
service() { # service NAME CONF [more arguments]: a PAM service with pam_totp.so
    local name=$1 c=$2
    shift 2
    echo "auth required $module conf=$work/$c.conf $*" >"$work/services/$name"
}
echo "auth required pam_deny.so" >"$work/services/other"
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
export LDAPCONF=$work/weak-ldap.conf # every client below (libldap reads it) has the weak one
. "$srcdir/tests/tools/pamwrap-login.sh"
pamwrap_exclusive
login() { pamwrap_login "$work/services" "$@"; } # login SERVICE USER ANSWER: prints the result
T() { LD_PRELOAD=${LD_PRELOAD:-}$pamwrap_shim "$totpctl" --conf "$work/admin.conf" "$@"; }
attr() { # attr DN ATTRIBUTE: its value, as the administrator
    A ldapsearch -LLL -o ldif-wrap=no -b "$1" -s base "(objectClass=*)" "$2" 2>/dev/null |
        sed -n "s/^$2: //p; s/^$2:: //p" | head -n 1
}
now() { date +%s; }
code_at() { "$tools/totp-code" "$1" "$2"; }
unavailable="Authentication service cannot retrieve authentication info"

out=$(T enroll -u alice --no-confirm --json --window 99 2>"$work/err")
is "$?" 0 "enroll alice over ldapi: $(cat "$work/err")"
alice=$(printf '%s' "$out" | jq -r .secret)
atoken=cn=totp,uid=alice,ou=people,$suffix
# One fresh code per login that should be accepted: the step moves up (the window is +-49 steps);
# a login that should be refused gets the next fresh code without using it up.
next_step=$(($(now) / 30 - 40))
fresh() { next_step=$((next_step + 1)); code=$(code_at "$alice" $((next_step * 30 + 15))); }
peek() { code_at "$alice" $(((next_step + 1) * 30 + 15)); }

# ---- 1. the certificate is always verified -------------------------------------------------
# The server's CA is not the host's, and ldap.conf says TLS_REQCERT never: whatever the URI's
# spelling or place, pam_totp must refuse the server. Old code: accepted (libldap's global context).
conf caps "ldap_uri = LDAPS://127.0.0.1:$p1"
conf second "ldap_uri = ldaps://127.0.0.1:1 $ldaps" # the first refuses connections
conf mixed "ldap_uri = lDaPs://127.0.0.1:$p1"
conf starttls "ldap_uri = $plain" "ldap_starttls"
for c in caps second mixed starttls; do
    service "$c" "$c"
    is "$(login "$c" alice "$(peek)")" "$unavailable" "$c: an untrusted certificate refused"
done
# The log line (pam_wrapper prints pam_syslog's lines on standard error) names the server.
LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=$work/services \
    PAM_WRAPPER_DISABLE_DEEPBIND=1 UID_WRAPPER_DISABLE_DEEPBIND=1 \
    "$tools/pam-login" caps alice "$(peek)" >/dev/null 2>"$work/log"
has "$(grep -i 'user=alice' "$work/log")" "LDAPS://127.0.0.1:$p1" "the log line names the server"
"$totpctl" --conf "$work/caps.conf" status -u alice >/dev/null 2>"$work/err"
is "$?" 3 "totpctl refuses the untrusted server too (the store is unavailable)"
has "$(cat "$work/err")" "127.0.0.1:$p1" "and names it"
# With the throwaway CA named, the same URIs work.
for c in caps second mixed starttls; do
    conf "$c-ca" "$(cat "$work/$c.conf" | grep '^ldap_uri')" "ldap_ca_file = $work/ca.pem" \
        $(grep -q '^ldap_starttls' "$work/$c.conf" && echo ldap_starttls)
    service "$c-ca" "$c-ca"
    fresh
    is "$(login "$c-ca" alice "$code")" "login accepted" "$c with ldap_ca_file: accepted"
done

# ---- 2. clear text is a configuration error ------------------------------------------------
conf clear "ldap_uri = $plain"
service clear clear
is "$(login clear alice "$(peek)")" "Error in service module" "ldap:// without StartTLS refused"
"$totpctl" --conf "$work/clear.conf" status -u alice >"$work/out" 2>"$work/err"
is "$?" 2 "totpctl: clear text is a configuration error"
is "$(wc -l <"$work/err")" 1 "one line"
has "$(cat "$work/err")" "ldap_uri $plain: clear text" "which names the URI"
conf clear-second "ldap_uri = $ldaps LDAP://127.0.0.1:$p2" "ldap_ca_file = $work/ca.pem"
service clear-second clear-second
is "$(login clear-second alice "$(peek)")" "Error in service module" \
    "an ldap:// URI second in the list, in capitals"
conf ca-cleartext "ldap_uri = $plain" "ldap_insecure_cleartext" "ldap_ca_file = $work/ca.pem"
"$totpctl" --conf "$work/ca-cleartext.conf" status -u alice >/dev/null 2>"$work/err"
is "$?" 2 "ldap_ca_file without any TLS URI"
has "$(cat "$work/err")" "no URI uses TLS" "says why"
conf loud "ldap_uri = $plain" "ldap_insecure_cleartext"
service loud loud
fresh
is "$(login loud alice "$code")" "login accepted" "ldap_insecure_cleartext allows clear text"
conf ldapi "ldap_uri = $ldapi"
service ldapi ldapi
fresh
is "$(login ldapi alice "$code")" "login accepted" "ldapi:// needs no TLS"

# ---- 3. absence is "the base exists and nothing matches"; anything else is an error -------
conf typo "ldap_uri = $ldapi" "ldap_base = dc=exmaple,dc=com" # a typo in ldap_base
conf good "ldap_uri = $ldapi"
printf '%s\n' "auth required $module conf=$work/typo.conf nullok" "auth required pam_permit.so" \
    >"$work/services/typo-nullok" # nullok answers PAM_IGNORE; the next module decides
printf '%s\n' "auth required $module conf=$work/good.conf nullok" "auth required pam_permit.so" \
    >"$work/services/nullok"
is "$(login typo-nullok alice 000000)" "$unavailable" "a base that does not exist, with nullok"
is "$(login typo-nullok bob 000000)" "$unavailable" "not even for a user without a token"
"$totpctl" --conf "$work/typo.conf" status -u bob >/dev/null 2>"$work/err"
has "$(cat "$work/err")" "the search base dc=exmaple,dc=com does not exist" "and says so"
is "$(login nullok bob "")" "login accepted" "nullok: bob's entry has no token (absent)"
is "$(login nullok nobody "")" "login accepted" "nullok: no entry matches (absent)"
# A referral under the base: a user it could hold is not known to be absent.
A ldapadd >/dev/null <<EOF
dn: ou=remote,$suffix
objectClass: referral
objectClass: extensibleObject
ou: remote
ref: ldap://127.0.0.1:1/ou=remote,$suffix
EOF
is "$(login nullok nobody "")" "$unavailable" "no entry matches, but a referral was not followed"
is "$(login nullok alice 000000)" "Authentication failure" "an entry found is still used"
"$totpctl" --conf "$work/good.conf" status -u nobody >/dev/null 2>"$work/err"
has "$(cat "$work/err")" "not followed" "the referral is named as the reason"
A ldapdelete -M "ou=remote,$suffix" || bad "removing the referral"
# nullok with an anonymous bind: anonymous readers may see no token, so enrolled users would
# pass as unenrolled; refused as a configuration error.
printf '%s\n' "store = ldap" "ldap_uri = $ldapi" "ldap_base = $suffix" >"$work/anon.conf"
printf '%s\n' "auth required $module conf=$work/anon.conf nullok" "auth required pam_permit.so" \
    >"$work/services/anon-nullok"
is "$(login anon-nullok alice "")" "Error in service module" "nullok with an anonymous bind"
is "$(login anon-nullok bob "")" "Error in service module" "not even for a user without a token"

# ---- 4. DNs compared as DNs: remove never deletes a user's entry, nor one that is no token --
params=$(attr "$atoken" oathTOTPParams)
A ldapmodify >/dev/null <<EOF || bad "making selfie its own token"
dn: uid=selfie,ou=people,$suffix
changetype: modify
add: objectClass
objectClass: oathTOTPUser
objectClass: oathTOTPToken
-
add: oathTOTPToken
oathTOTPToken: UID=Selfie, OU=People,DC=Example,DC=Com
-
add: oathTOTPParams
oathTOTPParams: $params
-
add: oathSecret
oathSecret: 12345678901234567890
EOF
out=$(T remove -u selfie 2>&1)
is "$?" 0 "remove selfie, its own token spelled in capitals: $out"
A ldapsearch -b "uid=selfie,ou=people,$suffix" -s base >/dev/null 2>&1
is "$?" 0 "selfie's own entry is still there"
is "$(attr "uid=selfie,ou=people,$suffix" oathTOTPToken)" "" "selfie is unlinked"
# A link to another person's entry: unlinked, that entry left alone.
A ldapmodify >/dev/null <<EOF || bad "linking bob to alice's entry"
dn: uid=bob,ou=people,$suffix
changetype: modify
add: objectClass
objectClass: oathTOTPUser
-
add: oathTOTPToken
oathTOTPToken: uid=alice,ou=people,$suffix
EOF
out=$(T remove -u bob 2>&1)
is "$?" 0 "remove bob, linked to alice's user entry: $out"
A ldapsearch -b "uid=alice,ou=people,$suffix" -s base >/dev/null 2>&1
is "$?" 0 "alice's entry, which is no token, is still there"
is "$(attr "uid=alice,ou=people,$suffix" oathTOTPToken)" "$atoken" "and still linked to her token"

# ---- 5. failover past a server that accepts and never answers ------------------------------
python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
print(s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept()[0])
' >"$work/hung.port" &
hung_pid=$!
for _ in $(seq 200); do [ -s "$work/hung.port" ] && break; sleep 0.05; done
hung=$(cat "$work/hung.port")
conf failover "ldap_uri = ldaps://127.0.0.1:$hung $ldaps" "ldap_ca_file = $work/ca.pem"
conf failover-tls "ldap_uri = ldap://127.0.0.1:$hung $plain" "ldap_starttls" \
    "ldap_ca_file = $work/ca.pem"
conf hung "ldap_uri = ldaps://127.0.0.1:$hung" "ldap_ca_file = $work/ca.pem"
for c in failover failover-tls; do
    service "$c" "$c"
    fresh
    t0=$(date +%s%N)
    is "$(login "$c" alice "$code")" "login accepted" "$c: the hung server first, the good one second"
    ms=$((($(date +%s%N) - t0) / 1000000))
    # ldap_timeout is 2 s: one timeout, then the next server; generous for a loaded machine.
    [ "$ms" -lt 8000 ] && ok || bad "$c took $ms ms (ldap_timeout = 2)"
done
service hung hung
is "$(login hung alice "$(peek)")" "$unavailable" "only the hung server: unavailable"

# A server that answers the TLS handshake with a record header for 16 KB and then a byte every
# second (40 at most): each read gets a byte within ldap_timeout, so only a deadline for the
# whole attempt (connect, handshake, bind) moves on to the next server in time.
python3 -c '
import socket, threading, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
print(s.getsockname()[1], flush=True)
def drip(c):
    try:
        c.sendall(bytes([0x16, 0x03, 0x03, 0x40, 0x00]))
        for _ in range(40):
            time.sleep(1)
            c.sendall(b"\x00")
    except OSError:
        pass
    c.close()
while True:
    threading.Thread(target=drip, args=(s.accept()[0],), daemon=True).start()
' >"$work/drip.port" &
drip_pid=$!
for _ in $(seq 200); do [ -s "$work/drip.port" ] && break; sleep 0.05; done
drip=$(cat "$work/drip.port")
conf drip "ldap_uri = ldaps://127.0.0.1:$drip $ldaps" "ldap_ca_file = $work/ca.pem"
service drip drip
fresh
t0=$(date +%s%N)
is "$(login drip alice "$code")" "login accepted" "a server dripping its handshake first, then a good one"
ms=$((($(date +%s%N) - t0) / 1000000))
# ldap_timeout is 2 s; without the deadline this took about 40 s.
[ "$ms" -lt 8000 ] && ok || bad "the dripping server held the login $ms ms (ldap_timeout = 2)"
kill "$drip_pid" 2>/dev/null
wait "$drip_pid" 2>/dev/null
drip_pid=

# ---- 7. the guessing bound's state on the token, shared by two hosts -----------------------
out=$(T enroll -u carol --no-confirm --json --window 3 2>"$work/err")
is "$?" 0 "enroll carol: $(cat "$work/err")"
carol=$(printf '%s' "$out" | jq -r .secret)
ctoken=cn=totp,uid=carol,ou=people,$suffix
# The count first, with the throttle off on both hosts (logins that see the third failure would
# rightly be throttled and not counted); the bound itself at the end, with the default throttle.
# ldap_timeout = 10: 20 logins at once share slapd and a loaded machine, and ldap_timeout bounds
# each whole connection attempt (TLS handshake and bind included).
conf host-a "ldap_uri = $ldaps" "ldap_ca_file = $work/ca.pem" "throttle = off" "ldap_timeout = 10"
conf host-b "ldap_uri = $plain" "ldap_starttls" "ldap_ca_file = $work/ca.pem" "throttle = off" \
    "ldap_timeout = 10"
conf bound-a "ldap_uri = $ldaps" "ldap_ca_file = $work/ca.pem" "ldap_timeout = 10"
conf bound-b "ldap_uri = $plain" "ldap_starttls" "ldap_ca_file = $work/ca.pem" "ldap_timeout = 10"
service host-a host-a
service host-b host-b
service bound-a bound-a
service bound-b bound-b
wrong=$(code_at "$carol" $(($(now) + 3600))) # a code, but not one for now
for h in a a a b b; do
    is "$(login "host-$h" carol "$wrong")" "Authentication failure" "a wrong code on host $h"
done
is "$(attr "$ctoken" oathFailureCount)" 5 "five failures over two hosts, counted on the token"
last=$(attr "$ctoken" oathLastFailure)
case "$last" in [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]Z) ok ;; *) bad "oathLastFailure is a GeneralizedTime: '$last'" ;; esac
at=$(date -u -d "${last:0:8} ${last:8:2}:${last:10:2}:${last:12:2}" +%s 2>/dev/null || echo 0)
[ $((at - $(now))) -le 5 ] && [ $(($(now) - at)) -le 120 ] && ok || bad "oathLastFailure $last is not now"
is "$(T status -u carol --json | jq -r .failures)" 5 "totpctl status shows the count"
is "$(attr "$ctoken" oathTOTPLastTimeStep)" "" "failures move no watermark"
cstep=$(($(now) / 30))
is "$(login host-b carol "$(code_at "$carol" $((cstep * 30 + 15)))")" "login accepted" \
    "the right code on host b"
is "$(attr "$ctoken" oathFailureCount)" 0 "a success sets the count to 0"
is "$(attr "$ctoken" oathLastFailure)" "" "and the time"
for i in $(seq 20); do
    h=a
    [ $((i % 2)) = 0 ] && h=b
    login "host-$h" carol "$wrong" >"$work/race.$i" &
    racers="${racers:-} $!"
done
wait $racers # not the listener that never ends
is "$(cat "$work"/race.* | grep -c "^Authentication failure$")" 20 "20 wrong codes at once, all denied"
is "$(attr "$ctoken" oathFailureCount)" 20 "and every denial counted (none lost to a race)"
rm -f "$work"/race.*
is "$(login host-a carol "$(code_at "$carol" $(((cstep + 1) * 30 + 15)))")" "login accepted" \
    "the next code on host a"
is "$(attr "$ctoken" oathFailureCount)" 0 "sets the count to 0 again"
login host-a carol "$wrong" >/dev/null
is "$(attr "$ctoken" oathFailureCount)" 1 "one more failure"
out=$(T enroll -u carol --force --no-confirm --json --window 3 2>&1)
is "$?" 0 "enroll --force gives carol a new secret: $out"
is "$(attr "$ctoken" oathFailureCount)" "" "and clears the old secret's failures"
carol=$(printf '%s' "$out" | jq -r .secret)
wrong=$(code_at "$carol" $(($(now) + 3600)))
cstep=$(($(now) / 30))

# The bound itself (the policy's throttle, on by default): three failures spread over both hosts
# make both refuse the next attempt without judging it, even with the right code.
for h in a b a; do
    is "$(login "bound-$h" carol "$wrong")" "Authentication failure" "bound: a wrong code on host $h"
done
is "$(attr "$ctoken" oathFailureCount)" 3 "bound: three failures over both hosts"
before=$(attr "$ctoken" oathTOTPLastTimeStep)
right=$(code_at "$carol" $(($(now) / 30 * 30 + 15))) # unused since enroll --force: right
for h in a b; do
    is "$(login "bound-$h" carol "$right")" "Have exhausted maximum number of retries for service" \
        "bound: host $h refuses the right code unjudged"
done
is "$(attr "$ctoken" oathTOTPLastTimeStep)" "$before" "a refused right code moves no watermark"
is "$(attr "$ctoken" oathFailureCount)" 3 "and the refusals are not counted"
T -u carol reset-failures >/dev/null
is "$(login bound-b carol "$right")" "login accepted" "reset-failures lifts it for every host"

# ---- 8. the bound with host clocks apart ---------------------------------------------------
# Host b's clock is behind host a's (libfaketime puts a's ahead): a failure host a wrote is in
# b's future and holds codes off there too (up to 900 s ahead); a failure b writes keeps the
# later time it read, so it does not reopen the throttle for a. Alternating hosts: 3 judged of
# 10, whichever starts. The first delay is 600 s here, so that none ends during a burst.
. "$srcdir/tests/tools/fleet-clock.sh"
services=$work/services
mark=0
if fleet_faketime=$(fleet_clock_lib); then
    conf clock-a "ldap_uri = $ldaps" "ldap_ca_file = $work/ca.pem" "ldap_timeout = 10" \
        "throttle = 3,600,600"
    conf clock-b "ldap_uri = $plain" "ldap_starttls" "ldap_ca_file = $work/ca.pem" \
        "ldap_timeout = 10" "throttle = 3,600,600"
    service clock-a clock-a
    service clock-b clock-b
    wait_of() { # wait_of SERVICE: the shortest "codes judged again in N s" it logged
        pamwrap_log_since "$mark" | sed -n "s/.*service=$1 .*codes judged again in \([0-9]*\) s.*/\1/p" |
            sort -n | head -n 1
    }
    for off in 20 150; do
        for first in a b; do
            T -u carol reset-failures >/dev/null
            mark=$(pamwrap_log_mark)
            fleet_burst "$off" clock-a clock-b carol "$wrong" 10 "$first" >/dev/null
            is "$(attr "$ctoken" oathFailureCount)" 3 \
                "host b $off s behind, $first first: 3 of 10 alternating guesses judged"
            is "$(pamwrap_log_since "$mark" | grep -c 'result=denied user=carol service=clock-b .*too many attempts')" "$([ "$first" = b ] && echo 3 || echo 4)" \
                "host b $off s behind, $first first: host b refuses its later guesses unjudged"
            wa=$(wait_of clock-a) wb=$(wait_of clock-b)
            [ "${wb:-0}" -gt "${wa:-600}" ] && ok ||
                bad "host b $off s behind waits longer than host a, not less: ${wb:-none} s, ${wa:-none} s"
            pamwrap_log_since "$mark" | grep -q 'result=warning' && bad "a warning within the tolerance" || ok
        done
        # Host a's failure time went through the directory (oathLastFailure, GeneralizedTime)
        # and back, to the second: b's failure wrote it unchanged.
        T -u carol reset-failures >/dev/null
        login_ahead "$off" clock-a carol "$wrong" >/dev/null
        written=$(attr "$ctoken" oathLastFailure)
        login clock-b carol "$wrong" >/dev/null
        is "$(attr "$ctoken" oathLastFailure)" "$written" \
            "host b $off s behind keeps host a's later failure time, to the second"
        is "$(attr "$ctoken" oathFailureCount)" 2 "and counts its failure"
    done
    # Beyond the tolerance (a broken clock): not believed, so every switch of host is judged
    # (the documented weakness), and host b says why.
    T -u carol reset-failures >/dev/null
    mark=$(pamwrap_log_mark)
    fleet_burst 1000 clock-a clock-b carol "$wrong" 6 >/dev/null
    is "$(attr "$ctoken" oathFailureCount)" 6 "host b 1000 s behind: every switch is judged"
    pamwrap_log_since "$mark" | grep -Eq 'result=warning user=carol service=clock-b rhost=- reason="the last failure was recorded (99[0-9]|1000) s in the future, more than the 900 s the throttle believes: check the clocks"' && ok ||
        bad "host b 1000 s behind logs the failure it does not believe: $(pamwrap_log_since "$mark" | grep result=warning)"
    T -u carol reset-failures >/dev/null
else
    echo "SKIP (the checks with clocks apart): $(fleet_clock_lib 2>&1)"
fi

echo "ldap_secure: $passed passed, $failed failed"
[ "$failed" = 0 ]
