# tests/auth -- postwarden-policyd's SASL service (auth/): the protocol
# spoken directly, and SMTP AUTH through a real Postfix.

PW_AUTH_TESTS = \
	tests/auth/protocol.sh
TESTS += $(PW_AUTH_TESTS)
dist_check_SCRIPTS += $(PW_AUTH_TESTS)
EXTRA_DIST += tests/auth/auth_client.py tests/auth/README.md

check_PROGRAMS += tests/auth/auth_mint
tests_auth_auth_mint_SOURCES = tests/auth/auth_mint.c
tests_auth_auth_mint_LDADD = $(PW_LIB_LIBS)
