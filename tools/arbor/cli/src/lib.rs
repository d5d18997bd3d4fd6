// SPDX-License-Identifier: GPL-2.0
//! The `arbor` command's library: fs-verity digests of files, arbor and
//! IMA signatures, and IMA measurement list reading and verification.
//!
//! The formats come from `arbor-format`, the very code the kernel compiles;
//! this crate adds host I/O, parallel hashing and crypto (OpenSSL).

pub mod archive;
pub mod digest;
pub mod digest_list;
pub mod hash;
pub mod keylime;
pub mod log;
pub mod sign;

/// A verification that ran and failed (exit code 1), as opposed to an error
/// that kept it from running (exit code 2).
#[derive(Debug)]
pub struct Failure(pub String);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: a verification ran and failed.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code: bad usage or unreadable / malformed input.
pub const EXIT_ERROR: u8 = 2;

/// The regular files under `paths` (files, or directories walked
/// recursively in name order), in walk order. Symbolic links are neither
/// followed nor listed.
pub fn regular_files(paths: &[std::path::PathBuf]) -> anyhow::Result<Vec<std::path::PathBuf>> {
    use anyhow::Context;
    fn walk(p: &std::path::Path, out: &mut Vec<std::path::PathBuf>) -> anyhow::Result<()> {
        let meta = std::fs::symlink_metadata(p).with_context(|| format!("{}", p.display()))?;
        if meta.is_dir() {
            let mut entries = std::fs::read_dir(p)
                .with_context(|| format!("{}", p.display()))?
                .collect::<std::io::Result<Vec<_>>>()
                .with_context(|| format!("{}", p.display()))?;
            entries.sort_by_key(|e| e.file_name());
            for e in entries {
                walk(&e.path(), out)?;
            }
        } else if meta.is_file() {
            out.push(p.to_path_buf());
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        walk(p, &mut out)?;
    }
    Ok(out)
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
pub(crate) fn read_full<R: std::io::Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(buf.get_mut(n..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
