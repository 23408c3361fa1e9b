# tests/daemon -- the daemons as processes: command line, sockets, pid
# files, privileges, signals; the manual against the code and against
# contrib/ (man_contrib.sh: one source for the lines an admin pastes);
# the policy daemon's reply table against lib/rule (man_replies.sh, with
# rule_table printing the code's table); the READMEs against the tree
# (layout.sh: every file described, every "where to look" reference
# names a function that exists).

PW_DAEMON_TESTS = \
	tests/daemon/man_defaults.sh \
	tests/daemon/man_contrib.sh \
	tests/daemon/man_replies.sh \
	tests/daemon/milter.sh \
	tests/daemon/layout.sh
TESTS += $(PW_DAEMON_TESTS)
dist_check_SCRIPTS += $(PW_DAEMON_TESTS)
EXTRA_DIST += tests/daemon/milter_identity.lua tests/daemon/milter_bomb.lua

check_PROGRAMS += tests/daemon/rule_table
tests_daemon_rule_table_SOURCES = tests/daemon/rule_table.c
tests_daemon_rule_table_LDADD = $(PW_LIB_LIBS)
