// SPDX-License-Identifier: GPL-2.0
//! The readpage gate's checks, for files on filesystems that cannot check
//! their own pages (NFS, FUSE): each block read into the page cache of a
//! file arbor appraised is hashed and compared with the tree leaf arbor
//! computed for that block when it hashed the file, which is covered by
//! the signed root. Nothing the server says later is believed: not its
//! data, and not a Merkle tree of its own.

use super::merkle::{HashAlgorithm, Params, MAX_DIGEST_SIZE};

/// The block size the gate checks in: the page size, so that every page
/// read is one leaf.
pub const BLOCK_SIZE: usize = 4096;

/// log2 of [`BLOCK_SIZE`].
const LOG_BLOCK_SIZE: u8 = 12;

/// The largest limit on the memory for page checks, in KiB (4 GiB): the
/// range of `CONFIG_SECURITY_ARBOR_PAGE_CHECK_MEMORY`.
pub const MAX_MEMORY_KIB: u64 = 4 << 20;

/// Parses the value of `arbor.page_check_memory=`: a decimal number of KiB
/// from 0 to [`MAX_MEMORY_KIB`], nothing else.
pub fn parse_memory_kib(value: &[u8]) -> Option<u64> {
    super::mode::parse_decimal(value, MAX_MEMORY_KIB)
}

/// Why the pages of a file cannot be checked one by one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unsupported {
    /// The Merkle tree's blocks are not pages: a leaf does not cover
    /// exactly one page (a larger block would need the pages next to it).
    BlockSize,
    /// The tree is salted: every page would hash the salt again.
    Salt,
}

/// Whether the pages of a file whose tree has the parameters `params` can
/// be checked one by one: 4 KiB blocks and no salt (what `fsverity digest`
/// and `fsverity sign` use unless told otherwise).
pub fn supported(params: &Params) -> Result<(), Unsupported> {
    if params.log_block_size() != LOG_BLOCK_SIZE {
        return Err(Unsupported::BlockSize);
    }
    if !params.salt().is_empty() {
        return Err(Unsupported::Salt);
    }
    Ok(())
}

/// Why a block read into the page cache was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused<E> {
    /// Its hash is not the leaf kept for it: the server sent other data.
    Mismatch,
    /// It lies wholly past the appraised size, and is not all zeros.
    PastEnd,
    /// No leaf was kept for a block within the appraised size (the leaves
    /// do not match the size they were kept for).
    NoLeaf,
    /// The hash failed.
    Hash(E),
}

/// The leaves kept for a file, as the gate checks them: the hash of each
/// 4 KiB block of the content arbor appraised, in order, and its size.
#[derive(Clone, Copy, Debug)]
pub struct Leaves<'a> {
    /// The hash algorithm of the leaves.
    pub alg: HashAlgorithm,
    /// The size of the content the leaves were computed over.
    pub size: u64,
    /// One digest of `alg` per block, `size.div_ceil(4096)` of them.
    pub digests: &'a [u8],
}

impl Leaves<'_> {
    /// Whether there is a leaf for every block of `size` bytes.
    pub fn complete(&self) -> bool {
        let blocks = self.size.div_ceil(BLOCK_SIZE as u64);
        u64::try_from(self.digests.len())
            .is_ok_and(|len| blocks.checked_mul(self.alg.digest_size() as u64) == Some(len))
    }

    /// Checks `block`, the 4 KiB read into the page cache for block
    /// number `index` of the file, hashing with `hash` (which writes the
    /// digest of its input into its output, one digest of `self.alg`
    /// long). A block within the appraised size must hash to its leaf
    /// (the filesystem zero-fills past the end of the file, as the tree
    /// pads its last block); a block wholly past it must be zeros.
    pub fn check_block<E>(
        &self,
        index: u64,
        block: &[u8],
        hash: impl FnOnce(&[u8], &mut [u8]) -> Result<(), E>,
    ) -> Result<(), Refused<E>> {
        if index >= self.size.div_ceil(BLOCK_SIZE as u64) {
            return if block.iter().all(|&b| b == 0) {
                Ok(())
            } else {
                Err(Refused::PastEnd)
            };
        }
        let ds = self.alg.digest_size();
        let leaf = usize::try_from(index)
            .ok()
            .and_then(|i| i.checked_mul(ds))
            .and_then(|at| self.digests.get(at..at.checked_add(ds)?))
            .ok_or(Refused::NoLeaf)?;
        let mut buf = [0u8; MAX_DIGEST_SIZE];
        let out = buf.get_mut(..ds).ok_or(Refused::NoLeaf)?;
        hash(block, out).map_err(Refused::Hash)?;
        if out == leaf {
            Ok(())
        } else {
            Err(Refused::Mismatch)
        }
    }
}
