#!/usr/bin/env python3
"""tests/http/http_raw.py -- raw HTTP for what curl will not send.

  http_raw.py PORT slow TIMEOUT
      send half a request line and nothing more; print "closed" when the
      server closes within TIMEOUT seconds, else "open".
"""
import socket
import sys


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


def main():
    port = int(sys.argv[1])
    what = sys.argv[2]
    if what == "slow":
        slow(port, float(sys.argv[3]))
    else:
        sys.exit("usage: http_raw.py PORT slow TIMEOUT")


if __name__ == "__main__":
    main()
