/*
 * auth_throttle.h -- client addresses this process knows are throttled
 * (their fleet-wide count of failed logins, pw:authfail:<addr>, reached
 * auth_fail_client_limit), so that their next attempts are refused
 * without a Redis round trip until the count expires.
 *
 * Bounded LRU (lib/cache.h) of AUTH_THROTTLE_SIZE addresses: up to that
 * many are all remembered, whatever their hashes; beyond it the address
 * least recently added or checked is forgotten (which only costs a Redis
 * round trip).  An expired address is dropped when next checked.
 *
 * Threads: the event loop's only.
 */
#ifndef AUTH_THROTTLE_H
#define AUTH_THROTTLE_H

#include <stdint.h>

/* Longest client address kept (an IPv6 text form fits). */
#define AUTH_THROTTLE_ADDR_MAX	64
/* How many throttled addresses are remembered. */
#define AUTH_THROTTLE_SIZE	4096

struct auth_throttle;

struct auth_throttle *auth_throttle_new(void);
void	auth_throttle_free(struct auth_throttle **t);
/* addr is throttled until until_ms (monotonic). */
void	auth_throttle_add(struct auth_throttle *t, const char *addr,
	    int64_t until_ms);
/* 1 when addr is throttled at now_ms. */
int	auth_throttle_check(struct auth_throttle *t, const char *addr,
	    int64_t now_ms);

#endif
