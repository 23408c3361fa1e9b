/*
 * cli_dkim.c -- `postwarden dkim`: DKIM keys for postwarden-milter.
 *
 *   postwarden dkim keygen --domain D --selector S --algorithm rsa|ed25519
 *                          [--bits N] [--output FILE]
 *   postwarden dkim txt KEYFILE [--domain D --selector S]
 *   postwarden dkim kek-generate FILE
 *
 * keygen writes a new private key (PEM, PKCS#8) to FILE (default
 * ./S.D.pem), created with mode 0600 and never over an existing file, and
 * prints the DNS TXT record to publish; txt prints the record of an
 * existing key.  With --json: {"name": ..., "txt": ..., "file": ...}.
 * kek-generate writes a new key-encryption key (dkim_kek_file, see
 * lib/seal.h: 64 hex digits) the same way, 0600 and never over a file,
 * and prints its kek id (--json: {"file": ..., "kek_id": ...}).
 * Exports: cli_dkim, cli_dkim_zone_print (the record in zone-file form,
 * which `domain dkim` prints too).
 *
 * No configuration or Redis is needed.  Security: the key only goes from
 * OpenSSL to the file; the file is created 0600 before anything is
 * written to it; nothing secret is printed.  Failures exit CLI_EXIT_FAIL
 * with the reason, a bad command line CLI_EXIT_USAGE.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "buf.h"
#include "cli.h"
#include "dkim_keys.h"
#include "seal.h"
#include "secret_file.h"

#define CLI_DKIM_GROUP	"dkim"
#define CLI_DKIM_KEYGEN_USAGE \
	"keygen --domain D --selector S --algorithm rsa|ed25519 [--bits N] " \
	"[--output FILE]"
#define CLI_DKIM_TXT_USAGE	"txt KEYFILE [--domain D --selector S]"
#define CLI_DKIM_KEK_USAGE	"kek-generate FILE"

/* Print a JSON string (ASCII control characters escaped). */
static void
cli_dkim_json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

/*
 * Print the record: zone-file style ("S._domainkey.D. IN TXT ( "..." )",
 * in strings of at most 255 bytes) when domain and selector are known,
 * else the bare value; or JSON.
 */
static void
cli_dkim_print(const struct cli_opts *opts, const char *domain,
    const char *selector, const char *txt, const char *file)
{
	if (opts->json) {
		printf("{\"name\": ");
		if (domain != NULL) {
			char name[600];

			snprintf(name, sizeof(name), "%s._domainkey.%s",
			    selector, domain);
			cli_dkim_json_str(name);
		} else
			printf("null");
		printf(", \"txt\": ");
		cli_dkim_json_str(txt);
		if (file != NULL) {
			printf(", \"file\": ");
			cli_dkim_json_str(file);
		}
		printf("}\n");
		return;
	}
	if (domain == NULL) {
		printf("%s\n", txt);
		return;
	}
	cli_dkim_zone_print(stdout, domain, selector, txt);
}

void
cli_dkim_zone_print(FILE *fp, const char *domain, const char *selector,
    const char *txt)
{
	size_t len = strlen(txt), off;

	fprintf(fp, "%s._domainkey.%s. IN TXT (", selector, domain);
	for (off = 0; off < len; off += 255)
		fprintf(fp, " \"%.*s\"",
		    (int)(len - off > 255 ? 255 : len - off), txt + off);
	fprintf(fp, " )\n");
}

/*
 * Create a new file path with mode 0600 (never over an existing one):
 * the stream, or NULL after printing why.
 */
static FILE *
cli_dkim_create(const char *path)
{
	FILE *fp;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0) {
		cli_error("%s: %s%s", path, strerror(errno),
		    errno == EEXIST ? " (not overwriting a key)" : "");
		return NULL;
	}
	/* Whatever the umask allowed: 0600 exactly. */
	if (fchmod(fd, 0600) < 0 || (fp = fdopen(fd, "w")) == NULL) {
		cli_error("%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return NULL;
	}
	return fp;
}

/* Write pkey to a new file path with mode 0600; 0, or -1 after an error. */
static int
cli_dkim_write_key(const char *path, EVP_PKEY *pkey)
{
	FILE *fp;
	int ok;

	if ((fp = cli_dkim_create(path)) == NULL)
		return -1;
	ok = PEM_write_PrivateKey(fp, pkey, NULL, NULL, 0, NULL, NULL) == 1;
	ok = fflush(fp) == 0 && ok;
	ok = fsync(fileno(fp)) == 0 && ok;
	if (fclose(fp) != 0)
		ok = 0;
	if (!ok) {
		cli_error("%s: could not write the key", path);
		unlink(path);
		return -1;
	}
	return 0;
}

static int
cli_dkim_check_names(const char *domain, const char *selector)
{
	if (domain == NULL || !pw_dkim_valid_domain(domain, strlen(domain))) {
		cli_error("--domain: not a domain name");
		return -1;
	}
	if (selector == NULL ||
	    !pw_dkim_valid_domain(selector, strlen(selector))) {
		cli_error("--selector: not a selector (letters, digits, "
		    "hyphens, dots)");
		return -1;
	}
	return 0;
}

static int
cli_dkim_keygen(const struct cli_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ "selector", required_argument, NULL, 's' },
		{ "algorithm", required_argument, NULL, 'a' },
		{ "bits", required_argument, NULL, 'b' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *domain = NULL, *selector = NULL, *algname = NULL,
	    *output = NULL, *why;
	char path[1024], *end;
	struct pw_buf txt;
	enum pw_dkim_alg alg;
	EVP_PKEY *pkey;
	long bits = 2048;
	int ch, ret = CLI_EXIT_FAIL;

	while ((ch = getopt_long(argc, argv, "d:s:a:b:o:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd':
			domain = optarg;
			break;
		case 's':
			selector = optarg;
			break;
		case 'a':
			algname = optarg;
			break;
		case 'b':
			errno = 0;
			bits = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg)
				return cli_cmd_usage(CLI_DKIM_GROUP,
			    CLI_DKIM_KEYGEN_USAGE);
			break;
		case 'o':
			output = optarg;
			break;
		default:
			return cli_cmd_usage(CLI_DKIM_GROUP,
			    CLI_DKIM_KEYGEN_USAGE);
		}
	}
	if (optind != argc || algname == NULL)
		return cli_cmd_usage(CLI_DKIM_GROUP,
			    CLI_DKIM_KEYGEN_USAGE);
	if (pw_dkim_alg_parse(algname, &alg) < 0) {
		cli_error("--algorithm: expected rsa or ed25519");
		return CLI_EXIT_USAGE;
	}
	if (cli_dkim_check_names(domain, selector) < 0)
		return CLI_EXIT_USAGE;
	if (alg == PW_DKIM_RSA_SHA256 && (bits < 1024 || bits > 4096)) {
		cli_error("--bits: RSA keys have 1024 to 4096 bits (2048 is "
		    "the default)");
		return CLI_EXIT_USAGE;
	}
	if (output == NULL) {
		snprintf(path, sizeof(path), "%s.%s.pem", selector, domain);
		output = path;
	}
	if ((pkey = pw_dkim_key_generate(alg, (int)bits, &why)) == NULL) {
		cli_error("%s", why);
		return CLI_EXIT_FAIL;
	}
	pw_buf_init(&txt, 8192);
	if (pw_dkim_key_txt(pkey, &txt, &why) < 0)
		cli_error("%s", why);
	else if (cli_dkim_write_key(output, pkey) == 0) {
		if (!opts->json)
			fprintf(stderr, "postwarden: wrote %s (mode 0600); "
			    "publish this record:\n", output);
		cli_dkim_print(opts, domain, selector, txt.data, output);
		ret = CLI_EXIT_OK;
	}
	pw_buf_free(&txt);
	EVP_PKEY_free(pkey);
	return ret;
}

static int
cli_dkim_txt(const struct cli_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ "selector", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *domain = NULL, *selector = NULL, *why;
	char err[PW_DKIM_ERR_MAX];
	struct pw_buf txt;
	enum pw_dkim_alg alg;
	EVP_PKEY *pkey;
	int ch, ret = CLI_EXIT_FAIL;

	while ((ch = getopt_long(argc, argv, "d:s:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			domain = optarg;
			break;
		case 's':
			selector = optarg;
			break;
		default:
			return cli_cmd_usage(CLI_DKIM_GROUP,
			    CLI_DKIM_TXT_USAGE);
		}
	}
	if (optind + 1 != argc || (domain == NULL) != (selector == NULL))
		return cli_cmd_usage(CLI_DKIM_GROUP,
			    CLI_DKIM_TXT_USAGE);
	if (domain != NULL && cli_dkim_check_names(domain, selector) < 0)
		return CLI_EXIT_USAGE;
	/* Only the public half is printed: no mode check here. */
	if (pw_dkim_key_load_any(argv[optind], 0, &pkey, &alg, NULL, err,
	    sizeof(err)) < 0) {
		cli_error("%s", err);
		return CLI_EXIT_FAIL;
	}
	pw_buf_init(&txt, 8192);
	if (pw_dkim_key_txt(pkey, &txt, &why) < 0)
		cli_error("%s: %s", argv[optind], why);
	else {
		cli_dkim_print(opts, domain, selector, txt.data, NULL);
		ret = CLI_EXIT_OK;
	}
	pw_buf_free(&txt);
	EVP_PKEY_free(pkey);
	return ret;
}

/*
 * kek-generate FILE: 32 random bytes as 64 hex digits and a newline, in
 * a new file of mode 0600; prints the kek id.  The bytes are wiped.
 */
static int
cli_dkim_kek_generate(const struct cli_opts *opts, int argc, char **argv)
{
	unsigned char key[PW_SEAL_KEK_LEN];
	struct pw_seal_kek kek;
	const char *path;
	char err[512];
	int ret = CLI_EXIT_FAIL;

	if (argc != 2 || argv[1][0] == '-')
		return cli_cmd_usage(CLI_DKIM_GROUP, CLI_DKIM_KEK_USAGE);
	path = argv[1];
	memset(&kek, 0, sizeof(kek));
	if (RAND_bytes(key, sizeof(key)) != 1 ||
	    pw_seal_kek_set(&kek, key) < 0) {
		cli_error("no random bytes (OpenSSL)");
		goto out;
	}
	if (pw_secret_file_create_hex(path, key, sizeof(key), err,
	    sizeof(err)) < 0) {
		cli_error("%s", err);
		goto out;
	}
	if (opts->json) {
		printf("{\"file\": ");
		cli_dkim_json_str(path);
		printf(", \"kek_id\": \"%s\"}\n", kek.id);
	} else {
		fprintf(stderr, "postwarden: wrote %s (mode 0600); copy it to "
		    "every node that signs and set dkim_kek_file\n", path);
		printf("kek id %s\n", kek.id);
	}
	ret = CLI_EXIT_OK;
out:
	OPENSSL_cleanse(key, sizeof(key));
	pw_seal_kek_wipe(&kek);
	return ret;
}

static const struct cli_sub cli_dkim_subs[] = {
	{ "keygen", cli_dkim_keygen, CLI_DKIM_KEYGEN_USAGE },
	{ "txt", cli_dkim_txt, CLI_DKIM_TXT_USAGE },
	{ "kek-generate", cli_dkim_kek_generate, CLI_DKIM_KEK_USAGE },
};

int
cli_dkim(const struct cli_opts *opts, int argc, char **argv)
{
	return cli_cmd_dispatch(CLI_DKIM_GROUP, cli_dkim_subs,
	    sizeof(cli_dkim_subs) / sizeof(cli_dkim_subs[0]), opts, argc,
	    argv);
}
