// SPDX-License-Identifier: GPL-2.0
//! IMA measurement list records: template fields, the binary entry layout of
//! `binary_runtime_measurements` and the line of `ascii_runtime_measurements`.
//!
//! A binary entry is, little-endian:
//!
//! ```text
//! u32 pcr | u8 template_digest[20] | u32 name_len | name | u32 data_len | data
//! ```
//!
//! where `data` is the template data: for each field of the template,
//! `u32 len | bytes`. The template digest is SHA-1 over `data`. This is the
//! layout IMA writes and `evmctl ima_measurement` and keylime read.

/// Size of the template digest (SHA-1) stored in each entry.
pub const TEMPLATE_DIGEST_SIZE: usize = 20;
/// Longest template name IMA accepts.
pub const MAX_TEMPLATE_NAME: usize = 15;
/// Size of an entry's header up to and including the template name length.
pub const ENTRY_PREFIX_SIZE: usize = 4 + TEMPLATE_DIGEST_SIZE + 4;

/// A field of an IMA template, by its IMA name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// `d-ng`: `"<algo>:" NUL digest`.
    DigestNg,
    /// `d-ngv2`: `"<type>:<algo>:" NUL digest`, type `ima` or `verity`.
    DigestNgV2,
    /// `n-ng`: the path, NUL-terminated, spaces replaced by `_`.
    NameNg,
    /// `sig`: raw signature bytes (possibly none).
    Sig,
    /// `buf`: raw buffer bytes.
    Buf,
}

/// The templates arbor writes or its tools read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Template {
    /// `ima-ng`: `d-ng|n-ng`.
    ImaNg,
    /// `ima-ngv2`: `d-ngv2|n-ng`.
    ImaNgV2,
    /// `ima-sig`: `d-ng|n-ng|sig`.
    ImaSig,
    /// `ima-sigv2`: `d-ngv2|n-ng|sig`.
    ImaSigV2,
    /// `ima-buf`: `d-ng|n-ng|buf`.
    ImaBuf,
}

impl Template {
    /// The template's name as it appears in the list.
    pub const fn name(self) -> &'static str {
        match self {
            Self::ImaNg => "ima-ng",
            Self::ImaNgV2 => "ima-ngv2",
            Self::ImaSig => "ima-sig",
            Self::ImaSigV2 => "ima-sigv2",
            Self::ImaBuf => "ima-buf",
        }
    }

    /// The template named `name`, if it is one of these.
    pub fn from_name(name: &[u8]) -> Option<Self> {
        [
            Self::ImaNg,
            Self::ImaNgV2,
            Self::ImaSig,
            Self::ImaSigV2,
            Self::ImaBuf,
        ]
        .into_iter()
        .find(|t| t.name().as_bytes() == name)
    }

    /// The template's fields, in order.
    pub const fn fields(self) -> &'static [FieldKind] {
        use FieldKind::*;
        match self {
            Self::ImaNg => &[DigestNg, NameNg],
            Self::ImaNgV2 => &[DigestNgV2, NameNg],
            Self::ImaSig => &[DigestNg, NameNg, Sig],
            Self::ImaSigV2 => &[DigestNgV2, NameNg, Sig],
            Self::ImaBuf => &[DigestNg, NameNg, Buf],
        }
    }
}

impl Template {
    /// Whether the template records the plain hash of the content (a
    /// `d-ng` field, as `sha256sum` prints it) rather than a typed digest.
    pub fn records_plain_hash(self) -> bool {
        self.fields().contains(&FieldKind::DigestNg)
    }
}

/// The fields of one entry of `template`, in order, at most three.
#[derive(Clone, Copy, Debug)]
pub struct EntryFields<'a> {
    fields: [Field<'a>; 3],
    len: usize,
}

impl<'a> EntryFields<'a> {
    /// The fields of an entry of `template` for `path`, with `ng` as its
    /// `d-ng` field or `ngv2` as its `d-ngv2` field (whichever the template
    /// has) and `extra` as its `sig` or `buf` field.
    pub fn new(
        template: Template,
        ng: (&'a str, &'a [u8]),
        ngv2: (DigestType, &'a str, &'a [u8]),
        path: &'a [u8],
        extra: &'a [u8],
    ) -> Self {
        let mut fields = [Field::Raw(&[]); 3];
        let mut len = 0;
        for (slot, kind) in fields.iter_mut().zip(template.fields()) {
            *slot = match kind {
                FieldKind::DigestNg => Field::DigestNg {
                    alg: ng.0,
                    digest: ng.1,
                },
                FieldKind::DigestNgV2 => Field::DigestNgV2 {
                    kind: ngv2.0,
                    alg: ngv2.1,
                    digest: ngv2.2,
                },
                FieldKind::NameNg => Field::NameNg(path),
                FieldKind::Sig | FieldKind::Buf => Field::Raw(extra),
            };
            len += 1;
        }
        Self { fields, len }
    }

    /// The fields.
    pub fn as_slice(&self) -> &[Field<'a>] {
        self.fields.get(..self.len).unwrap_or_default()
    }
}

/// What a file digest in a `d-ngv2` field was computed as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestType {
    /// A plain hash of the file content.
    Ima,
    /// An fs-verity file digest.
    Verity,
}

impl DigestType {
    /// The prefix IMA writes for this type.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Ima => "ima",
            Self::Verity => "verity",
        }
    }
}

/// A value to encode as one template field.
#[derive(Clone, Copy, Debug)]
pub enum Field<'a> {
    /// `d-ng`: algorithm name and digest.
    DigestNg {
        /// Algorithm name, as `sha256`.
        alg: &'a str,
        /// Digest bytes.
        digest: &'a [u8],
    },
    /// `d-ngv2`: digest type, algorithm name and digest.
    DigestNgV2 {
        /// `ima` or `verity`.
        kind: DigestType,
        /// Algorithm name, as `sha256`.
        alg: &'a str,
        /// Digest bytes.
        digest: &'a [u8],
    },
    /// `n-ng`: a path without its NUL terminator.
    NameNg(&'a [u8]),
    /// `sig` or `buf`: raw bytes.
    Raw(&'a [u8]),
}

/// Why a record could not be encoded or parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The output buffer is too small, or a length does not fit in 32 bits.
    NoSpace,
    /// The input ends inside an entry or field.
    Truncated,
    /// A length field exceeds the space that holds it, or is implausible.
    BadLength,
    /// A field's content does not have its kind's syntax.
    BadField,
}

impl Field<'_> {
    /// Length of the field's content (without its `u32` length prefix).
    pub fn len(&self) -> usize {
        match self {
            Self::DigestNg { alg, digest } => alg.len() + 2 + digest.len(),
            Self::DigestNgV2 { kind, alg, digest } => {
                kind.name().len() + 1 + alg.len() + 2 + digest.len()
            }
            Self::NameNg(name) => name.len() + 1,
            Self::Raw(bytes) => bytes.len(),
        }
    }

    /// Whether the field's content is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.put(
            &u32::try_from(self.len())
                .map_err(|_| Error::NoSpace)?
                .to_le_bytes(),
        )?;
        match self {
            Self::DigestNg { alg, digest } => {
                w.put(alg.as_bytes())?;
                w.put(b":\0")?;
                w.put(digest)
            }
            Self::DigestNgV2 { kind, alg, digest } => {
                w.put(kind.name().as_bytes())?;
                w.put(b":")?;
                w.put(alg.as_bytes())?;
                w.put(b":\0")?;
                w.put(digest)
            }
            Self::NameNg(name) => {
                // As IMA: a space would split the ASCII line's fields.
                for chunk in name.split_inclusive(|&b| b == b' ') {
                    match chunk.split_last() {
                        Some((b' ', head)) => {
                            w.put(head)?;
                            w.put(b"_")?;
                        }
                        _ => w.put(chunk)?,
                    }
                }
                w.put(b"\0")
            }
            Self::Raw(bytes) => w.put(bytes),
        }
    }
}

struct Writer<'a> {
    out: &'a mut [u8],
    pos: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let end = self.pos.checked_add(bytes.len()).ok_or(Error::NoSpace)?;
        self.out
            .get_mut(self.pos..end)
            .ok_or(Error::NoSpace)?
            .copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }
}

/// Size of the template data that [`encode_template_data`] writes.
pub fn template_data_len(fields: &[Field<'_>]) -> Option<usize> {
    fields
        .iter()
        .try_fold(0usize, |acc, f| acc.checked_add(4)?.checked_add(f.len()))
}

/// Writes the template data for `fields` (each `u32 len | bytes`) into
/// `out`, returning the number of bytes written.
pub fn encode_template_data(fields: &[Field<'_>], out: &mut [u8]) -> Result<usize, Error> {
    let mut w = Writer { out, pos: 0 };
    for f in fields {
        f.encode(&mut w)?;
    }
    Ok(w.pos)
}

/// One entry of a binary measurement list, borrowed from the list's bytes.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    /// The PCR the entry extends.
    pub pcr: u32,
    /// SHA-1 over `data` (all zero for a violation).
    pub template_digest: &'a [u8; TEMPLATE_DIGEST_SIZE],
    /// The template name, as `ima-ngv2`.
    pub template_name: &'a [u8],
    /// The template data: the fields, each `u32 len | bytes`.
    pub data: &'a [u8],
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if self.buf.len() < n {
            return Err(Error::Truncated);
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32, Error> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Largest template data an entry may claim; IMA's own limit for a
/// template is far below this, and the bound stops a lying length field
/// from making a reader buffer gigabytes.
pub const MAX_TEMPLATE_DATA: u32 = 64 << 20;

/// Reads the entry at the start of `buf`, returning it and its encoded size.
pub fn parse_entry(buf: &[u8]) -> Result<(Entry<'_>, usize), Error> {
    let mut r = Reader { buf };
    let pcr = r.u32()?;
    let template_digest = r
        .take(TEMPLATE_DIGEST_SIZE)?
        .try_into()
        .map_err(|_| Error::Truncated)?;
    let name_len = r.u32()?;
    if name_len == 0 || name_len as usize > MAX_TEMPLATE_NAME {
        return Err(Error::BadLength);
    }
    let template_name = r.take(name_len as usize)?;
    let data_len = r.u32()?;
    if data_len > MAX_TEMPLATE_DATA {
        return Err(Error::BadLength);
    }
    let data = r.take(data_len as usize)?;
    let used = buf.len() - r.buf.len();
    Ok((
        Entry {
            pcr,
            template_digest,
            template_name,
            data,
        },
        used,
    ))
}

/// Iterates over the fields of template data: each item is one field's bytes.
pub struct Fields<'a> {
    r: Reader<'a>,
}

/// The fields of template data `data`.
pub fn fields(data: &[u8]) -> Fields<'_> {
    Fields {
        r: Reader { buf: data },
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<&'a [u8], Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.r.buf.is_empty() {
            return None;
        }
        let item = self.r.u32().and_then(|len| {
            let len = usize::try_from(len).map_err(|_| Error::BadLength)?;
            self.r.take(len).map_err(|_| Error::BadLength)
        });
        if item.is_err() {
            self.r.buf = &[];
        }
        Some(item)
    }
}

/// Splits a `d-ng`/`d-ngv2` field into its prefix (as `verity:sha256:`) and
/// digest. The split is at the first NUL, never at a `:` (digest bytes can
/// be 0x3a).
pub fn split_digest_field(field: &[u8]) -> Result<(&[u8], &[u8]), Error> {
    let nul = field.iter().position(|&b| b == 0).ok_or(Error::BadField)?;
    let (prefix, rest) = field.split_at(nul);
    if prefix.last() != Some(&b':') {
        return Err(Error::BadField);
    }
    Ok((prefix, rest.get(1..).unwrap_or_default()))
}

/// Where the ASCII rendering writes bytes (a seq_file in the kernel, a
/// buffer or stream on the host).
pub trait Sink {
    /// What a failed write reports.
    type Error;
    /// Appends `bytes`.
    fn put(&mut self, bytes: &[u8]) -> Result<(), Self::Error>;
}

const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";
const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Renders bytes as hex with `digits` into `sink`, two digits per byte.
fn put_hex_digits<S: Sink>(sink: &mut S, bytes: &[u8], digits: &[u8; 16]) -> Result<(), S::Error> {
    let mut buf = [0u8; 128];
    for chunk in bytes.chunks(buf.len() / 2) {
        for (pair, &b) in buf.chunks_exact_mut(2).zip(chunk) {
            pair[0] = digits[usize::from(b >> 4)];
            pair[1] = digits[usize::from(b & 0xf)];
        }
        sink.put(buf.get(..2 * chunk.len()).unwrap_or_default())?;
    }
    Ok(())
}

/// Renders bytes as lower-case hex into `sink`.
pub fn put_hex<S: Sink>(sink: &mut S, bytes: &[u8]) -> Result<(), S::Error> {
    put_hex_digits(sink, bytes, LOWER_HEX)
}

/// Renders bytes as upper-case hex into `sink` (as the audit subsystem
/// writes untrusted strings).
pub fn put_hex_upper<S: Sink>(sink: &mut S, bytes: &[u8]) -> Result<(), S::Error> {
    put_hex_digits(sink, bytes, UPPER_HEX)
}

/// Renders the number `v` in `radix` (at most 16), lower-case, without
/// leading zeros.
fn put_number<S: Sink>(sink: &mut S, mut v: u64, radix: u64) -> Result<(), S::Error> {
    // u64::MAX has 20 decimal digits, more than in any larger radix.
    let mut buf = [0u8; 20];
    let mut start = buf.len();
    loop {
        start -= 1;
        if let Some(b) = buf.get_mut(start) {
            // The remainder is below the radix, at most 16.
            *b = LOWER_HEX.get((v % radix) as usize).copied().unwrap_or(b'0');
        }
        v /= radix;
        if v == 0 || start == 0 {
            break;
        }
    }
    sink.put(buf.get(start..).unwrap_or_default())
}

/// Renders `v` in decimal.
pub fn put_decimal<S: Sink>(sink: &mut S, v: u64) -> Result<(), S::Error> {
    put_number(sink, v, 10)
}

/// Renders `v` as lower-case hex without leading zeros (no `0x`).
pub fn put_hex_number<S: Sink>(sink: &mut S, v: u64) -> Result<(), S::Error> {
    put_number(sink, v, 16)
}

/// Why an entry could not be rendered.
#[derive(Debug, PartialEq, Eq)]
pub enum RenderError<E> {
    /// The sink failed.
    Sink(E),
    /// The entry is malformed or of a template this code does not know.
    Format(Error),
}

/// Renders `entry` as IMA renders a line of `ascii_runtime_measurements`:
/// `PCR TEMPLATE-DIGEST TEMPLATE-NAME FIELD...`, newline-terminated, the
/// PCR as `%2d`, digests as `<prefix><hex>`, strings as they are, other
/// fields in hex; an empty field still gets its separating space.
pub fn render_ascii<S: Sink>(sink: &mut S, entry: &Entry<'_>) -> Result<(), RenderError<S::Error>> {
    let template =
        Template::from_name(entry.template_name).ok_or(RenderError::Format(Error::BadField))?;
    // Validate the whole entry first so that a malformed one writes nothing.
    let mut count = 0;
    for (kind, field) in template.fields().iter().zip(fields(entry.data)) {
        let field = field.map_err(RenderError::Format)?;
        if matches!(kind, FieldKind::DigestNg | FieldKind::DigestNgV2) {
            split_digest_field(field).map_err(RenderError::Format)?;
        }
        count += 1;
    }
    if count != template.fields().len() || fields(entry.data).count() != count {
        return Err(RenderError::Format(Error::BadField));
    }

    let mut pcr = [b' '; 11];
    let digits = format_u32(entry.pcr, &mut pcr);
    let s = sink;
    s.put(digits).map_err(RenderError::Sink)?;
    s.put(b" ").map_err(RenderError::Sink)?;
    put_hex(s, entry.template_digest).map_err(RenderError::Sink)?;
    s.put(b" ").map_err(RenderError::Sink)?;
    s.put(entry.template_name).map_err(RenderError::Sink)?;
    for (kind, field) in template.fields().iter().zip(fields(entry.data)) {
        s.put(b" ").map_err(RenderError::Sink)?;
        let field = field.map_err(RenderError::Format)?;
        match kind {
            FieldKind::DigestNg | FieldKind::DigestNgV2 => {
                let (prefix, digest) = split_digest_field(field).map_err(RenderError::Format)?;
                s.put(prefix).map_err(RenderError::Sink)?;
                put_hex(s, digest).map_err(RenderError::Sink)?;
            }
            FieldKind::NameNg => {
                let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
                s.put(field.get(..end).unwrap_or_default())
                    .map_err(RenderError::Sink)?;
            }
            FieldKind::Sig | FieldKind::Buf => put_hex(s, field).map_err(RenderError::Sink)?,
        }
    }
    s.put(b"\n").map_err(RenderError::Sink)
}

/// Formats `v` as `%2d` does, into the end of `buf`; returns the digits.
fn format_u32(mut v: u32, buf: &mut [u8; 11]) -> &[u8] {
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 || start == 1 {
            break;
        }
    }
    // `%2d`: at least two columns, space-padded on the left.
    let start = start.min(buf.len() - 2);
    buf.get(start..).unwrap_or_default()
}
