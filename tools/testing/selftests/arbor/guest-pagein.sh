# SPDX-License-Identifier: GPL-2.0
# Second boot of the page-in test. Between the boots the host altered one
# byte in the first data block of /mnt/prog-pagein on the raw ext4 image,
# leaving its fs-verity root and its signature as they were. arbor still
# trusts the file (its digest is the signed root), but fs-verity must refuse
# the altered block when it is read into the page cache.
A=/sys/kernel/security/arbor
T=/arbor-tests
ok() { echo "ok - $1"; }
notok() { echo "not ok - $1: $2"; }
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else notok "$1" "got '$2', want '$3'"; fi; }

mkdir -p /mnt
if ! mount -t ext4 /dev/vdb /mnt; then
	notok "page-in: ext4 image mounted" "mount failed"
	exit 0
fi
f=/mnt/prog-pagein
expect_eq "page-in: mapping the file executable is allowed (root and signature unchanged)" \
	"$(arbor-guest mmap-exec $f)" ok
expect_eq "page-in: arbor logged nothing untrusted about it" "$(dmesg | grep -c "arbor: .*$f: untrusted")" 0
expect_eq "page-in: its entry carries the signed root" \
	"$(awk -v p=$f '$5 == p {print $4}' $A/ascii_runtime_measurements)" "$(cat $T/expected-pagein)"
expect_eq "page-in: executing it fails with EIO" "$(arbor-guest exec $f hello)" "exec-errno 5"
if dd if=$f of=/dev/null bs=4096 count=1 2>/dev/null; then
	notok "page-in: reading the altered block fails" "read succeeded"
else
	ok "page-in: reading the altered block fails"
fi
if dmesg | grep -q 'fs-verity.*FILE CORRUPTED'; then
	ok "page-in: fs-verity reported the corrupted block"
else
	notok "page-in: fs-verity reported the corrupted block" "no FILE CORRUPTED line"
fi
umount /mnt

# This boot has no TPM: the list is handed to the host, which replays it
# against arbor's software PCR values. One ToMToU violation first (a file
# that root reads, under the default policy, is opened for writing while
# still open), so that the replay covers a violation without a TPM too.
printf 'no tpm\n' > /tmp/notpm
exec 3< /tmp/notpm
printf more >> /tmp/notpm
exec 3<&-
expect_eq "no TPM: the violation is counted" "$(cat $A/violations)" 1
# A checkpoint after it: the host checks that it records the software
# values, the violation included, and says there is no TPM.
expect_eq "no TPM: a checkpoint" "$(printf 1 | arbor-guest write-file $A/checkpoint /proc/self/fd/0)" ok
for f in binary_runtime_measurements ascii_runtime_measurements runtime_measurements_count \
	software_pcrs_sha1 software_pcrs_sha256 violations; do
	cat $A/$f > /out/$f
done
