// SPDX-License-Identifier: GPL-2.0
//! Binary IMA measurement lists: streaming reader, ASCII/JSON rendering,
//! template digest checks, PCR replay per bank and signature checks.
//!
//! Entries are read one at a time into a reused buffer, so memory stays
//! bounded by the largest entry (at most
//! [`template::MAX_TEMPLATE_DATA`] of template data) whatever the list's
//! size. Each entry is then decoded and rendered by the shared
//! `arbor_format::template` code, the same code the kernel uses to write
//! the list.

use crate::read_full;
use crate::sign::{check_ima_sig, SigCheck, VerifyKey};
use crate::Failure;
use anyhow::{bail, Context, Result};
use arbor_format::checkpoint;
use arbor_format::hex::Hex;
use arbor_format::template::{
    self, Entry, Field, FieldKind, Template, ENTRY_PREFIX_SIZE, TEMPLATE_DIGEST_SIZE,
};
use sha1::Sha1;
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

/// Reads a binary measurement list entry by entry.
pub struct ListReader<R> {
    r: R,
    buf: Vec<u8>,
    /// Index of the next entry.
    index: u64,
    /// Byte offset of the next entry.
    offset: u64,
}

fn le32(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    if let Some(s) = b.get(..4) {
        a.copy_from_slice(s);
    }
    u32::from_le_bytes(a)
}

impl<R: Read> ListReader<R> {
    /// A reader over `r`, which should be buffered by the caller if small
    /// reads are costly (a `File` is read in entry-sized pieces).
    pub fn new(r: R) -> Self {
        Self {
            r,
            buf: Vec::new(),
            index: 0,
            offset: 0,
        }
    }

    /// Index of the entry the next call to [`next_entry`](Self::next_entry)
    /// returns.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// Byte offset of the next entry.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Bytes the reader holds for the current entry: the largest entry
    /// seen so far, never the list.
    pub fn buffer_capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Appends exactly `n` bytes from the input to the buffer; `what` names
    /// the part for the error message.
    fn fill(&mut self, n: usize, what: &str) -> Result<()> {
        // Read through `take` so that a lying length never allocates more
        // than the input really holds.
        let got = (&mut self.r).take(n as u64).read_to_end(&mut self.buf)?;
        if got < n {
            bail!("truncated: {what} needs {n} bytes, only {got} left");
        }
        Ok(())
    }

    /// The next entry, or `None` at the end of the list. Errors name the
    /// entry's index and byte offset.
    pub fn next_entry(&mut self) -> Result<Option<Entry<'_>>> {
        let (index, offset) = (self.index, self.offset);
        let at = || format!("entry {index} at offset {offset}");
        self.buf.clear();
        self.buf.resize(ENTRY_PREFIX_SIZE, 0);
        let n = read_full(&mut self.r, &mut self.buf).with_context(at)?;
        if n == 0 {
            return Ok(None);
        }
        if n < ENTRY_PREFIX_SIZE {
            bail!(
                "{}: truncated: header needs {ENTRY_PREFIX_SIZE} bytes, only {n} left",
                at()
            );
        }
        let name_len = le32(self.buf.get(ENTRY_PREFIX_SIZE - 4..).unwrap_or_default());
        if name_len == 0 || name_len as usize > template::MAX_TEMPLATE_NAME {
            bail!(
                "{}: template name length {name_len} is not in 1..={}",
                at(),
                template::MAX_TEMPLATE_NAME
            );
        }
        self.fill(name_len as usize + 4, "template name and data length")
            .with_context(at)?;
        let data_len = le32(self.buf.get(self.buf.len() - 4..).unwrap_or_default());
        if data_len > template::MAX_TEMPLATE_DATA {
            bail!(
                "{}: template data length {data_len} exceeds the limit of {}",
                at(),
                template::MAX_TEMPLATE_DATA
            );
        }
        self.fill(data_len as usize, "template data")
            .with_context(at)?;
        let (entry, used) =
            template::parse_entry(&self.buf).map_err(|e| anyhow::anyhow!("{}: {e:?}", at()))?;
        self.index += 1;
        self.offset += used as u64;
        Ok(Some(entry))
    }
}

/// Opens a list file for streaming.
pub fn open(path: &Path) -> Result<ListReader<std::io::BufReader<std::fs::File>>> {
    let f =
        std::fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    Ok(ListReader::new(std::io::BufReader::with_capacity(
        1 << 16,
        f,
    )))
}

/// Encodes one binary entry (template digest = SHA-1 over the template
/// data, or all zeros for a violation) with the shared template encoder.
pub fn encode_entry(
    pcr: u32,
    template: Template,
    fields: &[Field<'_>],
    violation: bool,
) -> Result<Vec<u8>> {
    let len = template::template_data_len(fields).context("template data too long")?;
    let mut data = vec![0u8; len];
    template::encode_template_data(fields, &mut data)
        .map_err(|e| anyhow::anyhow!("encoding: {e:?}"))?;
    let digest: [u8; TEMPLATE_DIGEST_SIZE] = if violation {
        [0; TEMPLATE_DIGEST_SIZE]
    } else {
        Sha1::digest(&data).into()
    };
    let name = template.name().as_bytes();
    let mut out = Vec::with_capacity(ENTRY_PREFIX_SIZE + name.len() + 4 + data.len());
    out.extend_from_slice(&pcr.to_le_bytes());
    out.extend_from_slice(&digest);
    out.extend_from_slice(&(name.len() as u32).to_le_bytes());
    out.extend_from_slice(name);
    out.extend_from_slice(
        &u32::try_from(data.len())
            .context("template data too long")?
            .to_le_bytes(),
    );
    out.extend_from_slice(&data);
    Ok(out)
}

struct VecSink<'a>(&'a mut Vec<u8>);

impl template::Sink for VecSink<'_> {
    type Error = std::convert::Infallible;
    fn put(&mut self, bytes: &[u8]) -> Result<(), Self::Error> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }
}

/// Renders `entry` as its `ascii_runtime_measurements` line.
pub fn render_line(entry: &Entry<'_>, out: &mut Vec<u8>) -> Result<()> {
    template::render_ascii(&mut VecSink(out), entry).map_err(|e| match e {
        template::RenderError::Format(f) => anyhow::anyhow!(
            "template {:?} cannot be rendered: {f:?}",
            String::from_utf8_lossy(entry.template_name)
        ),
        template::RenderError::Sink(never) => match never {},
    })
}

/// Renders `entry` as a JSON object.
pub fn render_json(index: u64, entry: &Entry<'_>) -> Result<serde_json::Value> {
    let name = String::from_utf8_lossy(entry.template_name).into_owned();
    let template = Template::from_name(entry.template_name)
        .with_context(|| format!("template {name:?} is not one arbor knows"))?;
    let mut fields = Vec::new();
    for (kind, field) in template.fields().iter().zip(template::fields(entry.data)) {
        let field = field.map_err(|e| anyhow::anyhow!("field: {e:?}"))?;
        fields.push(match kind {
            FieldKind::DigestNg | FieldKind::DigestNgV2 => {
                let (prefix, digest) = template::split_digest_field(field)
                    .map_err(|e| anyhow::anyhow!("digest field: {e:?}"))?;
                let prefix = String::from_utf8_lossy(prefix);
                let parts: Vec<&str> = prefix.trim_end_matches(':').split(':').collect();
                let (kind_s, alg) = match parts.as_slice() {
                    [t, a] => (Some(*t), *a),
                    [a] => (None, *a),
                    _ => (None, ""),
                };
                serde_json::json!({
                    "field": if *kind == FieldKind::DigestNg { "d-ng" } else { "d-ngv2" },
                    "type": kind_s,
                    "algorithm": alg,
                    "digest": Hex(digest).to_string(),
                })
            }
            FieldKind::NameNg => {
                let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
                serde_json::json!({
                    "field": "n-ng",
                    "name": String::from_utf8_lossy(field.get(..end).unwrap_or_default()),
                })
            }
            FieldKind::Sig => serde_json::json!({ "field": "sig", "hex": Hex(field).to_string() }),
            FieldKind::Buf => serde_json::json!({ "field": "buf", "hex": Hex(field).to_string() }),
        });
    }
    // Reuse the ASCII renderer's validation (field count, syntax).
    render_line(entry, &mut Vec::new())?;
    Ok(serde_json::json!({
        "index": index,
        "pcr": entry.pcr,
        "template_digest": Hex(entry.template_digest).to_string(),
        "template": name,
        "fields": fields,
    }))
}

/// `arbor log show`: writes every entry as ASCII lines or JSON lines.
pub fn show(path: &Path, json: bool, out: &mut dyn Write) -> Result<()> {
    let mut reader = open(path)?;
    let mut line = Vec::new();
    loop {
        let index = reader.index();
        let Some(entry) = reader
            .next_entry()
            .with_context(|| path.display().to_string())?
        else {
            break;
        };
        line.clear();
        if json {
            let v = render_json(index, &entry)
                .with_context(|| format!("{}: entry {index}", path.display()))?;
            serde_json::to_writer(&mut line, &v)?;
            line.push(b'\n');
        } else {
            render_line(&entry, &mut line)
                .with_context(|| format!("{}: entry {index}", path.display()))?;
        }
        match out.write_all(&line) {
            Err(e) if e.kind() == ErrorKind::BrokenPipe => return Ok(()),
            r => r.context("writing output")?,
        }
    }
    out.flush().or_else(|e| {
        if e.kind() == ErrorKind::BrokenPipe {
            Ok(())
        } else {
            Err(e)
        }
    })?;
    Ok(())
}

/// A TPM PCR bank arbor replays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bank {
    /// SHA-1 bank: extended with the template digest.
    Sha1,
    /// SHA-256 bank: extended with SHA-256 over the template data.
    Sha256,
}

impl Bank {
    /// The bank's name, as in `pcr-sha256`.
    pub fn name(self) -> &'static str {
        match self {
            Bank::Sha1 => "sha1",
            Bank::Sha256 => "sha256",
        }
    }

    /// The bank named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "sha1" => Some(Bank::Sha1),
            "sha256" => Some(Bank::Sha256),
            _ => None,
        }
    }

    /// Digest size of the bank.
    pub fn size(self) -> usize {
        match self {
            Bank::Sha1 => 20,
            Bank::Sha256 => 32,
        }
    }

    fn extend(self, pcr: &mut Vec<u8>, value: &[u8]) {
        *pcr = match self {
            Bank::Sha1 => Sha1::new()
                .chain_update(&*pcr)
                .chain_update(value)
                .finalize()
                .to_vec(),
            Bank::Sha256 => Sha256::new()
                .chain_update(&*pcr)
                .chain_update(value)
                .finalize()
                .to_vec(),
        };
    }
}

/// Expected PCR values of one bank, by PCR index.
#[derive(Clone, Debug, Default)]
pub struct PcrValues(pub BTreeMap<u32, Vec<u8>>);

fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.len() % 2 != 0 {
        return None;
    }
    digits
        .chunks(2)
        .map(|p| {
            std::str::from_utf8(p)
                .ok()
                .and_then(|p| u8::from_str_radix(p, 16).ok())
        })
        .collect()
}

/// Parses a PCR file in evmctl's format: lines `PCR-NN: <hex>` (the hex
/// possibly split by spaces), numbered from 00 in order.
pub fn parse_pcr_file(text: &str, bank: Bank, name: &str) -> Result<PcrValues> {
    let mut values = PcrValues::default();
    for (lineno, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty() {
            continue;
        }
        let expect = values.0.len();
        let prefix = format!("PCR-{expect:02}:");
        let Some(hex) = line.strip_prefix(&prefix) else {
            bail!(
                "{name}:{}: expected a line starting with {prefix:?}",
                lineno + 1
            );
        };
        let v =
            parse_hex(hex).with_context(|| format!("{name}:{}: not a hex value", lineno + 1))?;
        if v.len() != bank.size() {
            bail!(
                "{name}:{}: {} bytes, a {} PCR has {}",
                lineno + 1,
                v.len(),
                bank.name(),
                bank.size()
            );
        }
        values.0.insert(expect as u32, v);
    }
    Ok(values)
}

/// Writes PCR values in evmctl's format, PCR-00 to PCR-23 (zero where
/// `values` has none).
pub fn format_pcr_file(values: &BTreeMap<u32, Vec<u8>>, bank: Bank) -> String {
    let zero = vec![0u8; bank.size()];
    (0..24u32)
        .map(|i| format!("PCR-{i:02}: {}\n", Hex(values.get(&i).unwrap_or(&zero))))
        .collect()
}

/// Reads a TPM's PCR values of `bank` from sysfs (`DIR/pcr-<bank>/N`).
pub fn read_tpm_pcrs(dir: &Path, bank: Bank, pcrs: impl Iterator<Item = u32>) -> Result<PcrValues> {
    let mut values = PcrValues::default();
    for i in pcrs {
        let p = dir.join(format!("pcr-{}", bank.name())).join(i.to_string());
        let text =
            std::fs::read_to_string(&p).with_context(|| format!("{}: cannot read", p.display()))?;
        let v =
            parse_hex(text.trim()).with_context(|| format!("{}: not a hex value", p.display()))?;
        if v.len() != bank.size() {
            bail!(
                "{}: {} bytes, expected {}",
                p.display(),
                v.len(),
                bank.size()
            );
        }
        values.0.insert(i, v);
    }
    Ok(values)
}

/// Where `verify` takes expected PCR values from.
#[derive(Clone, Debug)]
pub enum PcrSource {
    /// An evmctl-style file for one bank.
    File(Bank, PathBuf),
    /// The TPM's sysfs directory (as /sys/class/tpm/tpm0), all banks.
    Tpm(PathBuf),
}

/// What `verify` found.
#[derive(Debug, Default)]
pub struct Summary {
    /// Entries read.
    pub entries: u64,
    /// Violation entries (all-zero template digest).
    pub violations: u64,
    /// Signatures that verified.
    pub good_sigs: u64,
    /// Signatures not checked for want of a certificate with their key id.
    pub unknown_key_sigs: u64,
    /// Final replayed PCR values per bank.
    pub pcrs: BTreeMap<Bank, BTreeMap<u32, Vec<u8>>>,
    /// Global index of the first entry: 0 for a list that starts at boot,
    /// else the index its first entry (a checkpoint) records.
    pub first_index: u64,
    /// For a list that starts at a checkpoint after boot: the PCR and the
    /// values (SHA-1, SHA-256) the replay started from, as recorded.
    pub start: Option<(u32, Vec<u8>, Vec<u8>)>,
    /// The checkpoints seen: global index and template digest.
    pub checkpoints: Vec<(u64, [u8; TEMPLATE_DIGEST_SIZE])>,
    /// Remarks that do not fail the verification.
    pub notes: Vec<String>,
}

/// Options of `verify`.
#[derive(Debug, Default)]
pub struct VerifyOptions {
    /// Expected PCR values.
    pub pcrs: Vec<PcrSource>,
    /// Certificates for signature checks.
    pub certs: Vec<PathBuf>,
}

fn fail(path: &Path, index: u64, reason: impl std::fmt::Display) -> anyhow::Error {
    Failure(format!("{}: entry {index}: {reason}", path.display())).into()
}

/// Checks checkpoint `entry` (global index `index`) against the replay so
/// far, or, as the first entry of a list that starts after boot, takes the
/// replay's starting values from it.
fn follow_checkpoint(
    path: &Path,
    index: u64,
    first: bool,
    entry: &Entry<'_>,
    payload: &[u8],
    summary: &mut Summary,
) -> Result<()> {
    let c = checkpoint::parse(payload)
        .map_err(|e| fail(path, index, format!("checkpoint payload: {}", e.describe())))?;
    let Some((r1, r256)) = c.sha1_sha256() else {
        return Err(fail(
            path,
            index,
            "checkpoint without the sha1 and sha256 banks",
        ));
    };
    if c.header.pcr != entry.pcr {
        return Err(fail(
            path,
            index,
            format!(
                "checkpoint for PCR {} in an entry of PCR {}",
                c.header.pcr, entry.pcr
            ),
        ));
    }
    if first && c.header.index > 0 {
        summary.first_index = c.header.index;
        summary.start = Some((entry.pcr, r1.to_vec(), r256.to_vec()));
        for (bank, v) in [(Bank::Sha1, r1), (Bank::Sha256, r256)] {
            summary
                .pcrs
                .entry(bank)
                .or_default()
                .insert(entry.pcr, v.to_vec());
        }
    }
    let index = summary.first_index + index;
    if c.header.index != index {
        return Err(fail(
            path,
            index,
            format!(
                "checkpoint records index {}: entries are missing or out of order",
                c.header.index
            ),
        ));
    }
    for (bank, recorded) in [(Bank::Sha1, r1), (Bank::Sha256, r256)] {
        let zero = vec![0; bank.size()];
        let replayed = summary
            .pcrs
            .get(&bank)
            .and_then(|m| m.get(&entry.pcr))
            .unwrap_or(&zero);
        if replayed != recorded {
            return Err(fail(
                path,
                index,
                format!(
                    "checkpoint records {} {} but the entries before it replay to {}",
                    bank.name(),
                    Hex(recorded),
                    Hex(replayed)
                ),
            ));
        }
    }
    summary.checkpoints.push((index, *entry.template_digest));
    Ok(())
}

/// Checks the fields of a known template and its signature, if any.
fn check_fields(
    path: &Path,
    index: u64,
    entry: &Entry<'_>,
    template: Template,
    keys: &[VerifyKey],
    summary: &mut Summary,
) -> Result<()> {
    render_line(entry, &mut Vec::new()).map_err(|e| fail(path, index, e))?;
    let fields: Vec<&[u8]> = template::fields(entry.data)
        .filter_map(|f| f.ok())
        .collect();
    let (Some(digest_field), Some(&sig)) = (fields.first(), fields.get(2)) else {
        return Ok(());
    };
    if !template.fields().contains(&FieldKind::Sig) || sig.is_empty() || keys.is_empty() {
        return Ok(());
    }
    let (prefix, digest) = template::split_digest_field(digest_field)
        .map_err(|e| fail(path, index, format!("{e:?}")))?;
    let prefix = String::from_utf8_lossy(prefix);
    let alg = prefix
        .trim_end_matches(':')
        .rsplit(':')
        .next()
        .unwrap_or("");
    match check_ima_sig(sig, alg, digest, keys) {
        SigCheck::Good(_) => summary.good_sigs += 1,
        SigCheck::UnknownKey(_) => summary.unknown_key_sigs += 1,
        SigCheck::Bad(why) => return Err(fail(path, index, format!("bad signature: {why}"))),
    }
    Ok(())
}

struct Expected {
    bank: Bank,
    values: PcrValues,
    from: String,
    /// A live TPM: the list may have grown past the PCR values read before
    /// it, so a match at an earlier entry is accepted (as evmctl does).
    live: bool,
    /// Per PCR, the last entry index after which the replay matched.
    matched_at: BTreeMap<u32, u64>,
}

fn load_expected(sources: &[PcrSource]) -> Result<Vec<Expected>> {
    let mut all = Vec::new();
    for source in sources {
        match source {
            PcrSource::File(bank, file) => {
                let text = std::fs::read_to_string(file)
                    .with_context(|| format!("{}: cannot read", file.display()))?;
                let from = file.display().to_string();
                let values = parse_pcr_file(&text, *bank, &from)?;
                all.push(Expected {
                    bank: *bank,
                    values,
                    from,
                    live: false,
                    matched_at: BTreeMap::new(),
                });
            }
            PcrSource::Tpm(dir) => {
                let mut found = false;
                for bank in [Bank::Sha1, Bank::Sha256] {
                    let bank_dir = dir.join(format!("pcr-{}", bank.name()));
                    if !bank_dir.is_dir() {
                        continue;
                    }
                    found = true;
                    let present = (0..24u32)
                        .filter(|i| bank_dir.join(i.to_string()).exists())
                        .collect::<Vec<_>>();
                    let values = read_tpm_pcrs(dir, bank, present.into_iter())?;
                    let from = bank_dir.display().to_string();
                    all.push(Expected {
                        bank,
                        values,
                        from,
                        live: true,
                        matched_at: BTreeMap::new(),
                    });
                }
                if !found {
                    bail!("{}: no pcr-sha1 or pcr-sha256 directory (no TPM 2.0, or kernel older than 5.12)", dir.display());
                }
            }
        }
    }
    Ok(all)
}

/// `arbor log verify`: checks every entry, replays the PCRs and compares
/// them with the expected values. Verification failures are [`Failure`]
/// errors; unreadable or malformed input gives other errors.
///
/// Expected values are read before the list, so that a live TPM can only
/// be behind the list, never ahead of it: for `--tpm`, a PCR that matched
/// the replay after some entry passes, and the entries after it are
/// reported in [`Summary::notes`] as not covered by the PCR.
pub fn verify(path: &Path, opts: &VerifyOptions) -> Result<Summary> {
    let keys = opts
        .certs
        .iter()
        .map(|p| VerifyKey::load(p))
        .collect::<Result<Vec<_>>>()?;
    let mut expected = load_expected(&opts.pcrs)?;
    let mut reader = open(path)?;
    let mut summary = Summary::default();
    let banks = [Bank::Sha1, Bank::Sha256];
    loop {
        let index = reader.index();
        let entry = match reader.next_entry() {
            Ok(Some(e)) => e,
            Ok(None) => break,
            Err(e) => return Err(e.context(format!("{}: malformed list", path.display()))),
        };
        let violation = entry.template_digest.iter().all(|&b| b == 0);
        let sha1: [u8; TEMPLATE_DIGEST_SIZE] = Sha1::digest(entry.data).into();
        if violation {
            summary.violations += 1;
        } else if &sha1 != entry.template_digest {
            return Err(fail(
                path,
                summary.first_index + index,
                format!(
                    "template digest {} is not SHA-1 of the template data ({})",
                    Hex(entry.template_digest),
                    Hex(&sha1)
                ),
            ));
        }
        if let Some(t) = Template::from_name(entry.template_name) {
            check_fields(
                path,
                summary.first_index + index,
                &entry,
                t,
                &keys,
                &mut summary,
            )?;
        }
        if let Some(payload) = checkpoint::payload_of(&entry) {
            follow_checkpoint(path, index, index == 0, &entry, payload, &mut summary)?;
        }
        for bank in banks {
            let pcr = summary
                .pcrs
                .entry(bank)
                .or_default()
                .entry(entry.pcr)
                .or_insert_with(|| vec![0; bank.size()]);
            if violation {
                bank.extend(pcr, &vec![0xff; bank.size()]);
            } else {
                match bank {
                    Bank::Sha1 => bank.extend(pcr, &sha1),
                    Bank::Sha256 => bank.extend(pcr, &Sha256::digest(entry.data)),
                }
            }
            for e in expected.iter_mut().filter(|e| e.live && e.bank == bank) {
                if e.values.0.get(&entry.pcr) == Some(pcr) {
                    e.matched_at.insert(entry.pcr, summary.first_index + index);
                }
            }
        }
        summary.entries += 1;
    }
    for e in &expected {
        for (pcr, replayed) in summary.pcrs.get(&e.bank).into_iter().flatten() {
            let Some(want) = e.values.0.get(pcr) else {
                bail!("{}: has no value for {} PCR {pcr}", e.from, e.bank.name());
            };
            if want == replayed {
                continue;
            }
            if e.live {
                let at = match e.matched_at.get(pcr) {
                    Some(at) => Some(format!("up to entry {at}")),
                    // Still at its reset value: read before the PCR's first entry.
                    None if want.iter().all(|&b| b == 0) => {
                        Some("before its first entry".to_string())
                    }
                    None => None,
                };
                if let Some(at) = at {
                    summary.notes.push(format!(
                        "{} PCR {pcr} matches the list {at}; later entries of that PCR were added after the PCR was read",
                        e.bank.name()
                    ));
                    continue;
                }
            }
            return Err(Failure(format!(
                "{}: after all {} entries, {} PCR {pcr} replays to {} but {} has {}",
                path.display(),
                summary.entries,
                e.bank.name(),
                Hex(replayed),
                e.from,
                Hex(want)
            ))
            .into());
        }
    }
    Ok(summary)
}
