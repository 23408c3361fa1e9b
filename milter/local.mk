# milter/ -- postwarden-milter, the libmilter filter.

sbin_PROGRAMS += milter/postwarden-milter
milter_postwarden_milter_SOURCES = \
	milter/milter.h \
	milter/milter_cb.c \
	milter/milter_conn.c milter/milter_conn.h \
	milter/milter_control.c milter/milter_control.h \
	milter/milter_dkim.c milter/milter_dkim.h \
	milter/milter_domain.c milter/milter_domain.h \
	milter/milter_eom.c milter/milter_eom.h \
	milter/milter_events.c milter/milter_events.h \
	milter/milter_geoip.c \
	milter/milter_http.c milter/milter_http.h \
	milter/milter_identity.c milter/milter_identity.h \
	milter/milter_keys.c milter/milter_keys.h \
	milter/milter_main.c \
	milter/milter_metrics.c milter/milter_metrics.h \
	milter/milter_msg.c milter/milter_msg.h \
	milter/milter_ready.c milter/milter_ready.h \
	milter/milter_refund.c milter/milter_refund.h \
	milter/milter_route.c milter/milter_route.h \
	milter/milter_runtime.c \
	milter/milter_supp.c milter/milter_supp.h \
	milter/milter_tenant.c milter/milter_tenant.h
milter_postwarden_milter_CFLAGS = $(AM_CFLAGS) $(MILTER_CFLAGS) \
	$(HIREDIS_CFLAGS) $(LIBEVENT_CFLAGS) $(LIBCRYPTO_CFLAGS)
milter_postwarden_milter_LDADD = $(PW_LIB_LIBS) $(MILTER_LIBS)
