/*
 * cli_suppress.h -- what the files of `postwarden suppress` share:
 *   cli_suppress.c         the commands (add, remove, check, list,
 *                          import, export) and their scopes
 *   cli_suppress_entry.c   entries: stored values, lists, reading and
 *                          writing a list hash
 *   cli_suppress_global.c  the global list's copies in every tenant
 *   cli_suppress_csv.c     CSV files for import and export
 *
 * A list is a hash (pw:{T}:supp, or the global master pw:supp:global):
 * field "user@domain" or "@domain", value "reason|source|time|expires"
 * (docs/redis-schema.md).
 */
#ifndef PW_CLI_SUPPRESS_H
#define PW_CLI_SUPPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"

#define CLI_SUPPRESS_BATCH	1000	/* entries per command */
#define CLI_SUPPRESS_SOURCE_MAX	32
#define CLI_SUPPRESS_VALUE_MAX	96
#define CLI_SUPPRESS_CSV_HEADER	"address,reason,source,time,expires"

/* One entry: the address and its stored value. */
struct cli_suppress_entry {
	char	*address;
	char	*value;		/* reason|source|time|expires */
};

/* A list of entries being built. */
struct cli_suppress_list {
	struct cli_suppress_entry	*v;
	size_t				 n, cap;
};

/* A stored value, taken apart (leniently: it may be hand-written). */
struct cli_suppress_val {
	char	 reason[16];
	char	 source[CLI_SUPPRESS_SOURCE_MAX + 1];
	int64_t	 time;
	int64_t	 expires;
};

/* --- cli_suppress_entry.c ------------------------------------------------ */

/* A reason: bounce, complaint, unsubscribe or manual. */
bool	cli_suppress_entry_valid_reason(const char *s);
/* A source: [a-z0-9._-]{1,32}; it must not hold '|' or ','. */
bool	cli_suppress_entry_valid_source(const char *s);
/* Take a stored value apart; missing parts stay empty or 0. */
void	cli_suppress_entry_parse(const char *v, struct cli_suppress_val *out);
/* Make a stored value. */
void	cli_suppress_entry_format(char *buf, size_t size, const char *reason,
	    const char *source, int64_t when, int64_t expires);
/* Whether a value had expired at now (0 expires never). */
bool	cli_suppress_entry_expired(const struct cli_suppress_val *v,
	    int64_t now);
/* Add copies of address and value to l. */
void	cli_suppress_entry_add(struct cli_suppress_list *l,
	    const char *address, const char *value);
/* Free l's entries; l is empty again. */
void	cli_suppress_entry_free(struct cli_suppress_list *l);
/* Sort l by address. */
void	cli_suppress_entry_sort(struct cli_suppress_list *l);
/*
 * Read a whole hash with HSCAN into l, skipping entries expired at now.
 * 0, or -1 after printing why.
 */
int	cli_suppress_entry_read(struct cli_db *db, const char *hash,
	    int64_t now, struct cli_suppress_list *l);
/*
 * Write l into hash in batches of CLI_SUPPRESS_BATCH: HSET, or with
 * script (KEYS[1] hash, ARGV field/value pairs) unless NULL; with source
 * (unless NULL) in place of each value's source.  0, or -1 after
 * printing why.
 */
int	cli_suppress_entry_write(struct cli_db *db, const char *hash,
	    const struct cli_suppress_list *l, struct pw_redis_script *script,
	    const char *source);

/*
 * Delete a tenant's stream-scoped suppressions: pw:{T}:supp:bulk and every
 * pw:{T}:supp:stream:<stream> (found with SCAN).  0, or -1 after printing
 * why.
 */
int	cli_suppress_entry_drop_streams(struct cli_db *db, const char *tenant);
/*
 * How many entries tenant's stream-scoped hashes (pw:{T}:supp:bulk and
 * every pw:{T}:supp:stream:<stream>) hold in all, into *n: 0, or -1
 * after printing why.
 */
int	cli_suppress_entry_count_streams(struct cli_db *db, const char *tenant,
	    long long *n);

/* --- cli_suppress_global.c ----------------------------------------------- */

/*
 * Copy l (written to the master already) into every tenant's hash with
 * source "global", leaving a tenant's own entries alone.  0, or -1 after
 * printing why (and at which tenant it stopped).
 */
int	cli_suppress_global_add(struct cli_db *db,
	    const struct cli_suppress_list *l);
/*
 * Remove the global copies of l's addresses from every tenant (a
 * tenant's own entries stay).  0, or -1 after printing why.
 */
int	cli_suppress_global_remove(struct cli_db *db,
	    const struct cli_suppress_list *l);

/* --- cli_suppress_csv.c -------------------------------------------------- */

/*
 * Read and check a whole CSV file into l; now is the time of an entry
 * without one, and what expired before it is skipped.  0 (bad lines
 * counted in *bad_r, expired ones in *expired_r), or an exit code after
 * printing why (no header, a read error).
 */
int	cli_suppress_csv_read(FILE *fp, const char *name, int64_t now,
	    struct cli_suppress_list *l, size_t *bad_r, size_t *expired_r);
/* Write l as CSV, header first; the caller checks fp for errors. */
void	cli_suppress_csv_write(FILE *fp, const struct cli_suppress_list *l);

#endif
