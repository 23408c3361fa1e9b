/*
 * milter_metrics.h -- postwarden-milter's metrics (GET /metrics).
 */
#ifndef PW_MILTER_METRICS_H
#define PW_MILTER_METRICS_H

/* The Prometheus text of every metric, to free(). */
char	*milter_metrics_render(void);

#endif
