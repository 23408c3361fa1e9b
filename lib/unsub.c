/*
 * unsub.c -- what a verified one-click unsubscribe writes (see unsub.h).
 *
 * Security: the token was verified by the caller (lib/track.c); the
 * recipient it carries is normalized here before it becomes a hash
 * field, and never spliced into a command (argv only).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua.h"
#include "schema.h"
#include "unsub.h"

static struct pw_redis_script pw_unsub_lua = {
	"unsubscribe", pw_lua_unsubscribe, ""
};
static int pw_unsub_lua_ready;

int
pw_unsub_prepare(const char *prefix, const struct pw_track_unsub *u,
    const char *source, int64_t now, struct pw_unsub *w, const char **why_r)
{
	const char *at = strrchr(u->recipient, '@');

	memset(w, 0, sizeof(*w));
	/* As cli_parse_address: a quoted local part would never match. */
	if (at != NULL &&
	    memchr(u->recipient, '"', (size_t)(at - u->recipient)) != NULL) {
		*why_r = "a quoted local part";
		return -1;
	}
	if (pw_address_normalize(u->recipient, strlen(u->recipient),
	    PW_ADDRESS_F_DOMAIN, w->address, why_r) < 0)
		return -1;
	snprintf(w->value, sizeof(w->value), "unsubscribe|%s|%lld|0", source,
	    (long long)now);
	w->tenant_key = pw_schema_key_new(prefix, PW_SCHEMA_TENANT,
	    u->tenant, NULL, NULL);
	w->supp_key = pw_schema_key_new(prefix, PW_SCHEMA_SUPP, u->tenant,
	    NULL, NULL);
	/* The token's stream is a-z 0-9 _ - (lib/track.c checked it). */
	snprintf(w->stream, sizeof(w->stream), "%s", u->stream);
	w->stream_key = w->stream[0] != '\0' ? pw_schema_key_new(prefix,
	    PW_SCHEMA_SUPP_STREAM, u->tenant, w->stream, NULL) :
	    pw_schema_key_new(prefix, PW_SCHEMA_SUPP, u->tenant, NULL, NULL);
	w->bulk_key = pw_schema_key_new(prefix, PW_SCHEMA_SUPP_BULK,
	    u->tenant, NULL, NULL);
	return 0;
}

void
pw_unsub_args(const struct pw_unsub *w, const char **argv)
{
	argv[0] = w->tenant_key;
	argv[1] = w->supp_key;
	argv[2] = w->stream_key;
	argv[3] = w->bulk_key;
	argv[4] = w->address;
	argv[5] = w->value;
	argv[6] = w->stream;
}

const char *
pw_unsub_scope(long long reply)
{
	switch (reply) {
	case PW_UNSUB_ADDED:
		return "tenant";
	case PW_UNSUB_ADDED_STREAM:
		return "stream";
	case PW_UNSUB_ADDED_BULK:
		return "bulk";
	default:
		return NULL;
	}
}

void
pw_unsub_free(struct pw_unsub *w)
{
	free(w->tenant_key);
	free(w->supp_key);
	free(w->stream_key);
	free(w->bulk_key);
	memset(w, 0, sizeof(*w));
}

struct pw_redis_script *
pw_unsub_script(const char **why_r)
{
	if (!pw_unsub_lua_ready) {
		if (pw_redis_script_init(&pw_unsub_lua, why_r) < 0)
			return NULL;
		pw_unsub_lua_ready = 1;
	}
	return &pw_unsub_lua;
}
