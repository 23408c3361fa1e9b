# tests/harness/dns.sh -- a private DNS server for the shell tests, on top
# of tests/harness/harness.sh (sourced after it).
#
# Debian's unbound, run in the foreground as the test's own process on
# 127.0.0.1:$PW_DNS_PORT (UDP and TCP), with its config, log and pid file
# in $PW_TMP/dns-server.  It answers only from the records the test gives
# it: every zone the test declares is a "static" local zone (a name
# without records is NXDOMAIN, a name without records of the asked type
# NODATA) and everything else is REFUSED ("." refuse), so no query ever
# leaves the machine.  The harness stops it by pid like everything else.
#
# Records file, one per line ("#" comments and blank lines ignored):
#   zone example.test                       a static zone
#   example.test. TXT "v=spf1 -all"         a record (zone-file syntax,
#                                           unbound's local-data; no "'")
#
# API (one line each; details above each function):
#   pw_dns_start FILE     start unbound with FILE's records, or restart it
#                         with them (same port); exports PW_DNS_SERVER
#                         (127.0.0.1@PORT, what dns_resolver takes)
#   pw_dns_stop           stop it (a test of "DNS down")
#   pw_dns_txt NAME VALUE print a TXT record line, VALUE cut into strings
#                         of at most 255 bytes
#
# Needs: unbound (skips the test without it).

command -v unbound >/dev/null 2>&1 ||
    [ -x /usr/sbin/unbound ] || pw_skip_all "unbound not installed"

# pw_dns_start FILE: (re)start the private unbound with FILE's records.
# Waits until it serves; bails out if it does not.
pw_dns_start() {
	local file=$1 dir=$PW_TMP/dns-server line
	pw__stop_pid dns 5
	mkdir -p "$dir" || pw_bail "mkdir $dir"
	if [ -z "${PW_DNS_PORT:-}" ]; then
		PW_DNS_PORT=$(pw_free_port) || pw_bail "cannot pick a port"
	fi
	{
		cat <<EOF
server:
	interface: 127.0.0.1@$PW_DNS_PORT
	port: $PW_DNS_PORT
	do-ip6: no
	do-daemonize: no
	username: ""
	chroot: ""
	directory: "$dir"
	pidfile: "$dir/unbound.pid"
	use-syslog: no
	logfile: ""
	verbosity: 1
	module-config: "iterator"
	access-control: 127.0.0.0/8 allow
	local-zone: "." refuse
EOF
		while IFS= read -r line; do
			case $line in
			''|'#'*) ;;
			'zone '*) printf '\tlocal-zone: "%s." static\n' \
			    "${line#zone }" ;;
			*) printf "\tlocal-data: '%s'\n" "$line" ;;
			esac
		done <"$file"
		printf 'remote-control:\n\tcontrol-enable: no\n'
	} >"$dir/unbound.conf"
	: >"$dir/unbound.log"
	/usr/sbin/unbound -d -c "$dir/unbound.conf" >>"$dir/unbound.log" 2>&1 &
	pw__record dns $!
	PW_DNS_SERVER=127.0.0.1@$PW_DNS_PORT
	export PW_DNS_SERVER PW_DNS_PORT
	if ! pw_wait_log "$dir/unbound.log" 'start of service' 10; then
		pw_diag_file "$dir/unbound.log"
		pw_bail "unbound did not start"
	fi
}

# pw_dns_stop: stop the private unbound (its port then answers nothing).
pw_dns_stop() {
	pw__stop_pid dns 5
}

# pw_dns_txt NAME VALUE: print "NAME. TXT "..." "..."" for a records
# file, VALUE in strings of at most 255 bytes (long DKIM keys need two).
pw_dns_txt() {
	local name=$1 v=$2 out=
	while [ ${#v} -gt 255 ]; do
		out="$out \"${v:0:255}\""
		v=${v:255}
	done
	printf '%s. TXT%s "%s"\n' "$name" "$out" "$v"
}
