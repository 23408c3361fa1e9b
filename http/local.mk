# http/ -- the HTTP service (evhttp) built into postwarden-policyd: it
# shares that daemon's event loop, Redis connection and reload.

policyd_postwarden_policyd_SOURCES += \
	http/http_form.c http/http_form.h \
	http/http_health.c http/http_health.h \
	http/http_metrics.c http/http_metrics.h \
	http/http_server.c http/http_server.h \
	http/http_unsub.c http/http_unsub.h
policyd_postwarden_policyd_CPPFLAGS += -I$(top_srcdir)/http
EXTRA_DIST += http/README.md
