# policyd/ -- postwarden-policyd, the Postfix policy server.

sbin_PROGRAMS += policyd/postwarden-policyd
policyd_postwarden_policyd_SOURCES = \
	policyd/policyd_main.c \
	policyd/policyd_conn.c policyd/policyd_conn.h \
	policyd/policyd_decide.c policyd/policyd_decide.h \
	policyd/policyd_identity.c policyd/policyd_identity.h \
	policyd/policyd_metrics.c policyd/policyd_metrics.h \
	policyd/policyd_proto.c policyd/policyd_proto.h \
	policyd/policyd_records.c policyd/policyd_records.h \
	policyd/policyd_rules.c policyd/policyd_rules.h \
	policyd/policyd_server.c policyd/policyd_server.h
policyd_postwarden_policyd_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(LIBEVENT_OPENSSL_CFLAGS) $(LIBSSL_CFLAGS) $(HIREDIS_CFLAGS)
policyd_postwarden_policyd_LDADD = $(LIBEVENT_OPENSSL_LIBS) $(LIBSSL_LIBS) \
	$(PW_LIB_LIBS)
