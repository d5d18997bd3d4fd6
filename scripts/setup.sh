#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install everything arbor's build and tests need on Debian 12. Idempotent:
# it checks first and installs only what is missing.
source "$(dirname "$0")/lib.sh"

APT_PACKAGES=(
	# kernel build
	linux-source-6.12 build-essential clang lld llvm libclang-dev flex bison bc
	libelf-dev libssl-dev pkg-config cpio xz-utils python3 rsync
	# guest and host test tools
	qemu-system-x86 busybox-static fsverity ima-evm-utils e2fsprogs openssl
	swtpm swtpm-tools
	# keylime's verifier, in a virtual environment (see below)
	python3-venv python3-gpg
)
BINDGEN_VERSION=0.72.1

missing=()
for p in "${APT_PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep 'ok installed' > /dev/null || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing Debian packages: ${missing[*]}"
	SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

command -v rustup >/dev/null || die "rustup not found: install Rust with rustup first (https://rustup.rs)"
if ! rustup component list --installed 2>/dev/null | grep '^rust-src' > /dev/null; then
	log "adding rustup component rust-src"
	rustup component add rust-src
fi
if ! bindgen --version 2>/dev/null | grep " $BINDGEN_VERSION\$" > /dev/null; then
	log "installing bindgen-cli $BINDGEN_VERSION"
	cargo install --locked "bindgen-cli@$BINDGEN_VERSION"
fi

# keylime's verifier for the attestation test: pinned, in a virtual
# environment of Debian's Python (whose python3-gpg keylime imports),
# rebuilt when the requirements change.
KEYLIME_REQS=$ARBOR_ROOT/tools/testing/selftests/arbor/keylime-requirements.txt
KEYLIME_VENV=$BUILD/keylime-venv
reqs_hash=$(sha256sum "$KEYLIME_REQS" | cut -d' ' -f1)
if ! stamp_matches "$KEYLIME_VENV/.requirements" "$reqs_hash"; then
	log "installing keylime's verifier into $KEYLIME_VENV"
	rm -rf "$KEYLIME_VENV"
	/usr/bin/python3 -m venv --system-site-packages "$KEYLIME_VENV"
	"$KEYLIME_VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps \
		-r "$KEYLIME_REQS"
	"$KEYLIME_VENV/bin/python" -c 'import keylime.ima.ima' 2>/dev/null ||
		die "keylime's verifier does not import in $KEYLIME_VENV"
	echo "$reqs_hash" > "$KEYLIME_VENV/.requirements"
fi
