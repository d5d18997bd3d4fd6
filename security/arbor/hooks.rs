// SPDX-License-Identifier: GPL-2.0
//! What arbor does at each hook: arbor's implementation of
//! [`kapi::lsm::Lsm`], which registers it and calls these methods.
//!
//! What each hook may do depends on what its caller holds:
//!
//! - `bprm_check_security`: process context, exec's `cred_guard_mutex`
//!   held, the file write-denied by exec. The file may be read and hashed.
//! - `mmap_file`: process context, called before the mmap lock is taken
//!   (`vm_mmap_pgoff`, `remap_file_pages`, `shmat`). The file may be read.
//! - `file_post_open`: after the open, no inode lock held. The file may be
//!   read.
//! - `file_mprotect`: the mmap lock held for writing, which ranks below
//!   `i_rwsem` and the page locks a read takes: no file I/O, only the
//!   policy, a log line and an audit record.
//! - `file_open`: inside the open; for filesystems with `->atomic_open`
//!   (NFS, FUSE, SMB) the parent directory's `i_rwsem` is held. No file
//!   I/O: only the cached verdict, and in permissive mode a violation
//!   entry (the list's mutex and the TPM rank below inode locks: nothing
//!   takes an inode lock while holding them).
//! - `inode_setattr`, `inode_setxattr`, `inode_removexattr`: the inode's
//!   `i_rwsem` held. As `file_open`.
//! - `file_release`, `inode_post_setattr`, `inode_post_setxattr`,
//!   `inode_post_removexattr`, `inode_setintegrity`: atomic updates of the
//!   blob only.

use crate::format::policy::{Func, MAY_EXEC};
use crate::kapi::fs::{Binprm, Dentry, File};
use crate::kapi::lsm::{AttrChanges, Integrity, Lsm};
use crate::kapi::mm::{Folio, Prot, VmArea};
use crate::measure::{self, Change};
use crate::{gate, init, inode_state, kapi, mode, Arbor, InodeBlob, ARBOR};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;
use kernel::str::CStr;

static EARLY_EXEC_WARNED: AtomicBool = AtomicBool::new(false);

/// Applies the policy to `file` at hook `func` with access `mask`.
///
/// Fails closed: in enforcing mode, an exec or mapping before arbor's late
/// initialisation (or after it failed) is refused, since nothing can
/// appraise it; so is any evaluation that fails for want of memory or
/// because the file could not be read.
///
/// A reader's repeated use that the inode's cached state settles is
/// allowed here, inlined into the hook; everything else is out of line.
#[inline(always)]
fn check(file: &File, func: Func, mask: u32) -> Result {
    if !file.is_writer() && measure::settled_read(file, func, mask) {
        return Ok(());
    }
    check_fully(file, func, mask)
}

/// [`check`], when the cached state does not settle the use.
#[inline(never)]
fn check_fully(file: &File, func: Func, mask: u32) -> Result {
    let Some(arbor) = ARBOR.get() else {
        if func == Func::FileCheck {
            return Ok(());
        }
        let enforcing = mode::enforcing();
        if !EARLY_EXEC_WARNED.swap(true, Ordering::Relaxed) {
            pr_warn!(
                "files executed or mapped before arbor's initialisation completed are {}\n",
                if enforcing { "refused" } else { "not checked" }
            );
        }
        return if enforcing { Err(EACCES) } else { Ok(()) };
    };
    match measure::check(arbor, file, func, mask) {
        Err(e) if e == EACCES || e == EINTR => Err(e),
        // Out of memory and the like: refuse when enforcing, since the
        // file was not appraised; allow and log otherwise.
        Err(e) => {
            if kapi::print::log_ratelimit() {
                pr_err!("evaluation failed (error {})\n", e.to_errno());
            }
            if mode::enforcing() {
                Err(EACCES)
            } else {
                Ok(())
            }
        }
        Ok(()) => Ok(()),
    }
}

#[vtable]
impl Lsm for Arbor {
    const NAME: &'static CStr = kernel::c_str!("arbor");
    const ID: u64 = kapi::config::LSM_ID;
    type InodeBlob = InodeBlob;

    fn init(cmdline: &[u8]) {
        init::registered(cmdline);
    }

    fn late_init() -> Result {
        init::late_init()
    }

    /// The file about to run (the script, and then its interpreter, for
    /// `#!` scripts).
    fn bprm_check_security(bprm: &Binprm) -> Result {
        let file = bprm.file();
        check(file, Func::BprmCheck, MAY_EXEC)?;
        // Exec read the header before this hook: it must be what the
        // pages checked from now on hold.
        if gate::exec_header_trusted(file, bprm.header()) {
            return Ok(());
        }
        measure::untrusted_exec_header(file)
    }

    /// A file arbor trusts may not be opened for writing in enforcing
    /// mode (its verdict would outlive its content); in permissive mode
    /// such an open is a violation.
    #[inline]
    fn file_open(file: &File) -> Result {
        if !file.is_writer() || !file.inode().is_regular() {
            return Ok(());
        }
        match ARBOR.get() {
            Some(arbor) => measure::guard_trusted(arbor, Change::Open(file)),
            None => Ok(()),
        }
    }

    /// A writer may change the content from now on.
    #[inline]
    fn file_post_open(file: &File, mask: u32) -> Result {
        // A file whose pages are checked, and whose server reported a new
        // version: appraised before anything reads it, an exec's open
        // (`MAY_EXEC`) as its exec hook will, any other open as its last
        // version was.
        // (The inode's own mark is tested first, a load and a bit test on
        // every open: NFS inodes are their own data inodes.)
        if !file.is_writer() && file.inode().reads_checked() && gate::stale(file).is_some() {
            if mask & MAY_EXEC != 0 {
                check_fully(file, Func::BprmCheck, MAY_EXEC)?;
            }
            if let Some(arbor) = ARBOR.get() {
                measure::refresh_pages(arbor, file)?;
            }
        }
        if file.is_writer() {
            if let Some(s) = inode_state(file.data_inode()) {
                s.content_changing();
            }
            return check_fully(file, Func::FileCheck, mask);
        }
        check(file, Func::FileCheck, mask)
    }

    /// A writer's changes are complete.
    #[inline]
    fn file_release(file: &File) {
        if !file.is_writer() {
            return;
        }
        if let Some(s) = inode_state(file.data_inode()) {
            s.content_changing();
        }
    }

    /// `truncate(2)`, `ftruncate(2)` or `O_TRUNC` is about to change the
    /// size of `dentry`'s inode: refused for a file arbor trusts, as a
    /// write would be.
    fn inode_setattr(dentry: &Dentry, changes: AttrChanges) -> Result {
        if !changes.size() || !dentry.inode().is_some_and(|i| i.is_regular()) {
            return Ok(());
        }
        match ARBOR.get() {
            Some(arbor) => measure::guard_trusted(arbor, Change::Resize(dentry)),
            None => Ok(()),
        }
    }

    /// Truncated or extended: a new version.
    fn inode_post_setattr(dentry: &Dentry, changes: AttrChanges) {
        if changes.size() {
            if let Some(s) = dentry.inode().and_then(inode_state) {
                s.content_changing();
            }
        }
    }

    /// `user.arbor` or `user.ima` about to be set: refused for a file
    /// arbor trusts (see [`Change::UserSignature`]).
    fn inode_setxattr(dentry: &Dentry, name: &CStr) -> Result {
        guard_user_signature(dentry, name)
    }

    /// `user.arbor` or `user.ima` about to be removed: likewise.
    fn inode_removexattr(dentry: &Dentry, name: &CStr) -> Result {
        guard_user_signature(dentry, name)
    }

    fn inode_post_setxattr(dentry: &Dentry, name: &CStr) {
        signature_changed(dentry, name);
    }

    fn inode_post_removexattr(dentry: &Dentry, name: &CStr) {
        signature_changed(dentry, name);
    }

    /// A file mapped (anonymous memory has nothing to appraise).
    fn mmap_file(file: Option<&File>, prot: Prot) -> Result {
        match file {
            Some(file) => check(file, Func::MmapCheck, prot.access()),
            None => Ok(()),
        }
    }

    /// A file mapping made executable. Runs under the mmap lock, so the
    /// file is not read: a mapping the policy appraises is refused in
    /// enforcing mode (what its private pages hold is not what any
    /// signature covers), and logged in permissive mode.
    fn file_mprotect(vma: &VmArea, prot: Prot) -> Result {
        // Anonymous memory, or already executable (checked at mmap time).
        let Some(file) = vma.file().filter(|_| prot.exec() && !vma.is_executable()) else {
            return Ok(());
        };
        if ARBOR.get().is_none() {
            return if mode::enforcing() {
                Err(EACCES)
            } else {
                Ok(())
            };
        }
        measure::mprotect(file, prot.access())
    }

    /// A folio was read into the page cache of a file whose pages arbor
    /// checks.
    fn inode_post_read_folio(inode: &kapi::fs::Inode, folio: &Folio) -> Result {
        gate::check_folio(inode, folio)
    }

    /// An inode is being freed.
    fn inode_free_security(inode: &kapi::fs::Inode) {
        gate::inode_freed(inode);
    }

    /// An inode was freed.
    fn inode_free_security_rcu(blob: &InodeBlob) {
        blob.gate.free();
    }

    /// fs-verity verified the file's built-in signature against its
    /// `.fs-verity` keyring.
    fn inode_setintegrity(inode: &kapi::fs::Inode, kind: Integrity) -> Result {
        if kind == Integrity::FsverityBuiltinSigValid {
            if let Some(s) = inode_state(inode) {
                s.set_fsverity_sig_valid();
            }
        }
        Ok(())
    }
}

/// Refuses, in enforcing mode, a change to `user.arbor` or `user.ima` of
/// a regular file arbor trusts.
fn guard_user_signature(dentry: &Dentry, name: &CStr) -> Result {
    if !matches!(name.as_bytes(), b"user.arbor" | b"user.ima")
        || !dentry.inode().is_some_and(|i| i.is_regular())
    {
        return Ok(());
    }
    match ARBOR.get() {
        Some(arbor) => measure::guard_trusted(arbor, Change::UserSignature(dentry)),
        None => Ok(()),
    }
}

/// An attribute that may hold `dentry`'s signature (`security.arbor`,
/// `security.ima`, `user.arbor`, `user.ima`) was set or removed: a new
/// version.
fn signature_changed(dentry: &Dentry, name: &CStr) {
    let name = name.as_bytes();
    if matches!(
        name,
        b"security.arbor" | b"security.ima" | b"user.arbor" | b"user.ima"
    ) {
        if let Some(s) = dentry.inode().and_then(inode_state) {
            s.content_changing();
        }
    }
}
