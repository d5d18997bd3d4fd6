# SPDX-License-Identifier: GPL-2.0
#
# Convenience targets; each runs one script in scripts/, which installs what
# it needs first (scripts/setup.sh) and reuses earlier build output.

.PHONY: demo test bench kernel debug-kernel setup host-test fmt clean distclean

# Main job: build the kernel with arbor and a demo initramfs, boot it under
# QEMU, print the measurement list.
demo:
	./scripts/demo.sh

# Every test; prints "N passed, N failed".
test:
	./scripts/test.sh

# arbor against IMA on one kernel (build/obj-ima), side by side; prints a
# table of numbers and ratios. Not a test.
bench:
	./scripts/bench.sh

setup:
	./scripts/setup.sh

kernel: setup
	./scripts/build-kernel.sh

# The debug kernel (lockdep, KASAN, UBSAN; scripts/debug.config) in
# build/obj-debug, from the same source tree; make test builds it too.
debug-kernel: setup
	./scripts/build-kernel.sh debug

# Host tests only (the shared format code and the tools).
host-test:
	cd tools/arbor && cargo test --workspace --locked

# Format all Rust code (the kernel's rustfmt settings).
fmt:
	find security/arbor tools -name '*.rs' -not -path '*/target/*' \
		| xargs rustfmt --edition 2021

# Remove build output but keep the unpacked, patched kernel source.
clean:
	rm -rf build/obj build/obj-debug build/obj-ima build/*.cpio build/*.img build/guest-out build/guest-out-debug build/*.log

# Remove everything the scripts created.
distclean:
	rm -rf build tools/arbor/target
