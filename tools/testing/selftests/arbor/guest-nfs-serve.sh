# SPDX-License-Identifier: GPL-2.0
# Sourced by the guest scripts that use NFS (the remote-files test and the
# benchmark): the guest is its own NFSv4.2 server and client, over
# loopback. There are no nfs-utils here: nfsd is started through
# /proc/fs/nfsd, and the export caches that rpc.mountd would answer are
# answered by writing their channels.

# nfs_export DIR: starts nfsd, exporting DIR to 127.0.0.1 as the NFSv4
# pseudo-root. Prints Y once the server's grace period has ended.
nfs_export() {
	ifconfig lo 127.0.0.1 up
	mount -t nfsd nfsd /proc/fs/nfsd || return 1
	# NFSv4 only (v2 may not be built: its refusal does not matter). A
	# grace period of 10 s, the least nfsd takes, ended at once below: no
	# client has state to reclaim. Ending it needs a client-tracking
	# method: the kernel's legacy one, which keeps its records in this
	# directory.
	for v in -2 -3 +4 +4.1 +4.2; do echo $v > /proc/fs/nfsd/versions 2>/dev/null; done
	mkdir -p /var/lib/nfs/v4recovery
	echo 10 > /proc/fs/nfsd/nfsv4gracetime
	echo 10 > /proc/fs/nfsd/nfsv4leasetime
	# What rpc.mountd would answer: 127.0.0.1 is in domain "local"; DIR
	# is exported to it as the NFSv4 pseudo-root (fsid 0), flags 0x2402
	# (insecure port, no subtree check, fsid given), anonymous uid and
	# gid 65534; the filehandle of fsid 0 is DIR. Expiry: far in the
	# future.
	echo "nfsd 127.0.0.1 2147483647 local" > /proc/net/rpc/auth.unix.ip/channel
	echo "local $1 2147483647 9218 65534 65534 0" > /proc/net/rpc/nfsd.export/channel
	echo "local 1 \\x00000000 2147483647 $1" > /proc/net/rpc/nfsd.fh/channel
	echo "tcp 2049" > /proc/fs/nfsd/portlist
	echo 2 > /proc/fs/nfsd/threads
	# nfsd's laundromat ends it, after the write returns: wait for it,
	# for the 10 s the grace period would last anyway at most.
	echo Y > /proc/fs/nfsd/v4_end_grace || return 1
	i=0
	while [ "$(cat /proc/fs/nfsd/v4_end_grace)" != Y ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	cat /proc/fs/nfsd/v4_end_grace
}

# nfs_mount MNT: mounts the export at MNT (NFSv4.2 over loopback); prints
# ok.
nfs_mount() {
	mkdir -p "$1"
	arbor-guest mount 127.0.0.1:/ "$1" nfs4 vers=4.2,addr=127.0.0.1,clientaddr=127.0.0.1
}
