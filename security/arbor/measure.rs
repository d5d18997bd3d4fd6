// SPDX-License-Identifier: GPL-2.0
//! Evaluation of a file at a hook: measure it and appraise it, once per
//! file version, and decide whether it may run.

use crate::appraise::{self, Reason, Signature};
use crate::digest::{self, Source};
use crate::format::merkle::{Digest, Digester};
use crate::format::template::{DigestType, Field, Template};
use crate::format::xattr;
use crate::kapi::file::File;
use crate::kapi::lsm::inode_state;
use crate::log::Entry;
use crate::{mode, Arbor};
use kernel::alloc::{flags::GFP_KERNEL, KVVec, KVec};
use kernel::c_str;
use kernel::prelude::*;

/// The PCR named in every entry (`CONFIG_SECURITY_ARBOR_PCR`).
pub(crate) const PCR: u32 = crate::kapi::config::PCR;

/// Longest path recorded; longer ones are recorded by their last component.
const PATH_MAX: usize = 4096;

/// The hook that asks, for log lines.
#[derive(Clone, Copy)]
pub(crate) enum Hook {
    /// `bprm_check_security`: the file is about to be executed.
    Exec,
    /// `mmap_file` with `PROT_EXEC`.
    Mmap,
    /// `file_mprotect` adding `PROT_EXEC` to a file mapping.
    Mprotect,
}

impl Hook {
    fn name(self) -> &'static str {
        match self {
            Self::Exec => "exec",
            Self::Mmap => "mmap",
            Self::Mprotect => "mprotect",
        }
    }
}

/// Whether `file` may be used at `hook`: measures and appraises it unless
/// its current version was already evaluated, then applies the mode.
///
/// An untrusted file is refused with `EACCES` in enforcing mode and allowed
/// in permissive mode; either way one log line names the file, the hook,
/// the reason and the mode. A fatal signal during hashing ends the caller
/// before the file can run (`EINTR`).
pub(crate) fn check(arbor: &Arbor, file: &File, hook: Hook) -> Result {
    let state = inode_state(file.inode());
    let version = state.map_or(0, |s| s.version());
    let cached = state.and_then(|s| s.verdict(version));
    match cached {
        Some(true) => return Ok(()),
        // Logged when it was evaluated; in permissive mode once is enough.
        Some(false) if !mode::enforcing() => return Ok(()),
        _ => {}
    }
    let mut pathbuf = KVec::from_elem(0u8, PATH_MAX, GFP_KERNEL)?;
    let path = file.path(&mut pathbuf);
    let reason = match cached {
        Some(_) => None,
        None => match evaluate(arbor, file, path, hook, state, version)? {
            Ok(()) => return Ok(()),
            Err(reason) => Some(reason),
        },
    };
    // The mode is read once, at the end of the decision.
    let enforcing = mode::enforcing();
    let path = BStr(path);
    let action = if enforcing {
        "denied"
    } else {
        "allowed (permissive)"
    };
    match reason {
        Some(r) => pr_info!("{}: {}: untrusted ({}): {}\n", hook.name(), path, r, action),
        None => pr_info!(
            "{}: {}: untrusted (as evaluated before): {}\n",
            hook.name(),
            path,
            action
        ),
    }
    if enforcing {
        Err(EACCES)
    } else {
        Ok(())
    }
}

/// Which extended attribute holds a file's signature, and its length.
enum SigXattr {
    /// `security.arbor`.
    Arbor(usize),
    /// `security.ima` (there is no `security.arbor`).
    Ima(usize),
    /// Neither.
    Absent,
    /// Reading one failed.
    Unreadable,
}

/// Measures and appraises the current content of `file` (at `path`),
/// appending one `ima-sigv2` entry. Returns the appraisal outcome.
fn evaluate(
    arbor: &Arbor,
    file: &File,
    path: &[u8],
    hook: Hook,
    state: Option<&crate::state::InodeState>,
    version: u64,
) -> Result<Result<(), Reason>> {
    // security.arbor first; without it, an IMA sigv3 in security.ima.
    let mut xbuf = KVVec::from_elem(0u8, xattr::XATTR_SIZE_MAX, GFP_KERNEL)?;
    let found = match file.xattr(c_str!("security.arbor"), &mut xbuf) {
        Ok(Some(n)) => SigXattr::Arbor(n),
        Ok(None) => match file.xattr(c_str!("security.ima"), &mut xbuf) {
            Ok(Some(n)) => SigXattr::Ima(n),
            Ok(None) => SigXattr::Absent,
            Err(_) => SigXattr::Unreadable,
        },
        Err(_) => SigXattr::Unreadable,
    };
    let (sig, value) = match found {
        SigXattr::Arbor(n) => {
            let v = xbuf.get(..n).unwrap_or_default();
            (Signature::parse(Some(v)), v)
        }
        SigXattr::Ima(n) => {
            let v = xbuf.get(..n).unwrap_or_default();
            match Signature::parse_ima(v) {
                // Not an fs-verity signature (an IMA file hash, say): the
                // list records no signature for it.
                Signature::None => (Signature::None, &[][..]),
                sig => (sig, v),
            }
        }
        SigXattr::Absent => (Signature::None, &[][..]),
        SigXattr::Unreadable => (Signature::Unreadable, &[][..]),
    };

    let params = sig.params();
    let fsverity_sig = state.is_some_and(|s| s.fsverity_sig_valid());
    let (alg, digest, outcome) = match digest::file_digest(file, &params, arbor.hash(params.alg()))
    {
        Ok((alg, digest, source)) => {
            // fs-verity's digest has fs-verity's algorithm, which need not
            // be the one the signature header names.
            let outcome = appraise::check(&sig, alg, &digest, arbor.hash(alg)).or_else(|reason| {
                // fs-verity checked a built-in signature over the very digest
                // it holds and enforces at page-in.
                if source == Source::FsVerity && fsverity_sig {
                    Ok(())
                } else {
                    Err(reason)
                }
            });
            (alg, digest, outcome)
        }
        Err(e) if e == EINTR => return Err(e),
        Err(e) => {
            pr_warn!(
                "{}: {}: cannot compute the digest (error {}); recording an all-zero digest\n",
                hook.name(),
                BStr(path),
                e.to_errno()
            );
            (
                params.alg(),
                Digest::zero(params.alg()),
                Err(Reason::NoDigest),
            )
        }
    };

    let fields = [
        Field::DigestNgV2 {
            kind: DigestType::Verity,
            alg: alg.name(),
            digest: digest.as_bytes(),
        },
        Field::NameNg(path),
        Field::Raw(value),
    ];
    let entry = Entry::new(PCR, Template::ImaSigV2, &fields, &arbor.sha1)?;
    arbor.list.append(
        entry,
        &arbor.hashes(),
        arbor.tpm.as_ref(),
        PCR,
        || match state {
            // Another task evaluated this version while we hashed.
            Some(s) if s.verdict(version).is_some() => false,
            Some(s) => {
                // A missing digest is not a verdict: try again next time.
                if outcome != Err(Reason::NoDigest) {
                    s.set_verdict(version, outcome.is_ok());
                }
                true
            }
            None => true,
        },
    )?;
    Ok(outcome)
}

/// Appends the `boot_aggregate` entry, which must be the list's first: a
/// digest over PCRs 0-7 (and 8-9 for banks other than SHA-1) of the SHA-256
/// bank, or the SHA-1 bank if the TPM has no SHA-256 bank, as IMA computes
/// it; all zeros without a TPM.
pub(crate) fn boot_aggregate(arbor: &Arbor) -> Result {
    let mut value = [0u8; crate::kapi::tpm::MAX_DIGEST_SIZE];
    let mut alg = "sha256";
    let mut len = 32;
    if let Some(t) = &arbor.tpm {
        let banks = t.banks();
        let pick = banks
            .iter()
            .position(|b| b.alg_id == crate::kapi::tpm::ALG_SHA256)
            .or_else(|| {
                banks
                    .iter()
                    .position(|b| b.alg_id == crate::kapi::tpm::ALG_SHA1)
            });
        if let Some(i) = pick {
            let sha1 = banks
                .get(i)
                .is_some_and(|b| b.alg_id == crate::kapi::tpm::ALG_SHA1);
            // IMA: PCRs 0-7 for SHA-1, 0-9 for other banks.
            let (h, size, name, npcrs) = if sha1 {
                (&arbor.sha1, 20, "sha1", 8)
            } else {
                (&arbor.sha256, 32, "sha256", 10)
            };
            let mut d = h.desc()?;
            d.init()?;
            let mut pcr = [0u8; crate::kapi::tpm::MAX_DIGEST_SIZE];
            for idx in 0..npcrs {
                let p = pcr.get_mut(..size).ok_or(EINVAL)?;
                t.read(idx, i, p)?;
                d.update(p)?;
            }
            d.finish(value.get_mut(..size).ok_or(EINVAL)?)?;
            (alg, len) = (name, size);
        }
    }
    let fields = [
        Field::DigestNgV2 {
            kind: DigestType::Ima,
            alg,
            digest: value.get(..len).ok_or(EINVAL)?,
        },
        Field::NameNg(b"boot_aggregate"),
        Field::Raw(&[]),
    ];
    let entry = Entry::new(PCR, Template::ImaSigV2, &fields, &arbor.sha1)?;
    arbor
        .list
        .append(entry, &arbor.hashes(), arbor.tpm.as_ref(), PCR, || true)?;
    Ok(())
}

/// Displays a byte string with non-printable bytes escaped.
struct BStr<'a>(&'a [u8]);

impl core::fmt::Display for BStr<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for &b in self.0 {
            if b.is_ascii_graphic() || b == b' ' {
                core::fmt::Write::write_char(f, char::from(b))?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}
