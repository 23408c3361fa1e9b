/*
 * cmdline.h -- the command line every postwarden daemon accepts:
 *
 *   -c FILE  configuration file (default $(sysconfdir)/postwarden/postwarden.conf)
 *   -f       stay in the foreground and log to stderr
 *   -n       check the configuration and what it names, then exit 0 or 1
 *   -V       print the version and exit
 *   -h       print usage and exit
 *
 * Exit status: 0 success, 1 runtime or configuration error, 64 (EX_USAGE)
 * bad command line.
 */
#ifndef PW_CMDLINE_H
#define PW_CMDLINE_H

#include <limits.h>
#include <stdbool.h>

struct pw_cmdline {
	const char	*conf_path;	/* absolute when the file exists */
	char		 conf_abs[PATH_MAX];
	bool		 foreground;
	bool		 check_only;
};

/* Parse argv; handles -h, -V and usage errors itself (they exit). */
void	pw_cmdline_parse(int argc, char **argv, const char *progname,
	    const char *summary, struct pw_cmdline *cmd);

#endif
