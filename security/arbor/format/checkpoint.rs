// SPDX-License-Identifier: GPL-2.0
//! Checkpoint records: the PCR values the list had produced, recorded in
//! the list itself.
//!
//! A checkpoint is an `ima-buf` entry named [`NAME`] whose `buf` field is
//! this payload, little-endian, version 1:
//!
//! ```text
//! offset size
//!      0    4  version (1)
//!      4    4  flags: bit 0 FLAG_TPM_FAILED, bit 1 FLAG_NO_TPM; others 0
//!      8    4  the PCR the list extends
//!     12    4  number of banks that follow (1 to MAX_BANKS)
//!     16    8  global index of this entry (0 for the first entry since boot)
//!     24    8  entries dropped from the kernel's memory before this one
//!     32       per bank: u16 TCG algorithm id | u16 digest size | digest
//! ```
//!
//! Each bank's digest is the value the list produces, replayed from zero,
//! up to and including the entry just before the checkpoint. Nothing may
//! follow the last bank. A parser refuses any other layout, any unknown
//! flag, a bank listed twice, and a known algorithm with the wrong size.

use super::template::{self, Entry, Template};

/// The `n-ng` name of a checkpoint entry. No file entry can carry it: file
/// names start with `/`, with `.../` (a path that could not be rendered),
/// or are the kernel's `type:[...]` names of pseudo-files.
pub const NAME: &str = "arbor_checkpoint";
/// The payload version this code writes and reads.
pub const VERSION: u32 = 1;
/// A TPM extend has failed since boot: the TPM's PCR may differ from the
/// recorded values, which are the list's own.
pub const FLAG_TPM_FAILED: u32 = 1 << 0;
/// There is no TPM: the recorded values are the list's own replay only.
pub const FLAG_NO_TPM: u32 = 1 << 1;
const KNOWN_FLAGS: u32 = FLAG_TPM_FAILED | FLAG_NO_TPM;
/// Most banks a payload may carry.
pub const MAX_BANKS: usize = 8;
/// Largest digest a bank may carry (SHA-512).
pub const MAX_DIGEST_SIZE: usize = 64;
/// Size of the fixed part, before the banks.
pub const HEADER_SIZE: usize = 32;

/// TCG algorithm id of SHA-1.
pub const ALG_SHA1: u16 = 0x0004;
/// TCG algorithm id of SHA-256.
pub const ALG_SHA256: u16 = 0x000b;
/// TCG algorithm id of SHA-384.
pub const ALG_SHA384: u16 = 0x000c;
/// TCG algorithm id of SHA-512.
pub const ALG_SHA512: u16 = 0x000d;

/// The digest size of a known TCG algorithm.
pub fn digest_size(alg: u16) -> Option<usize> {
    match alg {
        ALG_SHA1 => Some(20),
        ALG_SHA256 => Some(32),
        ALG_SHA384 => Some(48),
        ALG_SHA512 => Some(64),
        _ => None,
    }
}

/// The name of a known TCG algorithm, as the list's digest fields spell it.
pub fn alg_name(alg: u16) -> Option<&'static str> {
    match alg {
        ALG_SHA1 => Some("sha1"),
        ALG_SHA256 => Some("sha256"),
        ALG_SHA384 => Some("sha384"),
        ALG_SHA512 => Some("sha512"),
        _ => None,
    }
}

/// One bank's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bank<'a> {
    /// TCG algorithm id.
    pub alg: u16,
    /// The PCR value in that bank.
    pub digest: &'a [u8],
}

/// The fixed fields of a checkpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// `FLAG_*` bits.
    pub flags: u32,
    /// The PCR the list extends.
    pub pcr: u32,
    /// Global index of the checkpoint entry.
    pub index: u64,
    /// Entries dropped from the kernel's memory before it.
    pub dropped: u64,
}

/// Why a payload was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The payload ends before its last field.
    Truncated,
    /// Bytes follow the last bank.
    TrailingBytes,
    /// A version this code does not know.
    Version(u32),
    /// A flag bit this version does not define.
    UnknownFlags(u32),
    /// No banks, or more than [`MAX_BANKS`].
    BankCount(u32),
    /// A bank's size does not match its algorithm, or is 0 or too large.
    BankSize(u16),
    /// The same algorithm twice.
    DuplicateBank(u16),
    /// The output buffer is too small (encoding).
    NoSpace,
    /// The entry dropped count exceeds its own index.
    DroppedAfterIndex,
}

impl Error {
    /// A short description, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Truncated => "payload truncated",
            Self::TrailingBytes => "bytes after the last bank",
            Self::Version(_) => "unknown payload version",
            Self::UnknownFlags(_) => "unknown flags",
            Self::BankCount(_) => "no banks, or too many",
            Self::BankSize(_) => "bank digest of the wrong size",
            Self::DuplicateBank(_) => "bank listed twice",
            Self::NoSpace => "buffer too small",
            Self::DroppedAfterIndex => "more entries dropped than came before",
        }
    }
}

/// A parsed payload, borrowing its banks from the input.
#[derive(Clone, Copy, Debug)]
pub struct Checkpoint<'a> {
    /// The fixed fields.
    pub header: Header,
    nr_banks: usize,
    banks: &'a [u8],
}

impl<'a> Checkpoint<'a> {
    /// The banks, in the order the payload lists them.
    pub fn banks(&self) -> Banks<'a> {
        Banks {
            rest: self.banks,
            left: self.nr_banks,
        }
    }

    /// The value recorded for TCG algorithm `alg`, if any.
    pub fn bank(&self, alg: u16) -> Option<&'a [u8]> {
        self.banks().find(|b| b.alg == alg).map(|b| b.digest)
    }

    /// The SHA-1 and SHA-256 values, the banks arbor's list keeps; `None`
    /// if either is missing.
    pub fn sha1_sha256(&self) -> Option<(&'a [u8], &'a [u8])> {
        Some((self.bank(ALG_SHA1)?, self.bank(ALG_SHA256)?))
    }
}

/// The payload of `entry` if it is a checkpoint: an `ima-buf` entry named
/// [`NAME`].
pub fn payload_of<'a>(entry: &Entry<'a>) -> Option<&'a [u8]> {
    if Template::from_name(entry.template_name) != Some(Template::ImaBuf) {
        return None;
    }
    let mut fields = template::fields(entry.data);
    let _digest = fields.next()?.ok()?;
    let name = fields.next()?.ok()?;
    let buf = fields.next()?.ok()?;
    (name.strip_suffix(b"\0") == Some(NAME.as_bytes())).then_some(buf)
}

/// Iterator over the banks of a parsed payload.
#[derive(Clone, Debug)]
pub struct Banks<'a> {
    rest: &'a [u8],
    left: usize,
}

impl<'a> Iterator for Banks<'a> {
    type Item = Bank<'a>;

    fn next(&mut self) -> Option<Bank<'a>> {
        if self.left == 0 {
            return None;
        }
        // `parse` checked the layout, so these cannot fail on its output.
        let (&[a0, a1, s0, s1], rest) = self.rest.split_first_chunk::<4>()?;
        let size = usize::from(u16::from_le_bytes([s0, s1]));
        let digest = rest.get(..size)?;
        self.rest = rest.get(size..)?;
        self.left -= 1;
        Some(Bank {
            alg: u16::from_le_bytes([a0, a1]),
            digest,
        })
    }
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    let lo = u32_at(b, at)?;
    let hi = u32_at(b, at.checked_add(4)?)?;
    Some(u64::from(lo) | (u64::from(hi) << 32))
}

/// Checks one bank's algorithm and size.
fn check_bank(alg: u16, size: usize) -> Result<(), Error> {
    match digest_size(alg) {
        Some(s) if s == size => Ok(()),
        None if size > 0 && size <= MAX_DIGEST_SIZE => Ok(()),
        _ => Err(Error::BankSize(alg)),
    }
}

/// Parses a version 1 payload.
pub fn parse(b: &[u8]) -> Result<Checkpoint<'_>, Error> {
    let version = u32_at(b, 0).ok_or(Error::Truncated)?;
    if version != VERSION {
        return Err(Error::Version(version));
    }
    let header = Header {
        flags: u32_at(b, 4).ok_or(Error::Truncated)?,
        pcr: u32_at(b, 8).ok_or(Error::Truncated)?,
        index: u64_at(b, 16).ok_or(Error::Truncated)?,
        dropped: u64_at(b, 24).ok_or(Error::Truncated)?,
    };
    let count = u32_at(b, 12).ok_or(Error::Truncated)?;
    if header.flags & !KNOWN_FLAGS != 0 {
        return Err(Error::UnknownFlags(header.flags));
    }
    if header.dropped > header.index {
        return Err(Error::DroppedAfterIndex);
    }
    let nr_banks = usize::try_from(count).unwrap_or(usize::MAX);
    if nr_banks == 0 || nr_banks > MAX_BANKS {
        return Err(Error::BankCount(count));
    }
    let banks = b.get(HEADER_SIZE..).ok_or(Error::Truncated)?;
    let mut rest = banks;
    let mut seen = [0u16; MAX_BANKS];
    for i in 0..nr_banks {
        let (&[a0, a1, s0, s1], tail) = rest.split_first_chunk::<4>().ok_or(Error::Truncated)?;
        let alg = u16::from_le_bytes([a0, a1]);
        let size = usize::from(u16::from_le_bytes([s0, s1]));
        check_bank(alg, size)?;
        if seen.get(..i).unwrap_or_default().contains(&alg) {
            return Err(Error::DuplicateBank(alg));
        }
        if let Some(slot) = seen.get_mut(i) {
            *slot = alg;
        }
        rest = tail.get(size..).ok_or(Error::Truncated)?;
    }
    if !rest.is_empty() {
        return Err(Error::TrailingBytes);
    }
    Ok(Checkpoint {
        header,
        nr_banks,
        banks,
    })
}

/// Size of the payload [`encode`] writes for `banks`.
pub fn encoded_len(banks: &[Bank<'_>]) -> usize {
    banks.iter().fold(HEADER_SIZE, |n, b| {
        n.saturating_add(4).saturating_add(b.digest.len())
    })
}

/// Writes the payload for `header` and `banks` into `out`, returning its
/// length. The result parses back to the same values.
pub fn encode(header: &Header, banks: &[Bank<'_>], out: &mut [u8]) -> Result<usize, Error> {
    if header.flags & !KNOWN_FLAGS != 0 {
        return Err(Error::UnknownFlags(header.flags));
    }
    if header.dropped > header.index {
        return Err(Error::DroppedAfterIndex);
    }
    if banks.is_empty() || banks.len() > MAX_BANKS {
        return Err(Error::BankCount(banks.len() as u32));
    }
    for (i, b) in banks.iter().enumerate() {
        check_bank(b.alg, b.digest.len())?;
        if banks
            .get(..i)
            .unwrap_or_default()
            .iter()
            .any(|p| p.alg == b.alg)
        {
            return Err(Error::DuplicateBank(b.alg));
        }
    }
    let len = encoded_len(banks);
    let out = out.get_mut(..len).ok_or(Error::NoSpace)?;
    let mut pos = 0;
    let mut put = |bytes: &[u8]| {
        if let Some(d) = out.get_mut(pos..pos + bytes.len()) {
            d.copy_from_slice(bytes);
        }
        pos += bytes.len();
    };
    put(&VERSION.to_le_bytes());
    put(&header.flags.to_le_bytes());
    put(&header.pcr.to_le_bytes());
    put(&(banks.len() as u32).to_le_bytes());
    put(&header.index.to_le_bytes());
    put(&header.dropped.to_le_bytes());
    for b in banks {
        put(&b.alg.to_le_bytes());
        put(&(b.digest.len() as u16).to_le_bytes());
        put(b.digest);
    }
    Ok(len)
}

/// Parses the automatic checkpoint interval of the boot parameter: a
/// decimal number of entries, at most 1 000 000 000 (the Kconfig range);
/// 0 for none.
pub fn parse_interval(value: &[u8]) -> Option<u64> {
    super::mode::parse_decimal(value, 1_000_000_000)
}

/// A request to drop the entries before a checkpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrimRequest {
    /// Global index of the checkpoint that becomes the first held entry.
    pub index: u64,
    /// Its SHA-1 template digest, as the lists show it.
    pub digest: [u8; 20],
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Parses what is written to the `trim` file: the global index in decimal,
/// one space, the template digest in 40 hex digits, and at most one
/// newline. Anything else is refused.
pub fn parse_trim_request(input: &[u8]) -> Option<TrimRequest> {
    let line = input.strip_suffix(b"\n").unwrap_or(input);
    let sp = line.iter().position(|&b| b == b' ')?;
    let (num, hex) = (line.get(..sp)?, line.get(sp + 1..)?);
    if num.is_empty() || num.len() > 20 || (num.len() > 1 && num[0] == b'0') {
        return None;
    }
    let mut index: u64 = 0;
    for &c in num {
        if !c.is_ascii_digit() {
            return None;
        }
        index = index.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    if hex.len() != 40 {
        return None;
    }
    let mut digest = [0u8; 20];
    for (d, pair) in digest.iter_mut().zip(hex.chunks_exact(2)) {
        *d = (hex_digit(pair[0])? << 4) | hex_digit(pair[1])?;
    }
    Some(TrimRequest { index, digest })
}
