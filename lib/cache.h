/*
 * cache.h -- one bounded cache for the daemons: a byte-string key -> a
 * fixed-size value kept in the entry, with least-recently-used eviction.
 *
 * Exports: struct pw_cache, pw_cache_new/_ref/_free, pw_cache_lock/
 * _unlock, pw_cache_find, pw_cache_put, pw_cache_remove,
 * pw_cache_foreach, pw_cache_count, pw_cache_capacity.
 *
 * Shape: a hash table with chaining (as many buckets as the capacity,
 * rounded up to a power of two) and one doubly linked LRU list.  Lookups,
 * inserts, removals and evictions are O(1); N distinct keys, N at most
 * the capacity, all stay cached whatever their hashes (no slot is shared
 * the way a direct-mapped table shares it).  When the cache is full, an
 * insert evicts the entry least recently found or put.
 *
 * Values: value_size bytes per entry, zeroed when the entry is made; the
 * caller owns their meaning (freshness, versions, retry times...) and
 * reads and writes them in place while it holds the lock.  When an entry
 * goes (evicted, removed, the cache freed) free_value, if any, is called
 * with its value, under the lock: it must not call back into the cache.
 * A value that others must keep using after that (an opened key) is a
 * pointer to a reference-counted object, released by free_value.
 *
 * Memory: per entry, about 48 bytes of entry header + value_size
 * (rounded up to 16) + the key's length + malloc's overhead (16 bytes),
 * and one 8-byte bucket pointer per slot of capacity (up to twice the
 * capacity, rounded up); entries are allocated when first put and freed
 * when evicted, so an idle cache costs only its buckets.
 *
 * Threads: one mutex per cache.  The caller takes it (pw_cache_lock)
 * around pw_cache_find/_put/_remove/_foreach and any use of a value
 * pointer they return; a value pointer is valid only until the unlock
 * (another thread may evict the entry after it).  Never hold the lock
 * across I/O.  A cache may belong to several runtime snapshots:
 * pw_cache_ref adds an owner, pw_cache_free drops one and frees with the
 * last.
 */
#ifndef PW_CACHE_H
#define PW_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#define PW_CACHE_MAX	((size_t)1 << 24)	/* largest capacity */

struct pw_cache;

/* Called with an entry's value when the entry goes (under the lock). */
typedef void pw_cache_free_fn(void *value);

/*
 * An empty cache of at most capacity entries (1 .. PW_CACHE_MAX; out of
 * range is clamped) of value_size bytes each.  free_value may be NULL.
 */
struct pw_cache *pw_cache_new(size_t capacity, size_t value_size,
	    pw_cache_free_fn *free_value);
/* One more owner of c; returns c. */
struct pw_cache *pw_cache_ref(struct pw_cache *c);
/* Drop the caller's ownership (the last frees every entry); NULLs *cp. */
void	pw_cache_free(struct pw_cache **cp);

void	pw_cache_lock(struct pw_cache *c);
void	pw_cache_unlock(struct pw_cache *c);

/*
 * Lock held.  The value of key (keylen bytes, any bytes), made the most
 * recently used; NULL when absent.
 */
void	*pw_cache_find(struct pw_cache *c, const void *key, size_t keylen);
/*
 * Lock held.  The value of key, made the most recently used: the existing
 * one (*created_r false), or a new zeroed one (*created_r true), for
 * which the least recently used entry was evicted if the cache was full.
 * created_r may be NULL.  Never NULL.
 */
void	*pw_cache_put(struct pw_cache *c, const void *key, size_t keylen,
	    bool *created_r);
/* Lock held.  Drop key's entry, if any (free_value called). */
void	 pw_cache_remove(struct pw_cache *c, const void *key, size_t keylen);
/* Lock held.  fn(value, arg) for every entry, most recently used first. */
void	 pw_cache_foreach(struct pw_cache *c,
	    void (*fn)(void *value, void *arg), void *arg);
/* Lock held.  How many entries there are. */
size_t	 pw_cache_count(const struct pw_cache *c);
/* The capacity (no lock needed: it never changes). */
size_t	 pw_cache_capacity(const struct pw_cache *c);

/*
 * The key of a pair of strings, a then a NUL then b, into buf, which has
 * room for strlen(a) + 1 + strlen(b) bytes (no NUL at the end); its
 * length.  No lock needed.
 */
size_t	 pw_cache_key2(char *buf, const char *a, const char *b);

#endif
