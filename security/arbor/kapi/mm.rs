// SPDX-License-Identifier: GPL-2.0
//! Memory mappings: the protection of a mapping and a mapping being
//! changed (`struct vm_area_struct`).

use super::fs::File;
use crate::format::policy::{MAY_EXEC, MAY_READ, MAY_WRITE};
use kernel::bindings;
use kernel::ffi::c_ulong;
use kernel::page::PAGE_SIZE;
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

/// A folio a filesystem has just read into a file's page cache, as the
/// `inode_post_read_folio` hook gets it: locked, not yet uptodate, its
/// content final.
///
/// # Invariants
///
/// The wrapped `struct folio` is valid, locked, and keeps its pages,
/// position and content for as long as a `&Folio` exists.
#[repr(transparent)]
pub(crate) struct Folio(Opaque<bindings::folio>);

impl Folio {
    /// Wraps `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` must be a valid folio that stays locked, with its content
    /// final, for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::folio) -> &'a Self {
        // SAFETY: `Folio` is a transparent wrapper; the caller promises
        // the rest (type invariant).
        unsafe { &*ptr.cast::<Self>() }
    }

    fn as_ptr(&self) -> *mut bindings::folio {
        self.0.get()
    }

    /// The folio's byte position in its file.
    pub(crate) fn pos(&self) -> u64 {
        // SAFETY: the folio is valid and locked (type invariant), so its
        // index does not change.
        let pos = unsafe { bindings::folio_pos(self.as_ptr()) };
        // A page cache position is never negative.
        pos as u64
    }

    /// Number of pages in the folio.
    pub(crate) fn nr_pages(&self) -> usize {
        // SAFETY: the folio is valid (type invariant).
        let n = unsafe { bindings::folio_nr_pages(self.as_ptr()) };
        usize::try_from(n).unwrap_or(0)
    }

    /// Calls `f` with the content of page `i` of the folio (`PAGE_SIZE`
    /// bytes), mapped for the call (`kmap_local_page`); `None` if the
    /// folio has no page `i`.
    pub(crate) fn with_page<R>(&self, i: usize, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        if i >= self.nr_pages() {
            return None;
        }
        // SAFETY: the folio is valid and `i` is one of its pages.
        let page = unsafe { bindings::folio_page(self.as_ptr(), i as _) };
        // SAFETY: `page` is a valid page; the mapping is undone below,
        // on this CPU, before anything else is mapped.
        let addr = unsafe { bindings::kmap_local_page(page) };
        // SAFETY: `kmap_local_page` maps the page's `PAGE_SIZE` bytes at
        // `addr`, which stay mapped until `kunmap_local`; the folio is
        // locked with its content final (type invariant), so nothing
        // writes to it meanwhile.
        let bytes = unsafe { core::slice::from_raw_parts(addr.cast::<u8>(), PAGE_SIZE) };
        let r = f(bytes);
        // SAFETY: `addr` came from `kmap_local_page` above, and `bytes`,
        // its only borrow, is no longer used.
        unsafe { bindings::kunmap_local(addr) };
        Some(r)
    }
}
