// SPDX-License-Identifier: GPL-2.0
//! keylime runtime policies: the reference values keylime's verifier
//! checks `ima-ng` and `ima-sig` entries against.
//!
//! A runtime policy (format version 1, as keylime 7 reads it) maps each
//! path, as the measurement list records it, to the SHA-256 hashes of the
//! content it may have (what `sha256sum` prints). arbor records those
//! hashes in entries of the `ima-ng` and `ima-sig` templates.

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use serde_json::{json, Map, Value};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// A file to put in a policy: where it is on this machine, and the path the
/// measured system records for it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PolicyFile {
    /// The file here.
    pub source: PathBuf,
    /// Its path on the measured system.
    pub path: String,
}

/// The regular files under `paths` (files, or directories walked
/// recursively), each with the path the measured system records: its path
/// relative to `root`, made absolute, when `root` is given (the measured
/// system's root is `root` here), else its path as given. Symbolic links
/// are not followed and not listed: the kernel records the path of the
/// file a link leads to, which is listed where it lies.
pub fn collect(paths: &[PathBuf], root: Option<&Path>) -> Result<Vec<PolicyFile>> {
    let mut out = crate::regular_files(paths)?
        .into_iter()
        .map(|p| {
            Ok(PolicyFile {
                path: system_path(&p, root)?,
                source: p,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    out.sort();
    out.dedup();
    Ok(out)
}

/// The path the measured system records for `p`.
fn system_path(p: &Path, root: Option<&Path>) -> Result<String> {
    let path = match root {
        Some(root) => {
            let rel = p
                .strip_prefix(root)
                .with_context(|| format!("{} is not under {}", p.display(), root.display()))?;
            Path::new("/").join(rel)
        }
        None => p.to_path_buf(),
    };
    match path.to_str() {
        Some(s) => Ok(s.to_owned()),
        None => bail!("{}: the path is not UTF-8", path.display()),
    }
}

/// The SHA-256 of a file's content, in hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = File::open(path).with_context(|| format!("{}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("{}", path.display()))?;
        if n == 0 {
            break;
        }
        h.update(buf.get(..n).unwrap_or_default());
    }
    Ok(crate::digest::hex(&h.finalize()))
}

/// The exclude that keeps keylime from judging arbor's checkpoint records,
/// whose payload (PCR values) cannot be known in advance. No file record
/// can carry that name: file names start with `/` or `.../`.
pub const CHECKPOINT_EXCLUDE: &str = "^arbor_checkpoint$";

/// Whether the file at `path` starts as a digest list does.
fn is_digest_list(path: &Path) -> Result<bool> {
    let mut f = File::open(path).with_context(|| format!("{}", path.display()))?;
    let mut head = [0u8; 8];
    let n = crate::read_full(&mut f, &mut head).with_context(|| format!("{}", path.display()))?;
    Ok(n == head.len() && head == arbor_format::digest_list::MAGIC)
}

/// The names of the records of a digest list's load and removal, when it
/// is loaded from `path` (see the kernel's `digest_lists.rs`).
pub fn digest_list_records(path: &str) -> [String; 2] {
    [
        format!("arbor_digest_list:{path}"),
        format!("arbor_digest_list_removed:{path}"),
    ]
}

/// A keylime runtime policy (version 1) allowing `files`, with
/// [`CHECKPOINT_EXCLUDE`] and `excludes` (regular expressions over paths
/// keylime skips). A file that is a digest list is allowed under its path
/// and under the names of the records of its load and removal from that
/// path, which carry the SHA-256 of the file too.
pub fn runtime_policy(files: &[PolicyFile], excludes: &[String]) -> Result<Value> {
    let hashed = files
        .par_iter()
        .map(|f| {
            let hash = sha256_file(&f.source)?;
            let mut names = vec![f.path.clone()];
            if is_digest_list(&f.source)? {
                names.extend(digest_list_records(&f.path));
            }
            Ok((names, hash))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut digests: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (names, hash) in hashed {
        for name in names {
            let list = digests.entry(name).or_default();
            if !list.contains(&hash) {
                list.push(hash.clone());
            }
        }
    }
    let digests: Map<String, Value> = digests.into_iter().map(|(k, v)| (k, json!(v))).collect();
    let excludes: Vec<&str> = std::iter::once(CHECKPOINT_EXCLUDE)
        .chain(excludes.iter().map(String::as_str))
        .collect();
    Ok(json!({
        "meta": {
            // keylime's RUNTIME_POLICY_GENERATOR: 0, "Unknown", for tools
            // other than its own.
            "version": 1,
            "generator": 0,
        },
        "release": 0,
        "digests": digests,
        "excludes": excludes,
        "keyrings": {},
        // The template digests in the list (second column) are SHA-1.
        "ima": {"ignored_keyrings": [], "log_hash_alg": "sha1", "dm_policy": null},
        "ima-buf": {},
        "verification-keys": "",
    }))
}
