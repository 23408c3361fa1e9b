# tests/bench/cpu.sh -- CPU accounting for the benchmarks: CPU time used
# by given processes and by the whole machine over a run, per message or
# request, and a median.  Sourced by bench-policyd.sh, milter_bench.sh and
# stack_bench.sh (after tests/harness/harness.sh).
#
#   bench_cpu_begin PID...      snapshot before a run (and the machine)
#   bench_cpu_end PID...        snapshot after it
#   bench_cpu_ticks_of PID      clock ticks PID used in between (0: unknown)
#   bench_cpu_sys_busy_us       CPU microseconds the machine was busy then
#   bench_cpu_us PID N          microseconds PID used per unit, N units
#   bench_cpu_sys_us N          the same for the whole machine
#   bench_ticks_us TICKS N      microseconds per unit of TICKS clock ticks
#   bench_per US N              US / N, one decimal
#   bench_median [WORDS...]     median of the numbers in the arguments,
#                               or on stdin (split at white space)
#
# A process's time is utime + stime of /proc/PID/stat (fields 14 and 15,
# clock ticks of getconf CLK_TCK; all threads of the process, not its
# children).  The kernel derives them from the scheduler's exact run time,
# so they are exact up to a tick (10 ms at CLK_TCK 100): a process that
# used one CPU-second is measured to 1%.
#
# The machine's busy time is the CPUs' wall time (CPUs x elapsed) minus
# idle, iowait and steal of the first line of /proc/stat.  Not the sum of
# its user, system, irq... fields: those are sampled at the timer tick,
# and on a tickless kernel (this VM's) a load that wakes briefly and
# often, such as an open loop at a few thousand requests per second, is
# missed by the ticks (one such run: 159 busy ticks in /proc/stat for 251
# ticks used by its three processes), while idle time is measured exactly
# when a CPU enters and leaves idle.

# shellcheck shell=bash
BENCH_HZ=$(getconf CLK_TCK 2>/dev/null) || BENCH_HZ=100
BENCH_NCPU=$(grep -c '^cpu[0-9]' /proc/stat)
declare -gA BENCH_CPU0=() BENCH_CPU1=()
BENCH_SYS0=
BENCH_SYS1=

# Print utime + stime of PID in clock ticks (0 if it is gone).
bench_cpu_ticks() {
	local st
	if [ -z "$1" ] || ! st=$(cat "/proc/$1/stat" 2>/dev/null); then
		echo 0
		return
	fi
	# The command name (field 2) may hold spaces: skip past its ")",
	# after which field 3 is the first word.
	st=${st##*) }
	# shellcheck disable=SC2086 # split into the fields
	set -- $st
	echo $((${12} + ${13}))
}

# Print "WALL_US NOT_BUSY_TICKS": the time now in microseconds and idle +
# iowait + steal of all CPUs since boot.
bench_sys_snap() {
	local t=${EPOCHREALTIME/[.,]/}
	awk -v t="$t" '$1 == "cpu" { printf "%s %d\n", t, $5 + $6 + $9; exit }' \
	    /proc/stat
}

bench_cpu_begin() {
	local pid
	BENCH_CPU0=()
	BENCH_CPU1=()
	for pid in "$@"; do
		[ -n "$pid" ] && BENCH_CPU0[$pid]=$(bench_cpu_ticks "$pid")
	done
	BENCH_SYS0=$(bench_sys_snap)
}

bench_cpu_end() {
	local pid
	BENCH_SYS1=$(bench_sys_snap)
	for pid in "$@"; do
		[ -n "$pid" ] && BENCH_CPU1[$pid]=$(bench_cpu_ticks "$pid")
	done
}

# Ticks PID used between bench_cpu_begin and bench_cpu_end.
bench_cpu_ticks_of() {
	local a=${BENCH_CPU0[${1:-none}]:-} b=${BENCH_CPU1[${1:-none}]:-}
	if [ -z "$a" ] || [ -z "$b" ]; then
		echo 0
	else
		echo $((b - a))
	fi
}

# CPU microseconds the machine was busy between begin and end.
bench_cpu_sys_busy_us() {
	local t0 n0 t1 n1 busy
	read -r t0 n0 <<<"$BENCH_SYS0"
	read -r t1 n1 <<<"$BENCH_SYS1"
	busy=$((BENCH_NCPU * (t1 - t0) - (n1 - n0) * 1000000 / BENCH_HZ))
	[ "$busy" -lt 0 ] && busy=0
	echo "$busy"
}

bench_per() {	# US N
	awk -v u="$1" -v n="$2" \
	    'BEGIN { printf "%.1f\n", (n > 0 ? u / n : 0) }'
}

bench_ticks_us() {	# TICKS N
	bench_per $(($1 * 1000000 / BENCH_HZ)) "$2"
}

bench_cpu_us() {	# PID N
	bench_ticks_us "$(bench_cpu_ticks_of "$1")" "$2"
}

bench_cpu_sys_us() {	# N
	bench_per "$(bench_cpu_sys_busy_us)" "$1"
}

bench_median() {
	if [ $# -gt 0 ]; then
		# shellcheck disable=SC2048,SC2086 # one number per word
		printf '%s\n' $*
	else
		tr -s ' \t' '\n'
	fi | grep -E '^-?[0-9.]+([eE][-+]?[0-9]+)?$' | sort -g | awk '
	{ a[NR] = $1 }
	END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print a[(NR + 1) / 2]
		else print (a[NR / 2] + a[NR / 2 + 1]) / 2
	}'
}
