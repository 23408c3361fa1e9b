#!/usr/bin/python3
# tests/policyd/pd_pipe.py -- pipelined RCPT requests on one policy
# connection, written and read at the same time (so neither side waits
# for the other), for the rate test (tests/policyd/gcra.sh).
#
#   pd_pipe.py --key KEY --count N --tag TAG [--redis SOCKET] SOCKET
#
# Sends N requests (instance TAG.i, recipient TAG.i@example.net) as fast
# as the daemon takes them; prints "N action" per distinct action, and
# with --redis "time START END": Redis's TIME (microseconds) just before
# the first request and just after the last answer.  Exit 1 on a
# protocol error or when an answer takes over 30 s.
import argparse
import asyncio
import collections
import sys


async def redis_time(path):
    """Redis's TIME in microseconds, asked on a unix socket (RESP)."""
    reader, writer = await asyncio.open_unix_connection(path)
    writer.write(b"*1\r\n$4\r\nTIME\r\n")
    await writer.drain()
    vals = []
    if not (await reader.readline()).startswith(b"*2"):
        raise RuntimeError("bad TIME reply")
    for _ in range(2):
        await reader.readline()
        vals.append(int((await reader.readline()).strip()))
    writer.close()
    return vals[0] * 1000000 + vals[1]


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--tag", default="p")
    ap.add_argument("--redis")
    ap.add_argument("socket")
    args = ap.parse_args()
    reader, writer = await asyncio.open_unix_connection(args.socket)

    async def send():
        for i in range(args.count):
            writer.write((
                "request=smtpd_access_policy\nprotocol_state=RCPT\n"
                "sasl_username=%s\nclient_address=192.0.2.10\n"
                "instance=%s.%d\nrecipient=%s.%d@example.net\n\n" %
                (args.key, args.tag, i, args.tag, i)).encode())
            if i % 64 == 63:
                await writer.drain()
        await writer.drain()

    counts = collections.Counter()
    start = await redis_time(args.redis) if args.redis else 0
    sender = asyncio.create_task(send())
    for _ in range(args.count):
        line = await asyncio.wait_for(reader.readline(), 30)
        blank = await asyncio.wait_for(reader.readline(), 30)
        if not line.startswith(b"action=") or blank != b"\n":
            print("bad answer %r" % line, file=sys.stderr)
            return 1
        a = line[7:].decode().rstrip("\n")
        counts[a.split(" (")[0] if a != "DUNNO" else a] += 1
    await sender
    end = await redis_time(args.redis) if args.redis else 0
    writer.close()
    for action, n in sorted(counts.items()):
        print("%d %s" % (n, action))
    if args.redis:
        print("time %d %d" % (start, end))
    return 0


sys.exit(asyncio.run(main()))
