# cli/ -- postwarden, the admin command line over the same configuration
# and Redis data as the daemons; its own directory because half of what it
# does (dkim, track, unsubscribe, a tenant's milter settings) serves the milter.

bin_PROGRAMS += cli/postwarden
cli_postwarden_SOURCES = \
	cli/cli.h \
	cli/cli_auth.c \
	cli/cli_check.c cli/cli_check.h \
	cli/cli_check_file.c \
	cli/cli_check_http.c \
	cli/cli_cmd.c \
	cli/cli_config.c \
	cli/cli_dkim.c \
	cli/cli_domain.c cli/cli_domain.h \
	cli/cli_domain_dkim.c \
	cli/cli_domain_owner.c \
	cli/cli_domain_check.c cli/cli_domain_check.h \
	cli/cli_domain_verify.c \
	cli/cli_events.c \
	cli/cli_fields.c \
	cli/cli_key.c \
	cli/cli_key_secret.c \
	cli/cli_lookup.c \
	cli/cli_main.c \
	cli/cli_out.c \
	cli/cli_parse.c \
	cli/cli_record.c \
	cli/cli_secret.c \
	cli/cli_suppress.c cli/cli_suppress.h \
	cli/cli_suppress_csv.c \
	cli/cli_suppress_entry.c \
	cli/cli_suppress_global.c \
	cli/cli_tenant.c cli/cli_tenant.h \
	cli/cli_tenant_settings.c \
	cli/cli_track.c \
	cli/cli_usage.c \
	cli/cli_usage_refused.c \
	cli/cli_util.c
cli_postwarden_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS) $(LIBCRYPTO_CFLAGS)
cli_postwarden_LDADD = $(PW_LIB_LIBS)
