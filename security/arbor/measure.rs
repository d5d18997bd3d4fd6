// SPDX-License-Identifier: GPL-2.0
//! Evaluation of a file at a hook: measure it and appraise it, once per
//! file version, and decide whether it may run.

use crate::appraise::{self, Signature};
use crate::audit::{self, AuditOp};
use crate::digest::{self, FileDigests, Source, Wanted};
use crate::digest_lists::{self, Found};
use crate::format::decision::{
    self, Conclusion, Done, Facts, Guard, Openers, Plan, Reason, Violation, Work,
};
use crate::format::merkle::{Digest, Digester, HashAlgorithm};
use crate::format::policy::{AppraiseBy, Decision, Func, Request, TEMPLATES};
use crate::format::state::{self, DecisionKey, InodeState};
use crate::format::template::{DigestType, EntryFields, Template};
use crate::format::{imasig, xattr};
use crate::kapi::alloc;
use crate::kapi::fs::{Dentry, File, Inode};
use crate::kapi::print::log_ratelimit;
use crate::kapi::task;
use crate::list::{Entry, SHA256_SIZE};
use crate::{gate, inode_state, mode, policy, Arbor};
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicUsize, Ordering};
use kernel::alloc::{flags::GFP_KERNEL, KVVec, KVec};
use kernel::c_str;
use kernel::prelude::*;
use kernel::str::CStr;

/// The PCR named in every entry (`CONFIG_SECURITY_ARBOR_PCR`).
pub(crate) const PCR: u32 = crate::kapi::config::PCR;

/// Longest path recorded; longer ones are recorded by their last component.
const PATH_MAX: usize = 4096;

/// A buffer for a path that log lines, audit records and entries name,
/// not zeroed: `File::path` returns what it wrote.
fn path_buffer() -> Result<KVec<MaybeUninit<u8>>> {
    alloc::uninit(PATH_MAX)
}

/// The template of entries whose `measure` rule names none, of
/// `boot_aggregate` and of violations found outside an evaluation, as an
/// index into [`TEMPLATES`]: `ima-sigv2` unless `arbor.template=` says
/// otherwise. Set once, at LSM init.
static DEFAULT_TEMPLATE: AtomicUsize = AtomicUsize::new(3);
const _: () = assert!(matches!(TEMPLATES[3], Template::ImaSigV2));

/// The default template.
pub(crate) fn default_template() -> Template {
    TEMPLATES
        .get(DEFAULT_TEMPLATE.load(Ordering::Relaxed))
        .copied()
        .unwrap_or(Template::ImaSigV2)
}

/// Sets the default template (`arbor.template=`); fails for a template a
/// policy could not name either.
pub(crate) fn set_default_template(template: Template) -> Result {
    let i = TEMPLATES
        .iter()
        .position(|&t| t == template)
        .ok_or(EINVAL)?;
    DEFAULT_TEMPLATE.store(i, Ordering::Relaxed);
    Ok(())
}

/// The hook's name in log lines (the policy's names are for audit records).
fn hook_name(func: Func) -> &'static str {
    match func {
        Func::BprmCheck => "exec",
        Func::MmapCheck => "mmap",
        Func::MprotectCheck => "mprotect",
        Func::FileCheck => "open",
    }
}

/// The request `file` makes at hook `func` with access `mask`, by the task
/// with real and effective uids `uids`.
fn request(file: &File, func: Func, mask: u32, uids: (u32, u32)) -> Request {
    let inode = file.inode();
    Request {
        func,
        mask,
        fsmagic: inode.fs_magic(),
        fsuuid: inode.fs_uuid(),
        uid: uids.0,
        euid: uids.1,
        fowner: inode.owner(),
    }
}

/// The policy's decision for `file` at hook `func` with access `mask`: the
/// one cached in `state` when it was made for the same policy, hook,
/// access and task uids, else evaluated (and cached). Decisions are cached
/// only under policies whose rules test nothing else that can change
/// about the file (see [`policy::generation`]): its filesystem's magic
/// never does. They are cached only on the file's own inode, not on a
/// stacked filesystem's data inode, which other mounts can reach.
#[inline]
fn decide(
    file: &File,
    func: Func,
    mask: u32,
    data_inode: &Inode,
    state: Option<&InodeState>,
) -> Decision {
    let uids = task::uids();
    let cache = state.filter(|_| core::ptr::eq(file.inode(), data_inode));
    let key = policy::generation().map(|generation| DecisionKey {
        generation,
        func,
        mask,
        uid: uids.0,
        euid: uids.1,
    });
    if let (Some(s), Some(key)) = (cache, &key) {
        if let Some(d) = s.cached_decision(key) {
            return d;
        }
    }
    decide_uncached(file, func, mask, uids, cache, key)
}

/// [`decide`] without a cached decision: evaluates the policy and caches
/// the decision under `key` in `cache`, if both are given. Out of line,
/// so that the cached case stays short.
#[inline(never)]
fn decide_uncached(
    file: &File,
    func: Func,
    mask: u32,
    uids: (u32, u32),
    cache: Option<&InodeState>,
    key: Option<DecisionKey>,
) -> Decision {
    let d = policy::decide(&request(file, func, mask, uids));
    if let (Some(s), Some(key)) = (cache, &key) {
        s.cache_decision(key, d);
    }
    d
}

/// The version of `inode`'s content and signature that `state` counts
/// (see [`state::version`]).
fn version(state: Option<&InodeState>, inode: &Inode) -> u64 {
    state::version(state.map_or(0, |s| s.version()), inode.is_verity())
}

/// Applies the policy to `file` at hook `func` with access `mask`: records
/// violations, measures, appraises and audits as the policy says, each at
/// most once per file version, and decides whether the access may go on.
/// The decisions are [`decision`]'s; this function gathers the facts they
/// need and carries the decisions out.
///
/// A file the policy appraises and that is untrusted is refused with
/// `EACCES` in enforcing mode and allowed in permissive mode; either way
/// one log line (rate-limited) names the file, the hook, the reason and the
/// mode, and an audit record follows. A fatal signal during hashing ends
/// the caller before the file can be used (`EINTR`).
///
/// Code the policy appraises must not change under the verdict: an exec or
/// executable mapping of a file that is open for writing is refused, and
/// for the rest of the evaluation writers are denied (`ETXTBSY`) as exec
/// denies them for the program it runs. Once the verdict is "trusted",
/// [`guard_trusted`] refuses new writers, so no writer can slip in between.
#[inline]
pub(crate) fn check(arbor: &Arbor, file: &File, func: Func, mask: u32) -> Result {
    // As IMA: only regular files have content to measure.
    if !file.inode().is_regular() {
        return Ok(());
    }
    let inode = file.data_inode();
    let state = inode_state(inode);
    let decided = decide(file, func, mask, inode, state);
    let is_writer = file.is_writer();
    // Nothing to do, and nothing a reader can be in violation of: the
    // common case of an open the policy is silent about, decided without
    // looking further.
    if !decided.measure && !decided.appraise && !decided.audit && !is_writer {
        return Ok(());
    }
    // A reader the policy only measures, no writer, local content, this
    // version measured: as `plan` would, allowed at once (see
    // `settled_read`, which asks the same of a cached decision).
    if let Some(s) = state {
        if decision::measured_read(decided, is_writer)
            && !file.inode().is_open_for_write()
            && s.measured_settled(version(state, inode))
        {
            return Ok(());
        }
    }
    evaluate_use(arbor, file, func, mask, inode, decided)
}

/// Whether the decision cached on `file`'s inode settles a reader's use of
/// it at hook `func` with access `mask`, the steady state of a file read
/// again and again: the policy's decision for this task is to do nothing,
/// or only to measure, and the current version was measured, no file has
/// the inode open for writing and its content cannot change unseen. Then
/// [`check`] would allow the use without looking further; callers ask
/// this first, and call [`check`] when it is `false`. A few loads and
/// comparisons: the decision word is not decoded.
///
/// Asks neither for arbor's initialisation nor for the file's data inode:
/// only [`check`] caches decisions, after both, and only for a regular
/// file that is its own data inode (a property of its filesystem: no
/// stacking filesystem's inode is).
#[inline(always)]
pub(crate) fn settled_read(file: &File, func: Func, mask: u32) -> bool {
    let inode = file.inode();
    let Some(s) = inode_state(inode) else {
        return false;
    };
    let Some(generation) = policy::generation() else {
        return false;
    };
    let (uid, euid) = task::uids();
    let key = DecisionKey {
        generation,
        func,
        mask,
        uid,
        euid,
    };
    s.settles_read(&key, |s| {
        !inode.is_open_for_write() && s.measured_settled(version(Some(s), inode))
    })
}

/// The rest of [`check`], for a use of `file` (whose data inode is
/// `inode`) that the policy's decision `decided` alone does not settle:
/// gathers the facts, plans, evaluates and concludes. Out of line, so that
/// the cases [`check`] settles at once stay a short function.
#[inline(never)]
fn evaluate_use(
    arbor: &Arbor,
    file: &File,
    func: Func,
    mask: u32,
    inode: &Inode,
    decided: Decision,
) -> Result {
    let state = inode_state(inode);
    let is_writer = file.is_writer();
    let (writers_denied, refusal) = match decision::guard(decided.appraise, func, mask) {
        Guard::None => (None, None),
        Guard::Refuse => (None, Some(Reason::WritableExecutable)),
        Guard::DenyWriters => match inode.deny_writers() {
            Ok(guard) => (Some(guard), None),
            Err(_) => (None, Some(Reason::OpenForWrite)),
        },
    };
    // Only what `decision::violation` looks at is asked for: readers for a
    // writer, writers for a measured reader.
    let openers = state.map(|s| Openers {
        is_writer,
        has_readers: is_writer && inode.has_readers() && s.ever_measured(),
        open_for_write: !is_writer && decided.measure && file.inode().is_open_for_write(),
    });
    let violation = decision::violation(func, decided.measure, openers, refusal);
    // On FUSE and network filesystems the content can change with no
    // local write. Where the server has a change attribute (NFS), it is
    // asked for now, past any attribute cache: a new value starts a new
    // version. Without one, no verdict is reused.
    let remote = inode.content_changes_unseen();
    let cookie = match state {
        Some(s) if remote && (decided.measure || decided.appraise || decided.audit) => {
            let cookie = file.change_cookie();
            match cookie {
                Some(c) => s.observe_change_cookie(c),
                None => s.forget_change_cookie(),
            }
            cookie
        }
        _ => None,
    };
    let version = version(state, inode);
    // Before any list is looked up (see `digest_lists::generation`).
    let lists = digest_lists::generation();
    // What was done for this version, as far as the decision asks.
    // A verdict reached while the file's pages were not to be checked (in
    // permissive mode) is not reused once they are.
    let reusable = !gate::applies(inode, decided.check_pages_always) || inode.reads_checked();
    let done = match state {
        Some(s) => Done {
            verdict: if decided.appraise && reusable {
                s.verdict(version, lists, decided.appraise_by)
            } else {
                None
            },
            measured: decided.measure
                && (s.measured(version)
                    || (digest_lists::predictable_pcr() && s.covered(version, lists))),
            audited: decided.audit && s.audited(version),
        },
        None => Done::default(),
    };
    let facts = Facts {
        decision: decided,
        enforcing: mode::enforcing(),
        refusal,
        violation,
        done,
        unseen_changes: remote && cookie.is_none(),
    };
    let (violation, report, work) = match decision::plan(&facts) {
        Plan::Allow => return Ok(()),
        Plan::Refuse(reason) => {
            let mut pathbuf = path_buffer()?;
            return untrusted(func, file.path(&mut pathbuf), Some(reason));
        }
        Plan::Evaluate {
            violation,
            report,
            work,
        } => (violation, report, work),
    };
    let template = decided.template.unwrap_or_else(default_template);
    let mut pathbuf = path_buffer()?;
    let path = file.path(&mut pathbuf);
    if let Some(v) = violation {
        record_violation(arbor, func, path, v, template)?;
    }
    if let Some(reason) = report {
        // Permissive (enforcing refused above): logged, then evaluated.
        untrusted(func, path, Some(reason))?;
    }
    let appraisal = if work.any() {
        let target = Target {
            file,
            path,
            func,
            state,
            version,
            lists,
            by: decided.appraise_by,
            unseen_changes: facts.unseen_changes,
            cookie,
            template,
            check_pages_always: decided.check_pages_always,
            decided: Work {
                measure: decided.measure,
                appraise: decided.appraise,
                audit: decided.audit,
            },
        };
        Some(evaluate(arbor, &target, work)?)
    } else {
        None
    };
    drop(writers_denied);
    // A version that changed on the server while it was read was evaluated
    // whole (appraised too, if the policy appraises it): the verdict
    // reused for the version planned for no longer applies.
    let verdict = match &appraisal {
        Some(e) if e.moved => None,
        _ => decision::reusable_verdict(&facts),
    };
    let appraisal = appraisal.map(|e| e.outcome);
    match decision::conclude(decided.appraise, mode::enforcing(), verdict, appraisal) {
        Conclusion::Allow => Ok(()),
        Conclusion::Untrusted(reason) => untrusted(func, path, reason),
    }
}

/// A file whose pages are checked and whose server reports a new version
/// since they were ([`gate::stale`]), being opened by `file`: the
/// new version is appraised now, by what could vouch for the old one, so
/// that its pages can be read (an exec or a loader reads the file before
/// any hook that appraises it); until a version is trusted, its pages are
/// refused. Nothing is measured, audited or refused here: the uses that
/// follow are, as the policy says, and reuse the verdict. Fails only for
/// `ENOMEM` and `EINTR`.
pub(crate) fn refresh_pages(arbor: &Arbor, file: &File) -> Result {
    let inode = file.data_inode();
    let Some((by, always)) = gate::stale(file) else {
        return Ok(());
    };
    let state = inode_state(inode);
    let cookie = file.change_cookie();
    if let Some(s) = state {
        match cookie {
            Some(c) => s.observe_change_cookie(c),
            None => s.forget_change_cookie(),
        }
    }
    let version = version(state, inode);
    // Before any list is looked up (see `digest_lists::generation`).
    let lists = digest_lists::generation();
    // A version found untrusted already is not read again at every open
    // (anyone who can open the file could make the client read it all).
    if state.is_some_and(|s| s.verdict(version, lists, by) == Some(false)) {
        return Ok(());
    }
    let work = Work {
        measure: false,
        appraise: true,
        audit: false,
    };
    let mut pathbuf = path_buffer()?;
    let target = Target {
        file,
        path: file.path(&mut pathbuf),
        func: Func::FileCheck,
        state,
        version,
        lists,
        by,
        unseen_changes: cookie.is_none(),
        cookie,
        template: default_template(),
        check_pages_always: always,
        decided: work,
    };
    match evaluate(arbor, &target, work) {
        Err(e) if e == ENOMEM || e == EINTR => Err(e),
        _ => Ok(()),
    }
}

/// Refuses (enforcing) or reports (permissive) an exec of `file` whose
/// header, read by exec before any hook, is not the content trusted (see
/// [`gate::exec_header_trusted`]).
pub(crate) fn untrusted_exec_header(file: &File) -> Result {
    let mut pathbuf = path_buffer()?;
    untrusted(
        Func::BprmCheck,
        file.path(&mut pathbuf),
        Some(Reason::ChangedWhileRead),
    )
}

/// Reports a file that may not be used at hook `func` for `reason` (`None`:
/// as evaluated before): a rate-limited log line and an audit record.
/// Returns `EACCES` in enforcing mode (the mode is read once more, for the
/// decision), success in permissive mode.
fn untrusted(func: Func, path: &[u8], reason: Option<Reason>) -> Result {
    let enforcing = mode::enforcing();
    let action = mode::action(enforcing);
    let hook = hook_name(func);
    if log_ratelimit() {
        match reason {
            Some(r) => pr_info!("{}: {}: untrusted ({}): {}\n", hook, BStr(path), r, action),
            None => pr_info!(
                "{}: {}: untrusted (as evaluated before): {}\n",
                hook,
                BStr(path),
                action
            ),
        }
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

/// `mprotect()` adding `PROT_EXEC` to a mapping of `file`, with the access
/// `mask` of the new protection. The caller holds the mmap lock, so the
/// file is neither read nor hashed: when the policy appraises such a
/// change the mapping is refused (enforcing) or reported (permissive),
/// whatever the file's verdict, since its private pages may have been
/// written while they were not executable. IMA refuses these too.
pub(crate) fn mprotect(file: &File, mask: u32) -> Result {
    if !file.inode().is_regular() {
        return Ok(());
    }
    let decision = policy::decide(&request(file, Func::MprotectCheck, mask, task::uids()));
    if !decision.appraise {
        return Ok(());
    }
    let mut pathbuf = path_buffer()?;
    let path = file.path(&mut pathbuf);
    untrusted(Func::MprotectCheck, path, Some(Reason::MadeExecutable))
}

/// A change to a file that [`guard_trusted`] looks at.
pub(crate) enum Change<'a> {
    /// The file is being opened for writing.
    Open(&'a File),
    /// The size of the dentry's (regular, positive) inode is changing.
    Resize(&'a Dentry),
    /// `user.arbor` or `user.ima` of the dentry's (regular, positive)
    /// inode is being set or removed: a new version, which would lift
    /// the guard against writers, and which the file's owner can start
    /// with no privilege (unlike `security.*`).
    UserSignature(&'a Dentry),
}

impl Change<'_> {
    /// The change's name in log lines and audit records.
    fn name(&self) -> &'static str {
        match self {
            Self::Open(_) => Violation::OpenForWrite.name(),
            Self::Resize(_) => Violation::Truncate.name(),
            Self::UserSignature(_) => "user_signature",
        }
    }

    /// The violation the change is, when permissive mode allows it: none
    /// for a signature change, which changes no content.
    fn violation(&self) -> Option<Violation> {
        match self {
            Self::Open(_) => Some(Violation::OpenForWrite),
            Self::Resize(_) => Some(Violation::Truncate),
            Self::UserSignature(_) => None,
        }
    }
}

/// Refuses, in enforcing mode, a `change` to the content of a file while
/// arbor trusts its current version. In permissive mode the change is
/// allowed, and recorded as a violation.
pub(crate) fn guard_trusted(arbor: &Arbor, change: Change<'_>) -> Result {
    let (cause, violation) = (change.name(), change.violation());
    let inode = match change {
        Change::Open(f) => f.data_inode(),
        Change::Resize(d) | Change::UserSignature(d) => match d.inode() {
            Some(i) => i,
            None => return Ok(()),
        },
    };
    let state = inode_state(inode);
    if !state.is_some_and(|s| s.trusted(version(state, inode))) {
        return Ok(());
    }
    let mut pathbuf = path_buffer()?;
    let path = match change {
        Change::Open(f) => f.path(&mut pathbuf),
        Change::Resize(d) | Change::UserSignature(d) => d.path(&mut pathbuf),
    };
    let enforcing = mode::enforcing();
    if log_ratelimit() {
        pr_info!(
            "{}: {}: changing a trusted file: {}\n",
            cause,
            BStr(path),
            mode::action(enforcing)
        );
    }
    audit::emit(AuditOp::Untrusted {
        func: Func::FileCheck.name(),
        path,
        cause,
        enforcing,
    });
    match (enforcing, violation) {
        (true, _) => Err(EACCES),
        (false, Some(v)) => record_violation(arbor, Func::FileCheck, path, v, default_template()),
        (false, None) => Ok(()),
    }
}

/// Records a violation: an entry of `template` with an all-zero file
/// digest and an all-zero template digest, whose PCR extension is
/// all-0xFF in every bank (as IMA's, so that verifiers replay it), counted
/// in `violations`, and an audit record.
fn record_violation(
    arbor: &Arbor,
    func: Func,
    path: &[u8],
    cause: Violation,
    template: Template,
) -> Result {
    let zero = [0u8; SHA256_SIZE];
    let fields = EntryFields::new(
        template,
        ("sha256", &zero),
        (DigestType::Ima, "sha256", &zero),
        path,
        &[],
    );
    let entry = Entry::violation(PCR, template, fields.as_slice())?;
    arbor
        .list
        .append(entry, &arbor.hashes(), arbor.tpm.as_ref(), PCR, || true)?;
    arbor.list.count_violation();
    if log_ratelimit() {
        pr_warn!(
            "{}: {}: {} violation: the list cannot vouch for what is read\n",
            hook_name(func),
            BStr(path),
            cause.name()
        );
    }
    audit::emit(AuditOp::Violation {
        func: func.name(),
        path,
        cause: cause.name(),
    });
    Ok(())
}

/// Which extended attribute holds a file's signature, and its value.
enum SigXattr {
    /// `security.arbor`, or `user.arbor` when `user`.
    Arbor { value: KVVec<u8>, user: bool },
    /// `security.ima` (there is no `security.arbor`), or `user.ima` when
    /// `user` (there is no `user.arbor`).
    Ima { value: KVVec<u8>, user: bool },
    /// None of those read.
    Absent,
    /// Reading one failed (a `user.*` one when `user`).
    Unreadable { user: bool },
}

/// The attributes a signature is read from, in order: the first present
/// one that [`read_signature`] looks at is the file's signature.
const SIG_XATTRS: [(&CStr, bool, bool); 4] = [
    // (name, an IMA value, a user.* attribute)
    (c_str!("security.arbor"), false, false),
    (c_str!("security.ima"), true, false),
    (c_str!("user.arbor"), false, true),
    (c_str!("user.ima"), true, true),
];

/// Reads `file`'s signature: the first of [`SIG_XATTRS`] present among
/// those `by` lets vouch. The `user.*` ones are read only when `by` lets
/// a signature there vouch (`appraise_by=...user_signature`); the
/// `security.*` ones unless `by` lets only `user.*` ones vouch. (With
/// `appraise_by=list` they are still read: the signature is recorded, and
/// its header gives the Merkle tree's parameters.)
fn read_signature(file: &File, by: AppraiseBy) -> Result<SigXattr> {
    let security = by.signature() || !by.user_signature();
    for (name, ima, user) in SIG_XATTRS {
        if !(if user { by.user_signature() } else { security }) {
            continue;
        }
        match read_xattr(file, name) {
            Ok(Some(value)) if ima => return Ok(SigXattr::Ima { value, user }),
            Ok(Some(value)) => return Ok(SigXattr::Arbor { value, user }),
            Ok(None) => continue,
            Err(e) if e == ENOMEM => return Err(e),
            Err(_) => return Ok(SigXattr::Unreadable { user }),
        }
    }
    Ok(SigXattr::Absent)
}

/// The value of `file`'s extended attribute `name`, in an allocation of
/// its size (asked for first; a value replaced in between is asked for
/// again, once).
fn read_xattr(file: &File, name: &CStr) -> Result<Option<KVVec<u8>>> {
    for _ in 0..2 {
        let Some(len) = file.xattr(name, &mut [])? else {
            return Ok(None);
        };
        if len > xattr::XATTR_SIZE_MAX {
            return Err(E2BIG);
        }
        let mut value = KVVec::from_elem(0u8, len, GFP_KERNEL)?;
        match file.xattr(name, &mut value) {
            Ok(Some(n)) if n == len => return Ok(Some(value)),
            // Replaced in between by a shorter value (or a longer one:
            // `ERANGE`): ask again.
            Ok(Some(_)) => continue,
            Err(e) if e == ERANGE => continue,
            Ok(None) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
    Err(ERANGE)
}

/// The file version an evaluation looks at.
struct Target<'a> {
    file: &'a File,
    /// The file's path, as the list records it.
    path: &'a [u8],
    /// The hook.
    func: Func,
    /// arbor's state for the inode that holds the data.
    state: Option<&'a InodeState>,
    /// The version evaluated.
    version: u64,
    /// The digest-list generation read before the evaluation.
    lists: u32,
    /// What may vouch for the file (the deciding `appraise` rule's).
    by: AppraiseBy,
    /// The content can change without a local write, unseen.
    unseen_changes: bool,
    /// The change attribute the file's server reported for `version`, if
    /// it has one.
    cookie: Option<u64>,
    /// The template of the entry, if the file is measured.
    template: Template,
    /// The deciding `appraise` rule's `check_pages=always`.
    check_pages_always: bool,
    /// The work the policy's decision asks for on a version nothing was
    /// done for yet: what is done when the server reports a change while
    /// the file is read.
    decided: Work,
}

/// What [`evaluate`] found.
struct Evaluated {
    /// The appraisal's outcome (success when nothing was appraised).
    outcome: Result<(), Reason>,
    /// The server reported a change while the file was read: the version
    /// planned for is gone, and the one evaluated is a new one.
    moved: bool,
}

/// How many times a file whose server reports a change while it is read
/// is read again before it is refused.
const CHANGED_RETRIES: u32 = 2;

/// A file's signature attribute and its digests, read together.
struct Read {
    found: SigXattr,
    computed: Result<FileDigests>,
}

/// The signature `found` holds, the value an entry records for it, and
/// whether it came from a `user.*` attribute.
fn signature_of(found: &SigXattr) -> (Signature<'_>, &[u8], bool) {
    match found {
        SigXattr::Arbor { value, user } => (Signature::parse(Some(value)), &value[..], *user),
        SigXattr::Ima { value, user } => match Signature::parse_ima(value) {
            // Not an fs-verity signature (an IMA file hash, say): the
            // list records no signature for it.
            Signature::None => (Signature::None, &[][..], *user),
            sig => (sig, &value[..], *user),
        },
        SigXattr::Absent => (Signature::None, &[][..], false),
        SigXattr::Unreadable { user } => (Signature::Unreadable, &[][..], *user),
    }
}

/// Reads `file`'s signature (from where `by` says), if `signature` (else
/// it reads as absent), and computes the digests `wanted` asks for, the
/// fs-verity digest with the Merkle tree parameters the signature names
/// (see [`digest::file_digests`]). Fails only for `ENOMEM`; other errors
/// computing the digests are in [`Read::computed`].
fn read_version(
    arbor: &Arbor,
    file: &File,
    by: AppraiseBy,
    wanted: Wanted<'_>,
    signature: bool,
) -> Result<Read> {
    // security.arbor first; without it, an IMA sigv3 in security.ima;
    // then, where the rule allows, the same in user.*.
    let found = if signature {
        read_signature(file, by)?
    } else {
        SigXattr::Absent
    };
    let params = signature_of(&found).0.params();
    // The digest needs a file open for reading; a write-only open (a
    // FILE_CHECK rule may measure those) is read through a twin.
    let twin = if file.is_readable() {
        None
    } else {
        Some(file.reopen_read_only())
    };
    let tree_hash = arbor.hash(params.alg());
    let computed = match &twin {
        None => digest::file_digests(file, &params, tree_hash, wanted),
        Some(Ok(reader)) => digest::file_digests(reader, &params, tree_hash, wanted),
        Some(Err(e)) => Err(*e),
    };
    Ok(Read { found, computed })
}

/// Does the `work` on the current content of `target.file`: measures it
/// (appending one entry of `target.template`), appraises it, audits it.
/// Returns the appraisal outcome.
fn evaluate(arbor: &Arbor, target: &Target<'_>, mut work: Work) -> Result<Evaluated> {
    let &Target {
        file,
        path,
        func,
        state,
        version,
        lists,
        by,
        unseen_changes,
        cookie,
        template,
        check_pages_always,
        decided,
    } = target;
    let fsverity_sig = state.is_some_and(|s| s.fsverity_sig_valid());
    // Where the server has a change attribute, it must be the same after
    // the signature and content were read as before: else they may be of
    // different versions, and are read again as the next version.
    let (mut version, mut before, mut retries) = (version, cookie, CHANGED_RETRIES);
    let (Read { found, computed }, predictable, pages) = loop {
        // With predictable PCRs, a file an allow list holds is not
        // measured on its own: its list's entry covers it.
        let predictable = work.measure && digest_lists::predictable_pcr();
        // `ima-ng` and `ima-sig` record the plain SHA-256 of the content,
        // hashed in the same pass as the Merkle tree. The tree is built
        // unless that hash is all the work needs (measuring, with no
        // appraisal, audit record or list lookup, which go by the
        // fs-verity digest).
        let content = (work.measure && template.records_plain_hash()).then_some(&arbor.sha256);
        let tree = work.appraise || work.audit || predictable || content.is_none();
        // The signature is read for what it vouches, for the tree's
        // parameters and for the templates that record one: not for an
        // `ima-ng` entry alone.
        let signature = tree || template != Template::ImaNg;
        // A file trusted on a filesystem that cannot check its pages has
        // them checked as they are read (see `gate`): the leaves are kept.
        // So has one whose pages are checked already (its mark stays, in
        // permissive mode too): a new version needs its own leaves.
        let pages = work.appraise
            && (gate::applies(file.data_inode(), check_pages_always)
                || file.data_inode().reads_checked());
        let wanted = Wanted {
            tree,
            content,
            leaves: pages,
            around_cache: gate::read_around_cache(file.data_inode()),
        };
        let read = read_version(arbor, file, by, wanted, signature)?;
        let Some(b) = before else {
            break (read, predictable, pages);
        };
        let after = file.change_cookie();
        if after == Some(b) {
            break (read, predictable, pages);
        }
        // Changed, or the server did not answer: the next read is checked
        // against a fresh answer, if there is one.
        let next = after.or_else(|| file.change_cookie());
        if let Some(s) = state {
            match next {
                Some(c) => s.observe_change_cookie(c),
                None => s.forget_change_cookie(),
            }
        }
        if retries == 0 || next.is_none() {
            if log_ratelimit() {
                pr_warn!(
                    "{}: {}: changed on its server while read\n",
                    hook_name(func),
                    BStr(path)
                );
            }
            if work.measure {
                record_violation(arbor, func, path, Violation::NoDigest, template)?;
            }
            return Ok(Evaluated {
                outcome: Err(Reason::ChangedWhileRead),
                moved: true,
            });
        }
        retries -= 1;
        (version, before) = (self::version(state, file.data_inode()), next);
        // Nothing was done for the new version yet.
        work = decided;
    };
    let moved = retries != CHANGED_RETRIES;
    let (sig, value, user) = signature_of(&found);
    // The fs-verity digest is there whenever the work needs it (see
    // `file_digests`).
    let computed = computed.and_then(|d| match d.verity {
        None if work.appraise || work.audit || predictable => Err(EINVAL),
        _ => Ok(d),
    });
    let (verity, plain, outcome, listed) = match computed {
        Ok(FileDigests {
            verity,
            content,
            leaves,
        }) => {
            let listed = match &verity {
                Some(v) if work.appraise || predictable => {
                    digest_lists::lookup(v.alg, v.digest.as_bytes())
                }
                _ => Found::Nowhere,
            };
            let outcome = match &verity {
                Some(v) if work.appraise => {
                    let fsverity_signed = v.source == Source::FsVerity && fsverity_sig;
                    let own = Own {
                        sig: &sig,
                        user,
                        fsverity_signed,
                    };
                    appraise_digest(arbor, &own, v.alg, &v.digest, by, listed)
                }
                _ => Ok(()),
            };
            // A file whose pages were refused is untrusted while its inode
            // lives; one trusted where pages must be checked is trusted
            // only once they are.
            let outcome = match (outcome, state) {
                (Ok(()), Some(s)) if work.appraise && s.pages_refused() => {
                    Err(Reason::PagesRefused)
                }
                (Ok(()), _) if pages => gate::start(
                    file.data_inode(),
                    leaves,
                    gate::Trusted {
                        path,
                        cookie: before,
                        by,
                        always: check_pages_always,
                    },
                ),
                (outcome, _) => outcome,
            };
            (verity, content, outcome, listed)
        }
        Err(e) if e == EINTR || e == ENOMEM => return Err(e),
        Err(e) => {
            // Not a verdict and not a measurement: the version is left
            // unevaluated, so the next use tries again. The list says
            // that something was used that it cannot vouch for.
            if log_ratelimit() {
                pr_warn!(
                    "{}: {}: cannot compute the digest (error {})\n",
                    hook_name(func),
                    BStr(path),
                    e.to_errno()
                );
            }
            if work.measure {
                record_violation(arbor, func, path, Violation::NoDigest, template)?;
            }
            return Ok(Evaluated {
                outcome: Err(Reason::NoDigest),
                moved,
            });
        }
    };

    if work.appraise {
        if let Some(s) = state {
            s.set_verdict(version, lists, by, outcome.is_ok());
        }
    }
    if predictable && listed == Found::Allowed {
        if let Some(s) = state {
            s.set_covered(version, lists);
        }
    } else if work.measure {
        // `ima-sig` records `security.ima` when it holds a signature, as
        // IMA does; `ima-sigv2` the signature arbor appraised with.
        let reread;
        let extra: &[u8] = match template {
            Template::ImaSig => {
                let ima = match &found {
                    SigXattr::Ima { value, .. } => Some(&value[..]),
                    SigXattr::Arbor { user, .. } => {
                        let name = if *user {
                            c_str!("user.ima")
                        } else {
                            c_str!("security.ima")
                        };
                        reread = read_xattr(file, name).ok().flatten();
                        reread.as_deref()
                    }
                    SigXattr::Absent | SigXattr::Unreadable { .. } => None,
                };
                ima.filter(|v| imasig::is_signature(v)).unwrap_or_default()
            }
            _ => value,
        };
        let plain = plain.unwrap_or_default();
        let (alg, tree_digest) = verity
            .as_ref()
            .map_or(("", &[][..]), |v| (v.alg.name(), v.digest.as_bytes()));
        let fields = EntryFields::new(
            template,
            ("sha256", &plain),
            (DigestType::Verity, alg, tree_digest),
            path,
            extra,
        );
        // The digest the entry records.
        let recorded = if template.records_plain_hash() {
            &plain[..]
        } else {
            tree_digest
        };
        let entry = Entry::new(PCR, template, fields.as_slice(), &arbor.sha1)?;
        let changes_unseen = file.data_inode().content_changes_unseen();
        // Called under the list's lock, once the append can no longer
        // fail: the version is marked measured only with its entry in the
        // list, and only once when tasks race to measure it.
        arbor.list.append(
            entry,
            &arbor.hashes(),
            arbor.tpm.as_ref(),
            PCR,
            || match state {
                Some(s) => {
                    let append = decision::append_measurement(
                        s.measured(version),
                        unseen_changes,
                        s.measured_digest_is(recorded),
                    );
                    if append {
                        s.set_measured(version, recorded, changes_unseen);
                    }
                    append
                }
                None => true,
            },
        )?;
    }
    if let Some(v) = verity.as_ref().filter(|_| work.audit) {
        if state.map_or(true, |s| s.set_audited(version)) {
            audit::emit(AuditOp::Rule {
                func: func.name(),
                path,
                digest: (v.alg.name(), v.digest.as_bytes()),
            });
        }
    }
    Ok(Evaluated { outcome, moved })
}

/// What a file carries that may vouch for it.
struct Own<'a> {
    /// Its signature, as read.
    sig: &'a Signature<'a>,
    /// The signature was read from a `user.*` attribute.
    user: bool,
    /// fs-verity verified a built-in signature over its digest.
    fsverity_signed: bool,
}

/// Appraises a file by its digest `digest` (of algorithm `alg`), which
/// the digest lists say `listed`: refused when a revoke list holds it;
/// else trusted, as far as `by` lets them vouch, when its own signature
/// verifies (or fs-verity verified a built-in one over it), or when an
/// allow list holds it.
fn appraise_digest(
    arbor: &Arbor,
    own: &Own<'_>,
    alg: HashAlgorithm,
    digest: &Digest,
    by: AppraiseBy,
    listed: Found,
) -> Result<(), Reason> {
    if listed == Found::Revoked {
        return Err(Reason::Revoked);
    }
    if by.list() && listed == Found::Allowed {
        return Ok(());
    }
    // A signature in user.* was read only because `by` lets one vouch.
    let sig_may_vouch = if own.user {
        by.user_signature()
    } else {
        by.signature()
    };
    if !sig_may_vouch {
        return Err(if by.list() {
            Reason::NotListed
        } else {
            Reason::Unsigned
        });
    }
    // fs-verity's digest has fs-verity's algorithm, which need not be the
    // one the signature header names.
    appraise::check(own.sig, alg, digest, arbor.hash(alg)).or_else(|reason| {
        // fs-verity checked a built-in signature over the very digest it
        // holds and enforces at page-in.
        if own.fsverity_signed && by.signature() {
            Ok(())
        } else {
            Err(reason)
        }
    })
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
    let value = value.get(..len).ok_or(EINVAL)?;
    record_plain_digest(arbor, alg, value, b"boot_aggregate")
}

/// Appends an entry of the default template named `name` whose digest is
/// `value`, a plain hash of algorithm `alg` (digest type `ima`): what arbor
/// records about itself (`boot_aggregate`, digest-list loads and
/// removals), as opposed to files.
pub(crate) fn record_plain_digest(arbor: &Arbor, alg: &str, value: &[u8], name: &[u8]) -> Result {
    let template = default_template();
    let fields = EntryFields::new(
        template,
        (alg, value),
        (DigestType::Ima, alg, value),
        name,
        &[],
    );
    let entry = Entry::new(PCR, template, fields.as_slice(), &arbor.sha1)?;
    arbor
        .list
        .append(entry, &arbor.hashes(), arbor.tpm.as_ref(), PCR, || true)?;
    Ok(())
}

/// Displays a byte string with non-printable bytes escaped.
pub(crate) struct BStr<'a>(pub(crate) &'a [u8]);

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
