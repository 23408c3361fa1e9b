/*
 * conf.c -- postwarden.conf parser and settings table (see conf.h).
 *
 * The table below is the only place a setting's name, type, default and
 * bounds are written down; man/postwarden.conf.5 documents the same
 * values, and tests/unit/test_conf.c checks the two agree.
 *
 * Enumerated settings (PW_CONF_ENUM, with their allowed values) and
 * yes/no ones (PW_CONF_BOOL) are parsed here, once, into the enums and
 * bools of conf.h; an error names the allowed values.
 *
 * Parsing is strict: the first error stops it and is reported with
 * file:line.  Values are untrusted only in the sense of being typed by an
 * admin: lines are bounded by the file size, and nothing is executed.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "buf.h"
#include "cidr.h"
#include "conf.h"
#include "dkim_canon.h"
#include "dns.h"
#include "lib/paths.h"	/* generated: PW_SYSCONFDIR, PW_RUNSTATEDIR */
#include "log.h"
#include "tenant_fields.h"
#include "xmalloc.h"

/* Largest configuration file we read; a main.cf is a few kilobytes. */
#define PW_CONF_FILE_MAX	(1024 * 1024)

const char pw_conf_default_path[] = PW_SYSCONFDIR "/postwarden/postwarden.conf";

enum pw_conf_type {
	PW_CONF_STRING,		/* free text */
	PW_CONF_LIST,		/* comma and/or space separated items */
	PW_CONF_PATH,		/* absolute path, or empty */
	PW_CONF_INT,		/* decimal, within min..max */
	PW_CONF_TIME,		/* number + unit ms|s|m|h|d, default s */
	PW_CONF_MODE,		/* octal file mode */
	PW_CONF_LEVEL,		/* log level name */
	PW_CONF_ENUM,		/* one of values[]: its index, an enum */
	PW_CONF_BOOL,		/* yes or no: a bool */
};

#define PW_CONF_SECRET		0x01	/* never printed */
#define PW_CONF_NONEMPTY	0x02	/* an empty value is an error */

struct pw_conf_entry {
	const char		*name;
	enum pw_conf_type	 type;
	const char		*def;
	long long		 min, max;	/* INT: value; TIME: ms */
	int			 flags;
	size_t			 offset;
	/* Extra check of a string value; NULL or a static reason. */
	const char		*(*check)(const char *value);
	/* ENUM: the allowed values, NULL-terminated, in enum order. */
	const char *const	*values;
};

static const char *pw_conf_check_endpoint(const char *);
static const char *pw_conf_check_endpoint_list(const char *);
static const char *pw_conf_check_prefix(const char *);
static const char *pw_conf_check_canon(const char *);
static const char *pw_conf_check_header_names(const char *);
static const char *pw_conf_check_line_limit(const char *);
static const char *pw_conf_check_header_name_one(const char *);
static const char *pw_conf_check_pool_list(const char *);
static const char *pw_conf_check_pool(const char *);
static const char *pw_conf_check_networks(const char *);
static const char *pw_conf_check_resolvers(const char *);
static const char *pw_conf_check_mechanisms(const char *);
static const char *pw_conf_check_http_path(const char *);

/* The values of the ENUM settings, in the order of their enums (conf.h). */
static const char *const pw_conf_fail_modes[] = { "defer", "pass", NULL };
static const char *const pw_conf_unknown_keys[] = { "reject", "pass", NULL };
static const char *const pw_conf_failure_modes[] = { "tempfail", "accept",
    NULL };
static const char *const pw_conf_control_errors[] = { "reject", "ignore",
    NULL };
static const char *const pw_conf_from_mismatch[] = { "reject", "unsigned",
    NULL };

#define S(field)	offsetof(struct pw_conf, field)

static const struct pw_conf_entry pw_conf_table[] = {
	/* common */
	{ "user", PW_CONF_STRING, "postwarden", 0, 0, PW_CONF_NONEMPTY,
	    S(user), NULL, NULL },
	{ "group", PW_CONF_STRING, "", 0, 0, 0, S(group), NULL, NULL },
	{ "socket_group", PW_CONF_STRING, "postfix", 0, 0, 0,
	    S(socket_group), NULL, NULL },
	{ "socket_mode", PW_CONF_MODE, "0660", 0, 0777, 0,
	    S(socket_mode), NULL, NULL },
	{ "log_level", PW_CONF_LEVEL, "info", 0, 0, 0, S(log_level), NULL,
	    NULL },
	{ "shutdown_timeout", PW_CONF_TIME, "30s", 0, 3600 * 1000LL, 0,
	    S(shutdown_timeout_ms), NULL, NULL },

	/* Redis */
	{ "redis_server", PW_CONF_STRING, "inet:127.0.0.1:6379", 0, 0,
	    PW_CONF_NONEMPTY, S(redis_server), pw_conf_check_endpoint, NULL },
	{ "redis_username", PW_CONF_STRING, "", 0, 0, 0,
	    S(redis_username), NULL, NULL },
	{ "redis_password", PW_CONF_STRING, "", 0, 0, PW_CONF_SECRET,
	    S(redis_password), NULL, NULL },
	{ "redis_database", PW_CONF_INT, "0", 0, 1000000, 0,
	    S(redis_database), NULL, NULL },
	{ "redis_connect_timeout", PW_CONF_TIME, "1s", 1, 60 * 1000, 0,
	    S(redis_connect_timeout_ms), NULL, NULL },
	{ "redis_command_timeout", PW_CONF_TIME, "250ms", 1, 60 * 1000, 0,
	    S(redis_command_timeout_ms), NULL, NULL },
	{ "redis_reconnect_delay", PW_CONF_TIME, "100ms", 1, 60 * 1000, 0,
	    S(redis_reconnect_delay_ms), NULL, NULL },
	{ "redis_reconnect_max_delay", PW_CONF_TIME, "1s", 1, 600 * 1000, 0,
	    S(redis_reconnect_max_delay_ms), NULL, NULL },
	{ "redis_key_prefix", PW_CONF_STRING, "pw:", 0, 0, PW_CONF_NONEMPTY,
	    S(redis_key_prefix), pw_conf_check_prefix, NULL },

	/* identity */
	{ "identity_network_table", PW_CONF_PATH, "", 0, 0, 0,
	    S(identity_network_table), NULL, NULL },
	{ "identity_sender_table", PW_CONF_PATH, "", 0, 0, 0,
	    S(identity_sender_table), NULL, NULL },
	{ "identity_cache_ttl", PW_CONF_TIME, "60s", 0, 86400 * 1000LL, 0,
	    S(identity_cache_ttl_ms), NULL, NULL },
	{ "identity_cache_size", PW_CONF_INT, "131072", 1, 16777216, 0,
	    S(identity_cache_size), NULL, NULL },

	/* postwarden-policyd */
	{ "policyd_listen", PW_CONF_LIST, "inet:127.0.0.1:10040", 0, 0,
	    PW_CONF_NONEMPTY, S(policyd_listen), pw_conf_check_endpoint_list,
	    NULL },
	{ "policyd_pid_file", PW_CONF_PATH,
	    PW_RUNSTATEDIR "/postwarden/policyd.pid", 0, 0, 0,
	    S(policyd_pid_file), NULL, NULL },
	{ "policyd_max_connections", PW_CONF_INT, "4096", 1, 1000000, 0,
	    S(policyd_max_connections), NULL, NULL },
	{ "policyd_allowed_clients", PW_CONF_LIST, "127.0.0.0/8, [::1]/128",
	    0, 0, 0, S(policyd_allowed_clients), pw_conf_check_networks, NULL },
	{ "policyd_idle_timeout", PW_CONF_TIME, "600s", 1000, 86400 * 1000LL, 0,
	    S(policyd_idle_timeout_ms), NULL, NULL },
	{ "policyd_request_timeout", PW_CONF_TIME, "10s", 100,
	    3600 * 1000LL, 0, S(policyd_request_timeout_ms), NULL, NULL },
	{ "policyd_max_request_size", PW_CONF_INT, "65536", 1024, 16777216, 0,
	    S(policyd_max_request_size), NULL, NULL },
	{ "policyd_max_line_length", PW_CONF_INT, "8192", 256, 16777216, 0,
	    S(policyd_max_line_length), NULL, NULL },
	{ "policyd_max_attributes", PW_CONF_INT, "128", 8, 100000, 0,
	    S(policyd_max_attributes), NULL, NULL },
	{ "policyd_fail_mode", PW_CONF_ENUM, "defer", 0, 0, PW_CONF_NONEMPTY,
	    S(policyd_fail_mode), NULL, pw_conf_fail_modes },
	{ "policyd_unknown_key", PW_CONF_ENUM, "reject", 0, 0, PW_CONF_NONEMPTY,
	    S(policyd_unknown_key), NULL, pw_conf_unknown_keys },
	{ "tenant_domains_required", PW_CONF_BOOL, "yes", 0, 0,
	    PW_CONF_NONEMPTY, S(tenant_domains_required), NULL, NULL },
	{ "policyd_reservation_ttl", PW_CONF_TIME, "900s", 1000,
	    86400 * 1000LL, 0, S(policyd_reservation_ttl_ms), NULL, NULL },
	{ "policyd_geoip_database", PW_CONF_PATH, "", 0, 0, 0,
	    S(policyd_geoip_database), NULL, NULL },
	{ "events_max_length", PW_CONF_INT, "100000", 0, 1000000000, 0,
	    S(events_max_length), NULL, NULL },
	{ "auth_pepper_file", PW_CONF_PATH, "", 0, 0, 0,
	    S(auth_pepper_file), NULL, NULL },

	/* SMTP AUTH: postwarden-policyd's SASL service (auth/) */
	{ "auth_listen", PW_CONF_LIST, "", 0, 0, 0,
	    S(auth_listen), pw_conf_check_endpoint_list, NULL },
	{ "auth_mechanisms", PW_CONF_LIST, "PLAIN LOGIN", 0, 0,
	    PW_CONF_NONEMPTY, S(auth_mechanisms), pw_conf_check_mechanisms,
	    NULL },
	{ "auth_max_connections", PW_CONF_INT, "1024", 1, 1000000, 0,
	    S(auth_max_connections), NULL, NULL },
	{ "auth_fail_window", PW_CONF_TIME, "600s", 1000, 86400 * 1000LL, 0,
	    S(auth_fail_window_ms), NULL, NULL },
	{ "auth_fail_key_limit", PW_CONF_INT, "50", 1, 1000000, 0,
	    S(auth_fail_key_limit), NULL, NULL },
	{ "auth_fail_client_limit", PW_CONF_INT, "10", 1, 1000000, 0,
	    S(auth_fail_client_limit), NULL, NULL },
	{ "auth_cache_size", PW_CONF_INT, "10000", 0, 10000000, 0,
	    S(auth_cache_size), NULL, NULL },
	{ "auth_cache_ttl", PW_CONF_TIME, "3600s", 0, 7 * 86400 * 1000LL, 0,
	    S(auth_cache_ttl_ms), NULL, NULL },
	{ "auth_refuse_quota_spent", PW_CONF_BOOL, "no", 0, 0,
	    PW_CONF_NONEMPTY, S(auth_refuse_quota_spent), NULL, NULL },

	/* HTTP: postwarden-policyd's HTTP service (http/); the limits apply to
	   postwarden-milter's (milter_http_listen) too */
	{ "http_listen", PW_CONF_LIST, "", 0, 0, 0,
	    S(http_listen), pw_conf_check_endpoint_list, NULL },
	{ "http_unsubscribe_path", PW_CONF_STRING, "/u", 0, 0,
	    PW_CONF_NONEMPTY, S(http_unsubscribe_path),
	    pw_conf_check_http_path, NULL },
	{ "http_max_body", PW_CONF_INT, "4096", 64, 1048576, 0,
	    S(http_max_body), NULL, NULL },
	{ "http_max_headers_size", PW_CONF_INT, "8192", 1024, 1048576, 0,
	    S(http_max_headers_size), NULL, NULL },
	{ "http_timeout", PW_CONF_TIME, "10s", 1000, 3600 * 1000LL, 0,
	    S(http_timeout_ms), NULL, NULL },
	{ "http_max_connections", PW_CONF_INT, "512", 1, 1000000, 0,
	    S(http_max_connections), NULL, NULL },
	{ "http_tls_listen", PW_CONF_LIST, "", 0, 0, 0,
	    S(http_tls_listen), pw_conf_check_endpoint_list, NULL },
	{ "http_tls_cert_file", PW_CONF_PATH, "", 0, 0, 0,
	    S(http_tls_cert_file), NULL, NULL },
	{ "http_tls_key_file", PW_CONF_PATH, "", 0, 0, 0,
	    S(http_tls_key_file), NULL, NULL },
	{ "metrics_per_tenant", PW_CONF_BOOL, "no", 0, 0, PW_CONF_NONEMPTY,
	    S(metrics_per_tenant), NULL, NULL },
	{ "metrics_tenant_limit", PW_CONF_INT, "10000", 1, 100000, 0,
	    S(metrics_tenant_limit), NULL, NULL },

	/* postwarden-milter */
	{ "milter_socket", PW_CONF_STRING,
	    "unix:" PW_RUNSTATEDIR "/postwarden/milter.sock", 0, 0,
	    PW_CONF_NONEMPTY, S(milter_socket), pw_conf_check_endpoint, NULL },
	{ "milter_pid_file", PW_CONF_PATH,
	    PW_RUNSTATEDIR "/postwarden/milter.pid", 0, 0, 0,
	    S(milter_pid_file), NULL, NULL },
	{ "milter_timeout", PW_CONF_TIME, "300s", 1000, 7200 * 1000LL, 0,
	    S(milter_timeout_ms), NULL, NULL },
	{ "milter_http_listen", PW_CONF_LIST, "", 0, 0, 0,
	    S(milter_http_listen), pw_conf_check_endpoint_list, NULL },

	/* caches of postwarden-milter (entries, least recently used evicted) */
	{ "milter_tenant_cache_size", PW_CONF_INT, "4096", 16, 16777216, 0,
	    S(milter_tenant_cache_size), NULL, NULL },
	{ "milter_domain_cache_size", PW_CONF_INT, "16384", 16, 16777216, 0,
	    S(milter_domain_cache_size), NULL, NULL },
	{ "milter_dkim_key_cache_size", PW_CONF_INT, "16384", 16, 16777216,
	    0, S(milter_dkim_key_cache_size), NULL, NULL },

	/* DKIM signing (postwarden-milter) */
	{ "dkim_key_table", PW_CONF_PATH, "", 0, 0, 0,
	    S(dkim_key_table), NULL, NULL },
	{ "dkim_signing_table", PW_CONF_PATH, "", 0, 0, 0,
	    S(dkim_signing_table), NULL, NULL },
	{ "dkim_canonicalization", PW_CONF_STRING, "relaxed/relaxed", 0, 0,
	    PW_CONF_NONEMPTY, S(dkim_canonicalization), pw_conf_check_canon,
	    NULL },
	{ "dkim_signed_headers", PW_CONF_LIST,
	    "From, To, Cc, Subject, Date, Message-ID, Reply-To, In-Reply-To, "
	    "References, MIME-Version, Content-Type, Content-Transfer-Encoding, "
	    "List-Unsubscribe, List-Unsubscribe-Post, Feedback-ID, "
	    "X-Postwarden-ID, Sender, List-Id, List-Help, List-Subscribe, "
	    "List-Post, List-Owner, List-Archive, Resent-Date, Resent-From, "
	    "Resent-Sender, Resent-To, Resent-Cc, Resent-Message-ID",
	    0, 0, 0, S(dkim_signed_headers), pw_conf_check_header_names, NULL },
	{ "dkim_oversign_headers", PW_CONF_LIST,
	    "From, Reply-To, Subject, Date, To, Cc, Message-ID, "
	    "List-Unsubscribe, List-Unsubscribe-Post, Feedback-ID, "
	    "X-Postwarden-ID, MIME-Version, Content-Type, "
	    "Content-Transfer-Encoding, In-Reply-To, References", 0, 0, 0,
	    S(dkim_oversign_headers), pw_conf_check_header_names, NULL },
	{ "dkim_expire", PW_CONF_TIME, "0s", 0, 20 * 86400 * 1000LL, 0,
	    S(dkim_expire_ms), NULL, NULL },
	{ "dkim_failure_mode", PW_CONF_ENUM, "tempfail", 0, 0, PW_CONF_NONEMPTY,
	    S(dkim_failure_mode), NULL, pw_conf_failure_modes },
	{ "dkim_kek_file", PW_CONF_PATH, "", 0, 0, 0,
	    S(dkim_kek_file), NULL, NULL },
	{ "dkim_keep_published", PW_CONF_TIME, "7d", 0, 20 * 86400 * 1000LL,
	    0, S(dkim_keep_published_ms), NULL, NULL },
	{ "dkim_key_mode_check", PW_CONF_BOOL, "yes", 0, 0, PW_CONF_NONEMPTY,
	    S(dkim_key_mode_check), NULL, NULL },
	{ "dkim_require_verified", PW_CONF_BOOL, "yes", 0, 0,
	    PW_CONF_NONEMPTY, S(dkim_require_verified), NULL, NULL },
	{ "dkim_max_header_size", PW_CONF_INT, "1048576", 65536, 16777216, 0,
	    S(dkim_max_header_size), NULL, NULL },
	{ "dkim_line_length_limit", PW_CONF_INT, "998", 0, 1000000, 0,
	    S(dkim_line_length_limit), pw_conf_check_line_limit, NULL },
	{ "dkim_record_length_limit", PW_CONF_INT, "2048", 0, 1000000, 0,
	    S(dkim_record_length_limit), NULL, NULL },
	{ "milter_internal_networks", PW_CONF_LIST, "", 0, 0, 0,
	    S(milter_internal_networks), NULL, NULL },

	/* DNS (postwarden domain verify) */
	{ "dns_resolver", PW_CONF_LIST, "", 0, 0, 0,
	    S(dns_resolver), pw_conf_check_resolvers, NULL },
	{ "dns_timeout", PW_CONF_TIME, "5s", 100, 60 * 1000, 0,
	    S(dns_timeout_ms), NULL, NULL },
	{ "dns_trust_anchor_file", PW_CONF_PATH, "", 0, 0, 0,
	    S(dns_trust_anchor_file), NULL, NULL },

	/* tracking, control headers, routing, events (postwarden-milter) */
	{ "tracking_secret_file", PW_CONF_PATH, "", 0, 0, 0,
	    S(tracking_secret_file), NULL, NULL },
	{ "milter_tracking_header", PW_CONF_STRING, "X-Postwarden-ID", 0, 0,
	    PW_CONF_NONEMPTY, S(milter_tracking_header),
	    pw_conf_check_header_name_one, NULL },
	{ "milter_control_errors", PW_CONF_ENUM, "reject", 0, 0,
	    PW_CONF_NONEMPTY, S(milter_control_errors), NULL,
	    pw_conf_control_errors },
	{ "milter_identity_failure_mode", PW_CONF_ENUM, "tempfail", 0, 0,
	    PW_CONF_NONEMPTY, S(milter_identity_failure_mode), NULL,
	    pw_conf_failure_modes },
	{ "milter_suppression_failure_mode", PW_CONF_ENUM, "tempfail", 0, 0,
	    PW_CONF_NONEMPTY, S(milter_suppression_failure_mode), NULL,
	    pw_conf_failure_modes },
	{ "milter_from_domain_mismatch", PW_CONF_ENUM, "reject", 0, 0,
	    PW_CONF_NONEMPTY, S(milter_from_domain_mismatch), NULL,
	    pw_conf_from_mismatch },
	{ "milter_max_tags", PW_CONF_INT, "10", 0, 100, 0,
	    S(milter_max_tags), NULL, NULL },
	{ "milter_max_metadata", PW_CONF_INT, "10", 0, 100, 0,
	    S(milter_max_metadata), NULL, NULL },
	{ "milter_feedback_id_sender", PW_CONF_STRING, "postwarden", 0, 0, 0,
	    S(milter_feedback_id_sender), pw_conf_check_pool, NULL },
	{ "milter_pools", PW_CONF_LIST, "", 0, 0, 0,
	    S(milter_pools), pw_conf_check_pool_list, NULL },
	{ "milter_default_pool", PW_CONF_STRING, "default", 0, 0,
	    PW_CONF_NONEMPTY, S(milter_default_pool), pw_conf_check_pool,
	    NULL },
	{ "milter_route_header", PW_CONF_STRING, "X-Postwarden-Route", 0, 0,
	    PW_CONF_NONEMPTY, S(milter_route_header),
	    pw_conf_check_header_name_one, NULL },
	{ "milter_geoip_database", PW_CONF_PATH, "", 0, 0, 0,
	    S(milter_geoip_database), NULL, NULL },
	{ "milter_event_queue_max", PW_CONF_INT, "10000", 0, 10000000, 0,
	    S(milter_event_queue_max), NULL, NULL },
};

#undef S

#define PW_CONF_NENTRIES	(sizeof(pw_conf_table) / sizeof(pw_conf_table[0]))

static char **
pw_conf_str(struct pw_conf *conf, const struct pw_conf_entry *e)
{
	return (char **)((char *)conf + e->offset);
}

static int *
pw_conf_int(struct pw_conf *conf, const struct pw_conf_entry *e)
{
	return (int *)((char *)conf + e->offset);
}

static bool *
pw_conf_bool(struct pw_conf *conf, const struct pw_conf_entry *e)
{
	return (bool *)((char *)conf + e->offset);
}

static bool
pw_conf_is_string(const struct pw_conf_entry *e)
{
	return e->type == PW_CONF_STRING || e->type == PW_CONF_LIST ||
	    e->type == PW_CONF_PATH;
}

static const struct pw_conf_entry *
pw_conf_find(const char *name)
{
	size_t i;

	for (i = 0; i < PW_CONF_NENTRIES; i++)
		if (strcmp(pw_conf_table[i].name, name) == 0)
			return &pw_conf_table[i];
	return NULL;
}

/* --- value checks --------------------------------------------------------- */

/* "unix:/abs/path" or "inet:host:port" (host may be [v6]). */
static const char *
pw_conf_check_endpoint(const char *v)
{
	const char *port, *p;
	long n;

	if (strncmp(v, "unix:", 5) == 0)
		return v[5] == '/' ? NULL : "unix socket path must be absolute";
	if (strncmp(v, "inet:", 5) != 0)
		return "expected unix:/path or inet:host:port";
	port = strrchr(v + 5, ':');
	if (port == NULL || port == v + 5)
		return "expected inet:host:port";
	for (p = port + 1; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p))
			return "port must be a number";
	n = strtol(port + 1, NULL, 10);
	if (port[1] == '\0' || n < 1 || n > 65535)
		return "port must be 1..65535";
	return NULL;
}

static int
pw_conf_check_one_endpoint(const char *item, size_t len, void *arg)
{
	const char **why_r = arg;
	char tmp[1024];

	if (len >= sizeof(tmp)) {
		*why_r = "endpoint too long";
		return -1;
	}
	memcpy(tmp, item, len);
	tmp[len] = '\0';
	*why_r = pw_conf_check_endpoint(tmp);
	return *why_r != NULL ? -1 : 0;
}

static const char *
pw_conf_check_endpoint_list(const char *v)
{
	const char *why = NULL;

	(void)pw_conf_list_foreach(v, pw_conf_check_one_endpoint, &why);
	return why;
}

static int
pw_conf_check_one_mechanism(const char *item, size_t len, void *arg)
{
	const char **why_r = arg;

	if ((len == 5 && strncasecmp(item, "PLAIN", 5) == 0) ||
	    (len == 5 && strncasecmp(item, "LOGIN", 5) == 0))
		return 0;
	*why_r = "mechanisms are PLAIN and LOGIN";
	return -1;
}

/*
 * http_unsubscribe_path: "/" and then segments of letters, digits, "-",
 * "_" and "." (no "." or ".." segment), no "/" at the end: the token
 * follows it after a "/".
 */
static const char *
pw_conf_check_http_path(const char *v)
{
	const char *p, *seg;

	if (v[0] != '/' || v[1] == '\0')
		return "must start with \"/\" and name a path";
	if (strlen(v) > 128)
		return "longer than 128 characters";
	for (p = seg = v + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			if (p == seg)
				return "has an empty segment or a \"/\" at the end";
			if ((p - seg == 1 && seg[0] == '.') ||
			    (p - seg == 2 && seg[0] == '.' && seg[1] == '.'))
				return "has a \".\" or \"..\" segment";
			if (*p == '\0')
				return NULL;
			seg = p + 1;
		} else if (!isalnum((unsigned char)*p) && *p != '-' &&
		    *p != '_' && *p != '.')
			return "may hold only letters, digits, \"-\", \"_\", "
			    "\".\" and \"/\"";
	}
}

/* auth_mechanisms: PLAIN and/or LOGIN. */
static const char *
pw_conf_check_mechanisms(const char *v)
{
	const char *why = NULL;

	(void)pw_conf_list_foreach(v, pw_conf_check_one_mechanism, &why);
	return why;
}

/* Key prefixes must not break hash tags or redis-cli quoting. */
static const char *
pw_conf_check_prefix(const char *v)
{
	const char *p;

	if (strlen(v) > 64)
		return "longer than 64 characters";
	for (p = v; *p != '\0'; p++)
		if (!isgraph((unsigned char)*p) || *p == '{' || *p == '}')
			return "must be printable, without spaces or braces";
	return NULL;
}

/* dkim_canonicalization: header/body, each simple or relaxed. */
static const char *
pw_conf_check_canon(const char *v)
{
	enum pw_dkim_canon h, b;
	const char *why;

	if (strchr(v, '/') == NULL)
		return "expected header/body (example: relaxed/relaxed)";
	return pw_dkim_canon_parse_pair(v, &h, &b, &why) < 0 ? why : NULL;
}

static int
pw_conf_check_header_name(const char *item, size_t len, void *arg)
{
	const char **why_r = arg;
	size_t i;

	for (i = 0; i < len; i++) {
		if (item[i] < 33 || item[i] > 126 || item[i] == ':') {
			*why_r = "not a header field name";
			return -1;
		}
	}
	return 0;
}

/* dkim_*_headers: header field names. */
static const char *
pw_conf_check_header_names(const char *v)
{
	const char *why = NULL;

	(void)pw_conf_list_foreach(v, pw_conf_check_header_name, &why);
	return why;
}

/* dkim_line_length_limit: a line of 1 could not hold a byte. */
static const char *
pw_conf_check_line_limit(const char *v)
{
	return strtol(v, NULL, 10) == 1 ? "expected 0 (off) or 2 or more" :
	    NULL;
}

/* milter_*_header: one header field name. */
static const char *
pw_conf_check_header_name_one(const char *v)
{
	const char *why = NULL;

	if (strpbrk(v, " \t,") != NULL)
		return "expected one header field name";
	(void)pw_conf_check_header_name(v, strlen(v), &why);
	return why;
}

/*
 * A pool name (lib/tenant_fields.h: a master.cf service name is
 * pool_<name>).  The Feedback-ID sender id uses the same rule (it is one
 * colon-free field); "" is checked by the caller.
 */
static int
pw_conf_check_one_pool(const char *item, size_t len, void *arg)
{
	const char **why_r = arg;

	if (len == 0 || pw_tenant_name_ok(item, len))
		return 0;
	*why_r = len > PW_TENANT_NAME_MAX ?
	    "pool name longer than 32 characters" :
	    "a name is made of a-z, 0-9, \"-\" and \"_\"";
	return -1;
}

static const char *
pw_conf_check_pool(const char *v)
{
	const char *why = NULL;

	(void)pw_conf_check_one_pool(v, strlen(v), &why);
	return why;
}

static const char *
pw_conf_check_pool_list(const char *v)
{
	const char *why = NULL;

	(void)pw_conf_list_foreach(v, pw_conf_check_one_pool, &why);
	return why;
}

static int
pw_conf_check_one_network(const char *item, size_t len, void *arg)
{
	const char **why_r = arg;
	struct pw_cidr net;

	if (pw_cidr_parse_mynetworks(item, len, &net) == 0)
		return 0;
	*why_r = "expected networks such as 127.0.0.0/8 or [::1]/128 (host "
	    "bits zero)";
	return -1;
}

/* A list of networks (lib/cidr.h). */
static const char *
pw_conf_check_networks(const char *v)
{
	const char *why = NULL;

	(void)pw_conf_list_foreach(v, pw_conf_check_one_network, &why);
	return why;
}

static int
pw_conf_check_one_resolver(const char *item, size_t len, void *arg)
{
	const char **why_r = arg;

	return (*why_r = pw_dns_resolver_check(item, len)) == NULL ? 0 : -1;
}

/* DNS resolvers: IP or IP@PORT each (lib/dns.h). */
static const char *
pw_conf_check_resolvers(const char *v)
{
	const char *why = NULL;

	(void)pw_conf_list_foreach(v, pw_conf_check_one_resolver, &why);
	return why;
}

/* --- typed value parsing ---------------------------------------------------- */

static int
pw_conf_parse_int(const char *v, long long min, long long max, long long *r)
{
	char *end;
	long long n;

	if (*v == '\0')
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return -1;
	*r = n;
	return 0;
}

/* "250ms", "10s", "5m", "2h", "1d"; a bare number is seconds. */
static int
pw_conf_parse_time(const char *v, long long *ms_r)
{
	static const struct { const char *unit; long long ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "", 1000 }, { "m", 60000 },
		{ "h", 3600000 }, { "d", 86400000 }, { "w", 604800000 },
	};
	char *end;
	long long n;
	size_t i;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || n > 1000000000LL)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) == 0) {
			*ms_r = n * units[i].ms;
			return 0;
		}
	}
	return -1;
}

/* "expected a, b or c": the values of an ENUM entry, into buf. */
static const char *
pw_conf_expected(const struct pw_conf_entry *e, char *buf, size_t bufsize)
{
	size_t i, o;

	o = (size_t)snprintf(buf, bufsize, "expected");
	for (i = 0; e->values[i] != NULL && o < bufsize; i++)
		o += (size_t)snprintf(buf + o, bufsize - o, "%s%s",
		    i == 0 ? " " : e->values[i + 1] == NULL ? " or " : ", ",
		    e->values[i]);
	return buf;
}

/* The index of value among e's values; -1 when it is none of them. */
static int
pw_conf_enum_index(const struct pw_conf_entry *e, const char *value)
{
	int i;

	for (i = 0; e->values[i] != NULL; i++)
		if (strcmp(e->values[i], value) == 0)
			return i;
	return -1;
}

/*
 * Store value into conf for entry e.  0 on success; -1 with a reason in
 * *why_r otherwise (static, or made in whybuf).
 */
static int
pw_conf_set(struct pw_conf *conf, const struct pw_conf_entry *e,
    const char *value, const char **why_r, char *whybuf, size_t whybufsize)
{
	int i;

	long long n;
	char *end;
	enum pw_log_level level;

	if ((e->flags & PW_CONF_NONEMPTY) && *value == '\0') {
		*why_r = "a value is required";
		return -1;
	}
	switch (e->type) {
	case PW_CONF_STRING:
	case PW_CONF_LIST:
		break;
	case PW_CONF_PATH:
		if (*value != '\0' && *value != '/') {
			*why_r = "must be an absolute path";
			return -1;
		}
		break;
	case PW_CONF_INT:
		if (pw_conf_parse_int(value, e->min, e->max, &n) < 0) {
			*why_r = "not a number in the allowed range";
			return -1;
		}
		if (e->check != NULL && (*why_r = e->check(value)) != NULL)
			return -1;
		*pw_conf_int(conf, e) = (int)n;
		return 0;
	case PW_CONF_TIME:
		if (pw_conf_parse_time(value, &n) < 0) {
			*why_r = "not a time (examples: 250ms, 10s, 5m, 1h, 1d)";
			return -1;
		}
		if (n < e->min || n > e->max) {
			*why_r = "time outside the allowed range";
			return -1;
		}
		*pw_conf_int(conf, e) = (int)n;
		return 0;
	case PW_CONF_MODE:
		errno = 0;
		n = strtoll(value, &end, 8);
		if (*value == '\0' || *end != '\0' || errno != 0 ||
		    n < e->min || n > e->max) {
			*why_r = "not an octal file mode (example: 0660)";
			return -1;
		}
		*pw_conf_int(conf, e) = (int)n;
		return 0;
	case PW_CONF_LEVEL:
		if (pw_log_level_parse(value, &level) < 0) {
			*why_r = "expected error, warning, notice, info or debug";
			return -1;
		}
		*pw_conf_int(conf, e) = (int)level;
		return 0;
	case PW_CONF_ENUM:
		if ((i = pw_conf_enum_index(e, value)) < 0) {
			*why_r = pw_conf_expected(e, whybuf, whybufsize);
			return -1;
		}
		*pw_conf_int(conf, e) = i;
		return 0;
	case PW_CONF_BOOL:
		if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0) {
			*why_r = "expected yes or no";
			return -1;
		}
		*pw_conf_bool(conf, e) = strcmp(value, "yes") == 0;
		return 0;
	}
	if (e->check != NULL && *value != '\0' &&
	    (*why_r = e->check(value)) != NULL)
		return -1;
	free(*pw_conf_str(conf, e));
	*pw_conf_str(conf, e) = pw_xstrdup(value);
	return 0;
}

static struct pw_conf *
pw_conf_new(void)
{
	struct pw_conf *conf = pw_xcalloc(1, sizeof(*conf));
	const char *why;
	char whybuf[128];
	size_t i;

	conf->refs = 1;
	for (i = 0; i < PW_CONF_NENTRIES; i++) {
		/* The built-in defaults are valid; a failure is a bug here. */
		if (pw_conf_set(conf, &pw_conf_table[i], pw_conf_table[i].def,
		    &why, whybuf, sizeof(whybuf)) < 0)
			pw_log_fatal("bad built-in default for %s: %s",
			    pw_conf_table[i].name, why);
	}
	return conf;
}

struct pw_conf *
pw_conf_defaults(void)
{
	struct pw_conf *conf = pw_conf_new();

	conf->path = pw_xstrdup("(defaults)");
	return conf;
}

struct pw_conf *
pw_conf_ref(struct pw_conf *conf)
{
	__atomic_add_fetch(&conf->refs, 1, __ATOMIC_ACQ_REL);
	return conf;
}

void
pw_conf_release(struct pw_conf **confp)
{
	struct pw_conf *conf = *confp;
	size_t i;

	if (conf == NULL)
		return;
	*confp = NULL;
	if (__atomic_sub_fetch(&conf->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (i = 0; i < PW_CONF_NENTRIES; i++) {
		if (pw_conf_is_string(&pw_conf_table[i])) {
			char **s = pw_conf_str(conf, &pw_conf_table[i]);

			if (pw_conf_table[i].flags & PW_CONF_SECRET)
				memset(*s, 0, strlen(*s));
			free(*s);
		}
	}
	free(conf->path);
	free(conf);
}

/* --- the parser -------------------------------------------------------------- */

static void
pw_conf_err(char *err, size_t errsize, const char *name, unsigned line,
    const char *setting, const char *why)
{
	if (setting != NULL)
		snprintf(err, errsize, "%s:%u: %s: %s", name, line, setting, why);
	else
		snprintf(err, errsize, "%s:%u: %s", name, line, why);
}

static void
pw_conf_trim(struct pw_buf *b)
{
	while (b->len > 0 && isspace((unsigned char)b->data[b->len - 1]))
		b->data[--b->len] = '\0';
}

/*
 * Apply one logical line (comments stripped, continuations joined).
 * seen[] remembers the line each setting was first given on.
 */
static int
pw_conf_apply(struct pw_conf *conf, const char *name, unsigned lineno,
    char *text, unsigned *seen, char *err, size_t errsize)
{
	const struct pw_conf_entry *e;
	char *eq, *key, *value, *p;
	const char *why;
	char where[64], whybuf[128];

	eq = strchr(text, '=');
	if (eq == NULL) {
		pw_conf_err(err, errsize, name, lineno, NULL,
		    "expected \"name = value\"");
		return -1;
	}
	*eq = '\0';
	key = text;
	for (p = eq; p > key && isspace((unsigned char)p[-1]); p--)
		p[-1] = '\0';
	for (value = eq + 1; isspace((unsigned char)*value); value++)
		;
	for (p = key; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_') {
			pw_conf_err(err, errsize, name, lineno, NULL,
			    "bad setting name: expected \"name = value\"");
			return -1;
		}
	}
	if (*key == '\0') {
		pw_conf_err(err, errsize, name, lineno, NULL,
		    "missing setting name before \"=\"");
		return -1;
	}
	if ((e = pw_conf_find(key)) == NULL) {
		pw_conf_err(err, errsize, name, lineno, key, "unknown setting");
		return -1;
	}
	if (seen[e - pw_conf_table] != 0) {
		snprintf(where, sizeof(where), "given twice (first on line %u)",
		    seen[e - pw_conf_table]);
		pw_conf_err(err, errsize, name, lineno, key, where);
		return -1;
	}
	seen[e - pw_conf_table] = lineno;
	if (pw_conf_set(conf, e, value, &why, whybuf, sizeof(whybuf)) < 0) {
		pw_conf_err(err, errsize, name, lineno, key, why);
		return -1;
	}
	return 0;
}

/* pw_conf_list_foreach: is item the name arg? */
static int
pw_conf_list_is(const char *item, size_t len, void *arg)
{
	const char *name = arg;

	return strlen(name) == len && memcmp(item, name, len) == 0;
}

/*
 * Settings that must agree with each other, checked once the whole file
 * is read; the error names the line of the setting to change.  0 or -1.
 */
static int
pw_conf_check_together(const struct pw_conf *conf, const char *name,
    const unsigned *seen, char *err, size_t errsize)
{
	const struct pw_conf_entry *pools = pw_conf_find("milter_pools");
	const struct pw_conf_entry *dflt = pw_conf_find("milter_default_pool");
	unsigned line;
	char why[128];

	/* Mail for a pool without a transport would defer, unexplained. */
	if (conf->milter_pools[0] != '\0' &&
	    pw_conf_list_foreach(conf->milter_pools, pw_conf_list_is,
	    conf->milter_default_pool) == 0) {
		line = seen[dflt - pw_conf_table];
		snprintf(why, sizeof(why), "pool %s is not in milter_pools%s",
		    conf->milter_default_pool, line != 0 ? "" :
		    " (the default; set milter_default_pool)");
		pw_conf_err(err, errsize, name, line != 0 ? line :
		    seen[pools - pw_conf_table], "milter_default_pool", why);
		return -1;
	}
	return 0;
}

int
pw_conf_parse(const char *name, const char *text, size_t len,
    struct pw_conf **conf_r, char *err, size_t errsize)
{
	unsigned seen[PW_CONF_NENTRIES] = { 0 };
	struct pw_conf *conf = pw_conf_new();
	struct pw_buf logical;
	unsigned lineno = 0, start = 0;
	size_t pos = 0;
	int ret = -1;

	conf->path = pw_xstrdup(name);
	pw_buf_init(&logical, PW_CONF_FILE_MAX);
	while (pos <= len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - text) : len;
		const char *line = text + pos;
		size_t linelen = end - pos;
		bool blank = true, cont;
		size_t i;

		lineno++;
		if (memchr(line, '\0', linelen) != NULL) {
			pw_conf_err(err, errsize, name, lineno, NULL,
			    "NUL byte in line");
			goto out;
		}
		if (linelen > 0 && line[linelen - 1] == '\r')
			linelen--;
		for (i = 0; i < linelen; i++)
			if (!isspace((unsigned char)line[i]))
				break;
		blank = i == linelen;
		cont = !blank && i > 0;

		/* Comments and blank lines end nothing (as in main.cf). */
		if (!blank && line[i] == '#') {
			/* skip */
		} else if (cont) {
			if (logical.len == 0) {
				pw_conf_err(err, errsize, name, lineno, NULL,
				    "continuation line without a setting "
				    "before it");
				goto out;
			}
			(void)pw_buf_append(&logical, " ", 1);
			(void)pw_buf_append(&logical, line + i, linelen - i);
		} else if (!blank) {
			if (logical.len > 0) {
				pw_conf_trim(&logical);
				if (pw_conf_apply(conf, name, start,
				    logical.data, seen, err, errsize) < 0)
					goto out;
				pw_buf_reset(&logical);
			}
			start = lineno;
			(void)pw_buf_append(&logical, line, linelen);
		}
		if (nl == NULL)
			break;
		pos = end + 1;
	}
	if (logical.len > 0) {
		pw_conf_trim(&logical);
		if (pw_conf_apply(conf, name, start, logical.data, seen, err,
		    errsize) < 0)
			goto out;
	}
	if (pw_conf_check_together(conf, name, seen, err, errsize) < 0)
		goto out;
	*conf_r = conf;
	conf = NULL;
	ret = 0;
out:
	pw_buf_free(&logical);
	pw_conf_release(&conf);
	return ret;
}

/*
 * Warn when the file sets a secret and is group-writable or open to
 * others: the documented mode is 0640 root:postwarden.  A warning, not an
 * error, so that an upgrade does not stop mail.
 */
static void
pw_conf_check_mode(struct pw_conf *conf, mode_t mode)
{
	size_t i;

	if ((mode & (S_IWGRP | S_IRWXO)) == 0)
		return;
	for (i = 0; i < PW_CONF_NENTRIES; i++) {
		if ((pw_conf_table[i].flags & PW_CONF_SECRET) &&
		    **pw_conf_str(conf, &pw_conf_table[i]) != '\0') {
			pw_log_warnx("%s: mode %04o exposes %s; make it 0640 "
			    "root:postwarden (or the daemon's group)",
			    conf->path, (unsigned)(mode & 07777),
			    pw_conf_table[i].name);
			return;
		}
	}
}

int
pw_conf_load(const char *path, struct pw_conf **conf_r, char *err,
    size_t errsize)
{
	struct stat st;
	struct pw_buf text;
	char chunk[8192];
	FILE *fp;
	size_t n;
	int ret;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errsize, "%s: cannot open: %s", path,
		    strerror(errno));
		return -1;
	}
	pw_buf_init(&text, PW_CONF_FILE_MAX);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (pw_buf_append(&text, chunk, n) < 0) {
			snprintf(err, errsize, "%s: larger than %d bytes",
			    path, PW_CONF_FILE_MAX);
			pw_buf_free(&text);
			fclose(fp);
			return -1;
		}
	}
	if (ferror(fp)) {
		snprintf(err, errsize, "%s: read error: %s", path,
		    strerror(errno));
		pw_buf_free(&text);
		fclose(fp);
		return -1;
	}
	if (fstat(fileno(fp), &st) < 0)
		st.st_mode = 0;
	fclose(fp);
	ret = pw_conf_parse(path, text.data, text.len, conf_r, err, errsize);
	pw_buf_free(&text);
	if (ret == 0)
		pw_conf_check_mode(*conf_r, st.st_mode);
	return ret;
}

/* --- output ---------------------------------------------------------------------- */

static void
pw_conf_format(const struct pw_conf *conf, const struct pw_conf_entry *e,
    char *out, size_t outsize)
{
	struct pw_conf *c = (struct pw_conf *)conf;
	const char *level_names[] = { "error", "warning", "notice", "info",
	    "debug" };
	int v;

	if (pw_conf_is_string(e)) {
		const char *s = *pw_conf_str(c, e);

		snprintf(out, outsize, "%s",
		    (e->flags & PW_CONF_SECRET) && *s != '\0' ?
		    "<redacted>" : s);
		return;
	}
	if (e->type == PW_CONF_BOOL) {
		snprintf(out, outsize, "%s",
		    *pw_conf_bool(c, e) ? "yes" : "no");
		return;
	}
	v = *pw_conf_int(c, e);
	switch (e->type) {
	case PW_CONF_ENUM:
		snprintf(out, outsize, "%s", e->values[v]);
		break;
	case PW_CONF_MODE:
		snprintf(out, outsize, "%04o", (unsigned)v);
		break;
	case PW_CONF_LEVEL:
		snprintf(out, outsize, "%s", level_names[v]);
		break;
	case PW_CONF_TIME:
		if (v % 1000 != 0)
			snprintf(out, outsize, "%dms", v);
		else
			snprintf(out, outsize, "%ds", v / 1000);
		break;
	default:
		snprintf(out, outsize, "%d", v);
		break;
	}
}

void
pw_conf_foreach(const struct pw_conf *conf, bool changed_only,
    void (*fn)(const char *name, const char *value, void *arg), void *arg)
{
	struct pw_conf *defaults = pw_conf_new();
	char value[1024], def[1024];
	size_t i;

	for (i = 0; i < PW_CONF_NENTRIES; i++) {
		pw_conf_format(conf, &pw_conf_table[i], value, sizeof(value));
		pw_conf_format(defaults, &pw_conf_table[i], def, sizeof(def));
		if (changed_only && strcmp(value, def) == 0)
			continue;
		fn(pw_conf_table[i].name, value, arg);
	}
	pw_conf_release(&defaults);
}

static void
pw_conf_dump_one(const char *name, const char *value, void *arg)
{
	fprintf((FILE *)arg, "%s =%s%s\n", name, value[0] != '\0' ? " " : "",
	    value);
}

void
pw_conf_dump(const struct pw_conf *conf, FILE *fp, bool changed_only)
{
	pw_conf_foreach(conf, changed_only, pw_conf_dump_one, fp);
}

const char *
pw_conf_enum_name(const char *name, int value)
{
	const struct pw_conf_entry *e = pw_conf_find(name);
	int i;

	if (e == NULL || e->type != PW_CONF_ENUM || value < 0)
		return "?";
	for (i = 0; i < value && e->values[i] != NULL; i++)
		;
	return e->values[i] != NULL ? e->values[i] : "?";
}

/* --- lists ---------------------------------------------------------------------- */

int
pw_conf_list_foreach(const char *list,
    int (*fn)(const char *item, size_t len, void *arg), void *arg)
{
	const char *p = list, *start;
	int ret;

	for (;;) {
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			return 0;
		start = p;
		while (*p != '\0' && *p != ',' && !isspace((unsigned char)*p))
			p++;
		if ((ret = fn(start, (size_t)(p - start), arg)) != 0)
			return ret;
	}
}
