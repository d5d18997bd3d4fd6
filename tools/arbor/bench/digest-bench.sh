#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Times `arbor digest` (1 and 2 threads) against `fsverity digest` on a
# 1 GiB file and prints the speed-up ratios (fsverity time / arbor time).
# Not a test: run by hand, on an otherwise idle machine.
#
#   tools/arbor/bench/digest-bench.sh [SIZE_MIB] [RUNS]
#
# The file is created in $TMPDIR (default /tmp) and read once beforehand, so
# every run hashes from the page cache; each timing is the best of RUNS.
set -eu

size_mib=${1:-1024}
runs=${2:-3}
here=$(cd "$(dirname "$0")/.." && pwd)

command -v fsverity >/dev/null || { echo "fsverity (fsverity-utils) is not installed" >&2; exit 2; }
(cd "$here" && cargo build --release -p arbor --quiet)
arbor=$here/target/release/arbor

file=$(mktemp "${TMPDIR:-/tmp}/arbor-bench.XXXXXX")
trap 'rm -f "$file"' EXIT INT TERM
head -c "$((size_mib * 1024 * 1024))" /dev/urandom >"$file"
cat "$file" >/dev/null

# best_time CMD...: prints the fastest wall-clock time of $runs runs, in
# seconds, and checks that every run prints the same digest.
best_time() {
	best=
	for _ in $(seq "$runs"); do
		start=$(date +%s.%N)
		out=$("$@" "$file")
		end=$(date +%s.%N)
		digest=${out%% *}
		t=$(echo "$end - $start" | bc -l)
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
	done
	echo "$best $digest"
}

set -- $(best_time fsverity digest); fs=$1; fs_digest=$2
set -- $(best_time env RAYON_NUM_THREADS=1 "$arbor" digest); a1=$1; a1_digest=$2
set -- $(best_time "$arbor" digest --threads 2); a2=$1; a2_digest=$2

if [ "$fs_digest" != "$a1_digest" ] || [ "$fs_digest" != "$a2_digest" ]; then
	echo "digests differ: fsverity $fs_digest, arbor $a1_digest / $a2_digest" >&2
	exit 1
fi

echo "file: ${size_mib} MiB, best of $runs runs, $(nproc) CPUs"
printf '%-28s %8.3f s\n' "fsverity digest" "$fs"
printf '%-28s %8.3f s   %5.2fx\n' "arbor digest (1 thread)" "$a1" "$(echo "$fs / $a1" | bc -l)"
printf '%-28s %8.3f s   %5.2fx\n' "arbor digest (2 threads)" "$a2" "$(echo "$fs / $a2" | bc -l)"
