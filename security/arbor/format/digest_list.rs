// SPDX-License-Identifier: GPL-2.0
//! Digest lists: signed sets of reference fs-verity digests.
//!
//! A list is a 64-byte header followed by its digests, fixed-size and in
//! strictly increasing byte order, so that the kernel checks it in one
//! pass and looks a digest up by binary search, with no text to parse and
//! no variable-length record to walk. Little-endian, version 1:
//!
//! ```text
//! offset size
//!      0    8  magic "ARBORDL\0"
//!      8    2  version (1)
//!     10    1  kind: 1 allow, 2 revoke
//!     11    1  hash algorithm, as fs-verity numbers it: 1 SHA-256, 2 SHA-512
//!     12    1  log2 of the Merkle tree block size (10 to 16)
//!     13    1  salt size (0 to 32)
//!     14    2  reserved, 0
//!     16   32  salt, zero-padded after its size
//!     48    8  number of digests
//!     56    8  reserved, 0
//!     64       the digests: count x digest size (32 or 64) bytes
//! ```
//!
//! Each digest is a file's fs-verity digest computed with the header's
//! algorithm, block size and salt, exactly what `fsverity digest` prints
//! with the same options. Nothing may follow the last digest.
//!
//! A *signed* list, as the kernel loads it, is the list followed at once
//! by a detached PKCS#7 signature (DER `SignedData` without content) over
//! the list's bytes, header and digests: the list's length follows from its
//! header, and everything after it is the signature ([`split_signed`]).

use super::merkle::{HashAlgorithm, Params, MAX_LOG_BLOCK_SIZE, MAX_SALT_SIZE, MIN_LOG_BLOCK_SIZE};

/// The magic at offset 0.
pub const MAGIC: [u8; 8] = *b"ARBORDL\0";
/// The version this code reads and writes.
pub const VERSION: u16 = 1;
/// Size of the header.
pub const HEADER_SIZE: usize = 64;

/// What a list says about the files whose digests it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Trusted, as if signed.
    Allow,
    /// Refused, whatever else vouches for them.
    Revoke,
}

impl Kind {
    /// The byte the header stores.
    pub const fn code(self) -> u8 {
        match self {
            Self::Allow => 1,
            Self::Revoke => 2,
        }
    }

    /// The kind stored as `code`.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Self::Allow),
            2 => Some(Self::Revoke),
            _ => None,
        }
    }

    /// The kind's name, for messages.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Revoke => "revoke",
        }
    }
}

/// Why a list was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Shorter than the header, or than the digests it announces.
    Truncated,
    /// Not a digest list.
    BadMagic,
    /// A version this code does not read.
    Version(u16),
    /// Neither allow nor revoke.
    Kind(u8),
    /// An algorithm fs-verity does not define here.
    Algorithm(u8),
    /// A block size out of range.
    BlockSize(u8),
    /// A salt longer than 32 bytes.
    SaltSize(u8),
    /// A reserved field, or salt padding, is not zero.
    Reserved,
    /// Bytes follow the last digest.
    TrailingBytes,
    /// No digests.
    Empty,
    /// Digest `n` is not greater than the one before it (unsorted, or a
    /// duplicate).
    Order(u64),
    /// The output buffer is too small (encoding).
    NoSpace,
    /// No signature follows the list.
    Unsigned,
}

impl Error {
    /// A short description, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Truncated => "truncated",
            Self::BadMagic => "not a digest list",
            Self::Version(_) => "unknown version",
            Self::Kind(_) => "unknown kind",
            Self::Algorithm(_) => "unknown hash algorithm",
            Self::BlockSize(_) => "block size out of range",
            Self::SaltSize(_) => "salt longer than 32 bytes",
            Self::Reserved => "reserved bytes are not zero",
            Self::TrailingBytes => "bytes after the last digest",
            Self::Empty => "no digests",
            Self::Order(_) => "digests not in strictly increasing order",
            Self::NoSpace => "buffer too small",
            Self::Unsigned => "no signature after the digests",
        }
    }
}

/// A header's fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Allow or revoke.
    pub kind: Kind,
    /// The Merkle parameters the digests were computed with.
    pub params: Params,
    /// Number of digests.
    pub count: u64,
}

/// A checked list, borrowing its digests.
///
/// # Invariants
///
/// `digests` is `header.count` digests of `digest_size` bytes, in strictly
/// increasing order.
#[derive(Clone, Copy, Debug)]
pub struct List<'a> {
    /// The header.
    pub header: Header,
    digest_size: usize,
    digests: &'a [u8],
}

fn u16_at(h: &[u8; HEADER_SIZE], at: usize) -> u16 {
    let mut v = [0u8; 2];
    if let Some(s) = h.get(at..at + 2) {
        v.copy_from_slice(s);
    }
    u16::from_le_bytes(v)
}

fn u64_at(h: &[u8; HEADER_SIZE], at: usize) -> u64 {
    let mut v = [0u8; 8];
    if let Some(s) = h.get(at..at + 8) {
        v.copy_from_slice(s);
    }
    u64::from_le_bytes(v)
}

/// Checks a header.
fn parse_header(h: &[u8; HEADER_SIZE]) -> Result<Header, Error> {
    let [m0, m1, m2, m3, m4, m5, m6, m7, _, _, kind, alg, log_block, salt_size, ..] = *h;
    if [m0, m1, m2, m3, m4, m5, m6, m7] != MAGIC {
        return Err(Error::BadMagic);
    }
    let version = u16_at(h, 8);
    if version != VERSION {
        return Err(Error::Version(version));
    }
    let kind = Kind::from_code(kind).ok_or(Error::Kind(kind))?;
    let alg = HashAlgorithm::from_id(alg).ok_or(Error::Algorithm(alg))?;
    if !(MIN_LOG_BLOCK_SIZE..=MAX_LOG_BLOCK_SIZE).contains(&log_block) {
        return Err(Error::BlockSize(log_block));
    }
    let salt_len = usize::from(salt_size);
    if salt_len > MAX_SALT_SIZE {
        return Err(Error::SaltSize(salt_size));
    }
    let salt_field = h.get(16..48).unwrap_or_default();
    let (salt, padding) = salt_field.split_at(salt_len);
    if u16_at(h, 14) != 0 || u64_at(h, 56) != 0 || padding.iter().any(|&b| b != 0) {
        return Err(Error::Reserved);
    }
    let params =
        Params::new::<()>(alg, log_block, salt).map_err(|_| Error::BlockSize(log_block))?;
    Ok(Header {
        kind,
        params,
        count: u64_at(h, 48),
    })
}

/// Splits a signed list into the list and the signature that follows it,
/// from the length the header announces. Only the header is checked here;
/// [`parse`] checks the list.
pub fn split_signed(b: &[u8]) -> Result<(&[u8], &[u8]), Error> {
    let (h, _) = b
        .split_first_chunk::<HEADER_SIZE>()
        .ok_or(Error::Truncated)?;
    let header = parse_header(h)?;
    let len = usize::try_from(header.count)
        .ok()
        .and_then(|n| encoded_len(&header.params, n))
        .ok_or(Error::Truncated)?;
    if b.len() < len {
        return Err(Error::Truncated);
    }
    let (list, signature) = b.split_at(len);
    if signature.is_empty() {
        return Err(Error::Unsigned);
    }
    Ok((list, signature))
}

/// Parses and checks a whole list: header, length, order.
pub fn parse(b: &[u8]) -> Result<List<'_>, Error> {
    let (h, rest) = b
        .split_first_chunk::<HEADER_SIZE>()
        .ok_or(Error::Truncated)?;
    let header = parse_header(h)?;
    if header.count == 0 {
        return Err(Error::Empty);
    }
    let digest_size = header.params.alg().digest_size();
    let len = usize::try_from(header.count)
        .ok()
        .and_then(|n| n.checked_mul(digest_size))
        .ok_or(Error::Truncated)?;
    let digests = rest.get(..len).ok_or(Error::Truncated)?;
    if rest.len() > len {
        return Err(Error::TrailingBytes);
    }
    let mut prev: Option<&[u8]> = None;
    for (i, d) in digests.chunks_exact(digest_size).enumerate() {
        if prev.is_some_and(|p| p >= d) {
            return Err(Error::Order(i as u64));
        }
        prev = Some(d);
    }
    // INVARIANT: `count` digests of `digest_size` bytes, checked in order.
    Ok(List {
        header,
        digest_size,
        digests,
    })
}

impl<'a> List<'a> {
    /// Size of each digest.
    pub fn digest_size(&self) -> usize {
        self.digest_size
    }

    /// The digests, in order.
    pub fn digests(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.digests.chunks_exact(self.digest_size)
    }

    /// Whether `digest` is in the list: a binary search.
    pub fn contains(&self, digest: &[u8]) -> bool {
        contains(self.digests, self.digest_size, digest)
    }
}

/// Whether `digest` is among `digests`, `size`-byte digests in strictly
/// increasing order: a binary search, about log2(n) comparisons.
pub fn contains(digests: &[u8], size: usize, digest: &[u8]) -> bool {
    if size == 0 || digest.len() != size {
        return false;
    }
    let (mut lo, mut hi) = (0usize, digests.len() / size);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let Some(d) = digests.get(mid * size..(mid + 1) * size) else {
            return false;
        };
        match d.cmp(digest) {
            core::cmp::Ordering::Less => lo = mid + 1,
            core::cmp::Ordering::Greater => hi = mid,
            core::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// Size of a list of `count` digests with `params`.
pub fn encoded_len(params: &Params, count: usize) -> Option<usize> {
    count
        .checked_mul(params.alg().digest_size())?
        .checked_add(HEADER_SIZE)
}

/// Writes the header of a list of `count` digests of `kind`, computed
/// with `params`, into `out` (at least [`HEADER_SIZE`] bytes); the digests
/// follow it, sorted, written by the caller.
pub fn encode_header(kind: Kind, params: &Params, count: u64, out: &mut [u8]) -> Result<(), Error> {
    let h = out.get_mut(..HEADER_SIZE).ok_or(Error::NoSpace)?;
    h.fill(0);
    let salt = params.salt();
    let mut put = |at: usize, bytes: &[u8]| {
        if let Some(d) = h.get_mut(at..at + bytes.len()) {
            d.copy_from_slice(bytes);
        }
    };
    put(0, &MAGIC);
    put(8, &VERSION.to_le_bytes());
    put(
        10,
        &[
            kind.code(),
            params.alg().id(),
            params.log_block_size(),
            salt.len() as u8,
        ],
    );
    put(16, salt);
    put(48, &count.to_le_bytes());
    Ok(())
}
