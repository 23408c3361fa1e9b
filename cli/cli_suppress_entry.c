/*
 * cli_suppress_entry.c -- the entries of a suppression list, for the
 * suppress files: an entry's stored value ("reason|source|time|expires")
 * taken apart and made, its checks, lists of entries, and reading or
 * writing a whole list hash in batches.
 *
 * Exports: cli_suppress_entry_* and the structs of cli_suppress.h.
 *
 * Ownership: a struct cli_suppress_list owns copies of its addresses and
 * values (cli_suppress_entry_free).
 *
 * Failures: Redis trouble is printed (cli_util.c) and returns -1; a
 * stored value that does not parse is read leniently (it may be
 * hand-written): missing parts are empty or 0.
 *
 * Security: commands are argv with lengths; what Redis holds is printed
 * only by the callers, escaped.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_suppress.h"
#include "schema.h"
#include "xmalloc.h"

static const char *const cli_suppress_entry_reasons[] = {
	"bounce", "complaint", "unsubscribe", "manual",
};

bool
cli_suppress_entry_valid_reason(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(cli_suppress_entry_reasons) /
	    sizeof(cli_suppress_entry_reasons[0]); i++)
		if (strcmp(s, cli_suppress_entry_reasons[i]) == 0)
			return true;
	return false;
}

bool
cli_suppress_entry_valid_source(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len <= CLI_SUPPRESS_SOURCE_MAX &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == len;
}

void
cli_suppress_entry_parse(const char *v, struct cli_suppress_val *out)
{
	const char *p = v, *bar;
	char num[24];
	int64_t t;
	int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < 4 && p != NULL; i++) {
		size_t len;

		bar = strchr(p, '|');
		len = bar != NULL ? (size_t)(bar - p) : strlen(p);
		switch (i) {
		case 0:
			snprintf(out->reason, sizeof(out->reason), "%.*s",
			    (int)len, p);
			break;
		case 1:
			snprintf(out->source, sizeof(out->source), "%.*s",
			    (int)len, p);
			break;
		default:
			snprintf(num, sizeof(num), "%.*s", (int)len, p);
			if (cli_parse_time(num, &t) < 0)
				t = 0;
			if (i == 2)
				out->time = t;
			else
				out->expires = t;
			break;
		}
		p = bar != NULL ? bar + 1 : NULL;
	}
}

void
cli_suppress_entry_format(char *buf, size_t size, const char *reason,
    const char *source, int64_t when, int64_t expires)
{
	snprintf(buf, size, "%s|%s|%lld|%lld", reason, source,
	    (long long)when, (long long)expires);
}

bool
cli_suppress_entry_expired(const struct cli_suppress_val *v, int64_t now)
{
	return v->expires > 0 && v->expires <= now;
}

void
cli_suppress_entry_add(struct cli_suppress_list *l, const char *address,
    const char *value)
{
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 256 : l->cap * 2;
		l->v = pw_xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n].address = pw_xstrdup(address);
	l->v[l->n].value = pw_xstrdup(value);
	l->n++;
}

void
cli_suppress_entry_free(struct cli_suppress_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].address);
		free(l->v[i].value);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int
cli_suppress_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cli_suppress_entry *)a)->address,
	    ((const struct cli_suppress_entry *)b)->address);
}

void
cli_suppress_entry_sort(struct cli_suppress_list *l)
{
	/* An empty list has no array, and qsort(NULL, 0) is undefined. */
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cli_suppress_entry_cmp);
}

int
cli_suppress_entry_read(struct cli_db *db, const char *hash, int64_t now,
    struct cli_suppress_list *l)
{
	struct cli_suppress_val v;
	redisReply *reply, *items;
	char cursor[32] = "0";
	size_t i;

	do {
		reply = cli_util_cmd(db, "HSCAN", hash, cursor, "COUNT",
		    "1000", NULL);
		if (reply == NULL)
			return -1;
		if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
		    reply->element[0]->type != REDIS_REPLY_STRING ||
		    reply->element[1]->type != REDIS_REPLY_ARRAY) {
			cli_error("HSCAN %s: unexpected reply", hash);
			freeReplyObject(reply);
			return -1;
		}
		snprintf(cursor, sizeof(cursor), "%s",
		    reply->element[0]->str);
		items = reply->element[1];
		for (i = 0; i + 1 < items->elements; i += 2) {
			cli_suppress_entry_parse(items->element[i + 1]->str,
			    &v);
			if (!cli_suppress_entry_expired(&v, now))
				cli_suppress_entry_add(l,
				    items->element[i]->str,
				    items->element[i + 1]->str);
		}
		freeReplyObject(reply);
	} while (strcmp(cursor, "0") != 0);
	return 0;
}

int
cli_suppress_entry_write(struct cli_db *db, const char *hash,
    const struct cli_suppress_list *l, struct pw_redis_script *script,
    const char *source)
{
	const char **argv;
	char (*vals)[CLI_SUPPRESS_VALUE_MAX] = NULL;
	struct cli_suppress_val v;
	redisReply *reply;
	size_t i, j, n;
	int argc;

	argv = pw_xcalloc(2 + 2 * CLI_SUPPRESS_BATCH, sizeof(*argv));
	if (source != NULL)
		vals = pw_xcalloc(CLI_SUPPRESS_BATCH, sizeof(*vals));
	for (i = 0; i < l->n; i += n) {
		n = l->n - i < CLI_SUPPRESS_BATCH ? l->n - i :
		    CLI_SUPPRESS_BATCH;
		argc = 0;
		if (script == NULL)
			argv[argc++] = "HSET";
		argv[argc++] = hash;
		for (j = 0; j < n; j++) {
			argv[argc++] = l->v[i + j].address;
			if (source != NULL) {
				cli_suppress_entry_parse(l->v[i + j].value,
				    &v);
				cli_suppress_entry_format(vals[j],
				    sizeof(vals[j]), v.reason, source, v.time,
				    v.expires);
				argv[argc++] = vals[j];
			} else {
				argv[argc++] = l->v[i + j].value;
			}
		}
		if (script != NULL)
			reply = cli_util_eval(db, script, 1, argc, argv, NULL);
		else
			reply = cli_util_cmdv(db, argc, argv, NULL);
		if (reply == NULL) {
			free(argv);
			free(vals);
			return -1;
		}
		freeReplyObject(reply);
	}
	free(argv);
	free(vals);
	return 0;
}

/* cli_util_scan's callback: delete one stream's hash. */
static int
cli_suppress_entry_del(struct cli_db *db, const char *key, size_t len,
    void *arg)
{
	redisReply *reply;

	(void)len;
	(void)arg;
	if ((reply = cli_util_cmd(db, "DEL", key, NULL)) == NULL)
		return -1;
	freeReplyObject(reply);
	return 0;
}

/* cli_util_scan's callback: add one stream's entries to *arg. */
static int
cli_suppress_entry_hlen(struct cli_db *db, const char *key, size_t len,
    void *arg)
{
	long long *n = arg;
	redisReply *reply;

	(void)len;
	if ((reply = cli_util_cmd(db, "HLEN", key, NULL)) == NULL)
		return -1;
	*n += cli_util_reply_int(reply) > 0 ? cli_util_reply_int(reply) : 0;
	freeReplyObject(reply);
	return 0;
}

int
cli_suppress_entry_count_streams(struct cli_db *db, const char *tenant,
    long long *n)
{
	char *bulk, *stream;
	int rc;

	*n = 0;
	bulk = pw_schema_key_new(db->prefix, PW_SCHEMA_SUPP_BULK, tenant,
	    NULL, NULL);
	stream = pw_schema_key_new(db->prefix, PW_SCHEMA_SUPP_STREAM, tenant,
	    "", NULL);
	rc = cli_suppress_entry_hlen(db, bulk, strlen(bulk), n);
	if (rc == 0)
		rc = cli_util_scan(db, stream, "*", cli_suppress_entry_hlen, n);
	free(stream);
	free(bulk);
	return rc;
}

int
cli_suppress_entry_drop_streams(struct cli_db *db, const char *tenant)
{
	char *bulk, *stream;
	redisReply *reply;
	int rc = -1;

	bulk = pw_schema_key_new(db->prefix, PW_SCHEMA_SUPP_BULK, tenant,
	    NULL, NULL);
	/* The streams' names, up to the stream. */
	stream = pw_schema_key_new(db->prefix, PW_SCHEMA_SUPP_STREAM, tenant,
	    "", NULL);
	if ((reply = cli_util_cmd(db, "DEL", bulk, NULL)) != NULL) {
		freeReplyObject(reply);
		rc = cli_util_scan(db, stream, "*", cli_suppress_entry_del,
		    NULL);
	}
	free(stream);
	free(bulk);
	return rc;
}
