# auth/ -- the SMTP AUTH service (Dovecot authentication protocol for
# Postfix's smtpd_sasl_type = dovecot), built into postwarden-policyd:
# it shares that daemon's event loop, Redis connection and key cache.

policyd_postwarden_policyd_SOURCES += \
	auth/auth_cache.c auth/auth_cache.h \
	auth/auth_conn.c auth/auth_conn.h \
	auth/auth_mech.c auth/auth_mech.h \
	auth/auth_proto.c auth/auth_proto.h \
	auth/auth_server.c auth/auth_server.h \
	auth/auth_throttle.c auth/auth_throttle.h \
	auth/auth_verify.c auth/auth_verify.h
policyd_postwarden_policyd_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/auth -I$(top_srcdir)/policyd
EXTRA_DIST += auth/README.md
