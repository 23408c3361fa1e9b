#!/bin/bash
# tests/dkim/verify.sh -- signatures made by lib/dkim_sign.c (through the
# tests/dkim/dkim_signmsg helper) checked by independent verifiers:
# python3-dkim (dkimpy) for every algorithm x canonicalization, and
# Mail::DKIM for rsa-sha256 (Debian 12's Mail::DKIM has no ed25519), and
# OpenDKIM's test mode for every algorithm x canonicalization.
# Keys and DNS records are made with the openssl command, not with our
# code.  Dual signatures must both verify; a message altered after
# signing must fail; a body fed in different chunk splits must give the
# same signature.

. "$PW_SRCDIR/tests/harness/harness.sh"
. "$PW_SRCDIR/tests/harness/dkim.sh"

PY=/usr/bin/python3
SIGN=$PW_BUILDDIR/tests/dkim/dkim_signmsg
VPY=$PW_SRCDIR/tests/dkim/verify.py
VPL=$PW_SRCDIR/tests/dkim/verify.pl
[ -x "$SIGN" ] || pw_skip_all "$SIGN not built"
# dkimpy always; Mail::DKIM and OpenDKIM's test mode (-t with
# TestPublicKeys: the only one here besides dkimpy that implements
# ed25519-sha256) where installed.
pw_dkim_require rsa ed25519

pw_harness_init
pw_plan 45
T=$PW_TMP

# --- keys and their DNS records, by openssl ------------------------------------

# (dkim_signmsg takes the keys on its command line: the keytable the
# harness writes too is not read.)
pw_dkim_key rsa example.com rs rsa
pw_dkim_key rsa1024 example.com r1 rsa 1024
pw_dkim_key ed example.com ed ed25519
RSA=example.com:rs:rsa:$T/keys/rsa.pem
RSA1024=example.com:r1:rsa:$T/keys/rsa1024.pem
ED=example.com:ed:ed25519:$T/keys/ed.pem

# --- a message with the awkward parts -------------------------------------------

{
	printf 'From: Sender <sender@example.com>\n'
	printf 'To: Rcpt <rcpt@remote.example>,\n\tOther <other@remote.example>\n'
	printf 'Subject:   Hello\t  there  \n'
	printf 'Date: Fri, 27 Nov 2026 04:00:00 +0000\n'
	printf 'Message-ID: <verify.%s@example.com>\n' "$$"
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: text/plain; charset=utf-8\n'
	printf 'X-Not-Signed: whatever\n'
	printf '\n'
	printf 'first line\n'
	printf 'trailing white space \t \n'
	printf '  leading and  inner   runs\n'
	printf ' \t \n'
	printf '8-bit: caf\303\251 \377\n'
	printf '%s\n' "$(head -c 5000 /dev/zero | tr '\0' 'x')"
	printf '\n\n\n'
} >"$T/msg.eml"
# The same with one space after each colon (for OpenDKIM's test mode).
sed 's/^Subject:   Hello/Subject: Hello/' "$T/msg.eml" >"$T/msg1sp.eml"
# The same body without its final line break.
head -c -4 "$T/msg.eml" >"$T/noeol.eml"

verify_py() { "$PY" "$VPY" "$1" "$T/dns" >"$1.py" 2>&1; }
verify_pl() { perl "$VPL" "$1" "$T/dns" >"$1.pl" 2>&1; }
# OpenDKIM: every signature of the message passes (its
# Authentication-Results has one dkim=pass per DKIM-Signature, no fail).
verify_od() {
	local sigs pass
	opendkim -x "$T/od.conf" -vvv -t "$1" >"$1.od" 2>&1
	sigs=$(sed '/^\r*$/q' "$1" | grep -c '^DKIM-Signature:')
	pass=$(grep -o 'dkim=[a-z]*' "$1.od" | grep -c 'dkim=pass')
	[ "$sigs" -gt 0 ] && [ "$pass" = "$sigs" ] &&
	    ! grep -q 'dkim=fail\|dkim=neutral\|dkim=permerror' "$1.od"
}
# OpenDKIM: no signature passes.
verify_od_fails() {
	opendkim -x "$T/od.conf" -vvv -t "$1" >"$1.od" 2>&1
	grep -q 'dkim=' "$1.od" && ! grep -q 'dkim=pass' "$1.od"
}
check_od() {	# NAME FILE
	if [ "$PW_DKIM_OD" = 0 ]; then
		pw_ok "$1: OpenDKIM # SKIP opendkim not installed"
	elif verify_od "$2"; then
		pw_ok "$1: OpenDKIM verifies ($(grep -o 'dkim=[a-z]*[^;]*header.a=[a-z0-9-]*' "$2.od" | sed 's/ (.*)//; s/header.d=[^ ]* //' | tr '\n' ' '))"
	else
		pw_not_ok "$1: OpenDKIM verifies" "$(grep -v 'returned SMFIS' "$2.od")"
	fi
}

# check NAME FILE: both verifiers pass (Mail::DKIM only for rsa).
check_pass() {
	local name=$1 f=$2
	if verify_py "$f"; then
		pw_ok "$name: python3-dkim verifies ($(tr '\n' ' ' <"$f.py"))"
	else
		pw_not_ok "$name: python3-dkim verifies" "$(cat "$f.py")
$(head -c 1500 "$f")"
	fi
	if [ "$3" = rsa ]; then
		if [ "$PW_DKIM_PERL" = 0 ]; then
			pw_ok "$name: Mail::DKIM # SKIP libmail-dkim-perl not installed"
		elif verify_pl "$f"; then
			pw_ok "$name: Mail::DKIM verifies ($(tr '\n' ' ' <"$f.pl"))"
		else
			pw_not_ok "$name: Mail::DKIM verifies" "$(cat "$f.pl")"
		fi
	fi
}

# --- every algorithm x canonicalization -----------------------------------------------

n=0
for c in simple/simple simple/relaxed relaxed/simple relaxed/relaxed; do
	for alg in rsa ed25519; do
		n=$((n + 1))
		key=$RSA
		[ "$alg" = ed25519 ] && key=$ED
		if "$SIGN" -c "$c" -o From -s "$n" -k "$key" \
		    <"$T/msg.eml" >"$T/s$n.eml" 2>"$T/s$n.err"; then
			check_pass "$alg $c" "$T/s$n.eml" "$alg"
			if [ "${c%/*}" = relaxed ]; then
				check_od "$alg $c" "$T/s$n.eml"
			else
				# opendkim -t re-spaces header fields as an MTA
				# without SMFIP_HDR_LEADSPC would: one space.
				"$SIGN" -c "$c" -o From -k "$key" \
				    <"$T/msg1sp.eml" >"$T/s$n-1sp.eml" ||
				    pw_bail "signing msg1sp failed"
				check_od "$alg $c (one space after colons)" \
				    "$T/s$n-1sp.eml"
			fi
		else
			pw_not_ok "$alg $c: signed" "$(cat "$T/s$n.err")"
		fi
	done
done

# A body without a final line break, both canonicalizations, and a
# 1024-bit key.  Simple adds the CRLF (RFC 6376 3.4.3); Mail::DKIM does
# not, so only dkimpy judges simple here (Postfix always ends a message
# with CRLF, so the milter never meets this case).
for c in simple/simple relaxed/relaxed; do
	"$SIGN" -c "$c" -k "$RSA1024" <"$T/noeol.eml" >"$T/noeol-${c%/*}.eml" ||
	    pw_bail "signing failed"
	v=rsa
	[ "$c" = simple/simple ] && v=
	check_pass "no final CRLF, rsa 1024 $c" "$T/noeol-${c%/*}.eml" $v
done

# --- dual signatures ----------------------------------------------------------------

"$SIGN" -c relaxed/relaxed -o From,Subject -k "$RSA" -k "$ED" \
    <"$T/msg.eml" >"$T/dual.eml" || pw_bail "dual signing failed"
if verify_py "$T/dual.eml" && [ "$(grep -c ' pass$' "$T/dual.eml.py")" = 2 ] &&
    grep -q 'a=rsa-sha256 pass' "$T/dual.eml.py" &&
    grep -q 'a=ed25519-sha256 pass' "$T/dual.eml.py"; then
	pw_ok "dual rsa + ed25519: both signatures verify (python3-dkim)"
else
	pw_not_ok "dual rsa + ed25519: both signatures verify (python3-dkim)" \
	    "$(cat "$T/dual.eml.py")"
fi
if [ "$PW_DKIM_PERL" = 0 ]; then
	pw_ok "dual: Mail::DKIM # SKIP libmail-dkim-perl not installed"
elif verify_pl "$T/dual.eml" && grep -q 'a=rsa-sha256 pass' "$T/dual.eml.pl"; then
	pw_ok "dual: Mail::DKIM verifies the rsa-sha256 one"
else
	pw_not_ok "dual: Mail::DKIM verifies the rsa-sha256 one" \
	    "$(cat "$T/dual.eml.pl")"
fi
check_od "dual rsa + ed25519" "$T/dual.eml"
pw_is "dual: two DKIM-Signature fields on top" \
    "$(head -c 2000 "$T/dual.eml" | grep -c '^DKIM-Signature:')" 2

# --- altered after signing: must fail ---------------------------------------------

must_fail() {	# NAME FILE
	if verify_py "$2"; then
		pw_not_ok "$1: python3-dkim rejects it" "$(cat "$2.py")"
	else
		pw_ok "$1: python3-dkim rejects it"
	fi
	if [ "$PW_DKIM_PERL" = 0 ]; then
		pw_ok "$1: Mail::DKIM # SKIP libmail-dkim-perl not installed"
	elif verify_pl "$2"; then
		pw_not_ok "$1: Mail::DKIM rejects it" "$(cat "$2.pl")"
	else
		pw_ok "$1: Mail::DKIM rejects it"
	fi
	if [ "$PW_DKIM_OD" = 0 ]; then
		pw_ok "$1: OpenDKIM # SKIP opendkim not installed"
	elif verify_od_fails "$2"; then
		pw_ok "$1: OpenDKIM rejects it"
	else
		pw_not_ok "$1: OpenDKIM rejects it" "$(grep -v 'returned SMFIS' "$2.od")"
	fi
}
sed 's/^first line/First line/' "$T/dual.eml" >"$T/alt-body.eml"
must_fail "one body byte changed" "$T/alt-body.eml"
sed 's/^Subject: .*Hello/Subject: Goodbye/' "$T/dual.eml" >"$T/alt-subj.eml"
must_fail "Subject changed" "$T/alt-subj.eml"
# A second From added below the signed one: oversigning makes it count.
sed 's/^\(MIME-Version: 1.0\)/\1\r\nFrom: Evil <evil@example.net>/' \
    "$T/dual.eml" >"$T/alt-from.eml"
must_fail "From added (oversigned)" "$T/alt-from.eml"
sed 's/^\(MIME-Version: 1.0\)/\1\r\nX-Later: harmless/' \
    "$T/dual.eml" >"$T/add-other.eml"
check_pass "a header that is not signed added later" "$T/add-other.eml" rsa

# --- a header the milter adds is covered -------------------------------------------

# dkim_signmsg -a: what the milter does for fields it adds at the bottom.
{ sed '/^$/,$d' "$T/msg.eml"; printf 'X-Tracking: t-123\n\n'
  sed '1,/^$/d' "$T/msg.eml"; } >"$T/added.eml"
"$SIGN" -c relaxed/relaxed -a X-Tracking -k "$RSA" <"$T/added.eml" \
    >"$T/added-s.eml" || pw_bail "signing with -a failed"
if grep -q 'X-Tracking' <(sed -n '/^DKIM-Signature:/,/b=/p' "$T/added-s.eml"); then
	pw_ok "an added field is listed in h="
else
	pw_not_ok "an added field is listed in h=" "$(head -n 8 "$T/added-s.eml")"
fi
sed 's/^X-Tracking: t-123/X-Tracking: t-999/' "$T/added-s.eml" \
    >"$T/added-alt.eml"
must_fail "the added field changed" "$T/added-alt.eml"

# --- the split does not matter ---------------------------------------------------

same=1
for seed in 2 3 4 5 6; do
	"$SIGN" -c relaxed/simple -t 1700000000 -s $seed -k "$RSA" -k "$ED" \
	    <"$T/msg.eml" >"$T/seed$seed.eml" || same=0
	cmp -s "$T/seed2.eml" "$T/seed$seed.eml" || same=0
done
pw_is "five chunk splits of the body: identical signatures" "$same" 1

# --- a large message --------------------------------------------------------------

{
	head -n 10 "$T/msg.eml"
	for _ in $(seq 2000); do
		printf '%s  \t\n' "$(head -c 1000 /dev/zero | tr '\0' 'y')"
	done
	printf '\n'
} >"$T/large.eml"
"$SIGN" -c relaxed/relaxed -k "$RSA" -k "$ED" <"$T/large.eml" \
    >"$T/large-s.eml" || pw_bail "signing the large message failed"
check_pass "2 MB message, dual" "$T/large-s.eml" rsa
