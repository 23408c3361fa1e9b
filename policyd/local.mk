# policyd/ -- postwarden-policyd, the policy server, and postwarden, the CLI.

sbin_PROGRAMS += policyd/postwarden-policyd
policyd_postwarden_policyd_SOURCES = \
	policyd/policyd_main.c
policyd_postwarden_policyd_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(HIREDIS_CFLAGS)
policyd_postwarden_policyd_LDADD = $(PW_LIB_LIBS)

bin_PROGRAMS += policyd/postwarden
policyd_postwarden_SOURCES = \
	policyd/cli_main.c
policyd_postwarden_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
policyd_postwarden_LDADD = $(PW_LIB_LIBS)
