# SPDX-License-Identifier: Apache-2.0
# syslog-ns.sh: sourced by root tests and benches: their own /dev/log, in a private mount
# namespace, so that the lines real sshd and sudo write with syslog() (the module's pam_syslog
# lines) can be read back, without touching the host's /dev/log or journal.
#
#   syslog_ns_enter "$0" "$@"   first thing after the root check: re-runs the script in a
#                               private mount namespace (once; a no-op when unshare cannot)
#   syslog_ns_capture FILE      from then on /dev/log appends every line to FILE; 1 when the
#                               script is not in such a namespace (nothing is mounted then)
#
# The namespace's /dev is a tmpfs holding copies of the host's device nodes and binds of its
# directories (pts, shm...), with the test's socket as "log"; it vanishes with the namespace.
# The listener is a small python3 program that exits once the script that started it is gone
# (it is not the script's child, so that the script's bare "wait"s do not wait for it).

syslog_ns_enter() {
    [ -n "${PAM_TOTP_SYSLOG_NS:-}" ] && return 0
    unshare --mount --propagation private true 2>/dev/null || return 0
    PAM_TOTP_SYSLOG_NS=$$ exec unshare --mount --propagation private "$BASH" "$@"
}

syslog_ns_capture() {
    [ "${PAM_TOTP_SYSLOG_NS:-}" = "$$" ] || return 1
    command -v python3 >/dev/null || return 1
    local file=$1 dir e n
    dir=$(mktemp -d /tmp/pam_totp-syslog.XXXXXX) || return 1
    : >"$file"
    # Not a job of the script's shell: its "wait"s for sshd must not wait for the listener.
    (python3 -c '
import os, socket, sys
script = int(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
s.settimeout(1)
with open(sys.argv[2], "ab", buffering=0) as out:
    while os.path.exists("/proc/%d" % script):
        try:
            out.write(s.recv(65536).rstrip(b"\n\0") + b"\n")
        except socket.timeout:
            pass
' "$dir/log" "$file" $$ </dev/null >/dev/null 2>&1 &)
    for _ in $(seq 100); do
        [ -S "$dir/log" ] && break
        sleep 0.05 # waiting for the listener to bind, not for a time step
    done
    [ -S "$dir/log" ] || { rm -rf "$dir"; return 1; }
    mkdir "$dir/dev"
    mount -t tmpfs -o mode=0755 pam_totp_dev "$dir/dev" || { rm -rf "$dir"; return 1; }
    for e in /dev/* /dev/.[!.]*; do
        [ -e "$e" ] || [ -L "$e" ] || continue
        n=${e#/dev/}
        [ "$n" = log ] && continue # the host's (journald's, rsyslog's, or none)
        if [ -d "$e" ] && [ ! -L "$e" ]; then
            mkdir "$dir/dev/$n" && mount --rbind "$e" "$dir/dev/$n"
        else
            cp -a "$e" "$dir/dev/$n"
        fi
    done
    touch "$dir/dev/log"
    mount --bind "$dir/log" "$dir/dev/log" && mount --move "$dir/dev" /dev || { rm -rf "$dir"; return 1; }
    rm -rf "$dir" # /dev/log still reaches the socket: it is bound to its inode, not its name
}
