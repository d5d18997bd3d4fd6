# SPDX-License-Identifier: GPL-2.0
# Shared paths and helpers for arbor's build and test scripts (sourced, not run).

set -euo pipefail

ARBOR_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${ARBOR_BUILD:-$ARBOR_ROOT/build}
KSRC=$BUILD/linux            # unpacked Debian linux-source-6.12, patched
KOBJ=$BUILD/obj              # out-of-tree kernel object directory (O=)
BZIMAGE=$KOBJ/arch/x86/boot/bzImage
JOBS=${ARBOR_JOBS:-$(nproc)}
KMAKE=(make -C "$KSRC" O="$KOBJ" LLVM=1 -j"$JOBS")

export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '\033[1m[arbor]\033[0m %s\n' "$*" >&2; }
die() { printf '[arbor] error: %s\n' "$*" >&2; exit 1; }

# Run "$@" only if the stamp file does not hold the given key; record it after.
stamp_matches() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }
