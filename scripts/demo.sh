#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# arbor's main job: install what is missing, build the kernel with arbor and
# a demo initramfs, boot it under QEMU, run a few programs and print the
# measurement list from /sys/kernel/security/arbor/. Exits when the guest
# powers off.
source "$(dirname "$0")/lib.sh"
"$ARBOR_ROOT/scripts/setup.sh"
"$ARBOR_ROOT/scripts/build-kernel.sh"
"$ARBOR_ROOT/scripts/build-initramfs.sh" demo "$BUILD/demo.cpio"
log "booting $BZIMAGE under QEMU (TCG)"
"$ARBOR_ROOT/scripts/qemu.sh" "$BUILD/demo.cpio" "$BUILD/demo-console.log" --timeout 180 --tee --append quiet
