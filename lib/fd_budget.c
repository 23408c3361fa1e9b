/*
 * fd_budget.c -- the open files the daemon's connections share (see
 * fd_budget.h).
 *
 * Exports: pw_fd_budget_init, pw_fd_budget_limit.
 * Threads: the event loop's only.  Failures: none (getrlimit failing or
 * no limit: no cap).
 */
#include "config.h"

#include <stdint.h>
#include <sys/resource.h>

#include "fd_budget.h"

void
pw_fd_budget_init(struct pw_fd_budget *b, size_t reserve)
{
	struct rlimit rl;

	b->used = 0;
	b->cap = SIZE_MAX;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		b->cap = rl.rlim_cur > reserve + 1 ?
		    (size_t)rl.rlim_cur - reserve : 1;
}

size_t
pw_fd_budget_limit(const struct pw_fd_budget *b, size_t mine,
    size_t max_connections)
{
	size_t others = b->used - mine, room;

	room = b->cap > others ? b->cap - others : 0;
	return max_connections < room ? max_connections : room;
}
