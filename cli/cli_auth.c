/*
 * cli_auth.c -- `postwarden auth`: what SMTP AUTH with API key secrets
 * needs on the nodes.
 *
 *   auth pepper-generate FILE
 *
 * pepper-generate writes a new pepper (auth_pepper_file, see
 * lib/auth_secret.h): 32 random bytes as 64 hex digits in a new file of
 * mode 0600 (lib/secret_file.c: pw_secret_file_create_hex, as `dkim
 * kek-generate` writes the KEK), reads it back as the daemons will, and
 * prints its pepper id (--json: {"file": ..., "pepper_id": ...}).
 *
 * Exports: cli_auth.
 *
 * Failures: a file that exists is never overwritten (exit 2); bad
 * command line exit 64.  Security: the bytes are wiped; only the pepper
 * id (an HMAC of it) is printed.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "auth_secret.h"
#include "cli.h"
#include "secret_file.h"

#define CLI_AUTH_GROUP		"auth"
#define CLI_AUTH_PEPPER_USAGE	"pepper-generate FILE"

static int
cli_auth_pepper_generate(const struct cli_opts *opts, int argc, char **argv)
{
	unsigned char bytes[PW_AUTH_PEPPER_LEN];
	struct pw_auth_pepper pepper;
	struct cli_json j;
	const char *path;
	char err[512];
	int ret = CLI_EXIT_FAIL;

	if (argc != 2 || argv[1][0] == '-')
		return cli_cmd_usage(CLI_AUTH_GROUP, CLI_AUTH_PEPPER_USAGE);
	path = argv[1];
	memset(&pepper, 0, sizeof(pepper));
	if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
		cli_error("no random bytes (OpenSSL)");
		goto out;
	}
	if (pw_secret_file_create_hex(path, bytes, sizeof(bytes), err,
	    sizeof(err)) < 0 ||
	    pw_auth_pepper_load(&pepper, path, true, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		goto out;
	}
	if (opts->json) {
		cli_out_json_init(&j, stdout);
		cli_out_json_open(&j, '{');
		cli_out_json_key(&j, "file");
		cli_out_json_cstr(&j, path);
		cli_out_json_key(&j, "pepper_id");
		cli_out_json_cstr(&j, pepper.id);
		cli_out_json_close(&j, '}');
		putchar('\n');
	} else {
		fprintf(stderr, "postwarden: wrote %s (mode 0600); copy it to "
		    "every node that answers SMTP AUTH or runs postwarden key, "
		    "and set auth_pepper_file\n", path);
		printf("pepper id %s\n", pepper.id);
	}
	ret = CLI_EXIT_OK;
out:
	OPENSSL_cleanse(bytes, sizeof(bytes));
	pw_auth_pepper_wipe(&pepper);
	return ret;
}

static const struct cli_sub cli_auth_subs[] = {
	{ "pepper-generate", cli_auth_pepper_generate, CLI_AUTH_PEPPER_USAGE },
};

int
cli_auth(const struct cli_opts *opts, int argc, char **argv)
{
	return cli_cmd_dispatch(CLI_AUTH_GROUP, cli_auth_subs,
	    sizeof(cli_auth_subs) / sizeof(cli_auth_subs[0]), opts, argc,
	    argv);
}
