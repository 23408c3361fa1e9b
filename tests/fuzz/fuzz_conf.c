/*
 * fuzz_conf.c -- libFuzzer harness for the postwarden.conf parser.
 *
 * Any bytes must give either a configuration or an error naming a line;
 * a configuration must survive being printed.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pw_conf *conf = NULL;
	char err[PW_CONF_ERR_MAX];
	FILE *devnull;

	if (pw_conf_parse("fuzz.conf", (const char *)data, size, &conf, err,
	    sizeof(err)) == 0) {
		if ((devnull = fopen("/dev/null", "w")) != NULL) {
			pw_conf_dump(conf, devnull, false);
			fclose(devnull);
		}
		pw_conf_release(&conf);
	} else if (strncmp(err, "fuzz.conf:", 10) != 0) {
		__builtin_trap();	/* every parse error names file:line */
	}
	return 0;
}
