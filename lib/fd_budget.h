/*
 * fd_budget.h -- the open files postwarden-policyd's connections share:
 * the policy service (policyd/policyd_server.c) and the SASL service
 * (auth/auth_server.c) count their connections in one budget, the open
 * file limit less a reserve, so that neither can take the descriptors the
 * other's connections (or Redis, the listeners, logging) need.
 *
 * Exports: struct pw_fd_budget, pw_fd_budget_init, pw_fd_budget_limit.
 *
 * A service may hold min(its max_connections, cap - what the others
 * hold) connections: with the settings' sum within cap, each always gets
 * its own maximum.
 *
 * Threads: the event loop's only (no lock).
 */
#ifndef PW_FD_BUDGET_H
#define PW_FD_BUDGET_H

#include <stddef.h>

struct pw_fd_budget {
	size_t	cap;	/* connections the open file limit allows, in all */
	size_t	used;	/* connections open, every service's */
};

/* cap from RLIMIT_NOFILE less reserve (at least 1); used 0. */
void	pw_fd_budget_init(struct pw_fd_budget *b, size_t reserve);
/*
 * How many connections a service holding mine of b->used, with the
 * setting max_connections, may hold at most now.
 */
size_t	pw_fd_budget_limit(const struct pw_fd_budget *b, size_t mine,
	    size_t max_connections);

#endif
