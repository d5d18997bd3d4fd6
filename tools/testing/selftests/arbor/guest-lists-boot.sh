# SPDX-License-Identifier: GPL-2.0
# The job of boots with digest lists in the initramfs, in enforcing mode
# with predictable PCRs (arbor.enforce=1 arbor.predictable_pcr=1): no file
# carries a signature (cpio has no xattrs), so every program that runs,
# /init and busybox first, runs because a list the kernel loaded at boot
# holds it. arbor_order=LETTERS runs the test programs in that order: a
# and b are listed; x is signed but in no list (its signature is set
# here), and so is measured. The PCR values are saved first, before
# anything else is measured, for the host to compare across boots and
# with `arbor digest-list pcr`.
A=/sys/kernel/security/arbor
L=/arbor-tests/lists
ok() { echo "ok - $1"; }
notok() { echo "not ok - $1: $2"; }
expect_eq() { # NAME GOT WANT
	if [ "$2" = "$3" ]; then ok "$1"; else notok "$1" "got '$2', want '$3'"; fi
}

order=${arbor_order:-ab}
ran=
for p in $(echo "$order" | sed 's/./& /g'); do
	case $p in
	a) ran="$ran $(arbor-guest exec $L/bin/prog-listed hello 2>&1)" ;;
	b) ran="$ran $(arbor-guest exec $L/bin/prog-listed2 hello 2>&1)" ;;
	x)
		arbor-guest setxattr $L/bin/prog-signed security.arbor $L/sig/prog-signed
		ran="$ran $(arbor-guest exec $L/bin/prog-signed hello 2>&1)"
		;;
	esac
done
cat $A/software_pcrs_sha1 > /out/software_pcrs_sha1
cat $A/software_pcrs_sha256 > /out/software_pcrs_sha256
cat $A/ascii_runtime_measurements > /out/ascii_runtime_measurements
cat $A/binary_runtime_measurements > /out/binary_runtime_measurements

# What the host cannot see from the PCRs.
expect_eq "lists boot ($order): enforcing from boot" "$(cat $A/enforce)" 1
expect_eq "lists boot ($order): the initramfs's lists were loaded at boot, in name order" \
	"$(awk '{print $1, ($2 > 0), $5}' $A/digest_lists)" \
	"allow 1 /etc/arbor/digest-lists/00-busybox.dl
allow 1 /etc/arbor/digest-lists/10-initramfs.dl"
expect_eq "lists boot ($order): each program ran" "$ran" \
	"$(for p in $(echo "$order" | sed 's/./& /g'); do printf ' hello'; done)"
expect_eq "lists boot ($order): the list holds nothing but boot_aggregate and the two loads$( [ "${order#*x}" != "$order" ] && echo ', and the signed unlisted program')" \
	"$(awk '{print $5}' /out/ascii_runtime_measurements | tr '\n' ' ')" \
	"boot_aggregate arbor_digest_list:/etc/arbor/digest-lists/00-busybox.dl arbor_digest_list:/etc/arbor/digest-lists/10-initramfs.dl $( [ "${order#*x}" != "$order" ] && echo "$L/bin/prog-signed ")"
# A program in no list and without a signature is refused.
cp $L/bin/prog-listed /tmp/changed
printf X >> /tmp/changed
expect_eq "lists boot ($order): a program in no list is refused" \
	"$(arbor-guest exec /tmp/changed hello 2>&1)" "exec-errno 13"
