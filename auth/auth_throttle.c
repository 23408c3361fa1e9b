/*
 * auth_throttle.c -- the local record of throttled client addresses (see
 * auth_throttle.h).
 *
 * Exports: auth_throttle_new/free/add/check.
 * Threads: the event loop's only.  Ownership: the record owns its slots.
 * Failures: none (allocation failure exits).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "auth_throttle.h"
#include "xmalloc.h"

#define AUTH_THROTTLE_SLOTS	4096	/* a power of two */

struct auth_throttle_entry {
	int64_t	until_ms;
	char	addr[AUTH_THROTTLE_ADDR_MAX + 1];
};

struct auth_throttle {
	struct auth_throttle_entry	slots[AUTH_THROTTLE_SLOTS];
};

struct auth_throttle *
auth_throttle_new(void)
{
	return pw_xcalloc(1, sizeof(struct auth_throttle));
}

void
auth_throttle_free(struct auth_throttle **tp)
{
	free(*tp);
	*tp = NULL;
}

static struct auth_throttle_entry *
auth_throttle_slot(struct auth_throttle *t, const char *addr)
{
	uint32_t h = 2166136261U;
	const unsigned char *p;

	for (p = (const unsigned char *)addr; *p != '\0'; p++)
		h = (h ^ *p) * 16777619U;
	return &t->slots[h & (AUTH_THROTTLE_SLOTS - 1)];
}

void
auth_throttle_add(struct auth_throttle *t, const char *addr,
    int64_t until_ms)
{
	struct auth_throttle_entry *e;
	size_t len = strlen(addr);

	if (len == 0 || len > AUTH_THROTTLE_ADDR_MAX)
		return;
	e = auth_throttle_slot(t, addr);
	memcpy(e->addr, addr, len + 1);
	e->until_ms = until_ms;
}

int
auth_throttle_check(struct auth_throttle *t, const char *addr,
    int64_t now_ms)
{
	struct auth_throttle_entry *e;

	if (*addr == '\0' || strlen(addr) > AUTH_THROTTLE_ADDR_MAX)
		return 0;
	e = auth_throttle_slot(t, addr);
	return strcmp(e->addr, addr) == 0 && now_ms < e->until_ms;
}
