#!/bin/bash
# tests/fuzz/run.sh -- run every libFuzzer harness of a fuzzer build for a
# bounded number of inputs, starting from its seed corpus.  Prints TAP.
#
#   tests/fuzz/run.sh BUILDDIR [RUNS]
#
# A crash, leak or sanitizer report fails that harness; its reproducer is
# kept in BUILDDIR/tests/fuzz/ (crash-*, leak-*).

set -u
build=$1
runs=${2:-50000}
src=$(cd "$(dirname "$0")/../.." && pwd)
harnesses=$(cd "$build/tests/fuzz" && ls fuzz_* 2>/dev/null | grep -v '\.')
echo "1..$(echo "$harnesses" | wc -w)"
n=0
for h in $harnesses; do
	n=$((n + 1))
	name=${h#fuzz_}
	corpus=$(mktemp -d)
	[ -d "$src/tests/fuzz/corpus/$name" ] &&
	    cp "$src/tests/fuzz/corpus/$name"/* "$corpus"/ 2>/dev/null
	log=$build/tests/fuzz/$h.log
	if (cd "$build/tests/fuzz" && "./$h" -runs="$runs" -max_len=8192 \
	    -timeout=10 "$corpus") >"$log" 2>&1; then
		echo "ok $n - $h: $runs runs"
	else
		echo "not ok $n - $h (see $log)"
		tail -n 30 "$log" | sed 's/^/# /'
	fi
	rm -rf "$corpus"
done
