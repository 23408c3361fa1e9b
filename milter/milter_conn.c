/*
 * milter_conn.c -- one milter connection (milter_conn.h): its making and
 * freeing, and what its runtime snapshot holds for the milter (the DKIM
 * settings, the tracking keyring).
 *
 * Threads: any; a connection is used by one callback at a time.  Calls
 * only lib/ (runtime.h) and milter_metrics.c (connections open): the
 * message on it is ended by milter_msg.c.
 */
#include "config.h"

#include <stdlib.h>

#include "milter.h"
#include "milter_conn.h"
#include "milter_metrics.h"
#include "runtime.h"
#include "xmalloc.h"

struct milter_conn *
milter_conn_new(void)
{
	struct milter_conn *conn = pw_xcalloc(1, sizeof(*conn));

	milter_metrics_connection(1);
	conn->rt = pw_runtime_current();
	return conn;
}

void
milter_conn_free(struct milter_conn **connp)
{
	struct milter_conn *conn = *connp;

	if (conn == NULL)
		return;
	pw_runtime_release(&conn->rt);
	free(conn);
	milter_metrics_connection(-1);
	*connp = NULL;
}

static const struct milter_runtime *
milter_conn_runtime(const struct milter_conn *conn)
{
	return conn->rt != NULL ? conn->rt->extra : NULL;
}

struct milter_dkim_conf *
milter_conn_dkim(const struct milter_conn *conn)
{
	const struct milter_runtime *mr = milter_conn_runtime(conn);

	return mr != NULL ? mr->dkim : NULL;
}

const struct pw_track_keyring *
milter_conn_track(const struct milter_conn *conn)
{
	const struct milter_runtime *mr = milter_conn_runtime(conn);

	return mr != NULL ? mr->track : NULL;
}
