# tests/e2e -- end-to-end tests: real Redis, a private Postfix instance on
# loopback, smtp-sink, swaks and both postwarden daemons.  They need root
# (a private Postfix) and skip themselves otherwise; CI runs them as root.
#
# selftest.sh     the harness itself: Postfix alone relays to the sink,
#                 reload works, teardown leaves no process behind
# passthrough.sh  mail through Postfix + policyd + milter arrives intact,
#                 and stopping either daemon makes mail fail
# quota.sh        quotas and suppressions through Postfix: a suppressed
#                 recipient 5xx while the others are delivered, billing
#                 recipient_count, 4xx with the exact text at the quota
# quota_shared.sh two Postfix instances with a policyd each, one Redis:
#                 one tenant quota held exactly
# contrib.sh      Postfix as contrib/postfix/main.cf says fails closed (a
#                 daemon down defers mail) and keeps every X-Postwarden-*
#                 field a client wrote from the recipient
# recipients.sh   long, dotted and SMTPUTF8 recipients through Postfix:
#                 refused whole, or suppressed by their normal form; an
#                 SMTPUTF8 recipient's one-click unsubscribe suppresses it
# api.sh          a tenant's mail: pools, tracking ids, control headers,
#                 Feedback-ID, one-click unsubscribe closing the loop with
#                 the policy daemon, VERP, GeoIP routing, DKIM, events
# hardening.sh    issue 11: null sender, the client's Feedback-ID, RFC 8058
#                 only when signed, header bombs, Redis down (fail closed)
# unsubscribe_stream.sh  issue 16: a one-click unsubscribe from a bulk
#                 stream suppresses for that stream (or every bulk stream)
#                 only: the milter removes the recipient at end of data,
#                 transactional mail goes on; Redis down tempfails

PW_E2E_TESTS = \
	tests/e2e/selftest.sh \
	tests/e2e/passthrough.sh \
	tests/e2e/contrib.sh \
	tests/e2e/quota.sh \
	tests/e2e/quota_shared.sh \
	tests/e2e/recipients.sh \
	tests/e2e/api.sh \
	tests/e2e/hardening.sh \
	tests/e2e/unsubscribe_stream.sh

TESTS += $(PW_E2E_TESTS)
dist_check_SCRIPTS += $(PW_E2E_TESTS)


# The whole-stack benchmark (not run by make check) and its results.
EXTRA_DIST += tests/bench/stack_bench.sh docs/bench-stack.md
