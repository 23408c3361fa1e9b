#!/usr/bin/python3
# tests/policyd/pd_load.py -- many parallel policy connections hammering
# one key, for the exactness tests.
#
#   pd_load.py [--connections N] [--requests K] [--retry] [--dups] [--mix]
#              [--eom] [--key KEY] [--tag TAG] SOCKET...
#
# Opens N connections spread over the unix SOCKETs (round robin), all at
# once, and on each runs K transactions in sequence (a persistent
# Postfix connection), each with its own instance and recipient; with
# --retry every request is sent twice, as Postfix does after a timeout.
# With --dups a transaction has two distinct recipients and, mixed in, a
# repeated RCPT TO and a case variant of the first (RCPT r, R, s, r).
# With --mix the recipients are written in every way issue 12 used to
# slip past a count (see recipients()).
# With --eom it ends with END-OF-MESSAGE, recipient_count being the RCPT
# requests admitted (as Postfix counts them, duplicates included).
# Prints one line per distinct RCPT action with its count ("N action"),
# "N distinct admitted" with --dups, and the admitted instances to
# --admitted FILE.  Exit 1 on a protocol error or an answer that did not
# come within --timeout seconds.
import argparse
import asyncio
import collections
import sys


async def ask(reader, writer, args, counts, req):
    """Send req (twice with --retry); the action."""
    answers = []
    for _ in range(2 if args.retry else 1):
        writer.write(req.encode())
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), args.timeout)
        blank = await asyncio.wait_for(reader.readline(), args.timeout)
        if not line.startswith(b"action=") or blank != b"\n":
            raise RuntimeError("bad answer %r" % line)
        answers.append(line[7:].decode().rstrip("\n"))
    if len(set(answers)) != 1:
        counts["retry answered differently"] += 1
    return answers[0]


def recipients(i, j, args):
    """The recipients of transaction j on connection i.

    --dups: r, its upper-case variant R, s, r again.  --mix cycles
    through four forms: two local parts over the daemon's cap (520
    bytes) at two domains (cut at 512 bytes they would be one recipient,
    the second a "retry" admitted for free); a trailing dot; a U-label
    domain in mixed case; a long local part held whole (240 bytes and a
    number)."""
    r = "r%d.%d@example.net" % (i, j)
    if args.dups:
        return [r, r.upper(), "s%d.%d@example.net" % (i, j), r]
    if not args.mix:
        return [r]
    form = j % 4
    if form == 0:
        return ["%s@d%d.%d.%s.example" % ("x" * 520, i, j, d)
                for d in ("a", "b")]
    if form == 1:
        return ["r%d.%d@Example.NET." % (i, j)]
    if form == 2:
        return ["r%d.%d@B\u00fccher.example" % (i, j)]
    return ["%sr%d.%d@example.net" % ("y" * 240, i, j)]


async def one(i, path, args, counts, admitted):
    reader, writer = await asyncio.open_unix_connection(path)
    head = ("request=smtpd_access_policy\nprotocol_name=ESMTP\n"
            "sasl_username=%s\nclient_address=192.0.2.10\nsize=1000\n"
            "sender=app@example.com\n" % args.key)
    try:
        for j in range(args.requests):
            inst = "%s.%d.%d" % (args.tag, i, j)
            rcpts = recipients(i, j, args)
            n, first = 0, None
            for k, rcpt in enumerate(rcpts):
                a = await ask(reader, writer, args, counts, head +
                              "protocol_state=RCPT\ninstance=%s\n"
                              "recipient=%s\n\n" % (inst, rcpt))
                counts[a.split(" (")[0] if a != "DUNNO" else a] += 1
                if a == "DUNNO":
                    n += 1
                    # New distinct recipients: r (k 0) and s (k 2).
                    if args.dups and k in (0, 2):
                        counts["distinct admitted"] += 1
                if first is None:
                    first = a
            if first == "DUNNO":
                admitted.append(inst)
            if args.eom:
                a = await ask(reader, writer, args, counts, head +
                              "protocol_state=END-OF-MESSAGE\n"
                              "instance=%s\nrecipient_count=%d\n"
                              "queue_id=Q%s%dX%d\n\n" %
                              (inst, n, args.tag, i, j))
                if a != "DUNNO":
                    counts["END-OF-MESSAGE " + a] += 1
    finally:
        writer.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--connections", type=int, default=250)
    ap.add_argument("--requests", type=int, default=4)
    ap.add_argument("--retry", action="store_true")
    ap.add_argument("--dups", action="store_true")
    ap.add_argument("--mix", action="store_true")
    ap.add_argument("--eom", action="store_true")
    ap.add_argument("--key", default="k_load")
    ap.add_argument("--tag", default="load")
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--admitted")
    ap.add_argument("sockets", nargs="+")
    args = ap.parse_args()
    counts = collections.Counter()
    admitted = []
    results = await asyncio.gather(*[
        one(i, args.sockets[i % len(args.sockets)], args, counts, admitted)
        for i in range(args.connections)], return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    for action, n in sorted(counts.items()):
        print("%d %s" % (n, action))
    if args.admitted:
        with open(args.admitted, "w") as f:
            f.write("".join(x + "\n" for x in admitted))
    for e in errors[:5]:
        print("error: %r" % (e,), file=sys.stderr)
    return 1 if errors else 0


sys.exit(asyncio.run(main()))
