#!/usr/bin/python3
"""tests/http/metrics_parse.py -- read a /metrics text on stdin with
python3-prometheus-client's parser (the text format 0.0.4, as Prometheus
reads it) and print one line per sample, labels sorted:

    NAME{a="x",b="y"} VALUE

A text the parser refuses: the error on stderr, exit 2.  With DOC (a
file such as docs/metrics.md): also exit 3, naming them on stderr, when a
family is not written in DOC as `NAME` (a counter: `NAME_total`).
"""
import math
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = sys.stdin.read()
    doc = open(sys.argv[1]).read() if len(sys.argv) > 1 else None
    out, undocumented = [], []
    try:
        for fam in text_string_to_metric_families(text):
            # The parser names a counter without its _total.
            if doc is not None and ("`%s`" % fam.name) not in doc and \
                    ("`%s_total`" % fam.name) not in doc:
                undocumented.append(fam.name)
            for s in fam.samples:
                labels = ",".join('%s="%s"' % (k, s.labels[k])
                                  for k in sorted(s.labels))
                v = s.value
                if math.isfinite(v) and v == int(v):
                    v = repr(int(v))
                else:
                    v = repr(v)
                out.append("%s{%s} %s" % (s.name, labels, v))
    except Exception as e:  # the parser raises ValueError and others
        print("parse error: %r" % (e,), file=sys.stderr)
        return 2
    print("\n".join(out))
    if undocumented:
        print("undocumented: " + " ".join(undocumented), file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
