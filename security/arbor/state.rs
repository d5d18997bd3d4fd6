// SPDX-License-Identifier: GPL-2.0
//! Per-inode state: which version of a file was last evaluated, and the verdict.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// arbor's part of an inode's security blob.
///
/// A file's content or signature can only change through an open for
/// write, a truncate, a change of arbor's extended attributes, or a direct
/// write to its block device (out of scope, as for IMA). arbor counts those
/// events in `version`: it is bumped when a writer opens the file (before
/// any write), when the last reference of that writer goes (after all
/// writes, including through shared mappings, which hold the file), after
/// a size change and after `security.arbor` or `security.ima` is set or
/// removed. An evaluation records the version it started from and its
/// verdict; while the version is unchanged, the file is neither measured
/// nor appraised again. A file that is modified and then restored is
/// evaluated again, so the list shows what ran, in order.
///
/// The blob is zero-filled at allocation, and all-zero is a valid state:
/// version 0, nothing evaluated.
#[derive(Default)]
pub(crate) struct InodeState {
    version: AtomicU64,
    /// `(version + 1) << 1 | trusted` of the last evaluation; 0 for none.
    checked: AtomicU64,
    /// fs-verity reported a valid built-in signature for this inode's
    /// fs-verity digest (fs-verity files cannot change, so this holds for
    /// the inode's lifetime).
    fsverity_sig_valid: AtomicBool,
}

impl InodeState {
    /// Notes that the file's content or signature may be changing or has
    /// changed.
    pub(crate) fn content_changing(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    /// The current version.
    pub(crate) fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// The verdict recorded for version `v`, if it was evaluated:
    /// `Some(true)` for trusted.
    pub(crate) fn verdict(&self, v: u64) -> Option<bool> {
        let c = self.checked.load(Ordering::Acquire);
        (c >> 1 == v.wrapping_add(1) & (u64::MAX >> 1)).then_some(c & 1 == 1)
    }

    /// Notes that fs-verity verified the file's built-in signature.
    pub(crate) fn set_fsverity_sig_valid(&self) {
        self.fsverity_sig_valid.store(true, Ordering::Release);
    }

    /// Whether fs-verity verified the file's built-in signature.
    pub(crate) fn fsverity_sig_valid(&self) -> bool {
        self.fsverity_sig_valid.load(Ordering::Acquire)
    }

    /// Records the verdict for version `v`.
    pub(crate) fn set_verdict(&self, v: u64, trusted: bool) {
        let c = (v.wrapping_add(1) & (u64::MAX >> 1)) << 1 | u64::from(trusted);
        self.checked.store(c, Ordering::Release);
    }
}
