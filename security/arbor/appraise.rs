// SPDX-License-Identifier: GPL-2.0
//! Appraisal: is a file's fs-verity digest vouched for by a trusted key?

use crate::format::merkle::{self, Digest, HashAlgorithm, Params, MAX_DIGEST_SIZE};
use crate::format::{imasig, xattr};
use crate::kapi::crypto::Shash;
use crate::kapi::keys;
use kernel::c_str;
use kernel::prelude::*;
use kernel::str::CStr;

use crate::format::decision::Reason;

/// The `security.arbor` value of a file, as far as it could be parsed.
pub(crate) enum Signature<'a> {
    /// No attribute.
    None,
    /// The attribute could not be read.
    Unreadable,
    /// A value that does not parse.
    Malformed(xattr::Error),
    /// A parsed value.
    Arbor(xattr::Header<'a>),
    /// No `security.arbor`, but an IMA sigv3 in `security.ima`.
    ImaSigV3(imasig::SigV3<'a>),
    /// No `security.arbor`, and a malformed sigv3 in `security.ima`.
    MalformedIma(imasig::Error),
}

impl<'a> Signature<'a> {
    /// Parses the attribute value, if there is one.
    pub(crate) fn parse(value: Option<&'a [u8]>) -> Self {
        match value.map(xattr::parse) {
            None => Self::None,
            Some(Ok(h)) => Self::Arbor(h),
            Some(Err(e)) => Self::Malformed(e),
        }
    }

    /// Parses a `security.ima` value, consulted when there is no
    /// `security.arbor`. A value that is not an fs-verity signature at all
    /// (an IMA file hash, a signature over the whole file) counts as none.
    pub(crate) fn parse_ima(value: &'a [u8]) -> Self {
        match imasig::parse(value) {
            Ok(s) => Self::ImaSigV3(s),
            Err(imasig::Error::NotVerity) => Self::None,
            Err(e) => Self::MalformedIma(e),
        }
    }

    /// The Merkle parameters to compute the digest with: the signature's,
    /// else fs-verity's defaults.
    pub(crate) fn params(&self) -> Params {
        match self {
            Self::Arbor(h) => *h.params(),
            _ => Params::fsverity_default(),
        }
    }
}

/// Checks `sig` against the file digest `digest` (of algorithm `alg`);
/// `hash` is a transform for `alg` (IMA sigv3 signs a hash of the digest).
pub(crate) fn check(
    sig: &Signature<'_>,
    alg: HashAlgorithm,
    digest: &Digest,
    hash: &Shash,
) -> Result<(), Reason> {
    let header = match sig {
        Signature::None => return Err(Reason::Unsigned),
        Signature::Unreadable => return Err(Reason::XattrUnreadable),
        Signature::Malformed(e) => return Err(Reason::MalformedXattr(*e)),
        Signature::MalformedIma(e) => return Err(Reason::MalformedImaSig(*e)),
        Signature::ImaSigV3(s) => return check_ima(s, alg, digest, hash),
        Signature::Arbor(h) => h,
    };
    // The signed message is fs-verity's `struct fsverity_formatted_digest`,
    // so `fsverity sign` output is a valid signature.
    let mut msg = [0u8; 12 + MAX_DIGEST_SIZE];
    let len = merkle::formatted_digest(alg, digest, &mut msg);
    let msg = msg.get(..len).ok_or(Reason::BadSignature)?;
    keys::verify_pkcs7(msg, header.pkcs7()).map_err(verify_reason)
}

fn verify_reason(e: keys::VerifyError) -> Reason {
    match e {
        keys::VerifyError::Rejected => Reason::BadSignature,
        keys::VerifyError::UnknownKey => Reason::UnknownKey,
        keys::VerifyError::Other(e) => Reason::MalformedSignature(e.to_errno()),
    }
}

/// An IMA sigv3: a raw signature over the hash of IMA's file id.
fn check_ima(
    s: &imasig::SigV3<'_>,
    alg: HashAlgorithm,
    digest: &Digest,
    hash: &Shash,
) -> Result<(), Reason> {
    // The signature names the digest's algorithm; any other is a signature
    // over some other digest.
    if s.alg != alg {
        return Err(Reason::BadSignature);
    }
    let mut id = [0u8; 2 + MAX_DIGEST_SIZE];
    let n = imasig::file_id(alg, digest, &mut id);
    let mut signed = [0u8; MAX_DIGEST_SIZE];
    let signed = signed
        .get_mut(..alg.digest_size())
        .ok_or(Reason::NoDigest)?;
    hash.digest(id.get(..n).unwrap_or_default(), signed)
        .map_err(|_| Reason::NoDigest)?;
    let mut desc = [0u8; 12];
    imasig::key_description(s.keyid, &mut desc);
    let desc = CStr::from_bytes_with_nul(&desc).map_err(|_| Reason::BadSignature)?;
    let hash_name = match alg {
        HashAlgorithm::Sha256 => c_str!("sha256"),
        HashAlgorithm::Sha512 => c_str!("sha512"),
    };
    keys::verify_raw(desc, hash_name, signed, s.sig).map_err(verify_reason)
}
