#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Create the in-guest test files under ROOT/arbor-tests, an ext4 image with
# the verity feature for native fs-verity tests, and their expected
# fs-verity digests, computed on the host with fsverity-utils' `fsverity
# digest` (never with arbor's own code).
#   make-test-files.sh ROOT EXT4_IMAGE
set -euo pipefail
root=${1:?usage: make-test-files.sh ROOT EXT4_IMAGE}
image=${2:?usage: make-test-files.sh ROOT EXT4_IMAGE}
t=$root/arbor-tests
mkdir -p "$t/data"

digest() { fsverity digest --hash-alg="${2:-sha256}" --block-size=4096 "$1" | cut -d' ' -f1 | cut -d: -f2; }

# Random content whose first byte is NUL, so no binfmt handler claims it:
# exec reaches bprm_check_security (where arbor measures) and then fails
# with ENOEXEC. Sizes cover empty, one block and its neighbours, the
# one-level/two-level tree boundary (128 blocks), and more than 1 MiB.
: > "$t/expected"
for size in 0 1 4095 4096 4097 524288 524289 1048576 1052673; do
	f=$t/data/size-$size
	if [ "$size" -gt 0 ]; then
		{ printf '\0'; head -c $((size - 1)) /dev/urandom; } > "$f"
	else
		: > "$f"
	fi
	chmod 755 "$f"
	echo "size-$size $(digest "$f")" >> "$t/expected"
done

# A file the guest copies to tmpfs, execs, modifies (appends "X") and execs again.
{ printf '\0'; head -c 4999 /dev/urandom; } > "$t/data/mutable"
chmod 755 "$t/data/mutable"
tmp=$(mktemp)
cp "$t/data/mutable" "$tmp"
printf X >> "$tmp"
echo "mutable $(digest "$t/data/mutable")" > "$t/expected-mutable"
echo "mutable+X $(digest "$tmp")" >> "$t/expected-mutable"
rm -f "$tmp"

# Files on ext4 for which the guest enables fs-verity, one per hash
# algorithm. arbor computes digests itself only with SHA-256, so a sha512
# entry in the list can only have come from fs-verity.
vdir=$(mktemp -d)
: > "$t/expected-verity"
for alg in sha256 sha512; do
	{ printf '\0'; head -c 20000 /dev/urandom; } > "$vdir/v-$alg"
	chmod 755 "$vdir/v-$alg"
	echo "v-$alg $alg $(digest "$vdir/v-$alg" "$alg")" >> "$t/expected-verity"
done
rm -f "$image"
truncate -s 8M "$image"
mkfs.ext4 -q -b 4096 -O verity -d "$vdir" "$image"
rm -rf "$vdir"
