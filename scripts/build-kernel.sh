#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Unpack Debian's linux-source-6.12 into build/linux, apply arbor's patch
# series, link security/arbor into the tree, configure (tinyconfig plus the
# fragment in ./Kconfig) and build the bzImage in build/obj. Each step is
# skipped when its inputs have not changed, so a rebuild after editing a Rust
# file in security/arbor only recompiles that object and relinks.
#   build-kernel.sh          the main kernel (./Kconfig and
#                            scripts/nfs.config), in build/obj
#   build-kernel.sh debug    the debug kernel (also scripts/debug.config:
#                            lockdep, KASAN, UBSAN), in build/obj-debug, from
#                            the same unpacked and patched tree
#   build-kernel.sh ima      the benchmark kernel (also scripts/nfs.config,
#                            and scripts/ima.config: IMA next to arbor), in
#                            build/obj-ima
source "$(dirname "$0")/lib.sh"

variant=${1:-main}
kernel_variant "$variant"
# The configuration fragments merged onto tinyconfig, in this order. NFS
# (scripts/nfs.config) is for the guests' remote-file tests and for the
# benchmark's reads over NFS.
fragments=("$ARBOR_ROOT/Kconfig" "$BUILD/keys.config")
case "$variant" in
main) fragments+=("$ARBOR_ROOT/scripts/nfs.config") ;;
debug) fragments+=("$ARBOR_ROOT/scripts/nfs.config" "$ARBOR_ROOT/scripts/debug.config") ;;
ima) fragments+=("$ARBOR_ROOT/scripts/nfs.config" "$ARBOR_ROOT/scripts/ima.config") ;;
esac

TARBALL=/usr/src/linux-source-6.12.tar.xz
[ -f "$TARBALL" ] || die "$TARBALL missing: run scripts/setup.sh"
mkdir -p "$BUILD"

# 1. Source tree, keyed by the Debian package version.
src_version=$(dpkg-query -W -f='${Version}' linux-source-6.12)
if ! stamp_matches "$BUILD/.source-version" "$src_version"; then
	log "unpacking linux-source-6.12 $src_version"
	# Both kernels' objects belong to the old tree.
	rm -rf "$KSRC" "$BUILD/obj" "$BUILD/obj-debug" "$BUILD/obj-ima" "$BUILD/applied-patches" "$BUILD/.source-version"
	tmp=$(mktemp -d "$BUILD/unpack.XXXXXX")
	tar -C "$tmp" -xf "$TARBALL"
	mv "$tmp"/linux-source-6.12 "$KSRC"
	rmdir "$tmp"
	echo "$src_version" > "$BUILD/.source-version"
fi

# 2. Patch series: revert the previously applied copy if the series changed.
patches=("$ARBOR_ROOT"/scripts/patches/*.patch)
series_hash=$(cat "${patches[@]}" | sha256sum | cut -d' ' -f1)
if ! stamp_matches "$BUILD/.patches-applied" "$series_hash"; then
	# Copies of the files either series touches, as they are now: after
	# the new series is applied, a file it leaves unchanged gets its old
	# time stamp back, so make rebuilds only what depends on what changed
	# (a patch to one helper must not rebuild the whole kernel).
	keep=$(mktemp -d "$BUILD/keep.XXXXXX")
	for f in $(sed -n 's|^+++ b/||p' "${patches[@]}" "$BUILD"/applied-patches/*.patch 2>/dev/null | sort -u); do
		if [ -f "$KSRC/$f" ]; then
			mkdir -p "$keep/$(dirname "$f")"
			cp -p "$KSRC/$f" "$keep/$f"
		fi
	done
	if [ -d "$BUILD/applied-patches" ]; then
		log "reverting the previously applied patch series"
		for p in $(ls -r "$BUILD"/applied-patches/*.patch); do
			patch -d "$KSRC" -p1 -R -s --no-backup-if-mismatch < "$p"
		done
	fi
	rm -rf "$BUILD/applied-patches" "$BUILD/.patches-applied"
	mkdir -p "$BUILD/applied-patches"
	for p in "${patches[@]}"; do
		log "applying $(basename "$p")"
		patch -d "$KSRC" -p1 -s --no-backup-if-mismatch --forward < "$p" ||
			die "$(basename "$p") does not apply to linux-source-6.12 $src_version"
		cp "$p" "$BUILD/applied-patches/"
	done
	(cd "$keep" && find . -type f) | while read -r f; do
		if cmp -s "$keep/$f" "$KSRC/$f"; then touch -r "$keep/$f" "$KSRC/$f"; fi
	done
	rm -rf "$keep"
	echo "$series_hash" > "$BUILD/.patches-applied"
fi

# 3. arbor's own directory is a link, so edits need no copy step.
ln -sfn "$ARBOR_ROOT/security/arbor" "$KSRC/security/arbor"

# 4. Test signing keys: "trusted" is compiled into the kernel's builtin
# keyring, "untrusted" is not. Generated once per build tree; nothing
# secret is committed.
keys=$BUILD/keys
if [ ! -f "$keys/trusted.pem" ] || [ ! -f "$keys/untrusted.pem" ]; then
	log "generating test signing keys in $keys"
	mkdir -p "$keys"
	for k in trusted untrusted; do
		openssl req -new -x509 -newkey rsa:2048 -nodes -sha256 -days 36500 \
			-subj "/CN=arbor test signing key ($k)" \
			-keyout "$keys/$k.key" -out "$keys/$k.pem" 2>/dev/null
	done
fi
printf 'CONFIG_SYSTEM_TRUSTED_KEYS="%s"\n' "$keys/trusted.pem" > "$BUILD/keys.config"

# 5. Configuration (per variant: each has its own object directory and
# stamp, so configuring one never invalidates the other's build).
config_hash=$(cat "$ARBOR_ROOT/Kconfig" "$ARBOR_ROOT/security/arbor/Kconfig" "$BUILD/keys.config" "$keys/trusted.pem" \
	"${fragments[@]:2}" | sha256sum | cut -d' ' -f1)
if ! stamp_matches "$KCONFIG_STAMP" "$config_hash$series_hash" || [ ! -f "$KOBJ/.config" ]; then
	case "$variant" in
	debug) log "configuring the debug kernel: tinyconfig + Kconfig fragment + scripts/nfs.config + scripts/debug.config" ;;
	ima) log "configuring the benchmark kernel: tinyconfig + Kconfig fragment + scripts/nfs.config + scripts/ima.config" ;;
	*) log "configuring: tinyconfig + Kconfig fragment + scripts/nfs.config" ;;
	esac
	mkdir -p "$KOBJ"
	"${KMAKE[@]}" rustavailable >/dev/null || die "Rust toolchain not usable by the kernel (make rustavailable)"
	"${KMAKE[@]}" tinyconfig >/dev/null
	KCONFIG_CONFIG="$KOBJ/.config" "$KSRC/scripts/kconfig/merge_config.sh" -m -O "$KOBJ" \
		"$KOBJ/.config" "${fragments[@]}" >/dev/null
	"${KMAKE[@]}" olddefconfig >/dev/null
	# merge_config only warns; a fragment line that did not stick is an error.
	bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) grep -qxF -- "$line" "$KOBJ/.config" || { echo "  not set: $line" >&2; bad=1; } ;;
		"# CONFIG_"*" is not set") grep -q "^${line:2:-11}=" "$KOBJ/.config" && { echo "  still set: $line" >&2; bad=1; } ;;
		esac
	done < <(cat "${fragments[@]}")
	[ $bad = 0 ] || die "the Kconfig fragment does not fully apply (dependencies missing?)"
	echo "$config_hash$series_hash" > "$KCONFIG_STAMP"
fi

# 6. Build.
case "$variant" in
debug) log "building the debug bzImage (make LLVM=1 -j$JOBS)" ;;
ima) log "building the benchmark bzImage (make LLVM=1 -j$JOBS)" ;;
*) log "building bzImage (make LLVM=1 -j$JOBS)" ;;
esac
# Clippy lints arbor's sources in the test kernel's build; the debug and
# benchmark kernels compile the same sources, so they skip the lint pass.
clippy=(CLIPPY=1)
[ "$variant" = main ] || clippy=()
if ! "${KMAKE[@]}" "${clippy[@]}" bzImage > "$KBUILD_LOG" 2>&1; then
	grep -E 'error|Error' "$KBUILD_LOG" | head -60 >&2 || true
	tail -20 "$KBUILD_LOG" >&2
	die "kernel build failed; see $KBUILD_LOG"
fi
# Diagnostics from arbor's own code (rustc, clippy, objtool, modpost).
grep -E -A6 '^(warning|error)' "$KBUILD_LOG" | grep 'security/arbor' > /dev/null &&
	grep -E -B2 -A12 '^(warning|error)' "$KBUILD_LOG" >&2 || true
log "kernel: $BZIMAGE"
