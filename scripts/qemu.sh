#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot the arbor kernel under QEMU (TCG; KVM is not usable on our machines)
# with an initramfs; the guest powers off when its job is done.
#   qemu.sh INITRAMFS CONSOLE_LOG [--disk IMG]... [--tpm SOCKET] [--append ARGS] [--timeout S] [--tee]
#           [--kernel BZIMAGE] [--mem MB] [--icount]
# Disks appear in the guest as /dev/vda, /dev/vdb, ... in the order given.
# --kernel boots another image than the main kernel (build/obj), e.g. the
# debug kernel; --mem sets the guest's RAM (KASAN's shadow takes an eighth
# of it, and lockdep's tables are large, so the debug guest gets more).
# --icount makes guest time count instructions (-icount shift=0,sleep=off:
# one instruction is one nanosecond), so that CPU-bound timings repeat
# whatever else the host is doing.
source "$(dirname "$0")/lib.sh"

initrd=${1:?usage}; log=${2:?usage}; shift 2
disks=(); tpm=; append=; timeout_s=240; tee=; kernel=$BZIMAGE; mem=512; icount=
while [ $# -gt 0 ]; do
	case "$1" in
	--disk) disks+=("$2"); shift 2 ;;
	--tpm) tpm=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--tee) tee=1; shift ;;
	--kernel) kernel=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--icount) icount=1; shift ;;
	*) die "qemu.sh: unknown option $1" ;;
	esac
done

# Without ACPI the guest finds a TPM only when told to probe for one.
[ -n "$tpm" ] && append="$append tpm_tis.force=1"

args=(-accel tcg -cpu max -m "$mem" -smp 1 -nographic -no-reboot
	-kernel "$kernel" -initrd "$initrd"
	-append "console=ttyS0 panic=-1 $append")
[ -n "$icount" ] && args+=(-icount shift=0,sleep=off)
for d in "${disks[@]}"; do args+=(-drive "file=$d,format=raw,if=virtio"); done
if [ -n "$tpm" ]; then
	# A TPM 2.0 on the TIS interface (tpm_tis.force=1 is on the command line).
	args+=(-chardev "socket,id=chrtpm,path=$tpm" -tpmdev emulator,id=tpm0,chardev=chrtpm
		-device tpm-tis,tpmdev=tpm0)
fi

status=0
if [ -n "$tee" ]; then
	timeout "$timeout_s" qemu-system-x86_64 "${args[@]}" < /dev/null 2>&1 | tee "$log" || status=$?
else
	timeout "$timeout_s" qemu-system-x86_64 "${args[@]}" < /dev/null > "$log" 2>&1 || status=$?
fi
if [ "$status" = 124 ]; then
	echo "[arbor] guest did not finish within ${timeout_s}s" >&2
fi
exit "$status"
