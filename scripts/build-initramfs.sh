#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build a guest initramfs (newc cpio): busybox, arbor's guest helper, the
# generic /init from samples/arbor, and the files of one job.
#   build-initramfs.sh demo OUT.cpio
#   build-initramfs.sh test OUT.cpio   (also writes the host-computed
#                                       expectations into the image,
#                                       build/verity-ext4.img, and
#                                       OUT-lists.cpio: the same with
#                                       digest lists to load at boot)
source "$(dirname "$0")/lib.sh"

job=${1:?usage: build-initramfs.sh demo|test OUT.cpio}
out=${2:?usage: build-initramfs.sh demo|test OUT.cpio}
# Absolute: the digest lists are built from inside the tree being archived.
out=$(realpath -m "$out")
SELFTESTS=$ARBOR_ROOT/tools/testing/selftests/arbor

# Guest helper: a static binary, so the initramfs needs no libraries.
RUSTFLAGS="-C target-feature=+crt-static" cargo build --quiet --release --locked \
	--target x86_64-unknown-linux-gnu \
	--manifest-path "$SELFTESTS/guest/Cargo.toml" --target-dir "$BUILD/guest-target"
helper=$BUILD/guest-target/x86_64-unknown-linux-gnu/release/arbor-guest
# The arbor command, static too (OpenSSL included), for the guests that
# archive the list.
OPENSSL_STATIC=1 RUSTFLAGS="-C target-feature=+crt-static" cargo build --quiet --release --locked \
	--target x86_64-unknown-linux-gnu -p arbor \
	--manifest-path "$ARBOR_ROOT/tools/arbor/Cargo.toml" --target-dir "$BUILD/guest-target"
arbor_cmd=$BUILD/guest-target/x86_64-unknown-linux-gnu/release/arbor

root=$(mktemp -d "$BUILD/initramfs.XXXXXX")
# mktemp makes the directory 0700; it becomes the guest's /, which every
# user must be able to search.
chmod 755 "$root"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,etc/arbor,out}
cp /bin/busybox "$root/bin/busybox"
cp "$helper" "$root/bin/arbor-guest"
cp "$ARBOR_ROOT/samples/arbor/init" "$root/init"

case "$job" in
demo)
	mkdir -p "$root/samples"
	cp "$ARBOR_ROOT/samples/arbor/demo.sh" "$root/etc/arbor/demo.sh"
	cp "$ARBOR_ROOT/samples/arbor/hello.sh" "$root/samples/hello.sh"
	cp "$ARBOR_ROOT/samples/arbor/hello.sh" "$root/samples/hello-signed.sh"
	echo demo.sh > "$root/etc/arbor/job"
	# Signatures with the test key the kernel trusts (cpio carries no
	# xattrs, so the demo sets them in the guest).
	mkdir -p "$root/samples/sig"
	for f in bin/busybox bin/arbor-guest samples/hello-signed.sh; do
		fsverity sign "$root/$f" "$root/samples/sig/$(basename "$f").p7" \
			--key="$BUILD/keys/trusted.key" --cert="$BUILD/keys/trusted.pem" > /dev/null
		{ printf '\001\001\014\000'; cat "$root/samples/sig/$(basename "$f").p7"; } > "$root/samples/sig/$(basename "$f")"
		rm "$root/samples/sig/$(basename "$f").p7"
	done
	;;
test)
	cp "$arbor_cmd" "$root/bin/arbor"
	"$SELFTESTS/make-test-files.sh" "$root" "$BUILD/verity-ext4.img" "$BUILD/keys"
	cp "$SELFTESTS/guest-tests.sh" "$root/etc/arbor/tests.sh"
	cp "$SELFTESTS/guest-lsm-off.sh" "$root/etc/arbor/lsm-off.sh"
	cp "$SELFTESTS/guest-pagein.sh" "$root/etc/arbor/pagein.sh"
	cp "$SELFTESTS/guest-policy.sh" "$root/etc/arbor/policy-tests.sh"
	cp "$SELFTESTS/guest-digest-lists.sh" "$root/etc/arbor/digest-list-tests.sh"
	cp "$SELFTESTS/guest-attack.sh" "$root/etc/arbor/attack-tests.sh"
	cp "$SELFTESTS/guest-list.sh" "$root/etc/arbor/list-tests.sh"
	cp "$SELFTESTS/guest-archive.sh" "$root/etc/arbor/archive.sh"
	cp "$SELFTESTS/guest-bench.sh" "$root/etc/arbor/bench.sh"
	cp "$SELFTESTS/guest-keylime.sh" "$root/etc/arbor/keylime.sh"
	cp "$SELFTESTS/guest-bench-ima.sh" "$root/etc/arbor/bench-ima.sh"
	cp "$SELFTESTS/guest-lists-boot.sh" "$root/etc/arbor/lists-boot.sh"
	cp "$SELFTESTS/guest-nfs.sh" "$root/etc/arbor/nfs.sh"
	cp "$SELFTESTS/guest-nfs-serve.sh" "$root/etc/arbor/nfs-serve.sh"
	echo tests.sh > "$root/etc/arbor/job"
	;;
*) die "unknown job $job" ;;
esac

(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) > "$out.tmp"

# For boots with nothing signed (guest-lists-boot.sh): the same archive
# followed by a second one (the kernel unpacks both, in order) that adds
# /etc/arbor/digest-lists/, signed by the test key the kernel trusts:
# 00-busybox.dl made from Debian's busybox-static package (the very
# version installed here, whose /bin/busybox the guest runs), and
# 10-initramfs.dl holding every other file of the archive but
# prog-signed, which stays out of every list. Copies of the lists stay in
# OUT-lists/ for the host's PCR prediction.
if [ "$job" = test ]; then
	arbor_host=$ARBOR_ROOT/tools/arbor/target/debug/arbor
	debs=$BUILD/debs
	mkdir -p "$debs"
	bb_version=$(dpkg-query -W -f='${Version}' busybox-static)
	if ! stamp_matches "$debs/busybox-static.version" "$bb_version" || [ ! -s "$debs/busybox-static.deb" ]; then
		log "downloading busybox-static $bb_version (the installed version) for the digest-list tests"
		rm -f "$debs"/busybox-static*.deb "$debs/busybox-static.version"
		(cd "$debs" && { apt-get download -q "busybox-static=$bb_version" 2>/dev/null ||
			{ apt-get update -qq && apt-get download -q "busybox-static=$bb_version"; }; }) ||
			die "cannot download busybox-static $bb_version"
		mv "$debs"/busybox-static_*.deb "$debs/busybox-static.deb"
		echo "$bb_version" > "$debs/busybox-static.version"
	fi
	lists=${out%.cpio}-lists
	overlay=$(mktemp -d "$BUILD/initramfs-lists.XXXXXX")
	trap 'rm -rf "$root" "$overlay"' EXIT
	rm -rf "$lists"
	mkdir -p "$lists" "$overlay/etc/arbor/digest-lists"
	"$arbor_host" digest-list build --deb "$debs/busybox-static.deb" --out "$lists/00-busybox.list"
	mapfile -t files < <(cd "$root" && find . -type f ! -path ./bin/busybox \
		! -path ./arbor-tests/lists/bin/prog-signed | LC_ALL=C sort)
	(cd "$root" && "$arbor_host" digest-list build --out "$lists/10-initramfs.list" "${files[@]}")
	for l in 00-busybox 10-initramfs; do
		"$arbor_host" digest-list sign "$lists/$l.list" --key "$BUILD/keys/trusted.key" \
			--cert "$BUILD/keys/trusted.pem" --out "$lists/$l.dl"
		rm "$lists/$l.list"
		cp "$lists/$l.dl" "$overlay/etc/arbor/digest-lists/"
	done
	{ cat "$out.tmp"; (cd "$overlay" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc -R 0:0 --quiet); } > "$lists.cpio"
fi
mv "$out.tmp" "$out"
