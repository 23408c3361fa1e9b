/*
 * milter_events.c -- the milter's event stream writer (see
 * milter_events.h).
 *
 * Exports: milter_event_* (building one event), milter_events_* (the
 * writer) and milter_events_daemon.
 *
 * The queue is a list of events, oldest first, guarded by one mutex.  A
 * post appends at the tail; the writer copies pointers to the first
 * MILTER_EVENTS_BATCH events, sends them with the lock released (posts go
 * on meanwhile; an event's fields never change once posted) and removes
 * them only when Redis has acknowledged them, so a failed batch is still
 * at the head for the next attempt.  The batch in flight counts against
 * milter_event_queue_max like any queued event.  The writer lets a batch
 * gather for at most MILTER_EVENTS_LINGER_MS after its oldest event was
 * posted (or until it is full): at thousands of messages a second one
 * round trip then carries many events instead of one or two, and a post
 * wakes the writer only when the queue was empty or a batch is full.
 *
 * Threads: milter threads post; the writer thread (started here with
 * the daemon's signals blocked, pw_daemon_thread) alone uses the Redis
 * handle, the script and the settings it was last given; the controlling thread reconfigures and
 * stops.  Settings for the next batch travel through conf_new.
 *
 * Failures: a batch that gets no reply (lib/redis logs the outage once
 * and its end once) or an error reply (logged here once per episode)
 * waits pw_redis_backoff_ms(failures) before the next attempt.  Drops
 * are logged when they start and summed up when the queue has room
 * again.  At stop, what is not written within the timeout is counted in
 * one log line and freed.
 *
 * Security: event values never reach a log line or a format string.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "daemon.h"
#include "log.h"
#include "lua.h"
#include "milter_events.h"
#include "redis.h"
#include "schema.h"
#include "xmalloc.h"

/* Most events one round trip carries. */
#define MILTER_EVENTS_BATCH	128
/* Longest an event waits for others to share its round trip. */
#define MILTER_EVENTS_LINGER_MS	5
/* Arguments of one event in the script: its field count, then the pairs. */
#define MILTER_EVENT_ARGS_MAX	(MILTER_EVENT_FIELDS_MAX * 2)

struct milter_event {
	struct milter_event	*next;		/* in the queue */
	int64_t			 posted_ms;	/* monotonic, when queued */
	int			 nargs;		/* names and values */
	size_t			 off[MILTER_EVENT_ARGS_MAX];
	size_t			 len[MILTER_EVENT_ARGS_MAX];
	struct pw_buf		 data;		/* back to back, capped */
};

struct milter_events {
	pthread_mutex_t		 lock;
	pthread_cond_t		 wake;		/* the writer waits on it */
	pthread_t		 thread;
	bool			 running;	/* thread not joined yet */
	bool			 stopping;	/* flush, then end */
	bool			 stopped;	/* posts are discarded */
	int64_t			 deadline_ms;	/* of the flush at stop */
	int			 max_length;	/* events_max_length */
	int			 queue_max;	/* milter_event_queue_max */
	struct pw_conf		*conf_new;	/* for the next batch */
	struct milter_event	*head, *tail;
	uint64_t		 count;		/* events in the list */
	struct milter_events_stats st;
	uint64_t		 dropped_run;	/* since dropping started */
	bool			 dropping;	/* the start was logged */

	/* The writer thread's own. */
	struct pw_conf		*conf;
	struct pw_redis		*redis;
	struct pw_redis_params	*params;	/* backoff, server name */
	char			*stream;	/* <prefix>events */
	unsigned		 failures;	/* consecutive failed batches */
	int64_t			 retry_ms;	/* no attempt before */
	bool			 refused;	/* an error reply was logged */
};

/*
 * KEYS[1] the stream, ARGV[1] its MAXLEN, then for each event the number
 * of its arguments and the arguments (field, value, ...).  One XADD per
 * event; the number of events written comes back.
 */
static struct pw_redis_script milter_events_script = {
	"events", pw_lua_event_batch, ""
};

struct milter_events *milter_events_daemon;

/* --- one event ------------------------------------------------------------ */

struct milter_event *
milter_event_new(const char *type)
{
	struct milter_event *ev = pw_xcalloc(1, sizeof(*ev));

	pw_buf_init(&ev->data, MILTER_EVENT_SIZE_MAX);
	(void)milter_event_add(ev, "type", type);
	(void)milter_event_addf(ev, "time", "%lld", (long long)time(NULL));
	return ev;
}

int
milter_event_addn(struct milter_event *ev, const char *name,
    const char *value, size_t len)
{
	size_t old = ev->data.len, nlen = strlen(name);

	if (ev->nargs + 2 > MILTER_EVENT_ARGS_MAX)
		return -1;
	if (pw_buf_append(&ev->data, name, nlen) < 0 ||
	    pw_buf_append(&ev->data, value, len) < 0) {
		/* Take the name back: all of the pair or nothing. */
		ev->data.len = old;
		ev->data.data[old] = '\0';
		return -1;
	}
	ev->off[ev->nargs] = old;
	ev->len[ev->nargs++] = nlen;
	ev->off[ev->nargs] = old + nlen;
	ev->len[ev->nargs++] = len;
	return 0;
}

int
milter_event_add(struct milter_event *ev, const char *name,
    const char *value)
{
	return milter_event_addn(ev, name, value, strlen(value));
}

int
milter_event_addf(struct milter_event *ev, const char *name,
    const char *fmt, ...)
{
	struct pw_buf b;
	va_list ap;
	int ret;

	pw_buf_init(&b, MILTER_EVENT_SIZE_MAX);
	va_start(ap, fmt);
	ret = pw_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (ret == 0)
		ret = milter_event_addn(ev, name, b.data, b.len);
	pw_buf_free(&b);
	return ret;
}

void
milter_event_free(struct milter_event **evp)
{
	struct milter_event *ev = *evp;

	if (ev == NULL)
		return;
	*evp = NULL;
	pw_buf_free(&ev->data);
	free(ev);
}

/* Free a list of events; how many there were. */
static uint64_t
milter_events_free_list(struct milter_event *ev)
{
	struct milter_event *next;
	uint64_t n = 0;

	for (; ev != NULL; ev = next) {
		next = ev->next;
		milter_event_free(&ev);
		n++;
	}
	return n;
}

/* --- the writer thread ---------------------------------------------------- */

/*
 * Take conf (the caller's reference) as the settings of the next batch:
 * a new Redis handle and stream name; failures start over.
 */
static void
milter_events_use(struct milter_events *w, struct pw_conf *conf)
{
	struct pw_redis *r;
	struct pw_redis_params *params;
	const char *why;

	r = pw_redis_new(conf, &why);
	params = pw_redis_params_new(conf, &why);
	if (r == NULL || params == NULL) {
		/* milter_runtime_load refuses such a redis_server first. */
		pw_log_warnx("events: redis_server: %s; keeping the previous "
		    "settings", why);
		pw_redis_free(&r);
		pw_redis_params_free(&params);
		pw_conf_release(&conf);
		return;
	}
	pw_redis_free(&w->redis);
	pw_redis_params_free(&w->params);
	pw_conf_release(&w->conf);
	free(w->stream);
	w->redis = r;
	w->params = params;
	w->conf = conf;
	w->stream = pw_schema_key_new(params->key_prefix, PW_SCHEMA_EVENTS,
	    NULL, NULL, NULL);
	w->failures = 0;
	w->retry_ms = 0;
}

/*
 * Send n events in one script call.  0 when Redis acknowledged them, -1
 * and a static reason (*kind_r: an error reply's kind, or NONE).
 */
static int
milter_events_send(struct milter_events *w, struct milter_event **batch,
    int n, const char **why_r, enum pw_redis_error_kind *kind_r)
{
	char maxlen[24], (*counts)[8];
	const char **argv;
	size_t *argvlen;
	redisReply *reply;
	int argc = 0, i, k, total = 2;

	*kind_r = PW_REDIS_ERR_NONE;
	for (i = 0; i < n; i++)
		total += 1 + batch[i]->nargs;
	argv = pw_xcalloc((size_t)total, sizeof(*argv));
	argvlen = pw_xcalloc((size_t)total, sizeof(*argvlen));
	counts = pw_xcalloc((size_t)n, sizeof(*counts));
	snprintf(maxlen, sizeof(maxlen), "%d", w->conf->events_max_length);
	argv[argc] = w->stream;
	argvlen[argc++] = strlen(w->stream);
	argv[argc] = maxlen;
	argvlen[argc++] = strlen(maxlen);
	for (i = 0; i < n; i++) {
		snprintf(counts[i], sizeof(counts[i]), "%d", batch[i]->nargs);
		argv[argc] = counts[i];
		argvlen[argc++] = strlen(counts[i]);
		for (k = 0; k < batch[i]->nargs; k++) {
			argv[argc] = batch[i]->data.data + batch[i]->off[k];
			argvlen[argc++] = batch[i]->len[k];
		}
	}
	reply = pw_redis_evalsha(w->redis, &milter_events_script, 1, argc,
	    argv, argvlen, why_r);
	free(counts);
	free(argvlen);
	free(argv);
	if (reply == NULL)
		return -1;
	if (reply->type == REDIS_REPLY_ERROR) {
		*kind_r = pw_redis_reply_error_kind(reply);
		*why_r = "redis: error reply";
		freeReplyObject(reply);
		return -1;
	}
	freeReplyObject(reply);
	return 0;
}

/* Wait on the condition until at_ms (monotonic), or for ever if 0. */
static void
milter_events_wait(struct milter_events *w, int64_t at_ms)
{
	struct timespec ts;

	if (at_ms <= 0) {
		pthread_cond_wait(&w->wake, &w->lock);
		return;
	}
	ts.tv_sec = (time_t)(at_ms / 1000);
	ts.tv_nsec = (long)(at_ms % 1000) * 1000000;
	(void)pthread_cond_timedwait(&w->wake, &w->lock, &ts);
}

/*
 * With the lock held: wait until there is something to do.  Returns
 * false when the thread should end (stopping, and nothing more to write
 * or no time left).
 */
static bool
milter_events_idle(struct milter_events *w)
{
	int64_t now, at;

	for (;;) {
		now = pw_clock_ms();
		if (w->conf_new != NULL)
			return true;
		if (w->stopping && (w->head == NULL || now >= w->deadline_ms))
			return false;
		if (w->head != NULL && now >= w->retry_ms) {
			/* A full batch, an old one, or the last ones. */
			at = w->head->posted_ms + MILTER_EVENTS_LINGER_MS;
			if (w->stopping || now >= at ||
			    w->count >= MILTER_EVENTS_BATCH)
				return true;
			milter_events_wait(w, at);
			continue;
		}
		at = 0;
		if (w->head != NULL)
			at = w->retry_ms;
		if (w->stopping && (at == 0 || w->deadline_ms < at))
			at = w->deadline_ms;
		milter_events_wait(w, at);
	}
}

/* A batch was written: drop it from the queue.  Lock held. */
static void
milter_events_done(struct milter_events *w, int n, uint64_t *summary_r)
{
	struct milter_event *ev;
	int i;

	for (i = 0; i < n; i++) {
		ev = w->head;
		w->head = ev->next;
		milter_event_free(&ev);
	}
	if (w->head == NULL)
		w->tail = NULL;
	w->count -= (uint64_t)n;
	w->st.written += (uint64_t)n;
	/* Room again: say how many were lost meanwhile. */
	if (w->dropping && w->count <= (uint64_t)w->queue_max / 2) {
		*summary_r = w->dropped_run;
		w->dropped_run = 0;
		w->dropping = false;
	}
}

/* Log what one attempt changed (outside the lock). */
static void
milter_events_log(struct milter_events *w, int ret,
    enum pw_redis_error_kind kind, uint64_t summary)
{
	if (ret == 0 && w->refused) {
		w->refused = false;
		pw_log_notice("events: redis %s takes events again",
		    w->params->server);
	} else if (ret < 0 && kind != PW_REDIS_ERR_NONE && !w->refused) {
		w->refused = true;
		pw_log_warnx("events: redis %s refused the events (%s); they "
		    "stay queued and are sent again", w->params->server,
		    pw_redis_error_kind_name(kind));
	}
	if (summary > 0)
		pw_log_warnx("events: dropped %llu events while Redis was "
		    "unavailable (milter_event_queue_max = %d)",
		    (unsigned long long)summary,
		    w->conf->milter_event_queue_max);
}

static void *
milter_events_run(void *arg)
{
	struct milter_events *w = arg;
	struct milter_event *batch[MILTER_EVENTS_BATCH], *ev, *discard;
	struct pw_conf *conf;
	enum pw_redis_error_kind kind;
	const char *why;
	uint64_t summary;
	int64_t delay;
	int n, ret;

	pthread_mutex_lock(&w->lock);
	while (milter_events_idle(w)) {
		conf = w->conf_new;
		w->conf_new = NULL;
		discard = NULL;
		n = 0;
		if (w->max_length <= 0) {
			/* Events are off: what waits will never be written. */
			discard = w->head;
			w->head = w->tail = NULL;
			w->count = 0;
		}
		for (ev = w->head; conf == NULL && ev != NULL &&
		    n < MILTER_EVENTS_BATCH; ev = ev->next)
			batch[n++] = ev;
		pthread_mutex_unlock(&w->lock);

		if (discard != NULL)
			pw_log_info("events: events_max_length = 0: %llu "
			    "queued events discarded", (unsigned long long)
			    milter_events_free_list(discard));
		if (conf != NULL)
			milter_events_use(w, conf);
		ret = 0;
		why = "";
		kind = PW_REDIS_ERR_NONE;
		if (n > 0)
			ret = milter_events_send(w, batch, n, &why, &kind);

		summary = 0;
		delay = 0;
		pthread_mutex_lock(&w->lock);
		if (n > 0 && ret == 0) {
			milter_events_done(w, n, &summary);
			w->failures = 0;
			w->retry_ms = 0;
		} else if (n > 0) {
			w->st.failures++;
			w->failures++;
			delay = pw_redis_backoff_ms(w->params, w->failures);
			w->retry_ms = pw_clock_ms() + delay;
		}
		if (n == 0)
			continue;
		pthread_mutex_unlock(&w->lock);
		if (ret < 0)
			pw_log_debug("events: %d events not written (%s); next "
			    "attempt in %lld ms", n, why, (long long)delay);
		milter_events_log(w, ret, kind, summary);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* --- the controlling thread ----------------------------------------------- */

int
milter_events_start(const struct pw_conf *conf, struct milter_events **w_r,
    const char **why_r)
{
	struct milter_events *w;
	pthread_condattr_t ca;
	int ret;

	if (pw_redis_script_init(&milter_events_script, why_r) < 0)
		return -1;
	w = pw_xcalloc(1, sizeof(*w));
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &ca);
	pthread_condattr_destroy(&ca);
	w->max_length = conf->events_max_length;
	w->queue_max = conf->milter_event_queue_max;
	milter_events_use(w, pw_conf_ref((struct pw_conf *)conf));
	if (w->redis == NULL) {
		*why_r = "redis_server: not usable";
		milter_events_free(&w);
		return -1;
	}
	ret = pw_daemon_thread(&w->thread, milter_events_run, w);
	if (ret != 0) {
		*why_r = "cannot start the events thread";
		milter_events_free(&w);
		return -1;
	}
	w->running = true;
	*w_r = w;
	return 0;
}

void
milter_events_reconfigure(struct milter_events *w, const struct pw_conf *conf)
{
	struct pw_conf *old;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	old = w->conf_new;
	w->conf_new = pw_conf_ref((struct pw_conf *)conf);
	w->max_length = conf->events_max_length;
	w->queue_max = conf->milter_event_queue_max;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pw_conf_release(&old);
}

bool
milter_events_enabled(struct milter_events *w)
{
	bool on;

	if (w == NULL)
		return false;
	pthread_mutex_lock(&w->lock);
	on = !w->stopped && w->max_length > 0;
	pthread_mutex_unlock(&w->lock);
	return on;
}

void
milter_events_post(struct milter_events *w, struct milter_event **evp)
{
	struct milter_event *ev = *evp;
	bool first_drop = false;
	int max = 0;

	*evp = NULL;
	if (ev == NULL || w == NULL) {
		milter_event_free(&ev);
		return;
	}
	pthread_mutex_lock(&w->lock);
	if (w->stopped || w->max_length <= 0) {
		/* Nothing is written: the event goes. */
	} else if (w->count >= (uint64_t)w->queue_max) {
		w->st.dropped++;
		w->dropped_run++;
		if (!w->dropping) {
			w->dropping = first_drop = true;
			max = w->queue_max;
		}
	} else {
		if (w->tail != NULL)
			w->tail->next = ev;
		else
			w->head = ev;
		w->tail = ev;
		w->count++;
		w->st.posted++;
		ev->posted_ms = pw_clock_ms();
		ev = NULL;
		/* The writer waits for a first event, or lingers. */
		if (w->count == 1 || w->count == MILTER_EVENTS_BATCH)
			pthread_cond_signal(&w->wake);
	}
	pthread_mutex_unlock(&w->lock);
	if (first_drop)
		pw_log_warnx("events: queue full (milter_event_queue_max = "
		    "%d): dropping new events until Redis takes the queued "
		    "ones", max);
	milter_event_free(&ev);
}

void
milter_events_stats(struct milter_events *w, struct milter_events_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	*st = w->st;
	st->queued = w->count;
	pthread_mutex_unlock(&w->lock);
}

void
milter_events_stop(struct milter_events *w, int timeout_ms)
{
	struct milter_event *left;
	uint64_t n, dropped;

	if (w == NULL || !w->running)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	w->deadline_ms = pw_clock_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	w->running = false;

	pthread_mutex_lock(&w->lock);
	w->stopped = true;
	left = w->head;
	w->head = w->tail = NULL;
	w->count = 0;
	dropped = w->dropped_run;
	w->dropped_run = 0;
	pthread_mutex_unlock(&w->lock);
	if ((n = milter_events_free_list(left)) > 0)
		pw_log_warnx("events: %llu events not written at shutdown "
		    "(Redis did not take them within %d ms)",
		    (unsigned long long)n, timeout_ms > 0 ? timeout_ms : 0);
	if (dropped > 0)
		pw_log_warnx("events: dropped %llu events while Redis was "
		    "unavailable (milter_event_queue_max = %d)",
		    (unsigned long long)dropped, w->queue_max);
}

void
milter_events_free(struct milter_events **wp)
{
	struct milter_events *w = *wp;

	if (w == NULL)
		return;
	*wp = NULL;
	milter_events_stop(w, 0);
	(void)milter_events_free_list(w->head);
	pw_conf_release(&w->conf_new);
	pw_conf_release(&w->conf);
	pw_redis_free(&w->redis);
	pw_redis_params_free(&w->params);
	free(w->stream);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
