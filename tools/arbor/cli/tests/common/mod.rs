// SPDX-License-Identifier: GPL-2.0
//! Helpers shared by the CLI's integration tests.
#![allow(dead_code)]

pub mod ima_reference;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `arbor` binary under test.
pub fn arbor() -> Command {
    Command::new(env!("CARGO_BIN_EXE_arbor"))
}

/// Runs a command, returning its output; panics if it cannot start.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Runs a command that must succeed; returns stdout.
pub fn ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Whether a host tool is installed. Where it is not, cross-checks are
/// skipped loudly, unless `ARBOR_REQUIRE_TOOLS` is set (the project's test
/// command sets it, after installing the tools): then a missing tool fails.
pub fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success());
    if !found && std::env::var_os("ARBOR_REQUIRE_TOOLS").is_some() {
        panic!("{tool} is required (ARBOR_REQUIRE_TOOLS is set): run scripts/setup.sh");
    }
    if !found {
        eprintln!("NOTE: {tool} not installed, cross-check skipped");
    }
    found
}

/// The fsverity-utils test data pattern: byte i = (i%11 + i%439 + i%1103).
pub fn pattern(size: usize) -> Vec<u8> {
    (0..size)
        .map(|i| ((i % 11 + i % 439 + i % 1103) & 0xff) as u8)
        .collect()
}

/// Deterministic pseudo-random bytes.
pub fn noise(size: usize, mut seed: u64) -> Vec<u8> {
    (0..size)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

/// A test key pair and self-signed certificate made with openssl.
pub struct Keys {
    pub key: PathBuf,
    pub cert: PathBuf,
    pub pubkey: PathBuf,
}

/// Generates `kind` ("rsa" or "ec") keys in `dir`.
pub fn gen_keys(dir: &Path, kind: &str) -> Keys {
    let key = dir.join(format!("{kind}.key"));
    let cert = dir.join(format!("{kind}.crt"));
    let pubkey = dir.join(format!("{kind}.pub"));
    let mut gen = Command::new("openssl");
    gen.arg("genpkey").arg("-out").arg(&key);
    match kind {
        "rsa" => gen.args(["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]),
        _ => gen.args(["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]),
    };
    ok(&mut gen);
    ok(Command::new("openssl")
        .args([
            "req",
            "-new",
            "-x509",
            "-days",
            "2",
            "-subj",
            "/CN=arbor test",
            "-key",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert));
    ok(Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&key)
        .arg("-out")
        .arg(&pubkey));
    Keys { key, cert, pubkey }
}
