/*
 * policyd_records.h -- postwarden-policyd's copy of what a decision reads
 * of a tenant and its key (the records' status, limits and countries, and
 * whether the tenant owns a sender's domain), kept under the generation
 * pw:{T}:gen it was read with (lua/rcpt_read.lua), and the checks made
 * from it that are the same for every recipient (status, sender domain,
 * a limit that cannot be read, country), in lua/rcpt.lua's former order.
 *
 * Exports: struct policyd_records, policyd_records_cache_new/_free,
 * _get, _put, _forget, _parse, _sender_names, _verdict, _limits.
 *
 * Freshness: an entry is used while younger than the maximum age
 * (identity_cache_ttl; 0: every decision reads first) and only with the
 * generation confirmed by lua/rcpt.lua in the decision itself; a stale
 * one is read again.  At most identity_cache_size entries, one per
 * (tenant, key) pair, about 1,200 bytes each with lib/cache's overhead,
 * the least recently used evicted (lib/cache.h).  Single-threaded use
 * (postwarden-policyd's loop).
 */
#ifndef POLICYD_RECORDS_H
#define POLICYD_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "address.h"
#include "limit.h"

#define POLICYD_RECORDS_DOMAINS	4	/* sender verdicts kept per entry */
/* Longest sender domain of the four slots (a longer one: its own slot). */
#define POLICYD_RECORDS_DOMAIN_MAX	63

/* One record, parsed. */
struct policyd_records_subject {
	char		status;		/* 'd' disabled, 's' suspended, else 'a' */
	int		invalid;	/* the first unreadable limit, or -1 */
	char		invalid_value[65];	/* bounded, for the log */
	long long	limit[PW_LIMIT_NFIELDS];	/* 0: none */
};

/* The key's countries, parsed. */
struct policyd_records_countries {
	bool		set;		/* a country list is set */
	char		norm[128];	/* for the reply, bounded */
	unsigned char	codes[(26 * 26 + 7) / 8];	/* two letters */
};

struct policyd_records {
	int64_t		read_ms;	/* monotonic; 0: nothing read */
	char		gen[24];
	bool		lost_tenant, lost_key;
	struct policyd_records_subject	tenant, key;
	struct policyd_records_countries	countries;	/* the key's */
	/*
	 * Sender verdicts: the domain itself ("" an empty slot), 'o' owned,
	 * 'n' none, 'x' other; the last domain longer than the slots' in
	 * a slot of its own.  The name, not a hash of it: a sender domain
	 * whose hash equals that of one the tenant owns must not pass.
	 */
	char		dom_name[POLICYD_RECORDS_DOMAINS][POLICYD_RECORDS_DOMAIN_MAX + 1];
	char		dom_verdict[POLICYD_RECORDS_DOMAINS];
	unsigned	dom_next;
	char		dom_long[PW_ADDRESS_DOMAIN_MAX + 1];
	char		dom_long_verdict;
};

struct policyd_records_cache;

struct policyd_records_cache *policyd_records_cache_new(size_t slots);
void	policyd_records_cache_free(struct policyd_records_cache **cp);

/*
 * Copy the entry of (tenant, key) into *r if it is younger than max_ms:
 * true, else false.
 */
bool	policyd_records_get(struct policyd_records_cache *c, const char *tenant,
	    const char *key, int64_t now_ms, int64_t max_ms,
	    struct policyd_records *r);
/* Store *r as the entry of (tenant, key). */
void	policyd_records_put(struct policyd_records_cache *c, const char *tenant,
	    const char *key, const struct policyd_records *r);
/* Drop the entry of (tenant, key). */
void	policyd_records_forget(struct policyd_records_cache *c,
	    const char *tenant, const char *key);

/*
 * The sender's domain verdict kept in r for sdom ("" the null sender:
 * always 'o'; "@" a bare local part): 'o', 'n', 'x', or 0 when r has none.
 */
char	policyd_records_sender(const struct policyd_records *r,
	    const char *sdom);
/*
 * The ARGV of lua/rcpt_read.lua for sdom into argv (room for 2 + the
 * labels of a domain: PW_ADDRESS_DOMAIN_MAX / 2 + 3); names are stored in
 * buf (PW_ADDRESS_DOMAIN_MAX + 2 bytes).  Returns the count.
 */
int	policyd_records_sender_args(const char *sdom, char *buf,
	    const char **argv);
/*
 * Parse lua/rcpt_read.lua's reply into *r (read at now_ms, for sdom):
 * 0, or -1 when it has the wrong shape.  A verdict for sdom is added to
 * what r held when its generation is the same.
 */
int	policyd_records_parse(const redisReply *reply, bool with_key,
	    const char *sdom, int64_t now_ms, struct policyd_records *r);
/*
 * The daemon's verdict, as lua/rcpt.lua used to answer it, into fields
 * (at most 7, each of the size given): 0 for none (count on), else the
 * number of fields.  country: "-" GeoIP off, "" unknown, else the code.
 */
int	policyd_records_verdict(const struct policyd_records *r, bool with_key,
	    const char *sdom, bool domains_required, const char *country,
	    char fields[][80]);
/*
 * The limits lua/rcpt.lua counts with, eight per subject, into
 * fields (decimal, "" for none), argv pointing at them: returns 8 or 16.
 */
int	policyd_records_limits(const struct policyd_records *r, bool with_key,
	    char fields[][24], const char **argv);

#endif
