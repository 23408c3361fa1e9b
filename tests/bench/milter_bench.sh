#!/bin/bash
# tests/bench/milter_bench.sh -- milter throughput: postwarden-milter
# signing (rsa-sha256; rsa-sha256 + ed25519-sha256) against OpenDKIM
# signing with the same RSA key and against a do-nothing libmilter filter,
# all driven by tests/bench/milter_load (the MTA side of the milter
# protocol).  Not part of `make check`; results go in docs/bench-milter.md.
#
#   PW_BUILDDIR=/path/to/build tests/bench/milter_bench.sh [MESSAGES]
#
# Environment:
#   BENCH_MODES   filters to run (default "null opendkim rsa ed25519 dual"):
#                 null (tests/bench/milter_null.c, the libmilter floor),
#                 null-profile (the same filter with postwarden-milter's
#                 packet profile, milter_null -p: RCPT, the same
#                 negotiation and as many headers of the same size at
#                 end of message as the first signer of BENCH_MODES
#                 sends, measured with a short load before the rounds;
#                 "the profile floor"),
#                 null-go (the same filter driven by a second,
#                 independent generator, tests/bench/milter_load_go.go:
#                 does milter_load limit the floor?), opendkim, and
#                 postwarden-milter signing with rsa, ed25519 or dual
#                 (both)
#   BENCH_BODIES  body sizes in bytes (default "2048 65536")
#   BENCH_CONNS   connections (default "1 8 32")
#   BENCH_ROUNDS  rounds (default 1): each round runs every body and
#                 connection count, and for each of them every mode, one
#                 after the other (the mode order reversed every other
#                 round), so that a disturbance of the machine hits no
#                 mode alone
#
# All filters are started once, each on its own socket, and run side by
# side (an idle one costs nothing).  Each result line (also in
# $PW_TMP/results, printed at the end) is the name, milter_load's line,
# the filter's peak RSS so far (VmHWM: the maximum over the rows run
# before, in all rounds), CPU microseconds per message of the filter
# process (all threads), redis-server, the load generator and the whole
# machine (tests/bench/cpu.sh), and the round.  Then a table of medians
# over the rounds per filter, body and connections, with the ratio to the
# null filter, and the most a signer can reach of the null filter's rate
# on this machine: the null filter's machine CPU per message over that
# plus the signatures' own CPU time (openssl speed, in this run), when
# the machine is saturated (both CPUs busy) as it is from 8 connections.
# Issue 17's bound, 1 / (1/floor + signature CPU / CPUs) with the null
# filter's msgs/s as the floor, and each signer's share of it ("of
# bound"); and the same in CPU time, which a busy machine disturbs less:
# the CPU per message of null filter plus generator plus the signatures,
# over the signer's filter plus generator plus Redis ("CPU of bound").
# With null-profile in BENCH_MODES, the same two against the profile
# floor ("of profile bound", "CPU of profile bound"): what libmilter
# alone costs for postwarden-milter's packets, so that what is left is
# postwarden's own work (Redis, signing, the rest).
#
# Needs: a built postwarden-milter, gcc, libmilter-dev, redis-server,
# openssl, opendkim (Debian package opendkim); for null-go golang-go and
# golang-github-emersion-go-milter-dev.  Every process it starts is
# stopped by pid on exit (tests/harness/harness.sh).

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"
. "$PW_SRCDIR/tests/bench/opendkim.sh"
. "$PW_SRCDIR/tests/bench/cpu.sh"
. "$PW_SRCDIR/tests/bench/milter_start.sh"

N=${1:-20000}
MODES=${BENCH_MODES:-null opendkim rsa ed25519 dual}
BODIES=${BENCH_BODIES:-2048 65536}
CONNS=${BENCH_CONNS:-1 8 32}
ROUNDS=${BENCH_ROUNDS:-1}
for mode in $MODES; do
	case $mode in
	null|null-go|null-profile|opendkim|rsa|ed25519|dual) ;;
	*)	echo "BENCH_MODES: unknown mode $mode" \
		    "(null null-go null-profile opendkim rsa ed25519 dual)" >&2
		exit 2 ;;
	esac
done
case " $MODES " in
*" opendkim "*)
	command -v opendkim >/dev/null ||
	    pw_skip_all "opendkim not installed" ;;
esac
[ -x "$PW_BUILDDIR/milter/postwarden-milter" ] ||
    pw_skip_all "postwarden-milter not built in $PW_BUILDDIR"
pw_harness_init
T=$PW_TMP
B=$T/bin
mkdir -p "$B"
gcc -O2 -Wall -o "$B/milter_load" "$PW_SRCDIR/tests/bench/milter_load.c" \
    -lpthread || pw_bail "cannot build milter_load"
gcc -O2 -Wall -o "$B/milter_null" "$PW_SRCDIR/tests/bench/milter_null.c" \
    -lmilter -lpthread || pw_bail "cannot build milter_null"
case " $MODES " in
*" null-go "*)
	GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$T/gocache \
	    go build -o "$B/milter_load_go" \
	    "$PW_SRCDIR/tests/bench/milter_load_go.go" ||
	    pw_bail "cannot build milter_load_go (golang-go," \
	    "golang-github-emersion-go-milter-dev)" ;;
esac

# Keys, owned by the user the daemons run as.
mkdir -p "$T/keys"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$T/keys/rsa.pem" 2>/dev/null || pw_bail "genpkey"
openssl genpkey -algorithm ED25519 -out "$T/keys/ed.pem" 2>/dev/null ||
    pw_bail "genpkey"
chown -R nobody "$T/keys"
chmod 0700 "$T/keys"
chmod 0600 "$T/keys"/*.pem
echo "rsa example.com r1 rsa $T/keys/rsa.pem" >"$T/keytable"
echo "ed example.com e1 ed25519 $T/keys/ed.pem" >>"$T/keytable"
echo "example.com rsa" >"$T/signing-rsa"
echo "example.com ed" >"$T/signing-ed25519"
echo "example.com rsa,ed" >"$T/signing-dual"

pw_redis_start
pw_redis_cli HSET pw:key:k_bench tenant bench >/dev/null
pw_domain_add bench example.com

# --- the filters, each on its own socket ------------------------------------------

declare -A NAME=() SOCK=() PID=() LOAD=()
null_started=
for mode in $MODES; do
	LOAD[$mode]=$B/milter_load
	case $mode in
	null-profile)
		continue ;;	# after the signers (below)
	null|null-go)
		if [ "$mode" = null-go ]; then
			NAME[$mode]=null-go
			LOAD[$mode]=$B/milter_load_go
		else
			NAME[$mode]=null
		fi
		SOCK[$mode]=$T/null.sock
		[ -n "$null_started" ] && { PID[$mode]=${PW_PIDS[null]}; continue; }
		null_started=1
		"$B/milter_null" "unix:$T/null.sock" >"$T/null.log" 2>&1 &
		pw__record null $!
		pw_wait_until "milter_null" 10 up "$!" "$T/null.sock" ||
		    pw_bail "milter_null"
		PID[$mode]=${PW_PIDS[null]} ;;
	opendkim)
		bench_opendkim_start "$T/keys/rsa.pem" example.com r1
		NAME[$mode]=opendkim
		SOCK[$mode]=$T/od/opendkim.sock
		PID[$mode]=${PW_PIDS[opendkim]} ;;
	*)
		bench_milter_start "pw-$mode" "log_level = info" \
		    "dkim_key_table = $T/keytable" \
		    "dkim_signing_table = $T/signing-$mode"
		NAME[$mode]=postwarden-$mode
		SOCK[$mode]=$T/pw-$mode.sock
		PID[$mode]=${PW_PIDS[pw-$mode]} ;;
	esac
done

# The profile floor: as many headers of as many bytes at end of message
# as the first signer sends (a short load at 2 KB measures them).
case " $MODES " in
*" null-profile "*)
	probe=
	for mode in $MODES; do
		case $mode in rsa|ed25519|dual) probe=$mode; break ;; esac
	done
	[ -n "$probe" ] || pw_bail "null-profile needs a signer in BENCH_MODES"
	out=$("$B/milter_load" -s "${SOCK[$probe]}" -c 1 -n 20 -m 10 \
	    -b 2048) || pw_bail "milter_load failed against ${NAME[$probe]}"
	mods=$(sed -n 's/.* mods_per_msg=\([0-9]*\).*/\1/p' <<<"$out")
	mbytes=$(sed -n 's/.* mod_bytes_per_msg=\([0-9]*\).*/\1/p' <<<"$out")
	[ "${mods:-0}" -ge 1 ] || pw_bail "no modifications from $probe: $out"
	echo "# null-profile: $mods headers, $mbytes bytes at end of message (as ${NAME[$probe]})"
	"$B/milter_null" -p "$mods:$mbytes" "unix:$T/null-profile.sock" \
	    >"$T/null-profile.log" 2>&1 &
	pw__record null-profile $!
	pw_wait_until "milter_null -p" 10 up "$!" "$T/null-profile.sock" ||
	    pw_bail "milter_null -p"
	NAME[null-profile]=null-profile
	SOCK[null-profile]=$T/null-profile.sock
	PID[null-profile]=${PW_PIDS[null-profile]} ;;
esac

# run MODE BODY CONNS ROUND: one load; one line of results with the
# filter's peak RSS (VmHWM) and the CPU microseconds per message.
results=$T/results
run() {
	local mode=$1 b=$2 c=$3 r=$4 name=${NAME[$1]} pid=${PID[$1]}
	local rpid=${PW_PIDS[redis]} out rss lu ls load TIMEFORMAT='%3U %3S'
	bench_cpu_begin "$pid" "$rpid"
	{ time "${LOAD[$mode]}" -s "${SOCK[$mode]}" -c "$c" -n "$N" -m 10 \
	    -b "$b" >"$T/load.out" 2>"$T/load.err"; } 2>"$T/load.time" ||
	    pw_bail "milter_load failed against $name: $(cat "$T/load.err")"
	bench_cpu_end "$pid" "$rpid"
	out=$(cat "$T/load.out")
	# A signer that did not sign measured nothing useful.
	[[ $name = null* ]] || [[ $out != *sigs_per_msg=0.00* ]] ||
	    pw_bail "$name did not sign: $out"
	rss=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
	read -r lu ls <"$T/load.time"
	load=$(awk -v u="$lu" -v s="$ls" -v n="$N" \
	    'BEGIN { printf "%.1f", (u + s) * 1e6 / n }')
	out="$out peak_rss_kb=$rss cpu_filter_us=$(bench_cpu_us "$pid" "$N")"
	out="$out cpu_redis_us=$(bench_cpu_us "$rpid" "$N") cpu_load_us=$load"
	out="$out cpu_all_us=$(bench_cpu_sys_us "$N") round=$r"
	echo "# $name: $out"
	echo "$name $out" >>"$results"
}

# The CPU time of one signature on one core: openssl speed, this run.
read -r RSA_SIGN_US ED_SIGN_US < <(openssl speed -mr -seconds 3 rsa2048 \
    ed25519 2>/dev/null | awk -F: '
	/^\+F2:/ && $3 == 2048 { r = 1e6 / $4 }
	/^\+F6:/ && $4 == "Ed25519" { e = 1e6 / $5 }
	END { if (r > 0 && e > 0) printf "%.1f %.1f\n", r, e }')
[ -n "$ED_SIGN_US" ] || pw_bail "openssl speed rsa2048 ed25519 failed"

echo "# $(nproc) CPU(s), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
echo "# one signature (openssl speed, one core): RSA-2048 $RSA_SIGN_US µs, Ed25519 $ED_SIGN_US µs"
echo "# $N messages per load; modes: $MODES; bodies: $BODIES; conns: $CONNS; rounds: $ROUNDS"
order=$MODES
for r in $(seq 1 "$ROUNDS"); do
	for b in $BODIES; do
		for c in $CONNS; do
			for mode in $order; do
				run "$mode" "$b" "$c" "$r"
			done
		done
	done
	# Reverse the order of the modes for the next round.
	# shellcheck disable=SC2086 # one mode per word
	order=$(printf '%s\n' $order | tac | tr '\n' ' ')
done
for mode in $MODES; do
	pw__alive "${PID[$mode]}" || pw_bail "${NAME[$mode]} died"
done

echo "# results: $results"
cat "$results"

# --- medians over the rounds --------------------------------------------------------
# Per filter, body and connections: median msgs/s (and the range), the
# median CPU microseconds per message of each part, and the ratios of
# msgs/s and of the filter's CPU per message to the null filter's.
names=
for mode in $MODES; do
	names="$names ${NAME[$mode]}"
done
echo
echo "| milter | body | conns | rounds | msgs/s (median) | min-max | filter µs/msg | redis µs/msg | load µs/msg | machine µs/msg | msgs/s vs null | filter CPU vs null | bound vs null | bound msgs/s | of bound | CPU of bound | profile bound msgs/s | of profile bound | CPU of profile bound |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
awk -v names="$names" -v bodies="$BODIES" -v conns="$CONNS" \
    -v rsa="$RSA_SIGN_US" -v ed="$ED_SIGN_US" -v ncpu="$(nproc)" '
function val(k,    i) {	# the value of field k= on this line
	for (i = 2; i <= NF; i++)
		if (index($i, k "=") == 1)
			return substr($i, length(k) + 2) + 0
	return ""
}
function median(s,    a, n, i, j, t) {
	n = split(s, a, " ")
	for (i = 2; i <= n; i++)	# insertion sort, numerically
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	if (n == 0) return ""
	lo = a[1]; hi = a[n]
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
	k = $1 SUBSEP val("body") SUBSEP val("conns")
	rate[k] = rate[k] " " val("rate")
	f[k] = f[k] " " val("cpu_filter_us")
	rd[k] = rd[k] " " val("cpu_redis_us")
	ld[k] = ld[k] " " val("cpu_load_us")
	al[k] = al[k] " " val("cpu_all_us")
	n[k]++
}
END {
	nn = split(names, nm, " ")
	nb = split(bodies, bd, " ")
	nc = split(conns, cn, " ")
	for (b = 1; b <= nb; b++)
	for (c = 1; c <= nc; c++) {
		z = "null" SUBSEP bd[b] SUBSEP cn[c]
		zr = (z in n) ? median(rate[z]) : ""
		zf = (z in n) ? median(f[z]) : ""
		za = (z in n) ? median(al[z]) : ""
		# The floor in CPU: null filter + generator + Redis.
		zc = (z in n) ? zf + median(ld[z]) + median(rd[z]) : ""
		# The profile floor, the same way.
		p = "null-profile" SUBSEP bd[b] SUBSEP cn[c]
		pr = (p in n) ? median(rate[p]) : ""
		pc = (p in n) ? median(f[p]) + median(ld[p]) + median(rd[p]) : ""
		for (i = 1; i <= nn; i++) {
			k = nm[i] SUBSEP bd[b] SUBSEP cn[c]
			if (!(k in n))
				continue
			m = median(rate[k])
			rlo = lo
			rhi = hi
			mf = median(f[k])
			printf "| %s | %d | %d | %d | %.0f | %.0f-%.0f | %.1f | %.1f | %.1f | %.1f |", \
			    nm[i], bd[b], cn[c], n[k], m, rlo, rhi, mf, \
			    median(rd[k]), median(ld[k]), median(al[k])
			if (zr != "" && zr > 0)
				printf " %.2f |", m / zr
			else
				printf " - |"
			if (zf != "" && zf > 0)
				printf " %.2f |", mf / zf
			else
				printf " - |"
			# Signing CPU per message of each signer.
			sg = nm[i] == "opendkim" || nm[i] == "postwarden-rsa" ? rsa : \
			    nm[i] == "postwarden-ed25519" ? ed : \
			    nm[i] == "postwarden-dual" ? rsa + ed : 0
			if (za != "" && za > 0 && sg > 0)
				printf " %.2f |", za / (za + sg)
			else
				printf " - |"
			# Issue 17: 1 / (1/floor + signature CPU / CPUs).
			if (zr != "" && zr > 0 && sg > 0) {
				bd_ = 1 / (1 / zr + sg / (ncpu * 1e6))
				printf " %.0f | %.0f%% |", bd_, 100 * m / bd_
			} else
				printf " - | - |"
			sc = mf + median(ld[k]) + median(rd[k])
			if (zc != "" && sg > 0 && sc > 0)
				printf " %.0f%% |", 100 * (zc + sg) / sc
			else
				printf " - |"
			if (pr != "" && pr > 0 && sg > 0) {
				bd_ = 1 / (1 / pr + sg / (ncpu * 1e6))
				printf " %.0f | %.0f%% |", bd_, 100 * m / bd_
			} else
				printf " - | - |"
			if (pc != "" && sg > 0 && sc > 0)
				printf " %.0f%% |\n", 100 * (pc + sg) / sc
			else
				printf " - |\n"
		}
	}
}' "$results"
