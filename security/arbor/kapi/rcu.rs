// SPDX-License-Identifier: GPL-2.0
//! RCU: the read-side guard, shaped like `kernel::sync::rcu::Guard` of
//! later kernels, and the publication of a reference-counted value, whose
//! readers never block and never hold a read-side critical section outside
//! this module; writers wait for a grace period before they drop what they
//! replaced.

use core::marker::PhantomData;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::bindings;
use kernel::sync::{Arc, ArcBorrow};

/// A value published with RCU: readers get either the old or the new value
/// in full, each with a reference of its own.
///
/// A read takes the RCU read lock only for as long as it takes to load the
/// pointer and take a reference (a `refcount_inc`), all inside
/// [`Rcu::get`]: no code outside this module runs inside a read-side
/// critical section, so none can sleep in one. The reader then uses its
/// reference for as long as it likes, sleeping included.
///
/// # Invariants
///
/// `ptr` is null or comes from [`Arc::into_raw`], and owns that reference.
/// A replaced pointer's reference is dropped only by [`Rcu::replace`],
/// after a grace period that started once the pointer was no longer
/// reachable through `ptr`.
pub(crate) struct Rcu<T> {
    ptr: AtomicPtr<T>,
}

// SAFETY: readers on any thread get an `Arc<T>`, which may move to and be
// used on any thread, so `T: Send + Sync`, as for `Arc<T>` itself.
unsafe impl<T: Send + Sync> Sync for Rcu<T> {}

/// An RCU read-side critical section, ended when the guard is dropped.
///
/// Nothing may sleep while a guard exists. arbor takes one only inside
/// [`Rcu::get`], over code that cannot sleep.
///
/// # Invariants
///
/// While the guard exists, the thread is inside `rcu_read_lock()`. The
/// guard is neither `Send` nor `Sync`, so it is dropped on the thread that
/// made it.
pub(crate) struct Guard(PhantomData<*mut ()>);

impl Guard {
    /// Enters a read-side critical section.
    pub(crate) fn new() -> Self {
        // SAFETY: always allowed; the matching unlock is in `drop`.
        unsafe { bindings::rcu_read_lock() };
        // INVARIANT: the lock was just taken.
        Self(PhantomData)
    }
}

/// Enters a read-side critical section (`rcu_read_lock()`), left when the
/// guard is dropped.
pub(crate) fn read_lock() -> Guard {
    Guard::new()
}

impl Drop for Guard {
    fn drop(&mut self) {
        // SAFETY: by the type invariant this thread holds the read lock.
        unsafe { bindings::rcu_read_unlock() };
    }
}

impl<T> Rcu<T> {
    /// Nothing published yet.
    pub(crate) const fn new() -> Self {
        // INVARIANT: null.
        Self {
            ptr: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// A reference to the value published now, if any.
    pub(crate) fn get(&self) -> Option<Arc<T>> {
        let _guard = read_lock();
        // Acquire pairs with the release in `replace` (it is stronger than
        // the dependency ordering `rcu_dereference()` relies on).
        let p = self.ptr.load(Ordering::Acquire);
        if p.is_null() {
            return None;
        }
        // SAFETY: by the type invariant `p` came from `Arc::into_raw` and
        // its reference is dropped only after a grace period that started
        // once `p` was unpublished; this thread is inside a read-side
        // critical section that started before that (it loaded `p`), so
        // the reference is still held and the value alive while the
        // borrow is turned into a reference of our own.
        let borrowed = unsafe { ArcBorrow::from_raw(p) };
        Some(borrowed.into())
    }

    /// Unpublishes the value, if any, and drops its reference at once.
    ///
    /// # Safety
    ///
    /// No reader may be in, or enter, [`Rcu::get`] on `self` any more
    /// (e.g. it is part of an object being freed, an RCU grace period after
    /// it became unreachable).
    pub(crate) unsafe fn clear_unreachable(&self) {
        let old = self.ptr.swap(ptr::null_mut(), Ordering::AcqRel);
        if !old.is_null() {
            // SAFETY: `old` came from `Arc::into_raw` and owned a reference
            // (type invariant); by the caller's promise no reader can be
            // turning it into a reference of its own.
            drop(unsafe { Arc::from_raw(old) });
        }
    }

    /// Publishes `value` and drops the reference to the value it replaces
    /// once no reader can still be taking a new reference to it (readers
    /// that took one keep it). Sleeps (`synchronize_rcu()`).
    pub(crate) fn replace(&self, value: Arc<T>) {
        let new = Arc::into_raw(value).cast_mut();
        // INVARIANT: `new` came from `Arc::into_raw` and its reference is
        // now owned by `ptr`.
        let old = self.ptr.swap(new, Ordering::AcqRel);
        if old.is_null() {
            return;
        }
        // SAFETY: called from process context by the policy writer; no
        // code outside this module holds a read-side critical section, and
        // this one holds none here.
        unsafe { bindings::synchronize_rcu() };
        // SAFETY: `old` came from `Arc::into_raw` and owned a reference
        // (type invariant); it is no longer reachable through `ptr`, and
        // the grace period above waited for every reader that could still
        // be turning it into a reference of its own.
        drop(unsafe { Arc::from_raw(old) });
    }
}
