// SPDX-License-Identifier: GPL-2.0
//! Helpers for the host tests of the shared format code: userspace
//! hashing (the `arbor` command's), and a sink that collects rendered text.
#![allow(dead_code)]

use arbor_format::merkle::{self, Params, TreeBuilder};

// The host crates' one SHA digester is the `arbor` command's. It is
// compiled in from its source file rather than through a dev-dependency on
// `arbor`, which would bring a second copy of arbor-format (and so a
// `Digester` trait the merkle code here does not know).
#[path = "../../../cli/src/hash.rs"]
mod hash;

pub use hash::Sha;

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
