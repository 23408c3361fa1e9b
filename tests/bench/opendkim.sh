# tests/bench/opendkim.sh -- start Debian's opendkim as the reference
# signer of the benchmarks, configured like postwarden-milter's default:
# the same RSA key, relaxed/relaxed, From oversigned.  Sourced by
# milter_bench.sh and stack_bench.sh after tests/harness/harness.sh.
#
#   bench_opendkim_start KEYFILE DOMAIN SELECTOR   (socket: $T/od/opendkim.sock)

bench_opendkim_start() {
	local key=$1 domain=$2 selector=$3
	mkdir -p "$T/od"
	cat >"$T/opendkim.conf" <<CONF
Syslog			no
LogWhy			no
UMask			000
Mode			s
Canonicalization	relaxed/relaxed
SignatureAlgorithm	rsa-sha256
Domain			$domain
Selector		$selector
KeyFile			$key
InternalHosts		127.0.0.0/8
Socket			local:$T/od/opendkim.sock
PidFile			$T/od/opendkim.pid
UserID			nobody
OversignHeaders		From
# The keys live under /tmp, which OpenDKIM would refuse as unsafe.
RequireSafeKeys		false
CONF
	# OpenDKIM creates its socket after becoming nobody.
	chown nobody "$T/od"
	opendkim -f -x "$T/opendkim.conf" >"$T/opendkim.log" 2>&1 &
	pw__record opendkim $!
	pw_wait_until "opendkim" 10 bench_opendkim_up "$!" \
	    "$T/od/opendkim.sock" || pw_bail "opendkim did not start"
}

bench_opendkim_up() {	# PID SOCKET
	pw__alive "$1" && pw__unix_accepts "$2"
}
