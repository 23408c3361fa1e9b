/*
 * cli_check.h -- what the files of `postwarden check` share: one
 * verdict per thing checked (cli_check.c prints them), the secret files
 * as the daemons' user reads them (cli_check_file.c), and a daemon's
 * /readyz fetched over loopback (cli_check_http.c).
 */
#ifndef PW_CLI_CHECK_H
#define PW_CLI_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

enum cli_check_status {
	CLI_CHECK_READY,
	CLI_CHECK_NOT_READY,
	CLI_CHECK_NOT_CONFIGURED,
};

/* One verdict: what was checked, where, and why not (or "ready"). */
struct cli_check_verdict {
	enum cli_check_status	status;
	char			detail[512];	/* one line per reason */
};

/*
 * Whether the secret file path (a setting of conf: what names it, as
 * "tracking_secret_file") loads as the daemons load it, as conf's user
 * (a child process that drops to that user when we are root; as
 * ourselves otherwise, which the detail says).  An empty path: not
 * configured.
 */
void	cli_check_file(const struct pw_conf *conf, const char *what,
	    const char *path, struct cli_check_verdict *v);

/*
 * GET /readyz of the HTTP endpoint ("inet:host:port", "unix:/path"; a
 * wildcard host is asked on loopback) within timeout_ms: READY on 200,
 * NOT_READY with the body's reasons on another status, or why no answer
 * came.
 */
void	cli_check_http(const char *endpoint, int timeout_ms,
	    struct cli_check_verdict *v);

#endif
