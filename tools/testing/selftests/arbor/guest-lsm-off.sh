# SPDX-License-Identifier: GPL-2.0
# Run with lsm=capability: arbor is built in but left out, so nothing of it
# may run or appear.
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
if arbor-guest exec /bin/busybox true; then
	echo "ok - exec works with arbor left out"
else
	echo "not ok - exec works with arbor left out"
fi
