// SPDX-License-Identifier: GPL-2.0
//! Digest lists on the host: built from files and directory trees, signed,
//! shown and verified. The format is [`arbor_format::digest_list`], the
//! code the kernel parses lists with.

use crate::digest::{self, hex};
use crate::sign::{load_cert, Signer};
use crate::Failure;
use anyhow::{bail, Context, Result};
use arbor_format::digest_list::{self as fmt, Kind};
use arbor_format::merkle::Params;
use arbor_format::template::{self, DigestType, EntryFields, Template};
use indicatif::{ProgressBar, ProgressStyle};
use openssl::pkcs7::{Pkcs7, Pkcs7Flags};
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use rayon::prelude::*;
use sha1::Sha1;
use sha2::{Digest as _, Sha256};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// The members of an ar archive (a Debian package): name and content.
fn ar_members(bytes: &[u8]) -> Result<Vec<(String, &[u8])>> {
    let mut rest = bytes
        .strip_prefix(b"!<arch>\n")
        .context("not an ar archive (a .deb)")?;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (header, body) = rest
            .split_at_checked(60)
            .context("truncated ar member header")?;
        if header.get(58..60) != Some(b"`\n") {
            bail!("corrupt ar member header");
        }
        let field = |r: std::ops::Range<usize>| {
            String::from_utf8_lossy(header.get(r).unwrap_or_default())
                .trim_end()
                .to_owned()
        };
        let name = field(0..16).trim_end_matches('/').to_owned();
        let size: usize = field(48..58)
            .parse()
            .with_context(|| format!("ar member {name}: bad size"))?;
        let data = body
            .get(..size)
            .with_context(|| format!("ar member {name}: truncated"))?;
        out.push((name, data));
        // Members are padded to an even offset.
        rest = body.get(size + size % 2..).unwrap_or_default();
    }
    Ok(out)
}

/// The fs-verity digests (with `params`) of the regular files a Debian
/// package installs: the regular-file members of its `data.tar` (xz,
/// gzip, zstd or uncompressed), hashed from the archive without
/// installing it. Hard links add no digest of their own.
pub fn deb_digests(path: &Path, params: &Params) -> Result<Vec<Vec<u8>>> {
    let bytes = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    let members = ar_members(&bytes).with_context(|| format!("{}", path.display()))?;
    let (name, data) = members
        .iter()
        .find(|(n, _)| n.starts_with("data.tar"))
        .with_context(|| format!("{}: no data.tar member", path.display()))?;
    let mut tar_bytes = Vec::new();
    match name.as_str() {
        "data.tar" => tar_bytes.extend_from_slice(data),
        "data.tar.xz" => lzma_rs::xz_decompress(&mut &data[..], &mut tar_bytes)
            .map_err(|e| anyhow::anyhow!("{}: {name}: {e}", path.display()))?,
        "data.tar.gz" => {
            std::io::Read::read_to_end(
                &mut flate2::read::GzDecoder::new(&data[..]),
                &mut tar_bytes,
            )
            .with_context(|| format!("{}: {name}", path.display()))?;
        }
        "data.tar.zst" => {
            let mut d = ruzstd::decoding::StreamingDecoder::new(&data[..])
                .map_err(|e| anyhow::anyhow!("{}: {name}: {e}", path.display()))?;
            std::io::Read::read_to_end(&mut d, &mut tar_bytes)
                .with_context(|| format!("{}: {name}", path.display()))?;
        }
        other => bail!("{}: {other}: unknown compression", path.display()),
    }
    let mut archive = tar::Archive::new(&tar_bytes[..]);
    let mut out = Vec::new();
    for entry in archive
        .entries()
        .with_context(|| format!("{}: {name}", path.display()))?
    {
        let mut entry = entry.with_context(|| format!("{}: {name}", path.display()))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut content)
            .with_context(|| format!("{}: {name}", path.display()))?;
        let d = digest::digest_reader(&mut &content[..], params, None)
            .with_context(|| format!("{}: {name}", path.display()))?;
        out.push(d.digest.as_bytes().to_vec());
    }
    Ok(out)
}

/// A progress bar over `n` items on standard error, when it is a
/// terminal.
fn progress(n: usize, what: &str) -> Option<ProgressBar> {
    std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(n as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} {per_sec} {eta}")
        {
            bar.set_style(style);
        }
        bar.set_message(what.to_owned());
        bar
    })
}

/// The fs-verity digests of `files` with `params`, hashed in parallel.
pub fn digests_of(files: &[PathBuf], params: &Params) -> Result<Vec<Vec<u8>>> {
    let bar = progress(files.len(), "hashing");
    let out = files
        .par_iter()
        .map(|f| {
            let d = digest::digest_file(f, params, false)?;
            if let Some(bar) = &bar {
                bar.inc(1);
            }
            Ok(d.digest.as_bytes().to_vec())
        })
        .collect::<Result<Vec<_>>>();
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    out
}

/// The list of `kind` holding `digests` (computed with `params`): sorted,
/// duplicates dropped. Fails for an empty set (the kernel refuses empty
/// lists) or digests of the wrong size.
pub fn encode(kind: Kind, params: &Params, mut digests: Vec<Vec<u8>>) -> Result<Vec<u8>> {
    let size = params.alg().digest_size();
    if let Some(d) = digests.iter().find(|d| d.len() != size) {
        bail!(
            "a digest of {} bytes in a list of {size}-byte digests",
            d.len()
        );
    }
    digests.sort_unstable();
    digests.dedup();
    if digests.is_empty() {
        bail!("no files: a digest list holds at least one digest");
    }
    let len = fmt::encoded_len(params, digests.len()).context("too many digests")?;
    let mut out = vec![0u8; fmt::HEADER_SIZE];
    fmt::encode_header(kind, params, digests.len() as u64, &mut out)
        .map_err(|e| anyhow::anyhow!("{}", e.describe()))?;
    out.reserve(len - fmt::HEADER_SIZE);
    for d in &digests {
        out.extend_from_slice(d);
    }
    Ok(out)
}

/// Checks `list` (unsigned) and returns it signed: the list, then a
/// detached DER PKCS#7 signature over it (no signed attributes, no
/// certificates), as the kernel loads it.
pub fn sign(list: &[u8], signer: &Signer) -> Result<Vec<u8>> {
    fmt::parse(list)
        .map_err(|e| anyhow::anyhow!("not an unsigned digest list: {}", e.describe()))?;
    let sig = signer.detached_pkcs7(list)?;
    let mut out = list.to_vec();
    out.extend_from_slice(&sig);
    Ok(out)
}

/// A list read from a file: signed (with its signature) or not.
pub struct Read<'a> {
    /// The checked list.
    pub list: fmt::List<'a>,
    /// Its bytes.
    pub bytes: &'a [u8],
    /// The signature after it, if any.
    pub signature: Option<&'a [u8]>,
}

/// Parses a list file, signed or not.
pub fn read(bytes: &[u8]) -> Result<Read<'_>> {
    let (list_bytes, signature) = match fmt::split_signed(bytes) {
        Ok((l, s)) => (l, Some(s)),
        Err(fmt::Error::Unsigned) => (bytes, None),
        Err(e) => bail!("not a digest list: {}", e.describe()),
    };
    let list = fmt::parse(list_bytes)
        .map_err(|e| anyhow::anyhow!("not a digest list: {}", e.describe()))?;
    Ok(Read {
        list,
        bytes: list_bytes,
        signature,
    })
}

/// Checks that `r` is signed by the key of `cert` over its bytes; a
/// missing or wrong signature is a [`Failure`].
pub fn verify(r: &Read<'_>, cert: &Path) -> Result<()> {
    let Some(sig) = r.signature else {
        return Err(Failure("the list is not signed".into()).into());
    };
    let cert = load_cert(cert)?;
    let p7 = Pkcs7::from_der(sig)
        .map_err(|_| Failure("the signature is not a DER PKCS#7 message".into()))?;
    let mut certs = Stack::new().context("OpenSSL: cannot allocate")?;
    certs.push(cert).context("OpenSSL: cannot allocate")?;
    let store = X509StoreBuilder::new()
        .context("OpenSSL: cannot allocate")?
        .build();
    // The signer is the given certificate (NOINTERN: not one the message
    // carries); the kernel trusts keys, not chains (NOVERIFY).
    let flags = Pkcs7Flags::NOINTERN | Pkcs7Flags::NOVERIFY | Pkcs7Flags::BINARY;
    p7.verify(&certs, &store, Some(r.bytes), None, flags)
        .map_err(|_| Failure("the signature does not verify with this certificate".into()))?;
    Ok(())
}

/// `arbor digest-list show` as text: the header, then one digest a line.
pub fn show_text(r: &Read<'_>, out: &mut dyn std::io::Write) -> Result<()> {
    let h = &r.list.header;
    writeln!(out, "kind: {}", h.kind.name())?;
    writeln!(out, "hash algorithm: {}", h.params.alg().name())?;
    writeln!(out, "block size: {}", h.params.block_size())?;
    writeln!(out, "salt: {}", hex(h.params.salt()))?;
    writeln!(out, "digests: {}", h.count)?;
    match r.signature {
        Some(s) => writeln!(out, "signature: {} bytes of PKCS#7", s.len())?,
        None => writeln!(out, "signature: none")?,
    }
    for d in r.list.digests() {
        writeln!(out, "{}:{}", h.params.alg().name(), hex(d))?;
    }
    Ok(())
}

/// `arbor digest-list show --json`: one JSON object.
pub fn show_json(r: &Read<'_>) -> serde_json::Value {
    let h = &r.list.header;
    serde_json::json!({
        "version": fmt::VERSION,
        "kind": h.kind.name(),
        "hash_algorithm": h.params.alg().name(),
        "block_size": h.params.block_size(),
        "salt": hex(h.params.salt()),
        "count": h.count,
        "signature_size": r.signature.map(<[u8]>::len),
        "digests": r.list.digests().map(hex).collect::<Vec<_>>(),
    })
}

/// One load the PCR prediction replays: the signed list file, and the path
/// the kernel loads it from.
pub struct Load {
    /// The signed list file here.
    pub file: PathBuf,
    /// Its path on the measured system.
    pub path: String,
}

/// The PCR values a boot produces, in the SHA-1 and SHA-256 banks.
#[derive(Debug, PartialEq, Eq)]
pub struct Prediction {
    /// SHA-1 bank.
    pub sha1: [u8; 20],
    /// SHA-256 bank.
    pub sha256: [u8; 32],
}

/// Predicts the PCR of a boot whose list starts with `boot_aggregate`
/// (algorithm name and value, as its first entry records them) and then
/// records `loads`, in order, with `template`, and nothing else: what a
/// kernel with predictable PCRs records when every file it measures is in
/// an allow list it loaded. The entries are encoded with the template code
/// the kernel runs; each extends the SHA-1 bank with its template digest
/// and the SHA-256 bank with SHA-256 over its template data, starting from
/// zero (a TPM's PCR, or arbor's software PCR).
pub fn predict_pcr(
    boot_aggregate: (&str, &[u8]),
    loads: &[Load],
    template: Template,
) -> Result<Prediction> {
    let mut p = Prediction {
        sha1: [0; 20],
        sha256: [0; 32],
    };
    let mut extend = |data: &[u8]| {
        let d1: [u8; 20] = Sha1::digest(data).into();
        let mut h = Sha1::new();
        h.update(p.sha1);
        h.update(d1);
        p.sha1 = h.finalize().into();
        let d256: [u8; 32] = Sha256::digest(data).into();
        let mut h = Sha256::new();
        h.update(p.sha256);
        h.update(d256);
        p.sha256 = h.finalize().into();
    };
    let encode = |alg: &str, value: &[u8], name: &[u8]| -> Result<Vec<u8>> {
        let fields = EntryFields::new(
            template,
            (alg, value),
            (DigestType::Ima, alg, value),
            name,
            &[],
        );
        let fields = fields.as_slice();
        let len = template::template_data_len(fields).context("template data too long")?;
        let mut data = vec![0u8; len];
        template::encode_template_data(fields, &mut data)
            .map_err(|e| anyhow::anyhow!("encoding: {e:?}"))?;
        Ok(data)
    };
    extend(&encode(
        boot_aggregate.0,
        boot_aggregate.1,
        b"boot_aggregate",
    )?);
    for l in loads {
        let bytes = std::fs::read(&l.file).with_context(|| format!("{}", l.file.display()))?;
        read(&bytes).with_context(|| format!("{}", l.file.display()))?;
        let sha: [u8; 32] = Sha256::digest(&bytes).into();
        let name = format!("arbor_digest_list:{}", l.path);
        extend(&encode("sha256", &sha, name.as_bytes())?);
    }
    Ok(p)
}
