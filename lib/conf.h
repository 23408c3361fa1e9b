/*
 * conf.h -- postwarden.conf: one file, read by every postwarden program.
 *
 * Syntax is that of Postfix's main.cf: "name = value" lines, "#" comments
 * on lines of their own, blank lines ignored, and a line that starts with
 * white space continues the one before it.  No $name expansion.  Settings
 * that belong to one daemon carry its prefix (policyd_, milter_).
 *
 * An unknown name, a bad value, a setting given twice or a missing
 * required value is an error naming file:line and the setting.  Every
 * default lives in the table in conf.c and nowhere else.
 *
 * A loaded configuration is immutable and reference counted; runtime.h
 * publishes it, with what it names, as one snapshot.
 *
 * Settings flagged secret (redis_password, ...) are never printed: dumps
 * show them as "<redacted>".
 *
 * Enumerated settings are enums below, yes/no settings bools: compare
 * those, never the text.
 */
#ifndef PW_CONF_H
#define PW_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define PW_CONF_ERR_MAX	512

/*
 * Enumerated settings: parsed once at load (an unknown value is an error
 * naming the allowed ones), compared as enums.  The names are in conf.c's
 * table, in the order of these values.
 */
enum pw_conf_fail_mode {		/* policyd_fail_mode */
	PW_CONF_FAIL_DEFER = 0,		/* defer */
	PW_CONF_FAIL_PASS,		/* pass */
};
enum pw_conf_unknown_key {		/* policyd_unknown_key */
	PW_CONF_UNKNOWN_REJECT = 0,	/* reject */
	PW_CONF_UNKNOWN_PASS,		/* pass */
};
/* dkim_, milter_identity_, milter_suppression_failure_mode */
enum pw_conf_failure_mode {
	PW_CONF_FAILURE_TEMPFAIL = 0,	/* tempfail */
	PW_CONF_FAILURE_ACCEPT,		/* accept */
};
enum pw_conf_control_errors {		/* milter_control_errors */
	PW_CONF_CONTROL_REJECT = 0,	/* reject */
	PW_CONF_CONTROL_IGNORE,		/* ignore */
};
enum pw_conf_from_mismatch {		/* milter_from_domain_mismatch */
	PW_CONF_FROM_REJECT = 0,	/* reject */
	PW_CONF_FROM_UNSIGNED,		/* unsigned */
};

struct pw_conf {
	char	*path;			/* the file this came from */
	int	 refs;			/* see pw_conf_ref/pw_conf_release */

	/* common */
	char	*user;
	char	*group;
	char	*socket_group;
	int	 socket_mode;
	int	 log_level;		/* enum pw_log_level */
	int	 shutdown_timeout_ms;

	/* Redis */
	char	*redis_server;		/* unix:/path or inet:host:port */
	char	*redis_username;
	char	*redis_password;	/* secret */
	int	 redis_database;
	int	 redis_connect_timeout_ms;
	int	 redis_command_timeout_ms;
	int	 redis_reconnect_delay_ms;
	int	 redis_reconnect_max_delay_ms;
	char	*redis_key_prefix;

	/* identity */
	char	*identity_network_table;
	char	*identity_sender_table;
	int	 identity_cache_ttl_ms;
	int	 identity_cache_size;	/* policyd's entries */

	/* postwarden-policyd */
	char	*policyd_listen;
	char	*policyd_pid_file;
	int	 policyd_max_connections;
	char	*policyd_allowed_clients;	/* networks, TCP only */
	int	 policyd_idle_timeout_ms;
	int	 policyd_request_timeout_ms;	/* first byte to last */
	int	 policyd_max_request_size;
	int	 policyd_max_line_length;
	int	 policyd_max_attributes;
	enum pw_conf_fail_mode	 policyd_fail_mode;
	enum pw_conf_unknown_key policyd_unknown_key;
	bool	 tenant_domains_required;	/* yes | no */
	int	 policyd_reservation_ttl_ms;
	char	*policyd_geoip_database;
	int	 events_max_length;	/* 0: no events */

	/* SMTP AUTH: API key secrets (postwarden key, the SASL service) */
	char	*auth_pepper_file;	/* HMAC key of the secrets; "" none */

	/* SMTP AUTH: postwarden-policyd's SASL service */
	char	*auth_listen;		/* "": no service */
	char	*auth_mechanisms;	/* PLAIN and/or LOGIN */
	int	 auth_max_connections;	/* counted with policyd's in the fds */
	int	 auth_fail_window_ms;
	int	 auth_fail_key_limit;
	int	 auth_fail_client_limit;
	int	 auth_cache_size;	/* 0: no cache */
	int	 auth_cache_ttl_ms;
	bool	 auth_refuse_quota_spent;	/* yes | no */

	/* HTTP: postwarden-policyd's HTTP service */
	char	*http_listen;		/* "": no service */
	char	*http_unsubscribe_path;	/* "/u": POST /u/TOKEN */
	int	 http_max_body;		/* bytes */
	int	 http_max_headers_size;	/* bytes */
	int	 http_timeout_ms;	/* a request's read and write */
	int	 http_max_connections;	/* counted with policyd's in the fds */
	char	*http_tls_listen;	/* "": no HTTPS */
	char	*http_tls_cert_file;	/* PEM chain, leaf first */
	char	*http_tls_key_file;	/* PEM private key */
	bool	 metrics_per_tenant;	/* yes | no: series by tenant */
	int	 metrics_tenant_limit;	/* most tenants with series */

	/* postwarden-milter */
	char	*milter_socket;
	char	*milter_pid_file;
	int	 milter_timeout_ms;
	char	*milter_http_listen;	/* "": no HTTP (health, metrics) */
	/* caches of postwarden-milter: entries */
	int	 milter_tenant_cache_size;
	int	 milter_domain_cache_size;
	int	 milter_dkim_key_cache_size;

	/* DKIM signing (postwarden-milter) */
	char	*dkim_key_table;
	char	*dkim_signing_table;
	char	*dkim_canonicalization;	/* header/body */
	char	*dkim_signed_headers;
	char	*dkim_oversign_headers;
	int	 dkim_expire_ms;		/* 0: no x= */
	enum pw_conf_failure_mode dkim_failure_mode;
	char	*dkim_kek_file;	/* KEK of the keys in Redis; "" none */
	int	 dkim_keep_published_ms;	/* a replaced key's DNS record */
	bool	 dkim_key_mode_check;	/* yes | no */
	bool	 dkim_require_verified;	/* Redis keys: verified DNS only */
	int	 dkim_max_header_size;
	int	 dkim_line_length_limit;	/* smtp_line_length_limit */
	int	 dkim_record_length_limit;	/* line_length_limit */
	char	*milter_internal_networks;

	/* DNS (postwarden domain verify) */
	char	*dns_resolver;		/* "": /etc/resolv.conf */
	int	 dns_timeout_ms;	/* each lookup */
	char	*dns_trust_anchor_file;	/* "": no DNSSEC validation */

	/* tracking, control headers, routing, events (postwarden-milter) */
	char	*tracking_secret_file;	/* HMAC secret; "" = no ids */
	char	*milter_tracking_header;
	enum pw_conf_control_errors milter_control_errors;
	enum pw_conf_failure_mode milter_identity_failure_mode;
	enum pw_conf_failure_mode milter_suppression_failure_mode;
	enum pw_conf_from_mismatch milter_from_domain_mismatch;
	int	 milter_max_tags;
	int	 milter_max_metadata;
	char	*milter_feedback_id_sender;	/* "" = no Feedback-ID */
	char	*milter_pools;
	char	*milter_default_pool;
	char	*milter_route_header;
	char	*milter_geoip_database;
	int	 milter_event_queue_max;
};

/*
 * Read a file.  0 and *conf_r (refs 1) on success; -1 and a message in err
 * ("path:line: setting: what is wrong") otherwise.
 */
int	pw_conf_load(const char *path, struct pw_conf **conf_r, char *err,
	    size_t errsize);
/* The same from text in memory; name stands in for the file name. */
int	pw_conf_parse(const char *name, const char *text, size_t len,
	    struct pw_conf **conf_r, char *err, size_t errsize);
/* A configuration holding only defaults. */
struct pw_conf *pw_conf_defaults(void);
/* Take or drop a reference (thread-safe); the last release frees. */
struct pw_conf *pw_conf_ref(struct pw_conf *conf);
void	pw_conf_release(struct pw_conf **conf);
/* Print "name = value" for every setting (secrets redacted). */
void	pw_conf_dump(const struct pw_conf *conf, FILE *fp, bool changed_only);
/*
 * Call fn(name, value, arg) for every setting in table order, the value
 * as pw_conf_dump prints it (secrets redacted); with changed_only, only
 * the settings whose value differs from the default.
 */
void	pw_conf_foreach(const struct pw_conf *conf, bool changed_only,
	    void (*fn)(const char *name, const char *value, void *arg),
	    void *arg);

/*
 * The text of value of the enumerated setting name ("policyd_fail_mode",
 * PW_CONF_FAIL_PASS -> "pass"), as the file spells it; "?" for a name
 * or value that is none.
 */
const char *pw_conf_enum_name(const char *name, int value);

/* The default file, $(sysconfdir)/postwarden/postwarden.conf. */
extern const char pw_conf_default_path[];

/*
 * Split a list value ("a, b c") into its elements, calling fn for each;
 * stops and returns fn's value when it is not 0.
 */
int	pw_conf_list_foreach(const char *list,
	    int (*fn)(const char *item, size_t len, void *arg), void *arg);

#endif
