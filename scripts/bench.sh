#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Benchmark: arbor against IMA on one kernel, side by side. Not a test (it
# asserts nothing about speed): it prints numbers and ratios.
#
#   scripts/bench.sh            the full run (about 10 minutes under TCG)
#   scripts/bench.sh --quick    small counts, one round: proves it still
#                               works (the test command runs this)
#
# The kernel is the test kernel plus scripts/ima.config (IMA built in next
# to arbor), in build/obj-ima. It boots four ways, each with a fresh
# swtpm, a fresh ext4 disk and the same workload (guest-bench-ima.sh):
#
#   baseline       lsm=capability: arbor left out, IMA with no policy
#   arbor          lsm=capability,arbor: arbor's default policy
#   arbor-measure  the same without its appraise rules, arbor.template=ima-ng
#   IMA            lsm=capability ima_policy=tcb ima_hash=sha256: IMA's tcb
#
# and each of the four again without a TPM, for the first measurement of
# small files alone (with a TPM, that row is mostly the emulated TPM's
# wall-clock latency).
#
# Guest time counts instructions (QEMU -icount shift=0,sleep=off), so the
# CPU-bound rows repeat to well within 1% however busy the host is; rows
# that wait for the disk stay noisy. Each row is timed in ROUNDS rounds
# within one boot; the table shows the median and the spread (largest
# minus smallest, over the median) of each.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

rounds=3 opens=20000 execs=200 small=300 big_mb=48 mem=10000 trim=100000 digests=1000000 pages_mb=64 timeout_s=2400
if [ "${1:-}" = --quick ]; then
	rounds=1 opens=200 execs=5 small=10 big_mb=2 mem=100 trim=100 digests=10000 pages_mb=4 timeout_s=600
fi

"$ARBOR_ROOT/scripts/setup.sh"
"$ARBOR_ROOT/scripts/build-kernel.sh" ima
kernel_variant ima
bench_kernel=$BZIMAGE
"$ARBOR_ROOT/scripts/build-initramfs.sh" test "$BUILD/bench.cpio"

out=$BUILD/bench
mkdir -p "$out"

# A signed allow list of $digests random SHA-256 digests (sorted, each
# once), at /bench/list.dl in a second archive appended to the initramfs,
# for the digest-list rows: written here from the documented layout and
# signed with OpenSSL (detached, no attributes, no certificates).
lists=$(mktemp -d "$BUILD/bench-list.XXXXXX")
trap 'rm -rf "$lists"' EXIT
mkdir -p "$lists/root/bench"
python3 - "$digests" "$lists/list" <<'PY'
import random, struct, sys
n, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(1)
digests = sorted({rng.randbytes(32) for _ in range(n)})
while len(digests) < n:
    digests = sorted(set(digests) | {rng.randbytes(32)})
header = (b"ARBORDL\0" + struct.pack("<HBBBBH", 1, 1, 1, 12, 0, 0) + bytes(32)
          + struct.pack("<QQ", n, 0))
assert len(header) == 64
with open(path, "wb") as f:
    f.write(header)
    f.write(b"".join(digests))
PY
openssl smime -sign -binary -noattr -nocerts -outform der -in "$lists/list" \
	-signer "$BUILD/keys/trusted.pem" -inkey "$BUILD/keys/trusted.key" -out "$lists/sig"
cat "$lists/list" "$lists/sig" > "$lists/root/bench/list.dl"
# For the page-check rows: $pages_mb MiB of random bytes at
# /bench/pages/data, and data.sig, the security.arbor value that signs
# them (the 4-byte header: version 1, SHA-256, 4 KiB blocks, no salt;
# then fsverity sign's PKCS#7).
mkdir -p "$lists/root/bench/pages"
head -c $((pages_mb << 20)) /dev/urandom > "$lists/root/bench/pages/data"
fsverity sign "$lists/root/bench/pages/data" "$lists/pkcs7" \
	--key="$BUILD/keys/trusted.key" --cert="$BUILD/keys/trusted.pem" > /dev/null
{ printf '\001\001\014\000'; cat "$lists/pkcs7"; } > "$lists/root/bench/pages/data.sig"
{ cat "$BUILD/bench.cpio"; (cd "$lists/root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet); } > "$BUILD/bench-list.cpio"
rm -rf "$lists"
trap stop_swtpm EXIT

# boot NAME APPEND: one configuration; its rows land in $out/NAME.rows.
# NAME ending in -notpm: no TPM, and only the first measurement of small
# files (whose time the emulated TPM's extension otherwise dominates).
boot() {
	local name=$1 append=$2 disk=$out/$1.img tpm=()
	rm -f "$disk"
	truncate -s 512M "$disk"
	mkfs.ext4 -q -F "$disk"
	case $name in
	*-notpm) append="$append bench_small_only=1" ;;
	*)
		start_swtpm "$out/swtpm-$name"
		tpm=(--tpm "$SWTPM_DIR/sock")
		;;
	esac
	"$ARBOR_ROOT/scripts/qemu.sh" "$BUILD/bench-list.cpio" "$out/$name.log" --kernel "$bench_kernel" \
		--mem 1024 --icount --disk "$disk" "${tpm[@]}" --timeout "$timeout_s" \
		--append "$append arbor_job=bench-ima.sh bench_rounds=$rounds bench_open=$opens \
bench_exec=$execs bench_small=$small bench_big_mb=$big_mb bench_mem=$mem bench_trim=$trim" >/dev/null || true
	[ ${#tpm[@]} = 0 ] || stop_swtpm
	rm -f "$disk"
	tr -d '\r' < "$out/$name.log" | grep -E '^row ' > "$out/$name.rows" || true
	# Not grep -q: under pipefail, a grep that stops at the match can
	# leave tr to die of SIGPIPE, and the finished run would count as failed.
	if ! tr -d '\r' < "$out/$name.log" | grep '^bench: done' > /dev/null; then
		tr -d '\r' < "$out/$name.log" | grep -E '^bench' >&2 || true
		die "the $name run did not finish; see $out/$name.log"
	fi
}
configs=(
	"baseline lsm=capability"
	"arbor lsm=capability,arbor"
	"arbor-measure lsm=capability,arbor arbor.template=ima-ng bench_measure_only=1"
	"ima lsm=capability ima_policy=tcb ima_hash=sha256"
)
for i in 0 1 2 3; do
	c=${configs[$i]}
	configs+=("${c%% *}-notpm ${c#* }")
done
if [ "$rounds" = 1 ]; then
	# --quick only proves that the benchmark works: two boots at a time,
	# one per core (each QEMU runs its guest on one). -icount keeps the
	# CPU-bound rows as they would be alone; the full run, whose disk rows
	# would feel the neighbour, boots one at a time.
	for pair in "0 1" "2 3" "4 5" "6 7"; do
		pids=()
		for i in $pair; do
			c=${configs[$i]}
			(boot "${c%% *}" "${c#* }") &
			pids+=($!)
		done
		failed=0
		for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
		[ $failed = 0 ] || exit 1
	done
else
	for c in "${configs[@]}"; do boot "${c%% *}" "${c#* }"; done
fi

# The table: medians per row and configuration, ratios, spreads.
python3 - "$out" "$rounds" "$mem" <<'PY'
import statistics, sys

out, rounds, mem = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
configs = ("baseline", "arbor", "arbor-measure", "ima")
runs = {}
for name in configs:
    rows = {}
    with open(f"{out}/{name}.rows") as f:
        for line in f:
            _, row, _, value = line.split()
            rows.setdefault(row, []).append(int(value))
    runs[name] = rows

def med(name, row):
    return statistics.median(runs[name][row])

def spread_of(rows, row):
    v = rows[row]
    m = statistics.median(v)
    return (max(v) - min(v)) / m * 100 if m else 0.0

def spread(row, names=configs):
    worst = 0.0
    for n in names:
        v = runs[n][row]
        m = statistics.median(v)
        if m:
            worst = max(worst, (max(v) - min(v)) / m * 100)
    return worst

print(f"arbor and IMA on one kernel (QEMU TCG, -icount), {rounds} round(s) per row: "
      "medians, ratio to the baseline in brackets")
print("arbor: default policy (measures, and appraises execs and executable mappings);"
      " arbor measure-only: the same without its appraise rules, with IMA's template"
      " (arbor.template=ima-ng: the SHA-256 of the content); IMA: ima_policy=tcb"
      " (measures only), ima_hash=sha256")
print()
head = f"{'per operation, ns':44} {'baseline':>9} {'arbor':>17} {'arbor measure-only':>19} {'IMA tcb':>17} {'added, arbor/IMA':>17} {'spread':>7}"
print(head)
time_rows = [
    ("open-cached", "open of a measured file (cached)"),
    ("open-unmeasured", "open of an unmeasured file (uid 1000)"),
    ("exec", "fork+exec of a measured program"),
    ("first-small", "first measurement of an 8 KiB file"),
    ("first-small-notpm", "first measurement of an 8 KiB file, no TPM"),
]
for name in configs:
    with open(f"{out}/{name}-notpm.rows") as f:
        runs[name]["first-small-notpm"] = [int(line.split()[3]) for line in f
                                           if line.split()[1] == "first-small"]
for row, label in time_rows:
    b, a, m, i = (med(n, row) for n in configs)
    # Added cost over the baseline, arbor's measure-only configuration
    # against IMA's (which only measures).
    added = (m - b) / (i - b) if i != b else float("nan")
    cell = lambda x: f"{x:>9.0f} ({x / b:.3f})"
    print(f"{label:44} {b:>9.0f} {cell(a):>17} {cell(m):>19} {cell(i):>17} {added:>17.2f} {spread(row):>6.2f}%")
print()
print(f"{'throughput, MB/s':44} {'arbor':>9} {'arbor measure-only':>19} {'IMA tcb':>9} "
      f"{'arbor/IMA':>10} {'kernel SHA-256':>15} {'arbor/SHA-256':>14} {'spread':>7}")
for row, label in [("first-big-cached", "first measurement of a large file, cached"),
                   ("first-big-disk", "first measurement of a large file, from disk")]:
    # The guest reports kB/s.
    a, m, i = (med(n, row) / 1000 for n in ("arbor", "arbor-measure", "ima"))
    limit = med("arbor", "sha256-limit") / 1000
    # Like for like: arbor's measure-only run hashes what IMA hashes; the
    # default policy's fs-verity digest is held to the kernel's SHA-256.
    print(f"{label:44} {a:>9.1f} {m:>19.1f} {i:>9.1f} {m / i:>10.3f} {limit:>15.1f} "
          f"{a / limit:>14.3f} {spread(row, configs[1:]):>6.2f}%")
b = runs["baseline"]["slab-kib"][0]
per = {n: (runs[n]["slab-kib"][0] - b) * 1024 / mem for n in configs[1:]}
print()
print(f"{'memory per list entry, bytes of slab':44} {per['arbor']:>9.0f} {per['arbor-measure']:>19.0f} "
      f"{per['ima']:>9.0f} {per['arbor'] / per['ima'] if per['ima'] else float('nan'):>10.2f}")
t = runs["arbor"]
if "trim-freed-kib" in t:
    dropped, freed = t["trim-dropped"][0], t["trim-freed-kib"][0]
    print(f"{'trim: entries held, dropped; slab freed':44} {t['trim-held'][0]:>9} {dropped:>9} "
          f"{freed:>9} KiB = {freed * 1024 / dropped if dropped else float('nan'):.0f} bytes per dropped entry")
if "list-load-ns" in t:
    n = t["list-digests"][0]
    load_ms = statistics.median(t["list-load-ns"]) / 1e6
    per_digest = statistics.median(t["list-vmalloc-kib"]) * 1024 / n
    without, with_list = (statistics.median(t[r]) for r in ("appraise-nolist", "appraise-list"))
    print()
    print(f"digest list of {n} digests (arbor)")
    print(f"{'load: time, ms; vmalloc, bytes per digest':44} {load_ms:>9.1f} {per_digest:>9.1f}")
    print(f"{'first appraisal of an 8 KiB file, ns':44} {without:>9.0f} {with_list:>9.0f}"
          f" (with the list / without: {with_list / without:.3f}, spread {spread_of(t, 'appraise-list'):.2f}%)")
for prefix, what in (("pages", "FUSE (arbor; the guest's FUSE server, from tmpfs)"),
                     ("nfs", "NFS (arbor; loopback NFSv4.2 from tmpfs)")):
    if f"{prefix}-seq-checked" not in t:
        continue
    seq, rnd = ([f"{prefix}-{kind}-{how}" for how in ("checked", "plain")] for kind in ("seq", "rand"))
    seq_c, seq_p = (statistics.median(t[r]) / 1000 for r in seq)
    rnd_c, rnd_p = (statistics.median(t[r]) for r in rnd)
    print()
    print(f"reads over {what}, every page checked, and unchecked")
    print(f"{'':44} {'checked':>9} {'unchecked':>9} {'ratio':>7} {'spread':>7}")
    sp = max(spread_of(t, r) for r in seq)
    print(f"{'sequential read of the whole file, MB/s':44} {seq_c:>9.1f} {seq_p:>9.1f} {seq_c / seq_p:>7.3f} {sp:>6.2f}%")
    sp = max(spread_of(t, r) for r in rnd)
    print(f"{'random 4 KiB reads, ns per read':44} {rnd_c:>9.0f} {rnd_p:>9.0f} {rnd_c / rnd_p:>7.3f} {sp:>6.2f}%")
print()
print("added: (arbor measure-only - baseline) / (IMA - baseline); arbor/IMA: arbor measure-only / IMA;")
print("arbor/SHA-256: arbor (fs-verity digests) / the kernel's SHA-256. The from-disk row waits for the")
print("disk and varies from run to run; under -icount, hashing instructions count as one each,")
print("so the hashing rows compare arbor with IMA and with the kernel's own SHA-256 only.")
PY
