# tests/fuzz -- libFuzzer harnesses, one per parser (--enable-fuzzers,
# CC=clang-14).  tests/fuzz/run.sh runs each for a bounded number of
# inputs from its seed corpus in tests/fuzz/corpus/<name>/.

EXTRA_DIST += tests/fuzz/run.sh tests/fuzz/corpus

if ENABLE_FUZZERS
PW_FUZZERS = \
	tests/fuzz/fuzz_conf \
	tests/fuzz/fuzz_identity_table
noinst_PROGRAMS += $(PW_FUZZERS)

tests_fuzz_fuzz_conf_SOURCES = tests/fuzz/fuzz_conf.c
tests_fuzz_fuzz_conf_LDFLAGS = $(PW_FUZZ_LDFLAGS)
tests_fuzz_fuzz_conf_LDADD = $(PW_LIB_LIBS)

tests_fuzz_fuzz_identity_table_SOURCES = tests/fuzz/fuzz_identity_table.c
tests_fuzz_fuzz_identity_table_LDFLAGS = $(PW_FUZZ_LDFLAGS)
tests_fuzz_fuzz_identity_table_LDADD = $(PW_LIB_LIBS)

PW_FUZZERS += tests/fuzz/fuzz_policy_request
tests_fuzz_fuzz_policy_request_SOURCES = tests/fuzz/fuzz_policy_request.c \
	policyd/policyd_proto.c policyd/policyd_proto.h
tests_fuzz_fuzz_policy_request_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/policyd
tests_fuzz_fuzz_policy_request_LDFLAGS = $(PW_FUZZ_LDFLAGS)
tests_fuzz_fuzz_policy_request_LDADD = $(PW_LIB_LIBS)

PW_FUZZERS += tests/fuzz/fuzz_dkim_canon
tests_fuzz_fuzz_dkim_canon_SOURCES = tests/fuzz/fuzz_dkim_canon.c
tests_fuzz_fuzz_dkim_canon_LDFLAGS = $(PW_FUZZ_LDFLAGS)
tests_fuzz_fuzz_dkim_canon_LDADD = $(PW_LIB_LIBS)

PW_FUZZERS += tests/fuzz/fuzz_seal
tests_fuzz_fuzz_seal_SOURCES = tests/fuzz/fuzz_seal.c
tests_fuzz_fuzz_seal_LDFLAGS = $(PW_FUZZ_LDFLAGS)
tests_fuzz_fuzz_seal_LDADD = $(PW_LIB_LIBS)

PW_FUZZERS += tests/fuzz/fuzz_track
tests_fuzz_fuzz_track_SOURCES = tests/fuzz/fuzz_track.c
tests_fuzz_fuzz_track_LDFLAGS = $(PW_FUZZ_LDFLAGS)
tests_fuzz_fuzz_track_LDADD = $(PW_LIB_LIBS)

PW_FUZZERS += tests/fuzz/fuzz_milter_control
tests_fuzz_fuzz_milter_control_SOURCES = tests/fuzz/fuzz_milter_control.c \
	milter/milter_control.c milter/milter_control.h
tests_fuzz_fuzz_milter_control_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/milter
tests_fuzz_fuzz_milter_control_LDFLAGS = $(PW_FUZZ_LDFLAGS)
tests_fuzz_fuzz_milter_control_LDADD = $(PW_LIB_LIBS)

PW_FUZZERS += tests/fuzz/fuzz_address
tests_fuzz_fuzz_address_SOURCES = tests/fuzz/fuzz_address.c
tests_fuzz_fuzz_address_LDFLAGS = $(PW_FUZZ_LDFLAGS)
tests_fuzz_fuzz_address_LDADD = $(PW_LIB_LIBS)

PW_FUZZERS += tests/fuzz/fuzz_rfc5322_addr
tests_fuzz_fuzz_rfc5322_addr_SOURCES = tests/fuzz/fuzz_rfc5322_addr.c
tests_fuzz_fuzz_rfc5322_addr_LDFLAGS = $(PW_FUZZ_LDFLAGS)
tests_fuzz_fuzz_rfc5322_addr_LDADD = $(PW_LIB_LIBS)

PW_FUZZERS += tests/fuzz/fuzz_dkim_txt
tests_fuzz_fuzz_dkim_txt_SOURCES = tests/fuzz/fuzz_dkim_txt.c
tests_fuzz_fuzz_dkim_txt_LDFLAGS = $(PW_FUZZ_LDFLAGS)
tests_fuzz_fuzz_dkim_txt_LDADD = $(PW_LIB_LIBS)

PW_FUZZERS += tests/fuzz/fuzz_auth_proto
tests_fuzz_fuzz_auth_proto_SOURCES = tests/fuzz/fuzz_auth_proto.c \
	auth/auth_proto.c auth/auth_proto.h auth/auth_mech.c auth/auth_mech.h
tests_fuzz_fuzz_auth_proto_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/auth
tests_fuzz_fuzz_auth_proto_LDFLAGS = $(PW_FUZZ_LDFLAGS)
tests_fuzz_fuzz_auth_proto_LDADD = $(PW_LIB_LIBS)

PW_FUZZERS += tests/fuzz/fuzz_auth_token
tests_fuzz_fuzz_auth_token_SOURCES = tests/fuzz/fuzz_auth_token.c
tests_fuzz_fuzz_auth_token_LDFLAGS = $(PW_FUZZ_LDFLAGS)
tests_fuzz_fuzz_auth_token_LDADD = $(PW_LIB_LIBS)

PW_FUZZERS += tests/fuzz/fuzz_http_form
tests_fuzz_fuzz_http_form_SOURCES = tests/fuzz/fuzz_http_form.c \
	http/http_form.c http/http_form.h
tests_fuzz_fuzz_http_form_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/http
tests_fuzz_fuzz_http_form_LDFLAGS = $(PW_FUZZ_LDFLAGS)
tests_fuzz_fuzz_http_form_LDADD = $(PW_LIB_LIBS)
endif
