# SPDX-License-Identifier: Apache-2.0
# pamwrap-login.sh: sourced by the directory tests: one login through pam_wrapper, retried when
# pam_wrapper itself could not start.
#
# pamwrap_login SERVICE_DIR SERVICE USER ANSWER: runs $tools/pam-login under pam_wrapper with
# the services of SERVICE_DIR and prints its result line. pam_wrapper copies the services into
# /tmp/pam.X, X one character: of 40 logins started at once some collide, and those exit before
# PAM is even started. Such a login never reached the module, so starting it again is the same
# as starting it a moment later; nothing else is retried.
# pamwrap_exclusive: for the rest of the calling script, no other test's pam_wrapper process
# runs (those share /tmp/pam_totp-pam_wrapper.lock; tests/unit/testutil.c, totpctl.sh), so the
# 40 logins a directory test starts at once can collide only with each other, and those that
# do are restarted below. Best effort: without the lock file, nothing is held.
# pamwrap_shim: ":SHIM" when the tests' syslog shim is built (Makefile.am), else empty: with it
# in LD_PRELOAD, the module's lines (and totpctl's, T() in the tests) go to
# $TOTP_TEST_SYSLOG_FILE, which tests/logs/logfmt_all.sh parses.
# $PAMWRAP_PRELOAD, when set, is preloaded after them (libfaketime: tests/tools/fleet-clock.sh).
# pamwrap_log_mark: prints how many lines $TOTP_TEST_SYSLOG_FILE holds; pamwrap_log_since MARK:
# the lines logged since (the module's, for a test to assert its keys).
pamwrap_shim=
[ -f "${TOTP_TEST_SYSLOG_SHIM:-}" ] && pamwrap_shim=:$TOTP_TEST_SYSLOG_SHIM
pamwrap_exclusive() {
    local lock=/tmp/pam_totp-pam_wrapper.lock
    { : >>"$lock" && chmod 0666 "$lock"; } 2>/dev/null
    exec 9<"$lock" 2>/dev/null && flock -w 300 -x 9
}

# Returns pam-login's exit status: 0 only for PAM_SUCCESS, 1 for any other PAM result (and for a
# harness that never started), more than 128 if it died of a signal.
pamwrap_login() {
    local dir=$1 out err try status
    shift
    err=$(mktemp "${TMPDIR:-/tmp}/pamwrap-login.XXXXXX") || return 1
    for try in 1 2 3 4 5 6 7 8; do
        out=$(LD_PRELOAD=libpam_wrapper.so$pamwrap_shim${PAMWRAP_PRELOAD:+:$PAMWRAP_PRELOAD} \
            PAM_WRAPPER_USE_SYSLOG=${pamwrap_shim:+1} \
            PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=$dir \
            PAM_WRAPPER_DISABLE_DEEPBIND=1 UID_WRAPPER_DISABLE_DEEPBIND=1 \
            "$tools/pam-login" "$@" 2>"$err")
        status=$?
        [ -z "$out" ] && grep -q "pwrap_init" "$err" || break
    done
    rm -f "$err"
    [ -z "$out" ] || printf '%s\n' "$out"
    return "$status"
}

pamwrap_log_mark() {
    if [ -f "${TOTP_TEST_SYSLOG_FILE:-}" ]; then wc -l <"$TOTP_TEST_SYSLOG_FILE"; else echo 0; fi
}

pamwrap_log_since() {
    [ -f "${TOTP_TEST_SYSLOG_FILE:-}" ] && tail -n "+$(($1 + 1))" "$TOTP_TEST_SYSLOG_FILE"
}
