# SPDX-License-Identifier: Apache-2.0
# held_prompts.sh: sourced by sshd_sudo.sh, which calls held_prompts once its own set-up (user,
# record, sshd_config, sudoers drop-in, captured syslog) is made: code prompts held open through
# the real sudo and sshd and answered later, in every order (issue 21 point 1). Each answer is
# judged with the time it arrives, so however the prompts were opened, the throttle judges as
# many codes as it would one login after another, and a code is judged against its answer's
# window.
#
# The throttle is made long (3 free, then 3600 s) so that no real time matters, and reset
# between orders. sshd's clock is moved by tests/tools/clock-preload.c (an offset in a file the
# test rewrites; libfaketime cannot: sshd empties its PAM process's environment); sudo is
# setuid and ignores LD_PRELOAD, so its prompts are opened in distinct real seconds (a wait
# for the next wall-clock second between opens, not for a TOTP step). The module's lines are
# read from the syslog that sshd_sudo.sh captures (tests/tools/devlog.sh).

# shellcheck shell=bash disable=SC2154,SC2034 # the variables and sshd_env are sshd_sudo.sh's
held_n=8 # prompts held per order

# The module's decision lines for this user (one per answer: accepted or denied).
held_decisions() { grep -c -E "pam_totp\\([^)]*\\): result=(accepted|denied) user=$user " "$held_syslog"; }
held_count() { # held_count SERVICE 'REASON PREFIX': denied lines of that service and reason
    grep -F "pam_totp($1:auth): result=denied user=$user " "$held_syslog" | grep -c -F "reason=\"$2"
}
held_sshd_maxtries() { # sshd's line for PAM_MAXTRIES (pam_strerror's text)
    [ -f "$sandbox/sshd_held.log" ] || { echo 0; return; }
    grep -c "PAM: Have exhausted maximum number of retries for service for $user " "$sandbox/sshd_held.log"
}
held_failures() { sed -n 's/^" FAILURES \([0-9]*\) .*/\1/p' "$sandbox/system/$user"; }

# Wait (bounded) until the module has logged one more decision than $1.
held_wait_decision() {
    for _ in $(seq 600); do
        [ "$(held_decisions)" -gt "$1" ] && return 0
        sleep 0.05 # waiting for another process to log, not for a time step
    done
    echo "FAIL: no decision logged by the module within 30 s"
    return 1
}
held_wait_file() { # held_wait_file FILE [TEXT]: until FILE exists (and holds TEXT)
    for _ in $(seq 600); do
        [ -e "$1" ] && { [ -z "${2:-}" ] || grep -q -F "$2" "$1"; } && return 0
        sleep 0.05 # waiting for a prompt to appear, not for a time step
    done
    echo "FAIL: $1 did not appear${2:+ with \"$2\"} within 30 s"
    [ -f "$1" ] && sed 's/^/    /' "$1"
    return 1
}
held_next_second() { # distinct seconds for the module's "now" at each question (old module)
    local s
    s=$(date +%s)
    while [ "$(date +%s)" = "$s" ]; do sleep 0.05; done
}

# Each held client reads its answer from a FIFO of its own (answer.SLOT), which the test
# writes once, when it answers: the test keeps no descriptor open that a later client could
# inherit (and so keep a FIFO from reaching EOF).
declare -A held_pid
held_answer() { # held_answer SLOT CODE: give the answer, wait until the module decided
    local before
    before=$(held_decisions)
    timeout 30 sh -c 'printf "%s\n" "$2" >"$1"' sh "$held_dir/answer.$1" "$2" ||
        { echo "FAIL: the client of held prompt $1 is gone"; return 1; }
    held_wait_decision "$before"
}

# ---- sudo: runuser -u USER sudo -S, stdin the password, then the answer when it comes. No -p:
# sudo would put its prompt in place of every prompt, the module's "Verification code" too.
held_sudo_open() { # held_sudo_open SLOT: the password is given, the code prompt left open
    local k=$1
    mkfifo "$held_dir/answer.$k"
    { printf '%s\n' "$password"; cat "$held_dir/answer.$k"; } |
        runuser -u "$user" -- sudo -S -k id -un >"$held_dir/out.$k" 2>"$held_dir/err.$k" &
    held_pid[$k]=$!
    held_wait_file "$held_dir/err.$k" "Verification code"
}

# ---- sshd: each client's askpass says it was asked, then reads its answer ------------------
held_ssh_open() { # held_ssh_open SLOT: key accepted, code prompt open
    local k=$1
    mkfifo "$held_dir/answer.$k"
    SSH_ASKPASS=$held_dir/askpass SSH_ASKPASS_REQUIRE=force HELD_SLOT=$k timeout 120 ssh -F /dev/null \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=no \
        -o PreferredAuthentications=publickey,keyboard-interactive -o IdentitiesOnly=yes \
        -o NumberOfPasswordPrompts=1 -i "$sandbox/user_key" -p "$port" "$user@127.0.0.1" \
        'echo "logged in as $(id -un)"' </dev/null >"$held_dir/out.$k" 2>"$held_dir/err.$k" &
    held_pid[$k]=$!
    held_wait_file "$held_dir/asked.$k"
}

held_reap() { # held_reap [SLOTS...]: wait for these clients (all if none), forget them
    local k
    [ $# -gt 0 ] || set -- "${!held_pid[@]}"
    for k in "$@"; do
        [ -n "${held_pid[$k]:-}" ] && wait "${held_pid[$k]}" 2>/dev/null
        unset "held_pid[$k]"
    done
}
held_abort() { # a step failed: answer every prompt still open with a wrong code, reap
    local k
    for k in "${!held_pid[@]}"; do
        [ -p "$held_dir/answer.$k" ] && timeout 5 sh -c 'echo 000000 >"$1"' sh "$held_dir/answer.$k"
    done
    held_reap
    return 1
}

# held_order KIND SERVICE NAME SLOTS...: answer the open prompts SLOTS (in that order) with a
# wrong code; a slot "w" is a fresh login with a wrong code in between. Then a fresh login with
# the right code. Exactly 3 wrong codes are judged; every other answer is refused unjudged.
held_order() {
    local kind=$1 svc=$2 name=$3 k wrong0 many0 maxtries0 total=0 first_fresh=$((held_fresh + 1))
    shift 3
    wrong0=$(held_count "$svc" "wrong code")
    many0=$(held_count "$svc" "too many attempts")
    maxtries0=$(held_sshd_maxtries)
    for k in "$@"; do
        total=$((total + 1))
        if [ "$k" = w ]; then
            "held_${kind}_fresh" 000000
        else
            held_answer "$k" 000000
        fi
    done
    "held_${kind}_fresh" "$("$code_tool" "$secret")"
    check "$name: $total wrong answers, 3 judged" 3 $(($(held_count "$svc" "wrong code") - wrong0))
    check "$name: the other $((total - 3)) and the right code refused unjudged" $((total - 2)) \
        $(($(held_count "$svc" "too many attempts") - many0))
    check "$name: the record counts 3 failures" 3 "$(held_failures)"
    for k in $(seq "$first_fresh" "$held_fresh"); do set -- "$@" "fresh$k"; done
    held_reap "$@" # the clients end once sshd or sudo has answered (after pam_fail_delay)
    # sshd ends the connection on PAM_MAXTRIES, the throttle's answer, and says so.
    [ "$kind" = ssh ] && check "$name: sshd logged PAM's maximum of retries for each" \
        $((total - 2)) $(($(held_sshd_maxtries) - maxtries0))
    "$totpctl" --conf "$conf" -u "$user" reset-failures >/dev/null
}
# A fresh login with CODE, left to end in the background once the module has decided (sudo's
# and sshd's end of a refusal waits for pam_fail_delay's 2 s).
held_fresh=0
held_sudo_fresh() {
    local before
    before=$(held_decisions)
    sudo_as_user "$password" "$1" &
    held_pid[fresh$((held_fresh += 1))]=$!
    held_wait_decision "$before"
}
held_ssh_fresh() {
    local before
    before=$(held_decisions)
    answer "$1" ""
    ssh_login publickey,keyboard-interactive &
    held_pid[fresh$((held_fresh += 1))]=$!
    held_wait_decision "$before"
}

held_prompts() {
    held_syslog=$syslog
    if [ -z "$held_syslog" ]; then
        echo "SKIP: held prompts: no private mount namespace to read the module's log in"
        return 0
    fi
    held_dir=$sandbox/held
    mkdir -p "$held_dir"
    local conf=$sandbox/held.conf k slots g
    printf 'system_dir = %s\nthrottle = 3,3600,3600\n' "$sandbox/system" >"$conf"
    secret=$(enroll)

    # ---- sudo: 3 groups (a, b, c) of 8 prompts; each second one more of each group opens ---
    install_pam "$examples/pam.d/sudo" "$sudo_service"
    for k in $(seq "$held_n"); do
        for g in a b c; do held_sudo_open "$g$k" || held_abort || return 1; done
        held_next_second
    done
    slots=()
    for k in $(seq "$held_n" -1 1); do slots+=("a$k"); done
    held_order sudo "$sudo_service" "sudo, $held_n held prompts answered newest first" "${slots[@]}"
    slots=()
    for k in $(seq "$held_n"); do slots+=("b$k"); done
    held_order sudo "$sudo_service" "sudo, $held_n held prompts answered oldest first" "${slots[@]}"
    held_order sudo "$sudo_service" "sudo, held prompts interleaved with fresh wrong codes" \
        c5 w c8 c1 w c7 c2 c6 w c3 c4
    # sudo takes PAM_MAXTRIES as a failed attempt: it says so and asks for the password again.
    grep -q "Sorry, try again" "$held_dir/err.a1"
    check "sudo: a throttled answer is a failed attempt (\"Sorry, try again\")" 0 $?
    check "sudo: no held prompt elevated" "" "$(cat "$held_dir"/out.* 2>/dev/null)"
    rm -f "$held_dir"/*

    # ---- sshd, its clock moved by tests/tools/clock-preload.c --------------------------------
    local preload=$PWD/$top/tests/tools/.libs/clock-preload.so
    [ -f "$preload" ] || { echo "FAIL: $preload not built (make)"; return 1; }
    echo "+0" >"$held_dir/clock"
    cat >"$held_dir/askpass" <<EOF
#!/bin/sh
: >"$held_dir/asked.\$HELD_SLOT"
exec cat "$held_dir/answer.\$HELD_SLOT"
EOF
    chmod 0755 "$held_dir/askpass"
    install_pam "$examples/pam.d/sshd" "$ssh_service"
    sshd_env="LD_PRELOAD=$preload PAM_TOTP_TEST_CLOCK=$held_dir/clock" start_sshd held "" '$a MaxStartups 64'
    # One order at a time (sshd's MaxStartups drops unauthenticated connections beyond 10):
    # each prompt opened 10 s of sshd's clock after the one before, all answered at the last.
    local order
    for order in "newest first" "oldest first" "interleaved with fresh wrong codes"; do
        for k in $(seq "$held_n"); do
            echo "+$((k * 10))" >"$held_dir/clock"
            held_ssh_open "$k" || held_abort || return 1
        done
        case $order in
        newest*) held_order ssh "$ssh_service" "sshd, $held_n held prompts answered $order" $(seq "$held_n" -1 1) ;;
        oldest*) held_order ssh "$ssh_service" "sshd, $held_n held prompts answered $order" $(seq "$held_n") ;;
        *) held_order ssh "$ssh_service" "sshd, held prompts $order" 5 w 8 1 w 7 2 6 w 3 4 ;;
        esac
        rm -f "$held_dir"/asked.* "$held_dir"/answer.*
    done
    check "sshd: no held prompt logged in" "" "$(cat "$held_dir"/out.* 2>/dev/null)"

    # A prompt held 70 s: the code of the second it was opened is refused, the code of the
    # second it is answered accepted.
    rm -f "$held_dir"/asked.* "$held_dir"/answer.* "$held_dir"/out.* "$held_dir"/err.*
    echo "+0" >"$held_dir/clock"
    held_ssh_open old && held_ssh_open new || held_abort || return 1
    local opened
    opened=$(date +%s)
    echo "+70" >"$held_dir/clock"
    held_answer old "$("$code_tool" "$secret" "$opened")"
    held_answer new "$("$code_tool" "$secret" $(($(date +%s) + 70)))"
    held_reap
    check "sshd: a prompt held 70 s refuses the code of its opening" "" "$(cat "$held_dir/out.old")"
    check "sshd: ... and accepts the code of its answer" "logged in as $user" "$(cat "$held_dir/out.new")"
    stop_sshd held
    sshd_env=
    secret=$(enroll) # a fresh record: the last one accepted a code 70 s ahead
}
