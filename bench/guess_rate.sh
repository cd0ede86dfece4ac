#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# guess_rate.sh: make bench-guess (as root): how fast a guesser who holds the first factor gets
# codes judged through a real sshd and sudo with the shipped examples, with and without the
# throttle, answering at full speed or holding prompts open and answering them newest first.
#
# A throwaway user with a key, a password and a record in a private system store; sshd on
# 127.0.0.1 with examples/sshd_config.d/pam_totp.conf (publickey,keyboard-interactive) and
# examples/pam.d/sshd, sudo with examples/pam.d/sudo (system_only), pointed at this build
# (PAM_TOTP_MODULE=... measures another module). PHASES (all by default) picks among:
#   rate: CONNECTIONS (4) clients log in with the key and answer every code prompt with a wrong
#         code, as fast as sshd lets them, for a bounded time per phase:
#     1. throttle=off nodelay   the module as it was before the throttle (issue 14's figure)
#     2. throttle=off           pam_fail_delay alone (2 s per failed login, per connection)
#     3. the defaults           the throttle (3 free, 15 s doubling to 120 s) and the delay
#   held: with the defaults, one code prompt opened a second and held for HELD_SECONDS (60),
#         through sshd and then through sudo (whose prompt never times out), then all answered
#         with a wrong code, newest first, each once the module has decided the one before
#         (issue 21: the module used to judge each answer with the time its prompt opened).
# Judged guesses are read from the record's FAILURES count (a throttled attempt is not
# counted; the code is the same wrong one every time, so none succeeds), attempts from sshd's
# log. The module's lines are read from a /dev/log of the bench's own (tests/tools/devlog.sh).
# Everything it starts or creates is removed on exit.
set -u
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: guess_rate.sh starts sshd and adds a user: run it as root (make bench-guess)"
    exit 77
fi
for tool in sshd ssh ssh-keygen useradd userdel chpasswd sudo visudo runuser; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool not found (README's command 2 installs openssh-server)"; exit 1; }
done
top=${top_builddir:-.}
srcdir=${srcdir:-.}
. "$srcdir/tests/tools/devlog.sh"
devlog_enter "$@" || echo "note: no mount namespaces here: the held phases are skipped"
examples=$srcdir/examples
totpctl=$PWD/$top/totpctl/totpctl
module=${PAM_TOTP_MODULE:-$PWD/$top/pam_totp/.libs/pam_totp.so}
phases=${PHASES:-rate held}
held_seconds=${HELD_SECONDS:-60} # below sshd's LoginGraceTime (120 s), which ends held prompts
connections=${CONNECTIONS:-4}
off_seconds=${OFF_SECONDS:-60}         # phases 1 and 2
default_seconds=${DEFAULT_SECONDS:-120} # phase 3: long enough for 3 free + 15 + 30 + 60 s
max_logins=100000                       # per client and phase, whatever the clock says
[ -x "$totpctl" ] && [ -f "$module" ] || { echo "FAIL: build first (make)"; exit 1; }

user=totpguess$$
sandbox=$(mktemp -d /tmp/pam_totp-guess.XXXXXX)
chmod 0755 "$sandbox"
service=pam_totp_guess_$$
sudo_service=pam_totp_guess_sudo_$$
sudoers=/etc/sudoers.d/pam_totp_guess_$$
made_privsep=
cleanup() {
    jobs -p | xargs -r kill 2>/dev/null
    [ -f "$sandbox/sshd.pid" ] && kill "$(cat "$sandbox/sshd.pid" 2>/dev/null)" 2>/dev/null
    wait 2>/dev/null
    devlog_cleanup
    rm -f "/etc/pam.d/$service" "/etc/pam.d/$sudo_service" "$sudoers"
    id "$user" >/dev/null 2>&1 && userdel "$user" 2>/dev/null
    rm -rf --one-file-system "$sandbox" "/run/sudo/ts/$user"
    [ -n "$made_privsep" ] && rmdir /run/sshd 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM
[ -d /run/sshd ] || { mkdir -m 0755 /run/sshd && made_privsep=1; }

useradd -M -d "$sandbox/home" -s /bin/sh "$user" || exit 1
password="Guess-Bench-$$"
echo "$user:$password" | chpasswd
ssh-keygen -q -t ed25519 -N "" -f "$sandbox/user_key"
mkdir -m 0755 "$sandbox/keys"
install -m 0600 -o "$user" "$sandbox/user_key.pub" "$sandbox/keys/$user"
ssh-keygen -q -t ed25519 -N "" -f "$sandbox/host_key"
mkdir -m 0700 "$sandbox/system"
conf=$sandbox/pam_totp.conf
record=$sandbox/system/$user
echo "system_dir = $sandbox/system" >"$conf"
"$totpctl" --conf "$conf" -u "$user" enroll --no-confirm --qr none >/dev/null ||
    { echo "FAIL: cannot enroll $user"; exit 1; }
sed "s|pam_totp.so|$module conf=$conf|" "$examples/pam.d/sshd" >"/etc/pam.d/$service"
sed "s|pam_totp.so|$module conf=$conf|" "$examples/pam.d/sudo" >"/etc/pam.d/$sudo_service"
printf 'Defaults:%s pam_service=%s\n%s ALL=(ALL) ALL\n' "$user" "$sudo_service" "$user" >"$sandbox/sudoers"
visudo -c -q -f "$sandbox/sudoers" || { echo "FAIL: sudoers drop-in does not parse"; exit 1; }
install -m 0440 "$sandbox/sudoers" "$sudoers"
syslog=
devlog_start "$sandbox/devlog" && syslog=$sandbox/devlog/syslog

ln -s "$(command -v sshd)" "$sandbox/$service" # sshd's PAM service is its program's name
for try in 1 2 3 4 5; do
    port=$((20000 + (RANDOM % 20000)))
    {
        echo "ListenAddress 127.0.0.1"
        echo "Port $port"
        echo "HostKey $sandbox/host_key"
        echo "PidFile $sandbox/sshd.pid"
        echo "AuthorizedKeysFile $sandbox/keys/%u"
        echo "StrictModes no"
        echo "LogLevel VERBOSE"
        echo "MaxStartups 64"
        grep -v '^#' "$examples/sshd_config.d/pam_totp.conf"
    } >"$sandbox/sshd.conf"
    : >"$sandbox/sshd.log"
    "$sandbox/$service" -D -f "$sandbox/sshd.conf" -E "$sandbox/sshd.log" &
    for _ in $(seq 50); do
        grep -q "Server listening" "$sandbox/sshd.log" && break 2
        grep -q "Bind to port" "$sandbox/sshd.log" && break
        sleep 0.1 # waiting for a daemon to come up
    done
    kill %% 2>/dev/null
    wait %% 2>/dev/null
    port=
done
[ -n "$port" ] || { echo "FAIL: sshd did not start"; cat "$sandbox/sshd.log"; exit 1; }

printf '#!/bin/sh\necho 000000\n' >"$sandbox/askpass" # every prompt: the same wrong code
chmod 0755 "$sandbox/askpass"

# guesser SECONDS: log in with the key, answer up to 5 code prompts per connection, repeat.
guesser() {
    local end=$((SECONDS + $1)) n=0
    while [ "$SECONDS" -lt "$end" ] && [ "$n" -lt "$max_logins" ]; do
        SSH_ASKPASS=$sandbox/askpass SSH_ASKPASS_REQUIRE=force timeout 30 ssh -F /dev/null \
            -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=no \
            -o PreferredAuthentications=publickey,keyboard-interactive -o IdentitiesOnly=yes \
            -o NumberOfPasswordPrompts=5 -o LogLevel=QUIET -i "$sandbox/user_key" -p "$port" \
            "$user@127.0.0.1" true </dev/null >/dev/null 2>&1 && echo "GOT IN" >>"$sandbox/success"
        n=$((n + 1))
    done
}

judged_now() { sed -n 's/^" FAILURES \([0-9]*\) .*/\1/p' "$record"; }
attempts_now() { grep -c "Failed keyboard-interactive/pam for $user" "$sandbox/sshd.log"; }

phase() { # phase NAME SECONDS CONF_LINES...
    local name=$1 seconds=$2
    shift 2
    { echo "system_dir = $sandbox/system"; printf '%s\n' "$@"; } >"$conf"
    "$totpctl" --conf "$conf" -u "$user" reset-failures >/dev/null || exit 1
    local before_attempts
    before_attempts=$(attempts_now)
    local start=$SECONDS
    local pids=()
    for _ in $(seq "$connections"); do
        guesser "$seconds" &
        pids+=($!)
    done
    wait "${pids[@]}" # not sshd, also a job of this shell
    local took=$((SECONDS - start)) judged attempts
    judged=$(judged_now)
    judged=${judged:-0}
    attempts=$(($(attempts_now) - before_attempts))
    printf '%-34s %4d s %9d %9d %12s\n' "$name" "$took" "$attempts" "$judged" \
        "$(awk -v j="$judged" -v t="$took" 'BEGIN { printf "%.0f", j * 60 / t }')"
}

# ---- held prompts (PHASES=held) --------------------------------------------------------------
# Each held client reads its answer from a FIFO of its own (answer.SLOT), written once, when it
# is answered: the bench keeps no descriptor open that a later client could inherit.
cat >"$sandbox/held_askpass" <<EOF
#!/bin/sh
: >"$sandbox/held/asked.\$HELD_SLOT"
exec cat "$sandbox/held/answer.\$HELD_SLOT"
EOF
chmod 0755 "$sandbox/held_askpass"
# The module's decisions for the user (this build's logfmt lines, or an older module's).
decisions() { grep -c -E "pam_totp\([^)]*\): (result=)?(accepted|denied) user=$user " "$syslog"; }
held_pids=()
held_open() { # held_open ssh|sudo SLOT: 0 once the client shows the code prompt, held open
    local dir=$sandbox/held k=$2
    mkfifo "$dir/answer.$k"
    if [ "$1" = ssh ]; then
        SSH_ASKPASS=$sandbox/held_askpass SSH_ASKPASS_REQUIRE=force HELD_SLOT=$k timeout 300 ssh \
            -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
            -o BatchMode=no -o PreferredAuthentications=publickey,keyboard-interactive \
            -o IdentitiesOnly=yes -o NumberOfPasswordPrompts=1 -o LogLevel=QUIET \
            -i "$sandbox/user_key" -p "$port" "$user@127.0.0.1" true </dev/null >/dev/null 2>&1 &
    else
        { printf '%s\n' "$password"; cat "$dir/answer.$k"; } |
            timeout 300 runuser -u "$user" -- sudo -S -k true >/dev/null 2>"$dir/err.$k" &
    fi
    held_pids+=($!)
    for _ in $(seq 200); do
        if [ "$1" = ssh ]; then
            [ -e "$dir/asked.$k" ] && return 0
        else
            grep -q "Verification code" "$dir/err.$k" 2>/dev/null && return 0
        fi
        sleep 0.05 # waiting for the prompt to show, not for a time step
    done
    kill "$!" 2>/dev/null
    timeout 2 sh -c ': >"$1"' sh "$dir/answer.$k" # a feeder still waiting: let it go
    return 1
}
held_answer() { # held_answer SLOT: a wrong code; returns once the module has decided
    local before
    before=$(decisions)
    timeout 30 sh -c 'echo 000000 >"$1"' sh "$sandbox/held/answer.$1" || return 1
    for _ in $(seq 600); do
        [ "$(decisions)" -gt "$before" ] && return 0
        sleep 0.05 # waiting for the module's line, not for a time step
    done
    return 1
}
held_phase() { # held_phase ssh|sudo NAME: HELD_SECONDS prompts, a second apart; newest first
    local kind=$1 name=$2 n=0 k s start took judged
    echo "system_dir = $sandbox/system" >"$conf"
    "$totpctl" --conf "$conf" -u "$user" reset-failures >/dev/null || exit 1
    rm -rf "$sandbox/held" && mkdir "$sandbox/held"
    held_pids=()
    start=$SECONDS
    while [ $((SECONDS - start)) -lt "$held_seconds" ]; do
        s=$(date +%s)
        held_open "$kind" $((n + 1)) && n=$((n + 1))
        while [ "$(date +%s)" = "$s" ]; do sleep 0.05; done # each prompt in a second of its own
    done
    for k in $(seq "$n" -1 1); do held_answer "$k" || echo "note: prompt $k: no decision"; done
    wait "${held_pids[@]}" 2>/dev/null
    took=$((SECONDS - start))
    judged=$(judged_now)
    judged=${judged:-0}
    printf '%-34s %4d s %9d %9d %12s\n' "$name" "$took" "$n" "$judged" \
        "$(awk -v j="$judged" -v t="$took" 'BEGIN { printf "%.0f", j * 60 / t }')"
}


echo "sshd $(ssh -V 2>&1 | cut -d, -f1) on 127.0.0.1:$port, $(sudo -V | head -1), module $module"
echo "$(nproc) cores, $(sed -n 's/^model name\t: //p' /proc/cpuinfo | head -1), $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %6s %9s %9s %12s\n' "phase" "time" "attempts" "judged" "judged/min"
case " $phases " in *" rate "*)
    phase "throttle=off nodelay (old main)" "$off_seconds" "throttle = off" "nodelay"
    phase "throttle=off (pam_fail_delay only)" "$off_seconds" "throttle = off"
    phase "defaults (throttle and delay)" "$default_seconds"
    cat <<EOF
With the defaults, the judged count follows the throttle, not the connections: 3 at once,
then at 15, 45 and 105 s, then one every 120 s; a day at that rate is 725 judged codes
(tests/unit/check_throttle.c a_day_of_guessing), an expected 460 days for one success at
6 digits and window 3. Without it, a day at the measured rate of phase 1 is the figure
above times 1440.
EOF
    ;;
esac
case " $phases " in *" held "*)
    if [ -z "$syslog" ]; then
        echo "held phases skipped: no /dev/log of the bench's own to see the module decide"
    else
        held_phase ssh "held sshd: $held_seconds, newest first"
        held_phase sudo "held sudo: $held_seconds, newest first"
        cat <<EOF
Held prompts are judged when answered: however many are held and in whatever order they are
answered, the throttle judges 3 at once, then one after each delay, so a day is the same 725
judged codes as above. Before issue 21's fix (answers judged with the time their prompt
opened; PAM_TOTP_MODULE= an older build shows it) each prompt opened in a second of its own
was judged: about one a second, some 86,000 a day through sudo, which never times it out.
EOF
    fi
    ;;
esac
[ -f "$sandbox/success" ] && echo "NOTE: $(wc -l <"$sandbox/success") logins got in (a wrong code matched?)"
exit 0
