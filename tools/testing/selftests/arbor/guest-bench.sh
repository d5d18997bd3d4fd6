# SPDX-License-Identifier: GPL-2.0
# Guest side of scripts/bench-hooks.sh: times opens and execs under the
# default policy and an empty policy (arbor active), or with arbor left
# out (lsm=). Prints "== LABEL" and then arbor-guest's "bench OP N NS".
A=/sys/kernel/security/arbor
n_open=${bench_open:-20000}
n_exec=${bench_exec:-300}
f=/tmp/bench-file
head -c 4096 /dev/zero | tr '\0' x > $f
cp /bin/arbor-guest /tmp/bench-prog
chmod 755 /tmp/bench-prog
# Warm up: the first open and exec measure the files (once per version).
cat $f > /dev/null
/tmp/bench-prog hello > /dev/null
run() {
	echo "== $1"
	arbor-guest bench open $f $n_open
	arbor-guest bench exec /tmp/bench-prog $n_exec
}
if [ -d $A ]; then
	run default
	printf '# nothing measured, appraised or audited\n' > /tmp/empty-policy
	arbor-guest write-file $A/policy /tmp/empty-policy > /dev/null
	run empty
else
	run off
fi
