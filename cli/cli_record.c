/*
 * cli_record.c -- what `postwarden key` and `postwarden tenant` share:
 * their command lines (the limit options, --json, one operand), `show`,
 * the status verbs (suspend, disable, enable), updating a record, and
 * printing records alone or in lists.  Each group describes how it
 * differs in a struct cli_record_kind.
 *
 * Exports: cli_record_* (cli.h).
 *
 * Failures: as the groups' (cli_key.c, cli_tenant.c): bad input exit 64
 * after printing why, Redis trouble exit 2.
 *
 * Security: records are printed through cli_out (escaped).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "lua.h"
#include "redis_common.h"
#include "schema.h"
#include "xmalloc.h"

int
cli_record_args(const struct cli_record_kind *k, int argc, char **argv,
    const char *usage, bool limits, bool want_name,
    struct cli_record_args *a, void *ctx)
{
	char cmd[32];
	int ch, rc;

	memset(a, 0, sizeof(*a));
	snprintf(cmd, sizeof(cmd), "%s %s", k->group, argv[0]);
	while ((ch = getopt_long(argc, argv, ":", k->longopts,
	    NULL)) != -1) {
		switch (ch) {
		case CLI_OPT_TENANT:
			if (cli_parse_tenant(optarg) < 0)
				return CLI_EXIT_USAGE;
			a->tenant = optarg;
			break;
		case CLI_OPT_JSON:
			a->json = true;
			break;
		case '?':
		case ':':
			cli_cmd_badopt(cmd, ch, argv);
			return cli_cmd_usage(k->group, usage);
		default:
			if (!limits) {
				cli_error("%s: option %s does not apply", cmd,
				    argv[optind - 1]);
				return cli_cmd_usage(k->group, usage);
			}
			rc = k->opt != NULL ? k->opt(ch, optarg, ctx) : 1;
			if (rc == 1)
				rc = cli_fields_limit_opt(ch, optarg, k->is_key,
				    &a->fields);
			if (rc != 0)
				return CLI_EXIT_USAGE;
			break;
		}
	}
	if (argc - optind != (want_name ? 1 : 0))
		return cli_cmd_usage(k->group, usage);
	if (want_name) {
		a->name = argv[optind];
		if ((k->is_key ? cli_parse_key(a->name) :
		    cli_parse_tenant(a->name)) < 0)
			return CLI_EXIT_USAGE;
	}
	return 0;
}

int
cli_record_show(const struct cli_record_kind *k, const struct cli_opts *opts,
    int argc, char **argv)
{
	char usage[32];
	struct cli_record_args a;
	struct cli_db db;
	int rc;

	snprintf(usage, sizeof(usage), "show %s", k->operand);
	if ((rc = cli_record_args(k, argc, argv, usage, false, true, &a,
	    NULL)) != 0)
		return rc;
	if ((rc = cli_util_open(opts, a.json, &db)) != CLI_EXIT_OK)
		return rc;
	rc = k->print(&db, a.name);
	cli_util_close(&db);
	return rc;
}

/*
 * The status a `suspend`, `disable` or `enable` command sets, and the
 * word its message uses ("suspended", "disabled", "enabled").
 */
static void
cli_record_status_verb(const char *verb, const char **status_r,
    const char **done_r)
{
	if (strcmp(verb, "suspend") == 0)
		*status_r = *done_r = "suspended";
	else if (strcmp(verb, "disable") == 0)
		*status_r = *done_r = "disabled";
	else {
		*status_r = "active";
		*done_r = "enabled";
	}
}

int
cli_record_status(const struct cli_record_kind *k,
    const struct cli_opts *opts, int argc, char **argv)
{
	char usage[32];
	const char *status, *what;
	struct cli_record_args a;
	int rc;

	snprintf(usage, sizeof(usage), "%s %s", argv[0], k->operand);
	if ((rc = cli_record_args(k, argc, argv, usage, false, true, &a,
	    NULL)) != 0)
		return rc;
	cli_record_status_verb(argv[0], &status, &what);
	cli_fields_set(&a.fields, "status", status);
	return k->change(opts, &a, what);
}

int
cli_record_mark_store(struct cli_db *db)
{
	redisReply *reply;
	char now[24], *k;

	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	k = pw_schema_key_new(db->prefix, PW_SCHEMA_STORE, NULL, NULL, NULL);
	reply = cli_util_cmd(db, "SET", k, now, "NX", NULL);
	free(k);
	if (reply == NULL)
		return -1;
	freeReplyObject(reply);
	return 0;
}

/*
 * KEYS[1] the record, KEYS[2] the tenant's generation; ARGV[1] n, then n field/value pairs to set, then
 * fields to delete.  0 when the record does not exist (nothing written),
 * else 1.
 */
static struct pw_redis_script cli_record_update_script = {
	"cli_update", pw_lua_record_update, ""
};

int
cli_record_update(struct cli_db *db, const char *tenant, const char *rec,
    const struct cli_fields *f)
{
	const char *argv[4 + 2 * (CLI_FIELDS_MAX + 1) + CLI_FIELDS_MAX];
	char n[16], now[24], *gen;
	redisReply *reply;
	int argc = 0, i;
	long long rc;

	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	snprintf(n, sizeof(n), "%d", f->nset + 1);
	gen = pw_schema_key_new(db->prefix, PW_SCHEMA_GEN, tenant, NULL, NULL);
	argv[argc++] = rec;
	argv[argc++] = gen;
	argv[argc++] = n;
	for (i = 0; i < f->nset; i++) {
		argv[argc++] = f->set_name[i];
		argv[argc++] = f->set_value[i];
	}
	argv[argc++] = "updated";
	argv[argc++] = now;
	for (i = 0; i < f->ndel; i++)
		argv[argc++] = f->del_name[i];
	reply = cli_util_eval(db, &cli_record_update_script, 2, argc, argv,
	    NULL);
	free(gen);
	if (reply == NULL)
		return CLI_EXIT_FAIL;
	rc = cli_util_reply_int(reply);
	freeReplyObject(reply);
	return rc == 1 ? CLI_EXIT_OK : CLI_EXIT_NOTFOUND;
}

/* qsort: two string replies by their text. */
static int
cli_record_reply_cmp(const void *a, const void *b)
{
	return strcmp((*(const redisReply *const *)a)->str,
	    (*(const redisReply *const *)b)->str);
}

/* A map item (an HGETALL reply) as a JSON object of its strings. */
static void
cli_record_map_json(struct cli_json *j, const redisReply *map)
{
	size_t i;

	cli_out_json_open(j, '{');
	for (i = 0; i + 1 < map->elements; i += 2) {
		if (map->element[i]->type != REDIS_REPLY_STRING ||
		    map->element[i + 1]->type != REDIS_REPLY_STRING)
			continue;
		cli_out_json_key(j, map->element[i]->str);
		cli_out_json_str(j, map->element[i + 1]->str,
		    map->element[i + 1]->len);
	}
	cli_out_json_close(j, '}');
}

/*
 * A map item for humans: "field (value), ..." in field order, or NULL
 * ("-") when empty.  Allocated: the caller frees it.
 */
static char *
cli_record_map_text(const redisReply *map)
{
	const redisReply **f;
	size_t i, n = 0, len = 1;
	char *text = NULL, *p;

	f = pw_xcalloc(map->elements / 2 + 1, sizeof(*f));
	for (i = 0; i + 1 < map->elements; i += 2) {
		if (map->element[i]->type != REDIS_REPLY_STRING ||
		    map->element[i + 1]->type != REDIS_REPLY_STRING)
			continue;
		f[n++] = map->element[i];
		len += map->element[i]->len + map->element[i + 1]->len + 5;
	}
	qsort(f, n, sizeof(*f), cli_record_reply_cmp);
	if (n > 0) {
		p = text = pw_xmalloc(len);
		for (i = 0; i < n; i++)
			p += sprintf(p, "%s%s (%s)", i > 0 ? ", " : "",
			    f[i]->str, cli_util_hash_get(map, f[i]->str));
	}
	free(f);
	return text;
}

/* The record as one JSON object: the items, its fields in their place. */
static void
cli_record_json(struct cli_json *j, const redisReply *hash,
    const struct cli_record_item *items, size_t nitems)
{
	size_t i;

	cli_out_json_open(j, '{');
	for (i = 0; i < nitems; i++) {
		if (items[i].name == NULL) {
			cli_out_record_json(hash, j);
			continue;
		}
		cli_out_json_key(j, items[i].name);
		if (items[i].emit != NULL)
			items[i].emit(j, NULL, items[i].arg);
		else if (items[i].s != NULL)
			cli_out_json_cstr(j, items[i].s);
		else if (items[i].map != NULL)
			cli_record_map_json(j, items[i].map);
		else
			cli_out_json_int(j, items[i].n);
	}
	cli_out_json_close(j, '}');
}

/* An item's value as text: s, or n (a map: its size) written into num. */
static const char *
cli_record_text(const struct cli_record_item *item, char *num, size_t size)
{
	if (item->s != NULL)
		return item->s;
	snprintf(num, size, "%lld", item->map != NULL ?
	    (long long)(item->map->elements / 2) : item->n);
	return num;
}

void
cli_record_print(bool json, const redisReply *hash,
    const struct cli_record_item *items, size_t nitems)
{
	struct cli_table t;
	struct cli_json j;
	char num[24], *text;
	size_t i;

	if (json) {
		cli_out_json_init(&j, stdout);
		cli_record_json(&j, hash, items, nitems);
		putchar('\n');
		return;
	}
	cli_out_table_init(&t, 2);
	for (i = 0; i < nitems; i++) {
		if (items[i].name == NULL) {
			cli_out_record_table(hash, &t);
		} else if (items[i].emit != NULL) {
			items[i].emit(NULL, &t, items[i].arg);
		} else if (items[i].s == NULL && items[i].map != NULL) {
			text = cli_record_map_text(items[i].map);
			cli_out_table_row(&t, items[i].name, text);
			free(text);
		} else {
			cli_out_table_row(&t, items[i].name,
			    cli_record_text(&items[i], num, sizeof(num)));
		}
	}
	cli_out_table_print(&t, stdout);
	cli_out_table_free(&t);
}

void
cli_record_list_init(struct cli_record_list *l, bool json,
    const char **header, size_t ncols)
{
	l->json = json;
	cli_out_table_init(&l->t, ncols);
	cli_out_table_rowv(&l->t, header);
	cli_out_json_init(&l->j, stdout);
	if (json)
		cli_out_json_open(&l->j, '[');
}

void
cli_record_list_add(struct cli_record_list *l, const redisReply *hash,
    const struct cli_record_item *items, size_t nitems)
{
	char limits[256], num[CLI_RECORD_ITEMS_MAX][24];
	const char *cells[CLI_RECORD_ITEMS_MAX + 2];
	size_t i;

	if (l->json) {
		cli_record_json(&l->j, hash, items, nitems);
		return;
	}
	for (i = 0; i < nitems; i++) {
		if (items[i].name == NULL)
			cells[i] = hash->elements == 0 ? "(no record)" :
			    cli_util_hash_get(hash, "status");
		else
			cells[i] = cli_record_text(&items[i], num[i],
			    sizeof(num[i]));
	}
	cells[i++] = cli_out_limits_brief(hash, limits, sizeof(limits));
	cells[i] = cli_util_hash_get(hash, "description");
	cli_out_table_rowv(&l->t, cells);
}

void
cli_record_list_end(struct cli_record_list *l, bool ok)
{
	if (l->json) {
		cli_out_json_close(&l->j, ']');
		putchar('\n');
	} else if (ok) {
		cli_out_table_print(&l->t, stdout);
	}
	cli_out_table_free(&l->t);
}
