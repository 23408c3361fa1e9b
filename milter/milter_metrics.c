/*
 * milter_metrics.c -- postwarden-milter's metrics (placeholder until
 * lib/metrics lands).
 */
#include "config.h"

#include "milter_metrics.h"
#include "xmalloc.h"

char *
milter_metrics_render(void)
{
	return pw_xstrdup("");
}
