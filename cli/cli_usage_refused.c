/*
 * cli_usage_refused.c -- what `postwarden usage` shows of refusals: a
 * subject's refusals in one UTC day, by rule, counted from the event
 * stream.
 *
 * Refusals are recorded nowhere but as events (docs/redis-schema.md,
 * "Events"): postwarden-policyd's `refused` (rules status, quota, rate,
 * sender_domain, ...; one per recipient), postwarden-milter's `rejected`
 * (rules from_domain, control_header; one per message) and its
 * `suppressed` (a recipient removed at end of data by a stream's
 * suppression, counted as rule suppressed_stream; the `rejected` of a
 * message whose every recipient was removed so is not counted again).
 * This reads the day's entries of the stream (XRANGE over the day's stream ids, which are Redis's clock in
 * ms, 1000 at a time), keeps those of the tenant (and of the key, for a
 * key) and counts them by their rule field.  The stream keeps about
 * events_max_length entries, so the read is bounded by it; when the
 * oldest entry it still holds is later than the start of the day, the
 * counts start there, and out->since_ms says from when.
 *
 * Exports: cli_usage_refused_read (cli.h).
 *
 * Redis: the stream pw:events, read only (EXISTS, XINFO STREAM, XRANGE).
 *
 * Failures: Redis trouble, -1 after printing why.  Security: rule names
 * from the stream are counted only when they are short names of
 * [a-z0-9_] (anything else counts as "other"); nothing else of an event
 * is kept.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "schema.h"

#define CLI_UR_PAGE	"1000"		/* entries per XRANGE */
#define CLI_UR_ID_MAX	48

/* A field's value in an entry's [field, value, ...] array, or NULL. */
static const char *
cli_ur_field(const redisReply *fields, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < fields->elements; i += 2)
		if (fields->element[i]->type == REDIS_REPLY_STRING &&
		    fields->element[i + 1]->type == REDIS_REPLY_STRING &&
		    strcmp(fields->element[i]->str, name) == 0)
			return fields->element[i + 1]->str;
	return NULL;
}

/* Whether an event's rule is a name worth a row: 1..31 of [a-z0-9_]. */
static bool
cli_ur_rule_ok(const char *rule)
{
	size_t len = strlen(rule);

	return len > 0 && len < sizeof(((struct cli_usage_refused *)0)->
	    rules[0].rule) && strspn(rule,
	    "abcdefghijklmnopqrstuvwxyz0123456789_") == len;
}

/* Count one refusal of rule into out. */
static void
cli_ur_count(struct cli_usage_refused *out, const char *rule)
{
	size_t i;

	if (rule == NULL || !cli_ur_rule_ok(rule))
		rule = "other";
	out->total++;
	for (i = 0; i < out->nrules; i++)
		if (strcmp(out->rules[i].rule, rule) == 0)
			break;
	if (i == out->nrules) {
		if (out->nrules == CLI_USAGE_REFUSED_RULES) {
			/* Full: the last row takes the rest. */
			i = out->nrules - 1;
			snprintf(out->rules[i].rule,
			    sizeof(out->rules[i].rule), "other");
		} else {
			out->nrules++;
			snprintf(out->rules[i].rule,
			    sizeof(out->rules[i].rule), "%s", rule);
			out->rules[i].n = 0;
		}
	}
	out->rules[i].n++;
}

/* The rule a `suppressed` event counts as, and a milter's rejection by it. */
#define CLI_UR_SUPPRESSED	"suppressed_stream"

/*
 * The rule an entry counts under when it is a refusal of tenant (and of
 * keyid, if not NULL), else NULL.
 */
static const char *
cli_ur_match(const redisReply *fields, const char *tenant,
    const char *keyid)
{
	const char *type, *rule, *t, *k;

	if ((type = cli_ur_field(fields, "type")) == NULL)
		return NULL;
	rule = cli_ur_field(fields, "rule");
	if (strcmp(type, "suppressed") == 0)
		rule = CLI_UR_SUPPRESSED;
	else if (strcmp(type, "rejected") == 0) {
		/* Its recipients were each counted as `suppressed`. */
		if (rule != NULL && strcmp(rule, CLI_UR_SUPPRESSED) == 0)
			return NULL;
	} else if (strcmp(type, "refused") != 0)
		return NULL;
	if (rule == NULL)
		rule = "other";
	t = cli_ur_field(fields, "tenant");
	if (t == NULL || strcmp(t, tenant) != 0)
		return NULL;
	if (keyid != NULL && ((k = cli_ur_field(fields, "key")) == NULL ||
	    strcmp(k, keyid) != 0))
		return NULL;
	return rule;
}

/* Sort rows by count, most first, then by name. */
static int
cli_ur_cmp(const void *a, const void *b)
{
	const struct cli_usage_refused_rule *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->rule, y->rule);
}

/*
 * Whether the stream may have lost entries of the day starting at
 * from_s: entries were removed (XINFO STREAM: entries-added greater than
 * length, Redis 7; trimming does not move max-deleted-entry-id) and the
 * oldest entry left is later than the start of the day.  Then the time
 * of that entry in ms, from which on the counts are whole; else 0 (also
 * for a Redis without entries-added).  -1 after printing why.
 */
static long long
cli_ur_trimmed(struct cli_db *db, const char *stream, long long from_s)
{
	const redisReply *k, *v;
	long long added = 0, length = 0, first = 0;
	redisReply *r;
	size_t i;

	if ((r = cli_util_cmd(db, "EXISTS", stream, NULL)) == NULL)
		return -1;
	i = (size_t)(cli_util_reply_int(r) > 0);
	freeReplyObject(r);
	if (i == 0)
		return 0;
	if ((r = cli_util_cmd(db, "XINFO", "STREAM", stream, NULL)) == NULL)
		return -1;
	for (i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements;
	    i += 2) {
		k = r->element[i];
		v = r->element[i + 1];
		if (k->type != REDIS_REPLY_STRING)
			continue;
		if (strcmp(k->str, "entries-added") == 0)
			added = cli_util_reply_int(v);
		else if (strcmp(k->str, "length") == 0)
			length = cli_util_reply_int(v);
		else if (strcmp(k->str, "first-entry") == 0 &&
		    v->type == REDIS_REPLY_ARRAY && v->elements == 2 &&
		    v->element[0]->type == REDIS_REPLY_STRING)
			first = strtoll(v->element[0]->str, NULL, 10);
	}
	freeReplyObject(r);
	return added > length && first > from_s * 1000 ? first : 0;
}

int
cli_usage_refused_read(struct cli_db *db, const char *tenant,
    const char *keyid, long long from_s, long long to_s,
    struct cli_usage_refused *out)
{
	char start[CLI_UR_ID_MAX + 1], end[CLI_UR_ID_MAX];
	const redisReply *e;
	const char *rule;
	redisReply *r;
	char *stream;
	size_t i;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	stream = pw_schema_key_new(db->prefix, PW_SCHEMA_EVENTS, NULL, NULL,
	    NULL);
	if ((out->since_ms = cli_ur_trimmed(db, stream, from_s)) < 0)
		goto out;
	snprintf(start, sizeof(start), "%lld", from_s * 1000);
	snprintf(end, sizeof(end), "%lld", to_s * 1000 - 1);
	for (;;) {
		if ((r = cli_util_cmd(db, "XRANGE", stream, start, end,
		    "COUNT", CLI_UR_PAGE, NULL)) == NULL)
			goto out;
		if (r->type != REDIS_REPLY_ARRAY) {
			cli_error("%s: unexpected reply from Redis", stream);
			freeReplyObject(r);
			goto out;
		}
		for (i = 0; i < r->elements; i++) {
			e = r->element[i];
			if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
			    e->element[0]->type != REDIS_REPLY_STRING ||
			    e->element[1]->type != REDIS_REPLY_ARRAY)
				continue;
			if ((rule = cli_ur_match(e->element[1], tenant,
			    keyid)) != NULL)
				cli_ur_count(out, rule);
		}
		/* The next page starts after the last id (exclusive). */
		if (r->elements < (size_t)atoi(CLI_UR_PAGE) ||
		    (e = r->element[r->elements - 1])->type !=
		    REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[0]->type != REDIS_REPLY_STRING ||
		    e->element[0]->len >= CLI_UR_ID_MAX) {
			freeReplyObject(r);
			break;
		}
		snprintf(start, sizeof(start), "(%s", e->element[0]->str);
		freeReplyObject(r);
	}
	qsort(out->rules, out->nrules, sizeof(out->rules[0]), cli_ur_cmp);
	rc = 0;
out:
	free(stream);
	return rc;
}
