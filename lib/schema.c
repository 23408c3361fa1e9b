/*
 * schema.c -- the Redis key names (see schema.h): the table and the one
 * function that fills its holes.  docs/redis-schema.md says what each
 * key holds; change a name here, there and in lua/schema.lua together
 * (tests/unit/schema.sh fails until all three agree).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "schema.h"
#include "xmalloc.h"

const struct pw_schema_entry pw_schema[PW_SCHEMA_NNAMES] = {
	[PW_SCHEMA_KEY_DIR] =	{ "key_dir", "key:<keyid>", 0 },
	[PW_SCHEMA_TENANTS] =	{ "tenants", "tenants", 0 },
	[PW_SCHEMA_STORE] =	{ "store", "store", 0 },
	[PW_SCHEMA_SUPP_GLOBAL] = { "supp_global", "supp:global", 0 },
	[PW_SCHEMA_EVENTS] =	{ "events", "events", 0 },
	[PW_SCHEMA_DOMAIN_DIR] = { "domain_dir", "domain:<domain>", 0 },
	[PW_SCHEMA_AUTHFAIL_CLIENT] = { "authfail_client", "authfail:<addr>",
	    0 },
	[PW_SCHEMA_SLOT] =	{ "slot", "{T}:",
	    PW_SCHEMA_F_SLOT | PW_SCHEMA_F_PREFIX },
	[PW_SCHEMA_TENANT] =	{ "tenant", "{T}:tenant", PW_SCHEMA_F_SLOT },
	[PW_SCHEMA_KEY] =	{ "key", "{T}:key:<keyid>", PW_SCHEMA_F_SLOT },
	[PW_SCHEMA_KEYS] =	{ "keys", "{T}:keys", PW_SCHEMA_F_SLOT },
	[PW_SCHEMA_GEN] =	{ "gen", "{T}:gen", PW_SCHEMA_F_SLOT },
	[PW_SCHEMA_KEY_SECRETS] = { "key_secrets", "{T}:key:<keyid>:secrets",
	    PW_SCHEMA_F_SLOT },
	[PW_SCHEMA_AUTHFAIL_KEY] = { "authfail_key", "{T}:authfail:<keyid>",
	    PW_SCHEMA_F_SLOT },
	[PW_SCHEMA_SUPP] =	{ "supp", "{T}:supp", PW_SCHEMA_F_SLOT },
	[PW_SCHEMA_SUPP_STREAM] = { "supp_stream", "{T}:supp:stream:<stream>",
	    PW_SCHEMA_F_SLOT },
	[PW_SCHEMA_SUPP_BULK] =	{ "supp_bulk", "{T}:supp:bulk",
	    PW_SCHEMA_F_SLOT },
	[PW_SCHEMA_DOMAINS] =	{ "domains", "{T}:domains", PW_SCHEMA_F_SLOT },
	[PW_SCHEMA_DOMAIN] =	{ "domain", "{T}:domain:<domain>",
	    PW_SCHEMA_F_SLOT },
	[PW_SCHEMA_DKIM_SELECTORS] = { "dkim_selectors", "{T}:dkim:<domain>",
	    PW_SCHEMA_F_SLOT },
	[PW_SCHEMA_DKIM_KEY] =	{ "dkim_key", "{T}:dkim:<domain>:<selector>",
	    PW_SCHEMA_F_SLOT },
	[PW_SCHEMA_TXN] =	{ "txn", "{T}:txn:<instance>",
	    PW_SCHEMA_F_SLOT },
	[PW_SCHEMA_BILLED] =	{ "billed", "{T}:billed:<queue_id>",
	    PW_SCHEMA_F_SLOT },
	[PW_SCHEMA_GCRA] =	{ "gcra", "{T}:gcra:<who>", PW_SCHEMA_F_SLOT },
	[PW_SCHEMA_USED] =	{ "used", "{T}:used:<who>:<window>",
	    PW_SCHEMA_F_SLOT },
	[PW_SCHEMA_RESV] =	{ "resv", "{T}:resv:<who>:<window>",
	    PW_SCHEMA_F_SLOT },
	[PW_SCHEMA_MSGS] =	{ "msgs", "{T}:msgs:<who>:d:<YYYYMMDD>",
	    PW_SCHEMA_F_SLOT },
	[PW_SCHEMA_BYTES] =	{ "bytes", "{T}:bytes:<who>:d:<YYYYMMDD>",
	    PW_SCHEMA_F_SLOT },
	[PW_SCHEMA_WHO_TENANT] = { "who_tenant", "tenant", PW_SCHEMA_F_PART },
	[PW_SCHEMA_WHO_KEY] =	{ "who_key", "key:<keyid>", PW_SCHEMA_F_PART },
	[PW_SCHEMA_WINDOW] =	{ "window", "<unit>:<id>", PW_SCHEMA_F_PART },
};

/* Append len bytes of s at *off, as far as they fit; count them all. */
static void
schema_put(char *dst, size_t dstsize, size_t *off, const char *s,
    size_t len)
{
	if (*off < dstsize) {
		size_t room = dstsize - *off;

		memcpy(dst + *off, s, len < room ? len : room);
	}
	*off += len;
}

/*
 * Fill n's holes into dst (what fits, not terminated); the whole length,
 * or (size_t)-1 when a hole has no value.
 */
static size_t
schema_fill(char *dst, size_t dstsize, const char *prefix,
    enum pw_schema_name n, const char *tenant, const char *arg1,
    const char *arg2)
{
	const char *args[2] = { arg1, arg2 }, *p, *end;
	size_t off = 0, next = 0;

	if ((unsigned)n >= PW_SCHEMA_NNAMES)
		return (size_t)-1;
	if (!(pw_schema[n].flags & PW_SCHEMA_F_PART))
		schema_put(dst, dstsize, &off, prefix, strlen(prefix));
	for (p = pw_schema[n].pattern; *p != '\0'; p++) {
		if (strncmp(p, "{T}", 3) == 0) {
			if (tenant == NULL)
				return (size_t)-1;
			schema_put(dst, dstsize, &off, "{", 1);
			schema_put(dst, dstsize, &off, tenant, strlen(tenant));
			schema_put(dst, dstsize, &off, "}", 1);
			p += 2;
		} else if (*p == '<' && (end = strchr(p, '>')) != NULL) {
			if (next >= 2 || args[next] == NULL)
				return (size_t)-1;
			schema_put(dst, dstsize, &off, args[next],
			    strlen(args[next]));
			next++;
			p = end;
		} else
			schema_put(dst, dstsize, &off, p, 1);
	}
	return off;
}

int
pw_schema_key(char *dst, size_t dstsize, const char *prefix,
    enum pw_schema_name n, const char *tenant, const char *arg1,
    const char *arg2)
{
	size_t len;

	if (dstsize == 0)
		return -1;
	len = schema_fill(dst, dstsize, prefix, n, tenant, arg1, arg2);
	if (len == (size_t)-1) {
		dst[0] = '\0';
		return -1;
	}
	if (len >= dstsize) {
		dst[dstsize - 1] = '\0';
		return -1;
	}
	dst[len] = '\0';
	return 0;
}

char *
pw_schema_key_new(const char *prefix, enum pw_schema_name n,
    const char *tenant, const char *arg1, const char *arg2)
{
	size_t len;
	char *s;

	len = schema_fill(NULL, 0, prefix, n, tenant, arg1, arg2);
	if (len == (size_t)-1) {
		pw_log_warnx("schema: %s: a hole without a value",
		    (unsigned)n < PW_SCHEMA_NNAMES ? pw_schema[n].name : "?");
		abort();
	}
	s = pw_xmalloc(len + 1);
	(void)schema_fill(s, len + 1, prefix, n, tenant, arg1, arg2);
	s[len] = '\0';
	return s;
}
