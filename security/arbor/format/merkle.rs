// SPDX-License-Identifier: GPL-2.0
//! fs-verity file digests: the Merkle tree over a file's blocks and the
//! descriptor whose hash is the file digest.
//!
//! The algorithm is the one fs-verity and fsverity-utils implement
//! (Documentation/filesystems/fsverity.rst, "File digest computation"):
//!
//! 1. The data is cut into `block_size` blocks, the last one zero-padded, and
//!    each block is hashed. These hashes, concatenated and cut into blocks
//!    (zero-padded), form tree level 0; hashing those blocks gives level 1,
//!    and so on until a level fits in one block. The hash of that block is
//!    the root hash. A file of at most one block has no tree: its root hash
//!    is the hash of its one (padded) data block. An empty file has an
//!    all-zero root hash.
//! 2. With a salt, every block hash is `H(salt || block)`, the salt being
//!    zero-padded to the hash function's input block size.
//! 3. The file digest is the (unsalted) hash of the 256-byte
//!    `struct fsverity_descriptor` that records the parameters, the data
//!    size and the root hash.
//!
//! [`TreeBuilder`] streams: it keeps one block per tree level, so the memory
//! it needs ([`Params::scratch_size`]) is `levels * block_size` whatever the
//! file size (8 levels of 4 KiB at most for SHA-256 trees on 64-bit sizes).

use core::fmt;

/// Size of `struct fsverity_descriptor`.
pub const DESCRIPTOR_SIZE: usize = 256;
/// Largest digest of a supported hash algorithm (SHA-512).
pub const MAX_DIGEST_SIZE: usize = 64;
/// Largest salt fs-verity accepts.
pub const MAX_SALT_SIZE: usize = 32;
/// Smallest Merkle tree block size fs-verity accepts, as log2 (1 KiB).
pub const MIN_LOG_BLOCK_SIZE: u8 = 10;
/// Largest Merkle tree block size fs-verity accepts, as log2 (64 KiB).
pub const MAX_LOG_BLOCK_SIZE: u8 = 16;
/// Most tree levels [`TreeBuilder`] keeps; more than any 64-bit file needs
/// with the smallest blocks and the largest hash.
pub const MAX_LEVELS: usize = 64;

static ZEROS: [u8; 256] = [0; 256];

/// A hash algorithm fs-verity supports, with its fs-verity number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashAlgorithm {
    /// SHA-256, `FS_VERITY_HASH_ALG_SHA256` (1).
    Sha256,
    /// SHA-512, `FS_VERITY_HASH_ALG_SHA512` (2).
    Sha512,
}

impl HashAlgorithm {
    /// The number fs-verity uses for this algorithm.
    pub const fn id(self) -> u8 {
        match self {
            Self::Sha256 => 1,
            Self::Sha512 => 2,
        }
    }

    /// The algorithm fs-verity numbers `id`, if any.
    pub const fn from_id(id: u8) -> Option<Self> {
        match id {
            1 => Some(Self::Sha256),
            2 => Some(Self::Sha512),
            _ => None,
        }
    }

    /// The algorithm named `name` (as in `sha256`), if any.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "sha256" => Some(Self::Sha256),
            "sha512" => Some(Self::Sha512),
            _ => None,
        }
    }

    /// Name as fs-verity, IMA and the crypto API spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha512 => "sha512",
        }
    }

    /// Size of a digest in bytes.
    pub const fn digest_size(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha512 => 64,
        }
    }

    /// Input block size of the hash function, to which a salt is padded.
    pub const fn input_block_size(self) -> usize {
        match self {
            Self::Sha256 => 64,
            Self::Sha512 => 128,
        }
    }
}

/// An incremental hash function. The kernel implements it with the crypto
/// API, the host tools with a userspace library.
pub trait Digester {
    /// What a failed hash operation reports.
    type Error;
    /// Starts a new message.
    fn init(&mut self) -> Result<(), Self::Error>;
    /// Adds `data` to the message.
    fn update(&mut self, data: &[u8]) -> Result<(), Self::Error>;
    /// Ends the message and writes its digest into `out`, which is exactly
    /// the algorithm's digest size long.
    fn finish(&mut self, out: &mut [u8]) -> Result<(), Self::Error>;
}

/// Why a digest could not be computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error<E> {
    /// The hash function failed.
    Hash(E),
    /// The block size is not a power of two from 1 KiB to 64 KiB.
    BadBlockSize,
    /// The salt is longer than [`MAX_SALT_SIZE`].
    SaltTooLong,
    /// The scratch buffer given to [`TreeBuilder::new`] is too small for
    /// the amount of data that was fed.
    TooLarge,
}

impl<E> From<E> for Error<E> {
    fn from(e: E) -> Self {
        Self::Hash(e)
    }
}

impl<E: fmt::Debug> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Hash(e) => write!(f, "hash function failed: {e:?}"),
            Self::BadBlockSize => {
                f.write_str("block size must be a power of two from 1024 to 65536")
            }
            Self::SaltTooLong => f.write_str("salt is longer than 32 bytes"),
            Self::TooLarge => f.write_str("more data than the Merkle tree scratch space allows"),
        }
    }
}

/// The parameters of an fs-verity Merkle tree.
///
/// # Invariants
///
/// `log_block_size` is in `MIN_LOG_BLOCK_SIZE..=MAX_LOG_BLOCK_SIZE` and
/// `salt_size <= MAX_SALT_SIZE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    alg: HashAlgorithm,
    log_block_size: u8,
    salt: [u8; MAX_SALT_SIZE],
    salt_size: u8,
}

impl Params {
    /// What `fsverity digest` uses by default: SHA-256, 4 KiB blocks, no salt.
    pub const fn fsverity_default() -> Self {
        // INVARIANT: 12 is in range and the salt is empty.
        Self {
            alg: HashAlgorithm::Sha256,
            log_block_size: 12,
            salt: [0; MAX_SALT_SIZE],
            salt_size: 0,
        }
    }

    /// Parameters for `alg`, `2^log_block_size`-byte blocks and `salt`.
    pub fn new<E>(alg: HashAlgorithm, log_block_size: u8, salt: &[u8]) -> Result<Self, Error<E>> {
        if !(MIN_LOG_BLOCK_SIZE..=MAX_LOG_BLOCK_SIZE).contains(&log_block_size) {
            return Err(Error::BadBlockSize);
        }
        let mut buf = [0; MAX_SALT_SIZE];
        buf.get_mut(..salt.len())
            .ok_or(Error::SaltTooLong)?
            .copy_from_slice(salt);
        // INVARIANT: both were checked above; salt.len() <= 32 fits in u8.
        Ok(Self {
            alg,
            log_block_size,
            salt: buf,
            salt_size: salt.len() as u8,
        })
    }

    /// The hash algorithm.
    pub const fn alg(&self) -> HashAlgorithm {
        self.alg
    }

    /// log2 of the block size.
    pub const fn log_block_size(&self) -> u8 {
        self.log_block_size
    }

    /// The Merkle tree block size in bytes.
    pub const fn block_size(&self) -> usize {
        1 << self.log_block_size
    }

    /// The salt (possibly empty).
    pub fn salt(&self) -> &[u8] {
        self.salt
            .get(..usize::from(self.salt_size))
            .unwrap_or_default()
    }

    /// How many hashes fit in one tree block.
    pub const fn hashes_per_block(&self) -> usize {
        self.block_size() / self.alg.digest_size()
    }

    /// Number of tree levels above the data for a file of `data_size`
    /// bytes: 0 for files of at most one block, as in fs-verity.
    pub fn num_levels(&self, data_size: u64) -> usize {
        let bs = self.block_size() as u64;
        let per_block = self.hashes_per_block() as u64;
        let mut blocks = data_size.div_ceil(bs);
        let mut levels = 0;
        while blocks > 1 {
            blocks = blocks.div_ceil(per_block);
            levels += 1;
        }
        levels
    }

    /// Bytes of scratch space [`TreeBuilder`] needs for `data_size` bytes.
    pub fn scratch_size(&self, data_size: u64) -> usize {
        self.num_levels(data_size).max(1) * self.block_size()
    }

    /// Number of data blocks of a file of `data_size` bytes: of tree
    /// leaves.
    pub fn data_blocks(&self, data_size: u64) -> u64 {
        data_size.div_ceil(self.block_size() as u64)
    }

    /// Bytes of the leaves [`TreeBuilder::keep_leaves`] keeps for a file of
    /// `data_size` bytes (one digest per data block); `None` if that does
    /// not fit in memory's address space.
    pub fn leaves_size(&self, data_size: u64) -> Option<usize> {
        usize::try_from(self.data_blocks(data_size))
            .ok()?
            .checked_mul(self.alg.digest_size())
    }

    /// Hashes `salt || block...` with the salt padded as fs-verity pads it.
    fn hash_salted<D: Digester>(
        &self,
        d: &mut D,
        parts: &[&[u8]],
        out: &mut [u8],
    ) -> Result<(), D::Error> {
        d.init()?;
        self.update_salt(d)?;
        for part in parts {
            d.update(part)?;
        }
        d.finish(out)
    }

    fn update_salt<D: Digester>(&self, d: &mut D) -> Result<(), D::Error> {
        if self.salt_size > 0 {
            d.update(self.salt())?;
            let pad = self.alg.input_block_size() - usize::from(self.salt_size);
            update_zeros(d, pad)?;
        }
        Ok(())
    }
}

/// Feeds `n` zero bytes to `d`.
fn update_zeros<D: Digester>(d: &mut D, mut n: usize) -> Result<(), D::Error> {
    while n > 0 {
        let k = n.min(ZEROS.len());
        d.update(ZEROS.get(..k).unwrap_or_default())?;
        n -= k;
    }
    Ok(())
}

/// A digest of up to [`MAX_DIGEST_SIZE`] bytes.
///
/// # Invariants
///
/// `len <= MAX_DIGEST_SIZE`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Digest {
    bytes: [u8; MAX_DIGEST_SIZE],
    len: u8,
}

impl Digest {
    /// An all-zero digest of `alg`'s size.
    pub const fn zero(alg: HashAlgorithm) -> Self {
        // INVARIANT: digest sizes are at most MAX_DIGEST_SIZE.
        Self {
            bytes: [0; MAX_DIGEST_SIZE],
            len: alg.digest_size() as u8,
        }
    }

    /// Copies `bytes` into a digest; `None` if it is longer than
    /// [`MAX_DIGEST_SIZE`].
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        let mut d = Self {
            bytes: [0; MAX_DIGEST_SIZE],
            len: 0,
        };
        d.bytes.get_mut(..bytes.len())?.copy_from_slice(bytes);
        // INVARIANT: the copy above succeeded, so len <= MAX_DIGEST_SIZE.
        d.len = bytes.len() as u8;
        Some(d)
    }

    /// The digest bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }

    fn as_mut_bytes(&mut self) -> &mut [u8] {
        self.bytes
            .get_mut(..usize::from(self.len))
            .unwrap_or_default()
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", super::hex::Hex(self.as_bytes()))
    }
}

/// Computes a Merkle root hash from a stream of file data.
///
/// Feed the data in order with [`update`](Self::update), in pieces of any
/// size, then call [`finish`](Self::finish). Tree blocks are hashed as soon as
/// they are complete: a level's block is hashed into the level above when a
/// further hash arrives for it, so the block left at the top when the data
/// ends is the root block.
pub struct TreeBuilder<'a> {
    params: Params,
    /// One block per level: `levels.len() / block_size` levels.
    levels: &'a mut [u8],
    /// Bytes used in each level's block.
    fill: [usize; MAX_LEVELS],
    /// Whether a level has already passed a full block up.
    flushed: [bool; MAX_LEVELS],
    /// Bytes of the current data block fed to the digester so far.
    block_fill: usize,
    /// Data bytes fed in all.
    data_size: u64,
    /// Where the data blocks' hashes (the tree's leaves) are kept, in
    /// order, if asked for (see [`Self::keep_leaves`]).
    leaves: Option<&'a mut [u8]>,
    /// Leaves kept so far.
    kept: usize,
}

impl<'a> TreeBuilder<'a> {
    /// Starts a tree that keeps its level blocks in `scratch`; see
    /// [`Params::scratch_size`] for how much a file of a given size needs.
    pub fn new(params: Params, scratch: &'a mut [u8]) -> Self {
        let usable = (scratch.len() / params.block_size()).min(MAX_LEVELS) * params.block_size();
        let levels = scratch.get_mut(..usable).unwrap_or_default();
        Self {
            params,
            levels,
            fill: [0; MAX_LEVELS],
            flushed: [false; MAX_LEVELS],
            block_fill: 0,
            data_size: 0,
            leaves: None,
            kept: 0,
        }
    }

    /// Also keeps the hash of each data block, in order, in `leaves`: one
    /// digest per block, [`Params::leaves_size`] bytes for a file of a
    /// given size. Hashes past the end of `leaves` are not kept (the data
    /// outgrew the size it was sized for); [`Self::kept_leaves`] says how
    /// many were.
    pub fn keep_leaves(mut self, leaves: &'a mut [u8]) -> Self {
        self.leaves = Some(leaves);
        self
    }

    /// Number of data block hashes kept so far in the slice given to
    /// [`Self::keep_leaves`].
    pub fn kept_leaves(&self) -> usize {
        self.kept
    }

    /// Number of data bytes fed so far.
    pub fn data_size(&self) -> u64 {
        self.data_size
    }

    fn nlevels(&self) -> usize {
        self.levels.len() / self.params.block_size()
    }

    fn level_block(&mut self, level: usize) -> Option<&mut [u8]> {
        let bs = self.params.block_size();
        self.levels
            .get_mut(level.checked_mul(bs)?..level.checked_add(1)?.checked_mul(bs)?)
    }

    /// Feeds the next piece of file data.
    pub fn update<D: Digester>(
        &mut self,
        d: &mut D,
        mut data: &[u8],
    ) -> Result<(), Error<D::Error>> {
        let bs = self.params.block_size();
        while !data.is_empty() {
            if self.block_fill == 0 {
                d.init()?;
                self.params.update_salt(d)?;
            }
            let n = data.len().min(bs - self.block_fill);
            let (piece, rest) = data.split_at(n);
            d.update(piece)?;
            self.block_fill += n;
            self.data_size += n as u64;
            data = rest;
            if self.block_fill == bs {
                self.end_data_block(d)?;
            }
        }
        Ok(())
    }

    /// Hashes the current (possibly partial) data block into level 0.
    fn end_data_block<D: Digester>(&mut self, d: &mut D) -> Result<(), Error<D::Error>> {
        update_zeros(d, self.params.block_size() - self.block_fill)?;
        let mut hash = Digest::zero(self.params.alg);
        d.finish(hash.as_mut_bytes())?;
        self.block_fill = 0;
        if let Some(leaves) = self.leaves.as_deref_mut() {
            let ds = self.params.alg.digest_size();
            let at = self.kept.saturating_mul(ds);
            if let Some(slot) = leaves.get_mut(at..at.saturating_add(ds)) {
                slot.copy_from_slice(hash.as_bytes());
                self.kept += 1;
            }
        }
        self.push_hash(d, 0, hash)
    }

    /// Appends `hash` to `level`, first passing the level's block up if it
    /// is full (which may cascade upwards).
    fn push_hash<D: Digester>(
        &mut self,
        d: &mut D,
        mut level: usize,
        mut hash: Digest,
    ) -> Result<(), Error<D::Error>> {
        let ds = self.params.alg.digest_size();
        loop {
            if level >= self.nlevels() {
                return Err(Error::TooLarge);
            }
            let fill = self.fill.get(level).copied().ok_or(Error::TooLarge)?;
            let full = fill + ds > self.params.block_size();
            let mut up = Digest::zero(self.params.alg);
            if full {
                self.hash_level(d, level, &mut up)?;
                if let Some(f) = self.flushed.get_mut(level) {
                    *f = true;
                }
            }
            let start = if full { 0 } else { fill };
            let block = self.level_block(level).ok_or(Error::TooLarge)?;
            block
                .get_mut(start..start + ds)
                .ok_or(Error::TooLarge)?
                .copy_from_slice(hash.as_bytes());
            if let Some(f) = self.fill.get_mut(level) {
                *f = start + ds;
            }
            if !full {
                return Ok(());
            }
            hash = up;
            level += 1;
        }
    }

    /// Zero-pads `level`'s block, hashes it into `out` and empties the level.
    fn hash_level<D: Digester>(
        &mut self,
        d: &mut D,
        level: usize,
        out: &mut Digest,
    ) -> Result<(), Error<D::Error>> {
        let fill = self.fill.get(level).copied().ok_or(Error::TooLarge)?;
        let params = self.params;
        let block = self.level_block(level).ok_or(Error::TooLarge)?;
        block.get_mut(fill..).unwrap_or_default().fill(0);
        params.hash_salted(d, &[block], out.as_mut_bytes())?;
        if let Some(f) = self.fill.get_mut(level) {
            *f = 0;
        }
        Ok(())
    }

    /// Ends the data: hashes the last, partial data block, if any, so that
    /// its leaf is kept (see [`Self::kept_leaves`]). [`Self::finish`] does
    /// it too; data fed after it starts a new block.
    pub fn end_data<D: Digester>(&mut self, d: &mut D) -> Result<(), Error<D::Error>> {
        if self.block_fill > 0 {
            self.end_data_block(d)?;
        }
        Ok(())
    }

    /// Ends the data and returns the root hash.
    pub fn finish<D: Digester>(mut self, d: &mut D) -> Result<Digest, Error<D::Error>> {
        self.end_data(d)?;
        let ds = self.params.alg.digest_size();
        if self.data_size == 0 {
            return Ok(Digest::zero(self.params.alg));
        }
        if self.data_size <= self.params.block_size() as u64 {
            // One data block: no tree, the root is that block's hash.
            let block = self.level_block(0).ok_or(Error::TooLarge)?;
            return Digest::from_slice(block.get(..ds).unwrap_or_default()).ok_or(Error::TooLarge);
        }
        let mut level = 0;
        loop {
            let mut hash = Digest::zero(self.params.alg);
            self.hash_level(d, level, &mut hash)?;
            if !self.flushed.get(level).copied().unwrap_or(true) {
                // This level never filled a block before: its one block is the root.
                return Ok(hash);
            }
            self.push_hash(d, level + 1, hash)?;
            level += 1;
        }
    }
}

/// Encodes the `struct fsverity_descriptor` fs-verity hashes into the file
/// digest (with the signature size field zero, as for hashing).
pub fn descriptor(params: &Params, data_size: u64, root: &Digest) -> [u8; DESCRIPTOR_SIZE] {
    let mut desc = [0u8; DESCRIPTOR_SIZE];
    desc[0] = 1; // version
    desc[1] = params.alg.id();
    desc[2] = params.log_block_size;
    desc[3] = params.salt_size;
    // desc[4..8]: sig_size, zero when hashing.
    desc[8..16].copy_from_slice(&data_size.to_le_bytes());
    let root = root.as_bytes();
    if let Some(dst) = desc.get_mut(16..16 + root.len()) {
        dst.copy_from_slice(root);
    }
    let salt = params.salt();
    if let Some(dst) = desc.get_mut(80..80 + salt.len()) {
        dst.copy_from_slice(salt);
    }
    desc
}

/// The fs-verity file digest: the hash of the descriptor of a file of
/// `data_size` bytes whose Merkle root is `root`.
pub fn file_digest<D: Digester>(
    d: &mut D,
    params: &Params,
    data_size: u64,
    root: &Digest,
) -> Result<Digest, D::Error> {
    let desc = descriptor(params, data_size, root);
    let mut out = Digest::zero(params.alg);
    d.init()?;
    d.update(&desc)?;
    d.finish(out.as_mut_bytes())?;
    Ok(out)
}

/// The fs-verity built-in signature's signed message for a file digest:
/// `"FSVerity" || le16 algorithm || le16 digest size || digest`, the
/// `struct fsverity_formatted_digest` that `fsverity sign` signs.
pub fn formatted_digest(
    alg: HashAlgorithm,
    digest: &Digest,
    out: &mut [u8; 12 + MAX_DIGEST_SIZE],
) -> usize {
    let d = digest.as_bytes();
    out[..8].copy_from_slice(b"FSVerity");
    out[8..10].copy_from_slice(&u16::from(alg.id()).to_le_bytes());
    out[10..12].copy_from_slice(&(d.len() as u16).to_le_bytes());
    if let Some(dst) = out.get_mut(12..12 + d.len()) {
        dst.copy_from_slice(d);
    }
    12 + d.len()
}
