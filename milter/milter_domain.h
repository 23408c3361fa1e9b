/*
 * milter_domain.h -- whether a tenant owns a domain (its header From
 * domain, or the dkim_domain of its settings), from Redis through a
 * bounded cache, and the replies a message gets when it does not.
 *
 * Exports: enum milter_domain_verdict, milter_domain_cache_new/_expire
 * (the cache, a lib/cache.h struct pw_cache, part of a runtime snapshot),
 * milter_domain_owned(), and the reply table
 * (enum milter_domain_rule, milter_domain_reply()).
 *
 * Ownership (docs/redis-schema.md "Sending domains"): tenant T owns D
 * when <prefix>{T}:domains has the field D, or a field P, a parent of D,
 * whose value is "subdomains".  One HMGET of D and its parents asks it;
 * when none answers, an HLEN tells "owns no domain at all" (what
 * tenant_domains_required is about) from "owns others".  The domain is
 * taken in lib/address's normal form ("@D" normalised), the form
 * `postwarden domain add` writes.
 *
 * Threads: the cache is shared by every connection of a snapshot, and by
 * the next snapshot when a reload keeps the same Redis data (one mutex,
 * held for a copy).  Memory: at most milter_domain_cache_size
 * (postwarden.conf(5)) (tenant, domain) answers, the least recently used
 * evicted when a new pair comes (lib/cache.h: any pairs up to that number
 * stay, whatever their hashes); about 150 bytes an answer (cache entry,
 * key, bucket).
 *
 * Failures: an answer is kept for identity_cache_ttl; when Redis does not
 * answer, the last answer for the pair stands, however old; with none,
 * the verdict is MILTER_DOMAIN_UNKNOWN, which the caller must not treat
 * as owned (fail closed: the message is tempfailed).
 *
 * Security: the tenant and domain are checked names (lib/identity,
 * lib/rfc5322_addr), and go to Redis as argv, never spliced.
 */
#ifndef PW_MILTER_DOMAIN_H
#define PW_MILTER_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime.h"

enum milter_domain_verdict {
	MILTER_DOMAIN_OWNED = 0,	/* the domain or a parent with subdomains */
	MILTER_DOMAIN_NOT_OWNED,	/* the tenant owns others, not this one */
	MILTER_DOMAIN_NONE,		/* the tenant owns no domain at all */
	MILTER_DOMAIN_UNKNOWN,		/* Redis down, nothing cached */
};

struct pw_cache;

/*
 * An empty cache of at most size answers (milter_domain_cache_size).  A
 * reload that keeps the same Redis data shares the running one
 * (pw_cache_ref) and makes every entry due (_expire); pw_cache_free drops
 * a reference.
 */
struct pw_cache *milter_domain_cache_new(size_t size);
void	milter_domain_cache_expire(struct pw_cache *c);

/*
 * Does tenant own domain (a host name, as lib/rfc5322_addr gives it; ""
 * or NULL: the message has none, and only NONE or NOT_OWNED can come
 * back, as for a name without a normal form)?  From the snapshot's cache while fresh, else Redis, else the
 * last answer (*stale_r true), else MILTER_DOMAIN_UNKNOWN with *why_r.
 * Any thread.
 */
enum milter_domain_verdict milter_domain_owned(const struct pw_runtime *rt,
	    const char *tenant, const char *domain, bool *stale_r,
	    const char **why_r);

/* The refusals of a tenant's message for its domains; in the page's order. */
enum milter_domain_rule {
	MILTER_DOMAIN_RULE_FROM = 0,	/* From domain not owned: D, T */
	MILTER_DOMAIN_RULE_NO_FROM,	/* no single From domain: T */
	MILTER_DOMAIN_RULE_NONE,	/* the tenant owns none: T */
	MILTER_DOMAIN_RULE_COUNT
};

/* One row of the reply table (postwarden-milter(8), REPLIES). */
struct milter_domain_reply {
	const char	*event;		/* the event's and log line's rule= */
	const char	*code;		/* "550" */
	const char	*status;	/* "5.7.1" */
	const char	*text;		/* template: each "%s" one argument */
};

/* The row of rule r. */
const struct milter_domain_reply *milter_domain_reply(
	    enum milter_domain_rule r);

/*
 * The text of rule r for tenant and domain (domain unused by the rows
 * that do not name one) into buf, NUL-terminated; returns buf.  The
 * texts say what postwarden-policyd's say of the envelope sender
 * (lib/rule.c), of the From domain.
 */
char	*milter_domain_reply_text(enum milter_domain_rule r,
	    const char *tenant, const char *domain, char *buf,
	    size_t bufsize);

#endif
