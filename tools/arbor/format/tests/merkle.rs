// SPDX-License-Identifier: GPL-2.0
//! fs-verity digests from the shared Merkle code against fsverity-utils.

mod common;

use arbor_format::merkle::{HashAlgorithm, Params};
use common::{fsverity_digest, hex, pattern};
use std::process::Command;

fn params(alg: HashAlgorithm, log_bs: u8, salt: &[u8]) -> Params {
    Params::new::<()>(alg, log_bs, salt).unwrap()
}

/// The vectors of fsverity-utils' lib/compute_digest test, as recorded in
/// ../shared/notes/anchors.md.
#[test]
fn fsverity_utils_vectors() {
    let sha256 = HashAlgorithm::Sha256;
    let cases: &[(u8, &[u8], usize, &str)] = &[
        (
            12,
            b"",
            1_000_000,
            "48df0c462329cd879661bd05b39aa81b05cc16afd27a7196a559da83531d39d9",
        ),
        (
            12,
            b"",
            100_000,
            "f2096a36c5cdca4fa33ee8852833150bb324992e5417a9d571f1bffff73b9efc",
        ),
        (
            12,
            b"",
            4096,
            "6ac39979016e3ddf3d39fff6cb984f7c118acdf1852919f5c100c4b142c1818e",
        ),
        (
            12,
            b"",
            1,
            "b803429503d95915829b29fdbc8bbad142f3abfd11b1cadf5526582e685c0551",
        ),
        (
            12,
            b"",
            0,
            "3d248ca542a24fc62d1c43b916eae5016878e2533c88238480b26128a1f1af95",
        ),
        (
            12,
            b"abcd",
            1_000_000,
            "917900b0d299454aa304d5debc6f39e4af7b5abe33bdbc568d5d8f1e5c4d8652",
        ),
        (
            10,
            b"",
            1_000_000,
            "e9df927c14fcb961d5f51c666d8ae4c14fe4ff98a374c733e898d00c9e74a8e3",
        ),
        (
            16,
            b"",
            1_000_000,
            "f3b6418f26d4d0e74728193bae76f15cb4bb2ce9777448d76bd8138b69ec61c2",
        ),
    ];
    for &(log_bs, salt, size, want) in cases {
        let data = pattern(size);
        // Whole, block-unaligned and byte-at-a-time feeding must agree.
        for piece in [size.max(1), 4097, 1000, 1] {
            if piece == 1 && size > 100_000 {
                continue;
            }
            let got = hex(&fsverity_digest(params(sha256, log_bs, salt), &data, piece));
            assert_eq!(
                got, want,
                "size {size} log_bs {log_bs} salt {salt:?} piece {piece}"
            );
        }
    }
}

#[test]
fn levels_match_fsverity() {
    let p = Params::fsverity_default();
    assert_eq!(p.num_levels(0), 0);
    assert_eq!(p.num_levels(4096), 0);
    assert_eq!(p.num_levels(4097), 1);
    assert_eq!(p.num_levels(128 * 4096), 1);
    assert_eq!(p.num_levels(128 * 4096 + 1), 2);
    assert_eq!(p.num_levels(u64::MAX), 8);
    assert_eq!(p.scratch_size(u64::MAX), 8 * 4096);
}

#[test]
fn bad_parameters_are_rejected() {
    use arbor_format::merkle::Error;
    assert_eq!(
        Params::new::<()>(HashAlgorithm::Sha256, 9, b""),
        Err(Error::BadBlockSize)
    );
    assert_eq!(
        Params::new::<()>(HashAlgorithm::Sha256, 17, b""),
        Err(Error::BadBlockSize)
    );
    assert_eq!(
        Params::new::<()>(HashAlgorithm::Sha256, 12, &[0; 33]),
        Err(Error::SaltTooLong)
    );
}

#[test]
fn too_small_scratch_is_an_error_not_a_panic() {
    use arbor_format::merkle::{Error, TreeBuilder};
    let p = Params::fsverity_default();
    let mut d = common::Sha::new(HashAlgorithm::Sha256);
    let mut scratch = vec![0u8; 4096]; // one level: enough for 128 blocks only
    let mut tree = TreeBuilder::new(p, &mut scratch);
    let data = vec![7u8; 4096 * 200];
    assert_eq!(tree.update(&mut d, &data), Err(Error::TooLarge));
}

fn fsverity_tool(path: &std::path::Path, extra: &[&str]) -> String {
    let out = Command::new("fsverity")
        .arg("digest")
        .args(extra)
        .arg(path)
        .output()
        .expect("fsverity (fsverity-utils) must be installed: run scripts/setup.sh");
    assert!(
        out.status.success(),
        "fsverity digest failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8(out.stdout).unwrap();
    let digest = line.split_whitespace().next().unwrap();
    digest.split_once(':').unwrap().1.to_string()
}

/// Random data of awkward sizes against the `fsverity digest` binary.
#[test]
fn awkward_sizes_match_fsverity_digest() {
    let dir = std::env::temp_dir().join(format!("arbor-merkle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut seed = 0x2545f4914f6cdd1du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed as u8
    };
    let sizes = [
        0usize,
        1,
        4095,
        4096,
        4097,
        8192,
        128 * 4096,
        128 * 4096 + 1,
        129 * 4096 - 1,
        3 << 20,
    ];
    for (i, &size) in sizes.iter().enumerate() {
        let data: Vec<u8> = (0..size).map(|_| next()).collect();
        let path = dir.join(format!("f{i}"));
        std::fs::write(&path, &data).unwrap();
        for (alg, log_bs, salt, args) in [
            (HashAlgorithm::Sha256, 12, &b""[..], vec![]),
            (
                HashAlgorithm::Sha512,
                12,
                &b""[..],
                vec!["--hash-alg=sha512"],
            ),
            (
                HashAlgorithm::Sha256,
                10,
                &b"\x01\x02\x03"[..],
                vec!["--block-size=1024", "--salt=010203"],
            ),
        ] {
            let want = fsverity_tool(&path, &args);
            let got = hex(&fsverity_digest(params(alg, log_bs, salt), &data, 65536));
            assert_eq!(got, want, "size {size} {args:?}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
