/*
 * dkim_provision.c -- many tenants' sending domains with DKIM keys in
 * Redis at once, for the benchmarks: the Redis commands, in the Redis
 * protocol, for `redis-cli --pipe`.
 *
 *   dkim_provision KEK_FILE PREFIX SELECTOR=KEY_PEM... <senders >commands
 *
 * Each line of stdin is "KEYID TENANT DOMAIN".  For each it writes what
 * `postwarden tenant add`, an API key, `postwarden domain add`, `domain
 * dkim add` and a `domain verify` that found every record would leave
 * (docs/redis-schema.md; key names from lib/schema): PREFIX key:KEYID ->
 * TENANT, the tenant's record (dkim_version 1) and its name in the
 * tenants set, the domain's owner, PREFIX{T}:domains DOMAIN exact, the
 * domain's record with verified_selectors, and per SELECTOR=KEY_PEM one
 * active key record whose private key is KEY_PEM's, sealed under KEK_FILE
 * for (TENANT, DOMAIN, SELECTOR) as lib/dkim_store.c seals a new one
 * (PKCS#8 DER, lib/seal.c).  Every domain gets copies of the same keys:
 * making one RSA key per domain would take minutes, and the milter opens
 * each copy on its own all the same.
 *
 * Test tool: exits 1 on any error; not installed.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "buf.h"
#include "dkim_keys.h"
#include "schema.h"
#include "seal.h"

#define MAXKEYS	4

struct key {
	char		*selector;
	enum pw_dkim_alg alg;
	int		 bits;
	unsigned char	*der;		/* PKCS#8 */
	int		 derlen;
	struct pw_buf	 txt;		/* the TXT record */
};

static void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("dkim_provision: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* One command of argc arguments, in the Redis protocol. */
static void
cmd(int argc, const char *const *argv)
{
	int i;

	printf("*%d\r\n", argc);
	for (i = 0; i < argc; i++)
		printf("$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
}

static void
key_load(struct key *k, const char *arg)
{
	char err[256], *eq;
	const char *why;
	PKCS8_PRIV_KEY_INFO *p8;
	EVP_PKEY *pkey;

	if ((eq = strchr(arg, '=')) == NULL)
		die("%s: not SELECTOR=KEY_PEM", arg);
	k->selector = strndup(arg, (size_t)(eq - arg));
	if (pw_dkim_key_load_any(eq + 1, 0, &pkey, &k->alg, &k->bits, err,
	    sizeof(err)) < 0)
		die("%s", err);
	pw_buf_init(&k->txt, 8192);
	if (pw_dkim_key_txt(pkey, &k->txt, &why) < 0)
		die("%s: %s", eq + 1, why);
	k->der = NULL;
	if ((p8 = EVP_PKEY2PKCS8(pkey)) == NULL ||
	    (k->derlen = i2d_PKCS8_PRIV_KEY_INFO(p8, &k->der)) <= 0)
		die("%s: cannot encode the key", eq + 1);
	PKCS8_PRIV_KEY_INFO_free(p8);
	EVP_PKEY_free(pkey);
}

int
main(int argc, char **argv)
{
	struct key keys[MAXKEYS];
	struct pw_seal_kek kek;
	struct pw_buf sealed;
	char line[1024], keyid[256], tenant[256], domain[256], err[256];
	char now[32], bits[16], verified[256], *name;
	const char *prefix, *why, *a[24];
	size_t nkeys, i;
	int n;

	if (argc < 4 || argc - 3 > MAXKEYS) {
		fprintf(stderr, "usage: dkim_provision KEK_FILE PREFIX "
		    "SELECTOR=KEY_PEM... <senders >commands\n");
		return 64;
	}
	if (pw_seal_kek_load(argv[1], false, &kek, err, sizeof(err)) < 0)
		die("%s", err);
	prefix = argv[2];
	nkeys = (size_t)argc - 3;
	verified[0] = '\0';
	for (i = 0; i < nkeys; i++) {
		key_load(&keys[i], argv[3 + i]);
		snprintf(verified + strlen(verified),
		    sizeof(verified) - strlen(verified), "%s%s",
		    i > 0 ? "," : "", keys[i].selector);
	}
	snprintf(now, sizeof(now), "%" PRId64, (int64_t)time(NULL));
	pw_buf_init(&sealed, PW_SEAL_TEXT_MAX);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		if (sscanf(line, "%255s %255s %255s", keyid, tenant,
		    domain) != 3)
			die("a line that is not \"KEYID TENANT DOMAIN\"");
		name = pw_schema_key_new(prefix, PW_SCHEMA_KEY_DIR, NULL,
		    keyid, NULL);
		cmd(4, (const char *[]){ "HSET", name, "tenant", tenant });
		free(name);
		name = pw_schema_key_new(prefix, PW_SCHEMA_TENANTS, NULL,
		    NULL, NULL);
		cmd(3, (const char *[]){ "SADD", name, tenant });
		free(name);
		name = pw_schema_key_new(prefix, PW_SCHEMA_TENANT, tenant,
		    NULL, NULL);
		cmd(6, (const char *[]){ "HSET", name, "created", now,
		    "dkim_version", "1" });
		free(name);
		name = pw_schema_key_new(prefix, PW_SCHEMA_DOMAIN_DIR, NULL,
		    domain, NULL);
		cmd(4, (const char *[]){ "HSET", name, "tenant", tenant });
		free(name);
		name = pw_schema_key_new(prefix, PW_SCHEMA_DOMAINS, tenant,
		    NULL, NULL);
		cmd(4, (const char *[]){ "HSET", name, domain, "exact" });
		free(name);
		name = pw_schema_key_new(prefix, PW_SCHEMA_DOMAIN, tenant,
		    domain, NULL);
		cmd(8, (const char *[]){ "HSET", name, "created", now,
		    "subdomains", "no", "verified_selectors", verified });
		free(name);
		for (i = 0; i < nkeys; i++) {
			const char *ctx[3] = { tenant, domain,
			    keys[i].selector };

			pw_buf_reset(&sealed);
			if (pw_seal(&kek, ctx, 3, keys[i].der,
			    (size_t)keys[i].derlen, &sealed, &why) < 0)
				die("seal: %s", why);
			snprintf(bits, sizeof(bits), "%d",
			    keys[i].alg == PW_DKIM_RSA_SHA256 ?
			    keys[i].bits : 256);
			name = pw_schema_key_new(prefix, PW_SCHEMA_DKIM_KEY,
			    tenant, domain, keys[i].selector);
			n = 0;
			a[n++] = "HSET";
			a[n++] = name;
			a[n++] = "algorithm";
			a[n++] = keys[i].alg == PW_DKIM_RSA_SHA256 ? "rsa" :
			    "ed25519";
			a[n++] = "bits";
			a[n++] = bits;
			a[n++] = "state";
			a[n++] = "active";
			a[n++] = "created";
			a[n++] = now;
			a[n++] = "activated";
			a[n++] = now;
			a[n++] = "keep_published_until";
			a[n++] = "0";
			a[n++] = "public";
			a[n++] = keys[i].txt.data;
			a[n++] = "sealed";
			a[n++] = sealed.data;
			cmd(n, a);
			free(name);
			name = pw_schema_key_new(prefix,
			    PW_SCHEMA_DKIM_SELECTORS, tenant, domain, NULL);
			cmd(4, (const char *[]){ "HSET", name,
			    keys[i].selector, "active" });
			free(name);
		}
	}
	for (i = 0; i < nkeys; i++) {
		OPENSSL_clear_free(keys[i].der, (size_t)keys[i].derlen);
		pw_buf_free(&keys[i].txt);
		free(keys[i].selector);
	}
	pw_buf_free(&sealed);
	pw_seal_kek_wipe(&kek);
	return fflush(stdout) == 0 ? 0 : 1;
}
