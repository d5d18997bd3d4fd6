// SPDX-License-Identifier: GPL-2.0
//! Synchronous hashes through the kernel crypto API (`crypto_shash`).
//!
//! The crypto API picks the fastest registered implementation of an
//! algorithm, e.g. `sha256-ni` on CPUs with the SHA extensions.

use crate::format::merkle::Digester;
use core::ptr::NonNull;
use kernel::alloc::KVec;
use kernel::bindings;
use kernel::error::{from_err_ptr, to_result};
use kernel::prelude::*;
use kernel::str::CStr;

/// An allocated hash transform, e.g. for `sha256`.
///
/// # Invariants
///
/// `tfm` is a valid transform returned by `crypto_alloc_shash`, owned by
/// this object and freed on drop.
pub(crate) struct Shash {
    tfm: NonNull<bindings::crypto_shash>,
}

// SAFETY: a `crypto_shash` transform holds only the algorithm and its key;
// hashing state lives in the per-operation `shash_desc`. The crypto API
// allows one transform to be used from many threads at once.
unsafe impl Send for Shash {}
// SAFETY: see above.
unsafe impl Sync for Shash {}

impl Shash {
    /// Allocates a transform for the algorithm called `name`.
    pub(crate) fn new(name: &CStr) -> Result<Self> {
        // SAFETY: `name` is a NUL-terminated string that outlives the call.
        let tfm = from_err_ptr(unsafe { bindings::crypto_alloc_shash(name.as_char_ptr(), 0, 0) })?;
        let tfm = NonNull::new(tfm).ok_or(ENOMEM)?;
        // INVARIANT: a valid, owned transform.
        Ok(Self { tfm })
    }

    /// Size of the digests this transform produces.
    pub(crate) fn digest_size(&self) -> usize {
        // SAFETY: `tfm` is valid by the type invariant.
        unsafe { bindings::crypto_shash_digestsize(self.tfm.as_ptr()) as usize }
    }

    /// Hashes `data` in one go into `out`, which must be one digest long,
    /// with no allocation: the operation's state is on the stack
    /// (`crypto_shash_tfm_digest`), so it may be called where memory must
    /// not be allocated, such as a filesystem's read completion.
    pub(crate) fn digest(&self, data: &[u8], out: &mut [u8]) -> Result {
        if out.len() != self.digest_size() {
            return Err(EINVAL);
        }
        let len = u32::try_from(data.len()).map_err(|_| EINVAL)?;
        // SAFETY: `tfm` is valid by the type invariant; `data` is readable
        // for `len` bytes and `out` writable for one digest.
        to_result(unsafe {
            bindings::crypto_shash_tfm_digest(
                self.tfm.as_ptr(),
                data.as_ptr(),
                len,
                out.as_mut_ptr(),
            )
        })
    }

    /// Allocates the state for one hashing operation at a time.
    pub(crate) fn desc(&self) -> Result<ShashDesc<'_>> {
        // SAFETY: `tfm` is valid by the type invariant.
        let ctx = unsafe { bindings::crypto_shash_descsize(self.tfm.as_ptr()) } as usize;
        let size = core::mem::size_of::<bindings::shash_desc>()
            .checked_add(ctx)
            .ok_or(ENOMEM)?;
        // kmalloc memory is aligned to ARCH_KMALLOC_MINALIGN, which satisfies
        // the alignment `struct shash_desc` and its context require.
        let mut buf: KVec<u8> = super::alloc::zeroed(size)?;
        let desc = buf.as_mut_ptr().cast::<bindings::shash_desc>();
        // SAFETY: `buf` is at least `sizeof(struct shash_desc)` bytes and
        // suitably aligned; `tfm` outlives the desc (it borrows `self`).
        unsafe { (*desc).tfm = self.tfm.as_ptr() };
        // INVARIANT: `buf` holds a `shash_desc` bound to `self.tfm`.
        Ok(ShashDesc {
            buf,
            digest_size: self.digest_size(),
            _tfm: self,
        })
    }
}

impl Drop for Shash {
    fn drop(&mut self) {
        // SAFETY: `tfm` is valid and owned by the type invariant.
        unsafe { bindings::crypto_free_shash(self.tfm.as_ptr()) };
    }
}

/// The state of one hashing operation (`struct shash_desc` and its context).
///
/// # Invariants
///
/// `buf` starts with a `struct shash_desc` whose `tfm` is `_tfm`'s transform,
/// followed by that transform's context.
pub(crate) struct ShashDesc<'a> {
    buf: KVec<u8>,
    digest_size: usize,
    _tfm: &'a Shash,
}

impl ShashDesc<'_> {
    fn as_ptr(&mut self) -> *mut bindings::shash_desc {
        self.buf.as_mut_ptr().cast()
    }
}

impl Digester for ShashDesc<'_> {
    type Error = Error;

    fn init(&mut self) -> Result {
        // SAFETY: a valid desc by the type invariant.
        to_result(unsafe { bindings::crypto_shash_init(self.as_ptr()) })
    }

    fn update(&mut self, data: &[u8]) -> Result {
        // The length argument is 32 bits wide.
        for chunk in data.chunks(1 << 30) {
            // SAFETY: a valid desc; `chunk` is readable for its length.
            to_result(unsafe {
                bindings::crypto_shash_update(self.as_ptr(), chunk.as_ptr(), chunk.len() as u32)
            })?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut [u8]) -> Result {
        if out.len() != self.digest_size {
            return Err(EINVAL);
        }
        // SAFETY: a valid desc; `out` has room for exactly one digest.
        to_result(unsafe { bindings::crypto_shash_final(self.as_ptr(), out.as_mut_ptr()) })
    }
}
