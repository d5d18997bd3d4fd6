// SPDX-License-Identifier: GPL-2.0
//! `arbor digest`: the fsverity-utils vectors, the parallel leaf hashing
//! against the shared streaming TreeBuilder, and byte-identical output
//! against `fsverity digest`.

mod common;

use arbor_cli::digest::{digest_reader, params};
use arbor_cli::hash::Sha;
use arbor_format::merkle::{self, HashAlgorithm, Params, TreeBuilder};
use common::{arbor, have, noise, ok, pattern, run};
use std::io::Cursor;
use std::process::Command;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The digest computed entirely by the shared code, fed in one piece.
fn shared_digest(params: &Params, data: &[u8]) -> Vec<u8> {
    let mut d = Sha::new(params.alg());
    let mut scratch = vec![0u8; params.scratch_size(data.len() as u64)];
    let mut tree = TreeBuilder::new(*params, &mut scratch);
    tree.update(&mut d, data).unwrap();
    let root = tree.finish(&mut d).unwrap();
    merkle::file_digest(&mut d, params, data.len() as u64, &root)
        .unwrap()
        .as_bytes()
        .to_vec()
}

fn cli_digest(params: &Params, data: &[u8]) -> Vec<u8> {
    let r = digest_reader(&mut Cursor::new(data), params, None).unwrap();
    assert_eq!(r.size, data.len() as u64);
    r.digest.as_bytes().to_vec()
}

#[test]
fn fsverity_utils_vectors() {
    let cases: &[(u32, &[u8], usize, &str)] = &[
        (
            4096,
            b"",
            1_000_000,
            "48df0c462329cd879661bd05b39aa81b05cc16afd27a7196a559da83531d39d9",
        ),
        (
            4096,
            b"",
            100_000,
            "f2096a36c5cdca4fa33ee8852833150bb324992e5417a9d571f1bffff73b9efc",
        ),
        (
            4096,
            b"",
            4096,
            "6ac39979016e3ddf3d39fff6cb984f7c118acdf1852919f5c100c4b142c1818e",
        ),
        (
            4096,
            b"",
            1,
            "b803429503d95915829b29fdbc8bbad142f3abfd11b1cadf5526582e685c0551",
        ),
        (
            4096,
            b"",
            0,
            "3d248ca542a24fc62d1c43b916eae5016878e2533c88238480b26128a1f1af95",
        ),
        (
            4096,
            b"abcd",
            1_000_000,
            "917900b0d299454aa304d5debc6f39e4af7b5abe33bdbc568d5d8f1e5c4d8652",
        ),
        (
            1024,
            b"",
            1_000_000,
            "e9df927c14fcb961d5f51c666d8ae4c14fe4ff98a374c733e898d00c9e74a8e3",
        ),
        (
            65536,
            b"",
            1_000_000,
            "f3b6418f26d4d0e74728193bae76f15cb4bb2ce9777448d76bd8138b69ec61c2",
        ),
    ];
    for &(bs, salt, size, want) in cases {
        let p = params(HashAlgorithm::Sha256, bs, salt).unwrap();
        assert_eq!(
            hex(&cli_digest(&p, &pattern(size))),
            want,
            "bs {bs} salt {salt:?} size {size}"
        );
    }
}

/// The parallel leaf hashing plus the shared tree over the leaf hashes
/// must equal the shared streaming code over the data, for every shape of
/// tree: empty, one partial block, one block, just over, full levels and
/// one past them, and sizes around the 8 MiB read chunk.
#[test]
fn parallel_matches_shared_treebuilder() {
    let data = noise((8 << 20) + 5000, 7);
    for alg in [HashAlgorithm::Sha256, HashAlgorithm::Sha512] {
        for (bs, salt) in [
            (1024u32, &b""[..]),
            (4096, b"\x01\x02\x03"),
            (65536, &[0x5a; 32][..]),
        ] {
            let p = params(alg, bs, salt).unwrap();
            let b = bs as usize;
            let per = b / alg.digest_size();
            let mut sizes = vec![
                0,
                1,
                b - 1,
                b,
                b + 1,
                2 * b,
                per * b,
                per * b + 1,
                (8 << 20) - 1,
                8 << 20,
                (8 << 20) + 1,
            ];
            if per * per * b < data.len() {
                sizes.extend([per * per * b, per * per * b + 1]);
            }
            for size in sizes.into_iter().filter(|&s| s <= data.len()) {
                let d = &data[..size];
                assert_eq!(
                    cli_digest(&p, d),
                    shared_digest(&p, d),
                    "{alg:?} bs {bs} size {size}"
                );
            }
        }
    }
}

#[test]
fn params_validation() {
    for bad in [0u32, 512, 3000, 131072] {
        assert!(params(HashAlgorithm::Sha256, bad, b"").is_err(), "{bad}");
    }
    assert!(params(HashAlgorithm::Sha256, 4096, &[0; 33]).is_err());
    assert!(arbor_cli::digest::parse_salt("abc").is_err());
    assert!(arbor_cli::digest::parse_salt("zz").is_err());
    assert!(arbor_cli::digest::parse_salt(&"00".repeat(33)).is_err());
    assert_eq!(arbor_cli::digest::parse_salt("00ff").unwrap(), [0, 0xff]);
}

/// `arbor digest` and `fsverity digest` print the same bytes for the same
/// files and options.
#[test]
fn same_output_as_fsverity_digest() {
    if !have("fsverity") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sets: &[(&str, u32, Option<&str>)] = &[
        ("sha256", 4096, None),
        ("sha256", 1024, Some("abcd")),
        ("sha512", 1024, None),
        (
            "sha512",
            4096,
            Some("0011223344556677889900112233445566778899001122334455667788990011"),
        ),
        ("sha256", 65536, None),
    ];
    for (i, &(alg, bs, salt)) in sets.iter().enumerate() {
        let b = bs as usize;
        let per = b / if alg == "sha256" { 32 } else { 64 };
        let mut sizes = vec![0, 1, b - 1, b, b + 1, 3 * b + 17];
        if per * b <= 1 << 20 {
            sizes.extend([per * b, per * b + 1]);
        }
        if per * per * b <= 1 << 20 {
            sizes.push(per * per * b + 1);
        }
        let files: Vec<_> = sizes
            .iter()
            .map(|&s| {
                let p = dir.path().join(format!("f{i}-{s}"));
                std::fs::write(&p, noise(s, s as u64 + 1)).unwrap();
                p
            })
            .collect();
        for compact in [false, true] {
            let mut ours = arbor();
            ours.args(["digest", "--hash-alg", alg, "--block-size", &bs.to_string()]);
            let mut theirs = Command::new("fsverity");
            theirs.args([
                "digest",
                &format!("--hash-alg={alg}"),
                &format!("--block-size={bs}"),
            ]);
            if let Some(s) = salt {
                ours.args(["--salt", s]);
                theirs.arg(format!("--salt={s}"));
            }
            if compact {
                ours.arg("--compact");
                theirs.arg("--compact");
            }
            ours.args(&files);
            theirs.args(&files);
            assert_eq!(
                ok(&mut ours),
                ok(&mut theirs),
                "{alg} {bs} {salt:?} compact={compact}"
            );
        }
    }
    // --for-builtin-sig prints the formatted digest, as fsverity-utils does.
    let f = dir.path().join("f0-1");
    assert_eq!(
        ok(arbor().args(["digest", "--for-builtin-sig"]).arg(&f)),
        ok(Command::new("fsverity")
            .args(["digest", "--for-builtin-sig"])
            .arg(&f))
    );
}

#[test]
fn thread_counts_agree() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("data");
    std::fs::write(&f, noise(3 << 20, 99)).unwrap();
    let one = ok(arbor().args(["digest", "--threads", "1"]).arg(&f));
    let two = ok(arbor().args(["digest", "--threads", "2"]).arg(&f));
    let env1 = ok(arbor().env("RAYON_NUM_THREADS", "1").arg("digest").arg(&f));
    assert_eq!(one, two);
    assert_eq!(one, env1);
}

#[test]
fn errors_name_the_file_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let out = run(arbor().arg("digest").arg(&missing));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("missing") && err.contains("No such file"),
        "{err}"
    );
    let out = run(arbor().arg("digest").arg(dir.path()));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("directory"));
    for args in [
        &["digest"][..],
        &["digest", "--block-size", "3000", "x"],
        &["digest", "--salt", "xyz", "x"],
        &["digest", "--hash-alg", "md5", "x"],
        &["digest", "--threads", "0", "x"],
        &["digest", "--threads", "100000", "x"],
    ] {
        let out = run(arbor().args(args));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
}

#[test]
fn help_for_every_subcommand() {
    for args in [
        &["--help"][..],
        &["digest", "--help"],
        &["sign", "--help"],
        &["log", "--help"],
        &["log", "show", "--help"],
        &["log", "verify", "--help"],
    ] {
        let out = ok(arbor().args(args));
        assert!(out.contains("Usage"), "{args:?}: {out}");
    }
    assert!(ok(arbor().args(["log", "verify", "--help"])).contains("Exit status"));
}
