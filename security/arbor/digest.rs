// SPDX-License-Identifier: GPL-2.0
//! A file's digests: its fs-verity digest, from fs-verity or computed
//! here, and the plain SHA-256 of its content for the templates that
//! record it.

use crate::format::merkle::{self, Digest, Digester, HashAlgorithm, Params, TreeBuilder};
use crate::gate;
use crate::kapi::alloc;
use crate::kapi::crypto::Shash;
use crate::kapi::fs::{File, PageBuf};
use crate::kapi::task;
use crate::list::SHA256_SIZE;
use core::mem::MaybeUninit;
use kernel::alloc::KVVec;
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

/// A file's fs-verity digest.
pub(crate) struct VerityDigest {
    /// Its hash algorithm.
    pub(crate) alg: HashAlgorithm,
    /// The digest, as `fsverity digest` prints it.
    pub(crate) digest: Digest,
    /// Where it came from.
    pub(crate) source: Source,
}

/// A file's digests.
pub(crate) struct FileDigests {
    /// The fs-verity digest: always for a file with fs-verity enabled,
    /// else when it was asked for.
    pub(crate) verity: Option<VerityDigest>,
    /// The SHA-256 of the content (what `sha256sum` prints), when it was
    /// asked for.
    pub(crate) content: Option<[u8; SHA256_SIZE]>,
    /// The tree's leaves, for the readpage gate, when they were asked for
    /// and could be kept (see [`gate::Kept::for_tree`]).
    pub(crate) leaves: Option<gate::Kept>,
}

/// What [`file_digests`] computes.
#[derive(Clone, Copy)]
pub(crate) struct Wanted<'a> {
    /// The fs-verity digest (the Merkle tree, where fs-verity does not
    /// hold the digest).
    pub(crate) tree: bool,
    /// The SHA-256 of the content, with this SHA-256 transform.
    pub(crate) content: Option<&'a Shash>,
    /// The tree's leaves, for the readpage gate (`tree` must be asked for
    /// too).
    pub(crate) leaves: bool,
    /// Read the file around its page cache ([`File::read_around_cache`]):
    /// a new version of a file whose page cache is checked against the
    /// old one.
    pub(crate) around_cache: bool,
}

/// The digests `wanted` asks for: the file's fs-verity digest, if `tree`
/// or fs-verity has it, and, when `content` (a SHA-256 transform) is
/// given, the SHA-256 of its content. At least one of the two must be
/// asked for.
///
/// For a file with fs-verity enabled the fs-verity digest is the one
/// fs-verity holds (whatever its hash algorithm and block size), and the
/// file is read only for the content hash, if asked for (fs-verity checks
/// each block as it is read). Otherwise, if `tree`, arbor computes the
/// fs-verity digest with `params` (fs-verity's defaults, unless a
/// signature names others) using `hash`, a transform for `params.alg()`,
/// streaming through the file with memory bounded by the tree depth, and
/// the content hash from the same reads: the file is read once. The tree
/// costs about 2.4% more SHA-256 blocks than the content hash: each 4 KiB
/// block is hashed with a 65th, padding block, and the tree's levels add
/// 0.8% of the file's size. With `leaves`, the tree also keeps the hash
/// of each block, for the readpage gate: `tree` must be asked for too.
pub(crate) fn file_digests(
    file: &File,
    params: &Params,
    hash: &Shash,
    wanted: Wanted<'_>,
) -> Result<FileDigests> {
    let Wanted {
        tree,
        content,
        leaves,
        around_cache,
    } = wanted;
    let verity = file
        .inode()
        .verity_digest()
        .map(|(alg, digest)| VerityDigest {
            alg,
            digest,
            source: Source::FsVerity,
        });
    if verity.is_some() && content.is_none() {
        return Ok(FileDigests {
            verity,
            content: None,
            leaves: None,
        });
    }
    let tree = tree && verity.is_none();
    if !tree && content.is_none() {
        return Err(EINVAL);
    }
    let size = u64::try_from(file.inode().size()).map_err(|_| EINVAL)?;
    let params = *params;
    if hash.digest_size() != params.alg().digest_size() {
        return Err(EINVAL);
    }
    let mut plain = match content {
        Some(h) if h.digest_size() == SHA256_SIZE => {
            let mut d = h.desc()?;
            d.init()?;
            Some(d)
        }
        Some(_) => return Err(EINVAL),
        None => None,
    };
    // The Merkle tree, if asked for and fs-verity has not the digest.
    let mut scratch = if tree {
        alloc::zeroed(params.scratch_size(size))?
    } else {
        KVVec::new()
    };
    let mut kept = if leaves && tree {
        gate::Kept::for_tree(&params, size)?
    } else {
        None
    };
    let mut builder = if tree {
        let t = TreeBuilder::new(params, &mut scratch);
        let t = match &mut kept {
            Some(k) => t.keep_leaves(k.digests_mut()),
            None => t,
        };
        Some((hash.desc()?, t))
    } else {
        None
    };
    // No larger than the file, rounded up to 4 KiB: a small file needs no
    // 64 KiB buffer. Not zeroed: only what the reads wrote is looked at.
    let buf_len = (size.min(READ_CHUNK as u64) as usize)
        .next_multiple_of(4096)
        .min(READ_CHUNK);
    let (mut buf, mut pages): (KVVec<MaybeUninit<u8>>, _) = if around_cache {
        (KVVec::new(), Some(PageBuf::new(buf_len)?))
    } else {
        (alloc::uninit(buf_len)?, None)
    };
    let mut consume = |data: &[u8]| -> Result {
        if let Some((d, t)) = &mut builder {
            t.update(d, data).map_err(merkle_error)?;
        }
        if let Some(d) = &mut plain {
            d.update(data)?;
        }
        Ok(())
    };
    let mut pos: i64 = 0;
    let mut done: u64 = 0;
    while done < size {
        let want = usize::try_from(size - done)
            .unwrap_or(usize::MAX)
            .min(buf_len);
        let n = match &mut pages {
            Some(p) => {
                let n = file.read_around_cache(p, want, &mut pos)?;
                p.for_each(&mut consume)?;
                n
            }
            None => {
                let chunk = buf.get_mut(..want).ok_or(EINVAL)?;
                let data = file.read_at(chunk, &mut pos)?;
                consume(data)?;
                data.len()
            }
        };
        if n == 0 {
            // The file shrank while it was read.
            return Err(EAGAIN);
        }
        done = done.saturating_add(n as u64);
        if task::fatal_signal_pending() {
            return Err(EINTR);
        }
        task::cond_resched();
    }
    if file.inode().size() as u64 != size {
        // The file changed size while it was read.
        return Err(EAGAIN);
    }
    let content = match &mut plain {
        Some(d) => {
            let mut out = [0u8; SHA256_SIZE];
            d.finish(&mut out)?;
            Some(out)
        }
        None => None,
    };
    let verity = match (verity, builder) {
        (Some(v), _) => Some(v),
        (None, Some((mut d, mut t))) => {
            t.end_data(&mut d).map_err(merkle_error)?;
            let all_kept = u64::try_from(t.kept_leaves()).ok() == Some(params.data_blocks(size));
            let root = t.finish(&mut d).map_err(merkle_error)?;
            if !all_kept {
                kept = None;
            }
            Some(VerityDigest {
                alg: params.alg(),
                digest: merkle::file_digest(&mut d, &params, size, &root)?,
                source: Source::Computed,
            })
        }
        (None, None) => None,
    };
    Ok(FileDigests {
        verity,
        content,
        leaves: kept,
    })
}

fn merkle_error(e: merkle::Error<Error>) -> Error {
    match e {
        merkle::Error::Hash(e) => e,
        merkle::Error::TooLarge => EFBIG,
        merkle::Error::BadBlockSize | merkle::Error::SaltTooLong => EINVAL,
    }
}
