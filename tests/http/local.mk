# tests/http -- postwarden-policyd's HTTP service (http/), spoken to with
# curl and raw sockets.

PW_HTTP_TESTS = \
	tests/http/connections.sh \
	tests/http/health.sh \
	tests/http/proxy.sh \
	tests/http/tls.sh \
	tests/http/metrics.sh \
	tests/http/milter_http.sh \
	tests/http/milter_http_conns.sh \
	tests/http/unsubscribe.sh
TESTS += $(PW_HTTP_TESTS)
dist_check_SCRIPTS += $(PW_HTTP_TESTS)
EXTRA_DIST += tests/http/http_raw.py tests/http/metrics_parse.py \
	tests/http/README.md

# The HTTP benchmark (not run by make check), its wrk script and token
# minter, and its results.
EXTRA_DIST += tests/bench/bench-http.sh tests/bench/http_tokens.lua \
	tests/bench/unsub_tokens.c docs/bench-http.md
