# SPDX-License-Identifier: Apache-2.0
# pamwrap-login.sh: sourced by the directory tests: one login through pam_wrapper, retried when
# pam_wrapper itself could not start.
#
# pamwrap_login SERVICE_DIR SERVICE USER ANSWER: runs $tools/pam-login under pam_wrapper with
# the services of SERVICE_DIR and prints its result line. pam_wrapper copies the services into
# /tmp/pam.X, X one character: of 40 logins started at once some collide, and those exit before
# PAM is even started. Such a login never reached the module, so starting it again is the same
# as starting it a moment later; nothing else is retried.
# Returns pam-login's exit status: 0 only for PAM_SUCCESS, 1 for any other PAM result (and for a
# harness that never started), more than 128 if it died of a signal.
pamwrap_login() {
    local dir=$1 out err try status
    shift
    err=$(mktemp "${TMPDIR:-/tmp}/pamwrap-login.XXXXXX") || return 1
    for try in 1 2 3 4 5 6 7 8; do
        out=$(LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=$dir \
            PAM_WRAPPER_DISABLE_DEEPBIND=1 UID_WRAPPER_DISABLE_DEEPBIND=1 \
            "$tools/pam-login" "$@" 2>"$err")
        status=$?
        [ -z "$out" ] && grep -q "pwrap_init" "$err" || break
    done
    rm -f "$err"
    [ -z "$out" ] || printf '%s\n' "$out"
    return "$status"
}
