/*
 * cli_secret.c -- `postwarden secret`: the tracking keyring
 * (lib/track_keyring.h), the file tracking_secret_file names.
 *
 *   secret rotate [FILE] [--verify-days DAYS]
 *   secret list [FILE]
 *
 * rotate: a new random current secret with the next free id; the one
 * that was current verifies ids and unsubscribe links already sent for
 * DAYS more (default 30; 0 drops it at once, for a secret that leaked);
 * secrets past their end date are dropped.  A one-secret file (as
 * before keyrings) becomes a keyring whose old secret keeps id 0.  The
 * file is replaced atomically (a temporary file in the same directory,
 * fsync, rename) with its owner and mode kept; the daemons use the new
 * secret after a reload (SIGHUP).  Exit 0 done, 2 the file or the
 * configuration, 64 usage.
 *
 * list: each secret's id, state (current, verify-only, expired) and end
 * date; never a secret.  Exit 0, 2, 64.
 *
 * FILE defaults to tracking_secret_file of the configuration; the mode
 * check of dkim_key_mode_check applies.  No Redis.
 *
 * Exports: cli_secret.
 *
 * Security: secrets are read, written and wiped here and never printed;
 * the temporary file is created 0600 and never holds less than the
 * whole keyring under its final name.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "secret_file.h"
#include "track_keyring.h"
#include "xmalloc.h"

#define CLI_SECRET_GROUP	"secret"
#define CLI_SECRET_DAYS		30	/* the old secret's verify period */
#define CLI_SECRET_DAYS_MAX	3650
#define CLI_SECRET_PATH_MAX	4096

/* Options of this file only: above every CLI_OPT_* of cli.h. */
enum { CLI_SECRET_OPT_DAYS = 4096 };

/*
 * The keyring file (FILE, or tracking_secret_file) and the mode check:
 * 0 and path_r filled, or -1 after printing why.
 */
static int
cli_secret_path(const struct cli_opts *opts, const char *file,
    char path_r[CLI_SECRET_PATH_MAX], bool *mode_check_r)
{
	char err[PW_CONF_ERR_MAX];
	struct pw_conf *conf;
	int rc = -1;

	if (pw_conf_load(opts->conf_path, &conf, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return -1;
	}
	pw_secret_file_owner(conf->user);
	*mode_check_r = conf->dkim_key_mode_check;
	if (file == NULL)
		file = conf->tracking_secret_file;
	if (*file == '\0')
		cli_error("%s: tracking_secret_file is not set: name the "
		    "keyring file (see postwarden.conf(5))", opts->conf_path);
	else if (strlen(file) >= CLI_SECRET_PATH_MAX)
		cli_error("secret: file name too long");
	else {
		snprintf(path_r, CLI_SECRET_PATH_MAX, "%s", file);
		rc = 0;
	}
	pw_conf_release(&conf);
	return rc;
}

/*
 * What every subcommand does after its options: at most one FILE
 * argument, then the keyring loaded from it (or tracking_secret_file).
 * CLI_EXIT_OK with path_r and kr filled (pw_track_keyring_free it), or
 * the exit code after printing why.
 */
static int
cli_secret_open(const struct cli_opts *opts, int argc, char **argv,
    const char *usage, char path_r[CLI_SECRET_PATH_MAX],
    struct pw_track_keyring *kr)
{
	char err[PW_TRACK_ERR_MAX];
	bool mode_check;

	if (argc - optind > 1)
		return cli_cmd_usage(CLI_SECRET_GROUP, usage);
	if (cli_secret_path(opts, argc - optind == 1 ? argv[optind] : NULL,
	    path_r, &mode_check) < 0)
		return CLI_EXIT_FAIL;
	if (pw_track_keyring_load(path_r, mode_check, kr, err,
	    sizeof(err)) < 0) {
		cli_error("secret: %s", err);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

/*
 * Write len bytes of text over path atomically, with the owner and mode
 * of st (the mode without group and other bits).  0, or -1 after
 * printing why (path unchanged).
 */
static int
cli_secret_write(const char *path, const struct stat *st, const char *text,
    size_t len)
{
	char tmp[CLI_SECRET_PATH_MAX + 16], dir[CLI_SECRET_PATH_MAX];
	size_t off = 0;
	ssize_t n;
	int fd, dfd;

	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0) {
		cli_error("secret: %s: cannot create a file beside it: %s",
		    path, strerror(errno));
		return -1;
	}
	/* Owner first (root may give it to the daemon's user), then mode. */
	if ((fchown(fd, st->st_uid, st->st_gid) < 0 && errno != EPERM) ||
	    fchmod(fd, st->st_mode & 0700) < 0)
		goto fail;
	while (off < len) {
		if ((n = write(fd, text + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	snprintf(dir, sizeof(dir), "%s", path);
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	cli_error("secret: %s: cannot write it: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

static int
cli_secret_rotate(const struct cli_opts *opts, int argc, char **argv)
{
	static const char usage[] = "rotate [FILE] [--verify-days DAYS]";
	static const struct option longopts[] = {
		{ "verify-days", required_argument, NULL,
		    CLI_SECRET_OPT_DAYS },
		{ "json", no_argument, NULL, CLI_OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	char path[CLI_SECRET_PATH_MAX];
	char until[PW_TRACK_UNTIL_LEN + 1], *text;
	const struct pw_track_secret *old;
	struct pw_track_keyring kr;
	uint64_t days = CLI_SECRET_DAYS;
	bool json = opts->json, had_old;
	unsigned old_id = 0, new_id;
	size_t len, size = PW_TRACK_FILE_MAX + 1;
	const char *why;
	struct stat st;
	struct cli_json j;
	time_t now = time(NULL);
	int ch, rc = CLI_EXIT_FAIL;

	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (ch) {
		case CLI_SECRET_OPT_DAYS:
			if (cli_parse_uint(optarg, CLI_SECRET_DAYS_MAX,
			    &days) < 0) {
				cli_error("--verify-days: expected 0 to %d",
				    CLI_SECRET_DAYS_MAX);
				return CLI_EXIT_USAGE;
			}
			break;
		case CLI_OPT_JSON:
			json = true;
			break;
		default:
			cli_cmd_badopt("secret rotate", ch, argv);
			return cli_cmd_usage(CLI_SECRET_GROUP, usage);
		}
	}
	if ((rc = cli_secret_open(opts, argc, argv, usage, path, &kr)) !=
	    CLI_EXIT_OK)
		return rc;
	rc = CLI_EXIT_FAIL;
	if (stat(path, &st) < 0) {
		cli_error("secret: %s: %s", path, strerror(errno));
		pw_track_keyring_free(&kr);
		return CLI_EXIT_FAIL;
	}
	if ((had_old = (old = pw_track_keyring_current(&kr)) != NULL))
		old_id = old->id;
	text = pw_xmalloc(size);
	if (pw_track_keyring_rotate(&kr, now, (time_t)days * 86400, &new_id,
	    &why) < 0)
		cli_error("secret: %s: %s", path, why);
	else if (pw_track_keyring_format(&kr, text, size, &len) < 0)
		cli_error("secret: %s: the keyring does not fit a file", path);
	else if (cli_secret_write(path, &st, text, len) == 0)
		rc = CLI_EXIT_OK;
	OPENSSL_cleanse(text, size);
	free(text);
	pw_track_keyring_free(&kr);
	if (rc != CLI_EXIT_OK)
		return rc;
	pw_track_keyring_time(now + (time_t)days * 86400, until);
	if (json) {
		cli_out_json_init(&j, stdout);
		cli_out_json_open(&j, '{');
		cli_out_json_key(&j, "file");
		cli_out_json_cstr(&j, path);
		cli_out_json_key(&j, "current");
		cli_out_json_int(&j, new_id);
		cli_out_json_key(&j, "previous");
		if (had_old)
			cli_out_json_int(&j, old_id);
		else
			cli_out_json_null(&j);
		cli_out_json_key(&j, "previous_until");
		cli_out_json_cstr(&j, had_old && days > 0 ? until : NULL);
		cli_out_json_close(&j, '}');
		putchar('\n');
		return rc;
	}
	printf("%s: secret %u is current", path, new_id);
	if (had_old && days > 0)
		printf("; secret %u verifies until %s", old_id, until);
	else if (had_old)
		printf("; secret %u is gone (links it made stop working)",
		    old_id);
	printf("\nreload postwarden-milter (SIGHUP) on every node that uses "
	    "this file\n");
	return rc;
}

static int
cli_secret_list(const struct cli_opts *opts, int argc, char **argv)
{
	static const char usage[] = "list [FILE]";
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, CLI_OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	char path[CLI_SECRET_PATH_MAX];
	char until[PW_TRACK_UNTIL_LEN + 1];
	const struct pw_track_secret *s;
	struct pw_track_keyring kr;
	bool json = opts->json;
	const char *state;
	struct cli_json j;
	size_t i;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (ch) {
		case CLI_OPT_JSON:
			json = true;
			break;
		default:
			cli_cmd_badopt("secret list", ch, argv);
			return cli_cmd_usage(CLI_SECRET_GROUP, usage);
		}
	}
	if ((rc = cli_secret_open(opts, argc, argv, usage, path, &kr)) !=
	    CLI_EXIT_OK)
		return rc;
	if (json) {
		cli_out_json_init(&j, stdout);
		cli_out_json_open(&j, '[');
	} else
		printf("%-4s %-12s %s\n", "ID", "STATE", "UNTIL");
	for (i = 0; i < kr.n; i++) {
		s = &kr.s[i];
		state = s->current ? "current" :
		    pw_track_keyring_live(&kr, s) ? "verify-only" : "expired";
		if (!s->current)
			pw_track_keyring_time(s->until, until);
		if (!json) {
			printf("%-4u %-12s %s\n", s->id, state,
			    s->current ? "-" : until);
			continue;
		}
		cli_out_json_open(&j, '{');
		cli_out_json_key(&j, "id");
		cli_out_json_int(&j, s->id);
		cli_out_json_key(&j, "state");
		cli_out_json_cstr(&j, state);
		cli_out_json_key(&j, "until");
		cli_out_json_cstr(&j, s->current ? NULL : until);
		cli_out_json_close(&j, '}');
	}
	if (json) {
		cli_out_json_close(&j, ']');
		putchar('\n');
	}
	pw_track_keyring_free(&kr);
	return CLI_EXIT_OK;
}

static const struct cli_sub cli_secret_subs[] = {
	{ "rotate", cli_secret_rotate, "rotate [FILE] [--verify-days DAYS]" },
	{ "list", cli_secret_list, "list [FILE]" },
};

int
cli_secret(const struct cli_opts *opts, int argc, char **argv)
{
	return cli_cmd_dispatch(CLI_SECRET_GROUP, cli_secret_subs,
	    sizeof(cli_secret_subs) / sizeof(cli_secret_subs[0]), opts, argc,
	    argv);
}
