# SPDX-License-Identifier: Apache-2.0
# devlog.sh: sourced by root tests: a /dev/log of the test's own, so that what real programs
# (totpctl, sshd, sudo and the module in them) send to syslog is the test's to read, whether or
# not the host runs journald or rsyslog, and without touching the host's /dev/log.
#
# devlog_enter "$@": at the top of the script: runs the script again in a private mount
# namespace (unshare -m); returns there. Returns 1 if namespaces are not available.
# devlog_start DIR: in that namespace, /dev/log becomes a socket in DIR (an overlay over /dev
# holds it; /dev/pts and /dev/shm stay the host's) and every datagram is appended to
# DIR/syslog as "<PRI>IDENT: MESSAGE" (the timestamp and [PID] dropped). Returns 1 on failure.
# devlog_stop: every datagram sent so far is in DIR/syslog, and the listener is gone.
# devlog_cleanup: also /dev back as it was, before DIR is removed (rm -rf --one-file-system).
devlog_enter() {
    [ -n "${PAM_TOTP_DEVLOG_NS:-}" ] && return 0
    unshare -m --propagation private true 2>/dev/null || return 1
    PAM_TOTP_DEVLOG_NS=1 exec unshare -m --propagation private "$BASH" "$0" "$@"
}

devlog_pid=
devlog_dir=
devlog_start() {
    local dir=$1 m
    [ -n "${PAM_TOTP_DEVLOG_NS:-}" ] || return 1
    devlog_dir=$dir
    mkdir -p "$dir/devfs" && mount -t tmpfs tmpfs "$dir/devfs" || return 1
    mkdir "$dir/devfs/upper" "$dir/devfs/work" || return 1
    # /dev/pts and /dev/shm (mounts of their own) are moved onto the overlay, never left
    # anywhere under DIR, where a cleanup could reach into them.
    for m in pts shm mqueue hugepages; do
        mountpoint -q "/dev/$m" 2>/dev/null || continue
        mkdir "$dir/devfs/$m" && mount --rbind "/dev/$m" "$dir/devfs/$m" || return 1
    done
    mount -t overlay overlay -o "lowerdir=/dev,upperdir=$dir/devfs/upper,workdir=$dir/devfs/work" /dev || return 1
    for m in pts shm mqueue hugepages; do
        [ -d "$dir/devfs/$m" ] && { mount --move "$dir/devfs/$m" "/dev/$m" || return 1; }
    done
    : >"$dir/syslog"
    cat >"$dir/devlog.py" <<'EOF'
import os, re, signal, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
out = open(sys.argv[2], "ab", buffering=0)
# glibc's syslog(3): "<PRI>Mmm dd hh:mm:ss IDENT[PID]: MESSAGE"
head = re.compile(rb"<(\d+)>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d ([^\s:\[]+)(?:\[\d+\])?: ", re.S)
def write(data):
    m = head.match(data)
    line = b"<%s>%s: %s" % (m.group(1), m.group(2), data[m.end():]) if m else data
    out.write(line.rstrip(b"\n") + b"\n")  # a raw newline inside splits it: the check fails
def drain(*_):
    s.setblocking(False)
    try:
        while True:
            write(s.recv(65536))
    except BlockingIOError:
        out.close()
        open(sys.argv[1] + ".done", "w").close()
        sys.exit(0)
signal.signal(signal.SIGTERM, drain)
with open(sys.argv[1] + ".ready", "w") as ready:
    ready.write(str(os.getpid()))
while True:
    write(s.recv(65536))
EOF
    # Not a child of the test's shell: a script's bare "wait" (for its daemons) must not wait
    # for the listener too.
    (python3 "$dir/devlog.py" "$dir/devlog.sock" "$dir/syslog" </dev/null >/dev/null 2>&1 &)
    for _ in $(seq 100); do
        [ -s "$dir/devlog.sock.ready" ] && break
        sleep 0.05 # waiting for the listener to come up, not for a time step
    done
    [ -s "$dir/devlog.sock.ready" ] || return 1
    devlog_pid=$(cat "$dir/devlog.sock.ready")
    rm -f /dev/log && ln -s "$dir/devlog.sock" /dev/log
}

devlog_stop() {
    [ -n "$devlog_pid" ] || return 0
    kill -TERM "$devlog_pid" 2>/dev/null
    for _ in $(seq 200); do
        [ -e "$devlog_dir/devlog.sock.done" ] && break
        sleep 0.05 # waiting for the listener to drain its socket, not for a time step
    done
    devlog_pid=
}

# devlog_cleanup: the listener stopped, the overlay and its tmpfs unmounted (in this namespace),
# so that DIR can be removed.
devlog_cleanup() {
    devlog_stop
    [ -n "$devlog_dir" ] || return 0
    if mountpoint -q "$devlog_dir/devfs" 2>/dev/null; then
        umount -l /dev 2>/dev/null
        umount -l "$devlog_dir/devfs" 2>/dev/null
    fi
    devlog_dir=
}
