// SPDX-License-Identifier: GPL-2.0
//! Evaluation of a file at a hook: measure it and appraise it, once per
//! file version, and decide whether it may run.

use crate::appraise::{self, Reason, Signature};
use crate::audit::{self, AuditOp};
use crate::digest::{self, Source};
use crate::format::merkle::{Digest, Digester};
use crate::format::policy::{Func, Request};
use crate::format::template::{DigestType, Field, Template};
use crate::format::xattr;
use crate::kapi::file::File;
use crate::kapi::lsm::inode_state;
use crate::kapi::task;
use crate::log::Entry;
use crate::state::InodeState;
use crate::{mode, policy, Arbor};
use kernel::alloc::{flags::GFP_KERNEL, KVVec, KVec};
use kernel::c_str;
use kernel::prelude::*;

/// The PCR named in every entry (`CONFIG_SECURITY_ARBOR_PCR`).
pub(crate) const PCR: u32 = crate::kapi::config::PCR;

/// Longest path recorded; longer ones are recorded by their last component.
const PATH_MAX: usize = 4096;

/// The hook's name in log lines (the policy's names are for audit records).
fn hook_name(func: Func) -> &'static str {
    match func {
        Func::BprmCheck => "exec",
        Func::MmapCheck => "mmap",
        Func::MprotectCheck => "mprotect",
        Func::FileCheck => "open",
    }
}

/// The request `file` makes at hook `func` with access `mask`.
fn request(file: &File, func: Func, mask: u32) -> Request {
    let inode = file.inode();
    Request {
        func,
        mask,
        fsmagic: inode.fs_magic(),
        fsuuid: inode.fs_uuid(),
        uid: task::uid(),
        euid: task::euid(),
        fowner: inode.owner(),
    }
}

/// What the evaluation of one file version must do.
#[derive(Clone, Copy)]
struct Work {
    measure: bool,
    appraise: bool,
    audit: bool,
}

/// Applies the policy to `file` at hook `func` with access `mask`: records
/// violations, measures, appraises and audits as the policy says, each at
/// most once per file version, and decides whether the access may go on.
///
/// A file the policy appraises and that is untrusted is refused with
/// `EACCES` in enforcing mode and allowed in permissive mode; either way
/// one log line names the file, the hook, the reason and the mode, and an
/// audit record follows. A fatal signal during hashing ends the caller
/// before the file can be used (`EINTR`).
pub(crate) fn check(arbor: &Arbor, file: &File, func: Func, mask: u32) -> Result {
    // As IMA: only regular files have content to measure.
    if !file.inode().is_regular() {
        return Ok(());
    }
    let decision = policy::decide(&request(file, func, mask));
    let state = inode_state(file.inode());
    // As IMA: violations are looked for at opens and mappings.
    let violation = if matches!(func, Func::FileCheck | Func::MmapCheck) {
        violation_cause(file, state, decision.measure)
    } else {
        None
    };
    if !decision.measure && !decision.appraise && !decision.audit && violation.is_none() {
        return Ok(());
    }
    // Enabling fs-verity changes a file's digest (fs-verity's tree may use
    // other parameters than the one computed before) without changing its
    // content: it starts a new version for measurement and appraisal.
    let version = state.map_or(0, |s| s.version()) << 1 | u64::from(file.inode().is_verity());
    let cached = state.and_then(|s| s.verdict(version));
    let work = Work {
        measure: decision.measure && !state.is_some_and(|s| s.measured(version)),
        appraise: decision.appraise && cached.is_none(),
        audit: decision.audit && !state.is_some_and(|s| s.audited(version)),
    };
    let busy = violation.is_some() || work.measure || work.appraise || work.audit;
    if !busy && (!decision.appraise || cached == Some(true)) {
        return Ok(());
    }
    // Logged when it was evaluated; in permissive mode once is enough.
    if !busy && !mode::enforcing() {
        return Ok(());
    }
    let mut pathbuf = KVec::from_elem(0u8, PATH_MAX, GFP_KERNEL)?;
    let path = file.path(&mut pathbuf);
    if let Some(cause) = violation {
        record_violation(arbor, func, path, cause)?;
    }
    let outcome = if work.measure || work.appraise || work.audit {
        Some(evaluate(arbor, file, path, func, state, version, work)?)
    } else {
        None
    };
    if !decision.appraise {
        return Ok(());
    }
    let reason = match (cached, outcome) {
        (Some(true), _) => return Ok(()),
        (Some(false), _) if !mode::enforcing() => return Ok(()),
        (Some(false), _) => None,
        (None, Some(Err(reason))) => Some(reason),
        (None, _) => return Ok(()),
    };
    // The mode is read once more, for the decision.
    let enforcing = mode::enforcing();
    let action = if enforcing {
        "denied"
    } else {
        "allowed (permissive)"
    };
    let hook = hook_name(func);
    match reason {
        Some(r) => pr_info!("{}: {}: untrusted ({}): {}\n", hook, BStr(path), r, action),
        None => pr_info!(
            "{}: {}: untrusted (as evaluated before): {}\n",
            hook,
            BStr(path),
            action
        ),
    }
    audit::emit(AuditOp::Untrusted {
        func: func.name(),
        path,
        cause: reason.map_or("untrusted", |r| r.keyword()),
        enforcing,
    });
    if enforcing {
        Err(EACCES)
    } else {
        Ok(())
    }
}

/// Which violation, if any, this use of `file` is (as IMA defines them):
///
/// - `ToMToU`: `file` is opened for writing while the inode is open for
///   reading and a reader was measured: what the reader measured may not
///   be what it reads.
/// - `open_writers`: `file` is measured for a reader while another file
///   has the inode open for writing: what is measured may change under the
///   reader.
///
/// Notes a measured reader for later ToMToU checks.
fn violation_cause(file: &File, state: Option<&InodeState>, measure: bool) -> Option<&'static str> {
    let s = state?;
    if file.is_writer() {
        return (s.has_readers() && s.must_measure()).then_some("ToMToU");
    }
    if !measure {
        return None;
    }
    s.set_must_measure();
    file.inode().is_open_for_write().then_some("open_writers")
}

/// Records a violation: an entry with an all-zero file digest and an
/// all-zero template digest, whose PCR extension is all-0xFF in every bank
/// (as IMA's, so that verifiers replay it), counted in `violations`, and
/// an audit record.
fn record_violation(arbor: &Arbor, func: Func, path: &[u8], cause: &'static str) -> Result {
    let fields = [
        Field::DigestNgV2 {
            kind: DigestType::Ima,
            alg: "sha256",
            digest: &[0u8; 32],
        },
        Field::NameNg(path),
        Field::Raw(&[]),
    ];
    let entry = Entry::violation(PCR, Template::ImaSigV2, &fields)?;
    arbor
        .list
        .append(entry, &arbor.hashes(), arbor.tpm.as_ref(), PCR, || true)?;
    arbor.list.count_violation();
    pr_warn!(
        "{}: {}: {} violation: the list cannot vouch for what is read\n",
        hook_name(func),
        BStr(path),
        cause
    );
    audit::emit(AuditOp::Violation {
        func: func.name(),
        path,
        cause,
    });
    Ok(())
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
    func: Func,
    state: Option<&InodeState>,
    version: u64,
    work: Work,
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
    // The digest needs a file open for reading; a write-only open (a
    // FILE_CHECK rule may measure those) is read through a twin.
    let twin = if file.is_readable() {
        None
    } else {
        Some(file.reopen_read_only())
    };
    let computed = match &twin {
        None => digest::file_digest(file, &params, arbor.hash(params.alg())),
        Some(Ok(reader)) => digest::file_digest(reader, &params, arbor.hash(params.alg())),
        Some(Err(e)) => Err(*e),
    };
    let (alg, digest, outcome) = match computed {
        Ok((alg, digest, source)) => {
            let outcome = if work.appraise {
                // fs-verity's digest has fs-verity's algorithm, which need
                // not be the one the signature header names.
                appraise::check(&sig, alg, &digest, arbor.hash(alg)).or_else(|reason| {
                    // fs-verity checked a built-in signature over the very
                    // digest it holds and enforces at page-in.
                    if source == Source::FsVerity && fsverity_sig {
                        Ok(())
                    } else {
                        Err(reason)
                    }
                })
            } else {
                Ok(())
            };
            (alg, digest, outcome)
        }
        Err(e) if e == EINTR => return Err(e),
        Err(e) => {
            pr_warn!(
                "{}: {}: cannot compute the digest (error {}); recording an all-zero digest\n",
                hook_name(func),
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

    if work.appraise && outcome != Err(Reason::NoDigest) {
        // A missing digest is not a verdict: try again next time.
        if let Some(s) = state {
            s.set_verdict(version, outcome.is_ok());
        }
    }
    if work.measure {
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
                // Another task measured this version while we hashed.
                Some(s) if s.measured(version) => false,
                Some(s) => {
                    s.set_measured(version);
                    true
                }
                None => true,
            },
        )?;
    }
    if work.audit && state.map_or(true, |s| s.set_audited(version)) {
        audit::emit(AuditOp::Rule {
            func: func.name(),
            path,
            digest: (alg.name(), digest.as_bytes()),
        });
    }
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
