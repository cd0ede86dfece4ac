#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# enroll_80x24.sh: totpctl enroll on a standard 80x24 terminal (tmux): when the question comes,
# the whole QR code is on the screen; the visible pane, turned back into an image, decodes
# (zbarimg) to the URI of the secret that is then enrolled; the scratch codes come after the
# confirmation. On a terminal too small, enroll says so instead of drawing a code that cannot
# be scanned.
set -u
top=${top_builddir:-.}
srcdir=${srcdir:-.}
totpctl=$PWD/$top/totpctl/totpctl
code_tool=$PWD/$top/tests/tools/totp-code
for tool in tmux zbarimg python3; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool not found (README's test command installs it)"; exit 1; }
done
work=$(mktemp -d /tmp/totpctl-80x24.XXXXXX)
session=totp8024_$$
sock=
cleanup() { for s in "$work"/tmux-*.sock; do [ -S "$s" ] && tmux -S "$s" kill-server 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
# wait_for TEXT: until the pane shows TEXT (the program is waiting for input, not for time).
wait_for() {
    for _ in $(seq 900); do
        tmux -S "$sock" capture-pane -p -J -t "$session" >"$work/pane.txt" 2>/dev/null
        grep -q "$1" "$work/pane.txt" && return 0
        sleep 0.1
    done
    return 1
}

echo "system_dir = $work/system" >"$work/pam_totp.conf"
mkdir -m 0700 "$work/system"
run_enroll() { # run_enroll COLUMNS LINES RECORD: a tmux server of its own for each terminal
    sock=$work/tmux-$1x$2.sock
    tmux -S "$sock" -u -f /dev/null new-session -d -s "$session" -x "$1" -y "$2" \
        "env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color HOME=$work $totpctl --conf $work/pam_totp.conf --file $3 enroll --issuer Example --label alice@example.com; echo \"exit=\$?\"; sleep 600"
}

# ---- 80x24: the code, whole, above the question -------------------------------------------
run_enroll 80 24 "$work/record"
wait_for "Code from the app:" || { cat "$work/pane.txt"; bad "no question from enroll"; exit 1; }
cp "$work/pane.txt" "$work/question.txt"
tail -n 1 "$work/question.txt" | grep -q "Code from the app:" && ok || bad "the question is not on the last line"
grep -q "scratch codes" "$work/question.txt" && bad "scratch codes shown before the confirmation" || ok
/usr/bin/env python3 "$srcdir/tests/cli/qr_from_pane.py" "$work/question.txt" "$work/pane.pgm" >/dev/null ||
    bad "no QR code on the screen at the question"
uri=$(zbarimg --raw -q "$work/pane.pgm" 2>/dev/null)
case $uri in
otpauth://totp/Example:alice%40example.com\?secret=*) ok ;;
*) bad "the visible QR code does not decode to the URI (got: $uri)"; cat "$work/question.txt" ;;
esac
secret=$(echo "$uri" | sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p')
# Answer with the code the decoded secret gives: if it is accepted, the QR was the secret.
tmux -S "$sock" send-keys -t "$session" "$("$code_tool" "${secret:-AAAAAAAAAAAAAAAA}")" Enter
wait_for "exit=" || bad "enroll did not finish"
grep -q "exit=0" "$work/pane.txt" && ok || { bad "the code from the decoded QR was refused"; cat "$work/pane.txt"; }
grep -q "scratch codes" "$work/pane.txt" && ok || bad "no scratch codes after the confirmation"
stored=$(HOME=$work "$totpctl" --conf "$work/pam_totp.conf" --file "$work/record" show --json --qr none 2>/dev/null | sed -n 's/.*"secret":"\([A-Z2-7]*\)".*/\1/p')
[ -n "$secret" ] && [ "$stored" = "$secret" ] && ok || bad "the enrolled secret ($stored) is not the QR's ($secret)"

# ---- too small: no unscannable code, a sentence saying what to do ---------------------------
run_enroll 80 16 "$work/record2"
wait_for "Code from the app:" || { cat "$work/pane.txt"; bad "no question on a small terminal"; exit 1; }
grep -q "enlarge the window" "$work/pane.txt" && ok || bad "a small terminal is not told to enlarge"
grep -q "qr-png" "$work/pane.txt" && ok || bad "a small terminal is not told about --qr-png"
grep -q $'\u2580' "$work/pane.txt" && bad "a QR code was drawn that does not fit" || ok
tmux -S "$sock" send-keys -t "$session" C-c

echo "enroll 80x24: $passed passed, $failed failed"
[ "$failed" = 0 ]
