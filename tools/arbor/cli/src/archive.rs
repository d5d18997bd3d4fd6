// SPDX-License-Identifier: GPL-2.0
//! Archiving the measurement list: segments cut at checkpoints, saved and
//! checked, and only then dropped from the kernel; and the verification of
//! a chain of saved segments followed by the live list.
//!
//! An archive is a directory of segment files and a manifest. Segment `k`
//! (`segment-00000k.bin`) holds, in the binary list format, the entries of
//! global indexes `first..end`: the first segment starts at boot (entry 0,
//! `boot_aggregate`), every later one at the checkpoint that ended the one
//! before it, and each ends just before a checkpoint, which the kernel
//! keeps as its first held entry. The manifest is text:
//!
//! ```text
//! arbor-log-archive 1
//! NAME FIRST END SHA256-OF-FILE TEMPLATE-DIGEST-OF-THE-CHECKPOINT-AT-END
//! ...
//! ```
//!
//! The manifest is only an index: verification trusts the chain of
//! checkpoint values, which ends at the TPM's PCRs, not the manifest.

use crate::log::{self, Bank, ListReader, Summary, VerifyOptions};
use crate::Failure;
use anyhow::{bail, Context, Result};
use arbor_format::checkpoint;
use arbor_format::hex::Hex;
use arbor_format::template::TEMPLATE_DIGEST_SIZE;
use sha2::{Digest as _, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Name of the manifest in an archive directory.
pub const MANIFEST: &str = "manifest";
const MANIFEST_HEADER: &str = "arbor-log-archive 1";

/// One segment of an archive, as the manifest lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// File name in the archive directory.
    pub name: String,
    /// Global index of its first entry.
    pub first: u64,
    /// Global index of the checkpoint just after its last entry.
    pub end: u64,
    /// SHA-256 of the file.
    pub sha256: [u8; 32],
    /// Template digest of the checkpoint at `end`.
    pub end_checkpoint: [u8; TEMPLATE_DIGEST_SIZE],
}

fn parse_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (o, i) in out.iter_mut().zip((0..s.len()).step_by(2)) {
        *o = u8::from_str_radix(s.get(i..i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Reads the manifest of `dir`; no manifest is an empty archive.
pub fn read_manifest(dir: &Path) -> Result<Vec<Segment>> {
    let path = dir.join(MANIFEST);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("{}: cannot read", path.display())),
    };
    let mut lines = text.lines();
    if lines.next() != Some(MANIFEST_HEADER) {
        bail!("{}: not a version 1 archive manifest", path.display());
    }
    let mut segments = Vec::new();
    for (n, line) in lines.enumerate() {
        let bad = || anyhow::anyhow!("{}: line {}: malformed", path.display(), n + 2);
        let f: Vec<&str> = line.split(' ').collect();
        let [name, first, end, sha, cp] = f[..] else {
            return Err(bad());
        };
        if name.is_empty() || name.contains('/') || name == MANIFEST {
            return Err(bad());
        }
        segments.push(Segment {
            name: name.to_string(),
            first: first.parse().map_err(|_| bad())?,
            end: end.parse().map_err(|_| bad())?,
            sha256: parse_hex(sha).ok_or_else(bad)?,
            end_checkpoint: parse_hex(cp).ok_or_else(bad)?,
        });
    }
    Ok(segments)
}

/// Writes `data` to a temporary name in `dir` and syncs it; returns that
/// path, for [`publish`].
fn write_synced(dir: &Path, name: &str, data: &[u8]) -> Result<PathBuf> {
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut f =
        std::fs::File::create(&tmp).with_context(|| format!("{}: cannot create", tmp.display()))?;
    f.write_all(data)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("{}: cannot write", tmp.display()))?;
    Ok(tmp)
}

/// Renames `tmp` (from [`write_synced`]) to `dir/name` and syncs `dir`, so
/// that a crash leaves the old file or the new one, never a part.
fn publish(dir: &Path, tmp: &Path, name: &str) -> Result<()> {
    let path = dir.join(name);
    std::fs::rename(tmp, &path).with_context(|| format!("{}: cannot rename", path.display()))?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("{}: cannot sync", dir.display()))
}

fn write_atomically(dir: &Path, name: &str, data: &[u8]) -> Result<()> {
    let tmp = write_synced(dir, name, data)?;
    publish(dir, &tmp, name)
}

fn write_manifest(dir: &Path, segments: &[Segment]) -> Result<()> {
    let mut text = format!("{MANIFEST_HEADER}\n");
    for s in segments {
        text.push_str(&format!(
            "{} {} {} {} {}\n",
            s.name,
            s.first,
            s.end,
            Hex(&s.sha256),
            Hex(&s.end_checkpoint)
        ));
    }
    write_atomically(dir, MANIFEST, text.as_bytes())
}

/// A checkpoint found in a list.
struct Cut {
    /// Byte offset of the checkpoint entry in the list.
    offset: usize,
    /// Its global index.
    index: u64,
    /// Its template digest.
    digest: [u8; TEMPLATE_DIGEST_SIZE],
    /// The values it records, SHA-1 and SHA-256.
    values: (Vec<u8>, Vec<u8>),
}

/// The global index of the list's first entry and its checkpoints.
fn scan(list: &[u8]) -> Result<(u64, Vec<Cut>)> {
    let mut reader = ListReader::new(list);
    let mut first = 0;
    let mut cuts = Vec::new();
    loop {
        let offset = reader.offset() as usize;
        let local = reader.index();
        let Some(e) = reader.next_entry()? else { break };
        let Some(payload) = checkpoint::payload_of(&e) else {
            continue;
        };
        let c = checkpoint::parse(payload)
            .map_err(|err| anyhow::anyhow!("entry {local}: checkpoint: {}", err.describe()))?;
        if local == 0 {
            first = c.header.index;
        }
        let Some((v1, v256)) = c.sha1_sha256() else {
            bail!("entry {local}: checkpoint without the sha1 and sha256 banks");
        };
        cuts.push(Cut {
            offset,
            index: c.header.index,
            digest: *e.template_digest,
            values: (v1.to_vec(), v256.to_vec()),
        });
    }
    Ok((first, cuts))
}

/// What [`archive`] did.
#[derive(Debug)]
pub struct Archived {
    /// The segment saved, if there was anything to save.
    pub saved: Option<Segment>,
    /// Entries the kernel dropped at this call's request.
    pub trimmed_to: Option<u64>,
}

fn write_control(securityfs: &Path, file: &str, value: &str) -> Result<()> {
    let path = securityfs.join(file);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .and_then(|mut f| f.write_all(value.as_bytes()))
        .with_context(|| format!("{}: writing {value:?}", path.display()))
}

/// Asks the kernel to drop the entries before checkpoint `index`.
fn trim(securityfs: &Path, index: u64, digest: &[u8; TEMPLATE_DIGEST_SIZE]) -> Result<()> {
    write_control(securityfs, "trim", &format!("{index} {}\n", Hex(digest)))
}

/// The final values of `summary` for `pcr`, SHA-1 and SHA-256.
fn end_values(summary: &Summary, pcr: u32) -> (Vec<u8>, Vec<u8>) {
    let get = |b: Bank| {
        summary
            .pcrs
            .get(&b)
            .and_then(|m| m.get(&pcr))
            .cloned()
            .unwrap_or_else(|| vec![0; b.size()])
    };
    (get(Bank::Sha1), get(Bank::Sha256))
}

/// Checks the saved segment `path` before anything is dropped: its
/// entries verify, it holds exactly `first..cut.index`, and it replays to
/// the values the checkpoint `cut` records.
fn check_segment(path: &Path, first: u64, cut: &Cut) -> Result<()> {
    let summary = log::verify(path, &VerifyOptions::default())
        .context("the segment to save does not verify")?;
    if summary.first_index != first || summary.first_index + summary.entries != cut.index {
        bail!(
            "the segment holds entries {}..{}, not {first}..{}",
            summary.first_index,
            summary.first_index + summary.entries,
            cut.index
        );
    }
    let pcr = summary
        .pcrs
        .get(&Bank::Sha256)
        .and_then(|m| m.keys().next().copied())
        .context("empty segment")?;
    if end_values(&summary, pcr) != cut.values {
        return Err(Failure(format!(
            "the entries {first}..{} do not replay to the values checkpoint {} records",
            cut.index, cut.index
        ))
        .into());
    }
    Ok(())
}

/// `arbor log archive`: appends a checkpoint (through `securityfs`, the
/// kernel's arbor directory), saves the held entries before the last
/// checkpoint as the archive's next segment, checks it (its entries, and
/// that they replay to the values that checkpoint records), and only then
/// asks the kernel to drop exactly those entries.
///
/// An interrupted run is finished by the next one: a segment saved but not
/// yet dropped from the kernel is dropped first.
pub fn archive(dir: &Path, securityfs: &Path) -> Result<Archived> {
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let mut segments = read_manifest(dir)?;
    write_control(securityfs, "checkpoint", "1\n")?;
    let list_path = securityfs.join("binary_runtime_measurements");
    let read_list = || {
        std::fs::read(&list_path).with_context(|| format!("{}: cannot read", list_path.display()))
    };
    let mut list = read_list()?;
    let (mut first, mut cuts) = scan(&list)?;
    let expected = segments.last().map_or(0, |s| s.end);
    let mut trimmed_to = None;
    if first < expected {
        // Saved by an earlier run that stopped before the trim: drop it
        // now, and go on with the list from that checkpoint.
        let last = segments.last().context("manifest inconsistent")?;
        let at = cuts
            .iter()
            .find(|c| c.index == last.end && c.digest == last.end_checkpoint)
            .map(|c| c.offset)
            .ok_or_else(|| {
                Failure(format!(
                    "the kernel's list does not hold the checkpoint at entry {} that this \
                     archive ends at (another boot? keep one archive per boot)",
                    last.end
                ))
            })?;
        trim(securityfs, last.end, &last.end_checkpoint)?;
        trimmed_to = Some(last.end);
        list = list.split_off(at);
        (first, cuts) = scan(&list)?;
    }
    if let (Some(last), Some(c)) = (segments.last(), cuts.first()) {
        if c.index != last.end || c.digest != last.end_checkpoint {
            return Err(Failure(format!(
                "the kernel's first entry is not the checkpoint at entry {} that this archive \
                 ends at (another boot? keep one archive per boot)",
                last.end
            ))
            .into());
        }
    }
    let cut = cuts.pop();
    if first != expected {
        return Err(Failure(format!(
            "the kernel's list starts at entry {first}, but this archive ends at entry {expected}: \
             entries were dropped that it does not hold"
        ))
        .into());
    }
    let Some(cut) = cut.filter(|c| c.index > first) else {
        return Ok(Archived {
            saved: None,
            trimmed_to,
        });
    };
    let data = list.get(..cut.offset).context("checkpoint offset")?;
    let name = format!("segment-{:06}.bin", segments.len());
    // Written once, under a temporary name: checked there, then renamed.
    let tmp = write_synced(dir, &name, data)?;
    let checked = check_segment(&tmp, first, &cut);
    if checked.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    checked?;
    let segment = Segment {
        name: name.clone(),
        first,
        end: cut.index,
        sha256: Sha256::digest(data).into(),
        end_checkpoint: cut.digest,
    };
    publish(dir, &tmp, &name)?;
    segments.push(segment.clone());
    write_manifest(dir, &segments)?;
    trim(securityfs, cut.index, &cut.digest)?;
    Ok(Archived {
        saved: Some(segment),
        trimmed_to: Some(cut.index),
    })
}

/// One verified segment.
#[derive(Debug)]
pub struct SegmentReport {
    /// Its file.
    pub path: PathBuf,
    /// Global index of its first entry.
    pub first: u64,
    /// Entries it holds.
    pub entries: u64,
    /// Violations among them.
    pub violations: u64,
    /// Checkpoints among them.
    pub checkpoints: usize,
}

/// What [`verify_chain`] found.
#[derive(Debug, Default)]
pub struct Chain {
    /// Segments verified, in order.
    pub segments: Vec<SegmentReport>,
    /// The live list's verification, if one was given.
    pub live: Option<Summary>,
}

fn chain_failure(what: &str, reason: impl std::fmt::Display) -> anyhow::Error {
    Failure(format!("{what}: {reason}")).into()
}

/// Checks that `s` continues where `prev` (the replay's end values and
/// the index after its last entry) stopped.
fn continues(what: &str, s: &Summary, prev: &Option<(u64, Summary)>) -> Result<()> {
    let expected_first = prev.as_ref().map_or(0, |(end, _)| *end);
    if s.first_index != expected_first {
        return Err(chain_failure(
            what,
            format!(
                "starts at entry {}, but the segment before it ends before entry {expected_first} \
                 (a segment is missing, or they are out of order)",
                s.first_index
            ),
        ));
    }
    if let (Some((_, before)), Some((pcr, v1, v256))) = (prev, &s.start) {
        if end_values(before, *pcr) != (v1.clone(), v256.clone()) {
            return Err(chain_failure(
                what,
                format!(
                    "entry {}: its first checkpoint records values that are not the replay \
                     of the segment before it",
                    s.first_index
                ),
            ));
        }
    }
    Ok(())
}

/// `arbor log verify --archive DIR [LIST]`: verifies every segment of the
/// archive in manifest order (its file against the manifest's hash, its
/// entries, its checkpoints), checks that each one starts where the one
/// before it ended, from the values that one replays to, and then the live
/// list the same way, against `opts`' PCR values.
pub fn verify_chain(dir: &Path, live: Option<&Path>, opts: &VerifyOptions) -> Result<Chain> {
    let segments = read_manifest(dir)?;
    if segments.is_empty() && live.is_none() {
        bail!(
            "{}: no archive manifest and no list to verify",
            dir.display()
        );
    }
    let mut chain = Chain::default();
    let mut prev: Option<(u64, Summary)> = None;
    let seg_opts = VerifyOptions {
        pcrs: Vec::new(),
        certs: opts.certs.clone(),
    };
    for (k, seg) in segments.iter().enumerate() {
        let path = dir.join(&seg.name);
        let what = format!("segment {k} ({})", path.display());
        let data = std::fs::read(&path)
            .map_err(|e| chain_failure(&what, format!("missing or unreadable: {e}")))?;
        let sha: [u8; 32] = Sha256::digest(&data).into();
        if sha != seg.sha256 {
            return Err(chain_failure(
                &what,
                "its content is not what the manifest recorded (truncated or tampered)",
            ));
        }
        let s = log::verify(&path, &seg_opts).map_err(|e| chain_failure(&what, e))?;
        continues(&what, &s, &prev)?;
        if s.first_index != seg.first || s.first_index + s.entries != seg.end {
            return Err(chain_failure(
                &what,
                format!(
                    "holds entries {}..{} but the manifest says {}..{}",
                    s.first_index,
                    s.first_index + s.entries,
                    seg.first,
                    seg.end
                ),
            ));
        }
        chain.segments.push(SegmentReport {
            path,
            first: s.first_index,
            entries: s.entries,
            violations: s.violations,
            checkpoints: s.checkpoints.len(),
        });
        prev = Some((seg.end, s));
    }
    if let Some(list) = live {
        let what = format!("live list ({})", list.display());
        let s = log::verify(list, opts).map_err(|e| chain_failure(&what, e))?;
        continues(&what, &s, &prev)?;
        chain.live = Some(s);
    }
    Ok(chain)
}
