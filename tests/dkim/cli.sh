#!/bin/bash
# tests/dkim/cli.sh -- `postwarden dkim keygen|txt`: key files made with
# mode 0600 whatever the umask, never over an existing file; the printed
# TXT record is the one openssl derives from the key; a generated key
# signs mail that python3-dkim verifies with the printed record; bad
# command lines exit 64.

. "$PW_SRCDIR/tests/harness/harness.sh"

CLI=$PW_BUILDDIR/cli/postwarden
SIGN=$PW_BUILDDIR/tests/dkim/dkim_signmsg
PY=/usr/bin/python3
[ -x "$CLI" ] || pw_skip_all "$CLI not built"
[ -x "$SIGN" ] || pw_skip_all "$SIGN not built"
"$PY" -c 'import dkim, nacl' 2>/dev/null ||
    pw_skip_all "python3-dkim or python3-nacl not installed"
command -v openssl >/dev/null || pw_skip_all "openssl not installed"
pw_harness_init
pw_plan 13
T=$PW_TMP
cd "$T" || pw_bail "cd $T"

for alg in rsa ed25519; do
	out=$( (umask 0; "$CLI" dkim keygen --domain Example.com \
	    --selector "s-$alg" --algorithm "$alg") 2>"$T/err")
	rc=$?
	f=$T/s-$alg.Example.com.pem
	pw_is "keygen $alg: exit 0" "$rc" 0
	pw_is "keygen $alg: mode 0600 with umask 0" \
	    "$(stat -c %a "$f" 2>/dev/null)" 600
	if [ "$alg" = rsa ]; then
		want="v=DKIM1; k=rsa; p=$(openssl pkey -in "$f" -pubout \
		    -outform DER 2>/dev/null | base64 -w0)"
		bits=$(openssl pkey -in "$f" -text -noout 2>/dev/null |
		    sed -n 's/.*Private-Key: (\([0-9]*\) bit.*/\1/p')
		pw_is "keygen rsa: 2048 bits by default" "$bits" 2048
	else
		want="v=DKIM1; k=ed25519; p=$(openssl pkey -in "$f" -pubout \
		    -outform DER 2>/dev/null | tail -c 32 | base64 -w0)"
	fi
	# Zone-file form: the strings joined give the record.
	got=$(printf '%s\n' "$out" | sed -n \
	    "s/^s-$alg\._domainkey\.Example\.com\. IN TXT ( \(.*\) )\$/\1/p" |
	    sed 's/" "//g; s/^"//; s/"$//')
	pw_is "keygen $alg: prints the record openssl derives" "$got" "$want"
	echo "s-$alg._domainkey.example.com $("$CLI" dkim txt "$f")" \
	    >>"$T/dns"
	printf 'From: a@example.com\nSubject: cli\n\nbody\n' |
	    "$SIGN" -k "example.com:s-$alg:$alg:$f" >"$T/signed-$alg.eml" ||
	    pw_bail "signing with the generated key failed"
	"$PY" "$PW_SRCDIR/tests/dkim/verify.py" "$T/signed-$alg.eml" \
	    "$T/dns" >"$T/verify-$alg.out" 2>&1
	pw_is "txt $alg: the record verifies mail signed with the key" "$?" 0
done

before=$(md5sum <"$T/s-rsa.Example.com.pem")
"$CLI" dkim keygen --domain Example.com --selector s-rsa --algorithm rsa \
    >/dev/null 2>"$T/err"
rc=$?
if [ "$rc" = 2 ] && grep -q 'not overwriting' "$T/err" &&
    [ "$(md5sum <"$T/s-rsa.Example.com.pem")" = "$before" ]; then
	pw_ok "keygen never overwrites a key file"
else
	pw_not_ok "keygen never overwrites a key file" "rc=$rc $(cat "$T/err")"
fi
"$CLI" dkim keygen --domain example.com --selector x --algorithm dsa \
    >/dev/null 2>&1
pw_is "keygen: a bad algorithm exits 64" "$?" 64
"$CLI" dkim keygen --domain example.com --selector x --algorithm rsa \
    --bits 512 >/dev/null 2>&1
pw_is "keygen: 512-bit RSA refused (64)" "$?" 64
"$CLI" dkim txt "$T/missing.pem" >/dev/null 2>"$T/err"
rc=$?
if [ "$rc" = 2 ] && grep -q 'missing.pem: cannot open' "$T/err"; then
	pw_ok "txt: a missing file exits 2 with the reason"
else
	pw_not_ok "txt: a missing file exits 2 with the reason" \
	    "rc=$rc $(cat "$T/err")"
fi
