# policyd/cli* -- postwarden, the admin command line.

bin_PROGRAMS += policyd/postwarden
policyd_postwarden_SOURCES = \
	policyd/cli.h \
	policyd/cli_config.c \
	policyd/cli_dkim.c \
	policyd/cli_events.c \
	policyd/cli_key.c \
	policyd/cli_main.c \
	policyd/cli_out.c \
	policyd/cli_record.c \
	policyd/cli_suppress.c \
	policyd/cli_tenant.c policyd/cli_tenant.h \
	policyd/cli_tenant_settings.c \
	policyd/cli_track.c \
	policyd/cli_usage.c \
	policyd/cli_util.c
policyd_postwarden_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
policyd_postwarden_LDADD = $(PW_LIB_LIBS) -lm
