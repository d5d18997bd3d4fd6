# SPDX-License-Identifier: GPL-2.0
# Policy, violation and audit tests; sourced by guest-tests.sh (which
# defines A, T, ok, notok, expect_eq and entries_for). Leaves the default
# policy in force and the mode permissive.

P=$T/policy
D=/tmp/pol
mkdir -p $D
chmod 755 $D
n=0
# A new file with content of its own (a new inode: never measured).
newfile() { n=$((n + 1)); printf 'policy test file %s\n' "$n" > "$1"; chmod 644 "$1"; }
count() { entries_for "$1" | grep -c .; }
# Writes the policy text $1 (printf format) in one write().
pol() { printf "$1" > /tmp/pol.txt; arbor-guest write-file $A/policy /tmp/pol.txt; }
viol() { cat $A/violations; }
tmpfs_magic=$(stat -f -c %t /tmp)
default=$(cat $A/policy)

# --- the policy file ---
expect_eq "policy is mode 0600, owned by root" "$(stat -c '%a %u %g' $A/policy)" "600 0 0"
expect_eq "violations is mode 0440, owned by root" "$(stat -c '%a %u %g' $A/violations)" "440 0 0"
expect_eq "the default policy measures every exec" \
	"$(echo "$default" | grep -cx 'measure func=BPRM_CHECK')" 1
expect_eq "the default policy measures files root opens for reading" \
	"$(echo "$default" | grep -cx 'measure func=FILE_CHECK mask=^MAY_READ uid=0')" 1
expect_eq "the default policy leaves procfs out" \
	"$(echo "$default" | grep -cx 'dont_measure fsmagic=0x9fa0')" 1
echo "$default" > /tmp/default.txt
expect_eq "the policy read back can be written again" "$(arbor-guest write-file $A/policy /tmp/default.txt)" ok
expect_eq "... and reads back the same" "$(cat $A/policy)" "$default"
# 33 is CAP_MAC_ADMIN.
expect_eq "writing the policy needs CAP_MAC_ADMIN" \
	"$(arbor-guest write-without-cap 33 $A/policy 'measure')" "errno 1"

# --- malformed policies: rejected whole, with the line and the reason ---
reject() { # NAME TEXT LOG-TEXT
	expect_eq "rejected ($1): EINVAL" "$(pol "$2")" "errno 22"
	expect_eq "rejected ($1): the log names line and reason" \
		"$(dmesg | grep -cF "arbor: policy rejected (parse_error): $3")" 1
	expect_eq "rejected ($1): the old policy stays" "$(cat $A/policy)" "$default"
}
reject "unknown action" 'measure\nbogus func=BPRM_CHECK\n' "line 2, column 1: unknown action"
reject "unknown condition" 'measure\n\nmeasure  size=3\n' "line 3, column 10: unknown condition"
reject "unknown option" 'option require_everything\n' "line 1, column 8: unknown option"
reject "missing option" 'option  # nothing\n' "line 1, column 1: option names no option"
reject "missing value" 'measure uid=\n' "line 1, column 9: uid has no value"
reject "bad value" 'measure func=EXEC_CHECK\n' "line 1, column 9: bad value for func"
reject "bad operator" 'measure fsmagic>0x10\n' "line 1, column 9: fsmagic takes only ="
reject "duplicate condition" 'measure uid=1 uid<5\n' "line 1, column 15: uid given twice in one rule"
reject "duplicate option" 'option require_signed_policy\noption require_signed_policy\n' \
	"line 2, column 8: option given twice"
i=0
: > /tmp/many.txt
while [ $i -lt 257 ]; do echo "measure uid=$i" >> /tmp/many.txt; i=$((i + 1)); done
expect_eq "rejected (257 rules): EINVAL" "$(arbor-guest write-file $A/policy /tmp/many.txt)" "errno 22"
expect_eq "rejected (257 rules): the log names line and reason" \
	"$(dmesg | grep -cF "arbor: policy rejected (parse_error): line 257, column 1: more than 256 rules")" 1
{ printf 'measure #'; head -c 1016 /dev/zero | tr '\0' x; echo; } > /tmp/long.txt
expect_eq "rejected (1025-byte line): EINVAL" "$(arbor-guest write-file $A/policy /tmp/long.txt)" "errno 22"
expect_eq "rejected (1025-byte line): the log names line and reason" \
	"$(dmesg | grep -cF "arbor: policy rejected (parse_error): line 1, column 1025: line longer than 1024 bytes")" 1
: > /tmp/empty.txt
expect_eq "rejected (empty write): EINVAL" "$(arbor-guest write-file $A/policy /tmp/empty.txt)" "errno 22"
head -c 1048577 /dev/zero | tr '\0' '#' > /tmp/huge.txt
expect_eq "rejected (over 1 MiB): EFBIG" "$(arbor-guest write-file $A/policy /tmp/huge.txt)" "errno 27"
expect_eq "rejected (empty write, over 1 MiB): both logged" \
	"$(dmesg | grep -c 'arbor: policy rejected (empty)\|arbor: policy rejected (too_big)')" 2
# A write whose user buffer faults part way: what could be copied is a
# valid policy, but it is not what was written.
printf 'measure func=BPRM_CHECK\n' > /tmp/short.txt
expect_eq "rejected (faulting user buffer): EFAULT" \
	"$(arbor-guest steps write-faulting:$A/policy:/tmp/short.txt)" "write-faulting errno 14"
expect_eq "after every rejection the default policy is in force" "$(cat $A/policy)" "$default"

# --- conditions ---
# Each policy measures one kind of file; a file it names gets an entry, a
# file it does not name gets none. The files are made first, under an
# empty policy, so that making them measures nothing.
mount -t ext4 /dev/vdb /mnt || notok "policy: ext4 image mounted" "mount failed"
expect_eq "an empty policy (comments only) loads" "$(pol '# nothing at all\n')" ok
expect_eq "... and reads back empty" "$(cat $A/policy)" ""
for f in func1 func2 mask1 mask2 magic1 magic2 uuid1 uid1 uid2 uid3 uid4 uid5 uid6 euid1 euid2 \
	owner1 owner2 dont1 dont2 appr1 appr2 appr3; do
	newfile $D/$f
done
for f in magic1 magic2 uuid1; do newfile /mnt/$f; done
chmod 755 $D/func2
chown 1234 $D/owner1 $D/dont1 $D/appr2
measures() { # NAME FILE WANT(0|1) [COMMAND...]: reads FILE (as root, or with COMMAND)
	name=$1 f=$2 want=$3
	shift 3
	if [ $# -gt 0 ]; then "$@" "$f" > /dev/null; else cat "$f" > /dev/null; fi
	expect_eq "$name" "$(count "$f")" "$want"
}
expect_eq "policy: func=BPRM_CHECK loads" "$(pol 'measure func=BPRM_CHECK\n')" ok
expect_eq "... and reads back canonical" "$(cat $A/policy)" "measure func=BPRM_CHECK"
measures "func=BPRM_CHECK: a read is not measured" $D/func1 0
arbor-guest exec $D/func2 > /dev/null
expect_eq "func=BPRM_CHECK: an exec is measured" "$(count $D/func2)" 1

pol 'measure func=FILE_CHECK mask=MAY_WRITE\n' > /dev/null
printf x > $D/mask1 # an existing file: a file being created is opened with no access bits
expect_eq "mask=MAY_WRITE: an open for writing is measured" "$(count $D/mask1)" 1
measures "mask=MAY_WRITE: an open for reading is not" $D/mask2 0
printf 'x' >> $D/mask2
expect_eq "mask=MAY_WRITE: an open for appending is not (the mask is exact)" "$(count $D/mask2)" 0
pol 'measure func=FILE_CHECK mask=^MAY_APPEND\n' > /dev/null
printf 'x' >> $D/mask2
expect_eq "mask=^MAY_APPEND: an open for appending is measured" "$(count $D/mask2)" 1

pol "measure func=FILE_CHECK fsmagic=0x$tmpfs_magic\n" > /dev/null
expect_eq "fsmagic: reads back in canonical hex" "$(cat $A/policy)" "measure func=FILE_CHECK fsmagic=0x$tmpfs_magic"
measures "fsmagic=tmpfs: a tmpfs file is measured" $D/magic1 1
measures "fsmagic=tmpfs: an ext4 file is not" /mnt/magic1 0
pol 'measure func=FILE_CHECK fsmagic=0xEF53\n' > /dev/null
measures "fsmagic=0xEF53: an ext4 file is measured" /mnt/magic2 1
measures "fsmagic=0xEF53: a tmpfs file is not" $D/magic2 0

uuid=$(cat $P/ext4-uuid)
pol "measure func=FILE_CHECK fsuuid=$uuid\n" > /dev/null
measures "fsuuid: a file on that filesystem is measured" /mnt/uuid1 1
measures "fsuuid: a file elsewhere is not" $D/uuid1 0

pol 'measure func=FILE_CHECK uid=1000\n' > /dev/null
measures "uid=1000: a read by uid 1000 is measured" $D/uid1 1 arbor-guest run-as 1000 1000 /bin/cat
measures "uid=1000: a read by root is not" $D/uid2 0
pol 'measure func=FILE_CHECK uid>1000\n' > /dev/null
measures "uid>1000: a read by uid 1001 is measured" $D/uid3 1 arbor-guest run-as 1001 1001 /bin/cat
measures "uid>1000: a read by uid 1000 is not" $D/uid4 0 arbor-guest run-as 1000 1000 /bin/cat
pol 'measure func=FILE_CHECK uid<1000\n' > /dev/null
measures "uid<1000: a read by root is measured" $D/uid5 1
measures "uid<1000: a read by uid 1000 is not" $D/uid6 0 arbor-guest run-as 1000 1000 /bin/cat

pol 'measure func=FILE_CHECK euid=0\n' > /dev/null
# busybox drops a differing euid, so the reader is the helper itself (its
# check-list reads the file whole, then complains that it is no list).
measures "euid=0: a read with uid 1000, euid 0 is measured" $D/euid1 1 \
	arbor-guest run-as 1000 0 /bin/arbor-guest check-list
measures "euid=0: a read with uid 0, euid 1000 is not" $D/euid2 0 \
	arbor-guest run-as 0 1000 /bin/arbor-guest check-list

pol 'measure func=FILE_CHECK fowner=1234\n' > /dev/null
chown 1234 $D/owner1; measures "fowner=1234: a file owned by 1234 is measured" $D/owner1 1
measures "fowner=1234: a file owned by root is not" $D/owner2 0

# --- actions ---
pol 'dont_measure fowner=1234\nmeasure func=FILE_CHECK\n' > /dev/null
chown 1234 $D/dont1; measures "dont_measure before measure: excluded file not measured" $D/dont1 0
measures "dont_measure before measure: other files measured" $D/dont2 1

signed=/bin/arbor-guest # signed with the builtin key by guest-tests.sh
pol 'appraise func=FILE_CHECK mask=^MAY_READ uid=1000\n' > /dev/null
echo 1 > $A/enforce
expect_eq "appraise: uid 1000 cannot read an unsigned file (enforcing)" \
	"$(arbor-guest run-as 1000 1000 /bin/cat $D/appr1 2>&1 | grep -c 'Permission denied')" 1
expect_eq "appraise: uid 1000 reads a signed file" \
	"$(arbor-guest run-as 1000 1000 /bin/cat $signed 2>&1 | cmp -s - $signed && echo same)" same
expect_eq "appraise: root reads the unsigned file (no rule for it)" "$(cat $D/appr1 | grep -c 'policy test file')" 1
echo 0 > $A/enforce
pol 'dont_appraise fowner=1234\nappraise func=FILE_CHECK mask=^MAY_READ uid=1000\n' > /dev/null
echo 1 > $A/enforce
expect_eq "dont_appraise before appraise: uid 1000 reads the excluded unsigned file" \
	"$(arbor-guest run-as 1000 1000 /bin/cat $D/appr2 2>&1 | grep -c 'policy test file')" 1
expect_eq "dont_appraise before appraise: other unsigned files are refused" \
	"$(arbor-guest run-as 1000 1000 /bin/cat $D/appr3 2>&1 | grep -c 'Permission denied')" 1
echo 0 > $A/enforce

# audit: one record per file version, with the path and the digest.
pol 'audit func=FILE_CHECK\n' > /dev/null
f=$T/data/size-4096
want=$(awk '$1 == "size-4096" {print $2}' $T/expected)
before=$(count $f)
arbor-guest audit-run /tmp/audit1.log sh -c "cat $f > /dev/null; cat $f > /dev/null"
expect_eq "audit: a read of a file is audited once per version" \
	"$(grep -c "type=1805 .*op=audit cause=matched func=FILE_CHECK .* path=\"$f\" digest=sha256:$want res=1" /tmp/audit1.log)" 1
expect_eq "audit: an audit rule adds no entry" "$(count $f)" "$before"

# --- violations (under the default policy) ---
arbor-guest write-file $A/policy /tmp/default.txt > /dev/null
v0=$(viol)
newfile $D/tomtou
exec 3< $D/tomtou
arbor-guest audit-run /tmp/audit2.log sh -c "printf more >> $D/tomtou"
exec 3<&-
expect_eq "ToMToU: counted in violations" "$(viol)" $((v0 + 1))
expect_eq "ToMToU: an entry with zero digests names the file" \
	"$(entries_for $D/tomtou | awk '$2 ~ /^0+$/ {print $4}')" \
	"ima:sha256:0000000000000000000000000000000000000000000000000000000000000000"
expect_eq "ToMToU: an audit record" \
	"$(grep -c "type=1804 audit([0-9.:]*): op=violation cause=ToMToU func=FILE_CHECK .* path=\"$D/tomtou\" res=1" /tmp/audit2.log)" 1
newfile $D/writers
exec 4>> $D/writers
arbor-guest audit-run /tmp/audit3.log cat $D/writers > /dev/null
exec 4>&-
expect_eq "open_writers: counted in violations" "$(viol)" $((v0 + 2))
expect_eq "open_writers: an entry with zero digests names the file" \
	"$(entries_for $D/writers | awk '$2 ~ /^0+$/' | grep -c .)" 1
expect_eq "open_writers: an audit record" \
	"$(grep -c "type=1804 audit([0-9.:]*): op=violation cause=open_writers func=FILE_CHECK .* path=\"$D/writers\" res=1" /tmp/audit3.log)" 1
newfile $D/quiet
cat $D/quiet > /dev/null
printf more >> $D/quiet
expect_eq "no violation when the reader has closed the file" "$(viol)" $((v0 + 2))
# As IMA, any file open for reading only counts for ToMToU (the inode's
# i_readcount), not only readers whose own open was measured: uid 1000's
# reads are not measured, root's read measured the file.
newfile $D/anyreader
chmod 666 $D/anyreader
cat $D/anyreader > /dev/null
arbor-guest run-as 1000 1000 /bin/busybox sh -c "exec 3< $D/anyreader; printf more >> $D/anyreader"
expect_eq "ToMToU: an unmeasured reader counts, as IMA's" "$(viol)" $((v0 + 3))
expect_eq "ToMToU: the entry names the file read by uid 1000" \
	"$(entries_for $D/anyreader | awk '$2 ~ /^0+$/' | grep -c .)" 1
# A file the policy never measured is in no violation, readers or not.
newfile $D/unmeasured
chmod 666 $D/unmeasured
arbor-guest run-as 1000 1000 /bin/busybox sh -c "exec 3< $D/unmeasured; printf more >> $D/unmeasured"
expect_eq "ToMToU: none for a file the policy never measured" "$(viol)" $((v0 + 3))

# --- signed policies ---
expect_eq "signed policy by an unknown key: ENOKEY" \
	"$(arbor-guest write-file $A/policy $P/signed-untrusted.p7s)" "errno 126"
expect_eq "tampered signed policy: EKEYREJECTED" \
	"$(arbor-guest write-file $A/policy $P/signed-tampered.p7s)" "errno 129"
expect_eq "the default policy is still in force" "$(cat $A/policy)" "$default"
expect_eq "signed policy by a builtin key: accepted" \
	"$(arbor-guest write-file $A/policy $P/signed-trusted.p7s)" ok
expect_eq "signed policy: the signed text is in force" "$(cat $A/policy)" "$(cat $P/signed.txt)"
arbor-guest write-file $A/policy /tmp/default.txt > /dev/null
expect_eq "signed policy by arbor policy sign: accepted" \
	"$(arbor-guest write-file $A/policy $P/signed-arbor.p7s)" ok
expect_eq "signed policy by arbor policy sign: the signed text is in force" \
	"$(cat $A/policy)" "$(cat $P/signed.txt)"
expect_eq "option require_signed_policy: accepted unsigned" \
	"$(pol 'option require_signed_policy\nmeasure func=BPRM_CHECK\n')" ok
expect_eq "option require_signed_policy: read back first" \
	"$(head -n 1 $A/policy)" "option require_signed_policy"
arbor-guest audit-run /tmp/audit4.log arbor-guest write-file $A/policy /tmp/default.txt > /tmp/out4
expect_eq "require_signed_policy: an unsigned policy is refused with EACCES" "$(cat /tmp/out4)" "errno 13"
expect_eq "require_signed_policy: the refusal is audited" \
	"$(grep -c 'type=1802 audit([0-9.:]*): op=policy_load cause=unsigned .* signed=0 reason=.* res=0' /tmp/audit4.log)" 1
expect_eq "require_signed_policy: the old policy stays" \
	"$(cat $A/policy)" "$(printf 'option require_signed_policy\nmeasure func=BPRM_CHECK')"
arbor-guest audit-run /tmp/audit5.log arbor-guest write-file $A/policy $P/signed-trusted.p7s > /tmp/out5
expect_eq "require_signed_policy: a signed policy is accepted" "$(cat /tmp/out5)" ok
expect_eq "policy load: audited with the rule count" \
	"$(grep -c 'type=1802 audit([0-9.:]*): op=policy_load cause=replaced mode=permissive .* rules=2 signed=1 res=1' /tmp/audit5.log)" 1
expect_eq "a policy without the option lets unsigned policies in again" \
	"$(arbor-guest write-file $A/policy /tmp/default.txt)" ok
expect_eq "the default policy is back" "$(cat $A/policy)" "$default"

# --- mode switches are audited ---
# As a logged-in user would: the shell's login uid is set first, so the
# records carry it (auid) and the session it starts (ses).
arbor-guest audit-run /tmp/audit7.log sh -c "echo 1234 > /proc/self/loginuid; echo 1 > $A/enforce; echo 0 > $A/enforce"
expect_eq "switching to enforcing is audited, with the login uid and session" \
	"$(grep -c 'type=1802 audit([0-9.:]*): op=mode cause=enforcing mode=enforcing pid=[0-9]* uid=0 auid=1234 ses=[0-9]* comm="sh" res=1' /tmp/audit7.log)" 1
expect_eq "switching to permissive is audited, with the login uid and session" \
	"$(grep -c 'type=1802 audit([0-9.:]*): op=mode cause=permissive mode=permissive pid=[0-9]* uid=0 auid=1234 ses=[0-9]* comm="sh" res=1' /tmp/audit7.log)" 1
expect_eq "the session is a real one, not the unset value" \
	"$(grep -c 'op=mode .* ses=4294967295 ' /tmp/audit7.log)" 0

# --- a refusal is audited ---
cp /bin/arbor-guest $D/unsigned-prog
echo 1 > $A/enforce
arbor-guest audit-run /tmp/audit6.log arbor-guest exec $D/unsigned-prog hello > /tmp/out6
echo 0 > $A/enforce
expect_eq "enforcing: an unsigned program is refused" "$(cat /tmp/out6)" "exec-errno 13"
expect_eq "enforcing: the refusal is audited" \
	"$(grep -c "type=1800 audit([0-9.:]*): op=appraise cause=unsigned func=BPRM_CHECK mode=enforcing pid=[0-9]* uid=0 auid=4294967295 ses=4294967295 comm=\"arbor-guest\" path=\"$D/unsigned-prog\" res=0" /tmp/audit6.log)" 1
umount /mnt
