/*
 * milter_events.h -- the milter's event stream: entries appended to
 * <redis_key_prefix>events (docs/redis-schema.md, Events) without ever
 * making mail wait for Redis.
 *
 * An event is built by one thread (milter_event_new, _add, _addn, _addf:
 * field/value pairs, values with lengths, any bytes) and handed over with
 * milter_events_post(), which takes a mutex, appends it to a bounded
 * queue and wakes the writer: O(1), no I/O.  A queue holding
 * milter_event_queue_max events drops further posts, counted and logged
 * (once when dropping starts, and the total once events flow again).
 *
 * The writer is one thread with its own synchronous Redis handle
 * (lib/redis.h: redis_* timeouts, reconnect backoff, outage logged once).
 * It sends the oldest events in batches, one round trip per batch (a Lua
 * script that runs XADD <prefix>events MAXLEN ~ events_max_length * ...
 * for each event of the batch).  A batch that fails stays at the head of
 * the queue and is sent again after the backoff.  A batch whose command
 * timed out may have been written: such events can appear twice (at least
 * once, never silently lost while the process lives); consumers that
 * care use tracking_id.
 *
 * Settings: milter_events_reconfigure() (SIGHUP) passes a new snapshot's
 * configuration; the queue and its events stay, and the next batch uses
 * the new endpoint, prefix and limits.  events_max_length = 0 makes
 * posting a no-op (and discards what is queued).
 *
 * Threads: milter_events_post, _enabled and _stats may be called by any
 * thread at any time, also with a NULL writer (nothing happens) and after
 * milter_events_stop (the event is discarded).  start, reconfigure and
 * stop belong to one controlling thread (milter_main.c).  An event being
 * built belongs to its builder; once posted, to the writer.
 *
 * Security: values are untrusted bytes; they are sent as command
 * arguments with lengths, never formatted into a command or logged.
 */
#ifndef PW_MILTER_EVENTS_H
#define PW_MILTER_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/* Most field/value pairs of one event (type and time included). */
#define MILTER_EVENT_FIELDS_MAX	40
/* Most bytes of one event's names and values together. */
#define MILTER_EVENT_SIZE_MAX	16384

struct milter_event;
struct milter_events;

/* What milter_events_stats() reports; counters since start. */
struct milter_events_stats {
	uint64_t	queued;		/* waiting, batch in flight included */
	uint64_t	posted;		/* taken into the queue */
	uint64_t	written;	/* acknowledged by Redis */
	uint64_t	dropped;	/* refused: queue full */
	uint64_t	failures;	/* batches that failed (then retried) */
};

/*
 * The daemon's writer: made by milter_main.c before libmilter starts,
 * stopped at shutdown and never freed (a callback still running at exit
 * may post to it).  NULL in a program that made none.
 */
extern struct milter_events *milter_events_daemon;

/*
 * A new event whose first fields are type and time (Unix seconds, now).
 * Never NULL.
 */
struct milter_event *milter_event_new(const char *type);
/*
 * Append a field: name (NUL-terminated) and value (len bytes, any bytes).
 * 0, or -1 when the event already has MILTER_EVENT_FIELDS_MAX fields or
 * the pair would pass MILTER_EVENT_SIZE_MAX: the field is left out.
 */
int	milter_event_addn(struct milter_event *ev, const char *name,
	    const char *value, size_t len);
/* The same with a NUL-terminated value. */
int	milter_event_add(struct milter_event *ev, const char *name,
	    const char *value);
/* The same with a formatted value (the format is ours, never a peer's). */
int	milter_event_addf(struct milter_event *ev, const char *name,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Free an event that was not posted; set *ev to NULL.  NULL is fine. */
void	milter_event_free(struct milter_event **ev);

/*
 * Make a writer for conf and start its thread.  0, or -1 and a static
 * reason (redis_server unusable, no thread).  Does not wait for Redis.
 */
int	milter_events_start(const struct pw_conf *conf,
	    struct milter_events **w_r, const char **why_r);
/* New settings (a reload); the queue is kept.  w may be NULL. */
void	milter_events_reconfigure(struct milter_events *w,
	    const struct pw_conf *conf);
/*
 * Whether events are written at all (events_max_length > 0, not
 * stopped), so that a caller may skip building one.
 */
bool	milter_events_enabled(struct milter_events *w);
/*
 * Queue *ev for writing and set *ev to NULL; never waits on Redis.  With
 * a NULL writer, events off, a full queue or a stopped writer the event
 * is freed (a full queue counts it as dropped).
 */
void	milter_events_post(struct milter_events *w, struct milter_event **ev);
/* Copy the counters (all zero for a NULL writer). */
void	milter_events_stats(struct milter_events *w,
	    struct milter_events_stats *st);
/*
 * Flush what can be written within timeout_ms (0: nothing more), stop the
 * thread, log how many events were not written and discard them.  Posts
 * afterwards are discarded.  The writer stays allocated.  w may be NULL.
 */
void	milter_events_stop(struct milter_events *w, int timeout_ms);
/* Stop (timeout 0) if still running, free, set *w to NULL (tests). */
void	milter_events_free(struct milter_events **w);

#endif
