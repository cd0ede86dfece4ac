#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# pty_login.py: a person at a terminal logging in (ssh, sudo) on a pseudo-terminal: answers each
# prompt as it comes, reads the enrollment QR code off the screen like a phone (zbarimg) and
# types the code its secret gives; the whole conversation is kept.
#
# Usage: pty_login.py [options] DIR -- COMMAND [ARGS...]
#   --password PW       the answer to a password prompt
#   --code CODE         the answer to "Verification code: "
#   --code-tool PATH    tests/tools/totp-code: computes the code of the decoded secret
#   --qr-tool PATH      tests/cli/qr_from_pane.py
# DIR receives: transcript (everything the terminal showed), and when an enrollment was
# offered: qr_prompt.txt (the prompt's text), qr.pgm, uri (what zbarimg decoded), secret,
# scratch (the scratch codes shown). Exits with COMMAND's status (124: a prompt nobody knows
# how to answer, or no prompt and no exit within 30 s).
import os
import pty
import re
import select
import subprocess
import sys
import time

ENROLL_QUESTIONS = ("Code from the app: ", "(press Enter to keep the old one): ")


def decode_qr(args, directory, text):
    """The secret of the QR code in `text`, as a phone scanning the screen would read it."""
    with open(os.path.join(directory, "qr_prompt.txt"), "w", encoding="utf-8") as f:
        f.write(text)
    pgm = os.path.join(directory, "qr.pgm")
    subprocess.run([sys.executable, args["qr-tool"], "--invert", f.name, pgm],
                   stdout=subprocess.DEVNULL, check=False)
    uri = subprocess.run(["zbarimg", "--raw", "-q", pgm], capture_output=True, text=True,
                         check=False).stdout.strip()
    with open(os.path.join(directory, "uri"), "w", encoding="utf-8") as f:
        f.write(uri + "\n")
    m = re.search(r"[?&]secret=([A-Z2-7]+)", uri)
    secret = m.group(1) if m else ""
    with open(os.path.join(directory, "secret"), "w", encoding="utf-8") as f:
        f.write(secret + "\n")
    return secret


def code_of(args, secret):
    if not secret:
        return "000000"
    return subprocess.run([args["code-tool"], secret], capture_output=True, text=True,
                          check=False).stdout.strip()


def answer_for(args, directory, shown):
    """The answer to the prompt `shown` ends with, or None while it is not a known prompt."""
    text = shown.replace("\r", "")
    if text.endswith(ENROLL_QUESTIONS):
        return code_of(args, decode_qr(args, directory, text))
    if text.endswith("press Enter: "):
        with open(os.path.join(directory, "scratch"), "w", encoding="utf-8") as f:
            f.write("".join(c + "\n" for c in re.findall(r"^\s+(\d{8})$", text, re.M)))
        return ""
    if text.endswith("Verification code: "):
        return args.get("code", "000000")
    if re.search(r"[Pp]assword[^:\n]*: $", text):
        return args.get("password", "")
    return None


def main():
    argv = sys.argv[1:]
    args = {}
    while argv and argv[0].startswith("--") and argv[0] != "--":
        args[argv[0][2:]] = argv[1]
        argv = argv[2:]
    directory, command = argv[0], argv[2:]
    os.makedirs(directory, exist_ok=True)
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    transcript, shown = b"", b""
    deadline = time.monotonic() + 30
    while True:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            status = 124
            break
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the command closed the terminal
            data = b""
        if not data:
            status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
            break
        transcript += data
        shown += data
        answer = answer_for(args, directory, shown.decode("utf-8", "replace"))
        if answer is not None:
            os.write(fd, answer.encode() + b"\n")
            shown = b""
            deadline = time.monotonic() + 30
    with open(os.path.join(directory, "transcript"), "wb") as f:
        f.write(transcript)
    return status if status >= 0 else 128 - status


sys.exit(main())
