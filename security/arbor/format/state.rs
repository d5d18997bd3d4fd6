// SPDX-License-Identifier: GPL-2.0
//! Per-inode and per-file state: which version of a file was last
//! measured, appraised and audited, and who has it open.

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

/// arbor's part of an inode's security blob.
///
/// A file's content or signature can only change through an open for
/// write, a truncate, a change of arbor's extended attributes, or a direct
/// write to its block device (out of scope, as for IMA). arbor counts those
/// events in `version`: it is bumped when a writer opens the file (before
/// any write), when the last reference of that writer goes (after all
/// writes, including through shared mappings, which hold the file), after
/// a size change and after `security.arbor` or `security.ima` is set or
/// removed. Measurement, appraisal and audit each record the version they
/// saw (appraisal also its verdict); while the version is unchanged, the
/// file is not measured, appraised or audited again. A file that is
/// modified and then restored is evaluated again, so the list shows what
/// ran, in order.
///
/// The blob is zero-filled at allocation, and all-zero is a valid state:
/// version 0, nothing evaluated.
#[derive(Default)]
pub(crate) struct InodeState {
    version: AtomicU64,
    /// `(version + 1) << 1 | trusted` of the last appraisal; 0 for none.
    checked: AtomicU64,
    /// `version + 1` of the last measurement; 0 for none.
    measured: AtomicU64,
    /// The first 8 bytes of the digest last measured: on filesystems whose
    /// content can change unseen, a file is measured again when its digest
    /// differs. (Another signed version with the same 64-bit prefix would
    /// go unlisted; finding one takes about 2^64 signed files.)
    measured_digest: AtomicU64,
    /// `version + 1` of the last audit record of an `audit` rule; 0 for none.
    audited: AtomicU64,
    /// Files open on this inode for reading only, as far as arbor saw them
    /// open (see [`FileState`]).
    readers: AtomicU32,
    /// A reader was measured: opening the file for writing while it has
    /// readers is a ToMToU violation.
    must_measure: AtomicBool,
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

    /// Whether version `v` was measured.
    pub(crate) fn measured(&self, v: u64) -> bool {
        self.measured.load(Ordering::Acquire) == v.wrapping_add(1)
    }

    /// Records that version `v` was measured, with `digest`.
    pub(crate) fn set_measured(&self, v: u64, digest: &[u8]) {
        self.measured_digest
            .store(digest_prefix(digest), Ordering::Release);
        self.measured.store(v.wrapping_add(1), Ordering::Release);
    }

    /// Whether `digest` is the digest last measured (its first 8 bytes).
    pub(crate) fn measured_digest_is(&self, digest: &[u8]) -> bool {
        self.measured_digest.load(Ordering::Acquire) == digest_prefix(digest)
    }

    /// Whether version `v` was audited by an `audit` rule.
    pub(crate) fn audited(&self, v: u64) -> bool {
        self.audited.load(Ordering::Acquire) == v.wrapping_add(1)
    }

    /// Records that version `v` was audited; returns whether it was not
    /// already (so that racing tasks audit it once).
    pub(crate) fn set_audited(&self, v: u64) -> bool {
        self.audited.swap(v.wrapping_add(1), Ordering::AcqRel) != v.wrapping_add(1)
    }

    /// Counts a file opened for reading only.
    pub(crate) fn reader_opened(&self) {
        self.readers.fetch_add(1, Ordering::AcqRel);
    }

    /// Uncounts a file counted by [`Self::reader_opened`].
    pub(crate) fn reader_closed(&self) {
        // Saturates rather than wraps; a pairing bug must not turn into
        // endless violations.
        let _ = self
            .readers
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
    }

    /// Whether some file has the inode open for reading only.
    pub(crate) fn has_readers(&self) -> bool {
        self.readers.load(Ordering::Acquire) > 0
    }

    /// Notes that a reader of the file was measured.
    pub(crate) fn set_must_measure(&self) {
        self.must_measure.store(true, Ordering::Release);
    }

    /// Whether a reader of the file was measured.
    pub(crate) fn must_measure(&self) -> bool {
        self.must_measure.load(Ordering::Acquire)
    }
}

/// The first 8 bytes of `digest` (all digests are longer), as a number.
fn digest_prefix(digest: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    for (d, s) in b.iter_mut().zip(digest) {
        *d = *s;
    }
    u64::from_le_bytes(b)
}

/// arbor's part of an open file's security blob. All-zero (its state at
/// allocation) is valid.
#[derive(Default)]
pub(crate) struct FileState {
    /// The file was counted in its inode's [`InodeState`] readers, and must
    /// be uncounted when it is released.
    counted_reader: AtomicBool,
}

impl FileState {
    /// Notes that the file was counted as a reader.
    pub(crate) fn set_counted_reader(&self) {
        self.counted_reader.store(true, Ordering::Release);
    }

    /// Whether the file was counted as a reader; clears the mark.
    pub(crate) fn take_counted_reader(&self) -> bool {
        self.counted_reader.swap(false, Ordering::AcqRel)
    }
}
