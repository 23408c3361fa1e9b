# tests/policyd -- postwarden-policyd: protocol parser unit tests (cmocka)
# and daemon tests (bash, TAP) against the built daemon on a unix socket
# and a loopback port in a temp dir.  pd_client is their scripted client.
# rules.sh (every rule and reply, accounting, GeoIP, fail modes) and
# load.sh (exactness under 250 parallel connections, pd_load.py) use a
# private Redis through tests/harness; mkmmdb.pl writes their GeoIP file,
# which geoip.sh also feeds to lib/geoip through geoip_lookup.

check_PROGRAMS += tests/policyd/test_policyd_proto tests/policyd/pd_client \
	tests/policyd/geoip_lookup
TESTS += tests/policyd/test_policyd_proto

tests_policyd_test_policyd_proto_SOURCES = \
	tests/policyd/test_policyd_proto.c \
	policyd/policyd_proto.c policyd/policyd_proto.h
tests_policyd_test_policyd_proto_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/policyd
tests_policyd_test_policyd_proto_CFLAGS = $(PW_TEST_CFLAGS)
tests_policyd_test_policyd_proto_LDADD = $(PW_TEST_LIBS)

tests_policyd_pd_client_SOURCES = tests/policyd/pd_client.c \
	tests/harness/endpoint.c tests/harness/endpoint.h

# Preloaded into the daemon (tests/policyd/event_time.sh): no sanitizers.
check_PROGRAMS += tests/policyd/clockshift.so
tests_policyd_clockshift_so_SOURCES = tests/policyd/clockshift.c
tests_policyd_clockshift_so_CFLAGS = -fPIC -Wall -Werror
tests_policyd_clockshift_so_LDFLAGS = -shared
tests_policyd_clockshift_so_LDADD = -ldl

tests_policyd_geoip_lookup_SOURCES = tests/policyd/geoip_lookup.c
tests_policyd_geoip_lookup_LDADD = $(PW_LIB_LIBS)

PW_POLICYD_SH_TESTS = \
	tests/policyd/caps.sh \
	tests/policyd/access.sh \
	tests/policyd/cmdline.sh \
	tests/policyd/deadline.sh \
	tests/policyd/event_time.sh \
	tests/policyd/gcra.sh \
	tests/policyd/geoip.sh \
	tests/policyd/identity.sh \
	tests/policyd/secrets.sh \
	tests/policyd/serve.sh \
	tests/policyd/limits.sh \
	tests/policyd/load.sh \
	tests/policyd/nofile.sh \
	tests/policyd/recipients.sh \
	tests/policyd/rules.sh \
	tests/policyd/signals.sh \
	tests/policyd/socket.sh
TESTS += $(PW_POLICYD_SH_TESTS)
dist_check_SCRIPTS += $(PW_POLICYD_SH_TESTS)

EXTRA_DIST += \
	tests/policyd/common.sh \
	tests/bench/bench_policy.c \
	tests/bench/bench-policyd.sh \
	docs/bench-policyd.md \
	tests/policyd/mkmmdb.pl \
	tests/policyd/pd_load.py \
	tests/policyd/pd_pipe.py \
	tests/policyd/pd_session.py \
	tests/policyd/data/rcpt.req \
	tests/policyd/data/eom.req \
	tests/policyd/data/pipelined.req \
	tests/policyd/data/malformed.req
