#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# documented.sh: what the code accepts and what the man pages document are the same: every
# module option, every totpctl command and option, both ways; every man page has its sections.
set -u
top=${top_builddir:-.}
src=${srcdir:-.}
probe=$top/tests/tools/options-probe
totpctl=$top/totpctl/totpctl
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# ---- pam_totp(8): options in lib/options.c <-> the OPTIONS section ------------------------
code_opts=$(grep -oE 'strcmp\(name, "[a-z_-]+"\)|\{"[a-z_-]+", offsetof|\{"ldap_[a-z_]+", SLOT' "$src/lib/options.c" |
    grep -oE '"[a-z_-]+"' | tr -d '"' | sort -u)
man_opts=$(sed -n '/^\.SH OPTIONS/,/^\.SH SITE FILE/p' "$src/man/pam_totp.8" |
    grep -E '^\.BI? [a-z_-]+' | sed -E 's/^\.BI? ([a-z_-]+)=?.*/\1/' | sort -u)
for o in $code_opts; do
    echo "$man_opts" | grep -qx -- "$o" && ok || bad "pam_totp option $o is not in pam_totp.8"
done
for o in $man_opts; do
    echo "$code_opts" | grep -qx -- "$o" && ok || bad "pam_totp.8 documents $o, which the code does not have"
    # ...and the parser knows it, with a value or without.
    "$probe" "$o" "$o=1" | grep -qv unknown && ok || bad "the parser does not know $o"
done
"$probe" frobnicate | grep -q "frobnicate unknown" && ok || bad "the probe cannot tell unknown options"

# ---- totpctl(1): commands and options <-> --help and the man page ------------------------
help=$("$totpctl" --help)
code_cmds=$(sed -n '/^} commands\[\] = {/,/^};/p' "$src/totpctl/main.c" | grep -oE '^    \{"[a-z-]+"' | tr -dc 'a-z\n-' | sort -u)
# A command is the tag of a .TP paragraph in COMMANDS (other bold words there are JSON fields).
man_cmds=$(sed -n '/^\.SH COMMANDS/,/^\.SH OPTIONS/p' "$src/man/totpctl.1" |
    awk 'tag { print; tag = 0 } /^\.TP/ { tag = 1 }' | sed -E 's/\\-/-/g; s/^\.B[IR]? "?([a-z-]+).*/\1/' | sort -u)
for c in $code_cmds; do
    echo "$man_cmds" | grep -qx "$c" && ok || bad "totpctl command $c is not in totpctl.1"
    echo "$help" | grep -qE "^  $c( |$)" && ok || bad "totpctl --help does not list $c"
    "$totpctl" "$c" --help >/dev/null && ok || bad "totpctl $c --help fails"
done
for c in $man_cmds; do
    echo "$code_cmds" | grep -qx "$c" && ok || bad "totpctl.1 documents command $c, which does not exist"
done
code_long=$(grep -oE '^    \{"[a-z-]+", (required|no)_argument' "$src/totpctl/main.c" | grep -oE '"[a-z-]+"' | tr -d '"' | sort -u)
man_long=$(grep -oE '\\-\\-[a-z]+(\\-[a-z]+)*' "$src/man/totpctl.1" | sed 's/\\//g; s/^--//' | sort -u)
for o in $code_long; do
    echo "$man_long" | grep -qx -- "$o" && ok || bad "totpctl --$o is not in totpctl.1"
done
for o in $man_long; do
    echo "$code_long" | grep -qx -- "$o" && ok || bad "totpctl.1 documents --$o, which does not exist"
done

# A command's tag renders on one line, with its arguments (not split into the paragraph).
LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$src/man/totpctl.1" 2>/dev/null | grep -qE '^ +code \[--at UNIXTIME\]' && ok ||
    bad "totpctl.1: 'code [--at UNIXTIME]' is not one line"
# The top-level --help says what each command does, on the command's line.
for c in $code_cmds; do
    echo "$help" | grep -qE "^  $c( [^ ]+)* {2,}[A-Za-z(]" && ok || bad "totpctl --help lists $c without what it does"
done

# ---- every man page has the sections an administrator looks for ---------------------------
for page in "$src/man/pam_totp.8" "$src/man/totpctl.1" "$src/man/totp.5"; do
    for section in NAME SYNOPSIS DESCRIPTION FILES EXAMPLES "SECURITY NOTES" "SEE ALSO"; do
        grep -q "^\.SH $section\$" "$page" && ok || bad "$(basename "$page") has no $section section"
    done
    case $page in *totp.5) ;; *) grep -q '^\.SH OPTIONS$' "$page" && ok || bad "$(basename "$page") has no OPTIONS" ;; esac
    warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
    [ -z "$warnings" ] && ok || bad "$(basename "$page") renders with warnings: $warnings"
done

# ---- examples and README: the traps of issue 23 -------------------------------------------
# The strict sshd file keeps the rollout's exempt line, commented: uncommented, it is that line.
exempt=$(grep -E '^auth .*pam_succeed_if\.so .*ingroup totp-exempt' "$src/examples/pam.d/sshd-rollout" | tr -s ' \t' ' ')
strict=$(grep -E '^#auth .*pam_succeed_if\.so .*ingroup totp-exempt' "$src/examples/pam.d/sshd" | sed 's/^#//' | tr -s ' \t' ' ')
[ -n "$exempt" ] && [ "$exempt" = "$strict" ] && ok ||
    bad "examples/pam.d/sshd does not keep sshd-rollout's exempt line, commented ('$strict' vs '$exempt')"

# nullok: a user without a record is neither asked nor judged (pam_totp(8), the module); README
# must not say that everyone is asked regardless.
grep -q 'neither asked nor judged' "$src/man/pam_totp.8" && grep -q 'neither asked nor judged' "$src/README.md" &&
    ! grep -qi 'everyone is asked for a code, enrolled or not' "$src/README.md" && ok ||
    bad "README and pam_totp(8) disagree on nullok: an unenrolled user is neither asked nor judged"

# Commands for the root shell (README's commands are run as root; a bare root shell has no
# sudo) carry no "sudo ": sudo appears only where it is what is being configured or tested.
rootcmds=$(grep -nE '(^|[`$;(] *)sudo +(make|totpctl|install|pam-auth-update|apt|apt-get|cp|sshd|systemctl|groupadd|useradd|chmod|chown|dpkg|pamtester|ldap|samba-tool)\b' \
    "$src/README.md" "$src"/docs/*.md "$src"/man/*.[158] "$src/SECURITY.md" 2>/dev/null)
[ -z "$rootcmds" ] && ok || bad "root-shell commands written with sudo: $rootcmds"
# The rollout runs pamtester: README says to install it there, not only in the test command.
sed -n '/^## Rolling out/,/^## /p' "$src/README.md" | grep -q 'apt-get install.*pamtester' && ok ||
    bad "README's rollout uses pamtester without saying how to install it"
# examples/ paths: where the Debian package puts them, too.
grep -q '/usr/share/doc/libpam-totp/examples' "$src/README.md" && ok ||
    bad "README does not say where the package installs examples/"

# Root's enrollment over a user's own record is refused until --force: README quotes the refusal
# totpctl prints and gives the command.
refusal='--force keeps that record and enrolls'
grep -q -- "$refusal" "$src/totpctl/enroll.c" && tr '\n' ' ' <"$src/README.md" | tr -s ' ' | grep -q -- "$refusal alice" &&
    grep -q 'totpctl -u alice enroll --force' "$src/README.md" && ok ||
    bad "README does not say that root's enrollment after the user's own needs --force, with the command"

# README's rollback: sshd's PAM file before the drop-in, the module out of every PAM file before
# the package goes (removing it leaves those stacks refusing everyone).
rollback=$(sed -n '/^## Rolling back/,/^## /p' "$src/README.md")
first() { echo "$rollback" | grep -nF -- "$1" | head -n 1 | cut -d: -f1; }
pamd=$(first '/etc/pam.d/sshd') dropin=$(first 'rm /etc/ssh/sshd_config.d/pam_totp.conf')
check=$(first 'grep -l pam_totp /etc/pam.d/*') remove=$(first 'apt-get remove libpam-totp')
[ -n "$pamd" ] && [ -n "$dropin" ] && [ "$pamd" -lt "$dropin" ] && [ -n "$check" ] && [ -n "$remove" ] &&
    [ "$check" -lt "$remove" ] && echo "$rollback" | grep -qF '/etc/pam.d/sudo' && ok ||
    bad "README has no Rolling back section in the safe order (pam.d, drop-in, reload, sudo, then the package)"

echo "docs: $passed passed, $failed failed"
[ "$failed" = 0 ]
