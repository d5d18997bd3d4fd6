# SPDX-License-Identifier: GPL-2.0
# Remote files (a boot of its own: arbor_job=nfs.sh). This guest is both
# an NFSv4.2 server and its client, over loopback: the server exports the
# ext4 test image (/dev/vdb, mounted at /srv), the client mounts the export
# at /net (guest-nfs-serve.sh). A file the tests change "on the server" is
# written through /srv, never through the mount: for the client, that is
# a server changing files behind its back.
A=/sys/kernel/security/arbor
T=/arbor-tests
N=$T/nfs
EACCES=13
ok() { echo "ok - $1"; }
notok() { echo "not ok - $1: $2"; }
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else notok "$1" "got '$2', want '$3'"; fi; }
entries_for() { awk -v p="$1" '$5 == p' "$A/ascii_runtime_measurements"; }
count() { entries_for "$1" | grep -c .; }
digest_of() { awk -v p="$1" '$1 == p {print "verity:sha256:" $2}' $N/expected; }
hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }
echo 1000000 > /proc/sys/kernel/printk_ratelimit_burst

# --- the server and the client ---
mkdir -p /srv
if ! mount -t ext4 /dev/vdb /srv; then
	notok "nfs: the ext4 image to export is mounted" "mount failed"
	exit 0
fi
S=/srv/nfs
C=/net/nfs
mkdir -p $S
. /etc/arbor/nfs-serve.sh
expect_eq "nfs: the server's grace period ends on request" "$(nfs_export /srv)" Y
expect_eq "nfs: the client mounts the export (NFSv4.2 over loopback)" "$(nfs_mount /net)" ok
expect_eq "nfs: the mount is NFS (fsmagic 0x6969)" "$(stat -f -c %t /net)" 6969

# The guest's tools stay runnable in enforcing mode.
arbor-guest setxattr /bin/busybox security.arbor $T/sig/busybox
arbor-guest setxattr /bin/arbor-guest security.arbor $T/sig/arbor-guest

# serve NAME PROG [ATTR VALUE_FILE]: the server gets a copy of prog-PROG
# as $S/NAME, with ATTR set to the bytes of VALUE_FILE.
# steps STEP...: the helper's steps, their lines joined with "; ".
steps() { arbor-guest steps "$@" | tr '\n' ';' | sed 's/;$//; s/;/; /g'; }
serve() {
	if ! cp $N/bin/prog-$2 $S/$1 || ! chmod 755 $S/$1 ||
		{ [ -n "$3" ] && ! arbor-guest setxattr $S/$1 $3 $4; }; then
		notok "nfs: the server has $1" "cannot copy prog-$2 or set $3"
	fi
}
serve v1 v1 user.arbor $N/sig/prog-v1
serve unsigned unsigned
serve untrusted untrusted user.arbor $N/sig/prog-untrusted
serve wrongsig unsigned user.arbor $N/sig/prog-v1
serve imasig imasig user.ima $N/sig/prog-imasig
serve ignored v1 user.arbor $N/sig/prog-v1
echo 1 > $A/enforce

# --- a user.* signature vouches only where the policy says so ---
expect_eq "nfs, default policy: a program signed in user.arbor only is refused" \
	"$(arbor-guest exec $C/ignored hello)" "exec-errno $EACCES"
expect_eq "nfs, default policy: refused as unsigned" \
	"$(dmesg | grep -c "arbor: exec: $C/ignored: untrusted (unsigned): denied")" 1
# NFS mounts, and only they, let user.* vouch; the rest of the default
# policy stays as it was.
{
	echo "appraise func=BPRM_CHECK fsmagic=0x6969 appraise_by=signature|list|user_signature"
	echo "appraise func=MMAP_CHECK mask=^MAY_EXEC fsmagic=0x6969 appraise_by=signature|list|user_signature"
	cat $A/policy
} > /tmp/nfs-policy.txt
expect_eq "nfs: a policy that lets user.* vouch on NFS loads" \
	"$(arbor-guest write-file $A/policy /tmp/nfs-policy.txt)" ok
cp $N/bin/prog-v1 /tmp/v1-local
chmod 755 /tmp/v1-local
expect_eq "tmpfs: user.arbor can be set" "$(arbor-guest setxattr /tmp/v1-local user.arbor $N/sig/prog-v1)" ""
expect_eq "tmpfs: user.arbor is still ignored where the policy does not allow it" \
	"$(arbor-guest exec /tmp/v1-local hello)" "exec-errno $EACCES"

# --- appraisal and measurement through the mount ---
expect_eq "nfs: a program signed in user.arbor runs" "$(arbor-guest exec $C/v1 hello)" hello
expect_eq "nfs: one entry for it, under the client's path" "$(count $C/v1)" 1
expect_eq "nfs: its digest is what fsverity digest computes on the host" \
	"$(entries_for $C/v1 | awk '{print $4}')" "$(digest_of prog-v1)"
# nfsd's own open of the file, as root, is measured too (the default
# FILE_CHECK rule), under the server's path: apart from the client's.
expect_eq "nfs: nfsd's open is measured under the server's path, with the same digest" \
	"$(entries_for $S/v1 | awk '{print $4}' | sort -u)" "$(digest_of prog-v1)"
expect_eq "nfs: its entry carries the user.arbor signature" \
	"$(entries_for $C/v1 | awk '{print $6}')" "$(hex $N/sig/prog-v1)"
expect_eq "nfs: an unsigned program is refused" "$(arbor-guest exec $C/unsigned hello)" "exec-errno $EACCES"
expect_eq "nfs: a program signed by an untrusted key is refused" \
	"$(arbor-guest exec $C/untrusted hello)" "exec-errno $EACCES"
expect_eq "nfs: a program carrying another file's signature is refused" \
	"$(arbor-guest exec $C/wrongsig hello)" "exec-errno $EACCES"
expect_eq "nfs: a program with an IMA sigv3 in user.ima runs" "$(arbor-guest exec $C/imasig hello)" hello
expect_eq "nfs: the sigv3 program's digest is fsverity digest's" \
	"$(entries_for $C/imasig | awk '{print $4}')" "$(digest_of prog-imasig)"
expect_eq "nfs: a signed program maps executable" "$(arbor-guest mmap-exec $C/v1)" ok
expect_eq "nfs: an unsigned program does not map executable" \
	"$(arbor-guest mmap-exec $C/unsigned)" "errno $EACCES"
expect_eq "nfs: mprotect(PROT_EXEC) of a mapping of a signed program is refused" \
	"$(arbor-guest mprotect-exec $C/v1)" "errno $EACCES"
# Setting or removing user.arbor would start a new version and lift the
# guard against writers: refused for a trusted file, through the mount as
# on a local filesystem, where the owner needs no privilege for it.
expect_eq "nfs: user.arbor of a trusted file cannot be replaced through the mount" \
	"$(arbor-guest setxattr $C/v1 user.arbor $N/sig/prog-v2)" "setxattr: errno $EACCES"
expect_eq "nfs: the trusted file still runs" "$(arbor-guest exec $C/v1 hello)" hello
cp $T/bin/prog-signed /tmp/trusted-local
chmod 755 /tmp/trusted-local
arbor-guest setxattr /tmp/trusted-local security.arbor $T/sig/prog-signed
arbor-guest exec /tmp/trusted-local hello > /dev/null
expect_eq "tmpfs: user.arbor of a trusted file cannot be set" \
	"$(arbor-guest setxattr /tmp/trusted-local user.arbor $N/sig/prog-v1)" "setxattr: errno $EACCES"
expect_eq "tmpfs: so the trusted file stays closed to writers" \
	"$(arbor-guest steps open-wo:w:/tmp/trusted-local)" "open-wo errno $EACCES"

# --- files changed on the server, behind the client's back ---
serve changed v1 user.arbor $N/sig/prog-v1
expect_eq "server change: the signed program runs first" "$(arbor-guest exec $C/changed hello)" hello
printf X >> $S/changed
expect_eq "server change: after a byte is appended on the server, it is refused" \
	"$(arbor-guest exec $C/changed hello)" "exec-errno $EACCES"
expect_eq "server change: a new entry" "$(count $C/changed)" 2
expect_eq "server change: the new entry has the changed content's digest" \
	"$(entries_for $C/changed | tail -n 1 | awk '{print $4}')" "$(digest_of prog-v1+X)"
expect_eq "server change: refused again at the next exec" \
	"$(arbor-guest exec $C/changed hello)" "exec-errno $EACCES"

serve replaced v1 user.arbor $N/sig/prog-v1
expect_eq "replacement: v1 runs" "$(arbor-guest exec $C/replaced hello)" hello
cat $N/bin/prog-v2 > $S/replaced
arbor-guest setxattr $S/replaced user.arbor $N/sig/prog-v2
expect_eq "replacement: v2 with its own signature runs" "$(arbor-guest exec $C/replaced hello)" hello
expect_eq "replacement: v2's entry has v2's digest" \
	"$(entries_for $C/replaced | tail -n 1 | awk '{print $4}')" "$(digest_of prog-v2)"
serve stale v1 user.arbor $N/sig/prog-v1
expect_eq "stale signature: v1 runs" "$(arbor-guest exec $C/stale hello)" hello
cat $N/bin/prog-v2 > $S/stale
expect_eq "stale signature: v2 under v1's signature is refused" \
	"$(arbor-guest exec $C/stale hello)" "exec-errno $EACCES"
serve renamed v1 user.arbor $N/sig/prog-v1
expect_eq "rename into place: v1 runs" "$(arbor-guest exec $C/renamed hello)" hello
serve .renamed.new v2 user.arbor $N/sig/prog-v2
mv $S/.renamed.new $S/renamed
expect_eq "rename into place: v2 runs" "$(arbor-guest exec $C/renamed hello)" hello
expect_eq "rename into place: v2's entry has v2's digest" \
	"$(entries_for $C/renamed | tail -n 1 | awk '{print $4}')" "$(digest_of prog-v2)"

# --- the server's change attribute: asked for at every use ---
# An audit rule emits one record per file version: a second exec of an
# unchanged file reuses the verdict (no record), a change made on the
# server is a new version (a record), though no local hook saw it.
{ echo "audit func=BPRM_CHECK fsmagic=0x6969"; cat $A/policy; } > /tmp/nfs-audit.txt
expect_eq "change attribute: a policy with an audit rule for NFS loads" \
	"$(arbor-guest write-file $A/policy /tmp/nfs-audit.txt)" ok
audits() { dmesg | grep -c "type=1805 .*op=audit cause=matched func=BPRM_CHECK .* path=\"$C/$1\""; }
serve audited v1 user.arbor $N/sig/prog-v1
arbor-guest exec $C/audited hello > /dev/null
arbor-guest exec $C/audited hello > /dev/null
expect_eq "change attribute: two execs of an unchanged file, one audit record" "$(audits audited)" 1
cat $N/bin/prog-v2 > $S/audited
arbor-guest setxattr $S/audited user.arbor $N/sig/prog-v2
expect_eq "change attribute: the version replaced on the server runs" \
	"$(arbor-guest exec $C/audited hello)" hello
arbor-guest exec $C/audited hello > /dev/null
expect_eq "change attribute: the server's change is a new version, audited once" "$(audits audited)" 2
expect_eq "change attribute: the policy without it loads again" \
	"$(arbor-guest write-file $A/policy /tmp/nfs-policy.txt)" ok

# A descriptor opened on the client before the server rewrites the signed
# code in place (same size): mapping it executable afterwards asks the
# server, sees the change, reads the new content and refuses it. The
# attacker's code (returns 66) never runs.
cp $T/attack/code-good $S/code
arbor-guest setxattr $S/code user.arbor $T/attack/code-good.sig
got=$(steps open-ro:f:$C/code call-fd:f open-rw:s:$S/code pwrite:s:$T/attack/code-bad:0 call-fd:f)
expect_eq "server rewrite under an open descriptor: mapping it again is refused" "$got" \
	"open-ro ok; call-fd ret 42; open-rw ok; pwrite ok; call-fd errno $EACCES"

# A file that keeps changing on the server while the client reads it: a
# loop on the server sets an unrelated attribute to one value and then
# another, again and again (each set is a new change attribute; content
# and signature stay valid). arbor reads the 4 MiB signed script, sees the
# change attribute move, reads it twice more, and refuses it. Whether the
# loop changes the file during each of the three reads depends on the
# scheduler, so the client tries up to five times and one refusal is
# wanted; every exec that was not refused ran the signed script: its
# pages are checked, and those read after a change the client saw are
# still the content appraised, so they read (only the xattr changed).
cp $T/attack/script-big $S/big
chmod 755 $S/big
arbor-guest setxattr $S/big user.arbor $T/attack/script-big.sig
expect_eq "changing while read: the signed script runs while the server leaves it alone" \
	"$(arbor-guest exec $C/big)" hello
printf 1 > /tmp/bump1
printf 2 > /tmp/bump2
rm -f /tmp/stop-bump
(while [ ! -e /tmp/stop-bump ]; do
	arbor-guest setxattr $S/big user.bump /tmp/bump1
	arbor-guest setxattr $S/big user.bump /tmp/bump2
done) &
bumper=$!
refused=0 other=
for i in 1 2 3 4 5; do
	case "$(arbor-guest exec $C/big)" in
	"exec-errno $EACCES") refused=1; break ;;
	hello) ;;
	*) other="$other $i" ;;
	esac
done
touch /tmp/stop-bump
wait $bumper
expect_eq "changing while read: refused while the server keeps changing it" "$refused" 1
expect_eq "changing while read: every exec ran the signed script, or was refused" "$other" ""
expect_eq "changing while read: logged as such" \
	"$(dmesg | grep -c "arbor: exec: $C/big: untrusted (changed on its server while read): denied")" 1
expect_eq "changing while read: runs again once the server stops" "$(arbor-guest exec $C/big)" hello

# --- pages read after the appraisal (the readpage gate) ---
# A trusted file's pages are checked as they are read again. Each gate
# file is three pages of signed code (42 at offset 0, 43 at 4096).
# write-under changes the server's copy under ext4, on /dev/vdb at the
# offsets FIEMAP gives, so that its size, times and change attribute
# stay as they were: a server that changes data without reporting it.
# drop-caches then empties the server's page cache and the client's.
X=$T/attack
dd if=$X/gate-bad of=/tmp/gate-bad-p1 bs=4096 skip=1 count=1 2>/dev/null
dd if=$X/gate-good of=/tmp/gate-good-p1 bs=4096 skip=1 count=1 2>/dev/null
for g in gate1 gate2 gate3 gate4 gate5 gate6 gate7; do
	cp $X/gate-good $S/$g
	arbor-guest setxattr $S/$g user.arbor $X/gate-good.sig
done
page_records() {
	dmesg | grep 'type=1800 ' | grep -c "op=appraise cause=$1 .* path=\"$C/$2\" .* offset=4096 "
}
expect_eq "nfs pages: a page changed under the server reads as EIO; the others as signed" \
	"$(steps call:$C/gate1 open-ro:f:$C/gate1 pread-cmp:f:$X/gate-good:0:4096 \
		write-under:$S/gate1:/dev/vdb:4096:/tmp/gate-bad-p1 drop-caches:1 \
		pread-cmp:f:$X/gate-good:4096:4096 pread-cmp:f:$X/gate-good:0:4096 \
		pread-cmp:f:$X/gate-good:8192:100 call:$C/gate1)" \
	"call ret 42; open-ro ok; pread-cmp ok; write-under ok; drop-caches ok; pread-cmp errno 5; pread-cmp ok; pread-cmp ok; call errno 13"
# (Logged and audited at each attempt: the reader tries the page again.)
expect_eq "nfs pages: the refused page is logged with its path and offset" \
	"$(dmesg | grep -q "arbor: read: $C/gate1 (.* inode [0-9]*): page at offset 4096 refused (page_mismatch)" && echo yes)" yes
expect_eq "nfs pages: ... and audited" "$([ "$(page_records page_mismatch gate1)" -gt 0 ] && echo yes)" yes
# The change was not reported: the file stays untrusted, even once the
# server's bytes are the signed ones again.
expect_eq "nfs pages: a silent change leaves the file untrusted" \
	"$(steps write-under:$S/gate1:/dev/vdb:4096:/tmp/gate-good-p1 drop-caches:1 call:$C/gate1)" \
	"write-under ok; drop-caches ok; call errno 13"
# A running program faults in the changed page: it dies (SIGBUS); the
# page that was not changed still runs.
expect_eq "nfs pages: a mapped program faulting in a changed page dies" \
	"$(steps map:m:$C/gate2 write-under:$S/gate2:/dev/vdb:4096:/tmp/gate-bad-p1 drop-caches:1 \
		call-at:m:4096 call-at:m:0)" \
	"map ok; write-under ok; drop-caches ok; call-at status 135; call-at ret 42"
# A change of attributes alone (here an xattr) moves the change
# attribute: pages read after the client sees it are still the content
# appraised, and read as such, by read() and by a running mapping.
expect_eq "nfs pages: a change of attributes alone fails no read" \
	"$(steps map:m:$C/gate7 open-ro:f:$C/gate7 pread-cmp:f:$X/gate-good:0:4096 \
		setxattr:$S/gate7:user.bump:/tmp/bump1 stat-sync:$C/gate7 drop-caches:1 \
		pread-cmp:f:$X/gate-good:4096:4096 call-at:m:4096 call-at:m:0)" \
	"map ok; open-ro ok; pread-cmp ok; setxattr ok; stat-sync size $(wc -c < $X/gate-good); drop-caches ok; pread-cmp ok; call-at ret 43; call-at ret 42"
# Every other way to read: O_DIRECT (which NFS otherwise sends to the
# server), splice and sendfile read the checked page cache too.
expect_eq "nfs pages: O_DIRECT, splice and sendfile: the changed page reads as EIO" \
	"$(steps call:$C/gate5 open-ro-direct:d:$C/gate5 open-ro:f:$C/gate5 pread-cmp:d:$X/gate-good:0:4096 \
		write-under:$S/gate5:/dev/vdb:4096:/tmp/gate-bad-p1 drop-caches:1 \
		pread-cmp:d:$X/gate-good:4096:4096 splice-cmp:f:$X/gate-good:4096:4096 \
		sendfile-cmp:f:$X/gate-good:4096:4096 pread-cmp:d:$X/gate-good:0:4096 \
		splice-cmp:f:$X/gate-good:0:4096 sendfile-cmp:f:$X/gate-good:8192:100)" \
	"call ret 42; open-ro-direct ok; open-ro ok; pread-cmp ok; write-under ok; drop-caches ok; pread-cmp errno 5; splice-cmp errno 5; sendfile-cmp errno 5; pread-cmp ok; splice-cmp ok; sendfile-cmp ok"
# The same through exec: the gate's program jumps from page 0 to page 20,
# which prints "hello" (the attacker's: "pwned", exit 66). Run again after
# page 20 changed under the server, it dies when it gets there (SIGBUS),
# having printed nothing, and is refused from then on; started before the
# change and waiting before its jump, it dies there too.
dd if=$X/gate-elf-bad of=/tmp/gate-elf-bad-p20 bs=4096 skip=20 2>/dev/null
for g in gelf1 gelf2 gelf3; do
	cp $X/gate-elf-good $S/$g
	arbor-guest setxattr $S/$g user.arbor $X/gate-elf-good.sig
done
expect_eq "nfs pages: a program run after a page changed under the server dies at that page" \
	"$(steps exec:$C/gelf1 write-under:$S/gelf1:/dev/vdb:81920:/tmp/gate-elf-bad-p20 drop-caches:1 \
		exec:$C/gelf1 exec:$C/gelf1)" \
	"exec out hello; write-under ok; drop-caches ok; exec status 135; exec errno $EACCES"
expect_eq "nfs pages: a running program dies at a page changed under it" \
	"$(steps start:p:$C/gelf2 write-under:$S/gelf2:/dev/vdb:81920:/tmp/gate-elf-bad-p20 drop-caches:1 \
		finish:p)" \
	"start ok; write-under ok; drop-caches ok; finish status 135"
# A change the server reports (a write through ext4: a new change
# attribute, which the client's open asks for): the changed page is
# refused while the new version is not appraised, the new version is
# refused (unsigned), and once the server has the signed bytes again,
# with yet another change attribute, the file is trusted again: read
# from the server around the checked page cache, and appraised anew.
expect_eq "nfs pages: a reported change is refused until appraised, without distrust" \
	"$(steps map:m:$C/gate4 open-rw:s:$S/gate4 pwrite:s:/tmp/gate-bad-p1:4096 open-ro:o:$C/gate4 \
		drop-caches:1 call-at:m:4096 call:$C/gate4 pwrite:s:/tmp/gate-good-p1:4096 call:$C/gate4)" \
	"map ok; open-rw ok; pwrite ok; open-ro ok; drop-caches ok; call-at status 135; call errno 13; pwrite ok; call ret 42"
expect_eq "nfs pages: the page of the reported change is audited as such" \
	"$([ "$(page_records changed_on_server gate4)" -gt 0 ] && echo yes)" yes
expect_eq "nfs pages: ... and not as a mismatch" "$(page_records page_mismatch gate4)" 0

# --- hostile user.arbor values (the malformed security.arbor cases) ---
# On small scripts of their own (the content does not matter: each value
# is refused before the content is looked at). Values larger than an ext4
# block cannot be stored on the server.
n=0
for b in $T/bad/*; do
	name=$(basename $b)
	[ $name = 64KiB ] && continue
	printf '#!/bin/busybox true\n# %s\n' $name > $S/bad-$name
	chmod 755 $S/bad-$name
	arbor-guest setxattr $S/bad-$name user.arbor $b || notok "nfs: the server has bad-$name" "setxattr"
	n=$((n + 1))
	expect_eq "nfs, hostile user.arbor ($name): refused" \
		"$(arbor-guest exec $C/bad-$name hello)" "exec-errno $EACCES"
done
expect_eq "nfs: every hostile value was tried" "$n" 13

# --- permissive mode: content and signature that disagree run, logged ---
# A program whose pages were checked in enforcing mode stays checked; its
# new version, signed (page 20 prints "howdy"), is checked against its
# own hashes and runs.
cp $T/attack/gate-elf-good $S/marked
arbor-guest setxattr $S/marked user.arbor $T/attack/gate-elf-good.sig
expect_eq "nfs pages: a program run in enforcing mode, its pages checked" \
	"$(steps exec:$C/marked)" "exec out hello"
echo 0 > $A/enforce
cp $T/attack/gate-elf-new $S/marked
arbor-guest setxattr $S/marked user.arbor $T/attack/gate-elf-new.sig
expect_eq "permissive: the new signed version of a checked program runs" \
	"$(steps exec:$C/marked)" "exec out howdy"
serve loose v1 user.arbor $N/sig/prog-v1
cat $N/bin/prog-v2 > $S/loose
expect_eq "permissive: v2 under v1's signature runs" "$(arbor-guest exec $C/loose hello)" hello
expect_eq "permissive: logged as untrusted, with the reason" \
	"$(dmesg | grep -c "arbor: exec: $C/loose: untrusted (bad signature): allowed (permissive)")" 1
expect_eq "permissive: measured, with v2's digest" \
	"$(entries_for $C/loose | tail -n 1 | awk '{print $4}')" "$(digest_of prog-v2)"
# Without page checks (permissive mode), the same change under the server
# is read: the first page test above does detect the attack.
expect_eq "nfs pages: without page checks, the changed page would be read" \
	"$(steps call:$C/gate3 open-ro:f:$C/gate3 pread-cmp:f:$X/gate-good:0:4096 \
		write-under:$S/gate3:/dev/vdb:4096:/tmp/gate-bad-p1 drop-caches:1 \
		pread-cmp:f:$X/gate-good:4096:4096)" \
	"call ret 42; open-ro ok; pread-cmp ok; write-under ok; drop-caches ok; pread-cmp differs"
expect_eq "nfs pages: without page checks, the changed program would run" \
	"$(steps exec:$C/gelf3 write-under:$S/gelf3:/dev/vdb:81920:/tmp/gate-elf-bad-p20 drop-caches:1 \
		exec:$C/gelf3)" \
	"exec out hello; write-under ok; drop-caches ok; exec out pwned"
expect_eq "nfs pages: without page checks, O_DIRECT, splice and sendfile read the changed page" \
	"$(steps call:$C/gate6 open-ro-direct:d:$C/gate6 open-ro:f:$C/gate6 \
		write-under:$S/gate6:/dev/vdb:4096:/tmp/gate-bad-p1 drop-caches:1 \
		pread-cmp:d:$X/gate-good:4096:4096 splice-cmp:f:$X/gate-good:4096:4096 \
		sendfile-cmp:f:$X/gate-good:4096:4096)" \
	"call ret 42; open-ro-direct ok; open-ro ok; write-under ok; drop-caches ok; pread-cmp differs; splice-cmp differs; sendfile-cmp differs"
umount /net
echo 0 > /proc/fs/nfsd/threads
umount /srv
