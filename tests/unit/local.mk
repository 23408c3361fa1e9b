# tests/unit -- cmocka unit tests of lib/.

PW_UNIT_TESTS = \
	tests/unit/test_address \
	tests/unit/test_auth_secret \
	tests/unit/test_buf \
	tests/unit/test_cache \
	tests/unit/test_cidr \
	tests/unit/test_conf \
	tests/unit/test_dkim_dns \
	tests/unit/test_identity \
	tests/unit/test_identity_cache \
	tests/unit/test_json \
	tests/unit/test_limit \
	tests/unit/test_log \
	tests/unit/test_metrics \
	tests/unit/test_milter_control \
	tests/unit/test_milter_route \
	tests/unit/test_rfc5322_addr \
	tests/unit/test_schema \
	tests/unit/test_seal \
	tests/unit/test_rule \
	tests/unit/test_smtp_lines \
	tests/unit/test_tenant_fields \
	tests/unit/test_track
check_PROGRAMS += $(PW_UNIT_TESTS)
TESTS += $(PW_UNIT_TESTS)

tests_unit_test_address_SOURCES = tests/unit/test_address.c
tests_unit_test_address_CFLAGS = $(PW_TEST_CFLAGS)
tests_unit_test_address_LDADD = $(PW_TEST_LIBS)

tests_unit_test_auth_secret_SOURCES = tests/unit/test_auth_secret.c
tests_unit_test_auth_secret_CFLAGS = $(PW_TEST_CFLAGS)
tests_unit_test_auth_secret_LDADD = $(PW_TEST_LIBS)

tests_unit_test_metrics_SOURCES = tests/unit/test_metrics.c
tests_unit_test_metrics_CFLAGS = $(PW_TEST_CFLAGS)
tests_unit_test_metrics_LDADD = $(PW_TEST_LIBS)

tests_unit_test_buf_SOURCES = tests/unit/test_buf.c
tests_unit_test_buf_CFLAGS = $(PW_TEST_CFLAGS)
tests_unit_test_buf_LDADD = $(PW_TEST_LIBS)

tests_unit_test_cache_SOURCES = tests/unit/test_cache.c
tests_unit_test_cache_CFLAGS = $(PW_TEST_CFLAGS)
tests_unit_test_cache_LDADD = $(PW_TEST_LIBS)

tests_unit_test_conf_SOURCES = tests/unit/test_conf.c
tests_unit_test_conf_CFLAGS = $(PW_TEST_CFLAGS)
tests_unit_test_conf_LDADD = $(PW_TEST_LIBS)

tests_unit_test_dkim_dns_SOURCES = tests/unit/test_dkim_dns.c
tests_unit_test_dkim_dns_CFLAGS = $(PW_TEST_CFLAGS)
tests_unit_test_dkim_dns_LDADD = $(PW_TEST_LIBS)

tests_unit_test_identity_SOURCES = tests/unit/test_identity.c
tests_unit_test_identity_CFLAGS = $(PW_TEST_CFLAGS)
tests_unit_test_identity_LDADD = $(PW_TEST_LIBS)

tests_unit_test_log_SOURCES = tests/unit/test_log.c
tests_unit_test_log_CFLAGS = $(PW_TEST_CFLAGS)
tests_unit_test_log_LDADD = $(PW_TEST_LIBS)

tests_unit_test_identity_cache_SOURCES = tests/unit/test_identity_cache.c
tests_unit_test_identity_cache_CFLAGS = $(PW_TEST_CFLAGS)
tests_unit_test_identity_cache_LDADD = $(PW_TEST_LIBS)

tests_unit_test_cidr_SOURCES = tests/unit/test_cidr.c
tests_unit_test_cidr_CFLAGS = $(PW_TEST_CFLAGS)
tests_unit_test_cidr_LDADD = $(PW_TEST_LIBS)

tests_unit_test_json_SOURCES = tests/unit/test_json.c
tests_unit_test_json_CFLAGS = $(PW_TEST_CFLAGS)
tests_unit_test_json_LDADD = $(PW_TEST_LIBS)
tests_unit_test_rfc5322_addr_SOURCES = tests/unit/test_rfc5322_addr.c
tests_unit_test_rfc5322_addr_CFLAGS = $(PW_TEST_CFLAGS)
tests_unit_test_rfc5322_addr_LDADD = $(PW_TEST_LIBS)

tests_unit_test_smtp_lines_SOURCES = tests/unit/test_smtp_lines.c
tests_unit_test_smtp_lines_CFLAGS = $(PW_TEST_CFLAGS)
tests_unit_test_smtp_lines_LDADD = $(PW_TEST_LIBS)

tests_unit_test_tenant_fields_SOURCES = tests/unit/test_tenant_fields.c
tests_unit_test_tenant_fields_CFLAGS = $(PW_TEST_CFLAGS)
tests_unit_test_tenant_fields_LDADD = $(PW_TEST_LIBS)

tests_unit_test_seal_SOURCES = tests/unit/test_seal.c
tests_unit_test_seal_CFLAGS = $(PW_TEST_CFLAGS) $(LIBCRYPTO_CFLAGS)
tests_unit_test_seal_LDADD = $(PW_TEST_LIBS)

tests_unit_test_track_SOURCES = tests/unit/test_track.c
tests_unit_test_track_CFLAGS = $(PW_TEST_CFLAGS) $(LIBCRYPTO_CFLAGS)
tests_unit_test_track_LDADD = $(PW_TEST_LIBS)

tests_unit_test_milter_route_SOURCES = tests/unit/test_milter_route.c \
	milter/milter_route.c milter/milter_route.h
tests_unit_test_milter_route_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/milter
tests_unit_test_milter_route_CFLAGS = $(PW_TEST_CFLAGS)
tests_unit_test_milter_route_LDADD = $(PW_TEST_LIBS)

tests_unit_test_milter_control_SOURCES = tests/unit/test_milter_control.c \
	milter/milter_control.c milter/milter_control.h
tests_unit_test_milter_control_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/milter
tests_unit_test_milter_control_CFLAGS = $(PW_TEST_CFLAGS)
tests_unit_test_milter_control_LDADD = $(PW_TEST_LIBS)

tests_unit_test_schema_SOURCES = tests/unit/test_schema.c
tests_unit_test_schema_CFLAGS = $(PW_TEST_CFLAGS)
tests_unit_test_schema_LDADD = $(PW_TEST_LIBS)

# lib/schema's table against docs/redis-schema.md and lua/schema.lua
# (schema.sh, through schema_dump).  After changing the table:
# `make lua-schema` writes lua/schema.lua anew.
check_PROGRAMS += tests/unit/schema_dump
tests_unit_schema_dump_SOURCES = tests/unit/schema_dump.c
tests_unit_schema_dump_LDADD = $(PW_LIB_LIBS)
TESTS += tests/unit/schema.sh
dist_check_SCRIPTS += tests/unit/schema.sh

lua-schema: tests/unit/schema_dump$(EXEEXT)
	$(AM_V_GEN)tests/unit/schema_dump --lua >$(srcdir)/lua/schema.lua.tmp && \
	mv $(srcdir)/lua/schema.lua.tmp $(srcdir)/lua/schema.lua
.PHONY: lua-schema
tests_unit_test_limit_SOURCES = tests/unit/test_limit.c
tests_unit_test_limit_CFLAGS = $(PW_TEST_CFLAGS)
tests_unit_test_limit_LDADD = $(PW_TEST_LIBS)

tests_unit_test_rule_SOURCES = tests/unit/test_rule.c
tests_unit_test_rule_CFLAGS = $(PW_TEST_CFLAGS)
tests_unit_test_rule_LDADD = $(PW_TEST_LIBS)
