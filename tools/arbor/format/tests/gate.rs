// SPDX-License-Identifier: GPL-2.0
//! The readpage gate: the leaves the tree builder keeps, and the check of
//! each block read against them, with the hashes computed independently
//! (the `sha2` crate over each zero-padded block).

mod common;

use arbor_format::gate::{self, Leaves, Refused, Unsupported, BLOCK_SIZE};
use arbor_format::merkle::{HashAlgorithm, Params, TreeBuilder};
use common::{fsverity_digest, pattern, Sha};
use sha2::{Digest as _, Sha256};

/// Sizes around block and tree-level boundaries (128 leaves fill a tree
/// block).
const SIZES: [usize; 9] = [
    0,
    1,
    4095,
    4096,
    4097,
    128 * 4096,
    128 * 4096 + 1,
    1_000_000,
    129 * 128 * 4096 + 77,
];

/// The file's blocks, the last one zero-padded, as the page cache holds
/// them.
fn blocks(data: &[u8]) -> Vec<Vec<u8>> {
    data.chunks(BLOCK_SIZE)
        .map(|c| {
            let mut b = c.to_vec();
            b.resize(BLOCK_SIZE, 0);
            b
        })
        .collect()
}

fn sha256(data: &[u8], out: &mut [u8]) -> Result<(), ()> {
    out.copy_from_slice(&Sha256::digest(data));
    Ok(())
}

/// Builds the tree of `data` fed in `piece`-byte pieces, keeping leaves;
/// returns the file digest and the leaves.
fn tree_with_leaves(data: &[u8], piece: usize) -> (Vec<u8>, Vec<u8>, usize) {
    let params = Params::fsverity_default();
    let size = data.len() as u64;
    let mut d = Sha::new(params.alg());
    let mut scratch = vec![0u8; params.scratch_size(size)];
    let mut leaves = vec![0u8; params.leaves_size(size).unwrap()];
    let mut tree = TreeBuilder::new(params, &mut scratch).keep_leaves(&mut leaves);
    for chunk in data.chunks(piece.max(1)) {
        tree.update(&mut d, chunk).unwrap();
    }
    tree.end_data(&mut d).unwrap();
    let kept = tree.kept_leaves();
    let root = tree.finish(&mut d).unwrap();
    let digest = arbor_format::merkle::file_digest(&mut d, &params, size, &root)
        .unwrap()
        .as_bytes()
        .to_vec();
    (digest, leaves, kept)
}

#[test]
fn kept_leaves_are_the_blocks_hashes_and_change_nothing_else() {
    let params = Params::fsverity_default();
    for size in SIZES {
        let data = pattern(size);
        let expect: Vec<u8> = blocks(&data)
            .iter()
            .flat_map(|b| Sha256::digest(b).to_vec())
            .collect();
        for piece in [1000, 4096, 65536] {
            let (digest, leaves, kept) = tree_with_leaves(&data, piece);
            assert_eq!(leaves, expect, "size {size}, pieces of {piece}");
            assert_eq!(kept as u64, params.data_blocks(size as u64), "size {size}");
            assert_eq!(digest, fsverity_digest(params, &data, piece), "size {size}");
        }
    }
}

#[test]
fn a_short_leaf_buffer_keeps_what_fits() {
    let params = Params::fsverity_default();
    let data = pattern(5 * BLOCK_SIZE);
    let mut d = Sha::new(params.alg());
    let mut scratch = vec![0u8; params.scratch_size(data.len() as u64)];
    let mut leaves = vec![0u8; 2 * 32 + 5];
    let mut tree = TreeBuilder::new(params, &mut scratch).keep_leaves(&mut leaves);
    tree.update(&mut d, &data).unwrap();
    assert_eq!(tree.kept_leaves(), 2);
    tree.finish(&mut d).unwrap();
    assert_eq!(&leaves[..32], &Sha256::digest(&data[..BLOCK_SIZE])[..]);
    assert_eq!(&leaves[64..], &[0; 5]);
}

#[test]
fn every_block_of_the_appraised_content_passes() {
    for size in SIZES {
        let data = pattern(size);
        let (_, digests, _) = tree_with_leaves(&data, 65536);
        let leaves = Leaves {
            alg: HashAlgorithm::Sha256,
            size: size as u64,
            digests: &digests,
        };
        assert!(leaves.complete(), "size {size}");
        for (i, b) in blocks(&data).iter().enumerate() {
            assert_eq!(
                leaves.check_block(i as u64, b, sha256),
                Ok(()),
                "{size} {i}"
            );
        }
        // Past the end, zeros (what a filesystem fills a folio with).
        let n = data.len().div_ceil(BLOCK_SIZE) as u64;
        for i in [n, n + 1, n + 1000] {
            assert_eq!(leaves.check_block(i, &[0; BLOCK_SIZE], sha256), Ok(()));
        }
    }
}

#[test]
fn other_data_is_refused() {
    let size = 3 * BLOCK_SIZE + 100;
    let data = pattern(size);
    let (_, digests, _) = tree_with_leaves(&data, 4096);
    let leaves = Leaves {
        alg: HashAlgorithm::Sha256,
        size: size as u64,
        digests: &digests,
    };
    let good = blocks(&data);
    for (i, b) in good.iter().enumerate() {
        for at in [0, 1, 99, 100, 4095] {
            let mut bad = b.clone();
            bad[at] ^= 0x40;
            assert_eq!(
                leaves.check_block(i as u64, &bad, sha256),
                Err(Refused::Mismatch),
                "block {i}, byte {at}"
            );
        }
        // Another block's data, in this block's place.
        let other = &good[(i + 1) % good.len()];
        assert_eq!(
            leaves.check_block(i as u64, other, sha256),
            Err(Refused::Mismatch)
        );
    }
    // Data past the end of the appraised content, in the last block or in
    // a block of its own.
    let mut tail = good[3].clone();
    tail[200] = 1;
    assert_eq!(leaves.check_block(3, &tail, sha256), Err(Refused::Mismatch));
    let mut past = vec![0u8; BLOCK_SIZE];
    past[4095] = 1;
    assert_eq!(leaves.check_block(4, &past, sha256), Err(Refused::PastEnd));
    assert_eq!(
        leaves.check_block(u64::MAX, &past, sha256),
        Err(Refused::PastEnd)
    );
}

#[test]
fn leaves_that_do_not_cover_the_size_refuse() {
    let data = pattern(2 * BLOCK_SIZE);
    let (_, digests, _) = tree_with_leaves(&data, 4096);
    let short = Leaves {
        alg: HashAlgorithm::Sha256,
        size: 3 * BLOCK_SIZE as u64,
        digests: &digests,
    };
    assert!(!short.complete());
    assert_eq!(
        short.check_block(2, &[0; BLOCK_SIZE], sha256),
        Err(Refused::NoLeaf)
    );
    let odd = Leaves {
        alg: HashAlgorithm::Sha256,
        size: 2 * BLOCK_SIZE as u64,
        digests: &digests[..63],
    };
    assert!(!odd.complete());
    // A failing hash is reported as such, never as a pass.
    let full = Leaves {
        alg: HashAlgorithm::Sha256,
        size: 2 * BLOCK_SIZE as u64,
        digests: &digests,
    };
    assert!(full.complete());
    assert_eq!(
        full.check_block(0, &blocks(&data)[0], |_, _| Err(7)),
        Err(Refused::Hash(7))
    );
}

#[test]
fn only_unsalted_page_sized_trees_are_checked_per_page() {
    assert_eq!(gate::supported(&Params::fsverity_default()), Ok(()));
    let p = |log, salt: &[u8]| Params::new::<()>(HashAlgorithm::Sha512, log, salt).unwrap();
    assert_eq!(gate::supported(&p(12, b"")), Ok(()));
    assert_eq!(gate::supported(&p(10, b"")), Err(Unsupported::BlockSize));
    assert_eq!(gate::supported(&p(16, b"")), Err(Unsupported::BlockSize));
    assert_eq!(gate::supported(&p(12, b"s")), Err(Unsupported::Salt));
}

#[test]
fn memory_limit_parses_kib_in_range() {
    assert_eq!(gate::parse_memory_kib(b"0"), Some(0));
    assert_eq!(gate::parse_memory_kib(b"16384"), Some(16384));
    assert_eq!(
        gate::parse_memory_kib(b"4194304"),
        Some(gate::MAX_MEMORY_KIB)
    );
    for bad in [
        &b""[..],
        b"4194305",
        b"99999999999",
        b"-1",
        b"16K",
        b" 16",
        b"0x10",
    ] {
        assert_eq!(gate::parse_memory_kib(bad), None, "{bad:?}");
    }
}
