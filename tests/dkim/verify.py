#!/usr/bin/python3
# tests/dkim/verify.py -- verify every DKIM-Signature of a message with
# python3-dkim (dkimpy), public keys from a file instead of DNS.
#
#   verify.py MESSAGE KEYS
#
# KEYS has lines "selector._domainkey.domain TXT-RECORD".  Prints one line
# per signature, "N d=DOMAIN a=ALG pass|fail", and exits 0 only when
# there is at least one signature and every one verifies.
import sys

import dkim


def main():
    msg = open(sys.argv[1], 'rb').read()
    keys = {}
    for line in open(sys.argv[2], 'rb'):
        name, _, txt = line.strip().partition(b' ')
        keys[name.rstrip(b'.') + b'.'] = txt

    def dnsfunc(name, timeout=5):
        if not name.endswith(b'.'):
            name += b'.'
        return keys.get(name, b'')

    d = dkim.DKIM(msg)
    n = sum(1 for h in d.headers if h[0].lower() == b'dkim-signature')
    ok = n > 0
    for i in range(n):
        try:
            good = d.verify(idx=i, dnsfunc=dnsfunc)
        except dkim.DKIMException as e:
            print('# %d: %s' % (i, e))
            good = False
        sig = d.signature_fields if good or d.signature_fields else {}
        print('%d d=%s a=%s %s' % (i, sig.get(b'd', b'?').decode(),
              sig.get(b'a', b'?').decode(), 'pass' if good else 'fail'))
        ok = ok and good
    sys.exit(0 if ok else 1)


main()
