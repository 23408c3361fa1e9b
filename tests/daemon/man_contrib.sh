#!/bin/bash
# tests/daemon/man_contrib.sh -- contrib/ is the one source of the Postfix
# and socket lines an admin pastes; the manual pages show the same lines,
# and those lines fail closed.
#
#   - every Postfix main.cf setting in a manual page's examples is, word
#     for word, a setting of contrib/postfix/main.cf;
#   - every socket setting in a manual page's examples is the one of
#     contrib/postwarden.conf, and contrib/postfix/main.cf names the same
#     sockets (relative to the queue directory /var/spool/postfix), the
#     SMTP AUTH socket of their commented lines too (contrib/quickstart
#     uncomments them);
#   - contrib/postfix/main.cf fails closed: no fail-open default_action,
#     milter_default_action = tempfail, the policy service before any
#     permit_* restriction;
#   - the header tables drop what they say and keep the tracking id
#     (postmap -q, Postfix's own lookup).

. "$PW_SRCDIR/tests/harness/harness.sh"

command -v postconf >/dev/null || pw_skip_all "postconf (package postfix) not installed"
pw_harness_init
pw_plan 15

C=$PW_SRCDIR/contrib
# An empty Postfix configuration: postconf and postmap need one.
mkdir -p "$PW_TMP/pf"
: >"$PW_TMP/pf/main.cf"
: >"$PW_TMP/pf/master.cf"

# Logical lines of a main.cf-syntax text on stdin: comments dropped,
# continuation lines joined (an empty line ends one), white space runs
# made one space.
logical() {
	awk '
	/^[ \t]*#/ { next }
	/^[ \t]*$/ { if (cur != "") print cur; cur = ""; next }
	/^[ \t]/ { sub(/^[ \t]+/, ""); cur = cur " " $0; next }
	{ if (cur != "") print cur; cur = $0 }
	END { if (cur != "") print cur }' | sed -e 's/[ \t][ \t]*/ /g' -e 's/ $//'
}

# The literal example blocks of a manual page (.Bd -literal/.Ed and
# .nf/.fi), roff escapes undone, one block line per line.
man_examples() {
	awk '
	/^\.Bd -literal/ || /^\.nf/ { inb = 1; next }
	/^\.Ed/ || /^\.fi/ { inb = 0; print ""; next }
	inb && !/^\./ { print }' "$1" | sed -e 's/\\-/-/g' -e 's/\\\\/\\/g'
}

is_postfix_param() {
	postconf -c "$PW_TMP/pf" -d "$1" 2>/dev/null | grep -q "^$1 ="
}

logical <"$C/postfix/main.cf" >"$PW_TMP/contrib-main"
logical <"$C/postwarden.conf" >"$PW_TMP/contrib-conf"

# --- 1-5: the manual pages show contrib's lines ------------------------------------
postfix_lines=0
pw_lines=0
for page in "$PW_SRCDIR"/man/*.in; do
	name=$(basename "$page" .in)
	bad=
	badpw=
	while IFS= read -r line; do
		n=${line%% =*}
		[ "$n" != "$line" ] || continue
		case $n in *[!a-z0-9_]*|'') continue ;; esac
		if is_postfix_param "$n"; then
			postfix_lines=$((postfix_lines + 1))
			grep -qxF -- "$line" "$PW_TMP/contrib-main" ||
			    bad="$bad
  $line"
		fi
		case $n in
		policyd_listen|milter_socket|socket_group|socket_mode)
			pw_lines=$((pw_lines + 1))
			grep -qxF -- "$line" "$PW_TMP/contrib-conf" ||
			    badpw="$badpw
  $line" ;;
		esac
	done < <(man_examples "$page" | logical)
	if [ -z "$bad$badpw" ]; then
		pw_ok "$name: its Postfix and socket lines are contrib's"
	else
		pw_not_ok "$name: its Postfix and socket lines are contrib's" \
		    "not in contrib/postfix/main.cf:${bad:- none}
not in contrib/postwarden.conf:${badpw:- none}"
	fi
done
# The check above passes vacuously if no example is found.
if [ "$postfix_lines" -ge 10 ] && [ "$pw_lines" -ge 4 ]; then
	pw_ok "the pages' examples were read ($postfix_lines Postfix, $pw_lines socket lines)"
else
	pw_not_ok "the pages' examples were read" \
	    "$postfix_lines Postfix lines, $pw_lines socket lines"
fi

# --- 6: one set of socket names ---------------------------------------------------
pf_policy=$(grep -o 'check_policy_service { unix:[^ ,}]*' "$PW_TMP/contrib-main" |
    sed 's/.*unix://' | sort -u)
pf_milter=$(sed -n 's/^smtpd_milters = unix://p' "$PW_TMP/contrib-main")
conf_policy=$(sed -n 's|^policyd_listen = unix:/var/spool/postfix/||p' "$PW_TMP/contrib-conf")
conf_milter=$(sed -n 's|^milter_socket = unix:/var/spool/postfix/||p' "$PW_TMP/contrib-conf")
if [ -n "$pf_policy" ] && [ "$pf_policy" = "$conf_policy" ] &&
    [ -n "$pf_milter" ] && [ "$pf_milter" = "$conf_milter" ]; then
	pw_ok "main.cf and postwarden.conf name the same sockets ($pf_policy, $pf_milter)"
else
	pw_not_ok "main.cf and postwarden.conf name the same sockets" \
	    "main.cf: policy '$pf_policy' milter '$pf_milter'; postwarden.conf: '$conf_policy' '$conf_milter'"
fi

# The SMTP AUTH lines are commented in both files (an admin uncomments
# them once the pepper exists); they name one socket all the same.
pf_auth=$(sed -n 's/^#smtpd_sasl_path = //p' "$C/postfix/main.cf")
conf_auth=$(sed -n 's|^#auth_listen = unix:/var/spool/postfix/||p' "$C/postwarden.conf")
if [ -n "$pf_auth" ] && [ "$pf_auth" = "$conf_auth" ]; then
	pw_ok "main.cf's smtpd_sasl_path is postwarden.conf's auth_listen ($pf_auth)"
else
	pw_not_ok "main.cf's smtpd_sasl_path is postwarden.conf's auth_listen" \
	    "main.cf: '$pf_auth'; postwarden.conf: '$conf_auth'"
fi

# --- 7-9: contrib fails closed -------------------------------------------------------
open=$(grep -iE 'default_action *= *(DUNNO|OK|PERMIT)' "$PW_TMP/contrib-main")
pw_is "contrib/postfix/main.cf: no fail-open default_action" "$open" ""
pw_is "contrib/postfix/main.cf: milter_default_action = tempfail" \
    "$(sed -n 's/^milter_default_action = //p' "$PW_TMP/contrib-main")" tempfail
order=$(sed -n 's/^smtpd_recipient_restrictions = //p' "$PW_TMP/contrib-main" |
    grep -oE 'check_policy_service|permit_[a-z_]+' | head -n 1)
pw_is "contrib/postfix/main.cf: the policy service comes before any permit_*" \
    "$order" check_policy_service

# --- 10-14: the header tables ---------------------------------------------------------
q() {	# TABLE HEADER: what Postfix's lookup returns ("" if nothing)
	postmap -c "$PW_TMP/pf" -q "$2" "regexp:$C/postfix/$1" 2>/dev/null
}
H=postwarden_header_checks.regexp
S=postwarden_smtp_header_checks.regexp
pw_is "header_checks drop a client's X-Postwarden-ID" \
    "$(q $H 'X-Postwarden-ID: forged-by-client')" IGNORE
pw_is "header_checks keep the control headers the milter reads" \
    "$(q $H 'X-Postwarden-Stream: bulk')$(q $H 'X-Postwarden-Metadata-Customer: 7')" ""
pw_is "smtp_header_checks drop control and route headers" \
    "$(q $S 'X-Postwarden-Stream: bulk') $(q $S 'x-postwarden-metadata-customer: 7') $(q $S 'X-Postwarden-Route: bulk') $(q $S 'X-Postwarden-Tags: a')" \
    "IGNORE IGNORE IGNORE IGNORE"
pw_is "smtp_header_checks keep the tracking id" \
    "$(q $S 'X-Postwarden-ID: 01abc')" ""
pw_is "smtp_header_checks keep other fields" "$(q $S 'Subject: X-Postwarden-Stream')" ""
