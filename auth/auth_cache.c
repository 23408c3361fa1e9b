/*
 * auth_cache.c -- (key id, secret hash) pairs Redis verified, for logins
 * while Redis is down (see auth_cache.h).
 *
 * Exports: auth_cache_new/free/put/get/forget.
 * Threads: the event loop's only.  Ownership: the cache owns its slots.
 * Failures: none (allocation failure exits).
 * Security: entries are wiped when freed; no secret is ever stored.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth_cache.h"
#include "auth_secret.h"
#include "xmalloc.h"

struct auth_cache_entry {
	int64_t	verified_ms;
	char	keyid[PW_AUTH_KEYID_MAX + 1];
	char	hash[PW_AUTH_HASH_MAX];
	int	used;
};

struct auth_cache {
	struct auth_cache_entry	*slots;
	size_t			 mask;	/* slots - 1; slots NULL: empty */
};

struct auth_cache *
auth_cache_new(size_t slots)
{
	struct auth_cache *c = pw_xcalloc(1, sizeof(*c));
	size_t n = 1;

	if (slots == 0)
		return c;
	while (n < slots)
		n <<= 1;
	c->slots = pw_xcalloc(n, sizeof(*c->slots));
	c->mask = n - 1;
	return c;
}

void
auth_cache_free(struct auth_cache **cp)
{
	struct auth_cache *c = *cp;

	if (c == NULL)
		return;
	*cp = NULL;
	if (c->slots != NULL) {
		OPENSSL_cleanse(c->slots, (c->mask + 1) * sizeof(*c->slots));
		free(c->slots);
	}
	free(c);
}

/* The slot of (keyid, hash): FNV-1a over both. */
static struct auth_cache_entry *
auth_cache_slot(struct auth_cache *c, const char *keyid, const char *hash)
{
	uint64_t h = 1469598103934665603ULL;
	const unsigned char *p;

	for (p = (const unsigned char *)keyid; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ULL;
	h = (h ^ 0) * 1099511628211ULL;
	for (p = (const unsigned char *)hash; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return &c->slots[h & c->mask];
}

/* Whether e holds (keyid, hash). */
static int
auth_cache_match(const struct auth_cache_entry *e, const char *keyid,
    const char *hash)
{
	return e->used && strcmp(e->keyid, keyid) == 0 &&
	    strcmp(e->hash, hash) == 0;
}

void
auth_cache_put(struct auth_cache *c, const char *keyid, const char *hash,
    int64_t now_ms)
{
	struct auth_cache_entry *e;

	if (c->slots == NULL || strlen(keyid) > PW_AUTH_KEYID_MAX ||
	    strlen(hash) >= PW_AUTH_HASH_MAX)
		return;
	e = auth_cache_slot(c, keyid, hash);
	memcpy(e->keyid, keyid, strlen(keyid) + 1);
	memcpy(e->hash, hash, strlen(hash) + 1);
	e->verified_ms = now_ms;
	e->used = 1;
}

int
auth_cache_get(struct auth_cache *c, const char *keyid, const char *hash,
    int64_t now_ms, int64_t ttl_ms)
{
	struct auth_cache_entry *e;

	if (c->slots == NULL)
		return 0;
	e = auth_cache_slot(c, keyid, hash);
	return auth_cache_match(e, keyid, hash) &&
	    now_ms - e->verified_ms <= ttl_ms;
}

void
auth_cache_forget(struct auth_cache *c, const char *keyid, const char *hash)
{
	struct auth_cache_entry *e;

	if (c->slots == NULL)
		return;
	e = auth_cache_slot(c, keyid, hash);
	if (auth_cache_match(e, keyid, hash))
		memset(e, 0, sizeof(*e));
}
