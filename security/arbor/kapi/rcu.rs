// SPDX-License-Identifier: GPL-2.0
//! RCU publication of a boxed value: readers never block, writers wait for
//! a grace period before freeing what they replaced.

use core::marker::PhantomData;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::alloc::KBox;
use kernel::bindings;

/// An RCU read-side critical section, ended when the guard is dropped.
///
/// # Invariants
///
/// While the guard exists, the thread is inside `rcu_read_lock()`. The
/// guard is neither `Send` nor `Sync`, so it is dropped on the thread that
/// made it.
pub(crate) struct ReadGuard(PhantomData<*mut ()>);

impl ReadGuard {
    /// Enters a read-side critical section. The code under the guard must
    /// not sleep.
    pub(crate) fn new() -> Self {
        // SAFETY: always allowed; the matching unlock is in `drop`.
        unsafe { bindings::rcu_read_lock() };
        // INVARIANT: the lock was just taken.
        Self(PhantomData)
    }
}

impl Drop for ReadGuard {
    fn drop(&mut self) {
        // SAFETY: by the type invariant this thread holds the read lock.
        unsafe { bindings::rcu_read_unlock() };
    }
}

/// A value published with RCU: readers see either the old or the new value
/// in full, and an old value is freed only after every reader that could
/// see it has finished.
///
/// # Invariants
///
/// `ptr` is null or comes from [`KBox::into_raw`]; the box it points to is
/// freed only by [`Rcu::replace`], after a grace period that started once
/// the pointer was no longer reachable through `ptr`.
pub(crate) struct Rcu<T> {
    ptr: AtomicPtr<T>,
}

// SAFETY: readers on any thread get `&T` (so `T: Sync`); a value is dropped
// on whichever thread replaces it (so `T: Send`).
unsafe impl<T: Send + Sync> Sync for Rcu<T> {}

impl<T> Rcu<T> {
    /// Nothing published yet.
    pub(crate) const fn new() -> Self {
        // INVARIANT: null.
        Self {
            ptr: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// The value published now, valid while `guard` is held.
    pub(crate) fn get<'g>(&self, _guard: &'g ReadGuard) -> Option<&'g T> {
        // Acquire pairs with the release in `replace` (it is stronger than
        // the dependency ordering `rcu_dereference()` relies on).
        let p = self.ptr.load(Ordering::Acquire);
        // SAFETY: by the type invariant a non-null `p` is a live box, and it
        // is not freed before a grace period that started after it was
        // unpublished; the caller's guard keeps this reader inside the read
        // section, so that grace period cannot end while `'g` lasts.
        unsafe { p.as_ref() }
    }

    /// Publishes `value` and returns the value it replaces, once no reader
    /// can still see that one. Sleeps (`synchronize_rcu()`).
    pub(crate) fn replace(&self, value: KBox<T>) -> Option<KBox<T>> {
        let new = KBox::into_raw(value);
        let old = self.ptr.swap(new, Ordering::AcqRel);
        if old.is_null() {
            return None;
        }
        // SAFETY: called from process context by the policy writer, outside
        // any read-side critical section.
        unsafe { bindings::synchronize_rcu() };
        // SAFETY: `old` came from `KBox::into_raw` (type invariant), is no
        // longer reachable through `ptr`, and the grace period above waited
        // for every reader that loaded it.
        Some(unsafe { KBox::from_raw(old) })
    }
}
