# tests/daemon -- the daemons as processes: command line, sockets, pid
# files, privileges, signals; the manual against the code and against
# contrib/ (man_contrib.sh: one source for the lines an admin pastes).

PW_DAEMON_TESTS = \
	tests/daemon/man_defaults.sh \
	tests/daemon/man_contrib.sh \
	tests/daemon/milter.sh
TESTS += $(PW_DAEMON_TESTS)
dist_check_SCRIPTS += $(PW_DAEMON_TESTS)
EXTRA_DIST += tests/daemon/milter_identity.lua tests/daemon/milter_bomb.lua
