#!/usr/bin/python3
# tests/policyd/pd_session.py -- policy connections that stay open, one
# per transaction, as Postfix's smtpd keeps one per process, for tests
# that send one request at a time from the shell (pd_session_start in
# tests/policyd/common.sh runs it as a coprocess).
#
#   pd_session.py SOCKET
#
# Reads commands on stdin, one a line, and answers each with one line:
#   NAME<TAB>REQUEST   send REQUEST (attribute lines joined by "\n", the
#                      two characters) on connection NAME, opened on
#                      first use; print the action (the line after
#                      "action="), or "eof" / "timeout"
#   close<TAB>NAME     close connection NAME; print "closed"
# A connection the daemon closed (it was restarted) is opened again and
# the request sent again, as Postfix does.
import socket
import sys

conns = {}


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s, s.makefile("rb")


def ask(path, name, req):
    for attempt in (0, 1):
        if name not in conns:
            conns[name] = connect(path)
        s, f = conns[name]
        try:
            s.sendall(req)
            line = f.readline()
            blank = f.readline()
        except socket.timeout:
            return "timeout"
        except OSError:
            line = b""
        if line.startswith(b"action=") and blank == b"\n":
            return line[7:].decode().rstrip("\n")
        s.close()
        del conns[name]
    return "eof"


def main():
    path = sys.argv[1]
    for cmd in sys.stdin:
        name, _, rest = cmd.rstrip("\n").partition("\t")
        if name == "close":
            if rest in conns:
                conns.pop(rest)[0].close()
            print("closed", flush=True)
            continue
        req = rest.replace("\\n", "\n") + "\n\n"
        print(ask(path, name, req.encode()), flush=True)


main()
