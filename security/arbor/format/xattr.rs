// SPDX-License-Identifier: GPL-2.0
//! The `security.arbor` extended attribute: an fs-verity built-in signature
//! together with the Merkle tree parameters it was made for.
//!
//! Layout, byte by byte (all fields are single bytes, so there is no
//! endianness):
//!
//! ```text
//! offset 0            u8  version          always 1 (VERSION)
//! offset 1            u8  hash_algorithm   fs-verity number: 1 = SHA-256, 2 = SHA-512
//! offset 2            u8  log_blocksize    log2 of the Merkle block size, 10..=16
//! offset 3            u8  salt_size        0..=32
//! offset 4            u8  salt[salt_size]  the Merkle tree salt, unpadded
//! offset 4+salt_size  PKCS#7 SignedData, DER, detached, running to the end
//!                     of the value
//! ```
//!
//! The PKCS#7 message signs `struct fsverity_formatted_digest`
//! (`"FSVerity" || le16 hash_algorithm || le16 digest_size || digest`, see
//! [`super::merkle::formatted_digest`]) of the file digest computed with
//! these parameters: the message `fsverity sign` writes. The signature must
//! be one DER `SEQUENCE` whose encoded length is exactly the rest of the
//! value; [`parse`] checks that outer framing only and leaves the content to
//! a PKCS#7 parser. The whole value is at most [`XATTR_SIZE_MAX`] bytes, the
//! largest value Linux stores in an extended attribute.

use super::merkle::{HashAlgorithm, Params, MAX_SALT_SIZE};

/// Name of the extended attribute.
pub const NAME: &str = "security.arbor";
/// Name of the same value where a filesystem carries no `security.*`
/// attributes (NFS carries only `user.*` ones); the kernel reads it only
/// where its policy lets a signature there vouch.
pub const USER_NAME: &str = "user.arbor";
/// The only layout version defined.
pub const VERSION: u8 = 1;
/// Size of the fixed header before the salt.
pub const HEADER_SIZE: usize = 4;
/// Largest value Linux keeps in one extended attribute (`XATTR_SIZE_MAX`).
pub const XATTR_SIZE_MAX: usize = 65536;

/// Why a value could not be parsed or encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The value has no bytes at all.
    Empty,
    /// The value ends inside the header or the salt.
    Truncated,
    /// The version byte is not [`VERSION`].
    BadVersion,
    /// The hash algorithm number is not one fs-verity defines.
    BadAlgorithm,
    /// `log_blocksize` is outside 10..=16.
    BadBlockSize,
    /// `salt_size` is above 32.
    SaltTooLong,
    /// Nothing follows the salt.
    NoSignature,
    /// What follows the salt is not one DER `SEQUENCE` that fills the rest
    /// of the value exactly.
    BadSignature,
    /// The value is longer than [`XATTR_SIZE_MAX`].
    TooLong,
    /// The output buffer given to [`encode`] is too small.
    NoSpace,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Empty => "empty value",
            Self::Truncated => "value ends inside the header or salt",
            Self::BadVersion => "unknown version (expected 1)",
            Self::BadAlgorithm => "unknown fs-verity hash algorithm",
            Self::BadBlockSize => "log2 block size outside 10..=16",
            Self::SaltTooLong => "salt longer than 32 bytes",
            Self::NoSignature => "no PKCS#7 signature after the header",
            Self::BadSignature => "signature is not one DER SEQUENCE filling the rest of the value",
            Self::TooLong => "value longer than 65536 bytes",
            Self::NoSpace => "output buffer too small",
        })
    }
}

/// A parsed `security.arbor` value, borrowing from the value's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    params: Params,
    pkcs7: &'a [u8],
}

impl<'a> Header<'a> {
    /// The Merkle tree parameters (algorithm, block size, salt).
    pub const fn params(&self) -> &Params {
        &self.params
    }

    /// The salt (possibly empty).
    pub fn salt(&self) -> &[u8] {
        self.params.salt()
    }

    /// The DER PKCS#7 signature.
    pub const fn pkcs7(&self) -> &'a [u8] {
        self.pkcs7
    }
}

/// Checks that `der` is exactly one DER `SEQUENCE` (tag 0x30, definite
/// length in short form or long form of one to three bytes).
fn check_der_sequence(der: &[u8]) -> Result<(), Error> {
    let (&tag, rest) = der.split_first().ok_or(Error::NoSignature)?;
    if tag != 0x30 {
        return Err(Error::BadSignature);
    }
    let (&first, mut rest) = rest.split_first().ok_or(Error::BadSignature)?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 3 || rest.len() < n {
            return Err(Error::BadSignature);
        }
        let (bytes, tail) = rest.split_at(n);
        rest = tail;
        // DER: the shortest form, so no leading zero byte and no long form
        // for lengths below 128.
        if bytes.first() == Some(&0) {
            return Err(Error::BadSignature);
        }
        let len = bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        if len < 0x80 {
            return Err(Error::BadSignature);
        }
        len
    };
    if len != rest.len() {
        return Err(Error::BadSignature);
    }
    Ok(())
}

/// Parses a `security.arbor` value.
pub fn parse(value: &[u8]) -> Result<Header<'_>, Error> {
    if value.is_empty() {
        return Err(Error::Empty);
    }
    if value.len() > XATTR_SIZE_MAX {
        return Err(Error::TooLong);
    }
    if value.len() < HEADER_SIZE {
        return Err(Error::Truncated);
    }
    let (head, rest) = value.split_at(HEADER_SIZE);
    let (version, alg, log_bs, salt_size) = match *head {
        [a, b, c, d] => (a, b, c, d),
        _ => return Err(Error::Truncated),
    };
    if version != VERSION {
        return Err(Error::BadVersion);
    }
    let alg = HashAlgorithm::from_id(alg).ok_or(Error::BadAlgorithm)?;
    let salt_size = usize::from(salt_size);
    if salt_size > MAX_SALT_SIZE {
        return Err(Error::SaltTooLong);
    }
    if rest.len() < salt_size {
        return Err(Error::Truncated);
    }
    let (salt, pkcs7) = rest.split_at(salt_size);
    let params = Params::new::<()>(alg, log_bs, salt).map_err(|e| match e {
        super::merkle::Error::SaltTooLong => Error::SaltTooLong,
        _ => Error::BadBlockSize,
    })?;
    check_der_sequence(pkcs7)?;
    Ok(Header { params, pkcs7 })
}

/// Size of the value [`encode`] writes for `params` and `pkcs7`.
pub fn encoded_len(params: &Params, pkcs7: &[u8]) -> Option<usize> {
    HEADER_SIZE
        .checked_add(params.salt().len())?
        .checked_add(pkcs7.len())
}

/// Writes the value for `params` and the DER PKCS#7 signature `pkcs7` into
/// `out`, returning the number of bytes written.
pub fn encode(params: &Params, pkcs7: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    check_der_sequence(pkcs7)?;
    let len = encoded_len(params, pkcs7).ok_or(Error::TooLong)?;
    if len > XATTR_SIZE_MAX {
        return Err(Error::TooLong);
    }
    let out = out.get_mut(..len).ok_or(Error::NoSpace)?;
    let salt = params.salt();
    let (head, rest) = out.split_at_mut(HEADER_SIZE);
    let (salt_out, sig_out) = rest.split_at_mut(salt.len());
    // INVARIANT of Params: the salt is at most 32 bytes, so it fits in u8.
    head.copy_from_slice(&[
        VERSION,
        params.alg().id(),
        params.log_block_size(),
        salt.len() as u8,
    ]);
    salt_out.copy_from_slice(salt);
    sig_out.copy_from_slice(pkcs7);
    Ok(len)
}
