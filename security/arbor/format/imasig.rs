// SPDX-License-Identifier: GPL-2.0
//! IMA signature version 3 over an fs-verity digest: the `security.ima`
//! value of type `IMA_VERITY_DIGSIG`.
//!
//! Layout (big-endian, as IMA's `struct signature_v2_hdr`):
//!
//! ```text
//! offset 0  u8    type       6 (IMA_VERITY_DIGSIG)
//! offset 1  u8    version    3
//! offset 2  u8    hash_algo  the kernel's HASH_ALGO_* number (4 SHA-256, 6 SHA-512)
//! offset 3  be32  keyid      the last 4 bytes of the signer's subjectKeyIdentifier
//! offset 7  be16  sig_size
//! offset 9  sig              sig_size bytes: PKCS#1 v1.5 (RSA) or X9.62 (ECDSA)
//! ```
//!
//! The signed message is the hash, with `hash_algo`, of IMA's file id:
//! `u8 type (6) || u8 hash_algo || the fs-verity digest`
//! (see `calc_file_id_hash()` in IMA). `hash_algo` must be the fs-verity
//! digest's own algorithm.

use super::merkle::{Digest, HashAlgorithm, MAX_DIGEST_SIZE};

/// `IMA_VERITY_DIGSIG`: the type byte of a sigv3 over an fs-verity digest.
pub const IMA_VERITY_DIGSIG: u8 = 0x06;
/// Size of the header before the signature.
pub const HEADER_SIZE: usize = 9;
/// `EVM_IMA_XATTR_DIGSIG`: the type byte of a signature over a file hash.
pub const EVM_IMA_XATTR_DIGSIG: u8 = 0x03;

/// Whether a `security.ima` value is a signature (of either type), which
/// the `sig` field of IMA's `ima-sig` template records; a file hash
/// (`IMA_XATTR_DIGEST_NG`) or anything else leaves the field empty.
pub fn is_signature(value: &[u8]) -> bool {
    matches!(
        value.first(),
        Some(&EVM_IMA_XATTR_DIGSIG | &IMA_VERITY_DIGSIG)
    )
}

/// Why a `security.ima` value is not a usable sigv3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The value is not of type `IMA_VERITY_DIGSIG` (for example an IMA
    /// file hash, or a signature over the whole file): no fs-verity
    /// signature at all.
    NotVerity,
    /// The value ends inside the header.
    Truncated,
    /// The version is not 3.
    BadVersion,
    /// `hash_algo` is not SHA-256 or SHA-512.
    UnknownHashAlgorithm,
    /// `sig_size` is zero or does not match the rest of the value.
    BadLength,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::NotVerity => "not an fs-verity signature (type 6)",
            Self::Truncated => "value ends inside the header",
            Self::BadVersion => "version is not 3",
            Self::UnknownHashAlgorithm => "hash algorithm is not SHA-256 or SHA-512",
            Self::BadLength => "signature size does not match the value",
        })
    }
}

/// A parsed sigv3, borrowing the signature bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigV3<'a> {
    /// The hash algorithm of the digest and of the signed file id.
    pub alg: HashAlgorithm,
    /// The signer's key id (last 4 bytes of its subjectKeyIdentifier).
    pub keyid: u32,
    /// The raw signature.
    pub sig: &'a [u8],
}

/// The kernel's `HASH_ALGO_*` number for `alg`.
pub const fn kernel_hash_algo(alg: HashAlgorithm) -> u8 {
    match alg {
        HashAlgorithm::Sha256 => 4,
        HashAlgorithm::Sha512 => 6,
    }
}

/// Parses a `security.ima` value as a sigv3 over an fs-verity digest.
pub fn parse(value: &[u8]) -> Result<SigV3<'_>, Error> {
    match value.first() {
        Some(&IMA_VERITY_DIGSIG) => {}
        Some(_) | None => return Err(Error::NotVerity),
    }
    if value.len() < HEADER_SIZE {
        return Err(Error::Truncated);
    }
    let (head, sig) = value.split_at(HEADER_SIZE);
    let [_, version, algo, k0, k1, k2, k3, s0, s1] = *head else {
        return Err(Error::Truncated);
    };
    if version != 3 {
        return Err(Error::BadVersion);
    }
    let alg = [HashAlgorithm::Sha256, HashAlgorithm::Sha512]
        .into_iter()
        .find(|&a| kernel_hash_algo(a) == algo)
        .ok_or(Error::UnknownHashAlgorithm)?;
    let size = usize::from(u16::from_be_bytes([s0, s1]));
    if size == 0 || size != sig.len() {
        return Err(Error::BadLength);
    }
    Ok(SigV3 {
        alg,
        keyid: u32::from_be_bytes([k0, k1, k2, k3]),
        sig,
    })
}

/// Writes IMA's file id for `digest` (type, hash algorithm, digest) into
/// `out`; returns its length. Its hash with `alg` is what a sigv3 signs.
pub fn file_id(alg: HashAlgorithm, digest: &Digest, out: &mut [u8; 2 + MAX_DIGEST_SIZE]) -> usize {
    let d = digest.as_bytes();
    out[0] = IMA_VERITY_DIGSIG;
    out[1] = kernel_hash_algo(alg);
    if let Some(dst) = out.get_mut(2..2 + d.len()) {
        dst.copy_from_slice(d);
    }
    2 + d.len()
}

/// Writes the keyring search description for `keyid`, `id:` and eight
/// lower-case hex digits, NUL-terminated, as IMA looks keys up.
pub fn key_description(keyid: u32, out: &mut [u8; 12]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out[..3].copy_from_slice(b"id:");
    for (i, o) in out[3..11].iter_mut().enumerate() {
        let shift = 28 - 4 * i as u32;
        *o = DIGITS[((keyid >> shift) & 0xf) as usize];
    }
    out[11] = 0;
}
