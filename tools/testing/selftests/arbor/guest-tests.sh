# SPDX-License-Identifier: GPL-2.0
# arbor's in-guest tests (busybox sh). Each check prints "ok - NAME" or
# "not ok - NAME: WHY"; the host counts them. Expected digests come from
# the host (make-test-files.sh ran `fsverity digest` on the same files).

sec=/sys/kernel/security
A=$sec/arbor
T=/arbor-tests
ENOEXEC=8

ok() { echo "ok - $1"; }
notok() { echo "not ok - $1: $2"; }
expect_eq() { # NAME GOT WANT
	if [ "$2" = "$3" ]; then ok "$1"; else notok "$1" "got '$2', want '$3'"; fi
}
# Lines of the ASCII list that name PATH (the path is the 5th field).
entries_for() { awk -v p="$1" '$5 == p' "$A/ascii_runtime_measurements"; }
# arbor rate-limits its log lines about denials and violations with the
# kernel's printk rate limit; the tests look for every one of them.
echo 1000000 > /proc/sys/kernel/printk_ratelimit_burst

# --- registration and securityfs ---
case ",$(cat $sec/lsm)," in
*,arbor,*) ok "arbor is listed in $sec/lsm" ;;
*) notok "arbor is listed in $sec/lsm" "$(cat $sec/lsm)" ;;
esac
for f in ascii_runtime_measurements binary_runtime_measurements runtime_measurements_count \
	software_pcrs_sha1 software_pcrs_sha256; do
	expect_eq "$f is mode 0440, owned by root" "$(stat -c '%a %u %g' "$A/$f" 2>&1)" "440 0 0"
done
if echo x 2>/dev/null > "$A/runtime_measurements_count"; then
	notok "securityfs files refuse writes" "write succeeded"
else
	ok "securityfs files refuse writes"
fi

# --- digests of files of awkward sizes ---
while read -r name want; do
	f=$T/data/$name
	got=$(arbor-guest exec "$f")
	expect_eq "exec $name reaches the kernel and fails with ENOEXEC" "$got" "exec-errno $ENOEXEC"
	lines=$(entries_for "$f")
	expect_eq "$name: one entry" "$(echo "$lines" | grep -c .)" 1
	# The test kernel has no IMA: arbor names PCR 10, as IMA would.
	expect_eq "$name: template ima-sigv2, PCR 10" "$(echo "$lines" | awk '{print $1, $3}')" "10 ima-sigv2"
	expect_eq "$name: digest equals fsverity digest" "$(echo "$lines" | awk '{print $4}')" "verity:sha256:$want"
done < $T/expected

# --- files with native fs-verity: the digest comes from fs-verity ---
if [ -b /dev/vdb ] && mkdir -p /mnt && mount -t ext4 /dev/vdb /mnt; then
	while read -r name alg want; do
		out=$(arbor-guest enable-verity /mnt/$name $alg)
		expect_eq "fs-verity ($alg): FS_IOC_ENABLE_VERITY succeeds" "$out" ""
		arbor-guest exec /mnt/$name > /dev/null
		# Enabling fs-verity opened the file for reading as root, which
		# measured its computed digest; enabling starts a new version.
		expect_eq "fs-verity ($alg): the newest entry carries fs-verity's digest" \
			"$(entries_for /mnt/$name | tail -n 1 | awk '{print $4}')" "verity:$alg:$want"
	done < $T/expected-verity
	umount /mnt
else
	notok "fs-verity: ext4 test image mounted" "no /dev/vdb or mount failed"
fi

# --- one entry per file version ---
arbor-guest exec $T/data/size-1 > /dev/null
arbor-guest exec $T/data/size-1 > /dev/null
expect_eq "exec of an unchanged file adds no entry" "$(entries_for $T/data/size-1 | grep -c .)" 1

m=/tmp/mutable
cp $T/data/mutable $m
chmod 755 $m
arbor-guest exec $m > /dev/null
arbor-guest exec $m > /dev/null
expect_eq "tmpfs file: two execs, one entry" "$(entries_for $m | grep -c .)" 1
want0=$(awk '$1 == "mutable" {print $2}' $T/expected-mutable)
want1=$(awk '$1 == "mutable+X" {print $2}' $T/expected-mutable)
expect_eq "tmpfs file: digest equals fsverity digest" "$(entries_for $m | awk '{print $4}')" "verity:sha256:$want0"
printf X >> $m
arbor-guest exec $m > /dev/null
arbor-guest exec $m > /dev/null
expect_eq "modified file: exactly one new entry" "$(entries_for $m | grep -c .)" 2
expect_eq "modified file: new entry has the new digest" "$(entries_for $m | tail -n 1 | awk '{print $4}')" "verity:sha256:$want1"
cp $T/data/mutable $m
arbor-guest exec $m > /dev/null
expect_eq "file restored to earlier content is measured again" "$(entries_for $m | grep -c .)" 3
expect_eq "restored file: entry has the original digest" "$(entries_for $m | tail -n 1 | awk '{print $4}')" "verity:sha256:$want0"

# --- scripts: the script and its interpreter are both measured ---
# The interpreter is a copy of busybox (run as its applet `true`) that
# nothing ran before (busybox itself was measured at boot), so its entry
# can only come from this exec.
cp /bin/busybox /tmp/true
printf '#!/tmp/true\n' > /tmp/script.sh
chmod 755 /tmp/script.sh
expect_eq "#! script: the interpreter has no entry before" "$(entries_for /tmp/true | grep -c .)" 0
arbor-guest exec /tmp/script.sh
expect_eq "#! script: exec succeeds" "$?" 0
expect_eq "#! script: the script is measured" "$(entries_for /tmp/script.sh | grep -c .)" 1
expect_eq "#! script: the interpreter is measured" "$(entries_for /tmp/true | grep -c .)" 1

# --- appraisal, in permissive and in enforcing mode ---
EACCES=13
expect_eq "boot mode is permissive" "$(cat $A/enforce)" 0
expect_eq "enforce is mode 0644, owned by root" "$(stat -c '%a %u %g' $A/enforce)" "644 0 0"
if echo 2 > $A/enforce 2>/dev/null; then notok "enforce rejects values other than 0 and 1" "accepted 2"; else ok "enforce rejects values other than 0 and 1"; fi
CAP_MAC_ADMIN=33
EPERM=1
expect_eq "enforce: root without CAP_MAC_ADMIN cannot switch the mode" \
	"$(arbor-guest write-without-cap $CAP_MAC_ADMIN $A/enforce 1)" "errno $EPERM"
expect_eq "enforce: the refused write left the mode unchanged" "$(cat $A/enforce)" 0
expect_eq "enforce: dropping another capability does not matter" \
	"$(arbor-guest write-without-cap 0 $A/enforce 0)" ok
# The guest's tools must stay runnable when enforcing.
arbor-guest setxattr /bin/busybox security.arbor $T/sig/busybox
arbor-guest setxattr /bin/arbor-guest security.arbor $T/sig/arbor-guest

# run MODE NAME FILE ARG: exec FILE; signed files print "hello".
expect_run() { # DESCRIPTION FILE EXPECTED
	expect_eq "$1" "$(arbor-guest exec "$2" hello 2>&1)" "$3"
}
for mode in 0 1; do
	d=/tmp/m$mode
	mkdir -p $d
	# Fresh copies per mode, so each is evaluated (and logged) in that mode.
	cp $T/bin/* $d/
	for f in $T/sig/prog-* $T/sig/script-* $T/sig/map-*; do
		arbor-guest setxattr $d/$(basename $f) security.arbor $f
	done
	for f in $T/imasig/prog-*; do
		arbor-guest setxattr $d/$(basename $f) security.ima $f
	done
	echo $mode > $A/enforce
	expect_eq "[enforce=$mode] enforce reads back" "$(cat $A/enforce)" $mode
	if [ $mode = 1 ]; then
		denied="exec-errno $EACCES"; mdenied="errno $EACCES"; label=denied
	else
		denied=hello; mdenied=ok; label="allowed (permissive)"
	fi
	expect_run "[enforce=$mode] signed program runs" $d/prog-signed hello
	expect_run "[enforce=$mode] unsigned program" $d/prog-unsigned "$denied"
	expect_run "[enforce=$mode] program signed by a key not in the kernel" $d/prog-untrusted "$denied"
	expect_run "[enforce=$mode] program carrying another file's signature" $d/prog-wrongsig "$denied"
	while read -r name want; do
		expect_run "[enforce=$mode] program signed with \`arbor sign\` ($name) runs" $d/$name hello
		expect_eq "[enforce=$mode] $name: digest computed with the signature's Merkle parameters" \
			"$(entries_for $d/$name | awk '{print $4}')" "$want"
	done < $T/expected-arborsign
	expect_run "[enforce=$mode] program with an IMA sigv3 (security.ima) runs" $d/prog-imasig hello
	expect_eq "[enforce=$mode] its entry records the sigv3 (type 6, version 3)" \
		"$(entries_for $d/prog-imasig | awk '{print substr($6, 1, 4)}')" 0603
	expect_run "[enforce=$mode] IMA sigv3 by a key not in the kernel" $d/prog-imasig-untrusted "$denied"
	expect_eq "[enforce=$mode] log names the reason (IMA sigv3, unknown key)" \
		"$(dmesg | grep -c "arbor: exec: $d/prog-imasig-untrusted: untrusted (unknown key): $label")" 1
	expect_run "[enforce=$mode] truncated IMA sigv3" $d/prog-imasig-bad "$denied"
	expect_eq "[enforce=$mode] log names the reason (malformed IMA sigv3)" \
		"$(dmesg | grep -c "arbor: exec: $d/prog-imasig-bad: untrusted (malformed IMA sigv3")" 1
	# A signed program modified before it ever ran is refused; one that
	# ran (and so is trusted) cannot be modified in enforcing mode, and is
	# re-appraised after a modification in permissive mode.
	cp $d/prog-modify $d/prog-modify-early
	arbor-guest setxattr $d/prog-modify-early security.arbor $T/sig/prog-modify
	printf X >> $d/prog-modify-early
	expect_run "[enforce=$mode] signed program modified before it ran" $d/prog-modify-early "$denied"
	expect_run "[enforce=$mode] signed program before modification" $d/prog-modify hello
	if [ $mode = 1 ]; then
		if printf X 2>/dev/null >> $d/prog-modify; then
			notok "[enforce=1] a program that ran cannot be modified" "the append succeeded"
		else
			ok "[enforce=1] a program that ran cannot be modified"
		fi
		expect_run "[enforce=1] ... and still runs as signed" $d/prog-modify hello
	else
		printf X >> $d/prog-modify
		expect_run "[enforce=0] signed program modified after it ran is re-appraised" $d/prog-modify "$denied"
	fi
	expect_eq "[enforce=$mode] log names path, hook, reason, action (unsigned)" \
		"$(dmesg | grep -c "arbor: exec: $d/prog-unsigned: untrusted (unsigned): $label")" 1
	expect_eq "[enforce=$mode] log names the reason (unknown key)" \
		"$(dmesg | grep -c "arbor: exec: $d/prog-untrusted: untrusted (unknown key): $label")" 1
	expect_eq "[enforce=$mode] log names the reason (bad signature)" \
		"$(dmesg | grep -c "arbor: exec: $d/prog-wrongsig: untrusted (bad signature): $label")" 1
	expect_eq "[enforce=$mode] log names the reason (modified file)" \
		"$(dmesg | grep -c "arbor: exec: $d/prog-modify-early: untrusted (bad signature): $label")" 1
	for v in $T/bad/*; do
		arbor-guest setxattr $d/prog-bad security.arbor $v
		expect_run "[enforce=$mode] malformed xattr ($(basename $v))" $d/prog-bad "$denied"
	done
	expect_eq "[enforce=$mode] each malformed xattr gets one log line with its reason" \
		"$(dmesg | grep -c "arbor: exec: $d/prog-bad: untrusted (.*): $label")" "$(ls $T/bad | grep -c .)"
	expect_eq "[enforce=$mode] a value that is no PKCS#7 message is reported as a malformed xattr" \
		"$(dmesg | grep -c "arbor: exec: $d/prog-bad: untrusted (malformed xattr (signature is not one DER")" 2
	arbor-guest exec $d/script-signed
	expect_eq "[enforce=$mode] signed #! script with signed interpreter runs" "$?" 0
	expect_eq "[enforce=$mode] unsigned #! script" "$(arbor-guest exec $d/script-unsigned)" \
		"$([ $mode = 1 ] && echo "exec-errno $EACCES")"
	expect_eq "[enforce=$mode] mmap(PROT_EXEC) of a signed file" "$(arbor-guest mmap-exec $d/map-signed)" ok
	expect_eq "[enforce=$mode] mmap(PROT_EXEC) of an unsigned file" "$(arbor-guest mmap-exec $d/map-unsigned)" "$mdenied"
	expect_eq "[enforce=$mode] mprotect adding PROT_EXEC to an unsigned file's mapping" \
		"$(arbor-guest mprotect-exec $d/map-unsigned)" "$mdenied"
	expect_eq "[enforce=$mode] denied and allowed evaluations are in the list, with signatures" \
		"$(entries_for $d/prog-untrusted | awk '{print $3, ($6 != "")}')" "ima-sigv2 1"
done
echo 0 > $A/enforce

# --- fs-verity files: built-in signatures, and setup for the page-in test ---
if mount -t ext4 /dev/vdb /mnt; then
	expect_eq "fs-verity: certificate added to the .fs-verity keyring" "$(arbor-guest fsverity-add-cert $T/trusted.der)" ""
	expect_eq "fs-verity: enable with a built-in signature" \
		"$(arbor-guest enable-verity /mnt/prog-fsvsig sha256 $T/sig/prog-fsvsig.p7)" ""
	expect_eq "fs-verity: enable without a signature" "$(arbor-guest enable-verity /mnt/prog-fsvnosig sha256)" ""
	expect_eq "fs-verity: security.arbor set on ext4" \
		"$(arbor-guest setxattr /mnt/prog-pagein security.arbor $T/sig/prog-pagein)" ""
	expect_eq "fs-verity: enable on a file signed in security.arbor" \
		"$(arbor-guest enable-verity /mnt/prog-pagein sha256)" ""
	expect_eq "fs-verity: security.ima set on ext4" \
		"$(arbor-guest setxattr /mnt/prog-imasig512 security.ima $T/imasig/verity-prog-imasig512)" ""
	expect_eq "fs-verity: enable with SHA-512" "$(arbor-guest enable-verity /mnt/prog-imasig512 sha512)" ""
	# Permissive first: everything runs, so the verdict shows in the log.
	expect_run "[enforce=0] fs-verity file with a valid built-in signature runs" /mnt/prog-fsvsig hello
	expect_eq "[enforce=0] it is judged trusted (no untrusted log line)" \
		"$(dmesg | grep -c "arbor: .*/mnt/prog-fsvsig: untrusted")" 0
	expect_run "[enforce=0] fs-verity file with no signature runs" /mnt/prog-fsvnosig hello
	expect_eq "[enforce=0] it is judged untrusted (unsigned)" \
		"$(dmesg | grep -c "arbor: exec: /mnt/prog-fsvnosig: untrusted (unsigned): allowed (permissive)")" 1
	echo 1 > $A/enforce
	expect_run "[enforce=1] fs-verity file with a valid built-in signature runs" /mnt/prog-fsvsig hello
	expect_run "[enforce=1] fs-verity file with no signature is refused" /mnt/prog-fsvnosig "exec-errno $EACCES"
	expect_run "[enforce=1] fs-verity file signed in security.arbor runs" /mnt/prog-pagein hello
	expect_run "[enforce=1] SHA-512 fs-verity file with a SHA-512 IMA sigv3 runs" /mnt/prog-imasig512 hello
	echo 0 > $A/enforce
	expect_eq "fs-verity: the signed file's entry carries fs-verity's digest" \
		"$(entries_for /mnt/prog-pagein | tail -n 1 | awk '{print $4}')" "$(cat $T/expected-pagein)"
	umount /mnt
else
	notok "fs-verity: ext4 test image mounted again" "mount failed"
fi
dmesg | grep 'arbor:' > /out/arbor-dmesg.txt

# --- policy, violations, audit ---
. /etc/arbor/policy-tests.sh

# --- digest lists ---
. /etc/arbor/digest-list-tests.sh

# --- list consistency under concurrent appends (stress) ---
# Three writers each open and then exec 30 new files (each a new entry,
# made by the open, and each a TPM extend; the exec of the same version
# adds none) while a reader copies the binary list over and over through a
# pipe; every copy must consist of whole records with valid template
# digests, and copies never shrink. The final list is replayed against the
# TPM on the host.
before=$(cat $A/runtime_measurements_count)
for w in 1 2 3; do
	i=0
	while [ $i -lt 30 ]; do
		printf '\0%s-%s' $w $i > /tmp/c$w-$i
		chmod 755 /tmp/c$w-$i
		i=$((i + 1))
	done
done
pids=
for w in 1 2 3; do
	( i=0; while [ $i -lt 30 ]; do
		cat /tmp/c$w-$i > /dev/null
		arbor-guest exec /tmp/c$w-$i > /dev/null
		i=$((i + 1))
	done ) &
	pids="$pids $!"
done
writers_running() {
	for p in $pids; do kill -0 $p 2>/dev/null && return 0; done
	return 1
}
bad=0
reads=0
last=0
while writers_running || [ $reads -lt 3 ]; do
	out=$(cat $A/binary_runtime_measurements | arbor-guest check-list /proc/self/fd/0)
	case "$out" in
	"records "*)
		n=${out#records }
		[ "$n" -ge "$last" ] || { bad=1; echo "copy shrank: $n < $last"; }
		last=$n
		;;
	*) bad=1; echo "$out" ;;
	esac
	reads=$((reads + 1))
done
wait
expect_eq "stress: $reads concurrent copies were whole, valid and never shrank" "$bad" 0
if [ $reads -gt 3 ]; then ok "stress: the reader ran while writers appended ($reads copies)"; else notok "stress: the reader ran while writers appended" "only $reads copies"; fi
expect_eq "stress: every new file added exactly one entry" \
	"$(( $(cat $A/runtime_measurements_count) - before ))" 90

# --- checkpoints (before the copy: the host replays a list that has them) ---
. /etc/arbor/list-tests.sh
checkpoint_tests

# --- the count node and both lists agree ---
cat $A/binary_runtime_measurements > /out/binary_runtime_measurements
cat $A/ascii_runtime_measurements > /out/ascii_runtime_measurements
cat $A/runtime_measurements_count > /out/runtime_measurements_count
cat $A/violations > /out/violations
cat $A/software_pcrs_sha1 > /out/software_pcrs_sha1
cat $A/software_pcrs_sha256 > /out/software_pcrs_sha256
# The TPM's PCRs, read after the list was copied, in evmctl's format.
if [ -d /sys/class/tpm/tpm0/pcr-sha1 ]; then
	ok "a TPM is present (swtpm)"
	for bank in sha1 sha256; do
		arbor-guest pcrs $bank > /out/tpm_pcrs_$bank
	done
	expect_eq "first entry is boot_aggregate" "$(head -n 1 /out/ascii_runtime_measurements | awk '{print $5}')" boot_aggregate
	expect_eq "boot_aggregate uses the SHA-256 bank" \
		"$(head -n 1 /out/ascii_runtime_measurements | awk '{print substr($4, 1, 11)}')" "ima:sha256:"
else
	notok "a TPM is present (swtpm)" "no /sys/class/tpm/tpm0/pcr-sha1"
fi
n=$(cat /out/runtime_measurements_count)
expect_eq "count node equals ASCII lines" "$(grep -c . /out/ascii_runtime_measurements)" "$n"
expect_eq "count node equals binary records" "$(arbor-guest check-list /out/binary_runtime_measurements)" "records $n"

# --- the attack suite (last: it locks arbor in enforcing mode) ---
. /etc/arbor/attack-tests.sh

# --- trims (last: they drop the entries other tests look for) ---
trim_tests
