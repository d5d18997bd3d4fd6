// SPDX-License-Identifier: GPL-2.0
//! fs-verity file digests of host files, with the leaf level hashed in
//! parallel.
//!
//! The data blocks (the leaves of the Merkle tree) are hashed here, across
//! the rayon thread pool, while the next chunk of the file is read. Their
//! hashes, in order, are fed as a byte stream to the shared
//! [`TreeBuilder`]: the tree that fs-verity builds above the leaves is the
//! tree `TreeBuilder` builds over the concatenated leaf hashes, so the
//! levels above the leaves and the descriptor come from the code the kernel
//! runs. A file of at most one block has no tree; its root is its one leaf
//! hash, and an empty file's root is all zeros, as in fs-verity.

use crate::hash::Sha;
use crate::read_full;
use anyhow::{Context, Result};
use arbor_format::merkle::{self, Digest, HashAlgorithm, Params, TreeBuilder};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::fs::File;
use std::io::{IsTerminal, Read};
use std::path::Path;

/// Bytes read and hashed per step; a multiple of every block size.
const CHUNK: usize = 8 << 20;
/// Files at least this large get a progress bar on a terminal.
pub const PROGRESS_THRESHOLD: u64 = 256 << 20;

static ZEROS: [u8; 1 << merkle::MAX_LOG_BLOCK_SIZE] = [0; 1 << merkle::MAX_LOG_BLOCK_SIZE];

/// The hash state after the padded salt, cloned for every block.
fn salted_state(params: &Params) -> Sha {
    let mut h = Sha::new(params.alg());
    let salt = params.salt();
    if !salt.is_empty() {
        h.update(salt);
        let pad = params.alg().input_block_size().saturating_sub(salt.len());
        h.update(ZEROS.get(..pad).unwrap_or_default());
    }
    h
}

/// Hashes each `block_size` block of `data` (the last one zero-padded) into
/// consecutive digests in `out`.
fn hash_leaves(base: &Sha, params: &Params, data: &[u8], out: &mut [u8]) {
    let bs = params.block_size();
    let ds = params.alg().digest_size();
    data.par_chunks(bs)
        .zip(out.par_chunks_mut(ds))
        .with_min_len(16)
        .for_each(|(block, dst)| {
            let mut h = base.clone();
            h.update(block);
            if block.len() < bs {
                h.update(ZEROS.get(..bs - block.len()).unwrap_or_default());
            }
            h.finish_into(dst);
        });
}

/// The result of hashing a file.
#[derive(Clone, Copy, Debug)]
pub struct FileDigest {
    /// Bytes of data hashed.
    pub size: u64,
    /// Merkle tree root hash.
    pub root: Digest,
    /// fs-verity file digest (hash of the descriptor).
    pub digest: Digest,
}

/// Computes the fs-verity digest of everything `r` yields.
pub fn digest_reader<R: Read + Send>(
    r: &mut R,
    params: &Params,
    progress: Option<&ProgressBar>,
) -> Result<FileDigest> {
    let bs = params.block_size();
    let ds = params.alg().digest_size();
    let base = salted_state(params);
    let mut d = Sha::new(params.alg());
    // The tree over the leaf hashes: sized for any 64-bit amount of them.
    let mut scratch = vec![0u8; params.scratch_size(u64::MAX)];
    let mut tree = TreeBuilder::new(*params, &mut scratch);
    let mut cur = vec![0u8; CHUNK];
    let mut next = vec![0u8; CHUNK];
    let mut leaves = vec![0u8; CHUNK / bs * ds];
    let mut first_leaf = Digest::zero(params.alg());
    let mut size: u64 = 0;
    let mut n = read_full(r, &mut cur)?;
    while n > 0 {
        let data = cur.get(..n).unwrap_or_default();
        let nleaves = n.div_ceil(bs);
        let out = leaves.get_mut(..nleaves * ds).unwrap_or_default();
        let last = n < CHUNK;
        // Read the next chunk while this one is hashed.
        let (read, ()) = rayon::join(
            || if last { Ok(0) } else { read_full(r, &mut next) },
            || hash_leaves(&base, params, data, out),
        );
        let out = leaves.get(..nleaves * ds).unwrap_or_default();
        if size == 0 {
            first_leaf =
                Digest::from_slice(out.get(..ds).unwrap_or_default()).unwrap_or(first_leaf);
        }
        tree.update(&mut d, out)
            .map_err(|e| anyhow::anyhow!("Merkle tree: {e}"))?;
        size += n as u64;
        if let Some(p) = progress {
            p.inc(n as u64);
        }
        std::mem::swap(&mut cur, &mut next);
        n = read?;
    }
    let root = if size == 0 {
        Digest::zero(params.alg())
    } else if size <= bs as u64 {
        first_leaf
    } else {
        tree.finish(&mut d)
            .map_err(|e| anyhow::anyhow!("Merkle tree: {e}"))?
    };
    let Ok(digest) = merkle::file_digest(&mut d, params, size, &root);
    Ok(FileDigest { size, root, digest })
}

/// Computes the fs-verity digest of the file at `path`, showing a progress
/// bar on standard error when `progress` is set, it is a terminal and the
/// file is large.
pub fn digest_file(path: &Path, params: &Params, progress: bool) -> Result<FileDigest> {
    let mut f =
        File::open(path).with_context(|| format!("{}: cannot open for reading", path.display()))?;
    let meta = f
        .metadata()
        .with_context(|| format!("{}: cannot stat", path.display()))?;
    if meta.is_dir() {
        anyhow::bail!("{}: is a directory", path.display());
    }
    let bar = (progress && meta.len() >= PROGRESS_THRESHOLD && std::io::stderr().is_terminal())
        .then(|| {
            let bar = ProgressBar::new(meta.len());
            if let Ok(style) = ProgressStyle::with_template(
                "{msg} {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
            ) {
                bar.set_style(style);
            }
            bar.set_message(path.display().to_string());
            bar
        });
    let r = digest_reader(&mut f, params, bar.as_ref())
        .with_context(|| format!("{}: read error", path.display()));
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    r
}

/// The hex digits of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    arbor_format::hex::Hex(bytes).to_string()
}

/// Parses exactly `size` bytes given in hex.
pub fn parse_hex_exact(s: &str, size: usize) -> Result<Vec<u8>> {
    if s.len() != 2 * size || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        anyhow::bail!("{s:?} is not {size} bytes in hex");
    }
    Ok((0..size)
        .filter_map(|i| {
            s.get(2 * i..2 * i + 2)
                .and_then(|p| u8::from_str_radix(p, 16).ok())
        })
        .collect())
}

/// Parses a salt given in hex, as `fsverity digest --salt` takes it.
pub fn parse_salt(s: &str) -> Result<Vec<u8>> {
    if s.len() % 2 != 0 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        anyhow::bail!("salt {s:?} is not a valid hex string");
    }
    let bytes: Vec<u8> = (0..s.len() / 2)
        .filter_map(|i| {
            s.get(2 * i..2 * i + 2)
                .and_then(|p| u8::from_str_radix(p, 16).ok())
        })
        .collect();
    if bytes.len() > merkle::MAX_SALT_SIZE {
        anyhow::bail!(
            "salt is {} bytes, at most {} allowed",
            bytes.len(),
            merkle::MAX_SALT_SIZE
        );
    }
    Ok(bytes)
}

/// Builds Merkle parameters from command-line values.
pub fn params(alg: HashAlgorithm, block_size: u32, salt: &[u8]) -> Result<Params> {
    if !block_size.is_power_of_two() {
        anyhow::bail!("block size {block_size} is not a power of two from 1024 to 65536");
    }
    let log = u8::try_from(block_size.trailing_zeros()).unwrap_or(u8::MAX);
    Params::new::<()>(alg, log, salt).map_err(|e| anyhow::anyhow!("{e}"))
}
