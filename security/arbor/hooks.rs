// SPDX-License-Identifier: GPL-2.0
//! What arbor does at each hook; called from the entry points in
//! [`crate::kapi::lsm`].

use crate::kapi::file::{Binprm, File, Inode};
use crate::kapi::lsm::inode_state;
use crate::measure::{self, Hook};
use crate::{fs, Arbor, ARBOR};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::alloc::{flags::GFP_KERNEL, KBox};
use kernel::init::InPlaceInit;
use kernel::prelude::*;

/// Called once the LSM framework has installed arbor's hooks.
pub(crate) fn registered() {
    pr_info!("initialized (measurements name PCR {})\n", measure::PCR);
}

/// Sets up the crypto transforms, the list and the securityfs files.
pub(crate) fn late_init() -> Result {
    let arbor = KBox::pin_init(Arbor::new(), GFP_KERNEL).inspect_err(|e| {
        pr_err!(
            "cannot set up the measurement list (error {})\n",
            e.to_errno()
        );
    })?;
    ARBOR.set(arbor)?;
    fs::create()
        .inspect_err(|e| pr_err!("cannot create securityfs files (error {})\n", e.to_errno()))
}

static EARLY_EXEC_WARNED: AtomicBool = AtomicBool::new(false);

/// `bprm_check_security`: measure the file about to run (the script, and
/// then its interpreter, for `#!` scripts).
pub(crate) fn bprm_check(bprm: &Binprm) -> Result {
    let Some(arbor) = ARBOR.get() else {
        if !EARLY_EXEC_WARNED.swap(true, Ordering::Relaxed) {
            pr_warn!("exec before arbor's late initcall is not measured\n");
        }
        return Ok(());
    };
    match measure::measure(arbor, bprm.file(), Hook::Exec) {
        // A task with a fatal signal pending dies before the file runs.
        Err(e) if e == EINTR => Err(e),
        Err(e) => {
            pr_err!("exec: measurement failed (error {})\n", e.to_errno());
            Ok(())
        }
        Ok(()) => Ok(()),
    }
}

/// `file_post_open`: a writer may change the content from now on.
pub(crate) fn file_opened(file: &File) -> Result {
    if file.is_writer() {
        if let Some(s) = inode_state(file.inode()) {
            s.content_changing();
        }
    }
    Ok(())
}

/// `file_release`: a writer's changes are complete.
pub(crate) fn file_released(file: &File) {
    if file.is_writer() {
        if let Some(s) = inode_state(file.inode()) {
            s.content_changing();
        }
    }
}

/// `inode_post_setattr` with `ATTR_SIZE`: truncated or extended.
pub(crate) fn inode_resized(inode: &Inode) {
    if let Some(s) = inode_state(inode) {
        s.content_changing();
    }
}
