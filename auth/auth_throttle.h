/*
 * auth_throttle.h -- client addresses this process knows are throttled
 * (their fleet-wide count of failed logins, pw:authfail:<addr>, reached
 * auth_fail_client_limit), so that their next attempts are refused
 * without a Redis round trip until the count expires.
 *
 * Direct-mapped, fixed size: a newer address replaces the one in its
 * slot (forgetting a throttled address only costs a Redis round trip).
 *
 * Threads: the event loop's only.
 */
#ifndef AUTH_THROTTLE_H
#define AUTH_THROTTLE_H

#include <stdint.h>

/* Longest client address kept (an IPv6 text form fits). */
#define AUTH_THROTTLE_ADDR_MAX	64

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
