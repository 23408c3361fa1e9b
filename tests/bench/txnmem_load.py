#!/usr/bin/python3
# tests/bench/txnmem_load.py -- Redis memory per policy transaction, by
# Redis's own accounting, for tests/bench/bench-txnmem.sh.
#
#   txnmem_load.py --redis REDIS_SOCKET --prefix 'pw:{acme}:'
#                  [--transactions N] [--recipients R] [--key KEY]
#                  [--tag TAG] POLICYD_SOCKET
#
# Opens N policy connections (one smtpd each), and on each one
# transaction of R recipients, with names the size Postfix gives them:
# instance "%x.%lx.%lx.%x" (pid, seconds, microseconds, sequence: 21
# characters), recipients of 27 characters, short queue ids (10 hex
# digits).  Every connection stays open until its END-OF-MESSAGE, as
# smtpd keeps its connection (a new instance or a close would release
# the transaction).  Redis is measured three times: before, after every
# RCPT was answered, after every END-OF-MESSAGE was answered:
#   used_memory (INFO memory) delta, over N
#   MEMORY USAGE (SAMPLES 0) of every transaction hash <P>txn:*, billing
#   record <P>billed:* and reservation set <P>resv:*, over N (their sum:
#   what the transactions hold), and of the event stream pw:events (one
#   "billed" entry per END-OF-MESSAGE, capped by events_max_length)
# and prints one Markdown row per phase.  Every RCPT must be answered
# DUNNO and every END-OF-MESSAGE DUNNO, else exit 1.  Leaves the
# transactions' keys in Redis (the caller flushes them).
import argparse
import asyncio
import os
import random
import sys


class Resp:
    """A minimal RESP client on a unix socket (blocking calls, asyncio)."""

    def __init__(self, path):
        self.path = path

    async def open(self):
        self.r, self.w = await asyncio.open_unix_connection(self.path)

    async def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.w.write(out)
        await self.w.drain()
        return await self.reply()

    async def reply(self):
        line = (await self.r.readline()).rstrip(b"\r\n")
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = await self.r.readexactly(n + 2)
            return data[:-2].decode()
        if t == b"*":
            n = int(rest)
            if n < 0:
                return None
            return [await self.reply() for _ in range(n)]
        raise RuntimeError("bad reply %r" % line)

    async def scan(self, pattern):
        cursor, keys = "0", []
        while True:
            cursor, batch = await self.call("SCAN", cursor, "MATCH",
                                            pattern, "COUNT", 1000)
            keys += batch
            if cursor == "0":
                return keys


async def used_memory(redis):
    info = await redis.call("INFO", "memory")
    for line in info.splitlines():
        if line.startswith("used_memory:"):
            return int(line.split(":")[1])
    raise RuntimeError("no used_memory")


async def usage(redis, prefix, kind):
    """Keys <prefix><kind>:* and the sum of their MEMORY USAGE."""
    keys = await redis.scan(prefix.replace("{", "\\{").replace("}", "\\}")
                            + kind + ":*")
    total = 0
    for k in keys:
        total += await redis.call("MEMORY", "USAGE", k, "SAMPLES", "0") or 0
    return len(keys), total


async def measure(redis, prefix):
    # Twice: the first INFO may allocate the reply itself.
    await used_memory(redis)
    m = {"used": await used_memory(redis)}
    for kind in ("txn", "billed", "resv"):
        m[kind] = await usage(redis, prefix, kind)
    m["events"] = (1, await redis.call("MEMORY", "USAGE", "pw:events",
                                       "SAMPLES", "0") or 0)
    return m


def request(state, inst, key, rcpt, count, qid):
    return ("request=smtpd_access_policy\nprotocol_state=%s\n"
            "protocol_name=ESMTP\nclient_address=192.0.2.10\n"
            "client_name=client.example\nhelo_name=client.example\n"
            "sender=app@example.com\nrecipient=%s\nrecipient_count=%d\n"
            "queue_id=%s\ninstance=%s\nsize=2048\nsasl_method=PLAIN\n"
            "sasl_username=%s\nsasl_sender=\nencryption_protocol=TLSv1.3\n"
            "compatibility_level=3.6\nmail_version=3.7.11\n\n" %
            (state, rcpt, count, qid, inst, key)).encode()


async def ask(conn, req):
    r, w = conn
    w.write(req)
    await w.drain()
    line = await asyncio.wait_for(r.readline(), 30)
    blank = await asyncio.wait_for(r.readline(), 30)
    if not line.startswith(b"action=") or blank != b"\n":
        raise RuntimeError("bad answer %r" % line)
    return line[7:].decode().rstrip("\n")


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--redis", required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--transactions", type=int, default=500)
    ap.add_argument("--recipients", type=int, default=1)
    ap.add_argument("--key", default="k_live_acme1")
    ap.add_argument("--tag", default="%05x" % (os.getpid() & 0xfffff))
    ap.add_argument("policyd")
    a = ap.parse_args()
    n, nr = a.transactions, a.recipients
    rnd = random.Random(a.tag)
    redis = Resp(a.redis)
    await redis.open()

    conns = [await asyncio.open_unix_connection(a.policyd)
             for _ in range(n)]
    sec = int((await redis.call("TIME"))[0])
    # Postfix's instance: pid, seconds, microseconds, sequence (smtpd.c).
    insts = ["%x.%x.%x.%x" % (rnd.randrange(0x1000, 0x10000), sec,
                              rnd.randrange(0x10000, 0x100000), i % 16)
             for i in range(n)]
    qids = ["%010X" % rnd.randrange(1 << 36, 1 << 40) for _ in range(n)]
    rcpts = [["u%s.%05d.%d@customer.example" % (a.tag, i, j)
              for j in range(nr)] for i in range(n)]

    before = await measure(redis, a.prefix)
    answers = {}

    async def rcpt_phase(i):
        for rc in rcpts[i]:
            act = await ask(conns[i], request("RCPT", insts[i], a.key, rc,
                                              0, ""))
            answers[act] = answers.get(act, 0) + 1

    await asyncio.gather(*(rcpt_phase(i) for i in range(n)))
    after_rcpt = await measure(redis, a.prefix)

    async def eom_phase(i):
        act = await ask(conns[i], request("END-OF-MESSAGE", insts[i], a.key,
                                          "", nr, qids[i]))
        answers["eom " + act] = answers.get("eom " + act, 0) + 1

    await asyncio.gather(*(eom_phase(i) for i in range(n)))
    after_eom = await measure(redis, a.prefix)
    for _, w in conns:
        w.close()
    if set(answers) != {"DUNNO", "eom DUNNO"}:
        print("not all DUNNO: %r" % answers, file=sys.stderr)
        sys.exit(1)

    def row(phase, m):
        d = lambda k: (m[k][1] - before[k][1]) / n
        print("| %d | %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | "
              "%d %d %d |" %
              (nr, phase, (m["used"] - before["used"]) / n,
               d("txn") + d("billed") + d("resv"), d("txn"), d("billed"),
               d("resv"), d("events"), m["txn"][0], m["billed"][0],
               m["resv"][0]))

    row("after RCPT", after_rcpt)
    row("after END-OF-MESSAGE", after_eom)


asyncio.run(main())
