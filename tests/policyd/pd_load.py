#!/usr/bin/python3
# tests/policyd/pd_load.py -- many parallel policy connections hammering
# one key, for the exactness tests.
#
#   pd_load.py [--connections N] [--requests K] [--retry] [--key KEY]
#              [--tag TAG] SOCKET...
#
# Opens N connections spread over the unix SOCKETs (round robin), all at
# once, and on each sends K RCPT requests in sequence (a persistent
# Postfix connection), each with its own instance and recipient; with
# --retry every request is sent twice, as Postfix does after a timeout.
# With --mix the recipients are written in every way issue 12 used to
# slip past a count (see recipient()).
# Prints one line per distinct action with its count ("N action"), and
# the admitted instances to --admitted FILE.  Exit 1 on a protocol error
# or an answer that did not come within --timeout seconds.
import argparse
import asyncio
import collections
import sys


def recipient(i, j, args):
    """The instance and recipient of request j on connection i.

    --mix cycles through four forms: first a local part over the
    daemon's cap (520 bytes) at a domain of its own, all of a
    connection's in one instance (cut at 512 bytes they would all be one
    recipient, each but the first a "retry" admitted for free); then a
    trailing dot, a U-label domain in mixed case, and a long local part
    held whole (240 bytes and a number)."""
    inst = "%s.%d.%d" % (args.tag, i, j)
    if not args.mix:
        return inst, "r%d.%d@example.net" % (i, j)
    form = j % 4
    if form == 0:
        return ("%s.%d.long" % (args.tag, i),
                "%s@d%d.%d.example" % ("x" * 520, i, j))
    if form == 1:
        return inst, "r%d.%d@Example.NET." % (i, j)
    if form == 2:
        return inst, "r%d.%d@B\u00fccher.example" % (i, j)
    return inst, "%sr%d.%d@example.net" % ("y" * 240, i, j)


async def one(i, path, args, counts, admitted):
    reader, writer = await asyncio.open_unix_connection(path)
    try:
        for j in range(args.requests):
            inst, rcpt = recipient(i, j, args)
            req = ("request=smtpd_access_policy\nprotocol_state=RCPT\n"
                   "protocol_name=ESMTP\nsasl_username=%s\n"
                   "client_address=192.0.2.10\ninstance=%s\n"
                   "recipient=%s\nsize=1000\n"
                   "sender=app@example.com\n\n" % (args.key, inst, rcpt))
            answers = []
            for _ in range(2 if args.retry else 1):
                writer.write(req.encode())
                await writer.drain()
                line = await asyncio.wait_for(reader.readline(),
                                              args.timeout)
                blank = await asyncio.wait_for(reader.readline(),
                                               args.timeout)
                if not line.startswith(b"action=") or blank != b"\n":
                    raise RuntimeError("bad answer %r" % line)
                answers.append(line[7:].decode().rstrip("\n"))
            if len(set(answers)) != 1:
                counts["retry answered differently"] += 1
            a = answers[0]
            counts[a.split(" (")[0] if a != "DUNNO" else a] += 1
            if a == "DUNNO":
                admitted.append(inst)
    finally:
        writer.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--connections", type=int, default=250)
    ap.add_argument("--requests", type=int, default=4)
    ap.add_argument("--retry", action="store_true")
    ap.add_argument("--key", default="k_load")
    ap.add_argument("--tag", default="load")
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--admitted")
    ap.add_argument("--mix", action="store_true")
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
