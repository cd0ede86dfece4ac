#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# logfmt_check.py: parse syslog lines the tests collected ("<PRI>IDENT: MESSAGE", one a line)
# with a strict logfmt parser and the Fluent Bit prefix regex of examples/fluent-bit; print
# every line that does not parse and exit 1 if any, or if a file has fewer lines than asked.
#
# usage: logfmt_check.py PARSERS_CONF FILE:MINIMUM...
#   pam_totp's lines are those whose MESSAGE starts "pam_totp(" (the module, through
#   pam_syslog) and those of ident totpctl (its audit lines); other programs' lines in the
#   same file (pam_unix, sudo) are not ours and are skipped. MINIMUM counts pam_totp's lines.
import json
import re
import sys

DECISION = ["result", "user", "service", "rhost", "reason", "record"]
AUDIT = ["action", "result", "user", "store", "record", "how", "actor", "actor_uid",
         "sudo_user", "service", "rhost", "reason"]
RESULTS = {"accepted", "denied", "ignored", "throttled", "error", "warning", "debug"}
AUDIT_RESULTS = {"ok", "failed", "refused"}
LOG_AUTHPRIV = 10

LINE = re.compile(r"<(\d+)>([^:\s]+): (.*)\Z", re.S)
KEY = re.compile(r"[a-z_]+\Z")
BARE = re.compile(r'[!#-<>-\[\]-~]+')  # printable ASCII but space, '"', '=' and '\'
QUOTED = re.compile(r'"(?:[^"\\\x00-\x1f\x7f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"')


def logfmt(text):
    """[(key, value)] of strict logfmt, or raise ValueError naming the first fault."""
    pairs, i = [], 0
    while True:
        eq = text.find("=", i)
        if eq < 0:
            raise ValueError("a bare word at column %d: %r" % (i, text[i:i + 30]))
        key = text[i:eq]
        if not KEY.match(key):
            raise ValueError("key %r is not [a-z_]+" % key)
        i = eq + 1
        m = QUOTED.match(text, i) if text.startswith('"', i) else BARE.match(text, i)
        if m is None:
            raise ValueError("the value of %s= is neither bare nor a quoted string" % key)
        raw = m.group(0)
        value = json.loads(raw) if raw.startswith('"') else raw
        pairs.append((key, value))
        i = m.end()
        if i == len(text):
            return pairs
        if text[i] != " " or i + 1 == len(text) or text[i + 1] == " ":
            raise ValueError("after %s=%s: not one space and the next key" % (key, raw))
        i += 1


def prefix_regex(conf):
    """The pam_totp_prefix regex of the shipped parsers file, in Python's spelling."""
    name = None
    for line in open(conf, encoding="utf-8"):
        words = line.split(None, 1)
        if len(words) == 2 and words[0] == "Name":
            name = words[1].strip()
        if len(words) == 2 and words[0] == "Regex" and name == "pam_totp_prefix":
            return re.compile(words[1].strip().replace("(?<", "(?P<"), re.S)
    sys.exit("%s: no Regex for pam_totp_prefix" % conf)


def check_line(line, regex):
    """None if `line` is not pam_totp's, else (kind, problem or None)."""
    m = LINE.match(line)
    if m is None:
        return ("?", "not \"<PRI>IDENT: MESSAGE\"") if "pam_totp" in line else None
    pri, ident, message = int(m.group(1)), m.group(2), m.group(3)
    if not message.startswith("pam_totp(") and ident != "totpctl":
        return None
    kind = "module" if message.startswith("pam_totp(") else "totpctl"
    if pri >> 3 != LOG_AUTHPRIV:
        return kind, "facility %d, not authpriv" % (pri >> 3)
    fb = regex.match(message)
    if fb is None:
        return kind, "the Fluent Bit regex pam_totp_prefix does not match"
    if (fb.group("service") is None) != (kind == "totpctl"):
        return kind, "the Fluent Bit regex took the prefix wrongly"
    try:
        pairs = logfmt(fb.group("logfmt"))
    except ValueError as e:
        return kind, str(e)
    keys = [k for k, _ in pairs]
    values = dict(pairs)
    if keys == DECISION and kind == "module":
        if values["result"] not in RESULTS:
            return kind, "result=%s is not one of %s" % (values["result"], sorted(RESULTS))
        if values["service"] not in ("-", fb.group("service")):
            return kind, "service=%s but the prefix says %s" % (values["service"],
                                                                  fb.group("service"))
        return "decision", None
    if keys == AUDIT:
        if values["result"] not in AUDIT_RESULTS:
            return kind, "result=%s is not ok, failed or refused" % values["result"]
        if values["how"] not in ("user", "admin", "login"):
            return kind, "how=%s" % values["how"]
        if kind == "totpctl" and (pri & 7) != (5 if values["result"] == "ok" else 4):
            return kind, "level %d for result=%s" % (pri & 7, values["result"])
        return "audit", None
    return kind, "keys %s, not those of a decision (%s) or audit line (%s)" % (
        " ".join(keys), " ".join(DECISION), " ".join(AUDIT))


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: logfmt_check.py PARSERS_CONF FILE:MINIMUM...")
    regex = prefix_regex(sys.argv[1])
    bad = 0
    total = {"decision": 0, "audit": 0}
    for arg in sys.argv[2:]:
        path, _, minimum = arg.rpartition(":")
        ours = 0
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            for n, line in enumerate(f, 1):
                got = check_line(line.rstrip("\n"), regex)
                if got is None:
                    continue
                ours += 1
                kind, problem = got
                if problem is not None:
                    bad += 1
                    print("FAIL: %s:%d: %s: %s" % (path, n, problem, line.rstrip("\n")))
                else:
                    total[kind] += 1
        if ours < int(minimum):
            bad += 1
            print("FAIL: %s: %d pam_totp lines, fewer than the %s its test makes" %
                  (path, ours, minimum))
        print("%s: %d pam_totp lines" % (path, ours))
    print("logfmt: %d decision lines, %d audit lines parsed; %d problems" %
          (total["decision"], total["audit"], bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
