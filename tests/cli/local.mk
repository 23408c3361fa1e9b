# tests/cli -- postwarden, the admin command line, against a private
# redis-server (bash, TAP; tests/harness/harness.sh).  They need
# redis-server and redis-cli only: no root, no Postfix (usage_policyd.sh
# runs postwarden-policyd too, to check usage against it).

PW_CLI_SH_TESTS = \
	tests/cli/check.sh \
	tests/cli/key.sh \
	tests/cli/key_secret.sh \
	tests/cli/gen.sh \
	tests/cli/domain.sh \
	tests/cli/tenant.sh \
	tests/cli/usage.sh \
	tests/cli/usage_policyd.sh \
	tests/cli/suppress.sh \
	tests/cli/addresses.sh \
	tests/cli/import.sh \
	tests/cli/events.sh \
	tests/cli/errors.sh \
	tests/cli/help.sh \
	tests/cli/track.sh \
	tests/cli/unsubscribe.sh \
	tests/cli/secret.sh \
	tests/cli/domain_dkim.sh \
	tests/cli/domain_dkim_verify.sh \
	tests/cli/domain_verify.sh
TESTS += $(PW_CLI_SH_TESTS)
dist_check_SCRIPTS += $(PW_CLI_SH_TESTS)

EXTRA_DIST += tests/cli/common.sh

# Makes the ids and tokens track.sh, unsubscribe.sh and secret.sh verify.
check_PROGRAMS += tests/cli/track_make
tests_cli_track_make_SOURCES = tests/cli/track_make.c
tests_cli_track_make_LDADD = $(PW_LIB_LIBS)
