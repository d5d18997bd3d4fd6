// SPDX-License-Identifier: GPL-2.0
//! `arbor digest-list`: a list built from files holds exactly the digests
//! `fsverity digest` computes for them, sorted and each once; its
//! signature verifies with OpenSSL over the list's bytes; `verify` refuses
//! a tampered list and a wrong key; `show` prints what the header says.

mod common;

use common::{arbor, gen_keys, have, noise, ok, run};
use std::path::Path;
use std::process::Command;

/// `fsverity digest`'s hex digest of `path` with `extra` options.
fn fsverity_digest(path: &Path, extra: &[&str]) -> String {
    let out = ok(Command::new("fsverity").arg("digest").args(extra).arg(path));
    let first = out.split_whitespace().next().unwrap();
    first.split(':').nth(1).unwrap().to_owned()
}

fn tree(dir: &Path) -> std::path::PathBuf {
    let root = dir.join("tree");
    std::fs::create_dir_all(root.join("sub/deeper")).unwrap();
    std::fs::write(root.join("a"), b"first\n").unwrap();
    std::fs::write(root.join("sub/b"), noise(70_000, 1)).unwrap();
    std::fs::write(root.join("sub/deeper/c"), noise(4096, 2)).unwrap();
    std::fs::write(root.join("empty"), b"").unwrap();
    // The same content twice: one digest.
    std::fs::write(root.join("sub/a-again"), b"first\n").unwrap();
    std::os::unix::fs::symlink("a", root.join("link")).unwrap();
    root
}

#[test]
fn build_holds_fsverity_digests_sorted_once() {
    if !have("fsverity") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = tree(dir.path());
    for (extra, args) in [
        (&[][..], &[][..]),
        (
            &["--hash-alg=sha512", "--block-size=1024", "--salt=0a0b"][..],
            &[
                "--hash-alg",
                "sha512",
                "--block-size",
                "1024",
                "--salt",
                "0a0b",
            ][..],
        ),
    ] {
        let list = dir.path().join("l");
        ok(arbor()
            .args(["digest-list", "build", "--out"])
            .arg(&list)
            .args(args)
            .arg(&root));
        let mut want: Vec<String> = ["a", "sub/b", "sub/deeper/c", "empty"]
            .iter()
            .map(|f| fsverity_digest(&root.join(f), extra))
            .collect();
        want.sort();
        let shown = ok(arbor().args(["digest-list", "show", "--json"]).arg(&list));
        let v: serde_json::Value = serde_json::from_str(&shown).unwrap();
        let got: Vec<String> = serde_json::from_value(v["digests"].clone()).unwrap();
        assert_eq!(got, want);
        assert_eq!(v["count"], 4);
        assert_eq!(v["kind"], "allow");
        assert_eq!(v["signature_size"], serde_json::Value::Null);
        // The bytes: the documented header, then the digests.
        let bytes = std::fs::read(&list).unwrap();
        assert_eq!(&bytes[..8], b"ARBORDL\0");
        assert_eq!(u64::from_le_bytes(bytes[48..56].try_into().unwrap()), 4);
        let size = got[0].len() / 2;
        assert_eq!(bytes.len(), 64 + 4 * size);
    }
}

#[test]
fn signature_verifies_with_openssl_and_arbor() {
    let dir = tempfile::tempdir().unwrap();
    let root = tree(dir.path());
    let keys = gen_keys(dir.path(), "rsa");
    let other_dir = dir.path().join("other");
    std::fs::create_dir(&other_dir).unwrap();
    let other = gen_keys(&other_dir, "ec");
    let list = dir.path().join("l");
    let signed = dir.path().join("l.signed");
    ok(arbor()
        .args(["digest-list", "build", "--revoke", "--out"])
        .arg(&list)
        .arg(&root));
    ok(arbor()
        .args(["digest-list", "sign", "--key"])
        .arg(&keys.key)
        .arg("--cert")
        .arg(&keys.cert)
        .arg("--out")
        .arg(&signed)
        .arg(&list));
    let plain = std::fs::read(&list).unwrap();
    let both = std::fs::read(&signed).unwrap();
    assert_eq!(&both[..plain.len()], &plain[..]);
    // What follows the list is a detached PKCS#7 over it: OpenSSL agrees.
    let sig = dir.path().join("sig.der");
    std::fs::write(&sig, &both[plain.len()..]).unwrap();
    let out = run(Command::new("openssl")
        .args([
            "smime",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-noverify",
            "-in",
        ])
        .arg(&sig)
        .arg("-content")
        .arg(&list)
        .arg("-certfile")
        .arg(&keys.cert)
        .args(["-out", "/dev/null"]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verify = |file: &Path, cert: &Path| {
        run(arbor()
            .args(["digest-list", "verify", "--cert"])
            .arg(cert)
            .arg(file))
        .status
        .code()
    };
    assert_eq!(verify(&signed, &keys.cert), Some(0));
    // Another key: a verification failure (1).
    assert_eq!(verify(&signed, &other.cert), Some(1));
    // Unsigned: a failure too.
    assert_eq!(verify(&list, &keys.cert), Some(1));
    // A digest changed after signing (the last one's last bit, so the list
    // is still in order): the signature no longer verifies.
    let mut tampered = both.clone();
    tampered[plain.len() - 1] ^= 1;
    let t = dir.path().join("tampered");
    std::fs::write(&t, &tampered).unwrap();
    assert_eq!(verify(&t, &keys.cert), Some(1));
    // Cut inside the digests: not a list at all (2).
    let cut = dir.path().join("cut");
    std::fs::write(&cut, &both[..plain.len() - 5]).unwrap();
    assert_eq!(verify(&cut, &keys.cert), Some(2));
    let shown = ok(arbor().args(["digest-list", "show"]).arg(&signed));
    assert!(shown.starts_with("kind: revoke\nhash algorithm: sha256\nblock size: 4096\n"));
    assert!(shown.contains("digests: 4\n"));
    assert!(shown.contains(" bytes of PKCS#7\n"));
}

#[test]
fn refuses_what_the_kernel_would() {
    let dir = tempfile::tempdir().unwrap();
    let keys = gen_keys(dir.path(), "rsa");
    let empty = dir.path().join("empty-dir");
    std::fs::create_dir(&empty).unwrap();
    let list = dir.path().join("l");
    // No files: the kernel refuses empty lists, so none is written.
    let out = run(arbor()
        .args(["digest-list", "build", "--out"])
        .arg(&list)
        .arg(&empty));
    assert_eq!(out.status.code(), Some(2));
    assert!(!list.exists());
    // Signing something that is not a list.
    std::fs::write(&list, b"not a list").unwrap();
    let out = run(arbor()
        .args(["digest-list", "sign", "--key"])
        .arg(&keys.key)
        .arg("--cert")
        .arg(&keys.cert)
        .arg("--out")
        .arg(dir.path().join("s"))
        .arg(&list));
    assert_eq!(out.status.code(), Some(2));
    let out = run(arbor().args(["digest-list", "show"]).arg(&list));
    assert_eq!(out.status.code(), Some(2));
}

/// A list made from a Debian package holds the digests of the files the
/// package installs, as `fsverity digest` computes them on the unpacked
/// tree, for every compression `dpkg-deb` writes.
#[test]
fn build_from_debian_packages() {
    if !have("dpkg-deb") || !have("fsverity") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(pkg.join("DEBIAN")).unwrap();
    std::fs::create_dir_all(pkg.join("usr/bin")).unwrap();
    std::fs::create_dir_all(pkg.join("usr/share/doc/t")).unwrap();
    std::fs::write(
        pkg.join("DEBIAN/control"),
        "Package: t\nVersion: 1\nArchitecture: all\nMaintainer: t <t@t>\nDescription: t\n",
    )
    .unwrap();
    std::fs::write(pkg.join("usr/bin/prog"), noise(200_000, 3)).unwrap();
    std::fs::write(pkg.join("usr/share/doc/t/README"), b"read me\n").unwrap();
    std::fs::write(pkg.join("usr/share/doc/t/empty"), b"").unwrap();
    std::os::unix::fs::symlink("prog", pkg.join("usr/bin/alias")).unwrap();
    let mut want: Vec<String> = [
        "usr/bin/prog",
        "usr/share/doc/t/README",
        "usr/share/doc/t/empty",
    ]
    .iter()
    .map(|f| fsverity_digest(&pkg.join(f), &[]))
    .collect();
    want.sort();
    for z in ["xz", "gzip", "zstd", "none"] {
        let deb = dir.path().join(format!("t-{z}.deb"));
        ok(Command::new("dpkg-deb")
            .args(["--root-owner-group", "-Z", z, "--build"])
            .arg(&pkg)
            .arg(&deb));
        let list = dir.path().join(format!("t-{z}.list"));
        ok(arbor()
            .args(["digest-list", "build", "--out"])
            .arg(&list)
            .arg("--deb")
            .arg(&deb));
        let shown = ok(arbor().args(["digest-list", "show", "--json"]).arg(&list));
        let v: serde_json::Value = serde_json::from_str(&shown).unwrap();
        let got: Vec<String> = serde_json::from_value(v["digests"].clone()).unwrap();
        assert_eq!(got, want, "{z}");
    }
    // Not a package: refused.
    let out = run(arbor()
        .args(["digest-list", "build", "--out"])
        .arg(dir.path().join("x"))
        .arg("--deb")
        .arg(pkg.join("usr/bin/prog")));
    assert_eq!(out.status.code(), Some(2));
}

/// `digest-list pcr` replays boot_aggregate and one entry per list with
/// the template encoding: checked against entries encoded here by hand
/// (IMA's ima-sigv2 layout) and hashed with OpenSSL's command.
#[test]
fn pcr_prediction_replays_the_loads() {
    let dir = tempfile::tempdir().unwrap();
    let root = tree(dir.path());
    let keys = gen_keys(dir.path(), "rsa");
    let mut signed = Vec::new();
    for (i, name) in ["00-a.dl", "10-b.dl"].iter().enumerate() {
        let list = dir.path().join(format!("{i}.list"));
        let path = if i == 0 {
            root.join("a")
        } else {
            root.join("sub")
        };
        ok(arbor()
            .args(["digest-list", "build", "--out"])
            .arg(&list)
            .arg(&path));
        let out = dir.path().join(name);
        ok(arbor()
            .args(["digest-list", "sign", "--key"])
            .arg(&keys.key)
            .arg("--cert")
            .arg(&keys.cert)
            .arg("--out")
            .arg(&out)
            .arg(&list));
        signed.push(out);
    }
    let got = ok(arbor().args(["digest-list", "pcr"]).args(&signed));
    // ima-sigv2 template data: d-ngv2 ("ima:sha256:" NUL digest), n-ng
    // (name NUL), sig (empty), each with a u32 length.
    fn field(out: &mut Vec<u8>, bytes: &[u8]) {
        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(bytes);
    }
    fn data(digest: &[u8], name: &str) -> Vec<u8> {
        let mut d = Vec::new();
        let mut dg = b"ima:sha256:\0".to_vec();
        dg.extend_from_slice(digest);
        field(&mut d, &dg);
        let mut n = name.as_bytes().to_vec();
        n.push(0);
        field(&mut d, &n);
        field(&mut d, &[]);
        d
    }
    fn openssl(alg: &str, bytes: &[u8], dir: &Path) -> Vec<u8> {
        let f = dir.join("in.bin");
        std::fs::write(&f, bytes).unwrap();
        let out = ok(Command::new("openssl")
            .args(["dgst", &format!("-{alg}"), "-binary", "-out"])
            .arg(dir.join("out.bin"))
            .arg(&f));
        assert!(out.is_empty());
        std::fs::read(dir.join("out.bin")).unwrap()
    }
    let mut entries = vec![data(&[0; 32], "boot_aggregate")];
    for f in &signed {
        let sha = openssl("sha256", &std::fs::read(f).unwrap(), dir.path());
        let name = format!(
            "arbor_digest_list:/etc/arbor/digest-lists/{}",
            f.file_name().unwrap().to_str().unwrap()
        );
        entries.push(data(&sha, &name));
    }
    let mut pcr1 = vec![0u8; 20];
    let mut pcr256 = vec![0u8; 32];
    for e in &entries {
        pcr1 = openssl(
            "sha1",
            &[pcr1, openssl("sha1", e, dir.path())].concat(),
            dir.path(),
        );
        pcr256 = openssl(
            "sha256",
            &[pcr256, openssl("sha256", e, dir.path())].concat(),
            dir.path(),
        );
    }
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    assert_eq!(
        got,
        format!(
            "sha1 PCR-10: {}\nsha256 PCR-10: {}\n",
            hex(&pcr1),
            hex(&pcr256)
        )
    );
    // Another order of loads, another value.
    let reversed = ok(arbor()
        .args(["digest-list", "pcr"])
        .arg(&signed[1])
        .arg(&signed[0]));
    assert_ne!(got, reversed);
}
