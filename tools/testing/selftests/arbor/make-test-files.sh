#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Create the in-guest test files under ROOT/arbor-tests, an ext4 image with
# the verity feature for native fs-verity tests, and their expected
# fs-verity digests, computed on the host with fsverity-utils' `fsverity
# digest` (never with arbor's own code).
# Signatures are made with fsverity-utils' `fsverity sign` and arbor's
# 4-byte xattr header written here with printf, not with arbor's code.
#   make-test-files.sh ROOT EXT4_IMAGE KEYDIR
set -euo pipefail
root=${1:?usage: make-test-files.sh ROOT EXT4_IMAGE}
image=${2:?usage: make-test-files.sh ROOT EXT4_IMAGE KEYDIR}
keys=${3:?usage: make-test-files.sh ROOT EXT4_IMAGE KEYDIR}
t=$root/arbor-tests
mkdir -p "$t/data"

# arbor's own tool (tools/arbor), for signatures made with it.
arbor_cli=$(dirname "$0")/../../../arbor
cargo build --quiet --locked --manifest-path "$arbor_cli/Cargo.toml" -p arbor
arbor=$arbor_cli/target/debug/arbor

digest() { fsverity digest --hash-alg="${2:-sha256}" --block-size=4096 "$1" | cut -d' ' -f1 | cut -d: -f2; }
# progs DIR N NAME...: programs DIR/prog-NAME, copies of the guest helper
# made distinct by one trailing byte (N+1, N+2, ...; ELF ignores it), so
# that each has its own digest. N keeps every set apart from the others.
progs() {
	local dir=$1 n=$2 p
	shift 2
	for p in "$@"; do
		n=$((n + 1))
		{ cat "$root/bin/arbor-guest"; printf "\\$(printf %o $n)"; } > "$dir/prog-$p"
		chmod 755 "$dir/prog-$p"
	done
}

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
# Programs on ext4 for appraisal of fs-verity files: one with a built-in
# fs-verity signature (no security.arbor), one with no signature at all,
# and one signed in security.arbor whose data the host corrupts between two
# boots (the page-in test).
progs "$vdir" 10 fsvsig fsvnosig pagein imasig512
mkdir -p "$t/sig"
fsverity sign "$vdir/prog-fsvsig" "$t/sig/prog-fsvsig.p7" --key="$keys/trusted.key" --cert="$keys/trusted.pem" > /dev/null
s=$(mktemp)
fsverity sign "$vdir/prog-pagein" "$s" --key="$keys/trusted.key" --cert="$keys/trusted.pem" > /dev/null
{ printf '\001\001\014\000'; cat "$s"; } > "$t/sig/prog-pagein"
rm -f "$s"
echo "verity:sha256:$(digest "$vdir/prog-pagein")" > "$t/expected-pagein"
# An IMA sigv3 over the file's SHA-512 fs-verity digest (the guest enables
# fs-verity with SHA-512): appraisal must hash IMA's file id with the
# digest's own algorithm.
mkdir -p "$t/imasig"
"$arbor" sign --ima-sigv3 --hash-alg sha512 --key "$keys/trusted.key" --cert "$keys/trusted.pem" \
	--out "$t/imasig/verity-prog-imasig512" "$vdir/prog-imasig512"
openssl x509 -in "$keys/trusted.pem" -outform DER -out "$t/trusted.der"

rm -f "$image"
# Room for the copies the remote-file tests serve from it (guest-nfs.sh).
truncate -s 64M "$image"
# A fixed UUID, for the policy's fsuuid= condition.
ext4_uuid=a7b0c0de-5eed-4c0d-9e11-0123456789ab
mkfs.ext4 -q -b 4096 -O verity -U "$ext4_uuid" -d "$vdir" "$image"
rm -rf "$vdir"

# --- policies ---
# Signed policies are PKCS#7 messages that carry the policy text, signed
# without authenticated attributes (what the kernel's verifier accepts for
# an unspecified-purpose signature). The tampered copy changes one word of
# the signed text, keeping its length.
pdir=$t/policy
mkdir -p "$pdir"
echo "$ext4_uuid" > "$pdir/ext4-uuid"
printf 'measure func=BPRM_CHECK\nmeasure func=FILE_CHECK mask=^MAY_READ\n' > "$pdir/signed.txt"
for who in trusted untrusted; do
	openssl smime -sign -binary -nodetach -noattr -outform der -in "$pdir/signed.txt" \
		-signer "$keys/$who.pem" -inkey "$keys/$who.key" -out "$pdir/signed-$who.p7s"
done
# A signed policy that measures executions only, for tests that count
# entries once arbor is locked (reads then add none).
printf 'measure func=BPRM_CHECK\n' > "$pdir/exec-only.txt"
openssl smime -sign -binary -nodetach -noattr -outform der -in "$pdir/exec-only.txt" \
	-signer "$keys/trusted.pem" -inkey "$keys/trusted.key" -out "$pdir/signed-exec-only.p7s"
# The same policy signed by `arbor policy sign`.
"$arbor" policy sign "$pdir/signed.txt" --key "$keys/trusted.key" --cert "$keys/trusted.pem" \
	--out "$pdir/signed-arbor.p7s"
python3 - "$pdir/signed-trusted.p7s" "$pdir/signed-tampered.p7s" <<'PY'
import sys
blob = open(sys.argv[1], "rb").read()
assert blob.count(b"FILE_CHECK") == 1
open(sys.argv[2], "wb").write(blob.replace(b"FILE_CHECK", b"MMAP_CHECK"))
PY

# --- appraisal ---
# security.arbor = u8 version 1, u8 alg 1 (SHA-256), u8 log2 block size 12,
# u8 salt size 0, then the PKCS#7 signature `fsverity sign` writes.
mkdir -p "$t/bin" "$t/sig"
header() { printf '\001\001\014\000'; }
sign() { # FILE KEY OUT
	local s
	s=$(mktemp)
	fsverity sign "$1" "$s" --key="$keys/$2.key" --cert="$keys/$2.pem" > /dev/null
	{ header; cat "$s"; } > "$3"
	rm -f "$s"
}
# The guest's own tools, which must stay runnable in enforcing mode.
sign "$root/bin/busybox" trusted "$t/sig/busybox"
sign "$root/bin/arbor-guest" trusted "$t/sig/arbor-guest"
sign "$root/bin/arbor" trusted "$t/sig/arbor"

# Programs, each with a digest of its own.
progs "$t/bin" 0 signed unsigned untrusted wrongsig modify bad arborsign arborsign512 arborsign1k \
	imasig imasig-untrusted imasig-bad
sign "$t/bin/prog-signed" trusted "$t/sig/prog-signed"
sign "$t/bin/prog-untrusted" untrusted "$t/sig/prog-untrusted"
cp "$t/sig/prog-signed" "$t/sig/prog-wrongsig"     # another file's signature
sign "$t/bin/prog-modify" trusted "$t/sig/prog-modify"

# Signed by arbor's own tool (tools/arbor): the kernel must accept its
# output too, including Merkle parameters other than the defaults, which
# the kernel then uses to compute the digest itself.
"$arbor" sign --key "$keys/trusted.key" --cert "$keys/trusted.pem" \
	--out "$t/sig/prog-arborsign" "$t/bin/prog-arborsign"
"$arbor" sign --key "$keys/trusted.key" --cert "$keys/trusted.pem" --hash-alg sha512 \
	--out "$t/sig/prog-arborsign512" "$t/bin/prog-arborsign512"
"$arbor" sign --key "$keys/trusted.key" --cert "$keys/trusted.pem" --block-size 1024 --salt 0a0b0c \
	--out "$t/sig/prog-arborsign1k" "$t/bin/prog-arborsign1k"
# IMA sigv3 signatures (security.ima), by the trusted and the untrusted key,
# and one cut short.
mkdir -p "$t/imasig"
"$arbor" sign --ima-sigv3 --key "$keys/trusted.key" --cert "$keys/trusted.pem" \
	--out "$t/imasig/prog-imasig" "$t/bin/prog-imasig"
"$arbor" sign --ima-sigv3 --key "$keys/untrusted.key" --cert "$keys/untrusted.pem" \
	--out "$t/imasig/prog-imasig-untrusted" "$t/bin/prog-imasig-untrusted"
"$arbor" sign --ima-sigv3 --key "$keys/trusted.key" --cert "$keys/trusted.pem" \
	--out "$t/imasig/prog-imasig-bad.full" "$t/bin/prog-imasig-bad"
head -c 40 "$t/imasig/prog-imasig-bad.full" > "$t/imasig/prog-imasig-bad"
rm "$t/imasig/prog-imasig-bad.full"
# What the list must show for them, from fsverity-utils.
{
	echo "prog-arborsign verity:sha256:$(digest "$t/bin/prog-arborsign")"
	echo "prog-arborsign512 verity:sha512:$(digest "$t/bin/prog-arborsign512" sha512)"
	echo "prog-arborsign1k verity:sha256:$(fsverity digest --block-size=1024 --salt=0a0b0c "$t/bin/prog-arborsign1k" | cut -d' ' -f1 | cut -d: -f2)"
} > "$t/expected-arborsign"

# Scripts: the script and its (signed) interpreter are both appraised.
printf '#!/bin/busybox true\n# signed\n' > "$t/bin/script-signed"
printf '#!/bin/busybox true\n# unsigned\n' > "$t/bin/script-unsigned"
chmod 755 "$t/bin/script-signed" "$t/bin/script-unsigned"
sign "$t/bin/script-signed" trusted "$t/sig/script-signed"

# Files to map executable.
{ printf '\0'; head -c 8191 /dev/urandom; } > "$t/bin/map-signed"
{ printf '\0'; head -c 8191 /dev/urandom; } > "$t/bin/map-unsigned"
sign "$t/bin/map-signed" trusted "$t/sig/map-signed"

# Malformed security.arbor values, applied in turn to prog-bad. Each must
# be refused with a clear reason and no oops.
good=$(mktemp)
sign "$t/bin/prog-bad" trusted "$good"
b=$t/bad
mkdir -p "$b"
: > "$b/empty"
printf '\001' > "$b/1-byte"
head -c 2 "$good" > "$b/2-bytes"
head -c 3 "$good" > "$b/3-bytes"
head -c 4 "$good" > "$b/header-only"
printf '\001\001\014\005\001\002' > "$b/salt-truncated"
{ printf '\002'; tail -c +2 "$good"; } > "$b/bad-version"
{ printf '\001\007'; tail -c +3 "$good"; } > "$b/bad-algorithm"
{ printf '\001\001\010'; tail -c +4 "$good"; } > "$b/bad-block-size"
{ printf '\001\001\014\041'; tail -c +5 "$good"; } > "$b/salt-too-long"
head -c $(( $(stat -c %s "$good") / 2 )) "$good" > "$b/pkcs7-truncated"
python3 - "$good" "$b/pkcs7-corrupt" <<'PY'
import sys
v = bytearray(open(sys.argv[1], "rb").read())
v[len(v) // 2] ^= 0xff
open(sys.argv[2], "wb").write(v)
PY
head -c 200 /dev/urandom > "$b/garbage"
{ header; head -c $((65536 - 4)) /dev/urandom; } > "$b/64KiB"
rm -f "$good"

# --- attacks (guest-attack.sh) ---
# Code the attack suite maps executable and calls: the signed "good" code
# returns 42 (mov eax, 42; ret), the attacker's returns 66. Scripts print
# "hello" (signed) or "pwned" (the attacker's; same length, so it can be
# written over the good one in place). Files of equal content share a
# signature, so each test case works on its own copy (its own inode).
x=$t/attack
mkdir -p "$x"
printf '\270\052\000\000\000\303' > "$x/code-good"
printf '\270\102\000\000\000\303' > "$x/code-bad"
printf '#!/bin/busybox sh\necho hello\n' > "$x/script-good"
printf '#!/bin/busybox sh\necho pwned\n' > "$x/script-bad"
# A large signed script, so that its appraisal takes long enough for a
# racing writer to try its luck: 4 MiB of comment after the command.
{ cat "$x/script-good"; head -c $((4 << 20)) /dev/zero | tr '\0' '#'; echo; } > "$x/script-big"
# The readpage gate's file: three pages, code that returns 42 at 0 and 43
# at 4096 (the attacker's: 66), and 100 bytes of text; the "bad" version
# differs from the signed one in its second page only.
gate_file() {
	printf '\270\052\000\000\000\303'
	head -c $((4096 - 6)) /dev/zero
	printf "\\270\\$1\\000\\000\\000\\303"
	head -c $((4096 - 6)) /dev/zero
	head -c 100 /dev/zero | tr '\0' t
}
gate_file 053 > "$x/gate-good"
gate_file 102 > "$x/gate-bad"
# 1.25 MiB: its pages' hashes (10 KiB) fit once, not twice, in the memory
# the main test boot allows for page checks (16 KiB).
{ cat "$x/gate-good"; head -c $((1280 * 1024 - 8292)) /dev/zero | tr '\0' m; } > "$x/gate-mid"
# The gate's program: a static x86-64 ELF of 21 pages (one PT_LOAD, R+X,
# at 0x400000). Its entry, in page 0, jumps to page 20, which prints
# "hello" and exits 0 (the attacker's page 20: "pwned", exit 66). With an
# argument, it first waits for a byte on stdin, so that a test can change
# page 20 under it while it runs. Page 20 is beyond the readahead of
# exec's header read and the fault-around of the entry's fault: only the
# jump reads it.
gate_elf() { # OUT MESSAGE STATUS
	python3 - "$@" <<'PY'
import struct, sys
out, msg, status = sys.argv[1], sys.argv[2].encode() + b"\n", int(sys.argv[3])
base, page, far = 0x400000, 4096, 20
entry = 64 + 56
code0 = (b"\x48\x83\x3c\x24\x02"          # cmp qword [rsp], 2 (argc)
         b"\x72\x10"                        # jb go
         b"\x31\xc0\x31\xff"                # read(0,
         b"\x48\x8d\x74\x24\xf8"            #   rsp - 8,
         b"\xba\x01\x00\x00\x00\x0f\x05"    #   1)
         + b"\xb8" + struct.pack("<I", base + far * page)  # go: mov eax, page 20
         + b"\xff\xe0")                     # jmp rax
code20 = (b"\xb8\x01\x00\x00\x00\xbf\x01\x00\x00\x00"  # write(1,
          b"\x48\x8d\x35\x00\x00\x00\x00"              #   msg (rip-relative),
          b"\xba" + struct.pack("<I", len(msg)) + b"\x0f\x05"  # len)
          b"\xb8\x3c\x00\x00\x00\xbf" + struct.pack("<I", status)
          + b"\x0f\x05")                                # exit(status)
code20 = bytearray(code20)
code20[13:17] = struct.pack("<i", len(code20) - 17)      # msg follows the code
size = far * page + len(code20) + len(msg)
ehdr = (b"\x7fELF\x02\x01\x01" + bytes(9)
        + struct.pack("<HHIQQQIHHHHHH", 2, 0x3E, 1, base + entry, 64, 0, 0, 64, 56, 1, 0, 0, 0))
phdr = struct.pack("<IIQQQQQQ", 1, 5, 0, base, base, size, size, page)
img = bytearray(size)
head = ehdr + phdr + code0
img[:len(head)] = head
img[far * page:] = code20 + msg
open(out, "wb").write(img)
PY
}
gate_elf "$x/gate-elf-good" hello 0
gate_elf "$x/gate-elf-bad" pwned 66
# A new version, signed too, for a server's reported update.
gate_elf "$x/gate-elf-new" howdy 0
chmod 755 "$x"/*
# Both run here as described (on an x86-64 host), so that a test in the
# guest that sees neither line knows the program did not run.
if [ "$(uname -m)" = x86_64 ]; then
	while read -r v want; do
		for got in "$("$x/gate-elf-$v"; echo "$?")" "$(echo x | "$x/gate-elf-$v" wait; echo "$?")"; do
			if [ "$(echo $got)" != "$want" ]; then
				echo "make-test-files.sh: gate-elf-$v: '$got', not '$want'" >&2
				exit 1
			fi
		done
	done <<-EOF
	good hello 0
	bad pwned 66
	new howdy 0
	EOF
fi
for f in code-good script-good script-big gate-good gate-mid gate-elf-good gate-elf-new; do
	sign "$x/$f" trusted "$x/$f.sig"
done
# ld.so loading programs itself: the host's dynamic loader and C library
# (signed), a signed dynamic program that prints "hello" and an unsigned
# one that prints "pwned".
ldso=$(readlink -f /lib64/ld-linux-x86-64.so.2)
libc=$(readlink -f /lib/x86_64-linux-gnu/libc.so.6)
mkdir -p "$root/lib64" "$root/lib/x86_64-linux-gnu"
cp "$ldso" "$root/lib64/ld-linux-x86-64.so.2"
cp "$libc" "$root/lib/x86_64-linux-gnu/libc.so.6"
sign "$root/lib64/ld-linux-x86-64.so.2" trusted "$x/ldso.sig"
sign "$root/lib/x86_64-linux-gnu/libc.so.6" trusted "$x/libc.sig"
for word in hello pwned; do
	printf '#include <stdio.h>\nint main(void) { puts("%s"); return 0; }\n' "$word" |
		gcc -O2 -x c -o "$x/dyn-$word" -
done
sign "$x/dyn-hello" trusted "$x/dyn-hello.sig"

# --- remote files (guest-nfs.sh) ---
# Programs the guest serves over NFS from its exported ext4 image, each
# distinct: v1 and v2, two signed versions of one program (v2 replaces v1
# on the server); one unsigned; one signed by the untrusted key; one with
# an IMA sigv3 (set as user.ima). Their signatures are the values
# security.arbor and security.ima would hold; user.arbor and user.ima hold
# the same bytes. "v1+X" is v1 with "X" appended on the server.
nf=$t/nfs
mkdir -p "$nf/bin" "$nf/sig"
progs "$nf/bin" 60 v1 v2 unsigned untrusted imasig
sign "$nf/bin/prog-v1" trusted "$nf/sig/prog-v1"
sign "$nf/bin/prog-v2" trusted "$nf/sig/prog-v2"
sign "$nf/bin/prog-untrusted" untrusted "$nf/sig/prog-untrusted"
"$arbor" sign --ima-sigv3 --key "$keys/trusted.key" --cert "$keys/trusted.pem" \
	--out "$nf/sig/prog-imasig" "$nf/bin/prog-imasig"
tmp=$(mktemp)
{ cat "$nf/bin/prog-v1"; printf X; } > "$tmp"
{
	for p in v1 v2 imasig; do echo "prog-$p $(digest "$nf/bin/prog-$p")"; done
	echo "prog-v1+X $(digest "$tmp")"
} > "$nf/expected"
rm -f "$tmp"

# --- digest lists (guest-digest-lists.sh) ---
# Programs with no signature of their own, each distinct: one an allow
# list holds, one a second allow list holds (removed later), one no list
# holds, one signed by the trusted key that a revoke list holds, and one
# signed that no list holds (for appraise_by=list).
dl=$t/lists
mkdir -p "$dl/bin" "$dl/sig"
progs "$dl/bin" 40 listed listed2 unlisted revoked signed
sign "$dl/bin/prog-revoked" trusted "$dl/sig/prog-revoked"
sign "$dl/bin/prog-signed" trusted "$dl/sig/prog-signed"
# Lists made by arbor's tool. The allow list also holds digests of files
# the guest never sees, so that the lookup searches more than one digest.
mkdir -p "$dl/other"
for i in 1 2 3 4 5 6 7; do head -c $((i * 1000)) /dev/urandom > "$dl/other/$i"; done
"$arbor" digest-list build --out "$dl/allow.list" "$dl/bin/prog-listed" "$dl/other"
"$arbor" digest-list build --out "$dl/allow2.list" "$dl/bin/prog-listed2"
"$arbor" digest-list build --revoke --out "$dl/revoke.list" "$dl/bin/prog-revoked"
rm -rf "$dl/other"
for l in allow allow2 revoke; do
	"$arbor" digest-list sign "$dl/$l.list" --key "$keys/trusted.key" --cert "$keys/trusted.pem" \
		--out "$dl/$l.dl"
done
# The list holds what fsverity-utils computes for the program.
# (grep reads all of it: under pipefail, an early exit could fail the writer.)
if ! "$arbor" digest-list show "$dl/allow.dl" | grep -x "sha256:$(digest "$dl/bin/prog-listed")" > /dev/null; then
	echo "make-test-files.sh: the allow list lacks prog-listed's fs-verity digest" >&2
	exit 1
fi
# Lists that must be refused, each signed (where it is signed at all) with
# OpenSSL directly, detached and without attributes or certificates, so
# that the kernel's refusal is of the list and not of arbor's signing:
# unsigned; signed by a key the kernel does not trust; a signed list with
# one digest changed after signing; cut inside its digests; digests out of
# order (validly signed); a reserved field set (validly signed); garbage.
ossl_sign() { # LIST KEY OUT: LIST followed by its detached signature
	openssl smime -sign -binary -noattr -nocerts -outform der -in "$1" \
		-signer "$keys/$2.pem" -inkey "$keys/$2.key" -out "$3.sig"
	cat "$1" "$3.sig" > "$3"
	rm -f "$3.sig"
}
cp "$dl/allow.list" "$dl/bad-unsigned.dl"
ossl_sign "$dl/allow.list" untrusted "$dl/bad-untrusted.dl"
ossl_sign "$dl/allow.list" trusted "$dl/openssl-signed.dl"
python3 - "$dl" <<'PY'
import sys
d = sys.argv[1]
signed = bytearray(open(f"{d}/allow.dl", "rb").read())
plain = open(f"{d}/allow.list", "rb").read()
count = int.from_bytes(plain[48:56], "little")
assert len(plain) == 64 + 32 * count and count >= 2
# The last digest's last bit flipped: still in order (digests differ in
# an earlier byte), no longer what was signed.
t = bytearray(signed)
end = 64 + 32 * count
t[end - 1] ^= 1
open(f"{d}/bad-tampered.dl", "wb").write(t)
open(f"{d}/bad-truncated.dl", "wb").write(signed[: 64 + 32 * count - 16])
# Two digests swapped, and a reserved byte set: lists a trusted key signs.
u = bytearray(plain)
u[64:96], u[96:128] = plain[96:128], plain[64:96]
open(f"{d}/unsorted.list", "wb").write(u)
r = bytearray(plain)
r[14] = 1
open(f"{d}/reserved.list", "wb").write(r)
PY
ossl_sign "$dl/unsorted.list" trusted "$dl/bad-unsorted.dl"
ossl_sign "$dl/reserved.list" trusted "$dl/bad-reserved.dl"
rm -f "$dl/unsorted.list" "$dl/reserved.list" "$dl"/*.list
head -c 3000 /dev/urandom > "$dl/bad-garbage.dl"
# The SHA-256 each load records, from coreutils.
for l in allow allow2 revoke openssl-signed; do
	echo "$l $(sha256sum "$dl/$l.dl" | cut -d' ' -f1)"
done > "$dl/expected-sha256"
