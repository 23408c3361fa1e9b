#!/bin/bash
# tests/policyd/cmdline.sh -- postwarden-policyd -V, -h, usage errors and
# -n (configuration check) with good and broken configurations.

. "$PW_SRCDIR/tests/policyd/common.sh"
pd_setup

out=$("$PD_BIN" -V 2>&1); st=$?
pw_check "-V exits 0" [ "$st" -eq 0 ]
pw_check "-V prints name and version" \
    [ "$out" = "postwarden-policyd $(sed -n 's/^PACKAGE_VERSION = //p' \
    "$PW_BUILDDIR/Makefile")" ]

out=$("$PD_BIN" -h 2>&1); st=$?
pw_check "-h exits 0" [ "$st" -eq 0 ]
pw_check "-h prints usage" grep -q "^usage: postwarden-policyd" <<<"$out"

"$PD_BIN" -Z >/dev/null 2>&1; st=$?
pw_check "unknown option exits 64" [ "$st" -eq 64 ]
"$PD_BIN" -n extra >/dev/null 2>&1; st=$?
pw_check "extra argument exits 64" [ "$st" -eq 64 ]

"$PD_BIN" -n -c "$PD_CONF" >"$PD_DIR/stdout" 2>"$PD_DIR/stderr"; st=$?
pw_check "-n with a good configuration exits 0" [ "$st" -eq 0 ]
pw_check "-n prints nothing on success" \
    [ ! -s "$PD_DIR/stdout" -a ! -s "$PD_DIR/stderr" ]
pw_check "-n does not create the socket or pid file" \
    [ ! -e "$PD_SOCK" -a ! -e "$PD_DIR/run/policyd.pid" ]

# A relative -c path works too.
(cd "$PD_DIR" && "$PD_BIN" -n -c policyd.conf) >/dev/null 2>&1; st=$?
pw_check "-n with a relative path exits 0" [ "$st" -eq 0 ]

# check_broken NAME LINE SETTING: -n fails and names file:line and setting.
check_broken() {
	local conf=$PD_DIR/broken.conf lineno st
	pd_conf "$conf" "$2"
	lineno=$(grep -n -F -x -- "$2" "$conf" | cut -d: -f1)
	"$PD_BIN" -n -c "$conf" >"$PD_DIR/stdout" 2>"$PD_DIR/stderr"; st=$?
	pw_check "-n $1: exits 1" [ "$st" -eq 1 ]
	if grep -qF "$conf:$lineno:" "$PD_DIR/stderr" &&
	    grep -qF "$3" "$PD_DIR/stderr"; then
		pw_ok "-n $1: stderr names $conf:$lineno and $3"
	else
		pw_not_ok "-n $1: stderr names $conf:$lineno and $3"
		pw_diag_file "$PD_DIR/stderr"
	fi
}
check_broken "line length below its minimum" \
    "policyd_max_line_length = 12" policyd_max_line_length
check_broken "bad time value" \
    "policyd_idle_timeout = banana" policyd_idle_timeout
check_broken "unknown setting" "policyd_max_bananas = 3" policyd_max_bananas
check_broken "bad endpoint" "policyd_listen = tcp:127.0.0.1:1" policyd_listen

"$PD_BIN" -n -c "$PD_DIR/missing.conf" >/dev/null 2>"$PD_DIR/stderr"; st=$?
pw_check "-n with a missing file exits 1" [ "$st" -eq 1 ]
pw_check "-n with a missing file names it" \
    grep -qF "$PD_DIR/missing.conf" "$PD_DIR/stderr"

# Without -n a broken configuration stops start-up the same way.
pd_conf "$PD_DIR/broken.conf" "policyd_max_attributes = lots"
"$PD_BIN" -f -c "$PD_DIR/broken.conf" >/dev/null 2>"$PD_DIR/stderr"; st=$?
pw_check "start with a broken configuration exits 1" [ "$st" -eq 1 ]
pw_check "start with a broken configuration says why" \
    grep -qF "$PD_DIR/broken.conf:9: policyd_max_attributes" \
    "$PD_DIR/stderr"

pw_done
