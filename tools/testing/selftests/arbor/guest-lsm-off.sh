# SPDX-License-Identifier: GPL-2.0
# Run with lsm=capability arbor.enforce=1: arbor is built in and asked to
# enforce, but left out of the LSM list, so nothing of it may run or
# appear.
sec=/sys/kernel/security
case ",$(cat $sec/lsm)," in
*,arbor,*) echo "not ok - lsm= leaves arbor out of $sec/lsm: $(cat $sec/lsm)" ;;
*) echo "ok - lsm= leaves arbor out of $sec/lsm" ;;
esac
if [ -e $sec/arbor ]; then
	echo "not ok - lsm= leaves no $sec/arbor directory"
else
	echo "ok - lsm= leaves no $sec/arbor directory"
fi
# An unsigned program and unsigned code mapped executable run although
# arbor.enforce=1 is on the command line: only arbor's absence allows
# them (with arbor in the list, enforcing mode refuses both).
out=$(/arbor-tests/attack/script-bad 2>&1)
if [ "$out" = pwned ]; then
	echo "ok - an unsigned program runs with arbor left out"
else
	echo "not ok - an unsigned program runs with arbor left out: $out"
fi
out=$(arbor-guest steps call:/arbor-tests/attack/code-bad 2>&1)
if [ "$out" = "call ret 66" ]; then
	echo "ok - unsigned code maps executable with arbor left out"
else
	echo "not ok - unsigned code maps executable with arbor left out: $out"
fi
