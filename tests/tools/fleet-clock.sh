# SPDX-License-Identifier: Apache-2.0
# fleet-clock.sh: sourced by the directory tests: two hosts on one directory whose clocks are
# apart, for the fleet's guessing bound. Host a's clock is put ahead (libfaketime on pam-login
# under pam_wrapper), so host b's is behind it; ahead rather than behind, so that a server
# certificate made a minute ago is already valid for both.
#
# fleet_clock_lib: prints the libfaketime to preload, or nothing (and why, on stderr) when it
# cannot be used: not installed, or a sanitizer build (libfaketime and the ASan runtime cannot
# share a process; tests/pam/root_pamtester.sh skips the same way).
# login_ahead SECONDS SERVICE USER ANSWER: pamwrap_login in $services, the clock SECONDS ahead.
# fleet_burst SECONDS A B USER ANSWER N [b]: N answers, alternating between service A (a host
# SECONDS ahead) and service B (this host's clock), A first unless the last argument is b.
# Set fleet_faketime=$(fleet_clock_lib) and services=DIR first.
fleet_clock_lib() {
    local lib
    for lib in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
        [ -e "$lib" ] && break
    done
    if [ ! -e "$lib" ]; then
        echo "libfaketime not found (install faketime)" >&2
        return 1
    fi
    if ldd "$module" "$tools/pam-login" 2>/dev/null | grep -q libasan; then
        echo "sanitizer build (libfaketime and the ASan runtime cannot share pam-login)" >&2
        return 1
    fi
    printf '%s\n' "$lib"
}

login_ahead() {
    local seconds=$1
    shift
    PAMWRAP_PRELOAD=$fleet_faketime FAKETIME="+${seconds}s" FAKETIME_DONT_FAKE_MONOTONIC=1 \
        pamwrap_login "$services" "$@"
}

fleet_burst() {
    local seconds=$1 a=$2 b=$3 user=$4 answer=$5 n=$6 turn=${7:-a} i
    for i in $(seq "$n"); do
        if [ "$turn" = a ]; then
            login_ahead "$seconds" "$a" "$user" "$answer"
            turn=b
        else
            pamwrap_login "$services" "$b" "$user" "$answer"
            turn=a
        fi
    done
}
