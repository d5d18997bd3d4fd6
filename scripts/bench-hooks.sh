#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Benchmark: the cost of arbor's hooks on open() and execve(), in the test
# guest (QEMU, TCG), against a boot with arbor left out (lsm=capability).
# Not a test: run by hand, on an otherwise idle machine; prints a table of
# mean times per operation and their ratios to the baseline.
#
#   scripts/bench-hooks.sh [OPENS] [EXECS]
#
# Arbor's rows: the default policy (the benchmarked file and program were
# measured once, so each later open evaluates the policy and finds the
# version measured; each exec finds the program's verdict cached), and an
# empty policy (the hooks run, the policy decides nothing).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

opens=${1:-20000}
execs=${2:-300}
"$ARBOR_ROOT/scripts/setup.sh"
"$ARBOR_ROOT/scripts/build-kernel.sh"
"$ARBOR_ROOT/scripts/build-initramfs.sh" test "$BUILD/test.cpio"

boot() { # LOG APPEND
	"$ARBOR_ROOT/scripts/qemu.sh" "$BUILD/test.cpio" "$1" \
		--append "arbor_job=bench.sh bench_open=$opens bench_exec=$execs $2" --timeout 600 >/dev/null || true
	tr -d '\r' < "$1" | grep -E '^(== |bench )'
}
on=$(boot "$BUILD/bench-arbor.log" "")
off=$(boot "$BUILD/bench-off.log" "lsm=capability")

# value LABEL OP: the ns/op that the run LABEL printed for OP.
value() { printf '%s\n%s\n' "$on" "$off" | awk -v l="$1" -v op="$2" '
	/^== / { cur = $2 } cur == l && $1 == "bench" && $2 == op { print $4 }'; }
printf '%-28s %14s %14s %14s\n' "" "open (ns/op)" "exec (ns/op)" ""
for label in off default empty; do
	o=$(value $label open); e=$(value $label exec)
	if [ -z "$o" ] || [ -z "$e" ]; then
		echo "run '$label' printed no result; see $BUILD/bench-*.log" >&2
		exit 1
	fi
	ro=$(echo "scale=2; $o / $(value off open)" | bc)
	re=$(echo "scale=2; $e / $(value off exec)" | bc)
	case $label in
	off) name="arbor left out (baseline)" ;;
	default) name="arbor, default policy" ;;
	empty) name="arbor, empty policy" ;;
	esac
	printf '%-28s %14s %14s   ratios %sx, %sx\n' "$name" "$o" "$e" "$ro" "$re"
done
