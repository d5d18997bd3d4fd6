// SPDX-License-Identifier: GPL-2.0
//! `arbor keylime-policy`: the runtime policy lists every regular file
//! under its measured path with the hash `sha256sum` computes, skips
//! symbolic links, and has keylime's version-1 layout.

mod common;

use common::{arbor, ok, run};
use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::process::Command;

/// `sha256sum`'s hash of `path`: computed by coreutils, not by arbor.
fn sha256sum(path: &std::path::Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()[..64].to_owned()
}

#[test]
fn policy_of_a_tree() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::create_dir_all(root.join("etc/deep/er")).unwrap();
    std::fs::write(root.join("bin/prog"), b"\x7fELF program").unwrap();
    std::fs::write(root.join("etc/deep/er/conf"), b"key=value\n").unwrap();
    std::fs::write(root.join("empty"), b"").unwrap();
    std::fs::write(root.join("with space"), vec![0xa5u8; 70_000]).unwrap();
    symlink("prog", root.join("bin/link")).unwrap();
    symlink("../etc", root.join("bin/dirlink")).unwrap();
    let text = ok(arbor()
        .args(["keylime-policy", "--root"])
        .arg(&root)
        .arg(&root)
        .args(["--exclude", "^/proc/.*"]));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let digests: BTreeMap<String, Vec<String>> =
        serde_json::from_value(v["digests"].clone()).unwrap();
    let want: BTreeMap<String, Vec<String>> =
        ["bin/prog", "etc/deep/er/conf", "empty", "with space"]
            .into_iter()
            .map(|p| (format!("/{p}"), vec![sha256sum(&root.join(p))]))
            .collect();
    assert_eq!(digests, want);
    assert_eq!(v["meta"]["version"], 1);
    assert_eq!(
        v["excludes"],
        serde_json::json!(["^arbor_checkpoint$", "^/proc/.*"])
    );
    assert_eq!(v["ima"]["log_hash_alg"], "sha1");
    for key in [
        "meta",
        "release",
        "digests",
        "excludes",
        "keyrings",
        "ima",
        "ima-buf",
        "verification-keys",
    ] {
        assert!(v.get(key).is_some(), "{key} missing");
    }
}

#[test]
fn paths_without_a_root_are_kept_and_files_outside_it_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("f");
    std::fs::write(&f, b"x").unwrap();
    let out = dir.path().join("policy.json");
    ok(arbor().arg("keylime-policy").arg(&f).arg("--out").arg(&out));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(v["digests"][f.to_str().unwrap()][0], sha256sum(&f));
    let other = tempfile::tempdir().unwrap();
    let r = run(arbor()
        .args(["keylime-policy", "--root"])
        .arg(other.path())
        .arg(&f));
    assert_eq!(r.status.code(), Some(2));
    let r = run(arbor()
        .arg("keylime-policy")
        .arg(dir.path().join("missing")));
    assert_eq!(r.status.code(), Some(2));
}

/// A digest list in the tree is allowed under its path and under the names
/// of the records of its load and removal, with its `sha256sum` hash.
#[test]
fn digest_lists_are_allowed_as_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("etc/arbor/digest-lists")).unwrap();
    std::fs::write(root.join("prog"), b"program").unwrap();
    let list = root.join("etc/arbor/digest-lists/00-base.dl");
    ok(arbor()
        .args(["digest-list", "build", "--out"])
        .arg(&list)
        .arg(root.join("prog")));
    let text = ok(arbor()
        .args(["keylime-policy", "--root"])
        .arg(&root)
        .arg(&root));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let digests: BTreeMap<String, Vec<String>> =
        serde_json::from_value(v["digests"].clone()).unwrap();
    let hash = sha256sum(&list);
    let path = "/etc/arbor/digest-lists/00-base.dl";
    for name in [
        path.to_owned(),
        format!("arbor_digest_list:{path}"),
        format!("arbor_digest_list_removed:{path}"),
    ] {
        assert_eq!(digests.get(&name), Some(&vec![hash.clone()]), "{name}");
    }
    // An ordinary file gets its path only.
    assert_eq!(digests.len(), 4);
}
