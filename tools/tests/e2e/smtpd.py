#!/usr/bin/python3
# A real SMTP server on loopback for kser send's tests (Debian's aiosmtpd),
# with faults to inject. Run with /usr/bin/python3 (Debian's modules).
#
#   smtpd.py --out DIR --port-file FILE [FAULTS] [--timeout S]
#
# Listens on 127.0.0.1 on a free port and writes the port to FILE. Every
# message accepted is stored as DIR/NNNN.eml (the data as received, dot
# stuffing undone, CRLF kept) with its envelope in DIR/NNNN.env; DIR/log
# has one line per event. Numbering goes on from what DIR already holds,
# so a restarted server adds to the same count.
#
# Faults count SMTP transactions (MAIL FROM commands) from 1, per server:
#   --drop-after K      close the connection once transaction K is accepted
#   --drop-in-data K    close, without answering or storing, at the end of
#                       transaction K's data
#   --tempfail-data K   451 at the end of transaction K's data (not stored)
#   --stall-rcpt K      never answer transaction K's first RCPT (writes
#                       DIR/stalled)
#   --stall-eod K       store transaction K, then never answer its end of
#                       data (writes DIR/stalled)
#   --quota N           452 to MAIL FROM once N messages were accepted
#   --reject-rcpt ADDR  550 to RCPT TO:<ADDR> (repeatable)
#   --defer-rcpt ADDR   450 to RCPT TO:<ADDR>, the first time only
#   --auth USER:PASS    require AUTH with these credentials
#   --starttls CERT KEY offer and require STARTTLS
#   --smtps CERT KEY    implicit TLS
# The server stops by itself after --timeout seconds (default 300), and on
# SIGTERM.
import argparse
import asyncio
import os
import re
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--timeout", type=float, default=300)
    for name in ("drop-after", "drop-in-data", "tempfail-data",
                 "stall-rcpt", "stall-eod", "quota"):
        p.add_argument("--" + name, type=int, default=0)
    p.add_argument("--reject-rcpt", action="append", default=[])
    p.add_argument("--defer-rcpt", action="append", default=[])
    p.add_argument("--auth")
    p.add_argument("--starttls", nargs=2)
    p.add_argument("--smtps", nargs=2)
    return p.parse_args()


class Handler:
    def __init__(self, args):
        self.args = args
        self.out = args.out
        self.transactions = 0
        self.deferred = set()
        self.accepted = len([f for f in os.listdir(self.out)
                             if f.endswith(".eml")])

    def log(self, line):
        with open(os.path.join(self.out, "log"), "a") as f:
            f.write(line + "\n")

    def stalled(self, what):
        self.log("stalled " + what)
        with open(os.path.join(self.out, "stalled"), "w") as f:
            f.write(what + "\n")

    async def handle_EHLO(self, server, session, envelope, hostname,
                          responses):
        session.host_name = hostname
        self.log("ehlo %s" % hostname)
        return responses

    async def handle_MAIL(self, server, session, envelope, address,
                          mail_options):
        self.transactions += 1
        session.kser_transaction = self.transactions
        if self.args.quota and self.accepted >= self.args.quota:
            self.log("quota %s" % address)
            return "452 4.5.3 quota exceeded, try again later"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        t = getattr(session, "kser_transaction", 0)
        if t == self.args.stall_rcpt and not envelope.rcpt_tos:
            self.stalled("rcpt %d" % t)
            await asyncio.sleep(3600)
        if address in self.args.reject_rcpt:
            self.log("rejected %s" % address)
            return "550 5.1.1 <%s>: no such user" % address
        if address in self.args.defer_rcpt and address not in self.deferred:
            self.deferred.add(address)
            self.log("deferred %s" % address)
            return "450 4.2.1 <%s>: mailbox busy, try later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        t = getattr(session, "kser_transaction", 0)
        data = envelope.original_content
        m = re.search(rb"(?im)^message-id:[ \t]*(<[^>\r\n]*>)", data)
        msgid = m.group(1).decode() if m else "-"
        if t == self.args.drop_in_data:
            self.log("dropped-in-data %d %s" % (t, msgid))
            server.transport.abort()
            return "421 closing"
        if t == self.args.tempfail_data:
            self.log("tempfail %d %s" % (t, msgid))
            return "451 4.3.0 temporary failure, try again"
        self.accepted += 1
        base = os.path.join(self.out, "%04d" % self.accepted)
        with open(base + ".eml", "wb") as f:
            f.write(data)
        with open(base + ".env", "w") as f:
            f.write("MAIL FROM:<%s>\n" % envelope.mail_from)
            for r in envelope.rcpt_tos:
                f.write("RCPT TO:<%s>\n" % r)
        self.log("accepted %d %s %s" % (self.accepted, msgid,
                                        ",".join(envelope.rcpt_tos)))
        if t == self.args.stall_eod:
            self.stalled("eod %d" % t)
            await asyncio.sleep(3600)
        if t == self.args.drop_after:
            self.log("drop-after %d" % t)
            loop = asyncio.get_running_loop()
            loop.call_soon(server.transport.abort)
        return "250 2.0.0 OK queued as %04d" % self.accepted


def tls_context(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


async def main():
    args = parse_args()
    os.makedirs(args.out, exist_ok=True)
    handler = Handler(args)
    kwargs = {"hostname": "kser-test", "data_size_limit": None,
              "ident": "kser test smtpd"}
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and
                  auth_data.login.decode() == user and
                  auth_data.password.decode() == password)
            handler.log("auth %s %s" % (mechanism, "ok" if ok else "fail"))
            return AuthResult(success=ok, handled=False)
        kwargs.update(authenticator=authenticator, auth_required=True,
                      auth_require_tls=bool(args.starttls or args.smtps))
    if args.starttls:
        kwargs.update(tls_context=tls_context(*args.starttls),
                      require_starttls=True)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, **kwargs), host="127.0.0.1", port=0,
        ssl=tls_context(*args.smtps) if args.smtps else None)
    port = server.sockets[0].getsockname()[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, args.port_file)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), args.timeout)
    except asyncio.TimeoutError:
        handler.log("timeout")
    server.close()


if __name__ == "__main__":
    import logging
    logging.basicConfig(level=logging.CRITICAL)
    asyncio.run(main())
    sys.exit(0)
