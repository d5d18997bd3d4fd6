// SPDX-License-Identifier: GPL-2.0
//! Byte buffers, zero-filled or left for the kernel to fill.
//!
//! `Vec::from_elem(0u8, n)` writes its `n` zeros one element at a time;
//! for the buffers arbor allocates at every evaluation (the tree's levels,
//! a hash state), that loop cost more than the rest of the evaluation of a
//! small file. The allocator zeroes the memory instead (`__GFP_ZERO`, a
//! `memset`). A buffer the kernel fills before anything reads it (the
//! file data read, a rendered path) is not zeroed at all.

use core::mem::MaybeUninit;
use kernel::alloc::flags::{__GFP_ZERO, GFP_KERNEL};
use kernel::alloc::{Allocator, Vec};
use kernel::prelude::*;

/// A vector of `len` zero bytes, zeroed by the allocator.
pub(crate) fn zeroed<A: Allocator>(len: usize) -> Result<Vec<u8, A>> {
    let mut v = Vec::<u8, A>::with_capacity(len, GFP_KERNEL | __GFP_ZERO)?;
    // SAFETY: the vector's allocation holds at least `len` bytes (its
    // capacity), all zero (`__GFP_ZERO`), and a zero byte is a valid
    // `u8`.
    unsafe { v.set_len(len) };
    Ok(v)
}

/// A vector of `len` bytes left uninitialised, for a buffer that a kernel
/// function fills before it is read (see [`super::fs::File::read_at`] and
/// [`super::fs::File::path`], which return the part they wrote).
pub(crate) fn uninit<A: Allocator>(len: usize) -> Result<Vec<MaybeUninit<u8>, A>> {
    let mut v = Vec::<MaybeUninit<u8>, A>::with_capacity(len, GFP_KERNEL)?;
    // SAFETY: the vector's allocation holds at least `len` elements (its
    // capacity), and any memory is a valid `MaybeUninit<u8>`.
    unsafe { v.set_len(len) };
    Ok(v)
}
