# policyd/ -- postwarden-policyd, the Postfix policy server.

sbin_PROGRAMS += policyd/postwarden-policyd
policyd_postwarden_policyd_SOURCES = \
	policyd/policyd_main.c
policyd_postwarden_policyd_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(HIREDIS_CFLAGS)
policyd_postwarden_policyd_LDADD = $(PW_LIB_LIBS)
