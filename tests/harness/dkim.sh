# tests/harness/dkim.sh -- DKIM keys, tables and DNS records for the
# shell tests, on top of tests/harness/harness.sh (sourced after it).
#
# Every test that signs or verifies did the same steps by hand: check the
# verifiers, make keys with the openssl command (never with our code, so a
# bug in lib/dkim_keys.c cannot hide itself), give them to the milter's
# user with mode 0600, and write the milter's tables and the TXT records
# the independent verifiers read.  They live here once.
#
# Files, all under $PW_TMP (pw_harness_init must have run):
#   keys/NAME.pem   the private key, mode 0600, owned by nobody when we
#                   are root: the milter reads it as root at start and as
#                   nobody on SIGHUP, and refuses a group- or
#                   world-readable one
#   keytable        dkim_key_table: "NAME DOMAIN SELECTOR ALG FILE" lines
#   signingtable    dkim_signing_table: "DOMAIN|tenant:T NAME[,NAME]" lines
#   dns             "SELECTOR._domainkey.DOMAIN v=DKIM1; ..." lines, read by
#                   tests/dkim/verify.py and verify.pl
#   od.conf         opendkim -x config reading dns (TestPublicKeys), for
#                   OpenDKIM's test mode: opendkim -x od.conf -t FILE
#
# API (one line each; details above each function):
#   pw_dkim_require ALG...          skip unless openssl and python3-dkim
#                                   (python3-nacl for ed25519) are there;
#                                   sets PW_DKIM_PERL, PW_DKIM_OD to 0|1
#   pw_dkim_key NAME DOMAIN SELECTOR rsa|ed25519 [BITS]
#                                   a key, its keytable line, its record
#   pw_dkim_sign DOMAIN NAME[,NAME] a signingtable line
#
# Failures: a key openssl cannot make ends the test with "Bail out!".

PW_DKIM_PERL=0		# Mail::DKIM::Verifier is installed
PW_DKIM_OD=0		# opendkim is installed (its test mode verifies)

# pw_dkim_require ALG...: skip the test unless python3-dkim (and, if an
# ALG is ed25519, python3-nacl) and the openssl command are installed.
# The other verifiers are optional: PW_DKIM_PERL and PW_DKIM_OD say
# whether Mail::DKIM and opendkim are there (a test skips their cases).
pw_dkim_require() {
	local alg mods=dkim what=python3-dkim
	for alg in "$@"; do
		if [ "$alg" = ed25519 ]; then
			mods="dkim, nacl"
			what="python3-dkim or python3-nacl"
		fi
	done
	"$PW_PYTHON" -c "import $mods" 2>/dev/null ||
	    pw_skip_all "$what not installed"
	command -v openssl >/dev/null || pw_skip_all "openssl not installed"
	PW_DKIM_PERL=0
	perl -MMail::DKIM::Verifier -e 1 2>/dev/null && PW_DKIM_PERL=1
	PW_DKIM_OD=0
	command -v opendkim >/dev/null && PW_DKIM_OD=1
	return 0
}

# pw_dkim_key NAME DOMAIN SELECTOR rsa|ed25519 [BITS]: make
# $PW_TMP/keys/NAME.pem (RSA of BITS, default 2048), mode 0600, owned by
# nobody when we are root; append its line to $PW_TMP/keytable and its
# TXT record (p= the DER public key; for ed25519 the raw 32 bytes at its
# end) to $PW_TMP/dns; (re)write $PW_TMP/od.conf.  Bails out on failure.
pw_dkim_key() {
	local name=$1 domain=$2 sel=$3 alg=$4 bits=${5:-2048}
	local f=$PW_TMP/keys/$1.pem p

	mkdir -p "$PW_TMP/keys" || pw_bail "mkdir $PW_TMP/keys"
	case $alg in
	rsa)	openssl genpkey -algorithm RSA \
		    -pkeyopt "rsa_keygen_bits:$bits" -out "$f" 2>/dev/null &&
		    p=$(openssl pkey -in "$f" -pubout -outform DER \
		    2>/dev/null | base64 -w0) ;;
	ed25519) openssl genpkey -algorithm ED25519 -out "$f" 2>/dev/null &&
		    p=$(openssl pkey -in "$f" -pubout -outform DER \
		    2>/dev/null | tail -c 32 | base64 -w0) ;;
	*)	pw_bail "pw_dkim_key $name: algorithm '$alg'" ;;
	esac
	[ -n "$p" ] || pw_bail "openssl: $alg key $name"
	chmod 0600 "$f" || pw_bail "chmod $f"
	if [ "$(id -u)" = 0 ]; then
		chown nobody "$f" || pw_bail "chown nobody $f"
	fi
	echo "$name $domain $sel $alg $f" >>"$PW_TMP/keytable"
	echo "$sel._domainkey.$domain v=DKIM1; k=$alg; p=$p" >>"$PW_TMP/dns"
	printf 'Mode v\nSyslog no\nTestPublicKeys %s\nAlwaysAddARHeader yes\n' \
	    "$PW_TMP/dns" >"$PW_TMP/od.conf"
}

# pw_dkim_sign DOMAIN NAME[,NAME]: DOMAIN (or tenant:T) signs with the
# keys NAME... of pw_dkim_key: append that line to $PW_TMP/signingtable.
pw_dkim_sign() {
	echo "$1 $2" >>"$PW_TMP/signingtable"
}
