#!/usr/bin/python3
# tests/policyd/pd_transcript.py -- feeds one policy transcript (a .in
# file of tests/policyd/transcripts/) to postwarden-policyd and prints
# what the daemon sent back, for tests/policyd/transcript.sh to diff with
# the .ref file.
#
#   pd_transcript.py SOCKET < NAME.in > NAME.out
#
# The .in holds requests as Postfix's smtpd sends them: attribute lines,
# each request ended by a blank line.  Each is sent in one write and
# its reply read up to the blank line that ends it, before the next
# request is sent.  Besides, a line starting with "#" is a comment (not
# sent), and "%conn NAME" sends the requests that follow on connection
# NAME (opened on first use; the first one is "1"), as one smtpd process
# keeps its own connection for a whole transaction.
#
# Output: the reply bytes exactly ("action=...\n\n"); a request the
# daemon closed the connection on prints what it got, if anything, and
# "%closed"; no whole reply within 10 s prints "%timeout".  The
# connection is then dropped, and the next request on it opens a new
# one, as Postfix does.  Exit 2 on a connection that cannot be opened.
import socket
import sys

conns = {}


def reply(path, name, req):
    """Send REQ on connection NAME; return what the daemon answered."""
    if name not in conns:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        try:
            s.connect(path)
        except OSError as e:
            sys.exit("pd_transcript.py: %s: %s" % (path, e))
        conns[name] = (s, s.makefile("rb"))
    s, f = conns[name]
    got = b""
    try:
        s.sendall(req)
        while True:
            line = f.readline()
            got += line
            if line == b"\n":
                return got
            if not line.endswith(b"\n"):
                end = b"%closed\n"
                break
    except socket.timeout:
        end = b"%timeout\n"
    except OSError:
        end = b"%closed\n"
    s.close()
    del conns[name]
    return got + end


def main():
    path = sys.argv[1]
    name, req = "1", b""
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        if line.startswith(b"#"):
            continue
        if line.startswith(b"%conn "):
            name = line[6:].strip().decode()
            continue
        if line.strip(b"\n") == b"":
            if req:
                out.write(reply(path, name, req + b"\n"))
                out.flush()
            req = b""
            continue
        req += line if line.endswith(b"\n") else line + b"\n"
    if req:
        out.write(reply(path, name, req + b"\n"))


main()
