#!/usr/bin/python3
# Checks what the test SMTP server (smtpd.py) received against the mails
# that were sent: every (Message-Id, recipient) exactly once, and each
# mail's bytes, dot-stuffing undone (the server does it) and CRLF made LF,
# equal to the input file from its header on, without the mbox "From "
# line.
#
#   smtpcheck.py SERVER_DIR MAIL... --rcpt ADDR... [--twice MSGID]...
#
# --twice names a Message-Id expected twice per recipient (the message in
# flight when kser was killed, resent: SMTP's at-least-once boundary).
import argparse
import collections
import glob
import os
import re
import sys


def msgid(data):
    m = re.search(rb"(?im)^message-id:[ \t]*(<[^>\n]*>)", data)
    return m.group(1).decode() if m else None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("server")
    p.add_argument("mails", nargs="+")
    p.add_argument("--rcpt", action="append", required=True)
    p.add_argument("--twice", action="append", default=[])
    a = p.parse_args()

    want = {}
    for path in a.mails:
        data = open(path, "rb").read()
        if data.startswith(b"From "):
            data = data[data.index(b"\n") + 1:]
        want[msgid(data)] = (path, data)

    got = collections.Counter()
    bad = []
    for eml in sorted(glob.glob(os.path.join(a.server, "*.eml"))):
        data = open(eml, "rb").read().replace(b"\r\n", b"\n")
        mid = msgid(data)
        env = open(eml[:-4] + ".env").read().split("\n")
        rcpts = [l[len("RCPT TO:<"):-1] for l in env
                 if l.startswith("RCPT TO:")]
        for r in rcpts:
            got[(mid, r)] += 1
        if mid not in want:
            bad.append("%s: unexpected Message-Id %s" % (eml, mid))
        elif data != want[mid][1]:
            bad.append("%s: bytes differ from %s" % (eml, want[mid][0]))
    for mid in want:
        for r in a.rcpt:
            n = got[(mid, r)]
            expect = 2 if mid in a.twice else 1
            if n != expect:
                bad.append("%s to %s: received %d times, want %d" %
                           (mid, r, n, expect))
    for (mid, r), n in got.items():
        if r not in a.rcpt:
            bad.append("%s went to %s, who should not have it" % (mid, r))
    for b in bad:
        print(b)
    if bad:
        return 1
    print("ok: %d mails, each to %s, exactly as sent" %
          (len(want), ", ".join(a.rcpt)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
