// SPDX-License-Identifier: GPL-2.0
//! `struct seq_file`, shaped like `kernel::seq_file::SeqFile` of later
//! kernels.

use crate::format::template::Sink;
use kernel::bindings;
use kernel::types::Opaque;

/// Wraps the kernel's `struct seq_file`: the buffer a record of a
/// sequential file is rendered into.
///
/// # Invariants
///
/// The wrapped `struct seq_file` is valid for as long as a `&SeqFile`
/// exists, and is written only by the thread that `seq_file` called.
#[repr(transparent)]
pub(crate) struct SeqFile {
    inner: Opaque<bindings::seq_file>,
}

/// The record did not fit in the `seq_file` buffer; `seq_file` retries it
/// whole with a larger buffer.
#[derive(Debug)]
pub(crate) struct Overflow;

impl SeqFile {
    /// Borrows a `struct seq_file`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `seq_file` for `'a`, that only the
    /// current thread writes to for `'a` (as in a `seq_operations` call).
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::seq_file) -> &'a SeqFile {
        // SAFETY: `SeqFile` is a transparent wrapper; validity is the
        // caller's promise.
        unsafe { &*ptr.cast() }
    }

    /// Appends `bytes` to the record being rendered (`seq_write`).
    pub(crate) fn write(&self, bytes: &[u8]) -> Result<(), Overflow> {
        // SAFETY: a valid seq_file written only by this thread (type
        // invariant); `bytes` is readable for its length.
        let ret =
            unsafe { bindings::seq_write(self.inner.get(), bytes.as_ptr().cast(), bytes.len()) };
        if ret == 0 {
            Ok(())
        } else {
            Err(Overflow)
        }
    }
}

impl Sink for &SeqFile {
    type Error = Overflow;

    fn put(&mut self, bytes: &[u8]) -> Result<(), Overflow> {
        self.write(bytes)
    }
}
