// SPDX-License-Identifier: GPL-2.0
//! Per-inode state: which version of a file's content is in the list.

use core::sync::atomic::{AtomicU64, Ordering};

/// arbor's part of an inode's security blob.
///
/// A file's content can only change through an open for write, a truncate
/// or a direct write to its block device (out of scope, as for IMA). arbor
/// counts those events in `version`: it is bumped when a writer opens the
/// file (before any write), when the last reference of that writer goes
/// (after all writes, including through shared mappings, which hold the
/// file), and after a size change. A measurement records the version it
/// started from; if the version is the same at the next exec, the content is
/// the same and the file is not measured again. A file that is modified and
/// then restored is measured again, so the list shows what ran in order.
///
/// The blob is zero-filled at allocation, and all-zero is a valid state:
/// version 0, nothing measured.
#[derive(Default)]
pub(crate) struct InodeState {
    version: AtomicU64,
    /// `version + 1` of the content last appended to the list; 0 for none.
    measured: AtomicU64,
}

impl InodeState {
    /// Notes that the file's content may be changing or has changed.
    pub(crate) fn content_changing(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    /// The current content version.
    pub(crate) fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// Whether content version `v` is already in the list.
    pub(crate) fn is_measured(&self, v: u64) -> bool {
        self.measured.load(Ordering::Acquire) == v.wrapping_add(1)
    }

    /// Records that content version `v` is in the list.
    pub(crate) fn set_measured(&self, v: u64) {
        self.measured.store(v.wrapping_add(1), Ordering::Release);
    }
}
