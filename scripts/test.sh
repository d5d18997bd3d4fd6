#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run every arbor test: host cargo tests, the kernel build (no warnings from
# arbor), the in-guest suite under QEMU, host-side checks of the list the
# guest produced (an independent parser, evmctl), and a boot with arbor left
# out by lsm=; then the debug kernel (lockdep, KASAN, UBSAN) is built and
# every guest runs again on it; last, the benchmark against IMA runs once
# with small counts. Prints "N passed, N failed"; exits non-zero
# on any failure, on an Oops/BUG/WARNING/panic or a lockdep, KASAN or UBSAN
# report in a guest console, or on a guest timeout.
source "$(dirname "$0")/lib.sh"
cd "$ARBOR_ROOT"

pass=0
fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
notok() { echo "not ok - $*"; fail=$((fail + 1)); }
summary() {
	echo
	echo "timings: ${timings[*]}"
	echo "$pass passed, $fail failed"
	[ "$fail" = 0 ]
	exit $?
}
timings=()
phase_start=$SECONDS
phase() { timings+=("$1=$((SECONDS - phase_start))s"); phase_start=$SECONDS; }

"$ARBOR_ROOT/scripts/setup.sh"
phase setup

# --- host tests (the shared format code and the tools) ---
mkdir -p "$BUILD"
# ARBOR_REQUIRE_TOOLS: a cross-check whose host tool (fsverity, evmctl,
# openssl) is missing fails instead of being skipped.
if (cd tools/arbor && ARBOR_REQUIRE_TOOLS=1 cargo test --workspace --locked 2>&1) | tee "$BUILD/cargo-test.log"; then
	:
else
	notok "cargo test --workspace (tools/arbor) ran to completion"
fi
read -r p f < <(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed/) p += $(i-1); if ($i ~ /^failed/) f += $(i-1) } } END { print p+0, f+0 }' "$BUILD/cargo-test.log")
pass=$((pass + p)); fail=$((fail + f))
echo "cargo: $p passed, $f failed"
if (cd tools/arbor && cargo clippy --workspace --all-targets --locked -- -D warnings) > "$BUILD/clippy-host.log" 2>&1; then
	ok "cargo clippy on the host crates: no warnings"
else
	notok "cargo clippy on the host crates: no warnings (see $BUILD/clippy-host.log)"
fi
phase host-tests

# --- kernel ---
# arbor_warned LOG: whether a kernel build log has a diagnostic from arbor:
# rustc and clippy name the file; objtool and modpost name the (mangled)
# symbol.
arbor_warned() {
	grep -E -A6 '^(warning|error)' "$1" | grep 'security/arbor' > /dev/null ||
		grep -E 'warning|error' "$1" | grep -i 'arbor' > /dev/null
}
if ! "$ARBOR_ROOT/scripts/build-kernel.sh"; then
	notok "kernel builds"
	summary
fi
ok "kernel builds"
if arbor_warned "$BUILD/kernel-build.log"; then
	notok "no rustc, clippy, objtool or modpost warnings from arbor"
else
	ok "no rustc, clippy, objtool or modpost warnings from arbor"
fi
phase kernel

# --- style: rustfmt with the kernel's settings, checkpatch on the patches ---
rs_files=$(find security/arbor tools/arbor/format tools/arbor/cli tools/testing/selftests/arbor/guest/src \
	-name '*.rs' 2>/dev/null)
if rustfmt --check --config-path "$KSRC/.rustfmt.toml" --edition 2021 $rs_files > "$BUILD/rustfmt.log" 2>&1; then
	ok "rustfmt --check (kernel .rustfmt.toml) on all Rust sources"
else
	notok "rustfmt --check (kernel .rustfmt.toml) on all Rust sources (see $BUILD/rustfmt.log)"
fi
for p in scripts/patches/*.patch; do
	# On stdin: given a path inside a git checkout, checkpatch checks the
	# file as a source file rather than as a patch.
	if perl "$KSRC/scripts/checkpatch.pl" --no-tree --no-signoff --quiet --ignore FILE_PATH_CHANGES - \
		< "$p" > "$BUILD/checkpatch.log" 2>&1; then
		ok "checkpatch: $(basename "$p")"
	else
		notok "checkpatch: $(basename "$p")"
		cat "$BUILD/checkpatch.log"
	fi
done
phase lint

# --- guests ---
# Console lines that fail a run. Crashes: Oops, BUG, WARNING, panic.
crash_re='Oops|BUG:|WARNING:|Kernel panic|general protection fault|RIP: |Call Trace:'
# Reports of the debug kernel's checkers, which print them and carry on:
# lockdep (most headers also start with WARNING: or BUG:; the validator
# turning itself off means later bugs go unseen), KASAN, UBSAN (framed by
# "cut here", as WARN() is), and the "=====" lines that frame KASAN and
# lockdep reports, matched only after a printk timestamp so that no
# guest output can match them.
report_re='KASAN:|UBSAN:|possible circular locking dependency|possible recursive locking|inconsistent lock state'
report_re+='|suspicious RCU usage|sleeping function called from invalid context|bad unlock balance|held lock freed'
report_re+='|lock held when returning to user space|turning off the locking correctness validator|cut here'
report_re+='|^\[ *[0-9]+\.[0-9]+\] =+$'
scan_console() { # NAME LOG
	local bad
	bad=$(grep -E "$crash_re|$report_re" "$2" | head -5 || true)
	if [ -n "$bad" ]; then notok "$1: no Oops/BUG/WARNING/panic in the console"; echo "$bad"; else ok "$1: no Oops/BUG/WARNING/panic in the console"; fi
	if grep -q '^arbor-guest: done' "$2"; then ok "$1: guest ran to completion"; else notok "$1: guest ran to completion (see $2)"; fi
}
# scan_reports NAME LOG: for a boot that is meant to panic, only the
# checkers' reports (the panic itself prints a stack trace).
scan_reports() {
	local bad
	bad=$(grep -E "$report_re" "$2" | head -5 || true)
	if [ -n "$bad" ]; then notok "$1: no lockdep, KASAN or UBSAN report in the console"; echo "$bad"; else ok "$1: no lockdep, KASAN or UBSAN report in the console"; fi
}
# count_guest LOG [PREFIX]: the guest's own results, named with PREFIX
# (which keeps the debug kernel's results apart from the main kernel's). A
# guest that printed none (it crashed early) must not end the script here.
count_guest() {
	local p f
	p=$(grep -c '^ok - ' "$1" || true)
	f=$(grep -c '^not ok - ' "$1" || true)
	grep -E '^(not )?ok - ' "$1" | tr -d '\r' | sed -E "s/^(not )?ok - /&${2:-}/" || true
	pass=$((pass + p)); fail=$((fail + f))
}
# count_checker LOG [PREFIX]: the same for a host checker's whole output.
count_checker() {
	sed -E "s/^(not )?ok - /&${2:-}/" "$1"
	pass=$((pass + $(grep -c '^ok - ' "$1" || true)))
	fail=$((fail + $(grep -c '^not ok - ' "$1" || true)))
}

# replay_checks DIR SRC LABEL: replays DIR's binary list against the PCR
# files DIR/SRC_sha1 and DIR/SRC_sha256, with evmctl and with arbor's own
# verifier. evmctl reports success when any one bank matches, and exits 0
# on some failures, so it runs once per bank and what it says is read.
replay_checks() {
	local dir=$1 src=$2 label=$3 bank log
	for bank in sha1 sha256; do
		log=$BUILD/evmctl-$label$src-$bank.log
		# --ignore-violations: replay violations (all-zero digests) as
		# the all-0xFF that the PCRs were extended with.
		evmctl ima_measurement --ignore-violations --pcrs "$bank,$dir/${src}_$bank" \
			"$dir/binary_runtime_measurements" > "$log" 2>&1 || true
		# evmctl 1.4 reports "unprocessed data" for the list's first
		# entry, whatever it is (the boot_aggregate here), and for no
		# other entry of the same layout; any other such line fails.
		if grep -q '^Matched per TPM bank calculated digest' "$log" &&
			! grep -qi 'failed\|error\|mismatch' "$log" &&
			[ "$(grep -c 'unprocessed data' "$log")" -le 1 ]; then
			ok "${label}evmctl ima_measurement: $bank replay of the list matches the guest's $src"
		else
			notok "${label}evmctl ima_measurement: $bank replay of the list matches the guest's $src (see $log)"
			tail -3 "$log"
		fi
	done
	# arbor's own verifier (tools/arbor): template digests and both banks.
	log=$BUILD/arbor-verify-$label$src.log
	if tools/arbor/target/debug/arbor log verify --pcrs "sha1,$dir/${src}_sha1" \
		--pcrs "sha256,$dir/${src}_sha256" "$dir/binary_runtime_measurements" > "$log" 2>&1; then
		ok "${label}arbor log verify: the list replays to the guest's $src (sha1, sha256)"
	else
		notok "${label}arbor log verify: the list replays to the guest's $src (see $log)"
		tail -3 "$log"
	fi
}

# archive_checks DIR PREFIX: the archive guest's segments and live list.
# Concatenated, they are the list since boot: evmctl replays them to the
# TPM's PCRs. arbor's verifier checks them as a chain, segment by segment.
# Every path the workload used is measured in them exactly once.
archive_checks() {
	local dir=$1 p=$2 seg log bank
	: > "$dir/binary_runtime_measurements"
	for seg in $(awk 'NR > 1 { print $1 }' "$dir/archive/manifest"); do
		cat "$dir/archive/$seg" >> "$dir/binary_runtime_measurements"
	done
	cat "$dir/live.bin" >> "$dir/binary_runtime_measurements"
	replay_checks "$dir" tpm_pcrs "${p}archived segments and live list, concatenated: "
	log=$BUILD/arbor-verify-archive${p:+-${p%: }}.log
	if tools/arbor/target/debug/arbor log verify --archive "$dir/archive" \
		--pcrs "sha1,$dir/tpm_pcrs_sha1" --pcrs "sha256,$dir/tpm_pcrs_sha256" "$dir/live.bin" > "$log" 2>&1; then
		ok "${p}arbor log verify --archive: every segment, then the live list, to the TPM's PCRs"
	else
		notok "${p}arbor log verify --archive: every segment, then the live list, to the TPM's PCRs (see $log)"
		tail -3 "$log"
	fi
	tools/arbor/target/debug/arbor log show "$dir/binary_runtime_measurements" > "$dir/ascii"
	# Booted with arbor.checkpoint_interval=16.
	local gap
	gap=$(awk '$5 == "arbor_checkpoint" { if (n > m) m = n; n = 0; next } { n++ }
		END { if (n > m) m = n; print m + 0 }' "$dir/ascii")
	if [ "$gap" -le 16 ] && [ "$(grep -c ' arbor_checkpoint ' "$dir/ascii")" -gt 2 ]; then
		ok "${p}archive: arbor.checkpoint_interval=16 leaves at most 16 entries between checkpoints ($gap)"
	else
		notok "${p}archive: arbor.checkpoint_interval=16 leaves at most 16 entries between checkpoints" "$gap"
	fi
	awk '{ print $5 }' "$dir/ascii" | sort | uniq -c | awk '{ print $2, $1 }' > "$dir/measured"
	local missing=0 twice=0 path n
	while read -r path; do
		n=$(awk -v p="$path" '$1 == p { print $2 }' "$dir/measured")
		case "$n" in
		"") missing=$((missing + 1)) ;;
		1) ;;
		*) twice=$((twice + 1)) ;;
		esac
	done < "$dir/workload"
	if [ $missing = 0 ] && [ $twice = 0 ] && [ -s "$dir/workload" ]; then
		ok "${p}archive: each of the workload's $(wc -l < "$dir/workload") files is measured exactly once"
	else
		notok "${p}archive: each of the workload's files is measured exactly once" "$missing missing, $twice more than once"
	fi
}

# --- the debug kernel: lockdep, KASAN, UBSAN (scripts/debug.config) ---
# Its build is the longest step; it starts now, in the background and at a
# lower priority, so that it overlaps the main kernel's guests (QEMU runs
# on one core) instead of following them.
debug_image=$(kernel_variant debug && echo "$BZIMAGE")
debug_log=$(kernel_variant debug && echo "$KBUILD_LOG")
nice -n 10 "$ARBOR_ROOT/scripts/build-kernel.sh" debug > "$BUILD/build-kernel-debug.out" 2>&1 &
debug_build=$!

"$ARBOR_ROOT/scripts/build-initramfs.sh" test "$BUILD/test.cpio"
# The test guest enables fs-verity on files of the ext4 image, and the
# page-in phase flips a byte in it between two boots: each kernel's run
# boots on its own copy of the image as build-initramfs.sh made it. The
# image and the initramfs (which holds the digests and signatures of the
# image's files) are copied together now, so that a build-initramfs.sh run
# meanwhile by another script cannot pair the later run's initramfs with
# an image it does not describe.
cp "$BUILD/test.cpio" "$BUILD/test.pristine.cpio"
cp --sparse=always "$BUILD/verity-ext4.img" "$BUILD/verity-ext4.pristine.img"
# Likewise the archive with digest lists to load at boot and the lists in
# it, for the PCR prediction.
cp "$BUILD/test-lists.cpio" "$BUILD/test-lists.pristine.cpio"
rm -rf "$BUILD/test-lists.pristine"
cp -r "$BUILD/test-lists" "$BUILD/test-lists.pristine"

# A keylime runtime policy for every file of the test initramfs, made by
# the arbor command from the archive itself, for the keylime guest.
tree=$BUILD/initramfs-tree
rm -rf "$tree"; mkdir -p "$tree"
(cd "$tree" && cpio -id --quiet --no-absolute-filenames) < "$BUILD/test.pristine.cpio"
tools/arbor/target/debug/arbor keylime-policy --root "$tree" "$tree" --out "$BUILD/keylime-policy.json"

# A software TPM with fresh state for each guest that has one
# (start_swtpm); a run cut short kills the last one.
trap stop_swtpm EXIT

# tpm_guest NAME APPEND SIZE FILE: boots the test initramfs with a fresh
# swtpm, the kernel parameters APPEND and a SIZE result disk; counts the
# guest's checks and scans its console; unpacks what it left in /out into
# $BUILD/NAME-out$sfx and succeeds if FILE is there. Called by run_guests,
# whose boot, kopts, sfx, p and slow it uses.
tpm_guest() {
	local name=$1 append=$2 size=$3 want=$4 dir=$BUILD/$1-out$sfx
	start_swtpm "$BUILD/swtpm-$name$sfx"
	rm -rf "$dir" "$dir.img"; mkdir -p "$dir"
	truncate -s "$size" "$dir.img"
	"${boot[@]}" "$BUILD/guest-$name$sfx.log" "${kopts[@]}" --disk "$dir.img" \
		--tpm "$SWTPM_DIR/sock" --append "$append" --timeout $((120 * slow)) || true
	stop_swtpm
	tr -d '\r' < "$BUILD/guest-$name$sfx.log" > "$BUILD/guest-$name$sfx.clean.log"
	count_guest "$BUILD/guest-$name$sfx.clean.log" "$p"
	scan_console "${p}$name guest" "$BUILD/guest-$name$sfx.clean.log"
	tar -xf "$dir.img" -C "$dir" 2>/dev/null && [ -s "$dir/$want" ]
}

# lists_boots PCR: boots the archive whose /etc/arbor/digest-lists holds
# a list made from Debian's busybox-static package and one of every other
# file but one program, with arbor.enforce=1 and arbor.predictable_pcr=1,
# no TPM, running the listed programs in the orders ab and ba, then ab
# and a signed program no list holds (x). The first two must give the
# same PCR, the one `arbor digest-list pcr` predicts from the lists; the
# third another. Called by run_guests, whose kopts, p, sfx and slow it
# uses.
lists_boots() {
	local pcr=$1 order log dir bank value want predicted lists=$BUILD/test-lists.pristine
	declare -A got
	for order in ab ba abx; do
		log=$BUILD/guest-lists-$order$sfx
		dir=$log-out
		rm -rf "$dir" "$dir.img"; mkdir -p "$dir"
		truncate -s 8M "$dir.img"
		"$ARBOR_ROOT/scripts/qemu.sh" "$BUILD/test-lists.pristine.cpio" "$log.log" "${kopts[@]}" \
			--disk "$dir.img" --timeout $((120 * slow)) \
			--append "arbor.enforce=1 arbor.predictable_pcr=1 arbor_job=lists-boot.sh arbor_order=$order" || true
		tr -d '\r' < "$log.log" > "$log.clean.log"
		count_guest "$log.clean.log" "$p"
		scan_console "${p}lists boot ($order)" "$log.clean.log"
		got[$order]=
		if tar -xf "$dir.img" -C "$dir" 2>/dev/null && [ -s "$dir/software_pcrs_sha256" ]; then
			for bank in sha1 sha256; do
				value=$(awk -v p="PCR-$(printf %02d "$pcr"):" '$1 == p { print $2 }' "$dir/software_pcrs_$bank")
				got[$order]+="$bank PCR-$(printf %02d "$pcr"): $value"$'\n'
			done
			replay_checks "$dir" software_pcrs "${p}lists boot ($order): "
		else
			notok "${p}lists boot ($order): the guest handed its PCRs to the host"
		fi
	done
	# busybox ran (every guest shell is busybox), and only the list made
	# from the package holds it.
	want=$(fsverity digest /bin/busybox | cut -d' ' -f1)
	if tools/arbor/target/debug/arbor digest-list show "$lists/00-busybox.dl" | grep -qx "$want" &&
		! tools/arbor/target/debug/arbor digest-list show "$lists/10-initramfs.dl" | grep -qx "$want"; then
		ok "${p}lists boot: /bin/busybox is held by the list made from busybox-static's .deb only"
	else
		notok "${p}lists boot: /bin/busybox is held by the list made from busybox-static's .deb only"
	fi
	predicted=$(tools/arbor/target/debug/arbor digest-list pcr --pcr "$pcr" \
		"$lists/00-busybox.dl" "$lists/10-initramfs.dl")$'\n'
	if [ -n "${got[ab]}" ] && [ "${got[ab]}" = "$predicted" ]; then
		ok "${p}lists boot: the PCR is what \`arbor digest-list pcr\` predicts from the lists"
	else
		notok "${p}lists boot: the PCR is what \`arbor digest-list pcr\` predicts from the lists" \
			"got ${got[ab]}, predicted $predicted"
	fi
	if [ -n "${got[ab]}" ] && [ "${got[ab]}" = "${got[ba]}" ]; then
		ok "${p}lists boot: listed programs run in other orders give the same PCR"
	else
		notok "${p}lists boot: listed programs run in other orders give the same PCR" "${got[ab]} vs ${got[ba]}"
	fi
	if [ -n "${got[abx]}" ] && [ "${got[abx]}" != "${got[ab]}" ]; then
		ok "${p}lists boot: a program in no list changes the PCR"
	else
		notok "${p}lists boot: a program in no list changes the PCR" "${got[abx]}"
	fi
}

# run_guests LABEL BZIMAGE MEM_MB SLOWDOWN: every guest phase on one kernel:
# the test guest and the host checks of its list, the page-in boot, the
# lsm=capability boot and the arbor.enforce=1 boot. LABEL "main" keeps the
# names the checks, logs and timings have always had; any other LABEL
# prefixes the check names with "LABEL: ", the phases with "LABEL-", and
# adds "-LABEL" to the files. The guests get MEM_MB of RAM and SLOWDOWN
# times the main kernel's time limits.
run_guests() {
	local label=$1 kernel=$2 mem=$3 slow=$4
	local p= sfx= ph= img out pcr blk off byte nout zero_aggregate want src log
	if [ "$label" != main ]; then p="$label: " sfx=-$label ph=$label-; fi
	local boot=("$ARBOR_ROOT/scripts/qemu.sh" "$BUILD/test.pristine.cpio")
	local kopts=(--kernel "$kernel" --mem "$mem")
	img=$BUILD/verity-ext4$sfx.run.img
	cp --sparse=always "$BUILD/verity-ext4.pristine.img" "$img"

	start_swtpm "$BUILD/swtpm$sfx"
	out=$BUILD/guest-out$sfx
	rm -rf "$out" "$out.img"; mkdir -p "$out"
	truncate -s 64M "$out.img"
	# The memory for page checks (KiB) is small, so that the attack tests
	# can pass it with a 4 MiB file.
	"${boot[@]}" "$BUILD/guest-test$sfx.log" "${kopts[@]}" --disk "$out.img" --disk "$img" \
		--tpm "$SWTPM_DIR/sock" --append "arbor.page_check_memory=16" --timeout $((300 * slow)) || true
	stop_swtpm
	tr -d '\r' < "$BUILD/guest-test$sfx.log" > "$BUILD/guest-test$sfx.clean.log"
	count_guest "$BUILD/guest-test$sfx.clean.log" "$p"
	scan_console "${p}test guest" "$BUILD/guest-test$sfx.clean.log"
	phase "${ph}guest-tests"

	# --- host checks of what the guest measured ---
	pcr=$(grep '^CONFIG_SECURITY_ARBOR_PCR=' "${kernel%/arch/x86/boot/bzImage}/.config" | cut -d= -f2)
	if tar -xf "$out.img" -C "$out" 2>/dev/null && [ -s "$out/binary_runtime_measurements" ]; then
		ok "${p}guest handed its measurement list to the host"
		python3 tools/testing/selftests/arbor/check-list.py "$out" "$pcr" > "$BUILD/check-list$sfx.log" || true
		count_checker "$BUILD/check-list$sfx.log" "$p"
		# Against arbor's software PCRs, and against the TPM's PCRs read
		# in the guest after the list was copied (so the TPM may be ahead,
		# never behind: the guest reads the TPM after the list).
		for src in software_pcrs tpm_pcrs; do
			replay_checks "$out" "$src" "$p"
		done
		# The violations were extended as all-0xFF, not as their zero
		# digests: replaying them as zeros (evmctl without
		# --ignore-violations) fails.
		if [ "$(cat "$out/violations" 2>/dev/null || echo 0)" -gt 0 ]; then
			log=$BUILD/evmctl-zero-violations$sfx.log
			evmctl ima_measurement --pcrs "sha256,$out/tpm_pcrs_sha256" \
				"$out/binary_runtime_measurements" > "$log" 2>&1 || true
			if grep -q '^Matched per TPM bank calculated digest' "$log"; then
				notok "${p}evmctl: replaying violations as zero digests does not match the TPM (see $log)"
			else
				ok "${p}evmctl: replaying violations as zero digests does not match the TPM"
			fi
		else
			notok "${p}the guest's list holds violations to replay" "violations: $(cat "$out/violations" 2>&1)"
		fi
	else
		notok "${p}guest handed its measurement list to the host"
	fi
	phase "${ph}host-checks"

	# --- page-in integrity: alter one data block on the raw image, boot again ---
	# The first boot enabled fs-verity on /prog-pagein and signed it.
	# debugfs maps its first data block to a block of the image; one byte
	# is flipped there, so the file's fs-verity root and signature no
	# longer match that block while both are unchanged themselves.
	blk=$(debugfs -R "bmap /prog-pagein 0" "$img" 2>/dev/null | tail -n 1 || true)
	if [[ "$blk" =~ ^[0-9]+$ ]]; then
		off=$((blk * 4096 + 100))
		byte=$(od -An -tu1 -j "$off" -N1 "$img" | tr -d ' ')
		printf "\\$(printf %o $(((byte + 1) % 256)))" |
			dd of="$img" bs=1 seek="$off" count=1 conv=notrunc status=none
		rm -f "$BUILD/pagein-out$sfx.img"
		truncate -s 8M "$BUILD/pagein-out$sfx.img"
		"${boot[@]}" "$BUILD/guest-pagein$sfx.log" "${kopts[@]}" \
			--disk "$BUILD/pagein-out$sfx.img" --disk "$img" \
			--append "arbor_job=pagein.sh" --timeout $((120 * slow)) || true
		tr -d '\r' < "$BUILD/guest-pagein$sfx.log" > "$BUILD/guest-pagein$sfx.clean.log"
		count_guest "$BUILD/guest-pagein$sfx.clean.log" "$p"
		scan_console "${p}page-in guest" "$BUILD/guest-pagein$sfx.clean.log"
		# That boot had no TPM: its list replays to arbor's software PCRs.
		nout=$BUILD/pagein-out$sfx
		rm -rf "$nout"; mkdir -p "$nout"
		if tar -xf "$nout.img" -C "$nout" 2>/dev/null && [ -s "$nout/binary_runtime_measurements" ]; then
			python3 tools/testing/selftests/arbor/check-list.py "$nout" "$pcr" "no TPM" \
				> "$BUILD/check-list-notpm$sfx.log" || true
			count_checker "$BUILD/check-list-notpm$sfx.log" "$p"
			zero_aggregate="ima:sha256:$(printf '0%.0s' $(seq 64))"
			if [ "$(head -n 1 "$nout/ascii_runtime_measurements" | awk '{print $4, $5}')" = "$zero_aggregate boot_aggregate" ]; then
				ok "${p}no TPM: boot_aggregate is first and all zero"
			else
				notok "${p}no TPM: boot_aggregate is first and all zero" "$(head -n 1 "$nout/ascii_runtime_measurements")"
			fi
			replay_checks "$nout" software_pcrs "${p}no TPM: "
		else
			notok "${p}no TPM: the page-in guest handed its list to the host"
		fi
	else
		notok "${p}page-in: debugfs maps /prog-pagein's first block ($blk)"
	fi
	phase "${ph}page-in"

	# --- arbor left out by lsm= ---
	"${boot[@]}" "$BUILD/guest-lsm-off$sfx.log" "${kopts[@]}" \
		--append "lsm=capability arbor.enforce=1 arbor_job=lsm-off.sh" --timeout $((120 * slow)) || true
	tr -d '\r' < "$BUILD/guest-lsm-off$sfx.log" > "$BUILD/guest-lsm-off$sfx.clean.log"
	count_guest "$BUILD/guest-lsm-off$sfx.clean.log" "$p"
	scan_console "${p}lsm-off guest" "$BUILD/guest-lsm-off$sfx.clean.log"
	phase "${ph}lsm-off"

	# --- keylime's verifier reads an ima-ng list arbor wrote ---
	nout=$BUILD/keylime-out$sfx
	if tpm_guest keylime "arbor.template=ima-ng arbor_job=keylime.sh" 8M ascii_runtime_measurements; then
		"$BUILD/keylime-venv/bin/python" tools/testing/selftests/arbor/keylime-check.py \
			"$nout" "$BUILD/keylime-policy.json" /bin/busybox > "$BUILD/keylime-check$sfx.log" 2>&1 || true
		count_checker "$BUILD/keylime-check$sfx.log" "$p"
		if ! grep -q '^ok - ' "$BUILD/keylime-check$sfx.log"; then
			notok "${p}keylime: the checker ran (see $BUILD/keylime-check$sfx.log)"
		fi
		replay_checks "$nout" tpm_pcrs "${p}keylime list: "
	else
		notok "${p}keylime guest handed its list to the host"
	fi
	phase "${ph}keylime"

	# --- remote files: an NFS server and client in one guest ---
	img=$BUILD/nfs-ext4$sfx.img
	cp --sparse=always "$BUILD/verity-ext4.pristine.img" "$img"
	rm -f "$BUILD/nfs-out$sfx.img"
	truncate -s 1M "$BUILD/nfs-out$sfx.img"
	"${boot[@]}" "$BUILD/guest-nfs$sfx.log" "${kopts[@]}" --disk "$BUILD/nfs-out$sfx.img" \
		--disk "$img" --append "arbor_job=nfs.sh" --timeout $((180 * slow)) || true
	tr -d '\r' < "$BUILD/guest-nfs$sfx.log" > "$BUILD/guest-nfs$sfx.clean.log"
	count_guest "$BUILD/guest-nfs$sfx.clean.log" "$p"
	scan_console "${p}nfs guest" "$BUILD/guest-nfs$sfx.clean.log"
	phase "${ph}nfs"

	# --- the list archived while processes append; trims ---
	nout=$BUILD/archive-out$sfx
	if tpm_guest archive "arbor_job=archive.sh arbor.checkpoint_interval=16" 16M live.bin; then
		archive_checks "$nout" "$p"
	else
		notok "${p}archive guest handed its archive to the host"
	fi
	phase "${ph}archive"

	# --- digest lists loaded at boot, enforcing, predictable PCRs ---
	lists_boots "$pcr"
	phase "${ph}lists-boot"

	# --- arbor.enforce=1 at boot: the unsigned /init must not run ---
	# (cpio archives carry no xattrs, so nothing in the initramfs is
	# signed. The kernel then finds no init and panics; panic=-1 reboots,
	# and QEMU exits. The panic is expected here, so the console is
	# scanned only for the checkers' reports, which the panic does not
	# print.)
	log=$BUILD/guest-enforce-boot$sfx
	"${boot[@]}" "$log.log" "${kopts[@]}" --append "arbor.enforce=1" --timeout $((120 * slow)) || true
	tr -d '\r' < "$log.log" > "$log.clean.log"
	for want in "arbor: initialized: enforcing mode" "arbor: exec: /init: untrusted (unsigned): denied" \
		"Failed to execute /init (error -13)"; do
		if grep -qF "$want" "$log.clean.log"; then
			ok "${p}arbor.enforce=1 at boot: console shows '$want'"
		else
			notok "${p}arbor.enforce=1 at boot: console shows '$want' (see $log.log)"
		fi
	done
	if grep -q '^arbor-guest: start' "$log.clean.log"; then
		notok "${p}arbor.enforce=1 at boot: the unsigned /init did not run"
	else
		ok "${p}arbor.enforce=1 at boot: the unsigned /init did not run"
	fi
	scan_reports "${p}arbor.enforce=1 at boot" "$log.clean.log"
	phase "${ph}enforce-boot"
}

run_guests main "$BZIMAGE" 512 1

# --- the debug kernel's guests ---
# Every guest phase again; a report of any of the debug kernel's checkers
# fails the run. Meanwhile, on the other core, the configuration checks
# (compile-only) run.
nice -n 10 "$ARBOR_ROOT/scripts/check-configs.sh" > "$BUILD/check-configs.log" 2>&1 &
configs=$!
if wait "$debug_build"; then
	ok "debug kernel builds"
	if arbor_warned "$debug_log"; then
		notok "debug: no rustc, objtool or modpost warnings from arbor"
	else
		ok "debug: no rustc, objtool or modpost warnings from arbor"
	fi
	phase debug-kernel
	# The benchmark's kernel (IMA next to arbor) builds meanwhile, at a
	# lower priority, for the benchmark's run at the end.
	nice -n 10 "$ARBOR_ROOT/scripts/build-kernel.sh" ima > "$BUILD/build-kernel-ima.out" 2>&1 &
	ima_build=$!
	# KASAN's shadow is an eighth of the RAM and lockdep's tables are
	# large; KASAN, lockdep and UBSAN checks make the guests several times
	# slower under TCG.
	run_guests debug "$debug_image" 2048 3
else
	notok "debug kernel builds (see $BUILD/build-kernel-debug.out)"
	tail -20 "$BUILD/build-kernel-debug.out"
	phase debug-kernel
fi

# --- configurations no test kernel has (compile and Kconfig checks) ---
wait "$configs" || true
grep -E '^(not )?ok - ' "$BUILD/check-configs.log" || true
pass=$((pass + $(grep -c '^ok - ' "$BUILD/check-configs.log" || true)))
fail=$((fail + $(grep -c '^not ok - ' "$BUILD/check-configs.log" || true)))
if ! grep -q '^\(not \)\?ok - ' "$BUILD/check-configs.log"; then
	notok "check-configs.sh ran (see $BUILD/check-configs.log)"
fi
phase configs

# --- the benchmark against IMA, with small counts: it must keep working
# (its numbers are not checked; scripts/bench.sh prints them) ---
if [ -n "${ima_build:-}" ] && ! wait "$ima_build"; then
	notok "benchmark kernel (IMA next to arbor) builds (see $BUILD/build-kernel-ima.out)"
	tail -20 "$BUILD/build-kernel-ima.out"
elif "$ARBOR_ROOT/scripts/bench.sh" --quick > "$BUILD/bench-quick.log" 2>&1 &&
	grep -q '^memory per list entry' "$BUILD/bench-quick.log"; then
	ok "bench.sh --quick: baseline, arbor and IMA boot on one kernel and the table prints"
else
	notok "bench.sh --quick: baseline, arbor and IMA boot on one kernel and the table prints (see $BUILD/bench-quick.log)"
	tail -5 "$BUILD/bench-quick.log"
fi
phase bench

summary
