// SPDX-License-Identifier: GPL-2.0
//! What arbor does at each hook; called from the entry points in
//! [`crate::kapi::lsm`].
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
//! - `inode_setattr`: the inode's `i_rwsem` held. As `file_open`.
//! - `file_release`, `inode_post_setattr`, `inode_post_setxattr`,
//!   `inode_post_removexattr`, `inode_setintegrity`: atomic updates of the
//!   blob only.

use crate::format::policy::{Func, MAY_EXEC};
use crate::kapi::file::{Binprm, Dentry, File, Inode};
use crate::kapi::lsm::{file_state, inode_state};
use crate::measure::{self, Change};
use crate::{kapi, mode, ARBOR};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;

static EARLY_EXEC_WARNED: AtomicBool = AtomicBool::new(false);

/// Applies the policy to `file` at hook `func` with access `mask`.
///
/// Fails closed: in enforcing mode, an exec or mapping before arbor's late
/// initialisation (or after it failed) is refused, since nothing can
/// appraise it; so is any evaluation that fails for want of memory or
/// because the file could not be read.
fn check(file: &File, func: Func, mask: u32) -> Result {
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
            if kapi::file::log_ratelimit() {
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

/// `bprm_check_security`: the file about to run (the script, and then its
/// interpreter, for `#!` scripts).
pub(crate) fn bprm_check(bprm: &Binprm) -> Result {
    check(bprm.file(), Func::BprmCheck, MAY_EXEC)
}

/// `mmap_file`: a file mapped with the access `mask` (from its `PROT_*`).
pub(crate) fn mmap(file: &File, mask: u32) -> Result {
    check(file, Func::MmapCheck, mask)
}

/// `file_mprotect` making a file mapping executable, with the access
/// `mask` of the new protection. Runs under the mmap lock, so the file is
/// not read: a mapping the policy appraises is refused in enforcing mode
/// (what its private pages hold is not what any signature covers), and
/// logged in permissive mode.
pub(crate) fn mprotect_exec(file: &File, mask: u32) -> Result {
    if ARBOR.get().is_none() {
        return if mode::enforcing() {
            Err(EACCES)
        } else {
            Ok(())
        };
    }
    measure::mprotect(file, mask)
}

/// `file_open`: `file` is being opened. A file arbor trusts may not be
/// opened for writing in enforcing mode (its verdict would outlive its
/// content); in permissive mode such an open is a violation.
pub(crate) fn file_open(file: &File) -> Result {
    if !file.is_writer() || !file.inode().is_regular() {
        return Ok(());
    }
    match ARBOR.get() {
        Some(arbor) => measure::guard_trusted(arbor, Change::Open(file), "open_for_write"),
        None => Ok(()),
    }
}

/// `inode_setattr` with `ATTR_SIZE`: `truncate(2)`, `ftruncate(2)` or
/// `O_TRUNC` is about to change the size of `dentry`'s inode; refused for
/// a file arbor trusts, as a write would be.
pub(crate) fn resize(dentry: &Dentry) -> Result {
    if !dentry.inode().is_some_and(|i| i.is_regular()) {
        return Ok(());
    }
    match ARBOR.get() {
        Some(arbor) => measure::guard_trusted(arbor, Change::Resize(dentry), "truncate"),
        None => Ok(()),
    }
}

/// `inode_post_setxattr`/`inode_post_removexattr`: `name` changed.
pub(crate) fn xattr_changed(inode: &Inode, name: &[u8]) {
    if name == b"security.arbor" || name == b"security.ima" {
        if let Some(s) = inode_state(inode) {
            s.content_changing();
        }
    }
}

/// `inode_setintegrity` with `LSM_INT_FSVERITY_BUILTINSIG_VALID`: fs-verity
/// verified the file's built-in signature against its `.fs-verity` keyring.
pub(crate) fn fsverity_signature_valid(inode: &Inode) {
    if let Some(s) = inode_state(inode) {
        s.set_fsverity_sig_valid();
    }
}

/// `file_post_open`: `file` was opened with the access `mask`. A writer
/// may change the content from now on; a reader is counted, for ToMToU.
pub(crate) fn file_opened(file: &File, mask: u32) -> Result {
    if let Some(s) = inode_state(file.data_inode()) {
        if file.is_writer() {
            s.content_changing();
        } else if file.is_reader_only() {
            if let Some(f) = file_state(file) {
                s.reader_opened();
                f.set_counted_reader();
            }
        }
    }
    check(file, Func::FileCheck, mask)
}

/// `file_release`: a writer's changes are complete; a reader is gone.
pub(crate) fn file_released(file: &File) {
    let Some(s) = inode_state(file.data_inode()) else {
        return;
    };
    if file.is_writer() {
        s.content_changing();
    }
    if file_state(file).is_some_and(|f| f.take_counted_reader()) {
        s.reader_closed();
    }
}

/// `inode_post_setattr` with `ATTR_SIZE`: truncated or extended.
pub(crate) fn inode_resized(inode: &Inode) {
    if let Some(s) = inode_state(inode) {
        s.content_changing();
    }
}
