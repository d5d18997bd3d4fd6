// SPDX-License-Identifier: GPL-2.0
//! Set-once global state, published at init and never freed.

use core::pin::Pin;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::alloc::KBox;
use kernel::prelude::*;

/// A value created once (at init) and then shared for the rest of the
/// kernel's lifetime.
///
/// # Invariants
///
/// `ptr` is either null or was produced by leaking a pinned [`KBox<T>`] in
/// [`Global::set`]; it is never freed or moved afterwards, and it changes
/// from null to non-null at most once.
pub(crate) struct Global<T> {
    ptr: AtomicPtr<T>,
}

// SAFETY: `Global` hands out only `&T` (shared across threads, so `T: Sync`)
// to a value that was moved in from the setting thread (so `T: Send`).
unsafe impl<T: Send + Sync> Sync for Global<T> {}

impl<T> Global<T> {
    /// An empty global.
    pub(crate) const fn new() -> Self {
        // INVARIANT: null.
        Self {
            ptr: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Publishes `value` for good. Fails with `EBUSY` if already set.
    pub(crate) fn set(&self, value: Pin<KBox<T>>) -> Result {
        // SAFETY: the box is leaked below and never moved or freed, which is
        // what pinning requires.
        let raw = KBox::into_raw(unsafe { Pin::into_inner_unchecked(value) });
        match self
            .ptr
            .compare_exchange(ptr::null_mut(), raw, Ordering::Release, Ordering::Relaxed)
        {
            // INVARIANT: null to a leaked pinned box, once.
            Ok(_) => Ok(()),
            Err(_) => {
                // SAFETY: `raw` came from `KBox::into_raw` above and was not published.
                drop(unsafe { KBox::from_raw(raw) });
                Err(EBUSY)
            }
        }
    }

    /// The value, once set.
    pub(crate) fn get(&self) -> Option<&'static T> {
        let p = self.ptr.load(Ordering::Acquire);
        // SAFETY: by the type invariant a non-null `p` points to a live,
        // pinned, never-freed `T`; the acquire load pairs with the release in
        // `set`, so its initialisation is visible.
        unsafe { p.as_ref() }
    }
}
