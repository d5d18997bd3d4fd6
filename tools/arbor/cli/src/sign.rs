// SPDX-License-Identifier: GPL-2.0
//! Signatures: the `security.arbor` value (fs-verity built-in signature
//! plus tree parameters), IMA sigv3 `security.ima` values over fs-verity
//! digests, and checking IMA signatures (v2 and v3) found in measurement
//! lists.
//!
//! IMA signature header (`struct signature_v2_hdr`, big-endian):
//! `u8 type | u8 version | u8 hash_algo | be32 keyid | be16 sig_size | sig`.
//! Version 2 (type 3, `EVM_IMA_XATTR_DIGSIG`) signs the file digest itself;
//! version 3 over an fs-verity digest (type 6, `IMA_VERITY_DIGSIG`) signs
//! `H(u8 type | u8 hash_algo | digest)`, the kernel's `struct ima_file_id`.

use anyhow::{bail, Context, Result};
use arbor_format::merkle::{self, Digest, HashAlgorithm, Params};
use arbor_format::xattr;
use openssl::hash::{hash, MessageDigest};
use openssl::md::Md;
use openssl::pkcs7::{Pkcs7, Pkcs7Flags};
use openssl::pkey::{PKey, PKeyRef, Private, Public};
use openssl::pkey_ctx::PkeyCtx;
use openssl::stack::Stack;
use openssl::x509::X509;
use std::path::Path;

/// `EVM_IMA_XATTR_DIGSIG`: signature header type of IMA sigv2 (and v3 over
/// plain file hashes in newer kernels).
pub const IMA_XATTR_DIGSIG: u8 = 0x03;
/// `IMA_VERITY_DIGSIG`: signature header type of IMA sigv3 over an
/// fs-verity digest.
pub const IMA_VERITY_DIGSIG: u8 = 0x06;
/// Size of `struct signature_v2_hdr`.
pub const IMA_SIG_HEADER_SIZE: usize = 9;

/// The kernel's `enum hash_algo` number for a hash name.
pub fn kernel_hash_algo(name: &str) -> Option<u8> {
    Some(match name {
        "sha1" => 2,
        "sha256" => 4,
        "sha384" => 5,
        "sha512" => 6,
        "sha224" => 7,
        _ => return None,
    })
}

fn md_for_kernel_algo(algo: u8) -> Option<(&'static openssl::md::MdRef, MessageDigest, usize)> {
    Some(match algo {
        2 => (Md::sha1(), MessageDigest::sha1(), 20),
        4 => (Md::sha256(), MessageDigest::sha256(), 32),
        5 => (Md::sha384(), MessageDigest::sha384(), 48),
        6 => (Md::sha512(), MessageDigest::sha512(), 64),
        7 => (Md::sha224(), MessageDigest::sha224(), 28),
        _ => return None,
    })
}

/// A private key and its certificate, checked to belong together.
pub struct Signer {
    key: PKey<Private>,
    cert: X509,
}

impl Signer {
    /// Loads a PEM private key and a PEM or DER certificate; fails if the
    /// certificate's public key is not the private key's.
    pub fn load(key_path: &Path, cert_path: &Path) -> Result<Self> {
        let pem = std::fs::read(key_path)
            .with_context(|| format!("{}: cannot read key", key_path.display()))?;
        let key = PKey::private_key_from_pem(&pem).with_context(|| {
            format!(
                "{}: not a PEM private key (or encrypted)",
                key_path.display()
            )
        })?;
        let cert = load_cert(cert_path)?;
        let public = cert
            .public_key()
            .with_context(|| format!("{}: no usable public key", cert_path.display()))?;
        if !public.public_eq(&key) {
            bail!(
                "{}: certificate does not match the private key in {}",
                cert_path.display(),
                key_path.display()
            );
        }
        Ok(Self { key, cert })
    }

    /// The PKCS#7 (DER, detached, no signed attributes, no certificates)
    /// signature over the fs-verity formatted digest of `digest`, as
    /// `fsverity sign` makes it.
    pub fn fsverity_pkcs7(&self, alg: HashAlgorithm, digest: &Digest) -> Result<Vec<u8>> {
        let mut msg = [0u8; 12 + merkle::MAX_DIGEST_SIZE];
        let n = merkle::formatted_digest(alg, digest, &mut msg);
        let flags =
            Pkcs7Flags::DETACHED | Pkcs7Flags::BINARY | Pkcs7Flags::NOATTR | Pkcs7Flags::NOCERTS;
        let certs = Stack::new().context("OpenSSL: cannot allocate")?;
        let p7 = Pkcs7::sign(
            &self.cert,
            &self.key,
            &certs,
            msg.get(..n).unwrap_or_default(),
            flags,
        )
        .context("OpenSSL: PKCS#7 signing failed")?;
        p7.to_der().context("OpenSSL: cannot encode PKCS#7")
    }

    /// A policy for the kernel's `policy` file: a DER PKCS#7 message that
    /// carries `text` and signs it without signed attributes (what the
    /// kernel's verifier accepts for an unspecified-purpose signature),
    /// with no certificates (the kernel finds the key on its keyring).
    pub fn policy_pkcs7(&self, text: &[u8]) -> Result<Vec<u8>> {
        let flags = Pkcs7Flags::BINARY | Pkcs7Flags::NOATTR | Pkcs7Flags::NOCERTS;
        let certs = Stack::new().context("OpenSSL: cannot allocate")?;
        let p7 = Pkcs7::sign(&self.cert, &self.key, &certs, text, flags)
            .context("OpenSSL: PKCS#7 signing failed")?;
        p7.to_der().context("OpenSSL: cannot encode PKCS#7")
    }

    /// A detached DER PKCS#7 signature over `data`, without signed
    /// attributes and without certificates: what the kernel's verifier
    /// checks against its keyrings for a digest list.
    pub fn detached_pkcs7(&self, data: &[u8]) -> Result<Vec<u8>> {
        let flags =
            Pkcs7Flags::DETACHED | Pkcs7Flags::BINARY | Pkcs7Flags::NOATTR | Pkcs7Flags::NOCERTS;
        let certs = Stack::new().context("OpenSSL: cannot allocate")?;
        let p7 = Pkcs7::sign(&self.cert, &self.key, &certs, data, flags)
            .context("OpenSSL: PKCS#7 signing failed")?;
        p7.to_der().context("OpenSSL: cannot encode PKCS#7")
    }

    /// The `security.arbor` value for a file digest made with `params`.
    pub fn arbor_xattr(&self, params: &Params, digest: &Digest) -> Result<Vec<u8>> {
        let pkcs7 = self.fsverity_pkcs7(params.alg(), digest)?;
        let len = xattr::encoded_len(params, &pkcs7).context("signature too large")?;
        let mut out = vec![0u8; len];
        let n = xattr::encode(params, &pkcs7, &mut out)
            .map_err(|e| anyhow::anyhow!("security.arbor: {e}"))?;
        out.truncate(n);
        Ok(out)
    }

    /// The IMA sigv3 `security.ima` value for an fs-verity digest.
    pub fn ima_sigv3(&self, alg: HashAlgorithm, digest: &Digest) -> Result<Vec<u8>> {
        let algo = kernel_hash_algo(alg.name()).context("hash algorithm unknown to IMA")?;
        let (md, mdh, _) = md_for_kernel_algo(algo).context("hash algorithm unknown to IMA")?;
        let file_id = file_id(IMA_VERITY_DIGSIG, algo, digest.as_bytes());
        let h = hash(mdh, &file_id).context("OpenSSL: hash failed")?;
        let mut ctx = PkeyCtx::new(&self.key).context("OpenSSL: key context")?;
        ctx.sign_init().context("OpenSSL: key cannot sign")?;
        ctx.set_signature_md(md)
            .context("OpenSSL: digest not usable with this key")?;
        let mut sig = Vec::new();
        ctx.sign_to_vec(&h, &mut sig)
            .context("OpenSSL: signing failed")?;
        let sig_size = u16::try_from(sig.len()).context("signature longer than 65535 bytes")?;
        let mut out = vec![IMA_VERITY_DIGSIG, 3, algo];
        out.extend_from_slice(&keyid(&self.cert)?);
        out.extend_from_slice(&sig_size.to_be_bytes());
        out.extend_from_slice(&sig);
        Ok(out)
    }
}

/// `struct ima_file_id` without its unused tail: `type | algo | digest`.
fn file_id(kind: u8, algo: u8, digest: &[u8]) -> Vec<u8> {
    let mut v = vec![kind, algo];
    v.extend_from_slice(digest);
    v
}

/// Loads an X.509 certificate in PEM or DER.
pub fn load_cert(path: &Path) -> Result<X509> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("{}: cannot read certificate", path.display()))?;
    X509::from_pem(&bytes)
        .or_else(|_| X509::from_der(&bytes))
        .with_context(|| format!("{}: not an X.509 certificate (PEM or DER)", path.display()))
}

/// IMA's key identifier: the last 4 bytes of the subjectKeyIdentifier.
pub fn keyid(cert: &X509) -> Result<[u8; 4]> {
    let skid = cert
        .subject_key_id()
        .context("certificate has no subjectKeyIdentifier extension")?;
    let s = skid.as_slice();
    let tail = s
        .len()
        .checked_sub(4)
        .and_then(|i| s.get(i..))
        .context("subjectKeyIdentifier shorter than 4 bytes")?;
    let mut id = [0u8; 4];
    id.copy_from_slice(tail);
    Ok(id)
}

/// A certificate usable to check IMA signatures.
pub struct VerifyKey {
    /// Where it was loaded from.
    pub name: String,
    /// IMA key identifier.
    pub keyid: [u8; 4],
    key: PKey<Public>,
}

impl VerifyKey {
    /// Loads a certificate for signature checks.
    pub fn load(path: &Path) -> Result<Self> {
        let cert = load_cert(path)?;
        let keyid = keyid(&cert).with_context(|| format!("{}", path.display()))?;
        let key = cert
            .public_key()
            .with_context(|| format!("{}: no usable public key", path.display()))?;
        Ok(Self {
            name: path.display().to_string(),
            keyid,
            key,
        })
    }
}

/// The outcome of checking one IMA signature.
#[derive(Debug, PartialEq, Eq)]
pub enum SigCheck {
    /// Verified with the named certificate.
    Good(String),
    /// No certificate with the signature's key id was given.
    UnknownKey([u8; 4]),
    /// The signature is malformed or does not verify.
    Bad(String),
}

/// A parsed IMA signature header and its signature bytes.
#[derive(Debug)]
pub struct ImaSig<'a> {
    /// Header type byte.
    pub kind: u8,
    /// Signature version (2 or 3).
    pub version: u8,
    /// Kernel hash algorithm number.
    pub hash_algo: u8,
    /// Key identifier.
    pub keyid: [u8; 4],
    /// The raw signature.
    pub sig: &'a [u8],
}

/// Parses an IMA signature (`security.ima` value of type 3 or 6).
pub fn parse_ima_sig(value: &[u8]) -> Result<ImaSig<'_>, String> {
    let (head, sig) = value.split_at_checked(IMA_SIG_HEADER_SIZE).ok_or_else(|| {
        format!(
            "signature of {} bytes is shorter than its 9-byte header",
            value.len()
        )
    })?;
    let [kind, version, hash_algo, k0, k1, k2, k3, s0, s1] = *head else {
        return Err("short header".into());
    };
    if kind != IMA_XATTR_DIGSIG && kind != IMA_VERITY_DIGSIG {
        return Err(format!(
            "type {kind:#04x} is not a digital signature (3 or 6)"
        ));
    }
    let version_ok = if kind == IMA_VERITY_DIGSIG {
        version == 3
    } else {
        version == 2 || version == 3
    };
    if !version_ok {
        return Err(format!(
            "unsupported signature version {version} for type {kind}"
        ));
    }
    let size = usize::from(u16::from_be_bytes([s0, s1]));
    if size != sig.len() {
        return Err(format!(
            "header says {size} signature bytes, {} follow",
            sig.len()
        ));
    }
    if size == 0 {
        return Err("empty signature".into());
    }
    Ok(ImaSig {
        kind,
        version,
        hash_algo,
        keyid: [k0, k1, k2, k3],
        sig,
    })
}

/// Checks IMA signature `value` over the file digest `digest` (of
/// algorithm `alg_name`) against `keys`.
pub fn check_ima_sig(value: &[u8], alg_name: &str, digest: &[u8], keys: &[VerifyKey]) -> SigCheck {
    let s = match parse_ima_sig(value) {
        Ok(s) => s,
        Err(e) => return SigCheck::Bad(e),
    };
    let Some((md, mdh, len)) = md_for_kernel_algo(s.hash_algo) else {
        return SigCheck::Bad(format!("unknown hash algorithm {}", s.hash_algo));
    };
    if kernel_hash_algo(alg_name) != Some(s.hash_algo) || digest.len() != len {
        return SigCheck::Bad(format!(
            "signature hash algorithm {} does not match the {alg_name} digest",
            s.hash_algo
        ));
    }
    let Some(key) = keys.iter().find(|k| k.keyid == s.keyid) else {
        return SigCheck::UnknownKey(s.keyid);
    };
    let signed = if s.version == 3 {
        match hash(mdh, &file_id(s.kind, s.hash_algo, digest)) {
            Ok(h) => h.to_vec(),
            Err(e) => return SigCheck::Bad(format!("OpenSSL: {e}")),
        }
    } else {
        digest.to_vec()
    };
    match verify_digest(&key.key, md, &signed, s.sig) {
        Ok(true) => SigCheck::Good(key.name.clone()),
        Ok(false) => SigCheck::Bad(format!("signature does not verify with {}", key.name)),
        Err(e) => SigCheck::Bad(format!("signature does not verify with {}: {e}", key.name)),
    }
}

fn verify_digest(
    key: &PKeyRef<Public>,
    md: &openssl::md::MdRef,
    digest: &[u8],
    sig: &[u8],
) -> Result<bool> {
    let mut ctx = PkeyCtx::new(key)?;
    ctx.verify_init()?;
    ctx.set_signature_md(md)?;
    Ok(ctx.verify(digest, sig).unwrap_or(false))
}
