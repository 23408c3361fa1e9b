# tests/policyd -- postwarden-policyd: protocol parser unit tests (cmocka)
# and daemon tests (bash, TAP) against the built daemon on a unix socket
# and a loopback port in a temp dir.  pd_client is their scripted client.
# transcript.sh sends the requests of each transcripts/NAME.in and diffs
# the replies with NAME.ref: the plain request -> reply checks (the
# format: its head, transcripts/README; pd_transcript.py is its client).
# It, rules.sh (what Redis holds after decisions, accounting, rates,
# GeoIP, fail modes), load.sh (exactness under 250 parallel
# connections, pd_load.py) and txn_left.sh (what a transaction leaves in
# Redis) use a private Redis through tests/harness;
# mkmmdb.pl writes rules.sh's GeoIP file, which geoip.sh also feeds to
# lib/geoip through geoip_lookup.

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
	tests/policyd/records.sh \
	tests/policyd/rules.sh \
	tests/policyd/signals.sh \
	tests/policyd/socket.sh \
	tests/policyd/transcript.sh \
	tests/policyd/txn_left.sh
TESTS += $(PW_POLICYD_SH_TESTS)
dist_check_SCRIPTS += $(PW_POLICYD_SH_TESTS)

EXTRA_DIST += \
	tests/policyd/common.sh \
	tests/bench/bench_policy.c \
	tests/bench/bench-policyd.sh \
	tests/bench/callfloor_now.lua \
	tests/bench/callfloor_packed.lua \
	tests/bench/policy_null.c \
	tests/bench/bench-txnmem.sh \
	tests/bench/txnmem_load.py \
	docs/bench-policyd.md \
	tests/policyd/mkmmdb.pl \
	tests/policyd/pd_load.py \
	tests/policyd/pd_pipe.py \
	tests/policyd/pd_session.py \
	tests/policyd/pd_transcript.py \
	$(PW_POLICYD_TRANSCRIPTS) \
	tests/policyd/data/rcpt.req \
	tests/policyd/data/eom.req \
	tests/policyd/data/pipelined.req \
	tests/policyd/data/malformed.req

# Listed, not globbed, for make dist: every file of each transcript.
PW_POLICYD_TRANSCRIPTS = \
	tests/policyd/transcripts/README \
	tests/policyd/transcripts/addresses.in \
	tests/policyd/transcripts/addresses.ref \
	tests/policyd/transcripts/addresses.setup \
	tests/policyd/transcripts/caps.in \
	tests/policyd/transcripts/caps.ref \
	tests/policyd/transcripts/duplicates.in \
	tests/policyd/transcripts/duplicates.ref \
	tests/policyd/transcripts/duplicates.setup \
	tests/policyd/transcripts/long_addresses.in \
	tests/policyd/transcripts/long_addresses.ref \
	tests/policyd/transcripts/long_addresses.setup \
	tests/policyd/transcripts/malformed.in \
	tests/policyd/transcripts/malformed.ref \
	tests/policyd/transcripts/max_recipients.in \
	tests/policyd/transcripts/max_recipients.ref \
	tests/policyd/transcripts/max_recipients.setup \
	tests/policyd/transcripts/quota.in \
	tests/policyd/transcripts/quota.ref \
	tests/policyd/transcripts/quota.setup \
	tests/policyd/transcripts/quota_windows.in \
	tests/policyd/transcripts/quota_windows.ref \
	tests/policyd/transcripts/quota_windows.setup \
	tests/policyd/transcripts/sender_domains.in \
	tests/policyd/transcripts/sender_domains.ref \
	tests/policyd/transcripts/sender_domains.setup \
	tests/policyd/transcripts/sender_domains_odd.in \
	tests/policyd/transcripts/sender_domains_odd.ref \
	tests/policyd/transcripts/sender_domains_odd.setup \
	tests/policyd/transcripts/sender_no_domains.in \
	tests/policyd/transcripts/sender_no_domains.ref \
	tests/policyd/transcripts/sender_no_domains.setup \
	tests/policyd/transcripts/sender_no_domains_off.conf \
	tests/policyd/transcripts/sender_no_domains_off.in \
	tests/policyd/transcripts/sender_no_domains_off.ref \
	tests/policyd/transcripts/sender_no_domains_off.setup \
	tests/policyd/transcripts/size.in \
	tests/policyd/transcripts/size.ref \
	tests/policyd/transcripts/size.setup \
	tests/policyd/transcripts/status.in \
	tests/policyd/transcripts/status.ref \
	tests/policyd/transcripts/status.setup \
	tests/policyd/transcripts/suppression.in \
	tests/policyd/transcripts/suppression.ref \
	tests/policyd/transcripts/suppression.setup \
	tests/policyd/transcripts/unknown_key.in \
	tests/policyd/transcripts/unknown_key.ref \
	tests/policyd/transcripts/unknown_key_pass.conf \
	tests/policyd/transcripts/unknown_key_pass.in \
	tests/policyd/transcripts/unknown_key_pass.ref \
	tests/policyd/transcripts/unknown_key_pass.setup
