// SPDX-License-Identifier: GPL-2.0
//! The readpage gate: on filesystems that cannot check a file's pages
//! themselves (FUSE and NFS), every page read into the page cache of a
//! file arbor appraised is checked against the file's Merkle tree before
//! any reader can see it.
//!
//! While arbor hashes such a file to appraise it, it keeps the tree's
//! leaves, the hash of each 4 KiB block, computed from the bytes it read:
//! the signed root covers them, so nothing the server says later is
//! believed. Once the file is trusted, the leaves are published in the
//! inode's blob and its mapping is marked ([`Inode::check_reads_after`]); the
//! filesystem then calls the `inode_post_read_folio` hook for each folio
//! it reads, before the folio is uptodate and unlocked, and [`check_folio`]
//! hashes each page and compares it with its leaf. A page that differs
//! stays not uptodate, so its reader gets `EIO` (a page fault, `SIGBUS`),
//! and the file is untrusted from then on, while its inode lives.
//!
//! An NFS server reports a change to a file with a new change attribute.
//! The leaves are tied to the change attribute of the version they were
//! computed from: a page read once the client knows of another one is
//! refused too, but does not make the file untrusted; the next use
//! appraises the new version, reading it from the server around the page
//! cache (whose checks would refuse it), and checks pages against its own
//! leaves from then on. A page that differs while the change attribute
//! stays the same is a change the server did not report: an attack, as
//! on FUSE, which reports none.
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
use crate::format::policy::AppraiseBy;
use crate::kapi::alloc;
use crate::kapi::config;
use crate::kapi::fs::{File, Inode};
use crate::kapi::mm::Folio;
use crate::kapi::print::log_ratelimit;
use crate::kapi::rcu::Rcu;
use crate::kapi::task;
use crate::measure::BStr;
use crate::{inode_blob, mode, ARBOR};
use core::mem::MaybeUninit;
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
    /// Whether the file's server reports changes with a change attribute
    /// (NFS): then `cookie` is the one of the version appraised.
    has_cookie: bool,
    /// The change attribute of the version appraised, if `has_cookie`;
    /// updated when the server reports a new one for the same content.
    cookie: AtomicU64,
    /// What could vouch for the version appraised, and whether its rule
    /// asked for page checks in any mode: how a new version the server
    /// reports is appraised before its pages can be read ([`stale`]).
    by: AppraiseBy,
    always: bool,
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
            has_cookie: false,
            cookie: AtomicU64::new(0),
            by: AppraiseBy::default(),
            always: false,
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
/// `always` (the deciding rule's `check_pages=always`), when it is on a
/// filesystem whose content arbor cannot trust between two reads, which
/// calls the hook where it reads into the page cache (FUSE and NFS).
/// [`start`] refuses the files among them whose data bypasses the page
/// cache (DAX).
pub(crate) fn applies(inode: &Inode, always: bool) -> bool {
    // FUSE_SUPER_MAGIC and NFS_SUPER_MAGIC (`include/uapi/linux/magic.h`).
    matches!(inode.fs_magic(), 0x65735546 | 0x6969) && (always || mode::enforcing())
}

/// Whether `inode`'s content must be read around its page cache to be
/// appraised: its pages are checked against a version the content read
/// now may not be, and its filesystem can read around them (NFS honours
/// `IOCB_READ_UNCHECKED`; FUSE, whose content changes unreported, is read
/// through its checked page cache, which refuses a silent change).
pub(crate) fn read_around_cache(inode: &Inode) -> bool {
    inode.fs_magic() == 0x6969 && inode.reads_checked()
}

/// How the version of `file` whose pages are checked was trusted (what
/// could vouch for it, and whether its rule said `check_pages=always`),
/// when its server reports a new version now (it is asked, past any
/// attribute cache): until the new version is appraised, its pages are
/// refused. Cheap when the file's pages are not checked: one bit is
/// tested. Sleeps.
pub(crate) fn stale(file: &File) -> Option<(AppraiseBy, bool)> {
    let inode = file.data_inode();
    if !inode.reads_checked() || inode.fs_magic() != 0x6969 {
        return None;
    }
    let kept = inode_blob(inode)?.gate.0.get()?;
    if !kept.has_cookie {
        return None;
    }
    // No answer: whatever the server reports next is read as a change.
    let now = file.change_cookie();
    (now != Some(kept.cookie.load(Ordering::Acquire))).then_some((kept.by, kept.always))
}

/// What [`start`] publishes beside the leaves: the server's change
/// attribute when they were read, if it has one, and how the version was
/// trusted (see [`stale`]).
pub(crate) struct Trusted<'a> {
    pub(crate) path: &'a [u8],
    pub(crate) cookie: Option<u64>,
    pub(crate) by: AppraiseBy,
    pub(crate) always: bool,
}

/// Starts checking the pages of `inode` against `kept`, the leaves of the
/// version just found `trusted`: publishes them and marks the mapping,
/// dropping the pages cached before. Fails with the reason the file cannot
/// be trusted if it cannot be done.
pub(crate) fn start(
    inode: &Inode,
    kept: Option<Kept>,
    trusted: Trusted<'_>,
) -> core::result::Result<(), Reason> {
    let Trusted {
        path,
        cookie,
        by,
        always,
    } = trusted;
    // DAX (virtio-fs with a DAX window) maps the server's memory: no
    // page of it is ever read, so none could be checked.
    if inode.is_dax() {
        return Err(Reason::PagesUncheckable);
    }
    let Some(mut kept) = kept.filter(Kept::complete) else {
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
    // use; NFS files when the server reports a change that left the
    // content as it was): the leaves published stay, with the new change
    // attribute, and no grace period is waited for.
    let old = blob.gate.0.get();
    let same = old.as_ref().is_some_and(|old| {
        old.alg == kept.alg
            && old.size == kept.size
            && old.has_cookie == cookie.is_some()
            && old.digests[..] == kept.digests[..]
    });
    if same {
        if let (Some(old), Some(c)) = (&old, cookie) {
            old.cookie.store(c, Ordering::Release);
        }
        if inode.reads_checked() {
            return Ok(());
        }
        return inode
            .check_reads_after(|| ())
            .map_err(|_| Reason::PagesUncheckable);
    }
    drop(old);
    kept.path
        .extend_from_slice(path, GFP_KERNEL)
        .map_err(|_| Reason::PagesUncheckable)?;
    kept.has_cookie = cookie.is_some();
    kept.cookie = AtomicU64::new(cookie.unwrap_or(0));
    kept.by = by;
    kept.always = always;
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
    // Published with no read in flight and the page cache empty: every
    // page from then on is checked against these leaves, none against
    // those they replace (two versions never mix in one mapping).
    inode
        .check_reads_after(|| blob.gate.0.replace(kept))
        .map_err(|_| Reason::PagesUncheckable)
}

/// After an exec of `file` was allowed: whether `header`, which exec read
/// before any hook (`bprm->buf`), is what the version trusted holds, when
/// its pages are checked. Exec may have read it unchecked (the first exec
/// marks the file) or checked against another version (one that the
/// server reported, or that another exec published, between this exec's
/// read and its check): it is read again, through the page cache now
/// checked against the leaves of the version trusted, and compared. One
/// read of the first page, usually cached, per exec of such a file.
pub(crate) fn exec_header_trusted(file: &File, header: &[u8]) -> bool {
    let inode = file.data_inode();
    if !inode.reads_checked() {
        return true;
    }
    let Some(kept) = inode_blob(inode).and_then(|b| b.gate.0.get()) else {
        return true;
    };
    let len = header
        .len()
        .min(usize::try_from(kept.size).unwrap_or(usize::MAX));
    let mut buf = [MaybeUninit::<u8>::uninit(); 256];
    let (Some(buf), Some(want)) = (buf.get_mut(..len), header.get(..len)) else {
        return false;
    };
    file.read_at(buf, &mut 0).is_ok_and(|got| got == want)
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
    // Whether the server reported a change not appraised yet. A page that
    // is not the content appraised is then refused, but it is not an
    // attack (the next use appraises the new version). One that is, is
    // that content: it is accepted, so that a change of metadata alone
    // (chmod, an xattr) does not fail the reads of running programs.
    let reported = kept.has_cookie && inode.change_attr() != kept.cookie.load(Ordering::Acquire);
    let refuse = |offset: u64, cause: &'static str| {
        if reported {
            changed(inode, &kept.path, offset);
        } else {
            refused(inode, Some(&kept.path), offset, cause);
        }
        Err(EIO)
    };
    // Another size than the one appraised: the file changed there.
    if u64::try_from(inode.size()).ok() != Some(kept.size) {
        return refuse(pos, "size_changed");
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
            return refuse(pos + (i * BLOCK_SIZE) as u64, cause);
        }
        if i + 1 < folio.nr_pages() {
            task::cond_resched();
        }
    }
    Ok(())
}

/// Logs and audits a page of `inode`, at `path` when it was appraised,
/// refused at byte `offset` because its server reported a change that was
/// not appraised yet. The file stays trusted: its next use appraises it.
fn changed(inode: &Inode, path: &[u8], offset: u64) {
    task::without_fs_reclaim(|| {
        if log_ratelimit() {
            pr_warn!(
                "read: {} ({} inode {}): page at offset {} refused (changed_on_server): a new version, not appraised yet\n",
                BStr(path),
                BStr(inode.fs_id()),
                inode.ino(),
                offset
            );
        }
        audit::emit(AuditOp::PageRefused {
            path: Some(path),
            dev: inode.fs_id(),
            ino: inode.ino(),
            offset,
            cause: "changed_on_server",
        });
    });
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
