// SPDX-License-Identifier: GPL-2.0
//! What arbor does with one use of a file, as pure functions.
//!
//! The kernel gathers the facts of a use (the hook and access, the
//! policy's [`Decision`], the mode, what the inode's state says was done
//! for the file's current version) and this module decides; the kernel
//! then carries the result out. An evaluation goes through three steps:
//!
//! 1. [`guard`]: from the policy alone, before anything is read. A mapping
//!    both writable and executable is refused outright; code about to run
//!    from a file must be protected from writers while it is hashed.
//! 2. [`plan`]: refuse at once, go on without work, or evaluate: which
//!    violation to record, which refusal to report, and whether to
//!    measure, appraise and audit.
//! 3. [`conclude`]: once the evaluation (if any) is done, whether the use
//!    is reported as untrusted (and, in enforcing mode, refused).

use super::policy::{Decision, Func, MAY_EXEC, MAY_WRITE};
use super::{imasig, xattr};
use core::fmt;

/// Why a file is not trusted. Stable names: they appear in log lines and
/// audit records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// No signature.
    Unsigned,
    /// `security.arbor` is not a well-formed value.
    MalformedXattr(xattr::Error),
    /// `security.ima` holds a malformed IMA sigv3.
    MalformedImaSig(imasig::Error),
    /// The PKCS#7 message is malformed or uses an unsupported algorithm
    /// (the verifier's error code).
    MalformedSignature(i32),
    /// The signer's key is on no trusted keyring.
    UnknownKey,
    /// The signature does not verify over this file's digest (another
    /// file's signature, the file changed after signing, or a forgery).
    BadSignature,
    /// The attribute could not be read (an I/O error).
    XattrUnreadable,
    /// The digest could not be computed (I/O error, file changed while read).
    NoDigest,
    /// The file is open for writing: what runs could change under the
    /// verdict.
    OpenForWrite,
    /// A mapping both writable and executable: what runs is whatever is
    /// written there.
    WritableExecutable,
    /// `mprotect()` made a mapping executable, whose private pages may
    /// have been written while they were not.
    MadeExecutable,
    /// The file's digest is in a loaded revoke list: refused whatever
    /// signature it carries.
    Revoked,
    /// The policy lets only an allow list vouch for the file
    /// (`appraise_by=list`), and no loaded allow list holds its digest.
    NotListed,
    /// The file's server reported another change attribute after its
    /// signature and content were read than before, every time they were
    /// read: what was read may mix versions.
    ChangedWhileRead,
    /// A page read from the file's server after the file was appraised
    /// was not the content appraised (the readpage gate refused it): the
    /// file is untrusted while its inode lives.
    PagesRefused,
    /// The file's pages would have to be checked as they are read (its
    /// filesystem cannot check them), and cannot be: its Merkle tree is
    /// salted or not of 4 KiB blocks, or its page cache could not be
    /// emptied before checks began.
    PagesUncheckable,
    /// The file's pages would have to be checked as they are read, and
    /// the memory for the hashes they are checked against is at its limit
    /// (`arbor.page_check_memory=`).
    PageCheckMemory,
}

impl Reason {
    /// Every reason, with a representative of each payload, for tests.
    pub const ALL: [Self; 17] = [
        Self::Unsigned,
        Self::MalformedXattr(xattr::Error::Truncated),
        Self::MalformedImaSig(imasig::Error::Truncated),
        Self::MalformedSignature(-74),
        Self::UnknownKey,
        Self::BadSignature,
        Self::XattrUnreadable,
        Self::NoDigest,
        Self::OpenForWrite,
        Self::WritableExecutable,
        Self::MadeExecutable,
        Self::Revoked,
        Self::NotListed,
        Self::ChangedWhileRead,
        Self::PagesRefused,
        Self::PagesUncheckable,
        Self::PageCheckMemory,
    ];

    /// The reason as one word, for the `cause=` field of audit records.
    pub const fn keyword(&self) -> &'static str {
        match self {
            Self::Unsigned => "unsigned",
            Self::MalformedXattr(_) => "malformed_xattr",
            Self::MalformedImaSig(_) => "malformed_ima_sig",
            Self::MalformedSignature(_) => "malformed_signature",
            Self::UnknownKey => "unknown_key",
            Self::BadSignature => "bad_signature",
            Self::XattrUnreadable => "xattr_unreadable",
            Self::NoDigest => "no_digest",
            Self::OpenForWrite => "open_for_write",
            Self::WritableExecutable => "write_exec",
            Self::MadeExecutable => "mprotect_exec",
            Self::Revoked => "revoked",
            Self::NotListed => "not_listed",
            Self::ChangedWhileRead => "changed_while_read",
            Self::PagesRefused => "page_mismatch",
            Self::PagesUncheckable => "pages_uncheckable",
            Self::PageCheckMemory => "page_check_memory",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsigned => f.write_str("unsigned"),
            Self::MalformedXattr(e) => write!(f, "malformed xattr ({e})"),
            Self::MalformedImaSig(e) => write!(f, "malformed IMA sigv3 ({e})"),
            Self::MalformedSignature(e) => write!(f, "malformed signature (error {e})"),
            Self::UnknownKey => f.write_str("unknown key"),
            Self::BadSignature => f.write_str("bad signature"),
            Self::XattrUnreadable => f.write_str("xattr unreadable"),
            Self::NoDigest => f.write_str("digest unavailable"),
            Self::OpenForWrite => f.write_str("open for write"),
            Self::WritableExecutable => f.write_str("writable and executable mapping"),
            Self::MadeExecutable => f.write_str("made executable by mprotect"),
            Self::Revoked => f.write_str("revoked"),
            Self::NotListed => f.write_str("in no allow list"),
            Self::ChangedWhileRead => f.write_str("changed on its server while read"),
            Self::PagesRefused => f.write_str("a page read later was not the content appraised"),
            Self::PagesUncheckable => f.write_str("its pages cannot be checked as they are read"),
            Self::PageCheckMemory => {
                f.write_str("the memory for checking pages as they are read is at its limit")
            }
        }
    }
}

/// A use of a file that the measurement list cannot vouch for, as IMA
/// defines them (its entry has all-zero digests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Violation {
    /// Time of measure, time of use: a file the policy measured is opened
    /// for writing while files have it open for reading only.
    ToMToU,
    /// A file is measured for a reader, or must run, while a writer has
    /// it open.
    OpenWriters,
    /// In permissive mode, a file arbor trusts is opened for writing.
    OpenForWrite,
    /// In permissive mode, the size of a file arbor trusts changes.
    Truncate,
    /// A file the policy measures could not be read or hashed.
    NoDigest,
}

impl Violation {
    /// Every violation, for tests.
    pub const ALL: [Self; 5] = [
        Self::ToMToU,
        Self::OpenWriters,
        Self::OpenForWrite,
        Self::Truncate,
        Self::NoDigest,
    ];

    /// The violation's name in log lines and in the `cause=` field of
    /// audit records.
    pub const fn name(self) -> &'static str {
        match self {
            Self::ToMToU => "ToMToU",
            Self::OpenWriters => "open_writers",
            Self::OpenForWrite => "open_for_write",
            Self::Truncate => "truncate",
            Self::NoDigest => "no_digest",
        }
    }
}

/// Whether a use at hook `func` with access `mask` runs code from the file.
pub const fn runs_code(func: Func, mask: u32) -> bool {
    matches!(func, Func::BprmCheck) || mask & MAY_EXEC != 0
}

/// What must be done first, from the policy alone (step 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guard {
    /// Nothing: the file is not appraised, or no code runs from it.
    None,
    /// Writers must be denied for the rest of the evaluation (as exec
    /// denies them for the program it runs); if some file has the inode
    /// open for writing now, the use is refused with
    /// [`Reason::OpenForWrite`].
    DenyWriters,
    /// The use is refused with [`Reason::WritableExecutable`]: what would
    /// run from a private writable and executable mapping is whatever the
    /// task writes there, not what was signed.
    Refuse,
}

/// The common case that needs few facts: a use by a reader that the
/// policy only measures. When, besides, no file has the inode open for
/// writing, the content cannot change unseen and the current version was
/// measured, [`plan`] allows the use whatever else is true (no refusal, no
/// violation, no work); the kernel looks at these few facts first, and
/// gathers the others only when they do not hold.
pub const fn measured_read(d: Decision, is_writer: bool) -> bool {
    d.measure && !d.appraise && !d.audit && !is_writer
}

/// Step 1: what must be done before the file is looked at.
pub const fn guard(appraise: bool, func: Func, mask: u32) -> Guard {
    if !appraise || !runs_code(func, mask) {
        Guard::None
    } else if mask & MAY_WRITE != 0 {
        Guard::Refuse
    } else {
        Guard::DenyWriters
    }
}

/// What the kernel knows about how the file is open, for
/// [`violation`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Openers {
    /// The file being used was opened for writing.
    pub is_writer: bool,
    /// Some file has the inode open for reading only, and the policy
    /// measured the file (some version of it), as IMA decides it.
    pub has_readers: bool,
    /// Some file has the inode open for writing.
    pub open_for_write: bool,
}

/// Which violation, if any, a use is. As IMA, violations are looked for
/// at opens and mappings, of files arbor has state for:
///
/// - a writer of a file the policy measured, while readers have the
///   inode open, is a [`Violation::ToMToU`];
/// - a reader the policy measures, while a writer has the inode open, is
///   [`Violation::OpenWriters`].
///
/// `refusal` is the reason the guard refused the use, if it did: code
/// refused because the file is open for writing is an `OpenWriters`
/// violation at every hook.
pub const fn violation(
    func: Func,
    measure: bool,
    openers: Option<Openers>,
    refusal: Option<Reason>,
) -> Option<Violation> {
    let found = match (func, openers) {
        (Func::FileCheck | Func::MmapCheck, Some(o)) => {
            if o.is_writer {
                if o.has_readers {
                    Some(Violation::ToMToU)
                } else {
                    None
                }
            } else if measure && o.open_for_write {
                Some(Violation::OpenWriters)
            } else {
                None
            }
        }
        _ => None,
    };
    match (found, refusal) {
        (None, Some(Reason::OpenForWrite)) => Some(Violation::OpenWriters),
        _ => found,
    }
}

/// What the inode's state says was done for the file's current version.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Done {
    /// The verdict recorded for the version, if it was appraised (and
    /// the verdict may be reused): `Some(true)` for trusted.
    pub verdict: Option<bool>,
    /// The version was measured.
    pub measured: bool,
    /// The version was audited by an `audit` rule.
    pub audited: bool,
}

/// The facts [`plan`] decides on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Facts {
    /// The policy's decision for the use.
    pub decision: Decision,
    /// arbor refuses untrusted files (rather than only logging them).
    pub enforcing: bool,
    /// Why the guard refused the use, if it did.
    pub refusal: Option<Reason>,
    /// The violation the use is, if any.
    pub violation: Option<Violation>,
    /// What was done for the current version.
    pub done: Done,
    /// The file's content can change without a local write (FUSE, network
    /// filesystems), and its filesystem has no change attribute to tell
    /// (FUSE): no verdict is reused, and the file is measured again
    /// whenever its digest differs from the one last measured. (On NFS and
    /// Ceph the server's change attribute, asked for at every evaluation,
    /// starts a new version when it changes: the file is then handled as
    /// a local one.)
    pub unseen_changes: bool,
}

/// What an evaluation must do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Work {
    /// Hash the file and append an entry (unless, for content that can
    /// change unseen, the digest is the one last measured).
    pub measure: bool,
    /// Verify the file's signature and record the verdict.
    pub appraise: bool,
    /// Emit the audit record of an `audit` rule.
    pub audit: bool,
}

impl Work {
    /// Whether the file must be read at all.
    pub const fn any(&self) -> bool {
        self.measure || self.appraise || self.audit
    }
}

/// The outcome of step 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// The use goes on; nothing is recorded or logged.
    Allow,
    /// Enforcing mode: the use is refused at once, without evaluation, and
    /// reported with this reason.
    Refuse(Reason),
    /// Record the violation, report the refusal (permissive mode: the use
    /// goes on), do the work, then [`conclude`].
    Evaluate {
        /// The violation to record.
        violation: Option<Violation>,
        /// The refusal to report.
        report: Option<Reason>,
        /// What to do with the file.
        work: Work,
    },
}

/// Step 2: decides from the facts what the evaluation does.
pub const fn plan(f: &Facts) -> Plan {
    let d = f.decision;
    if let (Some(reason), true) = (f.refusal, f.enforcing) {
        return Plan::Refuse(reason);
    }
    if !d.measure && !d.appraise && !d.audit && f.violation.is_none() {
        return Plan::Allow;
    }
    let verdict = reusable_verdict(f);
    let work = Work {
        measure: d.measure && (!f.done.measured || f.unseen_changes),
        appraise: d.appraise && verdict.is_none(),
        audit: d.audit && !f.done.audited,
    };
    let busy = f.violation.is_some() || f.refusal.is_some() || work.any();
    if !busy {
        // Nothing to record. A file that is not appraised, or trusted, goes
        // on; so does an untrusted one in permissive mode, which was
        // logged when it was evaluated.
        let trusted = matches!(verdict, Some(true));
        if !d.appraise || trusted || !f.enforcing {
            return Plan::Allow;
        }
    }
    Plan::Evaluate {
        violation: f.violation,
        report: f.refusal,
        work,
    }
}

/// The outcome of step 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conclusion {
    /// The use goes on, unreported.
    Allow,
    /// The file is untrusted: logged and audited, and refused in
    /// enforcing mode. `None`: as evaluated before (the verdict was
    /// reused).
    Untrusted(Option<Reason>),
}

/// Step 3: given the verdict reused (`verdict`, from [`Facts::done`]
/// unless the content can change unseen) and the appraisal just made
/// (`appraisal`; `None` if none was made), whether the use is untrusted.
pub const fn conclude(
    appraise: bool,
    enforcing: bool,
    verdict: Option<bool>,
    appraisal: Option<Result<(), Reason>>,
) -> Conclusion {
    if !appraise {
        return Conclusion::Allow;
    }
    match (verdict, appraisal) {
        (Some(true), _) => Conclusion::Allow,
        // Reported when it was evaluated; once is enough in permissive
        // mode.
        (Some(false), _) if !enforcing => Conclusion::Allow,
        (Some(false), _) => Conclusion::Untrusted(None),
        (None, Some(Err(reason))) => Conclusion::Untrusted(Some(reason)),
        (None, _) => Conclusion::Allow,
    }
}

/// The verdict [`plan`] and [`conclude`] reuse: none when the content can
/// change unseen.
pub const fn reusable_verdict(f: &Facts) -> Option<bool> {
    if f.unseen_changes {
        None
    } else {
        f.done.verdict
    }
}

/// Whether a measurement is appended, decided under the list's lock once
/// the file is hashed: not when another task measured the same version
/// meanwhile (`measured`), unless the content can change unseen and its
/// digest differs from the one last measured (`same_digest`).
pub const fn append_measurement(measured: bool, unseen_changes: bool, same_digest: bool) -> bool {
    !measured || (unseen_changes && !same_digest)
}
