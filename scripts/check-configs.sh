#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Configurations the test kernels do not cover, checked at the Kconfig
# level and by compiling arbor alone (no kernel image, no boot):
#   - no TPM core and no audit subsystem (TCG_TPM=n, AUDIT=n): arbor builds,
#     without rustc or clippy warnings, with software PCRs and log-line
#     audit records;
#   - a modular TPM core (TCG_TPM=m): Kconfig leaves arbor out, since a
#     built-in LSM cannot reach module code.
# Uses the tree build-kernel.sh unpacked and patched, in build/obj-variant.
# Prints "ok - ..." / "not ok - ..." lines; exits non-zero on a failure.
source "$(dirname "$0")/lib.sh"

[ -d "$KSRC" ] && [ -f "$BUILD/keys.config" ] || die "run scripts/build-kernel.sh first"
VOBJ=$BUILD/obj-variant
VMAKE=(make -C "$KSRC" O="$VOBJ" LLVM=1 -j"$JOBS")
status=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; status=1; }
has() { grep -qx "$1" "$2"; }

# The fragments this variant starts from; it is reconfigured only when
# they change, so a rerun recompiles only what changed.
key=$(cat "$ARBOR_ROOT/Kconfig" "$ARBOR_ROOT/security/arbor/Kconfig" "$BUILD/keys.config" \
	"$BUILD/.patches-applied" | sha256sum | cut -d' ' -f1)
if ! stamp_matches "$BUILD/.config-hash-variant" "$key" || [ ! -f "$VOBJ/.config" ]; then
	log "configuring the no-TPM, no-audit variant"
	mkdir -p "$VOBJ"
	"${VMAKE[@]}" tinyconfig >/dev/null
	KCONFIG_CONFIG="$VOBJ/.config" "$KSRC/scripts/kconfig/merge_config.sh" -m -O "$VOBJ" \
		"$VOBJ/.config" "$ARBOR_ROOT/Kconfig" "$BUILD/keys.config" >/dev/null
	"$KSRC/scripts/config" --file "$VOBJ/.config" --disable TCG_TPM --disable TCG_TIS --disable AUDIT
	"${VMAKE[@]}" olddefconfig >/dev/null
	echo "$key" > "$BUILD/.config-hash-variant"
fi

# 1. TCG_TPM=n, AUDIT=n: arbor stays, and compiles cleanly.
cfg=$VOBJ/.config
if has CONFIG_SECURITY_ARBOR=y "$cfg" && ! grep -q '^CONFIG_TCG_TPM=' "$cfg" && ! grep -q '^CONFIG_AUDIT=' "$cfg"; then
	ok "Kconfig: arbor builds with TCG_TPM=n and AUDIT=n"
else
	notok "Kconfig: arbor builds with TCG_TPM=n and AUDIT=n"
fi
log "compiling arbor with TCG_TPM=n, AUDIT=n"
if "${VMAKE[@]}" CLIPPY=1 security/arbor/ > "$BUILD/variant-build.log" 2>&1; then
	if grep -E -A6 '^(warning|error)' "$BUILD/variant-build.log" | grep 'security/arbor' > /dev/null; then
		notok "TCG_TPM=n, AUDIT=n: arbor compiles with no rustc or clippy warning (see $BUILD/variant-build.log)"
	else
		ok "TCG_TPM=n, AUDIT=n: arbor compiles with no rustc or clippy warning"
	fi
else
	grep -E -A12 '^error' "$BUILD/variant-build.log" | head -40 >&2 || true
	notok "TCG_TPM=n, AUDIT=n: arbor compiles (see $BUILD/variant-build.log)"
fi

# 2. TCG_TPM=m: Kconfig must drop arbor rather than let it link against a
# module. Checked on a copy of the configuration, so the variant's object
# tree is not reconfigured.
tmpcfg=$(mktemp "$BUILD/variant-tpm-m.XXXXXX")
trap 'rm -f "$tmpcfg" "$tmpcfg.old"' EXIT
cp "$cfg" "$tmpcfg"
"$KSRC/scripts/config" --file "$tmpcfg" --enable MODULES --module TCG_TPM --enable SECURITY_ARBOR
KCONFIG_CONFIG="$tmpcfg" "${VMAKE[@]}" olddefconfig >/dev/null
if has CONFIG_TCG_TPM=m "$tmpcfg" && ! has CONFIG_SECURITY_ARBOR=y "$tmpcfg"; then
	ok "Kconfig: arbor is not offered with a modular TPM core (TCG_TPM=m)"
else
	notok "Kconfig: arbor is not offered with a modular TPM core (TCG_TPM=m)"
fi
exit $status
