// SPDX-License-Identifier: GPL-2.0
//! Helpers for the host tests of the shared format code: userspace
//! hashing, and a sink that collects rendered text.
#![allow(dead_code)]

use arbor_format::merkle::{self, Digester, HashAlgorithm, Params, TreeBuilder};
use sha2::Digest as _;

/// SHA-256 or SHA-512 through the `sha2` crate.
pub enum Sha {
    S256(sha2::Sha256),
    S512(sha2::Sha512),
}

impl Sha {
    pub fn new(alg: HashAlgorithm) -> Self {
        match alg {
            HashAlgorithm::Sha256 => Sha::S256(sha2::Sha256::new()),
            HashAlgorithm::Sha512 => Sha::S512(sha2::Sha512::new()),
        }
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
        match self {
            Sha::S256(h) => h.update(data),
            Sha::S512(h) => h.update(data),
        }
        Ok(())
    }
    fn finish(&mut self, out: &mut [u8]) -> Result<(), Self::Error> {
        match self {
            Sha::S256(h) => out.copy_from_slice(&h.finalize_reset()),
            Sha::S512(h) => out.copy_from_slice(&h.finalize_reset()),
        }
        Ok(())
    }
}

/// fs-verity file digest of `data`, fed in pieces of `piece` bytes.
pub fn fsverity_digest(params: Params, data: &[u8], piece: usize) -> Vec<u8> {
    let mut d = Sha::new(params.alg());
    let mut scratch = vec![0u8; params.scratch_size(data.len() as u64)];
    let mut tree = TreeBuilder::new(params, &mut scratch);
    for chunk in data.chunks(piece.max(1)) {
        tree.update(&mut d, chunk).unwrap();
    }
    let size = tree.data_size();
    assert_eq!(size, data.len() as u64);
    let root = tree.finish(&mut d).unwrap();
    merkle::file_digest(&mut d, &params, size, &root)
        .unwrap()
        .as_bytes()
        .to_vec()
}

/// The fsverity-utils test data pattern: byte i = (i%11 + i%439 + i%1103).
pub fn pattern(size: usize) -> Vec<u8> {
    (0..size)
        .map(|i| ((i % 11 + i % 439 + i % 1103) & 0xff) as u8)
        .collect()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A [`Sink`](arbor_format::template::Sink) that collects what is written.
pub struct Buf(pub Vec<u8>);

impl arbor_format::template::Sink for Buf {
    type Error = std::convert::Infallible;
    fn put(&mut self, bytes: &[u8]) -> Result<(), std::convert::Infallible> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }
}
