// SPDX-License-Identifier: GPL-2.0
//! `arbor sign`: the `security.arbor` value's PKCS#7 against OpenSSL and
//! `fsverity sign`, IMA sigv3 values against OpenSSL, key/cert checks, and
//! signature checks in measurement lists.

mod common;

use arbor_cli::log::encode_entry;
use arbor_cli::sign::{check_ima_sig, parse_ima_sig, SigCheck, VerifyKey};
use arbor_format::merkle::HashAlgorithm;
use arbor_format::template::{DigestType, Field, Template};
use arbor_format::xattr;
use common::{arbor, gen_keys, have, noise, ok, run, Keys};
use std::path::{Path, PathBuf};
use std::process::Command;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// The fs-verity digest of `file` per `arbor digest --compact`.
fn digest_of(file: &Path, extra: &[&str]) -> Vec<u8> {
    unhex(ok(arbor().args(["digest", "--compact"]).args(extra).arg(file)).trim())
}

fn formatted(file: &Path, extra: &[&str]) -> Vec<u8> {
    let out = ok(arbor()
        .args(["digest", "--compact", "--for-builtin-sig"])
        .args(extra)
        .arg(file));
    unhex(out.trim())
}

fn sign_arbor(keys: &Keys, file: &Path, out: &Path, extra: &[&str]) {
    ok(arbor()
        .arg("sign")
        .arg("--key")
        .arg(&keys.key)
        .arg("--cert")
        .arg(&keys.cert)
        .args(extra)
        .arg("--out")
        .arg(out)
        .arg(file));
}

/// `openssl smime -verify` on a detached DER PKCS#7 over `content`.
fn openssl_verify_pkcs7(dir: &Path, pkcs7: &[u8], content: &[u8], cert: &Path) -> bool {
    openssl_verify_with("smime", dir, pkcs7, content, cert)
}

/// `openssl SUBCOMMAND -verify` (`smime` or `cms`) on a detached DER PKCS#7
/// over `content`.
fn openssl_verify_with(
    subcommand: &str,
    dir: &Path,
    pkcs7: &[u8],
    content: &[u8],
    cert: &Path,
) -> bool {
    let sig = dir.join("p7.der");
    let msg = dir.join("content.bin");
    std::fs::write(&sig, pkcs7).unwrap();
    std::fs::write(&msg, content).unwrap();
    let out = run(Command::new("openssl")
        .arg(subcommand)
        .args(["-verify", "-binary", "-inform", "DER", "-noverify", "-in"])
        .arg(&sig)
        .arg("-content")
        .arg(&msg)
        .arg("-certfile")
        .arg(cert)
        .args(["-out", "/dev/null"]));
    out.status.success()
}

#[test]
fn arbor_xattr_verifies_with_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data");
    std::fs::write(&file, noise(100_000, 3)).unwrap();
    for kind in ["rsa", "ec"] {
        let keys = gen_keys(dir.path(), kind);
        for extra in [
            &[][..],
            &[
                "--hash-alg",
                "sha512",
                "--block-size",
                "1024",
                "--salt",
                "c0ffee",
            ],
        ] {
            let out = dir.path().join(format!("{kind}.arbor"));
            sign_arbor(&keys, &file, &out, extra);
            let value = std::fs::read(&out).unwrap();
            let h = xattr::parse(&value).unwrap();
            if extra.is_empty() {
                assert_eq!(&value[..4], &[1, 1, 12, 0]);
            } else {
                assert_eq!(h.params().alg(), HashAlgorithm::Sha512);
                assert_eq!(h.params().log_block_size(), 10);
                assert_eq!(h.salt(), [0xc0, 0xff, 0xee]);
            }
            let content = formatted(&file, extra);
            assert!(
                openssl_verify_pkcs7(dir.path(), h.pkcs7(), &content, &keys.cert),
                "{kind} {extra:?}"
            );
            // The same signature over different content must not verify.
            let mut other = content.clone();
            *other.last_mut().unwrap() ^= 1;
            assert!(!openssl_verify_pkcs7(
                dir.path(),
                h.pkcs7(),
                &other,
                &keys.cert
            ));
            // `openssl cms -verify` accepts it too.
            assert!(
                openssl_verify_with("cms", dir.path(), h.pkcs7(), &content, &keys.cert),
                "cms {kind} {extra:?}"
            );
        }
    }
}

/// `fsverity sign` signs the same message the same way: with RSA (a
/// deterministic scheme) the signatures are byte-identical; with ECDSA both
/// verify over the same content.
#[test]
fn same_pkcs7_as_fsverity_sign() {
    if !have("fsverity") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data");
    std::fs::write(&file, noise(12_345, 9)).unwrap();
    for kind in ["rsa", "ec"] {
        let keys = gen_keys(dir.path(), kind);
        let theirs = dir.path().join(format!("{kind}.fsverity.sig"));
        ok(Command::new("fsverity")
            .arg("sign")
            .arg(&file)
            .arg(&theirs)
            .arg(format!("--key={}", keys.key.display()))
            .arg(format!("--cert={}", keys.cert.display())));
        let theirs = std::fs::read(&theirs).unwrap();
        let out = dir.path().join(format!("{kind}.arbor"));
        sign_arbor(&keys, &file, &out, &[]);
        let value = std::fs::read(&out).unwrap();
        let ours = xattr::parse(&value).unwrap().pkcs7().to_vec();
        let content = formatted(&file, &[]);
        assert!(
            openssl_verify_pkcs7(dir.path(), &theirs, &content, &keys.cert),
            "fsverity's {kind}"
        );
        assert!(
            openssl_verify_pkcs7(dir.path(), &ours, &content, &keys.cert),
            "arbor's {kind}"
        );
        if kind == "rsa" {
            assert_eq!(ours, theirs, "RSA PKCS#7 differs from fsverity sign's");
        }
    }
}

#[test]
fn key_and_cert_must_match() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data");
    std::fs::write(&file, b"x").unwrap();
    let rsa = gen_keys(dir.path(), "rsa");
    let ec = gen_keys(dir.path(), "ec");
    let out = run(arbor()
        .arg("sign")
        .arg("--key")
        .arg(&rsa.key)
        .arg("--cert")
        .arg(&ec.cert)
        .arg("--out")
        .arg(dir.path().join("o"))
        .arg(&file));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("does not match") && err.contains("ec.crt"),
        "{err}"
    );
    // Not a key, not a cert, missing files, missing --write/--out.
    for (key, cert) in [
        (&rsa.cert, &rsa.cert),
        (&rsa.key, &rsa.key),
        (&dir.path().join("nope"), &rsa.cert),
    ] {
        let out = run(arbor()
            .arg("sign")
            .arg("--key")
            .arg(key)
            .arg("--cert")
            .arg(cert)
            .arg("--out")
            .arg(dir.path().join("o"))
            .arg(&file));
        assert_eq!(out.status.code(), Some(2));
        assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    }
    let out = run(arbor()
        .arg("sign")
        .arg("--key")
        .arg(&rsa.key)
        .arg("--cert")
        .arg(&rsa.cert)
        .arg(&file));
    assert_eq!(out.status.code(), Some(2));
}

fn sigv3(keys: &Keys, file: &Path, dir: &Path) -> Vec<u8> {
    let out = dir.join("ima.sig");
    sign_arbor(keys, file, &out, &["--ima-sigv3"]);
    std::fs::read(&out).unwrap()
}

/// The sigv3 value: header fields, key id from the certificate, and the
/// signature over H(0x06 | hash_algo | digest) checked by `openssl dgst`.
#[test]
fn ima_sigv3_verifies_with_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data");
    std::fs::write(&file, noise(70_000, 5)).unwrap();
    let digest = digest_of(&file, &[]);
    for kind in ["rsa", "ec"] {
        let keys = gen_keys(dir.path(), kind);
        let value = sigv3(&keys, &file, dir.path());
        assert_eq!(&value[..3], &[0x06, 3, 4]);
        let skid = ok(Command::new("openssl")
            .args(["x509", "-noout", "-ext", "subjectKeyIdentifier", "-in"])
            .arg(&keys.cert));
        let skid: String = skid
            .lines()
            .nth(1)
            .unwrap()
            .trim()
            .replace(':', "")
            .to_lowercase();
        assert_eq!(value[3..7], unhex(&skid)[unhex(&skid).len() - 4..]);
        let size = u16::from_be_bytes([value[7], value[8]]) as usize;
        assert_eq!(size, value.len() - 9);
        let sig = dir.path().join("raw.sig");
        let id = dir.path().join("file_id.bin");
        std::fs::write(&sig, &value[9..]).unwrap();
        let mut file_id = vec![0x06, 4];
        file_id.extend_from_slice(&digest);
        std::fs::write(&id, &file_id).unwrap();
        ok(Command::new("openssl")
            .args(["dgst", "-sha256", "-verify"])
            .arg(&keys.pubkey)
            .arg("-signature")
            .arg(&sig)
            .arg(&id));
        // And arbor's own checker agrees, and rejects a wrong digest.
        let vk = VerifyKey::load(&keys.cert).unwrap();
        assert!(matches!(
            check_ima_sig(&value, "sha256", &digest, std::slice::from_ref(&vk)),
            SigCheck::Good(_)
        ));
        let mut wrong = digest.clone();
        wrong[0] ^= 1;
        assert!(matches!(
            check_ima_sig(&value, "sha256", &wrong, &[vk]),
            SigCheck::Bad(_)
        ));
        assert!(matches!(
            check_ima_sig(&value, "sha256", &digest, &[]),
            SigCheck::UnknownKey(_)
        ));
    }
}

#[test]
fn ima_sig_parser_rejects_garbage() {
    assert!(parse_ima_sig(&[]).is_err());
    assert!(parse_ima_sig(&[6, 3, 4, 0, 0, 0, 0, 0]).is_err());
    assert!(
        parse_ima_sig(&[6, 3, 4, 0, 0, 0, 0, 0, 0]).is_err(),
        "empty signature"
    );
    assert!(
        parse_ima_sig(&[6, 3, 4, 0, 0, 0, 0, 0, 2, 1]).is_err(),
        "short"
    );
    assert!(
        parse_ima_sig(&[6, 3, 4, 0, 0, 0, 0, 0, 1, 1, 1]).is_err(),
        "long"
    );
    assert!(
        parse_ima_sig(&[6, 2, 4, 0, 0, 0, 0, 0, 1, 1]).is_err(),
        "v2 of verity type"
    );
    assert!(
        parse_ima_sig(&[4, 3, 4, 0, 0, 0, 0, 0, 1, 1]).is_err(),
        "not a signature type"
    );
    assert!(parse_ima_sig(&[6, 3, 4, 0, 0, 0, 0, 0, 1, 1]).is_ok());
    assert!(matches!(
        check_ima_sig(&[6, 3, 99, 0, 0, 0, 0, 0, 1, 1], "sha256", &[0; 32], &[]),
        SigCheck::Bad(_)
    ));
    assert!(matches!(
        check_ima_sig(&[6, 3, 4, 0, 0, 0, 0, 0, 1, 1], "sha512", &[0; 64], &[]),
        SigCheck::Bad(_)
    ));
}

fn sig_list(dir: &Path, digest: &[u8], sig: &[u8]) -> PathBuf {
    let fields = [
        Field::DigestNgV2 {
            kind: DigestType::Verity,
            alg: "sha256",
            digest,
        },
        Field::NameNg(b"/usr/bin/signed"),
        Field::Raw(sig),
    ];
    let list = dir.join("list");
    std::fs::write(
        &list,
        encode_entry(10, Template::ImaSigV2, &fields, false).unwrap(),
    )
    .unwrap();
    list
}

/// `arbor log verify --cert` checks the sigv3 signatures in ima-sigv2
/// entries; a corrupted one fails with exit code 1, an unknown key is
/// counted but not failed.
#[test]
fn log_verify_checks_entry_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data");
    std::fs::write(&file, noise(5000, 1)).unwrap();
    let digest = digest_of(&file, &[]);
    let rsa = gen_keys(dir.path(), "rsa");
    let ec = gen_keys(dir.path(), "ec");
    let value = sigv3(&rsa, &file, dir.path());
    let list = sig_list(dir.path(), &digest, &value);
    let out = ok(arbor()
        .args(["log", "verify", "--cert"])
        .arg(&rsa.cert)
        .arg("--cert")
        .arg(&ec.cert)
        .arg(&list));
    assert!(
        out.contains("1 signatures verified, 0 with unknown keys"),
        "{out}"
    );
    let out = ok(arbor()
        .args(["log", "verify", "--cert"])
        .arg(&ec.cert)
        .arg(&list));
    assert!(
        out.contains("0 signatures verified, 1 with unknown keys"),
        "{out}"
    );

    let mut bad = value.clone();
    *bad.last_mut().unwrap() ^= 1;
    let list = sig_list(dir.path(), &digest, &bad);
    let out = run(arbor()
        .args(["log", "verify", "--cert"])
        .arg(&rsa.cert)
        .arg(&list));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("entry 0: bad signature"), "{err}");

    // A signature over another file's digest.
    let mut other = digest.clone();
    other[31] ^= 0x40;
    let list = sig_list(dir.path(), &other, &value);
    let out = run(arbor()
        .args(["log", "verify", "--cert"])
        .arg(&rsa.cert)
        .arg(&list));
    assert_eq!(out.status.code(), Some(1));
}

/// `--write` sets the attribute to the bytes `--out` writes (skipped where
/// the filesystem or privileges do not allow security.* attributes).
#[test]
fn write_sets_the_xattr() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data");
    std::fs::write(&file, noise(9000, 2)).unwrap();
    if ::xattr::set(&file, "security.arbor", b"probe").is_err() {
        eprintln!("NOTE: cannot set security.* attributes here, --write check skipped");
        return;
    }
    let rsa = gen_keys(dir.path(), "rsa");
    for (flag, name) in [
        (None, "security.arbor"),
        (Some("--ima-sigv3"), "security.ima"),
    ] {
        let out = dir.path().join("value");
        let extra: Vec<&str> = flag.into_iter().chain(["--write"]).collect();
        sign_arbor(&rsa, &file, &out, &extra);
        let set = ::xattr::get(&file, name).unwrap().unwrap();
        // RSA signatures are deterministic, so both runs' bytes agree.
        assert_eq!(set, std::fs::read(&out).unwrap(), "{name}");
    }
}

/// `--write --user` sets `user.arbor` (`user.ima`) to the bytes `--out`
/// writes, the same value as the `security.*` attribute's, and leaves the
/// `security.*` attributes alone; `--user` without `--write` is refused.
#[test]
fn write_user_sets_the_user_xattr() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data");
    std::fs::write(&file, noise(9000, 4)).unwrap();
    if ::xattr::set(&file, "user.probe", b"probe").is_err() {
        eprintln!("NOTE: cannot set user.* attributes here, --write --user check skipped");
        return;
    }
    let rsa = gen_keys(dir.path(), "rsa");
    for (flag, name) in [(None, "user.arbor"), (Some("--ima-sigv3"), "user.ima")] {
        let out = dir.path().join("value");
        let extra: Vec<&str> = flag.into_iter().chain(["--write", "--user"]).collect();
        sign_arbor(&rsa, &file, &out, &extra);
        let set = ::xattr::get(&file, name).unwrap().unwrap();
        assert_eq!(set, std::fs::read(&out).unwrap(), "{name}");
        // The same value `--out` alone writes for security.*.
        let plain = dir.path().join("plain");
        sign_arbor(&rsa, &file, &plain, &flag.into_iter().collect::<Vec<_>>());
        assert_eq!(set, std::fs::read(&plain).unwrap(), "{name}");
    }
    for name in ["security.arbor", "security.ima"] {
        assert_eq!(::xattr::get(&file, name).ok().flatten(), None, "{name}");
    }
    let out = run(arbor()
        .args(["sign", "--user", "--key"])
        .arg(&rsa.key)
        .arg("--cert")
        .arg(&rsa.cert)
        .arg("--out")
        .arg(dir.path().join("v"))
        .arg(&file));
    assert_eq!(out.status.code(), Some(2));
}
