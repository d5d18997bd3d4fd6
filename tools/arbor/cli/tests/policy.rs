// SPDX-License-Identifier: GPL-2.0
//! `arbor policy`: canonical output, errors with line and column, the
//! default policy, and signed policies that OpenSSL verifies and unpacks.

mod common;

use common::{arbor, gen_keys, have, ok, run, Keys};
use std::path::Path;
use std::process::Command;

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory")
}

/// `arbor policy sign POLICY --key --cert --out OUT`.
fn sign(policy: &Path, keys: &Keys, out: &Path) -> Command {
    let mut c = arbor();
    c.args(["policy", "sign"])
        .arg(policy)
        .arg("--key")
        .arg(&keys.key)
        .arg("--cert")
        .arg(&keys.cert)
        .arg("--out")
        .arg(out);
    c
}

#[test]
fn check_prints_the_canonical_form() {
    let dir = temp();
    let p = dir.path().join("p");
    std::fs::write(
        &p,
        "# comment\n  measure  euid=0 func=FILE_CHECK mask=^MAY_READ  # root reads\n\
         option require_signed_policy\ndont_measure fsmagic=0X9FA0\n",
    )
    .unwrap();
    assert_eq!(
        ok(arbor().args(["policy", "check"]).arg(&p)),
        "option require_signed_policy\n\
         measure func=FILE_CHECK mask=^MAY_READ euid=0\n\
         dont_measure fsmagic=0x9fa0\n"
    );
}

#[test]
fn check_reports_line_and_column_and_exits_1() {
    let dir = temp();
    let p = dir.path().join("p");
    std::fs::write(&p, "measure\n\nmeasure  size=3\n").unwrap();
    let out = run(arbor().args(["policy", "check"]).arg(&p));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}:3:10: unknown condition", p.display())),
        "{err}"
    );
}

#[test]
fn default_parses_and_round_trips() {
    let dir = temp();
    let p = dir.path().join("default");
    std::fs::write(&p, ok(arbor().args(["policy", "default"]))).unwrap();
    let canonical = ok(arbor().args(["policy", "check"]).arg(&p));
    assert!(canonical.contains("measure func=BPRM_CHECK\n"));
    let q = dir.path().join("canonical");
    std::fs::write(&q, &canonical).unwrap();
    assert_eq!(ok(arbor().args(["policy", "check"]).arg(&q)), canonical);
}

#[test]
fn sign_makes_a_message_openssl_verifies_and_unpacks() {
    if !have("openssl") {
        return;
    }
    let dir = temp();
    let text = "measure func=BPRM_CHECK\nappraise func=BPRM_CHECK\n";
    let p = dir.path().join("p");
    std::fs::write(&p, text).unwrap();
    for kind in ["rsa", "ec"] {
        let keys = gen_keys(dir.path(), kind);
        let out = dir.path().join(format!("p.{kind}.p7s"));
        ok(&mut sign(&p, &keys, &out));
        let der = std::fs::read(&out).unwrap();
        assert_eq!(der.first(), Some(&0x30), "a DER SEQUENCE");
        // OpenSSL checks the signature with the certificate given and
        // prints the carried content, which must be the policy unchanged.
        let content = ok(Command::new("openssl")
            .args([
                "smime",
                "-verify",
                "-binary",
                "-inform",
                "der",
                "-noverify",
                "-in",
            ])
            .arg(&out)
            .arg("-certfile")
            .arg(&keys.cert)
            .arg("-nointern"));
        assert_eq!(content, text);
    }
}

#[test]
fn sign_refuses_a_malformed_policy() {
    if !have("openssl") {
        return;
    }
    let dir = temp();
    let p = dir.path().join("p");
    std::fs::write(&p, "bogus\n").unwrap();
    let keys = gen_keys(dir.path(), "ec");
    let out = run(&mut sign(&p, &keys, &dir.path().join("o")));
    assert_eq!(out.status.code(), Some(1));
    assert!(!dir.path().join("o").exists());
}
