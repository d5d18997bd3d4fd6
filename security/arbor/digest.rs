// SPDX-License-Identifier: GPL-2.0
//! A file's fs-verity digest: from fs-verity, or computed here.

use crate::format::merkle::{self, Digest, HashAlgorithm, Params, TreeBuilder};
use crate::kapi::crypto::Shash;
use crate::kapi::fs::File;
use crate::kapi::task;
use kernel::alloc::{flags::GFP_KERNEL, KVVec};
use kernel::prelude::*;

/// How much file data one `kernel_read` asks for.
const READ_CHUNK: usize = 64 * 1024;

/// Where a digest came from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// fs-verity had it (the filesystem checks every block against it).
    FsVerity,
    /// Computed by arbor from the file content.
    Computed,
}

/// The file's fs-verity digest, as `fsverity digest` would print it.
///
/// For a file with fs-verity enabled this is the digest fs-verity holds
/// (whatever its hash algorithm and block size). Otherwise arbor computes
/// the digest with `params` (fs-verity's defaults, unless a signature names
/// others) using `hash`, a transform for `params.alg()`, streaming through
/// the file with memory bounded by the tree depth.
pub(crate) fn file_digest(
    file: &File,
    params: &Params,
    hash: &Shash,
) -> Result<(HashAlgorithm, Digest, Source)> {
    if let Some((alg, digest)) = file.inode().verity_digest() {
        return Ok((alg, digest, Source::FsVerity));
    }
    let size = u64::try_from(file.inode().size()).map_err(|_| EINVAL)?;
    let params = *params;
    let mut scratch = KVVec::from_elem(0u8, params.scratch_size(size), GFP_KERNEL)?;
    let mut buf = KVVec::from_elem(0u8, READ_CHUNK, GFP_KERNEL)?;
    if hash.digest_size() != params.alg().digest_size() {
        return Err(EINVAL);
    }
    let mut d = hash.desc()?;
    let mut tree = TreeBuilder::new(params, &mut scratch);
    let mut pos: i64 = 0;
    while tree.data_size() < size {
        let want = usize::try_from(size - tree.data_size())
            .unwrap_or(usize::MAX)
            .min(READ_CHUNK);
        let chunk = buf.get_mut(..want).ok_or(EINVAL)?;
        let n = file.read_at(chunk, &mut pos)?;
        if n == 0 {
            // The file shrank while it was read.
            return Err(EAGAIN);
        }
        tree.update(&mut d, chunk.get(..n).ok_or(EINVAL)?)
            .map_err(merkle_error)?;
        if task::fatal_signal_pending() {
            return Err(EINTR);
        }
        task::cond_resched();
    }
    if file.inode().size() as u64 != size {
        // The file changed size while it was read.
        return Err(EAGAIN);
    }
    let root = tree.finish(&mut d).map_err(merkle_error)?;
    let digest = merkle::file_digest(&mut d, &params, size, &root)?;
    Ok((params.alg(), digest, Source::Computed))
}

fn merkle_error(e: merkle::Error<Error>) -> Error {
    match e {
        merkle::Error::Hash(e) => e,
        merkle::Error::TooLarge => EFBIG,
        merkle::Error::BadBlockSize | merkle::Error::SaltTooLong => EINVAL,
    }
}
