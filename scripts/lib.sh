# SPDX-License-Identifier: GPL-2.0
# Shared paths and helpers for arbor's build and test scripts (sourced, not run).

set -euo pipefail

ARBOR_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${ARBOR_BUILD:-$ARBOR_ROOT/build}
KSRC=$BUILD/linux            # unpacked Debian linux-source-6.12, patched
JOBS=${ARBOR_JOBS:-$(nproc)}

export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '\033[1m[arbor]\033[0m %s\n' "$*" >&2; }
die() { printf '[arbor] error: %s\n' "$*" >&2; exit 1; }

# Run "$@" only if the stamp file does not hold the given key; record it after.
stamp_matches() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

# Two kernels are built from the one tree in $KSRC, each in its own object
# directory: "main" (tinyconfig + ./Kconfig) and "debug" (the same plus
# scripts/debug.config: lockdep, KASAN, UBSAN). kernel_variant NAME sets
# KOBJ (the O= directory), BZIMAGE, KMAKE, KBUILD_LOG (the bzImage build
# output) and KCONFIG_STAMP (the configuration's hash) for one of them.
kernel_variant() {
	case "$1" in
	main) KOBJ=$BUILD/obj KBUILD_LOG=$BUILD/kernel-build.log KCONFIG_STAMP=$BUILD/.config-hash ;;
	debug) KOBJ=$BUILD/obj-debug KBUILD_LOG=$BUILD/kernel-build-debug.log KCONFIG_STAMP=$BUILD/.config-hash-debug ;;
	*) die "unknown kernel variant '$1' (main or debug)" ;;
	esac
	BZIMAGE=$KOBJ/arch/x86/boot/bzImage
	KMAKE=(make -C "$KSRC" O="$KOBJ" LLVM=1 -j"$JOBS")
}
# The main kernel unless a script asks for the other one.
kernel_variant main
