// SPDX-License-Identifier: GPL-2.0
//! The readpage gate: on filesystems that cannot check a file's pages
//! themselves (FUSE; NFS calls the hook too, see [`applies`]), every page
//! read into the page cache of a file arbor appraised is checked against
//! the file's Merkle tree before any reader can see it.
//!
//! While arbor hashes such a file to appraise it, it keeps the tree's
//! leaves, the hash of each 4 KiB block, computed from the bytes it read:
//! the signed root covers them, so nothing the server says later is
//! believed. Once the file is trusted, the leaves are published in the
//! inode's blob and its mapping is marked ([`Inode::check_reads`]); the
//! filesystem then calls the `inode_post_read_folio` hook for each folio
//! it reads, before the folio is uptodate and unlocked, and [`check_folio`]
//! hashes each page and compares it with its leaf. A page that differs
//! stays not uptodate, so its reader gets `EIO` (a page fault, `SIGBUS`),
//! and the file is untrusted from then on, while its inode lives.
//!
//! The check runs inside the filesystem's read completion: in the reader,
//! in an NFS `nfsiod` worker, or in the FUSE server's `write(2)`. It
//! allocates nothing, reads nothing, takes no lock but the RCU read lock,
//! and hashes each page once.
//!
//! The leaves published cost one digest per 4 KiB block (8 KiB per MiB of
//! file with SHA-256) while the inode lives; their total is bounded by
//! `CONFIG_SECURITY_ARBOR_PAGE_CHECK_MEMORY` (`arbor.page_check_memory=`),
//! and a file whose leaves would pass the bound is not trusted.

use crate::audit::{self, AuditOp};
use crate::format::decision::Reason;
use crate::format::gate::{self as pure, Refused, BLOCK_SIZE};
use crate::format::merkle::{HashAlgorithm, Params};
use crate::kapi::alloc;
use crate::kapi::config;
use crate::kapi::fs::Inode;
use crate::kapi::mm::Folio;
use crate::kapi::print::log_ratelimit;
use crate::kapi::rcu::Rcu;
use crate::kapi::task;
use crate::measure::BStr;
use crate::{inode_blob, mode, ARBOR};
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::alloc::{flags::GFP_KERNEL, KVVec};
use kernel::prelude::*;
use kernel::sync::Arc;

/// The most bytes of leaves published at once.
static LIMIT: AtomicU64 = AtomicU64::new(config::PAGE_CHECK_MEMORY_KIB.saturating_mul(1024));

/// The bytes of leaves published now, on inodes not being freed.
static USED: AtomicU64 = AtomicU64::new(0);

/// Sets the limit on the memory for page checks to `kib` KiB
/// (`arbor.page_check_memory=`).
pub(crate) fn set_memory_limit(kib: u64) {
    LIMIT.store(kib.saturating_mul(1024), Ordering::Relaxed);
}

/// The limit on the memory for page checks, in KiB.
pub(crate) fn memory_limit_kib() -> u64 {
    LIMIT.load(Ordering::Relaxed) / 1024
}

/// The leaves kept for one appraised version of a file.
///
/// # Invariants
///
/// `charged` bytes of [`USED`] are this value's: they are given back when
/// its inode is freed or when it is dropped, whichever comes first.
pub(crate) struct Kept {
    /// The hash algorithm of the file's tree.
    alg: HashAlgorithm,
    /// The size of the content appraised.
    size: u64,
    /// One digest of `alg` per 4 KiB block of that content, in order.
    digests: KVVec<u8>,
    /// The file's path when it was appraised, for the log line and audit
    /// record of a refused page (the hook cannot look it up); empty until
    /// the leaves are published.
    path: KVec<u8>,
    /// What it counts for in [`USED`]: nothing until it is published.
    charged: AtomicU64,
}

impl Drop for Kept {
    fn drop(&mut self) {
        self.uncharge();
    }
}

impl Kept {
    /// Leaves for a file of `size` bytes with a tree of `params`, to be
    /// filled while it is hashed: `None` if its pages cannot be checked
    /// one by one ([`pure::supported`]).
    pub(crate) fn for_tree(params: &Params, size: u64) -> Result<Option<Self>> {
        if pure::supported(params).is_err() || kernel::page::PAGE_SIZE != BLOCK_SIZE {
            return Ok(None);
        }
        let len = params.leaves_size(size).ok_or(EFBIG)?;
        // INVARIANT: nothing charged.
        Ok(Some(Self {
            alg: params.alg(),
            size,
            digests: alloc::zeroed(len)?,
            path: KVec::new(),
            charged: AtomicU64::new(0),
        }))
    }

    /// Counts the leaves in the memory for page checks, if they fit under
    /// the limit; else returns the bytes in use and the limit.
    fn charge(&mut self) -> core::result::Result<(), (u64, u64)> {
        let len = self.digests.len().saturating_add(self.path.len()) as u64;
        let limit = LIMIT.load(Ordering::Relaxed);
        USED.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
            used.checked_add(len).filter(|&n| n <= limit)
        })
        .map_err(|used| (used, limit))?;
        // INVARIANT: `len` bytes were just added to `USED` for this value,
        // which had none (it was not published yet).
        self.charged.store(len, Ordering::Relaxed);
        Ok(())
    }

    /// Gives back what the leaves count for in the memory for page checks.
    fn uncharge(&self) {
        // INVARIANT: the bytes are given back once, by whoever takes them
        // out of `charged`.
        USED.fetch_sub(self.charged.swap(0, Ordering::Relaxed), Ordering::Relaxed);
    }

    /// Where the tree builder writes the leaves.
    pub(crate) fn digests_mut(&mut self) -> &mut [u8] {
        &mut self.digests
    }

    /// The leaves as the pure check reads them.
    fn leaves(&self) -> pure::Leaves<'_> {
        pure::Leaves {
            alg: self.alg,
            size: self.size,
            digests: &self.digests,
        }
    }

    /// Whether every block of the content has its leaf.
    pub(crate) fn complete(&self) -> bool {
        self.leaves().complete()
    }
}

/// The leaves an inode's pages are checked against, in its blob: none
/// until the inode is first marked; replaced when a new version is
/// appraised.
pub(crate) struct PageLeaves(Rcu<Kept>);

impl PageLeaves {
    /// Drops the leaves of an inode that was freed.
    pub(crate) fn free(&self) {
        // SAFETY: called only from `inode_free_security_rcu`, an RCU grace
        // period after the inode was freed: no hook can run on the inode
        // any more, so none is in, or can enter, `Rcu::get` on its blob.
        unsafe { self.0.clear_unreachable() };
    }
}

/// `inode` is being freed: its leaves no longer count in the memory for
/// page checks, at once (they are freed an RCU grace period later, with
/// the inode's blob), so that a file opened right after, say, an unmount
/// finds the memory given back.
pub(crate) fn inode_freed(inode: &Inode) {
    if let Some(kept) = inode_blob(inode).and_then(|b| b.gate.0.get()) {
        kept.uncharge();
    }
}

/// Whether the pages of `inode`, a regular file, must be checked as they
/// are read when arbor trusts it: in enforcing mode, or in any mode if
/// `always` (the deciding rule's `check_pages=always`), when its
/// filesystem is FUSE (which reads into the page cache through the hook's
/// call sites) and its data goes through the page cache (not DAX).
///
/// NFS calls the hook too, but is not checked yet: an NFS file changes
/// on its server with a new change attribute, and its next appraisal
/// would read the new content through the very page cache whose checks
/// refuse it. That needs the appraisal to read around the page cache.
pub(crate) fn applies(inode: &Inode, always: bool) -> bool {
    // FUSE_SUPER_MAGIC (`include/uapi/linux/magic.h`).
    inode.fs_magic() == 0x65735546 && !inode.is_dax() && (always || mode::enforcing())
}

/// Starts checking the pages of `inode`, at `path`, against `kept`, the
/// leaves of the version just found trusted: publishes them and marks the
/// mapping, dropping the pages cached before. Fails with the reason the
/// file cannot be trusted if it cannot be done.
pub(crate) fn start(
    inode: &Inode,
    kept: Option<Kept>,
    path: &[u8],
) -> core::result::Result<(), Reason> {
    let Some(kept) = kept.filter(Kept::complete) else {
        return Err(Reason::PagesUncheckable);
    };
    // Writes fill the page cache without reading: no writer may have it
    // open (the trusted verdict keeps new writers out).
    if inode.is_open_for_write() {
        return Err(Reason::OpenForWrite);
    }
    let Some(blob) = inode_blob(inode) else {
        return Err(Reason::PagesUncheckable);
    };
    // Appraised again with the same content (FUSE files are, at every
    // use): the leaves published stay, and no grace period is waited for.
    let same = blob.gate.0.get().is_some_and(|old| {
        old.alg == kept.alg && old.size == kept.size && old.digests[..] == kept.digests[..]
    });
    if !same {
        let mut kept = kept;
        kept.path
            .extend_from_slice(path, GFP_KERNEL)
            .map_err(|_| Reason::PagesUncheckable)?;
        if let Err((used, limit)) = kept.charge() {
            if log_ratelimit() {
                pr_warn!(
                    "page checks: {} KiB more would pass the limit ({} of {} KiB in use)\n",
                    (kept.digests.len() + kept.path.len()).div_ceil(1024),
                    used.div_ceil(1024),
                    limit / 1024
                );
            }
            return Err(Reason::PageCheckMemory);
        }
        let kept = Arc::new(kept, GFP_KERNEL).map_err(|_| Reason::PagesUncheckable)?;
        blob.gate.0.replace(kept);
    }
    inode.check_reads().map_err(|_| Reason::PagesUncheckable)
}

/// The `inode_post_read_folio` hook: checks each page of `folio`, just
/// read into `inode`'s page cache, against the leaves kept for the file.
/// Fails closed: with no leaves, no arbor or a size other than the one
/// appraised, the folio is refused.
pub(crate) fn check_folio(inode: &Inode, folio: &Folio) -> Result {
    let pos = folio.pos();
    let Some(blob) = inode_blob(inode) else {
        return Err(EIO);
    };
    let kept = blob.gate.0.get();
    let arbor = ARBOR.get();
    let (Some(kept), Some(arbor)) = (kept, arbor) else {
        refused(inode, None, pos, "no_leaves");
        return Err(EIO);
    };
    // The server reports another size than the one appraised: the file
    // changed there, unseen.
    if u64::try_from(inode.size()).ok() != Some(kept.size) {
        refused(inode, Some(&kept.path), pos, "size_changed");
        return Err(EIO);
    }
    let hash = arbor.hash(kept.alg);
    let leaves = kept.leaves();
    let first = pos / BLOCK_SIZE as u64;
    for i in 0..folio.nr_pages() {
        let r = folio
            .with_page(i, |bytes| {
                leaves.check_block(first + i as u64, bytes, |data, out| hash.digest(data, out))
            })
            .unwrap_or(Err(Refused::NoLeaf));
        if let Err(e) = r {
            let cause = match e {
                Refused::Mismatch => "page_mismatch",
                Refused::PastEnd => "past_end",
                Refused::NoLeaf => "no_leaf",
                Refused::Hash(_) => "hash_failed",
            };
            refused(
                inode,
                Some(&kept.path),
                pos + (i * BLOCK_SIZE) as u64,
                cause,
            );
            return Err(EIO);
        }
        if i + 1 < folio.nr_pages() {
            task::cond_resched();
        }
    }
    Ok(())
}

/// Logs and audits a page of `inode` at byte `offset` refused for `cause`,
/// and makes the file untrusted. `path` is the file's path when it was
/// appraised, if its leaves were found: the path is not looked up here,
/// which could drop the last reference of a dentry, and evicting the
/// inode would wait for the locked folio.
fn refused(inode: &Inode, path: Option<&[u8]>, offset: u64, cause: &'static str) {
    if let Some(blob) = inode_blob(inode) {
        blob.state.refuse_pages();
    }
    task::without_fs_reclaim(|| {
        if log_ratelimit() {
            pr_err!(
                "read: {} ({} inode {}): page at offset {} refused ({}): not the content appraised\n",
                BStr(path.unwrap_or(b"?")),
                BStr(inode.fs_id()),
                inode.ino(),
                offset,
                cause
            );
        }
        audit::emit(AuditOp::PageRefused {
            path,
            dev: inode.fs_id(),
            ino: inode.ino(),
            offset,
            cause,
        });
    });
}
