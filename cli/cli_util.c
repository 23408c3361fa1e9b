/*
 * cli_util.c -- the input side the postwarden commands share: Redis
 * access with clear errors, key names, checks of tenant names, key ids
 * and addresses, times and durations, and the limit options.
 *
 * Exports: cli_util_* and struct cli_db, struct cli_fields (cli.h).
 *
 * Ownership: a struct cli_db owns its configuration and Redis handle
 * (cli_util_close frees both); replies and strings returned belong to
 * the caller.
 *
 * Failures: every function that talks to Redis prints the reason itself
 * ("postwarden: redis unix:/run/redis.sock: redis: cannot connect") so
 * that a command only has to return CLI_EXIT_FAIL.  Error replies are
 * printed escaped and freed.
 *
 * Security: commands go out as argv with lengths; key names are made only
 * from names checked here (lib/identity.c's rules); the Redis password is
 * never printed (lib/redis.c keeps it).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cli.h"
#include "identity.h"
#include "log.h"
#include "lua.h"
#include "xmalloc.h"

/* Most arguments cli_util_cmd() takes. */
#define CLI_UTIL_VARARGS_MAX	32
/*
 * The least time the command waits for a reply.  redis_command_timeout
 * is tuned for the daemons (a message must not wait); an admin command
 * sends batches of 1000 entries and may wait longer.
 */
#define CLI_UTIL_TIMEOUT_MIN_MS	5000

int
cli_util_open(const struct cli_opts *opts, bool json, struct cli_db *db)
{
	char err[PW_CONF_ERR_MAX];
	const char *why = NULL;

	memset(db, 0, sizeof(*db));
	db->json = json || opts->json;
	/* hiredis writes with write(2): a closed peer must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	/* The reason is printed by us; the Redis layer only adds noise. */
	pw_log_set_level(PW_LOG_ERROR);
	if (pw_conf_load(opts->conf_path, &db->conf, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return CLI_EXIT_FAIL;
	}
	/* Ours alone (one reference), not yet published: may be changed. */
	if (db->conf->redis_command_timeout_ms < CLI_UTIL_TIMEOUT_MIN_MS)
		db->conf->redis_command_timeout_ms = CLI_UTIL_TIMEOUT_MIN_MS;
	if ((db->redis = pw_redis_new(db->conf, &why)) == NULL) {
		cli_error("%s: redis_server: %s", opts->conf_path, why);
		cli_util_close(db);
		return CLI_EXIT_FAIL;
	}
	db->prefix = pw_redis_key_prefix(db->redis);
	if (pw_redis_connect(db->redis, &why) < 0) {
		cli_error("redis %s: %s", db->conf->redis_server, why);
		cli_util_close(db);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

void
cli_util_close(struct cli_db *db)
{
	pw_redis_free(&db->redis);
	pw_conf_release(&db->conf);
	db->prefix = NULL;
}

/* Print an error reply (escaped) or the lack of a reply, return NULL. */
static redisReply *
cli_util_checked(struct cli_db *db, redisReply *reply, const char *why)
{
	char safe[256];

	if (reply == NULL) {
		cli_error("redis %s: %s%s", db->conf->redis_server, why,
		    strcmp(why, "redis: timeout") == 0 ? " (the command may "
		    "have run: check before running it again)" : "");
		return NULL;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		cli_error("redis %s: %s", db->conf->redis_server,
		    cli_out_safe(safe, sizeof(safe), reply->str, reply->len));
		freeReplyObject(reply);
		return NULL;
	}
	return reply;
}

redisReply *
cli_util_cmdv(struct cli_db *db, int argc, const char **argv,
    const size_t *argvlen)
{
	const char *why = "redis: no reply";
	redisReply *reply;

	reply = pw_redis_command_argv(db->redis, argc, argv, argvlen, &why);
	return cli_util_checked(db, reply, why);
}

redisReply *
cli_util_cmd(struct cli_db *db, ...)
{
	const char *argv[CLI_UTIL_VARARGS_MAX];
	const char *s;
	va_list ap;
	int argc = 0;

	va_start(ap, db);
	while ((s = va_arg(ap, const char *)) != NULL &&
	    argc < CLI_UTIL_VARARGS_MAX)
		argv[argc++] = s;
	va_end(ap);
	return cli_util_cmdv(db, argc, argv, NULL);
}

redisReply *
cli_util_eval(struct cli_db *db, struct pw_redis_script *script, int nkeys,
    int argc, const char **argv, const size_t *argvlen)
{
	const char *why = "redis: no reply";
	redisReply *reply;

	if (script->sha[0] == '\0' && pw_redis_script_init(script, &why) < 0) {
		cli_error("script %s: %s", script->name, why);
		return NULL;
	}
	reply = pw_redis_evalsha(db->redis, script, nkeys, argc, argv,
	    argvlen, &why);
	return cli_util_checked(db, reply, why);
}

char *
cli_util_key(const struct cli_db *db, const char *fmt, ...)
{
	struct pw_buf buf;
	va_list ap;

	pw_buf_init(&buf, 4096);
	pw_buf_puts(&buf, db->prefix);
	va_start(ap, fmt);
	pw_buf_vprintf(&buf, fmt, ap);
	va_end(ap);
	return buf.data;	/* the buffer's storage is the caller's now */
}

long long
cli_util_reply_int(const redisReply *reply)
{
	char *end;
	long long n;

	if (reply == NULL)
		return -1;
	if (reply->type == REDIS_REPLY_INTEGER)
		return reply->integer;
	if (reply->type != REDIS_REPLY_STRING || reply->len == 0)
		return -1;
	errno = 0;
	n = strtoll(reply->str, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	return n;
}

const char *
cli_util_hash_get(const redisReply *hash, const char *field)
{
	size_t i;

	if (hash == NULL || hash->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (i = 0; i + 1 < hash->elements; i += 2) {
		if (hash->element[i]->type == REDIS_REPLY_STRING &&
		    hash->element[i + 1]->type == REDIS_REPLY_STRING &&
		    strcmp(hash->element[i]->str, field) == 0)
			return hash->element[i + 1]->str;
	}
	return NULL;
}

int
cli_util_key_tenant(struct cli_db *db, const char *keyid, char *tenant_r,
    size_t size)
{
	redisReply *reply;
	char *dir;
	int rc;

	dir = cli_util_key(db, "key:%s", keyid);
	reply = cli_util_cmd(db, "HGET", dir, "tenant", NULL);
	free(dir);
	if (reply == NULL)
		return -1;
	if (reply->type == REDIS_REPLY_NIL) {
		rc = 1;
	} else if (reply->type == REDIS_REPLY_STRING &&
	    pw_identity_valid_tenant(reply->str, reply->len) &&
	    reply->len < size) {
		memcpy(tenant_r, reply->str, reply->len + 1);
		rc = 0;
	} else {
		cli_error("key %s: its directory entry holds no valid tenant",
		    keyid);
		rc = -1;
	}
	freeReplyObject(reply);
	return rc;
}

int
cli_util_tenant_exists(struct cli_db *db, const char *tenant)
{
	redisReply *reply;
	char *rec;
	int rc;

	rec = cli_util_key(db, "{%s}:tenant", tenant);
	reply = cli_util_cmd(db, "EXISTS", rec, NULL);
	free(rec);
	if (reply == NULL)
		return -1;
	rc = reply->type == REDIS_REPLY_INTEGER && reply->integer > 0;
	freeReplyObject(reply);
	return rc;
}

int
cli_util_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **
cli_util_tenants(struct cli_db *db, size_t *n_r)
{
	redisReply *reply;
	char *set, **v;
	size_t i, n = 0;

	set = cli_util_key(db, "tenants");
	reply = cli_util_cmd(db, "SMEMBERS", set, NULL);
	free(set);
	if (reply == NULL)
		return NULL;
	v = pw_xcalloc(reply->type == REDIS_REPLY_ARRAY ?
	    reply->elements + 1 : 1, sizeof(*v));
	for (i = 0; reply->type == REDIS_REPLY_ARRAY &&
	    i < reply->elements; i++) {
		const redisReply *e = reply->element[i];

		/* Skip what could not be a tenant: it would make bad keys. */
		if (e->type == REDIS_REPLY_STRING &&
		    pw_identity_valid_tenant(e->str, e->len))
			v[n++] = pw_xstrdup(e->str);
	}
	freeReplyObject(reply);
	qsort(v, n, sizeof(*v), cli_util_strcmp);
	*n_r = n;
	return v;
}

void
cli_util_free_strv(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* --- validation and parsing ------------------------------------------- */

int
cli_util_check_tenant(const char *s)
{
	char safe[80];

	if (pw_identity_valid_tenant(s, strlen(s)))
		return 0;
	cli_error("bad tenant name '%s': expected 1 to %d of a-z 0-9 . _ -",
	    cli_out_safe(safe, sizeof(safe), s, strlen(s)),
	    PW_IDENTITY_TENANT_MAX);
	return -1;
}

int
cli_util_check_key(const char *s)
{
	char safe[160];

	if (pw_identity_valid_key(s, strlen(s)))
		return 0;
	cli_error("bad key id '%s': expected 1 to %d of A-Z a-z 0-9 . _ @ + -",
	    cli_out_safe(safe, sizeof(safe), s, strlen(s)),
	    PW_IDENTITY_KEY_MAX);
	return -1;
}

int
cli_util_address(const char *in, char out[CLI_ADDRESS_MAX + 1],
    const char **why_r)
{
	const char *at = strrchr(in, '@');

	/*
	 * Postfix hands recipients over unquoted ("a b"@x is a b@x); a quote
	 * here is the quoted form, which would never match: say so.
	 */
	if (at != NULL && memchr(in, '"', (size_t)(at - in)) != NULL) {
		*why_r = "local part: write it unquoted, as Postfix gives it "
		    "(\"a b\"@example.net is a b@example.net)";
		return -1;
	}
	return pw_address_normalize(in, strlen(in), PW_ADDRESS_F_DOMAIN, out,
	    why_r);
}

int
cli_util_uint(const char *s, uint64_t max, uint64_t *r)
{
	uint64_t n = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (n > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*r = n;
	return 0;
}

/* Parse exactly ndigits digits at *p into *r; advance *p. */
static int
cli_util_digits(const char **p, int ndigits, int *r)
{
	int i, n = 0;

	for (i = 0; i < ndigits; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		n = n * 10 + ((*p)[i] - '0');
	}
	*p += ndigits;
	*r = n;
	return 0;
}

int
cli_util_time(const char *s, int64_t *r)
{
	struct tm tm;
	const char *p = s;
	uint64_t n;
	time_t t;

	if (strchr(s, '-') == NULL) {
		/* Unix seconds, up to year 9999. */
		if (cli_util_uint(s, 253402300799ULL, &n) < 0)
			return -1;
		*r = (int64_t)n;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	if (cli_util_digits(&p, 4, &tm.tm_year) < 0 || *p++ != '-' ||
	    cli_util_digits(&p, 2, &tm.tm_mon) < 0 || *p++ != '-' ||
	    cli_util_digits(&p, 2, &tm.tm_mday) < 0)
		return -1;
	if (*p == 'T') {
		p++;
		if (cli_util_digits(&p, 2, &tm.tm_hour) < 0 || *p++ != ':' ||
		    cli_util_digits(&p, 2, &tm.tm_min) < 0)
			return -1;
		if (*p == ':' && (p++, cli_util_digits(&p, 2,
		    &tm.tm_sec) < 0))
			return -1;
		if (*p++ != 'Z')
			return -1;
	}
	if (*p != '\0' || tm.tm_year < 1970 || tm.tm_mon < 1 ||
	    tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	{
		int mday = tm.tm_mday;

		t = timegm(&tm);
		/* timegm normalises 31 February into March: refuse that. */
		if (t == (time_t)-1 || tm.tm_mday != mday)
			return -1;
	}
	*r = (int64_t)t;
	return 0;
}

int
cli_util_expires(const char *s, int64_t now, int64_t *r)
{
	static const struct {
		char	 unit;
		int64_t	 seconds;
	} units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
		{ 'w', 7 * 86400 },
	};
	char num[24];
	size_t len = strlen(s), i;
	uint64_t n;

	if (strcmp(s, "never") == 0 || strcmp(s, "0") == 0) {
		*r = 0;
		return 0;
	}
	if (len >= 2 && len < sizeof(num) && strchr(s, '-') == NULL) {
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (s[len - 1] != units[i].unit)
				continue;
			memcpy(num, s, len - 1);
			num[len - 1] = '\0';
			/* At most about 100 years ahead. */
			if (cli_util_uint(num, 3200000000ULL /
			    (uint64_t)units[i].seconds, &n) < 0 || n == 0)
				return -1;
			*r = now + (int64_t)n * units[i].seconds;
			return 0;
		}
	}
	if (cli_util_time(s, r) < 0 || *r <= now)
		return -1;
	return 0;
}

/* --- limit options ------------------------------------------------------ */

void
cli_util_fields_del(struct cli_fields *f, const char *name)
{
	int i;

	for (i = 0; i < f->nset; i++) {
		if (strcmp(f->set_name[i], name) == 0) {
			f->nset--;
			f->set_name[i] = f->set_name[f->nset];
			memcpy(f->set_value[i], f->set_value[f->nset],
			    sizeof(f->set_value[i]));
			break;
		}
	}
	for (i = 0; i < f->ndel; i++)
		if (strcmp(f->del_name[i], name) == 0)
			return;
	if (f->ndel < CLI_FIELDS_MAX)
		f->del_name[f->ndel++] = name;
}

void
cli_util_fields_set(struct cli_fields *f, const char *name, const char *value)
{
	int i;

	for (i = 0; i < f->ndel; i++) {
		if (strcmp(f->del_name[i], name) == 0) {
			f->del_name[i] = f->del_name[--f->ndel];
			break;
		}
	}
	for (i = 0; i < f->nset; i++)
		if (strcmp(f->set_name[i], name) == 0)
			break;
	if (i == f->nset) {
		if (f->nset == CLI_FIELDS_MAX)
			return;
		f->nset++;
	}
	f->set_name[i] = name;
	snprintf(f->set_value[i], sizeof(f->set_value[i]), "%s", value);
}

/* "0" or "none": the option removes its limit. */
static bool
cli_util_is_none(const char *arg)
{
	return strcmp(arg, "none") == 0 || strcmp(arg, "0") == 0;
}

/* --rate N/s or N/m. */
static int
cli_util_rate(const char *arg, struct cli_fields *f)
{
	char num[24];
	const char *slash = strchr(arg, '/'), *unit;
	uint64_t n;
	int period;

	if (cli_util_is_none(arg)) {
		cli_util_fields_del(f, "rate");
		cli_util_fields_del(f, "rate_period");
		return 0;
	}
	if (slash == NULL || (size_t)(slash - arg) >= sizeof(num))
		return -1;
	memcpy(num, arg, (size_t)(slash - arg));
	num[slash - arg] = '\0';
	unit = slash + 1;
	if (strcmp(unit, "s") == 0 || strcmp(unit, "sec") == 0)
		period = 1;
	else if (strcmp(unit, "m") == 0 || strcmp(unit, "min") == 0)
		period = 60;
	else
		return -1;
	if (cli_util_uint(num, 1000000000, &n) < 0 || n == 0)
		return -1;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)n);
	cli_util_fields_set(f, "rate", num);
	cli_util_fields_set(f, "rate_period", period == 1 ? "1" : "60");
	return 0;
}

/* --max-size N, NK, NM or NG (powers of 1024). */
static int
cli_util_size(const char *arg, struct cli_fields *f)
{
	char num[24];
	size_t len = strlen(arg);
	uint64_t n, mult = 1;

	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, arg, len + 1);
	switch (num[len - 1]) {
	case 'k': case 'K':
		mult = 1024;
		break;
	case 'm': case 'M':
		mult = 1024 * 1024;
		break;
	case 'g': case 'G':
		mult = 1024 * 1024 * 1024;
		break;
	}
	if (mult != 1)
		num[len - 1] = '\0';
	/* At most 1 TiB. */
	if (cli_util_uint(num, (1ULL << 40) / mult, &n) < 0)
		return -1;
	if (n == 0) {
		cli_util_fields_del(f, "max_size");
		return 0;
	}
	snprintf(num, sizeof(num), "%llu", (unsigned long long)(n * mult));
	cli_util_fields_set(f, "max_size", num);
	return 0;
}

/* --countries FR,DE: ISO 3166 alpha-2 codes, stored upper-case. */
static int
cli_util_countries(const char *arg, struct cli_fields *f)
{
	char out[CLI_FIELD_VALUE_MAX];
	size_t i, o = 0, run = 0;

	if (strcmp(arg, "none") == 0 || *arg == '\0') {
		cli_util_fields_del(f, "countries");
		return 0;
	}
	for (i = 0; arg[i] != '\0'; i++) {
		if (o + 2 >= sizeof(out))
			return -1;
		if (arg[i] == ',') {
			if (run != 2)
				return -1;
			run = 0;
			out[o++] = ',';
		} else if (isalpha((unsigned char)arg[i]) && run < 2) {
			out[o++] = (char)toupper((unsigned char)arg[i]);
			run++;
		} else {
			return -1;
		}
	}
	if (run != 2)
		return -1;
	out[o] = '\0';
	cli_util_fields_set(f, "countries", out);
	return 0;
}

/* --description TEXT: printable, at most CLI_DESCRIPTION_MAX bytes. */
static int
cli_util_description(const char *arg, struct cli_fields *f)
{
	size_t i, len = strlen(arg);

	if (len > CLI_DESCRIPTION_MAX)
		return -1;
	for (i = 0; i < len; i++)
		if ((unsigned char)arg[i] < 0x20 || arg[i] == 0x7f)
			return -1;
	if (len == 0)
		cli_util_fields_del(f, "description");
	else
		cli_util_fields_set(f, "description", arg);
	return 0;
}

int
cli_util_limit_opt(int ch, const char *arg, bool is_key, struct cli_fields *f)
{
	static const struct {
		int		 ch;
		const char	*option;
		const char	*field;		/* whole numbers */
		uint64_t	 max;
		const char	*expected;
	} opts[] = {
		{ CLI_OPT_RATE, "rate", NULL, 0,
		    "N/s or N/m (e.g. 100/s, 6000/m), 0 or none" },
		{ CLI_OPT_BURST, "burst", "burst", 1000000000,
		    "a whole number (e.g. 50), 0 or none" },
		{ CLI_OPT_QUOTA_HOUR, "quota-hour", "quota_hour",
		    1000000000000ULL, "a whole number (e.g. 1000), 0 or none" },
		{ CLI_OPT_QUOTA_DAY, "quota-day", "quota_day",
		    1000000000000ULL,
		    "a whole number (e.g. 50000), 0 or none" },
		{ CLI_OPT_QUOTA_MONTH, "quota-month", "quota_month",
		    1000000000000ULL,
		    "a whole number (e.g. 1000000), 0 or none" },
		{ CLI_OPT_MAX_SIZE, "max-size", NULL, 0,
		    "bytes, or a number with K, M or G (e.g. 25M), 0 or none" },
		{ CLI_OPT_MAX_RCPT, "max-recipients", "max_recipients",
		    1000000, "a whole number (e.g. 100), 0 or none" },
		{ CLI_OPT_COUNTRIES, "countries", NULL, 0,
		    "two-letter country codes separated by commas "
		    "(e.g. FR,DE), or none" },
		{ CLI_OPT_DESCRIPTION, "description", NULL, 0,
		    "printable text of at most 256 bytes ('' removes it)" },
		{ CLI_OPT_STATUS, "status", NULL, 0,
		    "active, suspended or disabled" },
	};
	char safe[80];
	uint64_t n;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (opts[i].ch == ch)
			break;
	if (i == sizeof(opts) / sizeof(opts[0]) ||
	    (ch == CLI_OPT_COUNTRIES && !is_key))
		return 1;
	switch (ch) {
	case CLI_OPT_RATE:
		rc = cli_util_rate(arg, f);
		break;
	case CLI_OPT_MAX_SIZE:
		rc = cli_util_size(arg, f);
		break;
	case CLI_OPT_COUNTRIES:
		rc = cli_util_countries(arg, f);
		break;
	case CLI_OPT_DESCRIPTION:
		rc = cli_util_description(arg, f);
		break;
	case CLI_OPT_STATUS:
		rc = -1;
		if (strcmp(arg, "active") == 0 ||
		    strcmp(arg, "suspended") == 0 ||
		    strcmp(arg, "disabled") == 0) {
			cli_util_fields_set(f, "status", arg);
			rc = 0;
		}
		break;
	default:
		if (strcmp(arg, "none") == 0) {
			cli_util_fields_del(f, opts[i].field);
			rc = 0;
		} else if ((rc = cli_util_uint(arg, opts[i].max, &n)) == 0) {
			char num[24];

			snprintf(num, sizeof(num), "%llu",
			    (unsigned long long)n);
			if (n == 0)
				cli_util_fields_del(f, opts[i].field);
			else
				cli_util_fields_set(f, opts[i].field, num);
		}
		break;
	}
	if (rc < 0) {
		cli_error("--%s: expected %s; got '%s'", opts[i].option,
		    opts[i].expected,
		    cli_out_safe(safe, sizeof(safe), arg, strlen(arg)));
		return -1;
	}
	return 0;
}

/* --- record updates ---------------------------------------------------- */

/*
 * KEYS[1] the record; ARGV[1] n, then n field/value pairs to set, then
 * fields to delete.  0 when the record does not exist (nothing written),
 * else 1.
 */
static struct pw_redis_script cli_util_update_script = {
	"cli_update", pw_lua_record_update, ""
};

int
cli_util_update(struct cli_db *db, const char *record,
    const struct cli_fields *f)
{
	const char *argv[3 + 2 * (CLI_FIELDS_MAX + 1) + CLI_FIELDS_MAX];
	char n[16], now[24];
	redisReply *reply;
	int argc = 0, i;
	long long rc;

	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	snprintf(n, sizeof(n), "%d", f->nset + 1);
	argv[argc++] = record;
	argv[argc++] = n;
	for (i = 0; i < f->nset; i++) {
		argv[argc++] = f->set_name[i];
		argv[argc++] = f->set_value[i];
	}
	argv[argc++] = "updated";
	argv[argc++] = now;
	for (i = 0; i < f->ndel; i++)
		argv[argc++] = f->del_name[i];
	reply = cli_util_eval(db, &cli_util_update_script, 1, argc, argv,
	    NULL);
	if (reply == NULL)
		return -1;
	rc = cli_util_reply_int(reply);
	freeReplyObject(reply);
	return rc == 1 ? 1 : 0;
}

/* --- subcommands and options -------------------------------------------- */

int
cli_util_usage(const char *group, const char *usage)
{
	fprintf(stderr, "usage: postwarden %s %s\n", group, usage);
	return CLI_EXIT_USAGE;
}

int
cli_util_dispatch(const char *group, const struct cli_sub *subs,
    size_t nsubs, const struct cli_opts *opts, int argc, char **argv)
{
	FILE *fp = opts->help ? stdout : stderr;
	char safe[64];
	size_t i;

	if (argc >= 2) {
		for (i = 0; i < nsubs; i++) {
			if (strcmp(argv[1], subs[i].name) != 0)
				continue;
			if (opts->help) {
				printf("usage: postwarden %s %s\n", group,
				    subs[i].usage);
				return CLI_EXIT_OK;
			}
			optind = 0;	/* glibc: a full getopt reset */
			opterr = 0;
			return subs[i].run(opts, argc - 1, argv + 1);
		}
		cli_error("%s: unknown subcommand '%s'", group,
		    cli_out_safe(safe, sizeof(safe), argv[1],
		    strlen(argv[1])));
		fp = stderr;
	}
	fprintf(fp, "usage:\n");
	for (i = 0; i < nsubs; i++)
		fprintf(fp, "  postwarden %s %s\n", group, subs[i].usage);
	return fp == stdout ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

int
cli_util_badopt(const char *cmd, int ch, char **argv)
{
	char safe[64];
	const char *arg = optind > 0 ? argv[optind - 1] : "";

	if (ch == ':')
		cli_error("%s: option %s needs a value", cmd,
		    cli_out_safe(safe, sizeof(safe), arg, strlen(arg)));
	else if (optopt != 0 && optopt < 256)
		cli_error("%s: unknown option -%c", cmd, optopt);
	else
		cli_error("%s: unknown option %s", cmd,
		    cli_out_safe(safe, sizeof(safe), arg, strlen(arg)));
	return CLI_EXIT_USAGE;
}

void
cli_util_status_verb(const char *verb, const char **status_r,
    const char **done_r)
{
	if (strcmp(verb, "suspend") == 0)
		*status_r = *done_r = "suspended";
	else if (strcmp(verb, "disable") == 0)
		*status_r = *done_r = "disabled";
	else {
		*status_r = "active";
		*done_r = "enabled";
	}
}
