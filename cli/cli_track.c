/*
 * cli_track.c -- `postwarden track verify` and `postwarden unsubscribe`:
 * tracking ids and RFC 8058 unsubscribe tokens (lib/track.h).
 *
 *   track verify ID [--tenant TENANT]
 *   unsubscribe TOKEN
 *   unsubscribe --mail [--recipient ADDRESS]
 *
 * track verify: whose id it is and when it was made.  With --tenant only
 * that tenant is tried (no Redis needed); without, every member of
 * pw:tenants whose tag matches.  Exit 0 valid, 1 forged, malformed or
 * made with a secret past its end date (CLI_EXIT_NOTFOUND), 2
 * configuration or Redis, 64 usage.
 *
 * unsubscribe TOKEN: verify a one-click token and add its recipient to
 * its tenant's suppression list (reason unsubscribe, source one-click,
 * never expires; lib/unsub.h).  Doing it again changes nothing.
 * Exit 0 done (or already), 1 forged, malformed or expired token or
 * unknown tenant, 2 configuration or Redis, 64 usage.  Tokens of both
 * versions are taken (lib/track.h); a version 2 token of one of the
 * tenant's bulk_streams suppresses for that stream (or, with the
 * tenant's unsubscribe_scope = bulk, for all of them), any other for the
 * whole tenant; --json says which ("scope").
 *
 * unsubscribe --mail: the same for a message on standard input, as a
 * Postfix pipe(8) transport delivers it (contrib/postfix/master.cf):
 * the token is the recipient address extension (unsub+TOKEN@..., from
 * --recipient) or the last word of the Subject; source mailto.  Exit
 * statuses are sysexits, which pipe(8) understands: 0 done, EX_DATAERR
 * (the mail bounces with the reason) for a bad token, EX_TEMPFAIL (Postfix
 * retries) when Redis fails or the configuration is bad.
 *
 * Exports: cli_track, cli_unsubscribe.
 *
 * Redis (docs/redis-schema.md): reads pw:tenants and pw:{T}:tenant,
 * writes pw:{T}:supp, or pw:{T}:supp:stream:<stream> or pw:{T}:supp:bulk
 * for a token of a bulk stream (unsubscribe: lua/unsubscribe.lua through
 * lib/unsub.h, as postwarden-policyd's HTTP service does).
 *
 * Security: the keyring is read from tracking_secret_file (mode checked
 * as DKIM keys are; lib/track_keyring.h), wiped when done and never
 * printed.  Any secret of it still before its end date verifies.  Ids,
 * tokens and mail are untrusted: bounded, checked by lib/track.c before
 * anything is taken from them, and printed escaped.
 */
#include "config.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>

#include "buf.h"
#include "cli.h"
#include "identity.h"
#include "secret_file.h"
#include "track.h"
#include "unsub.h"

#define CLI_TRACK_GROUP		"track"
#define CLI_UNSUB_GROUP		"unsubscribe"
#define CLI_UNSUB_HEADER_MAX	(256 * 1024)	/* header bytes read */
#define CLI_UNSUB_SUBJECT_MAX	4096

/* How an unsubscribe ended; each mode has its exit status for it. */
enum cli_unsub_outcome {
	CLI_UNSUB_DONE,		/* suppressed now, or already */
	CLI_UNSUB_REFUSED,	/* bad token, or it names nobody we know */
	CLI_UNSUB_CONFIG,	/* configuration or secret */
	CLI_UNSUB_TEMPFAIL,	/* Redis or the input failed: try later */
};

/*
 * Load the configuration and the tracking keyring.  0, or -1 after
 * printing why.
 */
static int
cli_track_secret(const struct cli_opts *opts, struct pw_track_keyring *s)
{
	char err[PW_CONF_ERR_MAX + PW_TRACK_ERR_MAX];
	struct pw_conf *conf;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (pw_conf_load(opts->conf_path, &conf, err, PW_CONF_ERR_MAX) < 0) {
		cli_error("%s", err);
		return -1;
	}
	pw_secret_file_owner(conf->user);
	if (*conf->tracking_secret_file == '\0')
		cli_error("%s: tracking_secret_file is not set: tracking ids "
		    "and unsubscribe tokens need its secret (see "
		    "postwarden.conf(5))", opts->conf_path);
	else if (pw_track_keyring_load(conf->tracking_secret_file,
	    conf->dkim_key_mode_check, s, err, sizeof(err)) < 0)
		cli_error("tracking_secret_file %s", err);
	else
		rc = 0;
	pw_conf_release(&conf);
	return rc;
}

/* "2026-11-27T10:31:02.123Z" from Unix milliseconds. */
static char *
cli_track_time(uint64_t ms, char buf[CLI_TIME_MAX])
{
	char secs[CLI_TIME_MAX - 8];
	struct tm tm;
	time_t t = (time_t)(ms / 1000);

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(secs, sizeof(secs), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(buf, CLI_TIME_MAX, "%llu ms",
		    (unsigned long long)ms);
	else
		snprintf(buf, CLI_TIME_MAX, "%s.%03uZ", secs,
		    (unsigned)(ms % 1000));
	return buf;
}

/*
 * Find the tenant of a decoded id among pw:tenants: 0 and tenant_r
 * filled, 2 the same for an id whose secret is past its end date, 1
 * none, -1 after printing why.
 */
static int
cli_track_find(const struct cli_opts *opts, const struct pw_track_keyring *s,
    const struct pw_track_id *d, char tenant_r[PW_IDENTITY_TENANT_MAX + 1])
{
	struct cli_db db;
	char **tenants;
	size_t i, n;
	int rc = 1;

	if (cli_util_open(opts, false, &db) != CLI_EXIT_OK)
		return -1;
	if ((tenants = cli_lookup_tenants(&db, &n)) == NULL) {
		cli_util_close(&db);
		return -1;
	}
	for (i = 0; i < n && rc != 0; i++) {
		if (!pw_track_id_tag_matches(s, d, tenants[i]))
			continue;
		switch (pw_track_id_check(s, d, tenants[i])) {
		case PW_TRACK_OK:
			rc = 0;
			break;
		case PW_TRACK_EXPIRED:
			rc = 2;
			break;
		default:
			continue;
		}
		snprintf(tenant_r, PW_IDENTITY_TENANT_MAX + 1, "%s",
		    tenants[i]);
	}
	cli_lookup_free(tenants, n);
	cli_util_close(&db);
	return rc;
}

/* A result in one word: valid, expired, forged or malformed. */
static const char *
cli_track_verdict(enum pw_track_result r)
{
	return r == PW_TRACK_OK ? "valid" : r == PW_TRACK_EXPIRED ?
	    "expired" : pw_track_result_forged(r) ? "forged" : "malformed";
}

/* Print a verdict: valid (tenant, d set), expired, forged or malformed. */
static void
cli_track_print(bool json, const char *id, enum pw_track_result r,
    const char *tenant, const struct pw_track_id *d, const char *why)
{
	const char *verdict = cli_track_verdict(r);
	char when[CLI_TIME_MAX];
	struct cli_json j;

	if (!json) {
		if (r == PW_TRACK_OK)
			printf("%s: tenant %s, made %s (%llu ms)\n", id, tenant,
			    cli_track_time(d->time_ms, when),
			    (unsigned long long)d->time_ms);
		else
			printf("%s: %s\n", verdict, why);
		return;
	}
	cli_out_json_init(&j, stdout);
	cli_out_json_open(&j, '{');
	cli_out_json_key(&j, "id");
	cli_out_json_cstr(&j, id);
	cli_out_json_key(&j, "valid");
	cli_out_json_bool(&j, r == PW_TRACK_OK);
	cli_out_json_key(&j, "verdict");
	cli_out_json_cstr(&j, verdict);
	cli_out_json_key(&j, "reason");
	cli_out_json_cstr(&j, r == PW_TRACK_OK ? NULL : why);
	cli_out_json_key(&j, "tenant");
	cli_out_json_cstr(&j, r == PW_TRACK_OK ? tenant : NULL);
	cli_out_json_key(&j, "time");
	cli_out_json_cstr(&j, r == PW_TRACK_OK ?
	    cli_track_time(d->time_ms, when) : NULL);
	cli_out_json_key(&j, "time_ms");
	if (r == PW_TRACK_OK)
		cli_out_json_int(&j, (long long)d->time_ms);
	else
		cli_out_json_null(&j);
	cli_out_json_close(&j, '}');
	putchar('\n');
}

static int
cli_track_verify(const struct cli_opts *opts, int argc, char **argv)
{
	static const char usage[] = "verify ID [--tenant TENANT]";
	static const struct option longopts[] = {
		{ "tenant", required_argument, NULL, CLI_OPT_TENANT },
		{ "json", no_argument, NULL, CLI_OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	char tenant[PW_IDENTITY_TENANT_MAX + 1] = "", why[160];
	struct pw_track_keyring s;
	struct pw_track_id d;
	enum pw_track_result r;
	const char *id, *want = NULL;
	bool json = opts->json;
	int ch;

	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (ch) {
		case CLI_OPT_TENANT:
			if (cli_parse_tenant(optarg) < 0)
				return CLI_EXIT_USAGE;
			want = optarg;
			break;
		case CLI_OPT_JSON:
			json = true;
			break;
		default:
			cli_cmd_badopt("track verify", ch, argv);
			return cli_cmd_usage(CLI_TRACK_GROUP, usage);
		}
	}
	if (argc - optind != 1)
		return cli_cmd_usage(CLI_TRACK_GROUP, usage);
	id = argv[optind];
	if (cli_track_secret(opts, &s) < 0)
		return CLI_EXIT_FAIL;
	if ((r = pw_track_id_decode(id, strlen(id), &d)) != PW_TRACK_OK) {
		snprintf(why, sizeof(why), "%s (an id is %d of 0-9 a-z "
		    "without i l o u)", pw_track_result_text(r),
		    PW_TRACK_ID_LEN);
	} else if (want != NULL) {
		if ((r = pw_track_id_check(&s, &d, want)) == PW_TRACK_OK)
			snprintf(tenant, sizeof(tenant), "%s", want);
		else
			snprintf(why, sizeof(why), r == PW_TRACK_EXPIRED ?
			    "%s: an id of tenant %s made with it" :
			    "%s: not an id of tenant %s",
			    pw_track_result_text(r), want);
	} else {
		switch (cli_track_find(opts, &s, &d, tenant)) {
		case 0:
			break;
		case 2:
			r = PW_TRACK_EXPIRED;
			snprintf(why, sizeof(why), "an id of tenant %s made "
			    "with a secret past its end date", tenant);
			break;
		case 1:
			r = PW_TRACK_FORGED;
			snprintf(why, sizeof(why), "no known tenant made it "
			    "(or its tenant was deleted)");
			break;
		default:
			pw_track_keyring_free(&s);
			return CLI_EXIT_FAIL;
		}
	}
	pw_track_keyring_free(&s);
	cli_track_print(json, id, r, tenant, &d, why);
	return r == PW_TRACK_OK ? CLI_EXIT_OK : CLI_EXIT_NOTFOUND;
}

static const struct cli_sub cli_track_subs[] = {
	{ "verify", cli_track_verify, "verify ID [--tenant TENANT]" },
};

int
cli_track(const struct cli_opts *opts, int argc, char **argv)
{
	return cli_cmd_dispatch(CLI_TRACK_GROUP, cli_track_subs,
	    sizeof(cli_track_subs) / sizeof(cli_track_subs[0]), opts, argc,
	    argv);
}

/* --- unsubscribe ---------------------------------------------------------- */

/*
 * Print what an unsubscribe did: a line, or a JSON object.  scope is
 * where it was written (pw_unsub_scope), NULL when it was there already.
 */
static void
cli_unsub_print(bool json, const char *tenant, const char *addr,
    const char *stream, const char *source, const char *scope)
{
	struct cli_json j;

	if (!json) {
		if (scope == NULL)
			printf("%s was already suppressed in tenant %s; left "
			    "as it is\n", addr, tenant);
		else if (strcmp(scope, "stream") == 0)
			printf("unsubscribed %s from stream %s of tenant %s "
			    "(%s)\n", addr, stream, tenant, source);
		else if (strcmp(scope, "bulk") == 0)
			printf("unsubscribed %s from every bulk stream of "
			    "tenant %s (%s)\n", addr, tenant, source);
		else
			printf("unsubscribed %s from tenant %s (%s)\n", addr,
			    tenant, source);
		return;
	}
	cli_out_json_init(&j, stdout);
	cli_out_json_open(&j, '{');
	cli_out_json_key(&j, "tenant");
	cli_out_json_cstr(&j, tenant);
	cli_out_json_key(&j, "address");
	cli_out_json_cstr(&j, addr);
	cli_out_json_key(&j, "reason");
	cli_out_json_cstr(&j, "unsubscribe");
	cli_out_json_key(&j, "source");
	cli_out_json_cstr(&j, source);
	cli_out_json_key(&j, "stream");
	cli_out_json_cstr(&j, *stream != '\0' ? stream : NULL);
	cli_out_json_key(&j, "added");
	cli_out_json_bool(&j, scope != NULL);
	cli_out_json_key(&j, "scope");
	cli_out_json_cstr(&j, scope);
	cli_out_json_close(&j, '}');
	putchar('\n');
}

/*
 * Suppress a verified token's recipient in its tenant's list, as the
 * HTTP service does (lib/unsub.h, lua/unsubscribe.lua).
 */
static enum cli_unsub_outcome
cli_unsub_apply(const struct cli_opts *opts, bool json,
    const struct pw_track_unsub *u, const char *source)
{
	char safe[CLI_ADDRESS_MAX * 4 + 1];
	enum cli_unsub_outcome out = CLI_UNSUB_TEMPFAIL;
	struct pw_redis_script *script;
	const char *why, *args[PW_UNSUB_NARGS];
	struct pw_unsub w;
	struct cli_db db;
	redisReply *reply;
	long long rc;

	if ((script = pw_unsub_script(&why)) == NULL) {
		cli_error("script unsubscribe: %s", why);
		return CLI_UNSUB_TEMPFAIL;
	}
	if (cli_util_open(opts, json, &db) != CLI_EXIT_OK)
		return CLI_UNSUB_TEMPFAIL;
	if (pw_unsub_prepare(db.prefix, u, source, (int64_t)time(NULL), &w,
	    &why) < 0) {
		cli_error("unsubscribe: the token names %s, which a "
		    "suppression list cannot hold: %s", cli_out_safe(safe,
		    sizeof(safe), u->recipient, strlen(u->recipient)), why);
		cli_util_close(&db);
		return CLI_UNSUB_REFUSED;
	}
	pw_unsub_args(&w, args);
	reply = cli_util_eval(&db, script, PW_UNSUB_NKEYS, PW_UNSUB_NARGS,
	    args, NULL);
	if (reply != NULL && reply->type != REDIS_REPLY_INTEGER) {
		cli_error("script unsubscribe: an unexpected reply");
		freeReplyObject(reply);
		reply = NULL;
	}
	if (reply != NULL) {
		rc = reply->integer;
		freeReplyObject(reply);
		if (rc == PW_UNSUB_NO_TENANT) {
			cli_error("unsubscribe: the token's tenant %s does not "
			    "exist (any more)", u->tenant);
			out = CLI_UNSUB_REFUSED;
		} else {
			cli_unsub_print(db.json, u->tenant, w.address,
			    u->stream, source, pw_unsub_scope(rc));
			out = CLI_UNSUB_DONE;
		}
	}
	pw_unsub_free(&w);
	cli_util_close(&db);
	return out;
}

/*
 * Append a header line's text to the Subject being collected, bounded
 * (what does not fit is left out).
 */
static void
cli_unsub_subject_add(char *subject, const char *s, size_t len)
{
	size_t have = strlen(subject);

	if (len > CLI_UNSUB_SUBJECT_MAX - have)
		len = CLI_UNSUB_SUBJECT_MAX - have;
	memcpy(subject + have, s, len);
	subject[have + len] = '\0';
}

/*
 * The first Subject of a header section (unfolded; lines end with LF or
 * CR LF) into subject (CLI_UNSUB_SUBJECT_MAX + 1 bytes); "" if none.
 */
static void
cli_unsub_subject(const char *hdr, size_t len, char *subject)
{
	const char *p = hdr, *end = hdr + len, *nl;
	size_t linelen;
	bool in_subject = false, found = false;

	subject[0] = '\0';
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		linelen = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (linelen > 0 && p[linelen - 1] == '\r')
			linelen--;
		if (linelen == 0)
			break;			/* end of the header section */
		if (*p == ' ' || *p == '\t') {
			if (in_subject)
				cli_unsub_subject_add(subject, p, linelen);
		} else {
			in_subject = !found && linelen >= 8 &&
			    strncasecmp(p, "Subject:", 8) == 0;
			if (in_subject) {
				found = true;
				cli_unsub_subject_add(subject, p + 8,
				    linelen - 8);
			}
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

/*
 * Read the message on fp: its first CLI_UNSUB_HEADER_MAX bytes into hdr
 * (the header section is what matters), the rest read and dropped so
 * that pipe(8) can write all of it.  0, or -1 on a read error.
 */
static int
cli_unsub_read(FILE *fp, struct pw_buf *hdr)
{
	char chunk[8192];
	size_t n, room;

	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		room = hdr->max - hdr->len;
		if (room > 0)
			(void)pw_buf_append(hdr, chunk, n < room ? n : room);
	}
	return ferror(fp) ? -1 : 0;
}

/* The last white-space separated word of s, or NULL; its length in *len_r. */
static const char *
cli_unsub_last_word(const char *s, size_t *len_r)
{
	size_t end = strlen(s), start;

	while (end > 0 && isspace((unsigned char)s[end - 1]))
		end--;
	for (start = end; start > 0 && !isspace((unsigned char)s[start - 1]);
	    start--)
		;
	*len_r = end - start;
	return end > start ? s + start : NULL;
}

/* The address extension of rcpt ("unsub+EXT@domain"), or NULL. */
static const char *
cli_unsub_extension(const char *rcpt, size_t *len_r)
{
	const char *at = strrchr(rcpt, '@'), *plus;
	size_t local = at != NULL ? (size_t)(at - rcpt) : strlen(rcpt);

	if ((plus = memchr(rcpt, '+', local)) == NULL)
		return NULL;
	*len_r = local - (size_t)(plus + 1 - rcpt);
	return plus + 1;
}

/* Say why a token from where (its place in the input) is no good. */
static void
cli_unsub_refused(const char *where, enum pw_track_result r)
{
	cli_error("unsubscribe: %s: %s token: %s", where,
	    cli_track_verdict(r), pw_track_result_text(r));
}

/* unsubscribe --mail: the token from the message on standard input. */
static enum cli_unsub_outcome
cli_unsub_mail(const struct cli_opts *opts, bool json, const char *rcpt)
{
	char subject[CLI_UNSUB_SUBJECT_MAX + 1];
	enum pw_track_result rx = PW_TRACK_OK, rs = PW_TRACK_OK;
	const char *ext = NULL, *word;
	struct pw_track_keyring s;
	struct pw_track_unsub u;
	struct pw_buf hdr;
	size_t xlen = 0, wlen = 0;

	pw_buf_init(&hdr, CLI_UNSUB_HEADER_MAX);
	if (cli_unsub_read(stdin, &hdr) < 0) {
		cli_error("unsubscribe: cannot read the message");
		pw_buf_free(&hdr);
		return CLI_UNSUB_TEMPFAIL;
	}
	cli_unsub_subject(hdr.data, hdr.len, subject);
	pw_buf_free(&hdr);
	if (cli_track_secret(opts, &s) < 0)
		return CLI_UNSUB_CONFIG;
	/* The address extension first, then the Subject. */
	if (rcpt != NULL && (ext = cli_unsub_extension(rcpt, &xlen)) != NULL)
		rx = pw_track_unsub_verify(&s, ext, xlen, &u);
	word = cli_unsub_last_word(subject, &wlen);
	if ((ext == NULL || rx != PW_TRACK_OK) && word != NULL)
		rs = pw_track_unsub_verify(&s, word, wlen, &u);
	pw_track_keyring_free(&s);
	if ((ext != NULL && rx == PW_TRACK_OK) ||
	    (word != NULL && rs == PW_TRACK_OK))
		return cli_unsub_apply(opts, json, &u, "mailto");
	if (ext != NULL)
		cli_unsub_refused("recipient address extension", rx);
	if (word != NULL)
		cli_unsub_refused("Subject", rs);
	cli_error("unsubscribe: this message carries no valid unsubscribe "
	    "token (expected as the last word of the Subject); nothing was "
	    "changed");
	return CLI_UNSUB_REFUSED;
}

/* unsubscribe TOKEN: a one-click token given on the command line. */
static enum cli_unsub_outcome
cli_unsub_token(const struct cli_opts *opts, bool json, const char *token)
{
	struct pw_track_keyring s;
	struct pw_track_unsub u;
	enum pw_track_result r;

	if (cli_track_secret(opts, &s) < 0)
		return CLI_UNSUB_CONFIG;
	r = pw_track_unsub_verify(&s, token, strlen(token), &u);
	pw_track_keyring_free(&s);
	if (r != PW_TRACK_OK) {
		cli_unsub_refused("command line", r);
		return CLI_UNSUB_REFUSED;
	}
	return cli_unsub_apply(opts, json, &u, "one-click");
}

/* The exit status of an outcome: sysexits for pipe(8), else CLI_EXIT_*. */
static int
cli_unsub_exit(enum cli_unsub_outcome o, bool mail)
{
	switch (o) {
	case CLI_UNSUB_DONE:
		return CLI_EXIT_OK;
	case CLI_UNSUB_REFUSED:
		return mail ? EX_DATAERR : CLI_EXIT_NOTFOUND;
	case CLI_UNSUB_CONFIG:
		/*
		 * Not EX_CONFIG: Postfix bounces that (5.3.5), and a mail
		 * must wait until the admin fixes the configuration.
		 */
		return mail ? EX_TEMPFAIL : CLI_EXIT_FAIL;
	case CLI_UNSUB_TEMPFAIL:
		return mail ? EX_TEMPFAIL : CLI_EXIT_FAIL;
	}
	return CLI_EXIT_FAIL;
}

int
cli_unsubscribe(const struct cli_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mail", no_argument, NULL, CLI_OPT_MAIL },
		{ "recipient", required_argument, NULL, CLI_OPT_RECIPIENT },
		{ "json", no_argument, NULL, CLI_OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	const char *rcpt = NULL;
	bool json = opts->json, mail = false;
	enum cli_unsub_outcome o;
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (ch) {
		case CLI_OPT_MAIL:
			mail = true;
			break;
		case CLI_OPT_RECIPIENT:
			rcpt = optarg;
			break;
		case CLI_OPT_JSON:
			json = true;
			break;
		default:
			cli_cmd_badopt(CLI_UNSUB_GROUP, ch, argv);
			return cli_cmd_usage(CLI_UNSUB_GROUP,
			    CLI_UNSUB_USAGE);
		}
	}
	if (mail ? (argc != optind) : (argc - optind != 1 || rcpt != NULL))
		return cli_cmd_usage(CLI_UNSUB_GROUP, CLI_UNSUB_USAGE);
	o = mail ? cli_unsub_mail(opts, json, rcpt) :
	    cli_unsub_token(opts, json, argv[optind]);
	return cli_unsub_exit(o, mail);
}
