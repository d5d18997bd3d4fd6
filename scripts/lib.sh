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

# start_swtpm DIR: a software TPM 2.0 with fresh state in DIR, listening on
# DIR/sock for QEMU (qemu.sh --tpm DIR/sock). It exits when QEMU
# disconnects (--terminate); stop_swtpm kills the last one started if it
# has not. Scripts that start one set `trap stop_swtpm EXIT`.
SWTPM_DIR=
start_swtpm() {
	SWTPM_DIR=$1
	rm -rf "$SWTPM_DIR"; mkdir -p "$SWTPM_DIR"
	swtpm socket --tpm2 --tpmstate dir="$SWTPM_DIR" --ctrl type=unixio,path="$SWTPM_DIR/sock" \
		--flags startup-clear --terminate --daemon --pid file="$SWTPM_DIR/pid" --log file="$SWTPM_DIR/log"
}
stop_swtpm() {
	[ -n "$SWTPM_DIR" ] && [ -f "$SWTPM_DIR/pid" ] && kill "$(cat "$SWTPM_DIR/pid")" 2>/dev/null || true
}

# Kernels are built from the one tree in $KSRC, each in its own object
# directory: "main" (tinyconfig + ./Kconfig + scripts/nfs.config), "debug"
# (the same plus scripts/debug.config: lockdep, KASAN, UBSAN) and "ima"
# (tinyconfig + ./Kconfig + scripts/ima.config: IMA next to arbor, for the
# benchmark). kernel_variant NAME sets KOBJ (the O= directory), BZIMAGE,
# KMAKE, KBUILD_LOG (the bzImage build output) and KCONFIG_STAMP (the
# configuration's hash) for one of them.
kernel_variant() {
	case "$1" in
	main) KOBJ=$BUILD/obj KBUILD_LOG=$BUILD/kernel-build.log KCONFIG_STAMP=$BUILD/.config-hash ;;
	debug) KOBJ=$BUILD/obj-debug KBUILD_LOG=$BUILD/kernel-build-debug.log KCONFIG_STAMP=$BUILD/.config-hash-debug ;;
	ima) KOBJ=$BUILD/obj-ima KBUILD_LOG=$BUILD/kernel-build-ima.log KCONFIG_STAMP=$BUILD/.config-hash-ima ;;
	*) die "unknown kernel variant '$1' (main, debug or ima)" ;;
	esac
	BZIMAGE=$KOBJ/arch/x86/boot/bzImage
	KMAKE=(make -C "$KSRC" O="$KOBJ" LLVM=1 -j"$JOBS")
}
# The main kernel unless a script asks for the other one.
kernel_variant main
