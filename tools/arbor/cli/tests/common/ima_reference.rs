// SPDX-License-Identifier: GPL-2.0
//! A reference reader of IMA's binary measurement list and renderer of the
//! line `ascii_runtime_measurements` prints for each entry, for the tests'
//! expected values.
//!
//! `arbor log show` and the arbor LSM render through the same shared code
//! (security/arbor/format/template.rs), so output that code produced cannot
//! tell whether that code is right. This module therefore must not use
//! `arbor_format` or `arbor_cli`: it is written from what IMA does
//! (security/integrity/ima/ima_fs.c, `ima_ascii_measurements_show`, and
//! ima_template_lib.c, `ima_show_template_data_ascii`), kept small and
//! plain, and panics on anything it does not expect, as test code may.

/// One entry of a binary measurement list.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The PCR; IMA keeps it as an `int` and prints it with `%2d`.
    pub pcr: i32,
    /// The stored template digest (SHA-1 over `data`, zero for a violation).
    pub template_digest: [u8; 20],
    /// The template name, as `ima-ng`.
    pub template_name: Vec<u8>,
    /// The template data as stored: every field as `u32 len | bytes`.
    pub data: Vec<u8>,
    /// The fields of `data`, without their length prefixes.
    pub fields: Vec<Vec<u8>>,
}

/// How IMA shows a field in the ASCII list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Show {
    /// `d-ng`, `d-ngv2`: the text up to the NUL, then the digest in hex.
    DigestWithAlgo,
    /// `n-ng`: a NUL-terminated string.
    Text,
    /// `sig`, `buf`: hex.
    Hex,
}

/// The fields of IMA's built-in templates (ima_template.c) that arbor may
/// write, by name.
fn template_fields(name: &[u8]) -> &'static [Show] {
    match name {
        // "d-ng|n-ng" and "d-ngv2|n-ng"
        b"ima-ng" | b"ima-ngv2" => &[Show::DigestWithAlgo, Show::Text],
        // "d-ng|n-ng|sig", "d-ngv2|n-ng|sig" and "d-ng|n-ng|buf"
        b"ima-sig" | b"ima-sigv2" | b"ima-buf" => &[Show::DigestWithAlgo, Show::Text, Show::Hex],
        other => panic!(
            "reference renderer: template {:?} not covered",
            String::from_utf8_lossy(other)
        ),
    }
}

/// Takes `n` bytes off the front of `buf`.
fn take<'a>(buf: &mut &'a [u8], n: usize, what: &str) -> &'a [u8] {
    assert!(
        buf.len() >= n,
        "list truncated in {what}: {n} bytes needed, {} left",
        buf.len()
    );
    let (head, rest) = buf.split_at(n);
    *buf = rest;
    head
}

fn take_u32(buf: &mut &[u8], what: &str) -> u32 {
    u32::from_le_bytes(take(buf, 4, what).try_into().unwrap())
}

/// Reads every entry of a binary list. Only the layout of the templates
/// other than `ima` (which has no data length and unprefixed fields).
pub fn parse_list(mut list: &[u8]) -> Vec<Entry> {
    let mut entries = Vec::new();
    while !list.is_empty() {
        let pcr = i32::from_le_bytes(take(&mut list, 4, "pcr").try_into().unwrap());
        let template_digest = take(&mut list, 20, "template digest").try_into().unwrap();
        let name_len = take_u32(&mut list, "template name length") as usize;
        let template_name = take(&mut list, name_len, "template name").to_vec();
        assert_ne!(template_name, b"ima", "the 'ima' template is not covered");
        let data_len = take_u32(&mut list, "template data length") as usize;
        let data = take(&mut list, data_len, "template data").to_vec();
        let mut rest = &data[..];
        let mut fields = Vec::new();
        while !rest.is_empty() {
            let len = take_u32(&mut rest, "field length") as usize;
            fields.push(take(&mut rest, len, "field").to_vec());
        }
        entries.push(Entry {
            pcr,
            template_digest,
            template_name,
            data,
            fields,
        });
    }
    entries
}

/// `%02x` for every byte, as the kernel's `ima_print_digest`.
fn put_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    for b in bytes {
        out.extend_from_slice(format!("{b:02x}").as_bytes());
    }
}

/// What `%s` prints of a field: up to its first NUL.
fn c_string(field: &[u8]) -> &[u8] {
    field.split(|&b| b == 0).next().unwrap_or_default()
}

/// A `d-ng`/`d-ngv2` field as `ima_show_template_data_ascii` shows it: it
/// finds the last ':' of the C string (`strrchr`), prints the C string
/// unless that ':' is its first byte, skips the ':' and the NUL after it and
/// prints the rest of the field in hex.
fn put_digest_with_algo(out: &mut Vec<u8>, field: &[u8]) {
    let prefix = c_string(field);
    let colon = prefix
        .iter()
        .rposition(|&b| b == b':')
        .expect("digest field has no ':' before its NUL");
    if colon != 0 {
        out.extend_from_slice(prefix);
    }
    put_hex(out, &field[colon + 2..]);
}

/// The `ascii_runtime_measurements` line of `e`, newline included, as
/// `ima_ascii_measurements_show` writes it: `"%2d "` PCR, the template
/// digest in hex, `" %s"` template name, then per field a space and, unless
/// the field is empty, the field. An empty field keeps its space.
pub fn render_line(e: &Entry) -> Vec<u8> {
    let kinds = template_fields(&e.template_name);
    assert_eq!(
        kinds.len(),
        e.fields.len(),
        "field count of a {:?} entry",
        String::from_utf8_lossy(&e.template_name)
    );
    let mut out = format!("{:2} ", e.pcr).into_bytes();
    put_hex(&mut out, &e.template_digest);
    out.push(b' ');
    out.extend_from_slice(&e.template_name);
    for (kind, field) in kinds.iter().zip(&e.fields) {
        out.push(b' ');
        if field.is_empty() {
            continue;
        }
        match kind {
            Show::DigestWithAlgo => put_digest_with_algo(&mut out, field),
            Show::Text => out.extend_from_slice(c_string(field)),
            Show::Hex => put_hex(&mut out, field),
        }
    }
    out.push(b'\n');
    out
}

/// The whole ASCII list for the binary list `list`, as text.
pub fn render_list(list: &[u8]) -> String {
    let bytes: Vec<u8> = parse_list(list).iter().flat_map(render_line).collect();
    String::from_utf8(bytes).expect("the test lists render to UTF-8")
}
