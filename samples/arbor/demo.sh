# SPDX-License-Identifier: GPL-2.0
# arbor demo: run programs in permissive mode, sign some, switch to
# enforcing, and show what arbor measured and decided.
sec=/sys/kernel/security
A=$sec/arbor
echo "LSMs: $(cat $sec/lsm); arbor mode: $(cat $A/enforce) (0 = permissive)"
echo "--- permissive: unsigned programs run, and are logged ---"
/samples/hello.sh
echo "--- signing busybox, arbor-guest and hello-signed.sh (security.arbor) ---"
for f in /bin/busybox /bin/arbor-guest /samples/hello-signed.sh; do
	arbor-guest setxattr $f security.arbor /samples/sig/$(basename $f)
done
echo 1 > $A/enforce
echo "--- enforcing ---"
/samples/hello-signed.sh
/samples/hello.sh || echo "(refused: /samples/hello.sh is not signed)"
echo 0 > $A/enforce
echo "--- arbor's log lines ---"
dmesg | grep 'arbor:' | sed 's/^\[[ 0-9.]*\] //'
echo "--- $A/ascii_runtime_measurements ($(cat $A/runtime_measurements_count) entries; signatures shortened) ---"
awk '{ if (length($6) > 16) $6 = substr($6, 1, 16) "..."; print }' $A/ascii_runtime_measurements
