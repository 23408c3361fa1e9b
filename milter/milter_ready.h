/*
 * milter_ready.h -- whether postwarden-milter is ready for mail, the
 * verdict of GET /readyz (milter_http.c): a configuration snapshot
 * published (which means its keys, tables and keyring loaded: a start
 * or a reload whose keys do not load publishes nothing), Redis answering
 * a PING from the milter, and the milter socket listening (libmilter
 * running and not stopping; a unix socket still in its place).
 *
 * Threads: milter_ready_set_listening from any thread (main); a struct
 * milter_ready belongs to the one thread that checks (the HTTP thread).
 */
#ifndef PW_MILTER_READY_H
#define PW_MILTER_READY_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>

struct milter_ready;

/*
 * A checker on base (the HTTP thread's loop): an asynchronous Redis
 * connection of its own (lib/redis_async.h) for the current snapshot's
 * redis_* settings, kept honest by a PING every second.
 */
struct milter_ready *milter_ready_new(struct event_base *base);
/* Free (before base); NULL is fine. */
void	milter_ready_free(struct milter_ready **rp);
/* The snapshot changed: connect again if its redis_* settings did. */
void	milter_ready_reset(struct milter_ready *r);

/*
 * main: the milter socket is listening (true once libmilter runs) or not
 * (false from shutdown on, or when libmilter stopped); unix_path: the
 * socket's path to look for (NULL for inet; copied).
 */
void	milter_ready_set_listening(bool listening, const char *unix_path);

/*
 * 1 when ready ("ready\n" in body); 0 when not, with the reasons in body,
 * a line each ("redis: not connected").  body is always NUL-terminated.
 * Never blocks: it reads what the connection and main already know.
 */
int	milter_ready_check(struct milter_ready *r, char *body, size_t size);

#endif
