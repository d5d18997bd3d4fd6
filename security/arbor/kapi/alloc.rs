// SPDX-License-Identifier: GPL-2.0
//! Zero-filled byte buffers.
//!
//! `Vec::from_elem(0u8, n)` writes its `n` zeros one element at a time;
//! for the buffers arbor allocates at every evaluation (a path, the file
//! data read, the tree's levels, a hash state), that loop cost more than
//! the rest of the evaluation of a small file. The allocator zeroes the
//! memory instead (`__GFP_ZERO`, a `memset`).

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
