#!/usr/bin/python3
"""tests/auth/auth_client.py -- a client of the Dovecot authentication
protocol, as Postfix's xsasl_dovecot_server.c speaks it, for the tests of
postwarden-policyd's SASL service.

  auth_client.py SOCKET handshake
      connect, print the server's handshake lines up to DONE (without
      sending anything first: the server must not wait for us)
  auth_client.py SOCKET plain|login USER PASSWORD [RIP]
      VERSION, CPID, then one AUTH (PLAIN with resp=, LOGIN through CONT);
      print the final reply line with its id, or CLOSED if the server
      closed the connection instead
  auth_client.py SOCKET batch [RIP]
      PLAIN logins for the "USER PASSWORD" lines of stdin on one
      connection, as smtpd keeps one (AUTH ids 1, 2, ...; a new
      connection after the server closed one); print one line per login:
      its reply line, or CLOSED
  auth_client.py SOCKET raw
      send the lines of stdin as they are (no VERSION first) and print
      every reply line until the server closes (CLOSED) or is quiet for a
      second (QUIET)
  auth_client.py SOCKET leave
      send the lines of stdin and close at once, answers unread

Exit status 0 unless the connection or the handshake failed (2).
"""
import base64
import socket
import sys

TIMEOUT = 10


class Conn:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(TIMEOUT)
        self.s.connect(path)
        self.buf = b""

    def line(self):
        """The next line, or None when the server closed."""
        while b"\n" not in self.buf:
            try:
                d = self.s.recv(65536)
            except ConnectionResetError:
                d = b""
            if not d:
                return None
            self.buf += d
        ln, self.buf = self.buf.split(b"\n", 1)
        return ln.decode("utf-8", "replace")

    def send(self, text):
        try:
            self.s.sendall(text.encode() if isinstance(text, str) else text)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def handshake(self):
        lines = []
        while True:
            ln = self.line()
            if ln is None:
                print("CLOSED during handshake")
                sys.exit(2)
            lines.append(ln)
            if ln == "DONE":
                return lines


def b64(b):
    return base64.b64encode(b).decode()


def reply_for(c, rid):
    while True:
        ln = c.line()
        if ln is None:
            return None
        f = ln.split("\t")
        if len(f) >= 2 and f[1] == str(rid):
            return f


def login(c, mech, user, pw, rip):
    c.handshake()
    c.send("VERSION\t1\t0\nCPID\t%d\n" % 4242)
    head = "AUTH\t1\t%s\tservice=smtp\tnologin\tlip=127.0.0.1\trip=%s\tsecured" \
        % (mech.upper(), rip)
    if mech == "plain":
        c.send(head + "\tresp=" + b64(b"\0" + user.encode() + b"\0" +
                                      pw.encode()) + "\n")
        f = reply_for(c, 1)
    else:
        c.send(head + "\n")
        f = reply_for(c, 1)
        for answer in (user, pw):
            if f is None or f[0] != "CONT":
                break
            c.send("CONT\t1\t%s\n" % b64(answer.encode()))
            f = reply_for(c, 1)
    print("CLOSED" if f is None else "\t".join(f))


def batch(path, c, rip):
    rid = 0
    for entry in sys.stdin.read().split("\n"):
        if not entry.strip():
            continue
        user, pw = entry.split()
        if c is None:
            c = Conn(path)
            rid = 0
        if rid == 0:
            c.handshake()
            c.send("VERSION\t1\t0\nCPID\t%d\n" % 4242)
        rid += 1
        c.send("AUTH\t%d\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1"
               "\trip=%s\tsecured\tresp=%s\n" %
               (rid, rip, b64(b"\0" + user.encode() + b"\0" + pw.encode())))
        f = reply_for(c, rid)
        print("CLOSED" if f is None else "\t".join(f))
        if f is None:
            c = None


def raw(c):
    c.s.settimeout(1)
    c.send(sys.stdin.buffer.read())
    while True:
        try:
            ln = c.line()
        except socket.timeout:
            print("QUIET")
            return
        if ln is None:
            print("CLOSED")
            return
        print(ln)


def main():
    path, cmd = sys.argv[1], sys.argv[2]
    try:
        c = Conn(path)
    except OSError as e:
        print("connect: %s" % e)
        sys.exit(2)
    if cmd == "handshake":
        print("\n".join(c.handshake()))
    elif cmd in ("plain", "login"):
        rip = sys.argv[5] if len(sys.argv) > 5 else "127.0.0.1"
        login(c, cmd, sys.argv[3], sys.argv[4], rip)
    elif cmd == "batch":
        batch(path, c, sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1")
    elif cmd == "raw":
        raw(c)
    elif cmd == "leave":
        c.send(sys.stdin.buffer.read())
        c.s.close()
    else:
        sys.exit("usage: auth_client.py SOCKET handshake|plain|login|raw ...")


if __name__ == "__main__":
    main()
