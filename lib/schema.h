/*
 * schema.h -- every Redis key name postwarden uses, spelled in one place
 * (lib/schema.c, the table pw_schema).  docs/redis-schema.md describes
 * the same names and tests/unit/schema.sh checks that it names exactly
 * these; the Lua scripts build theirs with lua/schema.lua, which is
 * written from the same table and checked by the same test.
 *
 * Why a table of patterns and one builder, not a function per key: the
 * pattern is at once the spelling, the line of the documentation and
 * the source of the Lua prelude, so none of the three can drift from
 * the others.  A pattern is literal text with two kinds of holes:
 *   {T}       the tenant, inside its hash tag: "{acme}";
 *   <name>    an argument: arg1 for the first hole, arg2 for the second.
 * Every name but the parts (PW_SCHEMA_F_PART) gets redis_key_prefix in
 * front: PW_SCHEMA_KEY with prefix "pw:", tenant "acme" and arg1
 * "k_live_1" is "pw:{acme}:key:k_live_1".
 *
 * The builder writes into the caller's buffer (the daemons keep key
 * names on the stack) and reports truncation; pw_schema_key_new
 * allocates (the CLI).  Arguments are not checked: callers pass tenant
 * names and key ids lib/identity.c accepted.  No state, thread-safe.
 */
#ifndef PW_SCHEMA_H
#define PW_SCHEMA_H

#include <stddef.h>

enum pw_schema_name {
	/* Outside tenant slots. */
	PW_SCHEMA_KEY_DIR,	/* key:<keyid>: the key's tenant */
	PW_SCHEMA_TENANTS,	/* tenants: every tenant's name */
	/*
	 * store: the store marker, written (SET NX, the Unix time) by every
	 * postwarden command that creates a tenant or key.  Its absence
	 * means Redis holds no postwarden data (restarted without
	 * persistence, or flushed): postwarden-policyd then answers an
	 * unknown key with its fail mode, not a permanent refusal.
	 */
	PW_SCHEMA_STORE,
	PW_SCHEMA_SUPP_GLOBAL,	/* supp:global: global suppressions */
	PW_SCHEMA_EVENTS,	/* events: the event stream */
	PW_SCHEMA_DOMAIN_DIR,	/* domain:<domain>: the domain's one owner */
	PW_SCHEMA_AUTHFAIL_CLIENT, /* authfail:<addr>: failed logins of a client */
	/* A tenant's slot; the scripts get PW_SCHEMA_SLOT as P. */
	PW_SCHEMA_SLOT,		/* {T}: the prefix of the rest */
	PW_SCHEMA_TENANT,	/* {T}:tenant */
	PW_SCHEMA_KEY,		/* {T}:key:<keyid> */
	PW_SCHEMA_KEYS,		/* {T}:keys */
	PW_SCHEMA_GEN,		/* {T}:gen: bumped by every change a decision reads */
	PW_SCHEMA_KEY_SECRETS,	/* {T}:key:<keyid>:secrets: its login secrets */
	PW_SCHEMA_AUTHFAIL_KEY,	/* {T}:authfail:<keyid>: its failed logins */
	PW_SCHEMA_SUPP,		/* {T}:supp */
	PW_SCHEMA_SUPP_STREAM,	/* {T}:supp:stream:<stream>: one stream's */
	PW_SCHEMA_SUPP_BULK,	/* {T}:supp:bulk: every bulk stream's */
	PW_SCHEMA_DOMAINS,	/* {T}:domains: domain -> exact|subdomains */
	PW_SCHEMA_DOMAIN,	/* {T}:domain:<domain>: its record */
	PW_SCHEMA_DKIM_SELECTORS, /* {T}:dkim:<domain>: selector -> state */
	PW_SCHEMA_DKIM_KEY,	/* {T}:dkim:<domain>:<selector>: a key */
	PW_SCHEMA_TXN,		/* {T}:txn:<instance> */
	PW_SCHEMA_BILLED,	/* {T}:billed:<queue_id> */
	PW_SCHEMA_GCRA,		/* {T}:gcra:<who> */
	PW_SCHEMA_USED,		/* {T}:used:<who>:<window> */
	PW_SCHEMA_RESV,		/* {T}:resv:<who>:<window> */
	PW_SCHEMA_MSGS,		/* {T}:msgs:<who>:d:<YYYYMMDD> */
	PW_SCHEMA_BYTES,	/* {T}:bytes:<who>:d:<YYYYMMDD> */
	/* Parts of names, not names: no prefix. */
	PW_SCHEMA_WHO_TENANT,	/* tenant: <who> of the tenant */
	PW_SCHEMA_WHO_KEY,	/* key:<keyid>: <who> of a key */
	PW_SCHEMA_WINDOW,	/* <unit>:<id>: <window>, "d:20261127" */
	PW_SCHEMA_NNAMES
};

#define PW_SCHEMA_F_SLOT	0x01	/* in the tenant's slot: "{T}:..." */
#define PW_SCHEMA_F_PREFIX	0x02	/* the start of names, not a name */
#define PW_SCHEMA_F_PART	0x04	/* a part of a name: no prefix */

struct pw_schema_entry {
	const char	*name;		/* short name; the Lua function's */
	const char	*pattern;	/* the spelling, without the prefix */
	unsigned	 flags;		/* PW_SCHEMA_F_* */
};

/* Indexed by enum pw_schema_name. */
extern const struct pw_schema_entry pw_schema[PW_SCHEMA_NNAMES];

/*
 * Write name n with prefix, tenant (for {T}) and arg1, arg2 (for the
 * <...> holes, in order; NULL where there are fewer) into dst, always
 * NUL-terminated.  0, or -1 when it did not fit (dst holds the start)
 * or a hole had no value (dst is "").
 */
int	pw_schema_key(char *dst, size_t dstsize, const char *prefix,
	    enum pw_schema_name n, const char *tenant, const char *arg1,
	    const char *arg2);

/*
 * The same, allocated (pw_xmalloc; the caller frees).  A hole without a
 * value is the caller's bug: it aborts.
 */
char	*pw_schema_key_new(const char *prefix, enum pw_schema_name n,
	    const char *tenant, const char *arg1, const char *arg2);

#endif
