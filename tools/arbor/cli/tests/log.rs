// SPDX-License-Identifier: GPL-2.0
//! `arbor log show|verify`: lists made with the shared encoder, rendered
//! and replayed by arbor and by `evmctl ima_measurement`, plus malformed
//! lists.

mod common;

use arbor_cli::log::{encode_entry, format_pcr_file, Bank};
use arbor_format::template::{DigestType, Field, Template};
use common::{arbor, have, ima_reference, ok, run};
use sha1::Sha1;
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A digest with 0x3a (':') and 0x00 bytes in it, to catch parsers that
/// split at the wrong place.
fn tricky_digest(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| match i % 5 {
            0 => 0x3a,
            1 => 0,
            _ => (i as u8).wrapping_mul(seed),
        })
        .collect()
}

struct Entry {
    pcr: u32,
    template: Template,
    digest: Vec<u8>,
    verity: bool,
    name: &'static str,
    extra: Vec<u8>,
    violation: bool,
}

impl Entry {
    fn new(template: Template, digest: Vec<u8>, name: &'static str) -> Self {
        Self {
            pcr: 10,
            template,
            digest,
            verity: true,
            name,
            extra: Vec::new(),
            violation: false,
        }
    }

    fn encode(&self) -> Vec<u8> {
        let alg = if self.digest.len() == 20 {
            "sha1"
        } else {
            "sha256"
        };
        let d = match self.template {
            Template::ImaNgV2 | Template::ImaSigV2 => Field::DigestNgV2 {
                kind: if self.verity {
                    DigestType::Verity
                } else {
                    DigestType::Ima
                },
                alg,
                digest: &self.digest,
            },
            _ => Field::DigestNg {
                alg,
                digest: &self.digest,
            },
        };
        let mut fields = vec![d, Field::NameNg(self.name.as_bytes())];
        if matches!(
            self.template,
            Template::ImaSig | Template::ImaSigV2 | Template::ImaBuf
        ) {
            fields.push(Field::Raw(&self.extra));
        }
        encode_entry(self.pcr, self.template, &fields, self.violation).unwrap()
    }
}

fn sample_entries() -> Vec<Entry> {
    let mut v = vec![
        Entry::new(Template::ImaNg, vec![0; 20], "boot_aggregate"),
        Entry::new(Template::ImaNg, tricky_digest(32, 3), "/usr/bin/with space"),
        Entry::new(
            Template::ImaNgV2,
            tricky_digest(32, 5),
            "/usr/lib/verity.so",
        ),
        Entry::new(Template::ImaSig, tricky_digest(32, 7), "/etc/no-sig"),
        Entry::new(Template::ImaSigV2, tricky_digest(32, 9), "/bin/empty-sig"),
    ];
    let mut ima = Entry::new(Template::ImaNgV2, tricky_digest(32, 11), "/bin/ima-type");
    ima.verity = false;
    v.push(ima);
    let mut buf = Entry::new(Template::ImaBuf, tricky_digest(32, 13), "kexec-cmdline");
    buf.extra = b"root=/dev/vda console=ttyS0".to_vec();
    v.push(buf);
    let mut other_pcr = Entry::new(Template::ImaNg, tricky_digest(32, 15), "/pcr11");
    other_pcr.pcr = 11;
    v.push(other_pcr);
    v
}

fn write_list(dir: &Path, name: &str, entries: &[Entry]) -> PathBuf {
    let p = dir.join(name);
    let bytes: Vec<u8> = entries.iter().flat_map(|e| e.encode()).collect();
    std::fs::write(&p, bytes).unwrap();
    p
}

/// PCR values after extending `bank` with each `(pcr, template data,
/// violation)`, computed here rather than by arbor's verifier.
fn replay_events<'a>(
    events: impl IntoIterator<Item = (u32, &'a [u8], bool)>,
    bank: Bank,
) -> BTreeMap<u32, Vec<u8>> {
    let mut pcrs: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
    for (index, data, violation) in events {
        let pcr = pcrs.entry(index).or_insert_with(|| vec![0; bank.size()]);
        let value = match (bank, violation) {
            (_, true) => vec![0xff; bank.size()],
            (Bank::Sha1, false) => Sha1::digest(data).to_vec(),
            (Bank::Sha256, false) => Sha256::digest(data).to_vec(),
        };
        *pcr = match bank {
            Bank::Sha1 => Sha1::new()
                .chain_update(&pcr)
                .chain_update(&value)
                .finalize()
                .to_vec(),
            Bank::Sha256 => Sha256::new()
                .chain_update(&pcr)
                .chain_update(&value)
                .finalize()
                .to_vec(),
        };
    }
    pcrs
}

/// PCR values replayed independently of arbor's verifier, violations as
/// the entries were meant (not as the encoder marked them).
fn replay(entries: &[Entry], bank: Bank) -> BTreeMap<u32, Vec<u8>> {
    let parsed: Vec<ima_reference::Entry> = entries
        .iter()
        .flat_map(|e| ima_reference::parse_list(&e.encode()))
        .collect();
    replay_events(
        entries
            .iter()
            .zip(&parsed)
            .map(|(e, p)| (e.pcr, &p.data[..], e.violation)),
        bank,
    )
}

fn write_pcrs(dir: &Path, name: &str, entries: &[Entry], bank: Bank) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format_pcr_file(&replay(entries, bank), bank)).unwrap();
    p
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `arbor log show LIST`'s output, checked against the reference renderer
/// (which shares no code with arbor's).
fn show_checked(list: &Path) -> String {
    let out = ok(arbor().args(["log", "show"]).arg(list));
    let want = ima_reference::render_list(&std::fs::read(list).unwrap());
    assert_eq!(out, want, "arbor log show against the reference");
    out
}

#[test]
fn show_prints_the_kernel_ascii_lines() {
    let dir = tempfile::tempdir().unwrap();
    let entries = sample_entries();
    let list = write_list(dir.path(), "list", &entries);
    // Besides the reference, some lines written out from the entries'
    // values, which checks the encoder and the reference too.
    let out = show_checked(&list);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), entries.len());
    let td = |e: &Entry| hex(&e.encode()[4..24]);
    assert_eq!(
        lines[0],
        format!(
            "10 {} ima-ng sha1:{} boot_aggregate",
            td(&entries[0]),
            "00".repeat(20)
        )
    );
    assert_eq!(
        lines[1],
        format!(
            "10 {} ima-ng sha256:{} /usr/bin/with_space",
            td(&entries[1]),
            hex(&entries[1].digest)
        )
    );
    assert_eq!(
        lines[2],
        format!(
            "10 {} ima-ngv2 verity:sha256:{} /usr/lib/verity.so",
            td(&entries[2]),
            hex(&entries[2].digest)
        )
    );
    // An empty sig field still gets its separating space.
    assert_eq!(
        lines[3],
        format!(
            "10 {} ima-sig sha256:{} /etc/no-sig ",
            td(&entries[3]),
            hex(&entries[3].digest)
        )
    );
    assert_eq!(
        lines[5],
        format!(
            "10 {} ima-ngv2 ima:sha256:{} /bin/ima-type",
            td(&entries[5]),
            hex(&entries[5].digest)
        )
    );
    assert!(lines[6].ends_with(&format!(
        "kexec-cmdline {}",
        hex(b"root=/dev/vda console=ttyS0")
    )));
    assert!(lines[7].starts_with("11 "));

    let json = ok(arbor().args(["log", "show", "--json"]).arg(&list));
    let objs: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objs.len(), entries.len());
    assert_eq!(objs[2]["template"], "ima-ngv2");
    assert_eq!(objs[2]["fields"][0]["type"], "verity");
    assert_eq!(objs[2]["fields"][0]["digest"], hex(&entries[2].digest));
    assert_eq!(objs[1]["fields"][1]["name"], "/usr/bin/with_space");
    assert_eq!(objs[7]["pcr"], 11);
}

/// Shapes the sample list lacks, against the reference renderer: non-empty
/// signatures, an empty buffer, a violation, runs of spaces in a path and
/// PCR numbers of one and three digits (`%2d`).
#[test]
fn show_matches_the_reference_renderer() {
    let dir = tempfile::tempdir().unwrap();
    let mut sig = Entry::new(Template::ImaSig, tricky_digest(32, 19), "/bin/signed");
    sig.extra = vec![
        0x03, 0x02, 0x04, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x02, 0x3a, 0x00,
    ];
    let mut sigv2 = Entry::new(Template::ImaSigV2, tricky_digest(32, 21), "/lib/v.so");
    sigv2.extra = vec![0x06, 0x03, 0x04, 0, 0, 0, 1, 0, 1, 0x5a];
    let empty_buf = Entry::new(Template::ImaBuf, tricky_digest(32, 23), "empty-buffer");
    let mut violation = Entry::new(Template::ImaNg, vec![0; 32], "/tmp/written while read");
    violation.violation = true;
    let spaces = Entry::new(Template::ImaNgV2, tricky_digest(32, 25), " a  b c ");
    let mut pcr5 = Entry::new(Template::ImaNg, tricky_digest(20, 27), "/pcr5");
    pcr5.pcr = 5;
    let mut pcr123 = Entry::new(Template::ImaNg, tricky_digest(32, 29), "/pcr123");
    pcr123.pcr = 123;
    let entries = [sig, sigv2, empty_buf, violation, spaces, pcr5, pcr123];
    let list = write_list(dir.path(), "list", &entries);
    let out = show_checked(&list);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].ends_with(" /bin/signed 030204deadbeef00023a00"));
    assert!(lines[2].ends_with(" empty-buffer "));
    assert!(lines[3].starts_with(&format!("10 {} ima-ng", "00".repeat(20))));
    assert!(lines[4].ends_with(" _a__b_c_"));
    assert!(lines[5].starts_with(" 5 "));
    assert!(lines[6].starts_with("123 "));
}

#[test]
fn verify_replays_both_banks() {
    let dir = tempfile::tempdir().unwrap();
    let mut entries = sample_entries();
    let mut violation = Entry::new(Template::ImaNg, vec![0; 32], "/tmp/tomtou");
    violation.violation = true;
    entries.push(violation);
    let list = write_list(dir.path(), "list", &entries);
    let sha1 = write_pcrs(dir.path(), "pcrs-sha1", &entries, Bank::Sha1);
    let sha256 = write_pcrs(dir.path(), "pcrs-sha256", &entries, Bank::Sha256);
    let out = ok(arbor()
        .args(["log", "verify"])
        .arg(&list)
        .arg("--pcrs")
        .arg(format!("sha1,{}", sha1.display()))
        .arg("--pcrs")
        .arg(format!("sha256,{}", sha256.display())));
    assert!(out.contains("OK: 9 entries, 1 violations"), "{out}");
    assert!(
        out.contains(&format!(
            "sha256: PCR 10: {}",
            hex(&replay(&entries, Bank::Sha256)[&10])
        )),
        "{out}"
    );

    // A wrong expected value fails with exit code 1 and names the PCR.
    let wrong = dir.path().join("wrong");
    let mut values = replay(&entries, Bank::Sha1);
    values.get_mut(&11).unwrap()[0] ^= 1;
    std::fs::write(&wrong, format_pcr_file(&values, Bank::Sha1)).unwrap();
    let out = run(arbor()
        .args(["log", "verify"])
        .arg(&list)
        .arg("--pcrs")
        .arg(format!("sha1,{}", wrong.display())));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("sha1 PCR 11"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The same values in a fake TPM sysfs tree.
    let tpm = dir.path().join("tpm0");
    for bank in [Bank::Sha1, Bank::Sha256] {
        let d = tpm.join(format!("pcr-{}", bank.name()));
        std::fs::create_dir_all(&d).unwrap();
        for (i, v) in replay(&entries, bank) {
            std::fs::write(
                d.join(i.to_string()),
                format!("{}\n", hex(&v).to_uppercase()),
            )
            .unwrap();
        }
    }
    ok(arbor()
        .args(["log", "verify", "--tpm", "--tpm-dir"])
        .arg(&tpm)
        .arg(&list));

    // A TPM read before the last entries were logged: the replay matched
    // at an earlier entry, which passes with a note for a live TPM but not
    // for a PCR file.
    let tpm = dir.path().join("tpm-behind");
    let earlier = &entries[..entries.len() - 2];
    for bank in [Bank::Sha1, Bank::Sha256] {
        let d = tpm.join(format!("pcr-{}", bank.name()));
        std::fs::create_dir_all(&d).unwrap();
        let values = replay(earlier, bank);
        for i in 0..24u32 {
            let v = values.get(&i).cloned().unwrap_or(vec![0; bank.size()]);
            std::fs::write(d.join(i.to_string()), format!("{}\n", hex(&v))).unwrap();
        }
    }
    let out = run(arbor()
        .args(["log", "verify", "--tpm", "--tpm-dir"])
        .arg(&tpm)
        .arg(&list));
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("PCR 10 matches the list up to entry 6"),
        "{err}"
    );
    assert!(
        err.contains("PCR 11 matches the list before its first entry"),
        "{err}"
    );
    let behind = write_pcrs(dir.path(), "pcrs-behind", earlier, Bank::Sha1);
    let out = run(arbor()
        .args(["log", "verify", "--pcrs"])
        .arg(format!("sha1,{}", behind.display()))
        .arg(&list));
    assert_eq!(out.status.code(), Some(1));
    // No TPM at all is an input error.
    let out = run(arbor()
        .args(["log", "verify", "--tpm", "--tpm-dir"])
        .arg(dir.path().join("none"))
        .arg(&list));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn verify_finds_the_first_bad_template_digest() {
    let dir = tempfile::tempdir().unwrap();
    let entries = sample_entries();
    let mut bytes: Vec<u8> = Vec::new();
    let mut offsets = Vec::new();
    for e in &entries {
        offsets.push(bytes.len());
        bytes.extend(e.encode());
    }
    // Flip a bit of entry 3's path and of entry 5's template digest.
    let last = offsets[4] - 3;
    bytes[last] ^= 1;
    bytes[offsets[5] + 4] ^= 1;
    let list = dir.path().join("bad");
    std::fs::write(&list, &bytes).unwrap();
    let out = run(arbor().args(["log", "verify"]).arg(&list));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("entry 3:") && err.contains("template digest"),
        "{err}"
    );
}

/// A list read from a generator that never holds more than a few entries:
/// the reader keeps one entry at a time, so its buffer stays small however
/// long the list is.
#[test]
fn reader_streams_in_bounded_memory() {
    struct Gen {
        entry: Vec<u8>,
        left: u64,
        pos: usize,
    }
    impl std::io::Read for Gen {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.pos == self.entry.len() {
                if self.left == 0 {
                    return Ok(0);
                }
                self.left -= 1;
                self.pos = 0;
            }
            let n = buf.len().min(self.entry.len() - self.pos);
            buf[..n].copy_from_slice(&self.entry[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }
    let entry = Entry::new(
        Template::ImaNgV2,
        tricky_digest(32, 3),
        "/usr/lib/x86_64-linux-gnu/libfoo.so.1",
    )
    .encode();
    let count = 200_000u64;
    let gen = Gen {
        pos: entry.len(),
        entry: entry.clone(),
        left: count,
    };
    let mut reader = arbor_cli::log::ListReader::new(std::io::BufReader::new(gen));
    let mut n = 0;
    while let Some(e) = reader.next_entry().unwrap() {
        assert_eq!(e.data.len(), entry.len() - 28 - 8 - 4);
        n += 1;
    }
    assert_eq!(n, count);
    assert_eq!(reader.offset(), count * entry.len() as u64);
    assert!(
        reader.buffer_capacity() < 4096,
        "{}",
        reader.buffer_capacity()
    );
}

fn expect_malformed(bytes: &[u8], what: &str) {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list");
    std::fs::write(&list, bytes).unwrap();
    for cmd in [
        &["log", "show"][..],
        &["log", "verify"],
        &["log", "show", "--json"],
    ] {
        let out = run(arbor().args(cmd).arg(&list));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {cmd:?}: {err}");
        assert!(
            err.contains("list") && err.contains(what),
            "{cmd:?}: expected {what:?} in: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn malformed_lists_give_clean_errors() {
    let good: Vec<u8> = sample_entries().iter().flat_map(|e| e.encode()).collect();
    let first = sample_entries()[0].encode().len();
    // Every truncation inside the second entry.
    for cut in first + 1..first + sample_entries()[1].encode().len() {
        expect_malformed(&good[..cut], "truncated");
    }
    // A huge template name length.
    let mut b = good.clone();
    b[first + 24..first + 28].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    expect_malformed(&b, "template name length 4294967280");
    let mut b = good.clone();
    b[first + 24..first + 28].copy_from_slice(&0u32.to_le_bytes());
    expect_malformed(&b, "template name length 0");
    // A template data length far past the end of the file, and one just past it.
    let name_len = 6;
    let dl = first + 28 + name_len;
    let mut b = good.clone();
    b[dl..dl + 4].copy_from_slice(&(60u32 << 20).to_le_bytes());
    expect_malformed(&b, "truncated");
    let mut b = good.clone();
    b[dl..dl + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    expect_malformed(&b, "exceeds the limit");
    // A field length that lies inside the template data.
    let mut b = good.clone();
    b[dl + 4..dl + 8].copy_from_slice(&1000u32.to_le_bytes());
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list");
    std::fs::write(&list, &b).unwrap();
    let out = run(arbor().args(["log", "show"]).arg(&list));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("entry 1"));
    // verify: the template digest no longer matches, a verification failure.
    let out = run(arbor().args(["log", "verify"]).arg(&list));
    assert_eq!(out.status.code(), Some(1));
    // Missing file, empty list.
    let out = run(arbor().args(["log", "show"]).arg(dir.path().join("nope")));
    assert_eq!(out.status.code(), Some(2));
    std::fs::write(&list, b"").unwrap();
    assert_eq!(ok(arbor().args(["log", "show"]).arg(&list)), "");
}

#[test]
fn garbage_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list");
    let good: Vec<u8> = sample_entries().iter().flat_map(|e| e.encode()).collect();
    let mut seed = 0x1234_5678_9abc_def0u64;
    for round in 0..40 {
        let mut b = good.clone();
        for _ in 0..(1 + round % 6) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let i = (seed as usize) % b.len();
            b[i] = (seed >> 40) as u8;
        }
        std::fs::write(&list, &b).unwrap();
        for cmd in [&["log", "show"][..], &["log", "verify"]] {
            let out = run(arbor().args(cmd).arg(&list));
            let code = out.status.code();
            assert!(matches!(code, Some(0..=2)), "{code:?}");
            assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
        }
    }
}

fn evmctl(list: &Path, pcr_args: &[String], extra: &[&str]) -> String {
    let mut cmd = Command::new("evmctl");
    cmd.args(["ima_measurement", "-v"]).args(extra);
    for p in pcr_args {
        cmd.args(["--pcrs", p]);
    }
    let out = run(cmd.arg(list));
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

const EVMCTL_OK: &str = "Matched per TPM bank calculated digest(s).";

/// arbor's encoder and PCR file writer against evmctl's replay, and
/// arbor's ASCII lines against the ones evmctl prints. evmctl 1.4 exits 0
/// even on some failures, so its output is what is checked.
#[test]
fn evmctl_replays_arbor_lists() {
    if !have("evmctl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Observed with evmctl 1.4: it stops at an ima-buf entry, and of a list
    // that starts on PCR 10 it ignores the PCR 11 entries; leave both out.
    let mut entries: Vec<Entry> = sample_entries()
        .into_iter()
        .filter(|e| e.template != Template::ImaBuf && e.pcr == 10)
        .collect();
    let list = write_list(dir.path(), "list", &entries);
    let sha1 = write_pcrs(dir.path(), "pcrs-sha1", &entries, Bank::Sha1);
    let sha256 = write_pcrs(dir.path(), "pcrs-sha256", &entries, Bank::Sha256);
    let args = [
        format!("sha1,{}", sha1.display()),
        format!("sha256,{}", sha256.display()),
    ];
    let text = evmctl(&list, &args, &[]);
    assert!(text.contains(EVMCTL_OK), "{text}");
    for pcr in ["sha1 PCR-10", "sha256 PCR-10"] {
        assert!(text.contains(&format!("{pcr}: succeed")), "{pcr}: {text}");
    }
    // evmctl's ASCII lines are arbor's (evmctl drops an empty sig's space).
    let ours = ok(arbor().args(["log", "show"]).arg(&list));
    let theirs: Vec<&str> = text.lines().filter(|l| l.starts_with("10 ")).collect();
    let ours: Vec<&str> = ours.lines().map(str::trim_end).collect();
    assert_eq!(ours, theirs);
    // arbor agrees with itself on the same files.
    ok(arbor()
        .args(["log", "verify"])
        .arg(&list)
        .args(args.iter().flat_map(|a| ["--pcrs", a])));

    // One wrong PCR file: evmctl does not match, arbor exits 1.
    let mut values = replay(&entries, Bank::Sha1);
    values.get_mut(&10).unwrap()[5] ^= 0x80;
    let wrong = dir.path().join("wrong");
    std::fs::write(&wrong, format_pcr_file(&values, Bank::Sha1)).unwrap();
    let wrong_arg = format!("sha1,{}", wrong.display());
    let text = evmctl(&list, std::slice::from_ref(&wrong_arg), &[]);
    assert!(!text.contains(EVMCTL_OK), "{text}");
    let out = run(arbor()
        .args(["log", "verify", "--pcrs", &wrong_arg])
        .arg(&list));
    assert_eq!(out.status.code(), Some(1));

    // Violations: extended as 0xff by both (evmctl needs --ignore-violations).
    let mut v = Entry::new(Template::ImaNg, vec![0; 32], "/var/log/open-writer");
    v.violation = true;
    entries.push(v);
    entries.push(Entry::new(
        Template::ImaNgV2,
        tricky_digest(32, 17),
        "/after/violation",
    ));
    let list = write_list(dir.path(), "list-v", &entries);
    let sha1 = write_pcrs(dir.path(), "pcrs-v", &entries, Bank::Sha1);
    let arg = format!("sha1,{}", sha1.display());
    let text = evmctl(&list, std::slice::from_ref(&arg), &["--ignore-violations"]);
    assert!(text.contains(EVMCTL_OK), "{text}");
    ok(arbor().args(["log", "verify", "--pcrs", &arg]).arg(&list));

    // A bad template digest: evmctl complains (yet may still print its
    // "Matched" line), arbor exits 1 naming the entry.
    let mut bytes = std::fs::read(&list).unwrap();
    let second = entries[0].encode().len();
    bytes[second + 4] ^= 1;
    std::fs::write(&list, &bytes).unwrap();
    let text = evmctl(&list, std::slice::from_ref(&arg), &["--ignore-violations"]);
    assert!(
        text.contains("Failed to verify template data digest(line 2)"),
        "{text}"
    );
    let out = run(arbor().args(["log", "verify", "--pcrs", &arg]).arg(&list));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("entry 1:"));
}

/// Reads a PCR file in evmctl's format (`PCR-NN: HEX` lines).
fn read_pcr_file(path: &Path) -> BTreeMap<u32, Vec<u8>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let (name, value) = line.split_once(": ").unwrap();
            let index = name.strip_prefix("PCR-").unwrap().parse().unwrap();
            let value = (0..value.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&value[i..i + 2], 16).unwrap())
                .collect();
            (index, value)
        })
        .collect()
}

/// A list the arbor LSM wrote in a guest. Its ASCII file was rendered by
/// the shared code `show` uses, so it is no witness for that code: the
/// expected lines come from the reference renderer, and the template
/// digests and PCR values are recomputed here. Then `show` must print the
/// reference's lines and `verify` replay to the PCR values it exported.
#[test]
fn kernel_written_list() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/guest-list");
    let list = dir.join("binary_runtime_measurements");
    let bytes = std::fs::read(&list).unwrap();
    let entries = ima_reference::parse_list(&bytes);
    assert!(!entries.is_empty());
    for (i, e) in entries.iter().enumerate() {
        // A violation stores an all-zero digest; any other entry SHA-1
        // over its template data.
        if e.template_digest != [0; 20] {
            assert_eq!(
                e.template_digest[..],
                Sha1::digest(&e.data)[..],
                "entry {i}: stored template digest"
            );
        }
    }
    let expected = ima_reference::render_list(&bytes);
    assert_eq!(ok(arbor().args(["log", "show"]).arg(&list)), expected);
    let ascii = std::fs::read_to_string(dir.join("ascii_runtime_measurements")).unwrap();
    assert_eq!(ascii, expected, "the guest's ASCII file");

    for (bank, file) in [
        (Bank::Sha1, "software_pcrs_sha1"),
        (Bank::Sha256, "software_pcrs_sha256"),
    ] {
        let replayed = replay_events(
            entries.iter().map(|e| {
                let pcr = u32::try_from(e.pcr).unwrap();
                (pcr, &e.data[..], e.template_digest == [0; 20])
            }),
            bank,
        );
        let exported = read_pcr_file(&dir.join(file));
        for pcr in replayed.keys() {
            assert!(exported.contains_key(pcr), "{file}: no PCR {pcr}");
        }
        for (pcr, value) in &exported {
            let want = replayed.get(pcr).cloned().unwrap_or(vec![0; bank.size()]);
            assert_eq!(hex(value), hex(&want), "{file}: PCR {pcr}");
        }
    }
    let sha1 = format!("sha1,{}", dir.join("software_pcrs_sha1").display());
    let sha256 = format!("sha256,{}", dir.join("software_pcrs_sha256").display());
    let out = ok(arbor()
        .args(["log", "verify", "--pcrs", &sha1, "--pcrs", &sha256])
        .arg(&list));
    assert!(
        out.contains(&format!("OK: {} entries", entries.len())),
        "{out}"
    );
}
