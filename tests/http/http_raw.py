#!/usr/bin/env python3
"""tests/http/http_raw.py -- raw HTTP for what curl will not send.

  http_raw.py PORT slow TIMEOUT
      send half a request line and nothing more; print "closed" when the
      server closes within TIMEOUT seconds, else "open".

  http_raw.py PORT trickle INTERVAL TIMEOUT
      send a whole GET /healthz one byte every INTERVAL seconds (a
      slowloris); print "closed after N bytes" when the server closes
      first, "answered" when it answers, "open" after TIMEOUT seconds.

  http_raw.py PORT limit HELD EXTRA WAIT
      open HELD keep-alive connections, each answered once and then kept
      open idle; then EXTRA connections sending GET /healthz
      (Connection: close).  Prints, one a line:
        held N          how many held connections were answered
        while-full N    extra answers within WAIT seconds (the bound: 0)
        after N         extra answers (200) within 10 s of closing the
                        held connections

  http_raw.py PORT hold N SECONDS
      open N keep-alive connections, each answered once, print "held K"
      (K answered) and keep them open SECONDS seconds, or until stdin
      closes.
"""
import select
import socket
import sys
import time


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    return s


def slow(port, timeout):
    s = connect(port)
    s.sendall(b"GET /hea")
    s.settimeout(timeout)
    try:
        data = s.recv(4096)
        # An answer or end of file: the server gave up on us.
        print("closed" if data == b"" or data else "open")
    except socket.timeout:
        print("open")
    except ConnectionResetError:
        print("closed")


GET = b"GET /healthz HTTP/1.1\r\nHost: t\r\n"


def trickle(port, interval, timeout):
    s = connect(port)
    req = GET + b"\r\n"
    deadline = time.monotonic() + timeout
    sent = 0
    s.settimeout(interval)
    while time.monotonic() < deadline:
        if sent < len(req):
            try:
                s.send(req[sent:sent + 1])
                sent += 1
            except OSError:
                print("closed after %d bytes" % sent)
                return
        try:
            data = s.recv(4096)
        except socket.timeout:
            continue
        except OSError:
            data = b""
        if data == b"":
            print("closed after %d bytes" % sent)
        else:
            print("answered")
        return
    print("open")


def answered(s, timeout):
    """Read one answer on s; its status code, or None."""
    s.settimeout(timeout)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, OSError):
        return None
    if not data.startswith(b"HTTP/1.1 "):
        return None
    return int(data[9:12])


def keepalive(port, n):
    """Open n keep-alive connections, each answered once; print "held K"
    (K answered with 200) and return them."""
    keep = []
    k = 0
    for _ in range(n):
        s = connect(port)
        s.sendall(GET + b"\r\n")
        if answered(s, 5) == 200:
            k += 1
        keep.append(s)
    print("held %d" % k, flush=True)
    return keep


def limit(port, held, extra, wait):
    keep = keepalive(port, held)
    extras = []
    for _ in range(extra):
        s = connect(port)    # the kernel completes it: backlog
        s.sendall(GET + b"Connection: close\r\n\r\n")
        extras.append(s)
    end = time.monotonic() + wait
    early = 0
    for s in extras:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            if s.recv(1, socket.MSG_PEEK):
                early += 1
        except (socket.timeout, OSError):
            pass
    print("while-full %d" % early)
    for s in keep:
        s.close()
    ok = sum(1 for s in extras if answered(s, 10) == 200)
    print("after %d" % ok)


def hold(port, n, seconds):
    keep = keepalive(port, n)
    select.select([sys.stdin], [], [], seconds)
    for s in keep:
        s.close()


def main():
    port = int(sys.argv[1])
    what = sys.argv[2]
    if what == "slow":
        slow(port, float(sys.argv[3]))
    elif what == "trickle":
        trickle(port, float(sys.argv[3]), float(sys.argv[4]))
    elif what == "hold":
        hold(port, int(sys.argv[3]), float(sys.argv[4]))
    elif what == "limit":
        limit(port, int(sys.argv[3]), int(sys.argv[4]),
              float(sys.argv[5]))
    else:
        sys.exit("usage: http_raw.py PORT slow|trickle|limit|hold ...")


if __name__ == "__main__":
    main()
