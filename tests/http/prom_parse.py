#!/usr/bin/python3
# tests/http/prom_parse.py -- parse a /metrics answer (stdin) with
# python3-prometheus-client's text-format parser and print every sample
# as one line "name{label="value",...} value" (labels sorted), so that a
# shell test can look a series up with grep.  Also checks what the parser
# lets through: every family has a HELP text and a type, and a name with
# one of our prefixes (argv[1], comma-separated, e.g.
# postwarden_milter_,postwarden_metrics_; the second is lib/metrics.c's
# own postwarden_metrics_series_dropped_total).  Exit 1 and a reason on
# stderr when the text does not parse or a check fails.
import sys

from prometheus_client.parser import text_string_to_metric_families

prefixes = tuple((sys.argv[1] if len(sys.argv) > 1 else "").split(","))
text = sys.stdin.read()
try:
    families = list(text_string_to_metric_families(text))
except Exception as e:  # the parser raises ValueError and friends
    print("does not parse: %s" % e, file=sys.stderr)
    sys.exit(1)
if not families:
    print("no metric families", file=sys.stderr)
    sys.exit(1)
for f in families:
    if not f.name.startswith(prefixes):
        print("%s: not named %s*" % (f.name, "* or ".join(prefixes)),
              file=sys.stderr)
        sys.exit(1)
    if not f.documentation:
        print("%s: no HELP" % f.name, file=sys.stderr)
        sys.exit(1)
    if f.type == "unknown":
        print("%s: no TYPE" % f.name, file=sys.stderr)
        sys.exit(1)
    for s in f.samples:
        labels = ",".join('%s="%s"' % (k, v) for k, v in sorted(s.labels.items()))
        print("%s{%s} %s" % (s.name, labels, repr(float(s.value))))
