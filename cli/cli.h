/*
 * cli.h -- what the postwarden command's files share.
 *
 * cli_main.c parses the global options and dispatches to one function per
 * command; each cli_<command>.c implements one command.  Commands return
 * the process exit status (see CLI_EXIT_*), and print errors to stderr as
 * "postwarden: what went wrong".
 *
 * Shared helpers, so that no command writes its own:
 *   cli_util.c    Redis access with clear errors (struct cli_db), key
 *                 names, replies
 *   cli_lookup.c  the directory: a key's tenant, whether a tenant
 *                 exists, every tenant
 *   cli_cmd.c     command groups: subcommand dispatch, usage, option
 *                 errors
 *   cli_parse.c   input: tenant names and key ids, addresses, numbers,
 *                 times and durations
 *   cli_fields.c  the limit options (struct cli_fields)
 *   cli_out.c     output: JSON (one escaping function), tables, times,
 *                 records of keys and tenants for humans and for JSON
 *   cli_record.c  what `key` and `tenant` share: their command lines,
 *                 show, the status verbs, updating a record, records
 *                 alone and in lists
 * cli_suppress*.c share cli_suppress.h.
 *
 * Security: every Redis command is argv with lengths; key names are built
 * only from validated tenant names and key ids; text read from Redis is
 * escaped before it reaches a terminal or a JSON string.
 */
#ifndef PW_CLI_H
#define PW_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "address.h"
#include "auth_secret.h"
#include "conf.h"
#include "redis.h"
#include "schema.h"

/* Exit status, documented in postwarden(1). */
#define CLI_EXIT_OK		0	/* done */
#define CLI_EXIT_NOTFOUND	1	/* what was asked about is not there */
#define CLI_EXIT_FAIL		2	/* configuration or Redis failure */
#define CLI_EXIT_EXISTS		3	/* what was to be created exists */
#define CLI_EXIT_USAGE		64	/* bad command line (EX_USAGE) */

struct cli_opts {
	const char	*conf_path;
	bool		 json;
	bool		 help;	/* --help or -h after the command: print the
				   usage on stdout, exit 0, do nothing */
};

/*
 * The usage of the commands that have no subcommands, after
 * "postwarden COMMAND"; cli_main.c prints them for --help.
 */
#define CLI_CONFIG_USAGE	"[-n | -d] [--json]"
#define CLI_USAGE_USAGE		"NAME [--key | --tenant] [--at TIME]"
#define CLI_UNSUB_USAGE		"TOKEN | --mail [--recipient ADDRESS]"
#define CLI_CHECK_USAGE		"[--json]"

int	cli_config(const struct cli_opts *opts, int argc, char **argv);
int	cli_dkim(const struct cli_opts *opts, int argc, char **argv);
int	cli_domain(const struct cli_opts *opts, int argc, char **argv);
int	cli_key(const struct cli_opts *opts, int argc, char **argv);
int	cli_key_secret(const struct cli_opts *opts, int argc, char **argv);
int	cli_auth(const struct cli_opts *opts, int argc, char **argv);
int	cli_tenant(const struct cli_opts *opts, int argc, char **argv);
int	cli_usage(const struct cli_opts *opts, int argc, char **argv);
int	cli_suppress(const struct cli_opts *opts, int argc, char **argv);
int	cli_events(const struct cli_opts *opts, int argc, char **argv);
int	cli_track(const struct cli_opts *opts, int argc, char **argv);
int	cli_secret(const struct cli_opts *opts, int argc, char **argv);
int	cli_unsubscribe(const struct cli_opts *opts, int argc, char **argv);
int	cli_check(const struct cli_opts *opts, int argc, char **argv);

struct cli_db;
struct cli_fields;
/*
 * Copy the global suppression list into a tenant's (tenant add): 0 and
 * how many entries in *n_r, or -1 after printing why
 * (cli_suppress_global.c).
 */
int	cli_suppress_global_tenant(struct cli_db *db, const char *tenant,
	    size_t *n_r);

/* A subject's refusals in one day, by rule (cli_usage_refused.c). */
#define CLI_USAGE_REFUSED_RULES	32
struct cli_usage_refused_rule {
	char		rule[32];	/* the event's rule: "sender_domain" */
	long long	n;
};
struct cli_usage_refused {
	struct cli_usage_refused_rule	rules[CLI_USAGE_REFUSED_RULES];
	size_t				nrules;	/* most first */
	long long			total;
	/* 0, or when entries of the day were trimmed away: the oldest
	 * entry the stream holds (ms), from which the counts are whole */
	long long			since_ms;
};
/*
 * Count the refusals (events `refused` and `rejected`) of tenant, and
 * of its key keyid unless NULL, in the event stream between from_s and
 * to_s (Unix seconds, to_s excluded): 0 and out filled, or -1 after
 * printing why.
 */
int	cli_usage_refused_read(struct cli_db *db, const char *tenant,
	    const char *keyid, long long from_s, long long to_s,
	    struct cli_usage_refused *out);

/*
 * Print a DKIM TXT record in zone-file form, "S._domainkey.D. IN TXT (
 * "..." )" in strings of at most 255 bytes (cli_dkim.c).
 */
void	cli_dkim_zone_print(FILE *fp, const char *domain,
	    const char *selector, const char *txt);

void	cli_error(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/*
 * Long options the commands share (values above any short option).  The
 * limit options are spelled once, in CLI_LIMIT_LONGOPTS.
 */
enum cli_opt {
	CLI_OPT_RATE = 256,
	CLI_OPT_BURST,
	CLI_OPT_QUOTA_HOUR,
	CLI_OPT_QUOTA_DAY,
	CLI_OPT_QUOTA_MONTH,
	CLI_OPT_MAX_SIZE,
	CLI_OPT_MAX_RCPT,
	CLI_OPT_COUNTRIES,
	CLI_OPT_DESCRIPTION,
	CLI_OPT_STATUS,
	CLI_OPT_TENANT,
	CLI_OPT_KEY,
	CLI_OPT_GLOBAL,
	CLI_OPT_JSON,
	CLI_OPT_REASON,
	CLI_OPT_EXPIRES,
	CLI_OPT_SKIP_BAD,
	CLI_OPT_SUPP_STREAM,
	CLI_OPT_SUPP_BULK,
	CLI_OPT_FOLLOW,
	CLI_OPT_COUNT,
	CLI_OPT_AT,
	CLI_OPT_MAIL,
	CLI_OPT_RECIPIENT,
	CLI_OPT_POOL,
	CLI_OPT_STREAM_POOL,
	CLI_OPT_GEO_POOL,
	CLI_OPT_STREAMS,
	CLI_OPT_DEFAULT_STREAM,
	CLI_OPT_BULK_STREAMS,
	CLI_OPT_UNSUBSCRIBE_SCOPE,
	CLI_OPT_UNSUBSCRIBE_URL,
	CLI_OPT_UNSUBSCRIBE_MAILTO,
	CLI_OPT_BOUNCE_DOMAIN,
	CLI_OPT_BOUNCE_LOCAL,
	CLI_OPT_DKIM_DOMAIN,
};

#define CLI_LIMIT_LONGOPTS \
	{ "rate", required_argument, NULL, CLI_OPT_RATE }, \
	{ "burst", required_argument, NULL, CLI_OPT_BURST }, \
	{ "quota-hour", required_argument, NULL, CLI_OPT_QUOTA_HOUR }, \
	{ "quota-day", required_argument, NULL, CLI_OPT_QUOTA_DAY }, \
	{ "quota-month", required_argument, NULL, CLI_OPT_QUOTA_MONTH }, \
	{ "max-size", required_argument, NULL, CLI_OPT_MAX_SIZE }, \
	{ "max-recipients", required_argument, NULL, CLI_OPT_MAX_RCPT }, \
	{ "description", required_argument, NULL, CLI_OPT_DESCRIPTION }, \
	{ "status", required_argument, NULL, CLI_OPT_STATUS }

/* --- cli_util.c: Redis access ------------------------------------------- */

/* An open configuration and Redis handle for one command. */
struct cli_db {
	struct pw_conf	*conf;
	struct pw_redis	*redis;
	const char	*prefix;	/* redis_key_prefix, "pw:" */
	bool		 json;		/* --json given */
};

/*
 * Load the configuration and connect to Redis; ignores SIGPIPE.
 * CLI_EXIT_OK, or CLI_EXIT_FAIL after printing why.
 */
int	cli_util_open(const struct cli_opts *opts, bool json,
	    struct cli_db *db);
/* Disconnect and free; safe on a partly opened db. */
void	cli_util_close(struct cli_db *db);
/*
 * Send one command.  The reply (the caller frees it), or NULL after
 * printing why (no reply, or an error reply, which is freed).
 */
redisReply *cli_util_cmdv(struct cli_db *db, int argc, const char **argv,
	    const size_t *argvlen);
/* The same with string arguments ending with NULL. */
redisReply *cli_util_cmd(struct cli_db *db, ...) __attribute__((sentinel));
/* Run a script (EVALSHA, EVAL on NOSCRIPT); errors as cli_util_cmdv. */
redisReply *cli_util_eval(struct cli_db *db, struct pw_redis_script *script,
	    int nkeys, int argc, const char **argv, const size_t *argvlen);
/*
 * Walk the keys named literal (its glob characters escaped) followed by
 * what glob matches, with SCAN MATCH: fn(db, key, len, arg) for each,
 * which may send commands of its own.  0 when the walk ended, -1 after
 * printing why (Redis failed or gave an odd reply), or fn's non-zero
 * return, which stops the walk.
 */
int	cli_util_scan(struct cli_db *db, const char *literal, const char *glob,
	    int (*fn)(struct cli_db *db, const char *key, size_t len,
	    void *arg), void *arg);
/* An integer reply's value (or a string one's), else -1. */
long long cli_util_reply_int(const redisReply *reply);
/* The value of field in an HGETALL reply, or NULL. */
const char *cli_util_hash_get(const redisReply *hash, const char *field);

/* --- cli_lookup.c: the directory of tenants and keys -------------------- */

/*
 * Which tenant a directory entry (PW_SCHEMA_KEY_DIR or _DOMAIN_DIR) of
 * name names: 0 and tenant_r filled, 1 none, -1 (a Redis failure, or an
 * entry without a valid tenant: said as "WHAT NAME: ...").
 */
int	cli_lookup_dir_tenant(struct cli_db *db, enum pw_schema_name dirname,
	    const char *what, const char *name, char *tenant_r, size_t size);
/* Which tenant a key id belongs to: 0 and tenant_r filled, 1 unknown, -1. */
int	cli_lookup_key_tenant(struct cli_db *db, const char *keyid,
	    char *tenant_r, size_t size);
/* Whether a tenant record exists: 1 yes, 0 no, -1 Redis failure. */
int	cli_lookup_tenant_exists(struct cli_db *db, const char *tenant);
/* The names in pw:tenants, sorted; an allocated array, NULL on failure. */
char	**cli_lookup_tenants(struct cli_db *db, size_t *n_r);
/* Free what cli_lookup_tenants returned (n names); NULL is fine. */
void	cli_lookup_free(char **v, size_t n);
/* qsort comparison of two char * by strcmp: names in order. */
int	cli_lookup_strcmp(const void *a, const void *b);

/* --- cli_cmd.c: command groups ------------------------------------------ */

/* One subcommand of a command group ("key add"). */
struct cli_sub {
	const char	*name;
	int		(*run)(const struct cli_opts *, int, char **);
	const char	*usage;		/* "add KEYID --tenant T ..." */
};

/*
 * Run the subcommand named by argv[1] with argv[1..] (getopt reset), or
 * print the group's usage and return CLI_EXIT_USAGE.
 */
int	cli_cmd_dispatch(const char *group, const struct cli_sub *subs,
	    size_t nsubs, const struct cli_opts *opts, int argc, char **argv);
/* Print "usage: postwarden GROUP USAGE"; returns CLI_EXIT_USAGE. */
int	cli_cmd_usage(const char *group, const char *usage);
/*
 * After getopt_long returned '?' or ':' (optstring starting with ':'):
 * print which option was wrong; returns CLI_EXIT_USAGE.
 */
int	cli_cmd_badopt(const char *cmd, int ch, char **argv);

/* --- cli_parse.c: names, addresses, numbers, times ---------------------- */

/*
 * Check a tenant name or key id given on the command line; 0, or -1
 * after printing what is expected.
 */
int	cli_parse_tenant(const char *s);
int	cli_parse_key(const char *s);

#define CLI_ADDRESS_MAX	PW_ADDRESS_MAX
/*
 * An address as the suppression lists hold it: "user@domain" or
 * "@domain" in the normal form of lib/address.h (the one
 * postwarden-policyd compares recipients in: IDNA A-labels, no trailing
 * dot, lower case).  0 and out filled, or -1 and a static reason.
 */
int	cli_parse_address(const char *in, char out[CLI_ADDRESS_MAX + 1],
	    const char **why_r);

/* A whole decimal number in 0..max: 0, or -1. */
int	cli_parse_uint(const char *s, uint64_t max, uint64_t *r);
/*
 * A point in time: Unix seconds, "YYYY-MM-DD" (midnight UTC) or
 * "YYYY-MM-DDTHH:MM[:SS]Z".  0, or -1.
 */
int	cli_parse_time(const char *s, int64_t *r);
/*
 * When a suppression expires: "never" or "0" (0), a duration from now
 * ("90m", "12h", "30d", "2w", "3600s", or bare seconds with a unit), or a
 * time as cli_parse_time.  0, or -1.
 */
int	cli_parse_expires(const char *s, int64_t now, int64_t *r);

/* --- cli_fields.c: the limit options ------------------------------------ */

/* Field changes for a key or tenant record: HSET these, HDEL those. */
#define CLI_FIELDS_MAX		16
#define CLI_FIELD_VALUE_MAX	320
#define CLI_DESCRIPTION_MAX	256
struct cli_fields {
	int		 nset;
	const char	*set_name[CLI_FIELDS_MAX];
	char		 set_value[CLI_FIELDS_MAX][CLI_FIELD_VALUE_MAX];
	int		 ndel;
	const char	*del_name[CLI_FIELDS_MAX];
};

/* Set a field (and no longer delete it); name must outlive f. */
void	cli_fields_set(struct cli_fields *f, const char *name,
	    const char *value);
/* Delete a field (and no longer set it). */
void	cli_fields_del(struct cli_fields *f, const char *name);
/*
 * Take one of CLI_LIMIT_LONGOPTS (and --countries when is_key): 0 when
 * taken, -1 after printing what the option expects (exit 64), 1 when ch
 * is not a limit option.
 */
int	cli_fields_limit_opt(int ch, const char *arg, bool is_key,
	    struct cli_fields *f);

/* --- cli_out.c: output ---------------------------------------------------- */

/* A JSON writer that places commas itself. */
#define CLI_JSON_DEPTH	16
struct cli_json {
	FILE	*fp;
	int	 depth;
	bool	 first[CLI_JSON_DEPTH];
	bool	 after_key;
};

void	cli_out_json_init(struct cli_json *j, FILE *fp);
/* Open or close an object or array: bracket is {, [, } or ]. */
void	cli_out_json_open(struct cli_json *j, char bracket);
void	cli_out_json_close(struct cli_json *j, char bracket);
void	cli_out_json_key(struct cli_json *j, const char *name);
void	cli_out_json_str(struct cli_json *j, const char *s, size_t len);
/* A string, or null for NULL. */
void	cli_out_json_cstr(struct cli_json *j, const char *s);
void	cli_out_json_int(struct cli_json *j, long long n);
void	cli_out_json_null(struct cli_json *j);
void	cli_out_json_bool(struct cli_json *j, bool b);
/* Write s as a JSON string (quotes included): pw_json_escape(). */
void	cli_out_json_escape(FILE *fp, const char *s, size_t len);

/* A table for humans: columns padded to their widest cell. */
struct cli_table {
	size_t	  ncols;
	size_t	  nrows;	/* rows added, header included */
	size_t	  cap;
	char	**cells;	/* nrows * ncols, escaped copies */
};

void	cli_out_table_init(struct cli_table *t, size_t ncols);
/* Add a row of ncols cells (NULL prints "-"); text is escaped. */
void	cli_out_table_row(struct cli_table *t, ...);
void	cli_out_table_rowv(struct cli_table *t, const char **cells);
void	cli_out_table_print(struct cli_table *t, FILE *fp);
void	cli_out_table_free(struct cli_table *t);

/* "2026-11-27T05:00:00Z" (at least 21 bytes); "never" for 0. */
#define CLI_TIME_MAX	32
char	*cli_out_time(int64_t t, char buf[CLI_TIME_MAX]);
/* Untrusted text for a terminal: non-printable bytes as \xNN. */
char	*cli_out_safe(char *buf, size_t size, const char *s, size_t len);

/*
 * A key's or tenant's record (an HGETALL reply): for humans, a two-column
 * table of every field in schema order; for JSON, the members of the
 * object the caller has opened, limits as numbers or null.
 */
void	cli_out_record_table(const redisReply *hash, struct cli_table *t);
void	cli_out_record_json(const redisReply *hash, struct cli_json *j);
/* A record's limits in one short line for list tables. */
char	*cli_out_limits_brief(const redisReply *hash, char *buf,
	    size_t size);

/* --- cli_record.c: key and tenant records ---------------------------- */

struct option;

/* What a key or tenant subcommand was given on its command line. */
struct cli_record_args {
	const char		*name;		/* KEYID or TENANT, or NULL */
	const char		*tenant;	/* --tenant (key), or NULL */
	bool			 json;
	struct cli_fields	 fields;	/* limits, status */
};

/* A command group of records ("key", "tenant"): how it differs. */
struct cli_record_kind {
	const char		*group;		/* "key" */
	const char		*operand;	/* "KEYID" */
	bool			 is_key;	/* --countries; operand a key */
	const struct option	*longopts;	/* limits, --json, its own */
	/*
	 * Its own options beyond the limits (NULL: none), given the ctx of
	 * cli_record_args: 0 taken, -1 after printing why, 1 not one.
	 */
	int	(*opt)(int ch, const char *arg, void *ctx);
	/* Print the record named name (show): an exit code. */
	int	(*print)(struct cli_db *db, const char *name);
	/* Apply a->fields to the record a->name, say so: an exit code. */
	int	(*change)(const struct cli_opts *opts,
		    struct cli_record_args *a, const char *what);
};

/*
 * Parse a subcommand's options and its one operand (none unless
 * want_name): 0, or CLI_EXIT_USAGE after printing why.  The limit
 * options (and k->opt's) only when limits is true.
 */
int	cli_record_args(const struct cli_record_kind *k, int argc, char **argv,
	    const char *usage, bool limits, bool want_name,
	    struct cli_record_args *a, void *ctx);
/* GROUP show NAME, with k->print. */
int	cli_record_show(const struct cli_record_kind *k,
	    const struct cli_opts *opts, int argc, char **argv);
/* GROUP suspend|disable|enable NAME (argv[0] says which), k->change. */
int	cli_record_status(const struct cli_record_kind *k,
	    const struct cli_opts *opts, int argc, char **argv);
/*
 * Apply f to the existing record rec of tenant (its own or one of its
 * keys'), atomically with an INCR of the tenant's pw:{T}:gen, and set
 * "updated" (lua/record_update.lua): CLI_EXIT_OK,
 * CLI_EXIT_NOTFOUND when there is none (the caller says so), or
 * CLI_EXIT_FAIL after printing why.
 */
int	cli_record_update(struct cli_db *db, const char *tenant,
	    const char *rec, const struct cli_fields *f);
/*
 * Write the store marker (PW_SCHEMA_STORE, SET NX with the time),
 * which tells postwarden-policyd that Redis holds postwarden's data.
 * Every command that creates a tenant or key calls it first.  0, or -1
 * after printing why.
 */
int	cli_record_mark_store(struct cli_db *db);

/*
 * What is shown with a record, in order: a name and its value (text, or
 * when s is NULL a map if map is not NULL, else n), or with name NULL
 * the record itself.  A map is an HGETALL reply: a JSON object of its
 * strings, or for humans "field (value), ..." (the pairs of
 * pw:{T}:domains: "example.com (exact)").
 */
struct cli_record_item {
	const char		*name;
	const char		*s;
	long long		 n;
	const redisReply	*map;
	/*
	 * Not NULL: it writes the value itself, given arg: into j (after
	 * the member's name) for JSON, else rows into the 2-column t.
	 */
	void			(*emit)(struct cli_json *j, struct cli_table *t,
				    const void *arg);
	const void		*arg;
};
#define CLI_RECORD_ITEMS_MAX	5

/*
 * Print a record (an HGETALL reply) with its items (at most
 * CLI_RECORD_ITEMS_MAX): a two-column table of the items and the
 * record's fields, or with json one JSON object.
 */
void	cli_record_print(bool json, const redisReply *hash,
	    const struct cli_record_item *items, size_t nitems);

/* A list of records: a table under a header row, or a JSON array. */
struct cli_record_list {
	bool			 json;
	struct cli_table	 t;
	struct cli_json		 j;
};

/* Start a list: a table of ncols columns named by header, or an array. */
void	cli_record_list_init(struct cli_record_list *l, bool json,
	    const char **header, size_t ncols);
/*
 * Add a record: cli_record_print's object, or a table row (nitems + 2
 * columns) of the items, with the record's status (or "(no record)") in
 * its place, then its limits in brief and its description.
 */
void	cli_record_list_add(struct cli_record_list *l, const redisReply *hash,
	    const struct cli_record_item *items, size_t nitems);
/* Close the JSON array, or print the table if ok; free. */
void	cli_record_list_end(struct cli_record_list *l, bool ok);

/* --- cli_key_secret.c: an API key's SMTP AUTH secrets ----------------- */

#define CLI_KEY_SECRETS_SHOWN	16
/* A secret as list and show print it: never its hash. */
struct cli_key_secret {
	char		sid[PW_AUTH_SID_LEN + 1];
	long long	created;
	long long	used;		/* 0: never */
};
struct cli_key_secrets {
	size_t			n;
	struct cli_key_secret	s[CLI_KEY_SECRETS_SHOWN];
};

/*
 * A new secret for an existing key (auth_pepper_file loaded, the hash
 * stored, at most two live): CLI_EXIT_OK with the token (to print once,
 * then wipe) and its sid, else an exit code after printing why
 * (CLI_EXIT_FAIL: no usable pepper or Redis trouble; CLI_EXIT_EXISTS:
 * two live secrets already; CLI_EXIT_NOTFOUND: no key record).
 */
int	cli_key_secret_make(struct cli_db *db, const char *tenant,
	    const char *keyid, char token[PW_AUTH_TOKEN_MAX],
	    char sid[PW_AUTH_SID_LEN + 1]);
/* Say on stderr that the token just printed is not shown again. */
void	cli_key_secret_note(const char *keyid, const char *sid);
/* A key's secrets, oldest first: 0, or -1 after printing why. */
int	cli_key_secret_read(struct cli_db *db, const char *tenant,
	    const char *keyid, struct cli_key_secrets *out);
/* A cli_record_item emitter of a struct cli_key_secrets (key show). */
void	cli_key_secret_emit(struct cli_json *j, struct cli_table *t,
	    const void *arg);

#endif
