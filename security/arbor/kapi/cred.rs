// SPDX-License-Identifier: GPL-2.0
//! Credentials (`struct cred`), shaped like the `kernel::cred` module of
//! later kernels.

use kernel::bindings;
use kernel::types::{AlwaysRefCounted, Opaque};

/// Wraps the kernel's `struct cred`: the security context a task acts
/// with, or that a file was opened with.
///
/// Credentials are immutable once published and reference-counted; an
/// `ARef<Credential>` owns a reference, a `&Credential` borrows one that
/// something else holds.
///
/// # Invariants
///
/// Instances are always reference-counted: the `struct cred` is valid and
/// its count is non-zero for as long as a `&Credential` exists.
#[repr(transparent)]
pub(crate) struct Credential(Opaque<bindings::cred>);

// SAFETY: a `struct cred` is immutable once shared and its reference count
// is atomic; it may be used and released on any thread.
unsafe impl Send for Credential {}

// SAFETY: shared references only read the immutable fields.
unsafe impl Sync for Credential {}

impl Credential {
    /// Borrows a `struct cred`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct cred` whose reference count stays
    /// non-zero for `'a`.
    pub(crate) unsafe fn from_ptr<'a>(ptr: *const bindings::cred) -> &'a Credential {
        // SAFETY: `Credential` is a transparent wrapper; validity for `'a`
        // is the caller's promise.
        unsafe { &*ptr.cast() }
    }

    /// The raw pointer, for C calls.
    pub(crate) fn as_ptr(&self) -> *const bindings::cred {
        self.0.get()
    }
}

// SAFETY: `get_cred` and `put_cred` take and drop a reference; the object
// stays valid while the count is non-zero.
unsafe impl AlwaysRefCounted for Credential {
    fn inc_ref(&self) {
        // SAFETY: the existence of `&self` means the count is non-zero.
        unsafe { bindings::get_cred(self.0.get()) };
    }

    unsafe fn dec_ref(obj: core::ptr::NonNull<Self>) {
        // SAFETY: the caller gives up a reference it owns.
        unsafe { bindings::put_cred(obj.cast().as_ptr()) };
    }
}
