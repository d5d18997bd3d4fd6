# SPDX-License-Identifier: GPL-2.0
# Booted with a TPM: processes execute and read new files while
# `arbor log archive` runs in a loop, saving segments of the list and
# trimming the kernel's copy. The segments, the live list, the TPM's PCRs
# and the paths the workload used go to /out; the host then replays the
# segments and the live list, concatenated, with evmctl against the TPM,
# verifies them as a chain with `arbor log verify --archive`, and checks
# that every path the workload used is in them exactly once.
A=/sys/kernel/security/arbor
ok() { echo "ok - archive guest: $1"; }
notok() { echo "not ok - archive guest: $1${2:+: $2}"; }

if [ -d /sys/class/tpm/tpm0/pcr-sha256 ]; then
	ok "a TPM is present (swtpm)"
else
	notok "a TPM is present (swtpm)"
fi
arbor-guest setxattr /bin/arbor security.arbor /arbor-tests/sig/arbor > /dev/null

W=/tmp/w
mkdir -p $W
n=40
i=0
while [ $i -lt $n ]; do
	printf '#!/bin/sh\necho %s > /dev/null\n' $i > $W/prog$i
	chmod 755 $W/prog$i
	printf 'data %s\n' $i > $W/data$i
	echo "$W/prog$i" >> /out/workload
	echo "$W/data$i" >> /out/workload
	i=$((i + 1))
done
pids=
for w in 0 1 2 3; do
	( i=$w; while [ $i -lt $n ]; do $W/prog$i; cat $W/data$i > /dev/null; i=$((i + 4)); done ) &
	pids="$pids $!"
done
running() {
	for p in $pids; do kill -0 $p 2>/dev/null && return 0; done
	return 1
}
runs=0
failed=0
while running || [ $runs -lt 3 ]; do
	arbor log archive /out/archive >> /out/archive.log 2>&1 || failed=$((failed + 1))
	runs=$((runs + 1))
done
wait
arbor log archive /out/archive >> /out/archive.log 2>&1 || failed=$((failed + 1))
if [ $failed = 0 ]; then
	ok "arbor log archive ran $((runs + 1)) times while the workload ran"
else
	notok "arbor log archive ran $((runs + 1)) times while the workload ran" "$failed failed"
	tail -5 /out/archive.log
fi
segments=$(grep -c '^segment-' /out/archive/manifest)
if [ "$segments" -ge 2 ]; then
	ok "the archive holds $segments segments"
else
	notok "the archive holds several segments" "$segments"
fi
dropped=$(cat $A/runtime_measurements_dropped)
if [ "$dropped" -gt 0 ]; then
	ok "the kernel dropped $dropped entries"
else
	notok "the kernel dropped entries" "none"
fi
# The quote before the list: the list may run ahead of the PCR value,
# never behind it.
for bank in sha1 sha256; do
	arbor-guest pcrs $bank > /out/tpm_pcrs_$bank
done
cat $A/binary_runtime_measurements > /out/live.bin
