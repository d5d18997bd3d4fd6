// SPDX-License-Identifier: GPL-2.0
//! Userspace hashing plugged into the shared format code.
//!
//! This file is also compiled into arbor-format's host tests
//! (format/tests/common/mod.rs includes it with `#[path]`), so that the host
//! crates have one SHA digester. It may therefore use only `arbor_format`,
//! `sha2` and `core`/`std`: a dev-dependency of arbor-format on this crate
//! would link a second arbor-format whose `Digester` is another trait.

use arbor_format::merkle::{Digester, HashAlgorithm};
use sha2::Digest as _;

/// SHA-256 or SHA-512 through the RustCrypto `sha2` crate, as a
/// [`Digester`] for the shared Merkle code.
#[derive(Clone)]
pub enum Sha {
    /// SHA-256.
    S256(sha2::Sha256),
    /// SHA-512.
    S512(sha2::Sha512),
}

impl Sha {
    /// A fresh hash of algorithm `alg`.
    pub fn new(alg: HashAlgorithm) -> Self {
        match alg {
            HashAlgorithm::Sha256 => Sha::S256(sha2::Sha256::new()),
            HashAlgorithm::Sha512 => Sha::S512(sha2::Sha512::new()),
        }
    }

    /// Adds `data` to the message.
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Sha::S256(h) => h.update(data),
            Sha::S512(h) => h.update(data),
        }
    }

    /// Ends the message and writes the digest into `out`, which must be the
    /// algorithm's digest size long (shorter or longer `out` gets a prefix).
    pub fn finish_into(self, out: &mut [u8]) {
        match self {
            Sha::S256(h) => copy_prefix(out, &h.finalize()),
            Sha::S512(h) => copy_prefix(out, &h.finalize()),
        }
    }
}

fn copy_prefix(out: &mut [u8], digest: &[u8]) {
    // The shared Merkle code always passes exactly the digest size; a
    // mismatch is its bug, which the tests (debug builds) must see rather
    // than a silently truncated digest.
    debug_assert_eq!(out.len(), digest.len(), "digest buffer of the wrong size");
    let n = out.len().min(digest.len());
    if let (Some(dst), Some(src)) = (out.get_mut(..n), digest.get(..n)) {
        dst.copy_from_slice(src);
    }
}

impl Digester for Sha {
    type Error = core::convert::Infallible;

    fn init(&mut self) -> Result<(), Self::Error> {
        match self {
            Sha::S256(h) => *h = sha2::Sha256::new(),
            Sha::S512(h) => *h = sha2::Sha512::new(),
        }
        Ok(())
    }

    fn update(&mut self, data: &[u8]) -> Result<(), Self::Error> {
        Sha::update(self, data);
        Ok(())
    }

    fn finish(&mut self, out: &mut [u8]) -> Result<(), Self::Error> {
        match self {
            Sha::S256(h) => copy_prefix(out, &h.finalize_reset()),
            Sha::S512(h) => copy_prefix(out, &h.finalize_reset()),
        }
        Ok(())
    }
}
