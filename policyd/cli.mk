# policyd/cli* -- postwarden, the admin command line.

bin_PROGRAMS += policyd/postwarden
policyd_postwarden_SOURCES = \
	policyd/cli.h \
	policyd/cli_config.c \
	policyd/cli_main.c
policyd_postwarden_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
policyd_postwarden_LDADD = $(PW_LIB_LIBS)
