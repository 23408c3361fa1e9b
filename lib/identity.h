/*
 * identity.h -- who is sending: (SASL user, client address, sender) ->
 * (key, tenant).  The one implementation both daemons use, so that they
 * can never disagree.
 *
 * Order of precedence:
 *   1. SASL user name (Postfix sasl_username / milter {auth_authen}): it is
 *      the API key id; its tenant is read from Redis, hash <prefix>key:<id>
 *      field "tenant" (pw_identity_key_argv / pw_identity_key_reply).
 *   2. Client address in identity_network_table (CIDR -> tenant), most
 *      specific prefix first.
 *   3. Sender domain in identity_sender_table (domain -> tenant); an entry
 *      ".example.com" also matches every subdomain of example.com.
 *   4. Nobody: inbound mail, which both daemons leave alone.
 *
 * Tables are files of "key value" lines with "#" comments, loaded whole at
 * start and on SIGHUP; a table is immutable once loaded and may be shared
 * by threads.  Key ids and tenant names are restricted to characters that
 * are safe in Redis keys, hash tags, log lines and SMTP replies.
 */
#ifndef PW_IDENTITY_H
#define PW_IDENTITY_H

#include <stddef.h>

#include <hiredis/hiredis.h>

#define PW_IDENTITY_KEY_MAX	128
#define PW_IDENTITY_TENANT_MAX	64

enum pw_identity_source {
	PW_IDENTITY_NONE = 0,	/* not ours: leave the mail alone */
	PW_IDENTITY_SASL,	/* authenticated with an API key */
	PW_IDENTITY_NETWORK,	/* client address mapped to a tenant */
	PW_IDENTITY_SENDER,	/* sender domain mapped to a tenant */
};

/* What resolving an identity came to. */
enum pw_identity_result {
	PW_IDENTITY_OK = 0,		/* resolved (maybe to nobody) */
	PW_IDENTITY_INVALID_KEY,	/* a SASL user name that is no key id */
	PW_IDENTITY_UNKNOWN_KEY,	/* a valid key id without a record */
	PW_IDENTITY_FAILED,		/* Redis error or bad reply: why_r */
};

struct pw_identity {
	enum pw_identity_source	source;
	char	key[PW_IDENTITY_KEY_MAX + 1];		/* "" unless SASL */
	char	tenant[PW_IDENTITY_TENANT_MAX + 1];	/* "" until known */
};

struct pw_identity_tables;

/*
 * Load the tables (either path may be NULL or empty).  0 on success; -1
 * with "path:line: what is wrong" in err.
 */
int	pw_identity_tables_load(const char *network_path,
	    const char *sender_path, struct pw_identity_tables **tables_r,
	    char *err, size_t errsize);
void	pw_identity_tables_free(struct pw_identity_tables **tables);

/*
 * Resolve without Redis.  PW_IDENTITY_OK with *id filled in; for SASL
 * identities id->tenant is still empty and must be looked up.
 * PW_IDENTITY_INVALID_KEY with a static reason in *why_r when the SASL
 * user name is not a valid key id (the caller refuses the mail).  Any
 * argument may be NULL.
 */
enum pw_identity_result pw_identity_resolve(const struct pw_identity_tables *tables,
	    const char *sasl_username, const char *client_address,
	    const char *sender, struct pw_identity *id, const char **why_r);

/* The Redis command that reads a key's tenant: HGET <prefix>key:<id> tenant */
#define PW_IDENTITY_KEY_ARGC	3
void	pw_identity_key_argv(const char *prefix, const struct pw_identity *id,
	    char *keybuf, size_t keybufsize,
	    const char *argv[PW_IDENTITY_KEY_ARGC],
	    size_t argvlen[PW_IDENTITY_KEY_ARGC]);
/*
 * Take that command's reply: PW_IDENTITY_OK and id->tenant set;
 * PW_IDENTITY_UNKNOWN_KEY when the key is not known; PW_IDENTITY_FAILED
 * with a static reason in *why_r for no reply, an error or a malformed
 * one.
 */
enum pw_identity_result pw_identity_key_reply(const redisReply *reply, struct pw_identity *id,
	    const char **why_r);

/* Validity checks, also used by the CLI. */
int	pw_identity_valid_key(const char *s, size_t len);
int	pw_identity_valid_tenant(const char *s, size_t len);

const char *pw_identity_source_name(enum pw_identity_source source);

#endif
