# SPDX-License-Identifier: GPL-2.0
# Guest side of scripts/bench.sh: one workload on an ext4 disk, under the
# integrity configuration the kernel was booted with (none, arbor's default
# policy, or IMA's tcb policy). Prints "row NAME ROUND VALUE" lines; the
# host takes medians over the rounds.
rounds=${bench_rounds:-3}
n_open=${bench_open:-20000}
n_exec=${bench_exec:-200}
n_small=${bench_small:-300}
big_mb=${bench_big_mb:-48}
n_mem=${bench_mem:-10000}
n_trim=${bench_trim:-100000}
echo "bench: $(cat /sys/kernel/security/lsm)"
# bench_measure_only=1: arbor's default policy without its appraise rules,
# to compare measurement alone with IMA's tcb (which never appraises).
if [ -n "${bench_measure_only:-}" ]; then
	grep -v '^appraise' /sys/kernel/security/arbor/policy > /tmp/measure-only
	arbor-guest write-file /sys/kernel/security/arbor/policy /tmp/measure-only > /dev/null ||
		{ echo "bench failed: cannot load the measure-only policy"; exit 1; }
fi
mkdir -p /mnt
mount -t ext4 /dev/vda /mnt || { echo "bench failed: no ext4 disk"; exit 1; }
W=/mnt/w
mkdir -p $W
chmod 777 $W
f=$W/measured
head -c 4096 /dev/zero | tr '\0' x > $f
chmod 644 $f
cp /bin/arbor-guest $W/prog
chmod 755 $W/prog
# The first open and exec measure the file and the program (once each).
cat $f > /dev/null
$W/prog hello > /dev/null
field() { awk -v i="$1" '$1 == "bench" { print $i }'; }
# bench_small_only=1 (booted without a TPM): the first measurement of
# small files alone, the CPU's work without the TPM's extension.
if [ -n "${bench_small_only:-}" ]; then
	r=1
	while [ $r -le $rounds ]; do
		echo "row first-small $r $(arbor-guest bench first-open $W/small$r $n_small 8192 | field 4)"
		r=$((r + 1))
	done
	echo "bench: done"
	exit 0
fi
r=1
while [ $r -le $rounds ]; do
	# The previous round's drop_caches may have evicted the file's and the
	# program's inodes, and their state with them: measured again here,
	# not inside the timed loops of cached opens and execs.
	cat $f > /dev/null
	$W/prog hello > /dev/null
	echo "row open-cached $r $(arbor-guest bench open $f $n_open | field 4)"
	echo "row open-unmeasured $r $(arbor-guest bench open-as 1000 $f $n_open | field 4)"
	echo "row exec $r $(arbor-guest bench exec $W/prog $n_exec | field 4)"
	echo "row first-small $r $(arbor-guest bench first-open $W/small$r $n_small 8192 | field 4)"
	echo "row first-big-cached $r $(arbor-guest bench first-open-big $W/big$r $((big_mb << 20)) | field 6)"
	echo "row sha256-limit $r $(arbor-guest bench afalg $W/big$r | field 6)"
	echo "row first-big-disk $r $(arbor-guest bench first-open-big $W/cold$r $((big_mb << 20)) cold | field 6)"
	rm -f $W/big$r $W/cold$r
	r=$((r + 1))
done
# Memory: the slab growth over n_mem new files opened once by root (in the
# baseline the same files and opens, with no measurement).
sync
echo 3 > /proc/sys/vm/drop_caches
before=$(awk '/^Slab:/ { print $2 }' /proc/meminfo)
arbor-guest bench first-open $W/mem $n_mem 1 > /dev/null
after=$(awk '/^Slab:/ { print $2 }' /proc/meminfo)
echo "row slab-kib 1 $((after - before))"
# arbor only: a trim frees the memory of the entries it drops. Slab with
# n_trim more entries held (files on tmpfs, opened once by root), then
# after a trim to a checkpoint that follows them.
A=/sys/kernel/security/arbor
if [ -d $A ]; then
	slab() { sync; echo 3 > /proc/sys/vm/drop_caches; awk '/^Slab:/ { print $2 }' /proc/meminfo; }
	mkdir -p /tmp/trim
	arbor-guest bench first-open /tmp/trim/f $n_trim 1 > /dev/null
	printf 1 | arbor-guest write-file $A/checkpoint /proc/self/fd/0 > /dev/null
	cat $A/binary_runtime_measurements > /tmp/list.bin
	set -- $(arbor-guest replay /tmp/list.bin 0 | awk '$1 == "checkpoint" { i = $2; d = $3 } END { print i, d }')
	rm -f /tmp/list.bin
	held=$(cat $A/runtime_measurements_count)
	before=$(slab)
	r=$(printf '%s %s' "$1" "$2" | arbor-guest write-file $A/trim /proc/self/fd/0)
	after=$(slab)
	[ "$r" = ok ] || { echo "bench failed: trim: $r"; exit 1; }
	echo "row trim-held 1 $held"
	echo "row trim-dropped 1 $1"
	echo "row trim-freed-kib 1 $((before - after))"
fi
# arbor only: a digest list of many digests (/bench/list.dl, appended to
# the archive by bench.sh): the time and vmalloc memory its load takes,
# and what a lookup in it adds to the first appraisal of a small file,
# under a policy that appraises root's opens and measures nothing (no TPM
# extension to drown the lookup in; the unsigned files are allowed, in
# permissive mode). The same files' first appraisal without any list, and
# with the list, in alternate rounds.
if [ -d $A ] && [ -z "${bench_measure_only:-}" ] && [ -f /bench/list.dl ]; then
	printf 'appraise func=FILE_CHECK mask=^MAY_READ uid=0\n' > /tmp/appraise-opens
	arbor-guest write-file $A/policy /tmp/appraise-opens > /dev/null ||
		{ echo "bench failed: cannot load the appraise-only policy"; exit 1; }
	vmalloc() { awk '/^VmallocUsed:/ { print $2 }' /proc/meminfo; }
	r=1
	while [ $r -le $rounds ]; do
		echo "row appraise-nolist $r $(arbor-guest bench first-open $W/nl$r $n_small 8192 | field 4)"
		before=$(vmalloc)
		echo "row list-load-ns $r $(arbor-guest bench write-once $A/digest_list_load /bench/list.dl | field 4)"
		after=$(vmalloc)
		echo "row list-vmalloc-kib $r $((after - before))"
		echo "row list-digests $r $(awk '{ print $2 }' $A/digest_lists)"
		echo "row appraise-list $r $(arbor-guest bench first-open $W/wl$r $n_small 8192 | field 4)"
		printf /bench/list.dl | arbor-guest write-file $A/digest_list_remove /proc/self/fd/0 > /dev/null
		r=$((r + 1))
	done
fi
# arbor only: reading a file over FUSE (the guest helper's server, from
# tmpfs; /bench/pages, appended to the archive by bench.sh) with every
# page checked against the leaves kept when the file was appraised, and
# the same bytes under a name arbor never appraised (a hard link in the
# server's directory: another FUSE inode). The policy appraises FUSE
# executable mappings only, with page checks in this permissive boot too
# (check_pages=always), so the reads are neither measured nor appraised.
# The server drops a file's page cache at every open: each read comes
# from the server.
if [ -d $A ] && [ -z "${bench_measure_only:-}" ] && [ -f /bench/pages/data ]; then
	P=/tmp/pages-src
	mkdir -p $P /tmp/pages
	cp /bench/pages/data $P/checked
	ln $P/checked $P/plain
	arbor-guest setxattr $P/checked security.arbor /bench/pages/data.sig
	[ "$(arbor-guest fuse-serve /tmp/pages $P)" = "fuse-serve ok" ] ||
		{ echo "bench failed: cannot serve the page-check file over FUSE"; exit 1; }
	printf 'appraise func=MMAP_CHECK mask=^MAY_EXEC fsmagic=0x65735546 check_pages=always\n' > /tmp/pages-policy
	arbor-guest write-file $A/policy /tmp/pages-policy > /dev/null ||
		{ echo "bench failed: cannot load the page-check policy"; exit 1; }
	arbor-guest steps map:m:/tmp/pages/checked > /dev/null
	if dmesg | grep -q '/tmp/pages/checked: untrusted'; then
		echo "bench failed: the page-check file was not trusted"
		exit 1
	fi
	r=1
	while [ $r -le $rounds ]; do
		echo "row pages-seq-checked $r $(arbor-guest bench read-seq /tmp/pages/checked | field 6)"
		echo "row pages-seq-plain $r $(arbor-guest bench read-seq /tmp/pages/plain | field 6)"
		echo "row pages-rand-checked $r $(arbor-guest bench read-rand /tmp/pages/checked | field 4)"
		echo "row pages-rand-plain $r $(arbor-guest bench read-rand /tmp/pages/plain | field 4)"
		r=$((r + 1))
	done
	umount /tmp/pages
fi
# arbor only: the same reads over NFS (loopback NFSv4.2, this guest its
# own server, as the remote-files test does, exporting a tmpfs so that
# the server reads from memory, as the FUSE server does): one copy of the
# file trusted by its user.arbor signature and page-checked, another
# never appraised (on NFS a hard link would be the same inode). The
# client's page cache is dropped before each read, so that every page is
# read from the server.
if [ -d $A ] && [ -z "${bench_measure_only:-}" ] && [ -f /bench/pages/data ]; then
	. /etc/arbor/nfs-serve.sh
	mkdir -p /export
	mount -t tmpfs -o size=256m tmpfs /export
	E=/export/pages-nfs
	mkdir -p $E
	cp /bench/pages/data $E/checked
	cp /bench/pages/data $E/plain
	arbor-guest setxattr $E/checked user.arbor /bench/pages/data.sig
	e=$(nfs_export /export 2>&1)
	[ "$e" = Y ] || { echo "bench failed: cannot export the tmpfs over NFS: $e"; exit 1; }
	e=$(nfs_mount /net 2>&1)
	[ "$e" = ok ] || { echo "bench failed: cannot mount the NFS export: $e"; exit 1; }
	printf '%s\n' 'appraise func=MMAP_CHECK mask=^MAY_EXEC fsmagic=0x6969 appraise_by=signature|list|user_signature check_pages=always' \
		> /tmp/pages-nfs-policy
	arbor-guest write-file $A/policy /tmp/pages-nfs-policy > /dev/null ||
		{ echo "bench failed: cannot load the NFS page-check policy"; exit 1; }
	# The checked file's inode, which holds its hashes, stays: it is kept
	# open, and only the page caches are dropped.
	exec 3< /net/pages-nfs/checked
	arbor-guest steps map:m:/net/pages-nfs/checked > /dev/null
	if dmesg | grep -q '/net/pages-nfs/checked: untrusted'; then
		echo "bench failed: the NFS page-check file was not trusted"
		exit 1
	fi
	drop() { sync; echo 1 > /proc/sys/vm/drop_caches; }
	r=1
	while [ $r -le $rounds ]; do
		drop; echo "row nfs-seq-checked $r $(arbor-guest bench read-seq /net/pages-nfs/checked | field 6)"
		drop; echo "row nfs-seq-plain $r $(arbor-guest bench read-seq /net/pages-nfs/plain | field 6)"
		drop; echo "row nfs-rand-checked $r $(arbor-guest bench read-rand /net/pages-nfs/checked | field 4)"
		drop; echo "row nfs-rand-plain $r $(arbor-guest bench read-rand /net/pages-nfs/plain | field 4)"
		r=$((r + 1))
	done
	exec 3<&-
	umount /net
	echo 0 > /proc/fs/nfsd/threads
	umount /export
fi
echo "bench: done"
