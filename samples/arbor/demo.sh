# SPDX-License-Identifier: GPL-2.0
# arbor demo: run a few programs, then show what arbor measured.
sec=/sys/kernel/security
echo "LSMs: $(cat $sec/lsm)"
echo "--- running a few programs ---"
/samples/hello.sh
/bin/arbor-guest exec /bin/busybox true
ls /samples >/dev/null
echo "--- $sec/arbor/ascii_runtime_measurements ($(cat $sec/arbor/runtime_measurements_count) entries) ---"
cat $sec/arbor/ascii_runtime_measurements
