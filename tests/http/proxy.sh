#!/bin/bash
# tests/http/proxy.sh -- the TLS fronts of contrib/proxy/ are valid and
# work: contrib/proxy/nginx.conf, as shipped but for the port and the
# certificate, runs in front of the real postwarden-policyd (http_listen
# on loopback) and the RFC 8058 POST through it over HTTPS is recorded;
# other paths (/healthz) are not passed (404); contrib/proxy/Caddyfile
# passes `caddy validate`.  Each part skips without its server.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"

MAKE=$PW_BUILDDIR/tests/cli/track_make

[ "$(id -u)" -eq 0 ] || pw_skip_all "needs root (the daemon drops to nobody)"
command -v redis-server >/dev/null || pw_skip_all "redis-server not installed"
command -v curl >/dev/null || pw_skip_all "curl not installed"
command -v openssl >/dev/null || pw_skip_all "openssl not installed"
[ -x "$MAKE" ] || pw_skip_all "$MAKE not built"
pw_harness_init
pw_plan 5

# --- nginx ------------------------------------------------------------------------
if ! command -v nginx >/dev/null; then
	for i in 1 2 3 4; do pw_ok "# SKIP nginx not installed"; done
else
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$PW_TMP/front.key" -out "$PW_TMP/front.crt" -days 2 \
	    -subj /CN=front -addext subjectAltName=IP:127.0.0.1 2>/dev/null ||
	    pw_bail "openssl req"
	SECRET=$PW_TMP/tracking.secret
	pw_secret_file "$SECRET"
	PORT=$(pw_free_port)
	NPORT=$(pw_free_port)
	pw_redis_start
	pw_redis_cli HSET "pw:{acme}:tenant" status active >/dev/null
	pw_redis_cli SADD pw:tenants acme >/dev/null
	pw_daemon_start policyd "http_listen = inet:127.0.0.1:$PORT" \
	    "tracking_secret_file = $SECRET"
	mkdir -p "$PW_TMP/nginx"
	sed -e "s|listen 443 ssl;|listen 127.0.0.1:$NPORT ssl;|" \
	    -e '/listen \[::\]:443 ssl;/d' \
	    -e "s|127.0.0.1:8025|127.0.0.1:$PORT|" \
	    -e "s|ssl_certificate /.*;|ssl_certificate $PW_TMP/front.crt;|" \
	    -e "s|ssl_certificate_key /.*;|ssl_certificate_key $PW_TMP/front.key;|" \
	    "$PW_SRCDIR/contrib/proxy/nginx.conf" >"$PW_TMP/nginx/site.conf"
	cat >"$PW_TMP/nginx/nginx.conf" <<EOC
daemon off;
pid $PW_TMP/nginx/nginx.pid;
error_log $PW_TMP/nginx/error.log;
events {}
http {
	access_log off;
	client_body_temp_path $PW_TMP/nginx/body;
	proxy_temp_path $PW_TMP/nginx/proxy;
	fastcgi_temp_path $PW_TMP/nginx/fastcgi;
	uwsgi_temp_path $PW_TMP/nginx/uwsgi;
	scgi_temp_path $PW_TMP/nginx/scgi;
	include $PW_TMP/nginx/site.conf;
}
EOC
	pw_check "contrib/proxy/nginx.conf: nginx -t" \
	    nginx -q -t -c "$PW_TMP/nginx/nginx.conf"
	nginx -c "$PW_TMP/nginx/nginx.conf" 2>>"$PW_TMP/nginx/error.log" &
	pw__record nginx $!
	URL=https://127.0.0.1:$NPORT
	code() {
		curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
		    --cacert "$PW_TMP/front.crt" "$@"
	}
	T=$("$MAKE" "$SECRET" unsub acme reader1@remote.example news)
	pw_wait_until "nginx" "$PW_TIMEOUT" \
	    test "$(code "$URL/u/$T")" = 200 || pw_bail "nginx does not answer"
	pw_is "the one-click POST through nginx: 200" \
	    "$(code -d List-Unsubscribe=One-Click "$URL/u/$T")" 200
	pw_check "recorded" grep -q '^unsubscribe|one-click|' \
	    <<<"$(pw_redis_cli HGET "pw:{acme}:supp" reader1@remote.example)"
	pw_is "/healthz is not passed: 404" "$(code "$URL/healthz")" 404
fi

# --- Caddy ------------------------------------------------------------------------
if ! command -v caddy >/dev/null; then
	pw_ok "# SKIP caddy not installed"
else
	pw_check "contrib/proxy/Caddyfile: caddy validate" \
	    caddy validate --adapter caddyfile \
	    --config "$PW_SRCDIR/contrib/proxy/Caddyfile"
fi
