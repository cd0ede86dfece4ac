#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# check_report.sh: totpctl check (every problem class at its exact FILE:LINE, exit statuses,
# JSON) over a made-up PAM directory, site file and sshd configuration, and totpctl report.
set -u
top=${top_builddir:-.}
srcdir=${srcdir:-.}
totpctl=$PWD/$top/totpctl/totpctl
examples=$srcdir/examples
command -v jq >/dev/null || { echo "FAIL: jq not found (README's test command installs it)"; exit 1; }

work=$(mktemp -d /tmp/totpctl-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
expect() { # expect STATUS DESCRIPTION COMMAND...: exit status; output in $out, stderr in $err
    local want=$1 what=$2
    shift 2
    out=$("$@" 2>"$work/stderr")
    local got=$?
    err=$(cat "$work/stderr")
    if [ "$got" = "$want" ]; then ok; else bad "$what: exit $got, wanted $want; $err; $out"; fi
}
has() { case "$1" in *"$2"*) ok ;; *) bad "$3: \"$2\" not in: $1" ;; esac; }
hasnt() { case "$1" in *"$2"*) bad "$3: \"$2\" in: $1" ;; *) ok ;; esac; }
line_is() { # line_is OUTPUT PREFIX WHAT: some line starts with PREFIX
    if printf '%s\n' "$1" | grep -qF -- "$2"; then ok; else bad "$3: no line \"$2\" in: $1"; fi
}

# ---- a clean stock configuration: examples/ as documented -----------------------------------
stock() { # a PAM directory with the example sshd file and stubs for what it includes
    rm -rf "$work/pam.d" && mkdir "$work/pam.d"
    cp "$examples/pam.d/${1:-sshd}" "$work/pam.d/sshd"
    printf 'auth [success=1 default=ignore] pam_unix.so nullok\nauth requisite pam_deny.so\nauth required pam_permit.so\n' >"$work/pam.d/common-auth"
    for f in common-account common-session common-password common-session-noninteractive; do
        echo "account required pam_unix.so" >"$work/pam.d/$f"
    done
}
stock
cp "$examples/pam_totp.conf" "$work/site.conf" && chmod 0644 "$work/site.conf"
sshd_ok=$(cd "$examples/sshd_config.d" && pwd)/pam_totp.conf
C() { "$totpctl" check --conf "$work/site.conf" --pam-dir "$work/pam.d" --sshd-config "$sshd_ok" "$@"; }
expect 0 "stock examples are clean" C
[ -z "$out" ] && ok || bad "stock examples: output: $out"
expect 0 "stock examples, --json" C --json
[ "$(printf '%s' "$out" | jq -c .)" = "[]" ] && ok || bad "stock --json: $out"
cp "$examples/pam.d/sudo" "$work/pam.d/sudo"
expect 0 "the sudo example is clean too" C
[ -z "$out" ] && ok || bad "sudo example: output: $out"
stock sshd-rollout
expect 0 "the roll-out example: warnings only" C
totp_at=$(grep -n '^auth.*pam_totp.so' "$work/pam.d/sshd" | cut -d: -f1)
exempt_at=$(grep -n '^auth.*pam_succeed_if.so' "$work/pam.d/sshd" | cut -d: -f1)
line_is "$out" "$work/pam.d/sshd:$totp_at: warning: nullok: a user without a record passes" "roll-out nullok warning"
line_is "$out" "$work/pam.d/sshd:$totp_at: warning: the auth stack of sshd lets some users in without a code when pam_succeed_if.so ($work/pam.d/sshd:$exempt_at) succeeds" "roll-out exemption"
stock

# A PAM directory whose files include others that are not there: each include loads one more
# file, and a file already judged must not move under the check (it crashed: SIGSEGV).
rm -rf "$work/bare.d" && mkdir "$work/bare.d" && cp "$examples"/pam.d/* "$work/bare.d/"
expect 1 "examples without the common-* files they include" "$totpctl" check --conf "$work/site.conf" --pam-dir "$work/bare.d" --sshd-config "$sshd_ok"
inc_at=$(grep -n '^@include common-account' "$work/bare.d/sshd" | cut -d: -f1)
line_is "$out" "$work/bare.d/sshd:$inc_at: warning: includes $work/bare.d/common-account, which cannot be opened" "a missing include is named"

# ---- usage and unreadable input ------------------------------------------------------------
expect 2 "unknown option" "$totpctl" check --bogus
expect 2 "check takes no -u" "$totpctl" check -u root
# A relative --conf is the current directory's: its directory resolved, a final link not
# followed (the module refuses a site file that is a link, and so does the check).
expect 0 "a relative --conf" sh -c 'cd "$1" && shift && exec "$@"' - "$work/pam.d" "$totpctl" check --conf ../site.conf --pam-dir "$work/pam.d" --sshd-config "$sshd_ok"
[ -z "$out" ] && ok || bad "relative --conf: output: $out"
ln -s site.conf "$work/rel-link.conf"
expect 1 "a relative --conf that is a link" sh -c 'cd "$1" && shift && exec "$@"' - "$work" "$totpctl" check --conf rel-link.conf --pam-dir "$work/pam.d" --sshd-config "$sshd_ok"
line_is "$out" "$work/rel-link.conf:0: error: $work/rel-link.conf: cannot open: is a symbolic link" "a relative link named by its absolute path"
rm "$work/rel-link.conf"
expect 3 "a relative --conf in a missing directory" "$totpctl" check --conf no-such-dir/x.conf --pam-dir "$work/pam.d"
has "$err" "--conf no-such-dir/x.conf: no-such-dir/: No such file or directory" "says which directory"
expect 3 "missing --pam-dir" C --pam-dir "$work/nothing"
has "$err" "$work/nothing: cannot read" "missing --pam-dir says so"
expect 3 "missing --conf" "$totpctl" check --conf "$work/nothing.conf" --pam-dir "$work/pam.d" --sshd-config "$sshd_ok"
expect 3 "missing --sshd-config" "$totpctl" check --conf "$work/site.conf" --pam-dir "$work/pam.d" --sshd-config "$work/nothing"
expect 0 "check --help" "$totpctl" check --help
has "$out" "--sshd-config FILE" "check --help names its options"

printf '# comment\nwindw = 3\nwindow = 5\ndigits = 9\nnullok = maybe\n' >"$work/bad.conf"
printf '# sshd\nauth required pam_totp.so\nauth required pam_totp.so bogus window=0 [authtok_prompt=Code please: ]\n' >"$work/pam.d/sshd"
expect 1 "bad options" C --conf "$work/bad.conf"
line_is "$out" "$work/bad.conf:2: error: unknown option \"windw\"" "site file: unknown option at its line"
line_is "$out" "$work/bad.conf:4: error: digits=9: must be 6, 7 or 8" "site file: bad value at its line"
line_is "$out" "$work/bad.conf:5: error: nullok must be yes or no" "site file: bad flag value"
line_is "$out" "$work/pam.d/sshd:3: error: pam_totp.so: unknown option \"bogus\"" "module line: unknown option"
line_is "$out" "$work/pam.d/sshd:3: error: pam_totp.so: window=0: must be 1 to 100" "module line: bad value"
hasnt "$out" "authtok_prompt" "a bracketed argument with spaces is one good option"
hasnt "$out" "sshd:2:" "a good module line has no finding"
expect 1 "bad options, --json" C --conf "$work/bad.conf" --json
printf '%s' "$out" | jq -e 'type == "array" and length == 5 and all(.[]; (.file|type) == "string" and (.line|type) == "number" and .severity == "error" and (.reason|type) == "string")' >/dev/null && ok || bad "--json shape: $out"
[ "$(printf '%s' "$out" | jq -r '.[] | select(.line == 3) | .file' | sort -u)" = "$work/pam.d/sshd" ] && ok || bad "--json file of line 3: $out"

# through @include and substack, in a file that is not a service itself
stock
printf 'auth required pam_totp.so nosuch\n' >"$work/pam.d/totp-common"
printf 'auth required pam_unix.so\n@include totp-common\n' >"$work/pam.d/login"
printf 'auth substack login\n' >"$work/pam.d/su"
expect 1 "options through @include" C
line_is "$out" "$work/pam.d/totp-common:1: error: pam_totp.so: unknown option \"nosuch\"" "included module line"
[ "$(printf '%s\n' "$out" | grep -c 'nosuch')" = 1 ] && ok || bad "a line included twice is reported once: $out"
rm "$work/pam.d/totp-common" "$work/pam.d/login" "$work/pam.d/su"

# pam_totp where it cannot work
printf 'auth required pam_unix.so\nauth required pam_totp.so\naccount required pam_totp.so\n' >"$work/pam.d/login"
expect 1 "pam_totp on an account line" C
line_is "$out" "$work/pam.d/login:3: error: pam_totp.so on a \"account\" line" "account line"
rm "$work/pam.d/login"

# ---- a site file the module refuses --------------------------------------------------------
cp "$work/site.conf" "$work/open.conf" && chmod 0666 "$work/open.conf"
expect 1 "site file writable by others" C --conf "$work/open.conf"
line_is "$out" "$work/open.conf:0: error: " "site file mode at line 0"
has "$out" "lets others change it" "says why"
ln -s "$work/site.conf" "$work/link.conf"
expect 1 "site file a symbolic link" C --conf "$work/link.conf"
has "$out" "$work/link.conf:0: error: " "symlink refused"

# ---- clear text, key and password files ----------------------------------------------------
umask 077
echo secret >"$work/bind.pw"
printf 'store = ldap\nldap_uri = ldap://ldap.example.com\nldap_base = dc=example,dc=com\nldap_bind_dn = cn=totp,dc=example,dc=com\nldap_bind_pw_file = %s\n' "$work/bind.pw" >"$work/ldap.conf"
chmod 0640 "$work/ldap.conf"
expect 1 "clear-text LDAP" C --conf "$work/ldap.conf"
line_is "$out" "$work/ldap.conf:1: error: ldap_uri ldap://ldap.example.com: clear text" "clear text at the store line"
hasnt "$out" "bind.pw" "a good password file has no finding"
echo "ldap_starttls" >>"$work/ldap.conf"
expect 0 "StartTLS is clean" C --conf "$work/ldap.conf"
[ -z "$out" ] && ok || bad "StartTLS: output: $out"
chmod 0644 "$work/bind.pw"
expect 1 "password file others may read" C --conf "$work/ldap.conf"
line_is "$out" "$work/ldap.conf:5: error: ldap_bind_pw_file $work/bind.pw: mode 0644 lets others read it" "password file mode at its line"
rm "$work/bind.pw"
expect 1 "missing password file" C --conf "$work/ldap.conf"
line_is "$out" "$work/ldap.conf:5: error: ldap_bind_pw_file $work/bind.pw: cannot open" "missing password file"
echo "ldap_insecure_cleartext" >>"$work/ldap.conf"
expect 1 "ldap_insecure_cleartext" C --conf "$work/ldap.conf"
line_is "$out" "$work/ldap.conf:7: error: ldap_insecure_cleartext:" "insecure_cleartext at its line"
chmod 0644 "$work/ldap.conf"
expect 1 "site file naming a password file, readable by all" C --conf "$work/ldap.conf"
line_is "$out" "$work/ldap.conf:0: error: $work/ldap.conf: names ldap_bind_pw_file, so others must not read it" "readable site file"
printf 'store = ad\nldap_uri = ldaps://dc.example.com\nldap_base = dc=example,dc=com\nldap_bind_dn = cn=totp\nldap_bind_pw_file = %s\nad_key_file = %s\n' "$work/ad.pw" "$work/ad.keys" >"$work/ad.conf"
chmod 0600 "$work/ad.conf"
echo pw >"$work/ad.pw"
echo "1 0000" >"$work/ad.keys"
expect 1 "a key file that does not parse" C --conf "$work/ad.conf"
line_is "$out" "$work/ad.conf:6: error: ad_key_file $work/ad.keys: line 1:" "bad key file at its line"
printf '1 %064d\n' 0 >"$work/ad.keys"
chmod 0604 "$work/ad.keys"
expect 1 "a key file others may read" C --conf "$work/ad.conf"
line_is "$out" "$work/ad.conf:6: error: ad_key_file $work/ad.keys: mode 0604" "key file mode"
chmod 0600 "$work/ad.keys"
expect 0 "a good AD configuration" C --conf "$work/ad.conf"
[ -z "$out" ] && ok || bad "AD: output: $out"
umask 022

# ---- stacks: nullok for everyone, a module that never runs or never decides ------------------
stack() { rm -f "$work/pam.d/login"; printf '%b' "$1" >"$work/pam.d/login"; }
stack 'auth sufficient pam_permit.so\nauth required pam_totp.so\n'
expect 1 "after sufficient pam_permit" C
line_is "$out" "$work/pam.d/login:2: error: pam_totp.so never runs: the auth stack of login always ends before it, at pam_permit.so ($work/pam.d/login:1)" "never runs after pam_permit"
stack 'auth requisite pam_deny.so\nauth required pam_totp.so\n'
expect 1 "after requisite pam_deny" C
line_is "$out" "$work/pam.d/login:2: error: pam_totp.so never runs" "never runs after pam_deny"
stack 'auth required pam_unix.so\nauth optional pam_totp.so\n'
expect 1 "optional second factor" C
line_is "$out" "$work/pam.d/login:2: error: a wrong code still passes the auth stack of login when pam_unix.so ($work/pam.d/login:1) succeeds (pam_totp.so is optional there)" "optional second factor"
stack 'auth sufficient pam_unix.so\nauth required pam_totp.so\n'
expect 1 "after sufficient pam_unix" C
line_is "$out" "$work/pam.d/login:2: error: a wrong code still passes the auth stack of login when pam_unix.so" "sufficient password skips the code"
stack 'auth sufficient pam_totp.so nullok\nauth required pam_permit.so\n'
expect 1 "sufficient nullok before pam_permit" C
line_is "$out" "$work/pam.d/login:1: error: nullok: a user without a record passes the auth stack of login with nothing checked by PAM" "nullok lets everyone through"
stack 'auth required pam_totp.so nullok\n'
expect 0 "nullok alone: a warning" C
line_is "$out" "$work/pam.d/login:1: warning: nullok has no effect in the auth stack of login" "nullok without effect"
line_is "$out" "$work/pam.d/login:1: warning: a right code alone passes the auth stack of login" "code alone"
echo 'nullok = yes' >"$work/nullok.conf"
stack 'auth sufficient pam_totp.so\nauth required pam_permit.so\n'
expect 1 "nullok from the site file" C --conf "$work/nullok.conf"
line_is "$out" "$work/pam.d/login:1: error: nullok: a user without a record passes" "site nullok counts"
stack '@include common-auth\nauth [success=1 default=ignore] pam_totp.so\nauth requisite pam_deny.so\nauth required pam_permit.so\n'
expect 0 "jumps as Debian writes them" C
[ -z "$out" ] && ok || bad "jump stack: output: $out"
rm "$work/pam.d/login"

# enroll_at_login where a failed first factor still reaches it: a stranger who knows a user
# name enrolls their own authenticator as that user's record.
stack 'auth required pam_unix.so\nauth required pam_totp.so enroll_at_login\n'
expect 1 "enroll_at_login after a required first factor" C
line_is "$out" "$work/pam.d/login:2: error: enroll_at_login: pam_totp.so runs in the auth stack of login after pam_unix.so ($work/pam.d/login:1) failed" "enrollment after a failed password"
stack 'auth sufficient pam_unix.so\nauth required pam_totp.so enroll_at_login\n'
expect 1 "enroll_at_login after a sufficient first factor" C
line_is "$out" "$work/pam.d/login:2: error: enroll_at_login: pam_totp.so runs in the auth stack of login after pam_unix.so ($work/pam.d/login:1) failed" "enrollment after sufficient"
stack 'auth required pam_unix.so\nauth required pam_totp.so\n'
expect 0 "no enroll_at_login: no enrollment finding" C
hasnt "$out" "enroll_at_login" "without enroll_at_login"
stack 'auth requisite pam_unix.so\nauth required pam_totp.so enroll_at_login\n'
expect 0 "enroll_at_login after a requisite first factor" C
hasnt "$out" "enroll_at_login" "requisite first factor"
stack 'auth optional pam_faildelay.so delay=1\nauth optional pam_gnome_keyring.so\n@include common-auth\nauth required pam_totp.so enroll_at_login\n'
expect 0 "enroll_at_login after Debian's common-auth" C
hasnt "$out" "enroll_at_login" "common-auth (success=1, requisite pam_deny) first"
rm "$work/pam.d/login"
printf 'auth required pam_unix.so\nauth required pam_totp.so enroll_at_login\n' >"$work/pam.d/sshd"
expect 0 "enroll_at_login in sshd asking for a public key first" C
hasnt "$out" "enroll_at_login" "sshd with publickey,keyboard-interactive"
printf 'UsePAM yes\nKbdInteractiveAuthentication yes\nPasswordAuthentication no\nPubkeyAuthentication no\n' >"$work/sshd_nokey"
expect 1 "enroll_at_login in sshd without a key first" C --sshd-config "$work/sshd_nokey"
line_is "$out" "$work/pam.d/sshd:2: error: enroll_at_login: pam_totp.so runs in the auth stack of sshd after pam_unix.so ($work/pam.d/sshd:1) failed" "sshd without a key"
has "$out" "AuthenticationMethods publickey,keyboard-interactive" "says what sshd needs"
stock
for f in "$examples"/pam.d/*; do cp "$f" "$work/pam.d/$(basename "$f")"; done
out=$(C 2>&1)
hasnt "$out" "enroll_at_login" "the shipped examples enroll only where safe"
stock

# pam_succeed_if on "service" is known for the service judged (the file's name): true or false
# there, whatever its flags; conditions on the user stay either way.
stack 'auth required pam_unix.so\nauth [success=1 default=ignore] pam_succeed_if.so quiet_success use_uid service != login\nauth required pam_totp.so\n'
expect 0 "service != the service judged: the code is asked" C
[ -z "$out" ] && ok || bad "service != login: output: $out"
stack 'auth required pam_unix.so\nauth [success=1 default=ignore] pam_succeed_if.so quiet service in sudo:login:su\nauth required pam_totp.so\n'
expect 0 "service in a list naming it: pam_totp skipped there by design" C
[ -z "$out" ] && ok || bad "service in: output: $out"
stack 'auth required pam_unix.so\nauth [success=1 default=ignore] pam_succeed_if.so service = sudo\nauth optional pam_totp.so\n'
expect 1 "service = another service: an optional pam_totp is still found" C
line_is "$out" "$work/pam.d/login:3: error: a wrong code still passes the auth stack of login when pam_unix.so ($work/pam.d/login:1) succeeds" "optional after a false service condition"
stack 'auth required pam_unix.so\nauth [success=1 default=ignore] pam_succeed_if.so service = login user ingroup wheel\nauth required pam_totp.so\n'
expect 1 "service and user: either way" C
line_is "$out" "$work/pam.d/login:3: error: a wrong code still passes the auth stack of login when pam_unix.so" "a user condition still counts"
rm "$work/pam.d/login"

# Debian 12's common-auth as pam-auth-update writes it with debian/pam-configs/totp enabled
# (pam_unix's success=end becomes success=1; the profile's own lines are copied as they are),
# and the stock files that include it: the profile skips pam_totp outside login/su/sudo.
profile_auth() { awk '/^Auth:/ { f = 1; next } /^[A-Za-z-]+:/ { f = 0 } f && NF { sub(/^[ \t]+/, ""); print "auth\t" $0 }' "$srcdir/debian/pam-configs/totp"; }
debian_pam() { # debian_pam [sed expression applied to the profile's lines]
    rm -rf "$work/pam.d" && mkdir "$work/pam.d"
    {
        printf '# here are the per-package modules (the "Primary" block)\n'
        printf 'auth\t[success=1 default=ignore]\tpam_unix.so nullok\n'
        printf '# here'"'"'s the fallback if no module succeeds\nauth\trequisite\t\t\tpam_deny.so\n'
        printf 'auth\trequired\t\t\tpam_permit.so\n'
        printf '# and here are more per-package modules (the "Additional" block)\n'
        profile_auth | sed "${1:-}"
        printf '# end of pam-auth-update config\n'
    } >"$work/pam.d/common-auth"
    for f in common-account common-session common-password common-session-noninteractive; do
        echo "account required pam_unix.so" >"$work/pam.d/$f"
    done
    printf 'session required pam_limits.so\n@include common-auth\n@include common-account\n@include common-session-noninteractive\n' >"$work/pam.d/sudo"
    printf 'auth optional pam_faildelay.so delay=3000000\nauth requisite pam_nologin.so\n@include common-auth\nauth optional pam_group.so\n@include common-account\n@include common-session\n' >"$work/pam.d/login"
    printf 'auth sufficient pam_rootok.so\n@include common-auth\n@include common-account\n@include common-session\n' >"$work/pam.d/su"
    printf '@include common-auth\naccount required pam_nologin.so\n@include common-account\n@include common-session\n' >"$work/pam.d/sshd"
    printf '@include common-auth\n@include common-account\n@include common-password\n@include common-session\n' >"$work/pam.d/other"
}
debian_pam
grep -q 'pam_succeed_if.so quiet service notin login:su:su-l:sudo:sudo-i' "$work/pam.d/common-auth" && grep -q 'required	pam_totp.so' "$work/pam.d/common-auth" && ok || bad "common-auth composed from the profile: $(cat "$work/pam.d/common-auth")"
expect 0 "the scoped pam-auth-update profile on Debian 12: no false error" C
hasnt "$out" "error:" "scoped profile: no error"
hasnt "$out" "never runs" "scoped profile: pam_totp skipped in sshd/other by design"
totp_at=$(grep -n 'pam_totp.so' "$work/pam.d/common-auth" | cut -d: -f1)
debian_pam 's/^auth\trequired\tpam_totp.so/auth\toptional\tpam_totp.so/'
expect 1 "the profile's pam_totp made optional" C
line_is "$out" "$work/pam.d/common-auth:$totp_at: error: a wrong code still passes the auth stack of sudo when pam_unix.so" "optional: sudo"
line_is "$out" "$work/pam.d/common-auth:$totp_at: error: a wrong code still passes the auth stack of login when pam_unix.so" "optional: login"
hasnt "$out" "auth stack of sshd" "optional: sshd is outside the profile's scope"
hasnt "$out" "auth stack of other" "optional: other is outside the profile's scope"
stock

# ---- sshd: the code prompt must appear and be the code's --------------------------------------
mkdir "$work/sshd.d"
sshd() { printf '%b' "$1" >"$work/sshd_config"; }
S() { C --sshd-config "$work/sshd_config" "$@"; }
sshd 'UsePAM no\nKbdInteractiveAuthentication yes\nAuthenticationMethods publickey,keyboard-interactive\n'
expect 1 "UsePAM no" S
line_is "$out" "$work/sshd_config:1: error: UsePAM no:" "UsePAM no at its line"
sshd 'KbdInteractiveAuthentication yes\nAuthenticationMethods publickey,keyboard-interactive\n'
expect 1 "UsePAM left at its default" S
line_is "$out" "$work/sshd_config:0: error: UsePAM no:" "UsePAM default"
sshd "Include $work/sshd.d/*.conf\nUsePAM yes\nKbdInteractiveAuthentication no\nPasswordAuthentication no\nAuthenticationMethods publickey,keyboard-interactive\n"
printf '# drop-in\nKbdInteractiveAuthentication no\n' >"$work/sshd.d/10-kbd.conf"
expect 1 "KbdInteractiveAuthentication no in a drop-in" S
line_is "$out" "$work/sshd.d/10-kbd.conf:2: error: KbdInteractiveAuthentication no:" "kbd-interactive in the drop-in"
printf 'KbdInteractiveAuthentication yes\n' >"$work/sshd.d/10-kbd.conf"
expect 0 "a drop-in read first wins" S
[ -z "$out" ] && ok || bad "drop-in wins: output: $out"
sshd 'UsePAM yes\nKbdInteractiveAuthentication yes\nPasswordAuthentication yes\n'
expect 1 "password authentication and key alone" S
line_is "$out" "$work/sshd_config:3: error: PasswordAuthentication yes:" "password authentication"
line_is "$out" "$work/sshd_config:0: error: AuthenticationMethods any: a public key alone logs in" "key alone"
sshd 'UsePAM yes\nKbdInteractiveAuthentication yes\nPasswordAuthentication yes\nAuthenticationMethods publickey,keyboard-interactive publickey\n'
expect 1 "a method list without the code" S
line_is "$out" "$work/sshd_config:4: error: AuthenticationMethods publickey,keyboard-interactive publickey:" "a list without keyboard-interactive"
hasnt "$out" "PasswordAuthentication" "password authentication unused by AuthenticationMethods is fine"
sshd 'UsePAM yes\nKbdInteractiveAuthentication no\n'
rm "$work/pam.d/sshd"
expect 0 "sshd settings do not matter when pam.d/sshd has no pam_totp" S
[ -z "$out" ] && ok || bad "no pam_totp in sshd: output: $out"
stock

# ---- control characters are escaped --------------------------------------------------------
printf 'auth required pam_totp.so bo\033gus\n' >"$work/pam.d/log$(printf '\001')in"
expect 1 "control characters" C
line_is "$out" "$work/pam.d/log\\x01in:1: error: pam_totp.so: unknown option \"bo\\x1bgus\"" "escaped"
rm "$work/pam.d/log$(printf '\001')in"

# ---- report: every account, from NSS (nss_wrapper), with the system store in $work ----------
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: totpctl report runs as root only"
else
    mkdir -m 0700 "$work/system" && mkdir -p "$work/home/alice" "$work/home/bob"
    printf '%s\n' "alice:x:1001:1001:Alice:$work/home/alice:/bin/sh" \
        "bob:x:1002:1002:Bob:$work/home/bob:/bin/sh" "carol:x:1003:1003:Carol:$work/home/carol:/bin/sh" \
        "root:x:0:0:root:/root:/bin/sh" "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin" >"$work/passwd"
    echo "users:x:1001:" >"$work/group"
    printf 'system_dir = %s\n' "$work/system" >"$work/report.conf"
    R() { NSS_WRAPPER_PASSWD=$work/passwd NSS_WRAPPER_GROUP=$work/group NSS_WRAPPER_DISABLE_DEEPBIND=1 \
        ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 LD_PRELOAD=libnss_wrapper.so "$totpctl" --conf "$work/report.conf" "$@"; }
    expect 0 "enroll alice" R -u alice enroll --no-confirm --qr none
    expect 0 "enroll carol" R -u carol enroll --no-confirm --qr none --algorithm SHA256 --scratch-codes 2
    printf '" LAST_SUCCESS 1699990000\n" FAILURES 6 1700000000\n' >>"$work/system/alice"
    expect 0 "report" R report --at 1700000005
    line_is "$out" "USER             KIND      RECORD  ALG    SUCCESS    FAILS THROTTLED CODES" "header"
    line_is "$out" "alice            human     system  SHA1   2023-11-1" "alice enrolled"
    has "$(printf '%s\n' "$out" | grep '^alice')" "     6 115s          5" "alice's failures, throttle, scratch codes"
    line_is "$out" "bob              human     -" "bob not enrolled"
    has "$(printf '%s\n' "$out" | grep '^carol')" "system  SHA256" "carol's algorithm"
    line_is "$out" "daemon           system    -" "a system account"
    [ "$(printf '%s\n' "$out" | awk '{ if (length($0) > 80) n++ } END { print n + 0 }')" = 0 ] && ok || bad "report wider than 80 columns"
    expect 0 "report --json" R report --json --at 1700000005
    printf '%s' "$out" | jq -e '.accounts | length == 5' >/dev/null && ok || bad "--json: every account: $out"
    printf '%s' "$out" | jq -e '.accounts[] | select(.user == "alice") | .enrolled and .throttled and .throttle_seconds_left == 115 and .failures == 6 and .last_success == 1699990000 and .scratch_codes_left == 5 and .store == "system" and .kind == "human" and .uid == 1001' >/dev/null && ok || bad "--json alice: $out"
    [ "$(printf '%s' "$out" | jq -r '.accounts[] | select(.user == "alice") | .path')" = "$work/system/alice" ] && ok || bad "--json alice's path: $out"
    printf '%s' "$out" | jq -e '.accounts[] | select(.user == "bob") | (.enrolled | not) and .kind == "human"' >/dev/null && ok || bad "--json bob: $out"
    printf '%s' "$out" | jq -e '.accounts[] | select(.user == "daemon") | .kind == "system"' >/dev/null && ok || bad "--json daemon: $out"
    expect 0 "after the throttle" R report --json --at 1700100000
    printf '%s' "$out" | jq -e '.accounts[] | select(.user == "alice") | .throttled == false' >/dev/null && ok || bad "--json: no longer throttled: $out"
    expect 1 "report --missing" R report --missing
    line_is "$out" "bob              human     -" "--missing lists bob"
    line_is "$out" "root             system    -" "--missing lists root"
    hasnt "$out" "alice" "--missing leaves out the enrolled"
    hasnt "$out" "daemon" "--missing leaves out system accounts"
    R -u bob enroll --no-confirm --qr none >/dev/null 2>&1 && R enroll --no-confirm --qr none >/dev/null 2>&1
    expect 0 "report --missing, everyone enrolled" R report --missing
    expect 3 "report as a user" setpriv --reuid=65534 --regid=65534 --clear-groups "$totpctl" --conf "$work/report.conf" report
    has "$err" "run it as root" "report as a user says why"
    # A system account whose home Debian never creates (irc's /run/ircd): its row says error,
    # and the report still succeeds; a person's unreadable record fails it.
    echo "irc:x:39:39:ircd:$work/no-such-home:/usr/sbin/nologin" >>"$work/passwd"
    expect 0 "a system account's missing home fails nothing" R report
    line_is "$out" "irc              system    error" "its row says error"
    [ -z "$err" ] && ok || bad "nothing on stderr for it: $err"
    echo "dave:x:1004:1004:Dave:$work/no-such-home:/bin/sh" >>"$work/passwd"
    expect 3 "a person's missing home is an error" R report
    has "$err" "no-such-home" "the error names the home"
fi

echo "check_report.sh: $passed passed, $failed failed"
[ "$failed" = 0 ]
