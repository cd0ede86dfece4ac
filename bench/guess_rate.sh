#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# guess_rate.sh: make bench-guess (as root): how fast a guesser who holds the first factor gets
# codes judged through a real sshd with the shipped examples, with and without the throttle.
#
# A throwaway user with a key and a record in a private system store; sshd on 127.0.0.1 with
# examples/sshd_config.snippet (publickey,keyboard-interactive) and examples/pam.d/sshd, pointed
# at this build. CONNECTIONS (4) clients log in with the key and answer every code prompt with
# a wrong code, as fast as sshd lets them, for a bounded time per phase:
#   1. throttle=off nodelay   the module as it was before the throttle (issue 14's figure)
#   2. throttle=off           pam_fail_delay alone (2 s per failed login, per connection)
#   3. the defaults           the throttle (3 free, 15 s doubling to 120 s) and the delay
# Judged guesses are read from the record's FAILURES count (a throttled attempt is not
# counted; the code is the same wrong one every time, so none succeeds), attempts from sshd's
# log. Everything it starts or creates is removed on exit.
set -u
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: guess_rate.sh starts sshd and adds a user: run it as root (make bench-guess)"
    exit 77
fi
for tool in sshd ssh ssh-keygen useradd userdel; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool not found (README's command 2 installs openssh-server)"; exit 1; }
done
top=${top_builddir:-.}
srcdir=${srcdir:-.}
examples=$srcdir/examples
totpctl=$PWD/$top/totpctl/totpctl
module=$PWD/$top/pam_totp/.libs/pam_totp.so
connections=${CONNECTIONS:-4}
off_seconds=${OFF_SECONDS:-60}         # phases 1 and 2
default_seconds=${DEFAULT_SECONDS:-120} # phase 3: long enough for 3 free + 15 + 30 + 60 s
max_logins=100000                       # per client and phase, whatever the clock says
[ -x "$totpctl" ] && [ -f "$module" ] || { echo "FAIL: build first (make)"; exit 1; }

user=totpguess$$
sandbox=$(mktemp -d /tmp/pam_totp-guess.XXXXXX)
chmod 0755 "$sandbox"
service=pam_totp_guess_$$
made_privsep=
cleanup() {
    jobs -p | xargs -r kill 2>/dev/null
    [ -f "$sandbox/sshd.pid" ] && kill "$(cat "$sandbox/sshd.pid")" 2>/dev/null
    wait 2>/dev/null
    rm -f "/etc/pam.d/$service"
    id "$user" >/dev/null 2>&1 && userdel "$user" 2>/dev/null
    rm -rf "$sandbox"
    [ -n "$made_privsep" ] && rmdir /run/sshd 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM
[ -d /run/sshd ] || { mkdir -m 0755 /run/sshd && made_privsep=1; }

useradd -M -d "$sandbox/home" -s /bin/sh "$user" || exit 1
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
        cat "$examples/sshd_config.snippet"
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

echo "sshd $(ssh -V 2>&1 | cut -d, -f1) on 127.0.0.1:$port, $connections connections, key + wrong code"
echo "$(nproc) cores, $(sed -n 's/^model name\t: //p' /proc/cpuinfo | head -1), $(date -u '+%Y-%m-%d %H:%M UTC')"
printf '%-34s %6s %9s %9s %12s\n' "phase" "time" "attempts" "judged" "judged/min"
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
[ -f "$sandbox/success" ] && echo "NOTE: $(wc -l <"$sandbox/success") logins got in (a wrong code matched?)"
exit 0
