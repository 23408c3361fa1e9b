# tests/e2e -- end-to-end tests: real Redis, a private Postfix instance on
# loopback, smtp-sink, swaks and both postwarden daemons.  They need root
# (a private Postfix) and skip themselves otherwise; CI runs them as root.
#
# selftest.sh     the harness itself: Postfix alone relays to the sink,
#                 reload works, teardown leaves no process behind
# passthrough.sh  mail through Postfix + policyd + milter arrives intact,
#                 and stopping either daemon makes mail fail

PW_E2E_TESTS = \
	tests/e2e/selftest.sh \
	tests/e2e/passthrough.sh

TESTS += $(PW_E2E_TESTS)
dist_check_SCRIPTS += $(PW_E2E_TESTS)

