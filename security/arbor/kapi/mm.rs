// SPDX-License-Identifier: GPL-2.0
//! Memory mappings: the protection of a mapping and a mapping being
//! changed (`struct vm_area_struct`).

use super::fs::File;
use crate::format::policy::{MAY_EXEC, MAY_READ, MAY_WRITE};
use kernel::bindings;
use kernel::ffi::c_ulong;
use kernel::types::Opaque;

/// The `PROT_*` bits of a mapping.
#[derive(Clone, Copy)]
pub(crate) struct Prot(pub(crate) c_ulong);

impl Prot {
    /// Whether the mapping may be executed.
    pub(crate) fn exec(self) -> bool {
        self.0 & bindings::PROT_EXEC as c_ulong != 0
    }

    /// The `MAY_*` access bits the protection asks for.
    pub(crate) fn access(self) -> u32 {
        [
            (bindings::PROT_EXEC, MAY_EXEC),
            (bindings::PROT_READ, MAY_READ),
            (bindings::PROT_WRITE, MAY_WRITE),
        ]
        .into_iter()
        .filter(|&(p, _)| self.0 & p as c_ulong != 0)
        .fold(0, |acc, (_, may)| acc | may)
    }
}

/// A mapping, borrowed while its mm's mmap lock is held (as in the
/// `file_mprotect` hook).
///
/// # Invariants
///
/// The wrapped `struct vm_area_struct` is valid, and its file and flags
/// are stable, for as long as a `&VmArea` exists.
#[repr(transparent)]
pub(crate) struct VmArea(Opaque<bindings::vm_area_struct>);

impl VmArea {
    /// Borrows a mapping.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid mapping whose mm's mmap lock the caller
    /// holds for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *const bindings::vm_area_struct) -> &'a VmArea {
        // SAFETY: `VmArea` is a transparent wrapper; validity is the
        // caller's promise.
        unsafe { &*ptr.cast() }
    }

    /// The file mapped; `None` for anonymous memory.
    pub(crate) fn file(&self) -> Option<&File> {
        // SAFETY: the mapping is valid and `vm_file` stable under the mmap
        // lock (type invariant).
        let file = unsafe { (*self.0.get()).vm_file };
        // SAFETY: a mapping holds a reference to its file for as long as
        // it exists.
        (!file.is_null()).then(|| unsafe { File::from_raw_file(file) })
    }

    /// Whether the mapping is executable now (`VM_EXEC`).
    pub(crate) fn is_executable(&self) -> bool {
        // SAFETY: the flags are stable under the mmap lock (type invariant).
        let flags = unsafe { (*self.0.get()).__bindgen_anon_2.vm_flags };
        flags & bindings::VM_EXEC as c_ulong != 0
    }
}
