// SPDX-License-Identifier: GPL-2.0
//! Checkpoints, `arbor log archive` against a stand-in for the kernel's
//! securityfs files, and `arbor log verify` on segments and chains:
//! whole, missing, reordered, truncated and tampered.

mod common;

use arbor_cli::archive::{self, MANIFEST};
use arbor_cli::log::{self, encode_entry, Bank, PcrSource, VerifyOptions};
use arbor_cli::Failure;
use arbor_format::checkpoint::{self as cp, Bank as CpBank, Header};
use arbor_format::template::{Field, Template};
use common::{arbor, run};
use sha1::Sha1;
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

const PCR: u32 = 10;

/// A list as the kernel would make it: entries and checkpoints, with an
/// independent replay of both banks.
struct Kernel {
    /// Every entry since boot, encoded.
    entries: Vec<Vec<u8>>,
    /// Global index of the first entry held.
    first: usize,
    sha1: [u8; 20],
    sha256: [u8; 32],
}

impl Kernel {
    fn new() -> Self {
        let mut k = Kernel {
            entries: Vec::new(),
            first: 0,
            sha1: [0; 20],
            sha256: [0; 32],
        };
        k.file("boot_aggregate");
        k
    }

    fn push(&mut self, e: Vec<u8>) {
        // Template data starts after pcr, digest, name length, name, data length.
        let name_len = u32::from_le_bytes(e[24..28].try_into().unwrap()) as usize;
        let data = &e[28 + name_len + 4..];
        let d1: [u8; 20] = Sha1::digest(data).into();
        let d256: [u8; 32] = Sha256::digest(data).into();
        self.sha1 = Sha1::digest([&self.sha1[..], &d1[..]].concat()).into();
        self.sha256 = Sha256::digest([&self.sha256[..], &d256[..]].concat()).into();
        self.entries.push(e);
    }

    fn file(&mut self, path: &str) {
        let digest: [u8; 32] = Sha256::digest(path.as_bytes()).into();
        let e = encode_entry(
            PCR,
            Template::ImaNg,
            &[
                Field::DigestNg {
                    alg: "sha256",
                    digest: &digest,
                },
                Field::NameNg(path.as_bytes()),
            ],
            false,
        )
        .unwrap();
        self.push(e);
    }

    fn checkpoint(&mut self) -> usize {
        let index = self.entries.len();
        let banks = [
            CpBank {
                alg: cp::ALG_SHA1,
                digest: &self.sha1,
            },
            CpBank {
                alg: cp::ALG_SHA256,
                digest: &self.sha256,
            },
        ];
        let header = Header {
            flags: 0,
            pcr: PCR,
            index: index as u64,
            dropped: self.first as u64,
        };
        let mut payload = vec![0u8; cp::encoded_len(&banks)];
        cp::encode(&header, &banks, &mut payload).unwrap();
        let digest: [u8; 32] = Sha256::digest(&payload).into();
        let e = encode_entry(
            PCR,
            Template::ImaBuf,
            &[
                Field::DigestNg {
                    alg: "sha256",
                    digest: &digest,
                },
                Field::NameNg(cp::NAME.as_bytes()),
                Field::Raw(&payload),
            ],
            false,
        )
        .unwrap();
        self.push(e);
        index
    }

    fn held(&self) -> Vec<u8> {
        self.entries[self.first..].concat()
    }

    fn all(&self) -> Vec<u8> {
        self.entries.concat()
    }

    fn digest_of(&self, index: usize) -> String {
        self.entries[index][4..24]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Writes the securityfs stand-in: the held list, empty control files.
    fn publish(&self, sfs: &Path) {
        std::fs::create_dir_all(sfs).unwrap();
        std::fs::write(sfs.join("binary_runtime_measurements"), self.held()).unwrap();
        std::fs::write(sfs.join("checkpoint"), b"").unwrap();
        std::fs::write(sfs.join("trim"), b"").unwrap();
    }

    /// Applies what was written to the stand-in's `trim` file, as the
    /// kernel would (checked against the kernel's own entries).
    fn apply_trim(&mut self, sfs: &Path) -> Option<usize> {
        let req = std::fs::read_to_string(sfs.join("trim")).unwrap();
        let (i, d) = req.trim_end().split_once(' ')?;
        let i: usize = i.parse().unwrap();
        assert_eq!(d, self.digest_of(i), "trim names the checkpoint's digest");
        assert!(i >= self.first);
        self.first = i;
        Some(i)
    }

    fn pcr_files(&self, dir: &Path) -> Vec<PcrSource> {
        let mut v = Vec::new();
        for (bank, value) in [
            (Bank::Sha1, self.sha1.to_vec()),
            (Bank::Sha256, self.sha256.to_vec()),
        ] {
            let mut m = BTreeMap::new();
            for i in 0..24u32 {
                m.insert(
                    i,
                    if i == PCR {
                        value.clone()
                    } else {
                        vec![0; bank.size()]
                    },
                );
            }
            let p = dir.join(format!("pcrs-{}", bank.name()));
            std::fs::write(&p, log::format_pcr_file(&m, bank)).unwrap();
            v.push(PcrSource::File(bank, p));
        }
        v
    }
}

/// A kernel with three archived segments' worth of entries, archived.
fn archived(root: &Path) -> (Kernel, std::path::PathBuf, std::path::PathBuf) {
    let sfs = root.join("sfs");
    let dir = root.join("archive");
    let mut k = Kernel::new();
    for round in 0..3 {
        for i in 0..5 {
            k.file(&format!("/usr/bin/r{round}-{i}"));
        }
        if round == 1 {
            // A checkpoint inside a segment is checked, not cut at.
            k.checkpoint();
            k.file("/usr/bin/after-inner-checkpoint");
        }
        // The checkpoint the archiver asks for (the stand-in cannot append).
        k.checkpoint();
        k.publish(&sfs);
        let a = archive::archive(&dir, &sfs).unwrap();
        let saved = a.saved.expect("a segment is saved");
        assert_eq!(saved.first as usize, k.first);
        let to = k.apply_trim(&sfs).expect("the archiver trims");
        assert_eq!(saved.end as usize, to);
        assert_eq!(
            std::fs::read_to_string(sfs.join("checkpoint")).unwrap(),
            "1\n"
        );
    }
    k.file("/usr/bin/live");
    k.publish(&sfs);
    (k, dir, sfs.join("binary_runtime_measurements"))
}

fn failure(r: anyhow::Result<impl std::fmt::Debug>) -> String {
    let e = r.expect_err("must fail");
    assert!(
        e.downcast_ref::<Failure>().is_some(),
        "not a verification failure: {e:#}"
    );
    format!("{e:#}")
}

#[test]
fn archived_segments_and_the_live_list_verify_as_a_chain() {
    let t = tempfile::tempdir().unwrap();
    let (k, dir, live) = archived(t.path());
    let segs = archive::read_manifest(&dir).unwrap();
    assert_eq!(segs.len(), 3);
    // Each segment ends where the next begins; the first starts at boot.
    assert_eq!(segs[0].first, 0);
    assert_eq!(segs[1].first, segs[0].end);
    assert_eq!(segs[2].first, segs[1].end);
    // The segments and the live list, concatenated, are the whole list.
    let mut cat = Vec::new();
    for s in &segs {
        cat.extend(std::fs::read(dir.join(&s.name)).unwrap());
    }
    cat.extend(std::fs::read(&live).unwrap());
    assert_eq!(cat, k.all());

    let opts = VerifyOptions {
        pcrs: k.pcr_files(t.path()),
        certs: Vec::new(),
    };
    let chain = archive::verify_chain(&dir, Some(&live), &opts).unwrap();
    assert_eq!(chain.segments.len(), 3);
    let s = chain.live.unwrap();
    assert_eq!(s.first_index, segs[2].end);
    assert_eq!(s.pcrs[&Bank::Sha256][&PCR], k.sha256.to_vec());
    // The whole list, from boot, replays to the same PCRs.
    let whole = t.path().join("whole.bin");
    std::fs::write(&whole, k.all()).unwrap();
    let w = log::verify(&whole, &opts).unwrap();
    assert_eq!(w.checkpoints.len(), 4);
    // One segment alone verifies from its first checkpoint's values.
    let one = log::verify(&dir.join(&segs[1].name), &VerifyOptions::default()).unwrap();
    assert_eq!(one.first_index, segs[1].first);
    assert!(one.start.is_some());
}

#[test]
fn nothing_to_archive_changes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let (mut k, dir, _) = archived(t.path());
    let sfs = t.path().join("sfs");
    let before = std::fs::read_to_string(dir.join(MANIFEST)).unwrap();
    // The live list holds only its first checkpoint and one entry.
    let a = archive::archive(&dir, &sfs).unwrap();
    assert!(a.saved.is_none() && a.trimmed_to.is_none());
    assert_eq!(std::fs::read_to_string(dir.join(MANIFEST)).unwrap(), before);
    assert_eq!(k.apply_trim(&sfs), None);
}

#[test]
fn an_interrupted_archive_is_finished_by_the_next_run() {
    let t = tempfile::tempdir().unwrap();
    let (mut k, dir, _) = archived(t.path());
    let sfs = t.path().join("sfs");
    k.file("/usr/bin/x");
    k.checkpoint();
    k.publish(&sfs);
    archive::archive(&dir, &sfs).unwrap();
    // The kernel never saw the trim: it still holds the saved entries.
    k.publish(&sfs);
    k.file("/usr/bin/y");
    let end = k.checkpoint();
    k.publish(&sfs);
    let a = archive::archive(&dir, &sfs).unwrap();
    assert_eq!(a.saved.unwrap().end as usize, end);
    assert_eq!(k.apply_trim(&sfs), Some(end));
    k.publish(&sfs);
    archive::verify_chain(
        &dir,
        Some(&sfs.join("binary_runtime_measurements")),
        &VerifyOptions::default(),
    )
    .unwrap();
}

#[test]
fn an_archive_that_lacks_dropped_entries_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let (mut k, _, _) = archived(t.path());
    let sfs = t.path().join("sfs");
    k.file("/usr/bin/z");
    k.checkpoint();
    k.publish(&sfs);
    let e = failure(archive::archive(&t.path().join("other"), &sfs));
    assert!(
        e.contains("entries were dropped that it does not hold"),
        "{e}"
    );
    assert_eq!(std::fs::read_to_string(sfs.join("trim")).unwrap(), "");
}

/// The failure `verify_chain` reports for the archive `dir` and live list.
fn chain_failure(dir: &Path, live: &Path) -> String {
    failure(archive::verify_chain(
        dir,
        Some(live),
        &VerifyOptions::default(),
    ))
}

fn manifest_lines(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join(MANIFEST))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn set_manifest(dir: &Path, lines: &[String]) {
    std::fs::write(dir.join(MANIFEST), lines.join("\n") + "\n").unwrap();
}

#[test]
fn a_missing_segment_file_is_reported() {
    let t = tempfile::tempdir().unwrap();
    let (_, dir, live) = archived(t.path());
    std::fs::remove_file(dir.join("segment-000001.bin")).unwrap();
    let e = chain_failure(&dir, &live);
    assert!(e.contains("segment 1 (") && e.contains("missing"), "{e}");
}

#[test]
fn a_segment_left_out_of_the_chain_is_reported() {
    let t = tempfile::tempdir().unwrap();
    let (_, dir, live) = archived(t.path());
    let mut m = manifest_lines(&dir);
    m.remove(2);
    set_manifest(&dir, &m);
    let e = chain_failure(&dir, &live);
    assert!(
        e.contains("segment 1 (") && e.contains("a segment is missing"),
        "{e}"
    );
}

#[test]
fn reordered_segments_are_reported() {
    let t = tempfile::tempdir().unwrap();
    let (_, dir, live) = archived(t.path());
    let mut m = manifest_lines(&dir);
    m.swap(1, 2);
    set_manifest(&dir, &m);
    let e = chain_failure(&dir, &live);
    assert!(
        e.contains("segment 0 (") && e.contains("out of order"),
        "{e}"
    );
}

#[test]
fn truncated_and_tampered_segments_are_reported() {
    let t = tempfile::tempdir().unwrap();
    let (_, dir, live) = archived(t.path());
    let seg = dir.join("segment-000002.bin");
    let data = std::fs::read(&seg).unwrap();
    std::fs::write(&seg, &data[..data.len() - 7]).unwrap();
    let e = chain_failure(&dir, &live);
    assert!(
        e.contains("segment 2 (") && e.contains("truncated or tampered"),
        "{e}"
    );
    let mut bad = data.clone();
    let n = bad.len();
    bad[n - 3] ^= 1;
    std::fs::write(&seg, &bad).unwrap();
    let e = chain_failure(&dir, &live);
    assert!(e.contains("truncated or tampered"), "{e}");
}

#[test]
fn a_rewritten_segment_with_a_matching_manifest_breaks_the_chain() {
    // An attacker rewrites a segment consistently (valid entries, manifest
    // hash updated): the checkpoint values no longer match.
    let t = tempfile::tempdir().unwrap();
    let (_, dir, live) = archived(t.path());
    let segs = archive::read_manifest(&dir).unwrap();
    let mut forged = Kernel::new();
    for i in 0..(segs[0].end - 1) {
        forged.file(&format!("/usr/bin/innocent-{i}"));
    }
    let data = forged.all();
    std::fs::write(dir.join(&segs[0].name), &data).unwrap();
    let mut m = manifest_lines(&dir);
    let hash: String = Sha256::digest(&data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let f: Vec<&str> = m[1].split(' ').collect();
    m[1] = format!("{} {} {} {hash} {}", f[0], f[1], f[2], f[4]);
    set_manifest(&dir, &m);
    let e = chain_failure(&dir, &live);
    assert!(
        e.contains("segment 1 (") && e.contains("not the replay of the segment before it"),
        "{e}"
    );
}

#[test]
fn a_checkpoint_that_lies_is_reported_with_its_index() {
    // A checkpoint recording values other than the replay of the entries
    // before it (here: a whole list whose middle entry was swapped out).
    let t = tempfile::tempdir().unwrap();
    let mut k = Kernel::new();
    k.file("/a");
    k.file("/b");
    let c = k.checkpoint();
    let mut other = Kernel::new();
    other.file("/a");
    other.file("/evil");
    let mut list = other.all();
    list.extend(&k.entries[c]);
    let p = t.path().join("list.bin");
    std::fs::write(&p, &list).unwrap();
    let e = failure(log::verify(&p, &VerifyOptions::default()));
    assert!(
        e.contains(&format!("entry {c}: checkpoint records sha1")),
        "{e}"
    );
    // A checkpoint moved to another index.
    let mut list = k.entries[..c - 1].concat();
    list.extend(&k.entries[c]);
    std::fs::write(&p, &list).unwrap();
    let e = failure(log::verify(&p, &VerifyOptions::default()));
    assert!(e.contains("entries are missing or out of order"), "{e}");
}

#[test]
fn the_command_reports_the_chain_and_fails_on_a_gap() {
    let t = tempfile::tempdir().unwrap();
    let (_, dir, live) = archived(t.path());
    let out = run(arbor()
        .args(["log", "verify", "--archive"])
        .arg(&dir)
        .arg(&live));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("segment-000000.bin: OK: entries 0.."),
        "{text}"
    );
    assert!(
        text.contains("a checkpoint: replayed from the values it records"),
        "{text}"
    );
    std::fs::remove_file(dir.join("segment-000000.bin")).unwrap();
    let out = run(arbor()
        .args(["log", "verify", "--archive"])
        .arg(&dir)
        .arg(&live));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("segment 0 (") && err.contains("missing"),
        "{err}"
    );
}
