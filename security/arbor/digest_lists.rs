// SPDX-License-Identifier: GPL-2.0
//! The digest lists in force: loading, removal and lookup.
//!
//! The format and its checks are in [`crate::format::digest_list`]. A list
//! is loaded from a file the kernel reads itself, whole, so that what is
//! checked is what is kept: its signature is verified over the list's
//! bytes, then the list is parsed, measured and published. The set of
//! lists in force is one reference-counted allocation published with RCU:
//! a lookup takes a reference to the set and searches it, never waiting
//! for a load or a removal, which build a new set and replace the old one.
//! Loads and removals are serialised.
//!
//! Every load and removal bumps a generation that appraisal verdicts are
//! recorded under ([`crate::format::state::pack_verdict`]): a verdict
//! reached before a list change is not reused after it.

use crate::audit::{self, AuditOp};
use crate::format::digest_list::{self as fmt, Kind};
use crate::format::merkle::HashAlgorithm;
use crate::kapi::error::{ebadmsg, enodata};
use crate::kapi::fs::{self, FileContent};
use crate::kapi::keys::{self, VerifyError};
use crate::kapi::rcu::Rcu;
use crate::list::SHA256_SIZE;
use crate::measure::{record_plain_digest, BStr};
use crate::Arbor;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::alloc::{flags::GFP_KERNEL, KVec};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::Arc;

/// Largest signed list accepted: 4 Mi SHA-256 digests, or 2 Mi SHA-512,
/// and their signature.
pub(crate) const MAX_FILE_SIZE: usize = 128 << 20;

/// Most lists in force at once: a lookup searches each list of the
/// digest's algorithm.
pub(crate) const MAX_LISTS: usize = 64;

/// Longest name (the path a list was loaded from).
pub(crate) const MAX_NAME: usize = 4095;

/// Where an initramfs carries the lists loaded at boot.
pub(crate) const BOOT_DIR: &[u8] = b"/etc/arbor/digest-lists";

/// The prefix of the name of a load's entry in the measurement list.
const LOAD_PREFIX: &[u8] = b"arbor_digest_list:";
/// The prefix of the name of a removal's entry.
const REMOVE_PREFIX: &[u8] = b"arbor_digest_list_removed:";

/// One list in force.
///
/// # Invariants
///
/// `content` holds a signed list whose first `list_len` bytes are a list
/// that [`fmt::parse`] accepted, with digests of algorithm `alg`.
pub(crate) struct Loaded {
    /// The path it was loaded from.
    name: KVec<u8>,
    /// SHA-256 of the whole file, signature included, as measured.
    sha256: [u8; SHA256_SIZE],
    kind: Kind,
    alg: HashAlgorithm,
    count: u64,
    content: FileContent,
    list_len: usize,
}

impl Loaded {
    /// The path it was loaded from.
    pub(crate) fn name(&self) -> &[u8] {
        &self.name
    }

    /// Allow or revoke.
    pub(crate) fn kind(&self) -> Kind {
        self.kind
    }

    /// The number of digests.
    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    /// The digests' algorithm.
    pub(crate) fn alg(&self) -> HashAlgorithm {
        self.alg
    }

    /// SHA-256 of the signed list, as measured.
    pub(crate) fn sha256(&self) -> &[u8; SHA256_SIZE] {
        &self.sha256
    }

    /// The list: header and digests, without the signature.
    fn list_bytes(&self) -> &[u8] {
        self.content
            .as_bytes()
            .get(..self.list_len)
            .unwrap_or_default()
    }

    /// The digests, in increasing order.
    fn digests(&self) -> &[u8] {
        self.content
            .as_bytes()
            .get(fmt::HEADER_SIZE..self.list_len)
            .unwrap_or_default()
    }
}

/// The lists in force, in the order they were loaded.
struct Set {
    lists: KVec<Arc<Loaded>>,
}

/// The set in force; null until the first load.
static ACTIVE: Rcu<Set> = Rcu::new();

/// Bumped after every load and removal is published.
static GENERATION: AtomicU32 = AtomicU32::new(0);

/// Whether a file found in an allow list gets no measurement entry of its
/// own (`CONFIG_SECURITY_ARBOR_PREDICTABLE_PCR`, `arbor.predictable_pcr=`).
/// Set at LSM init only.
static PREDICTABLE_PCR: AtomicBool = AtomicBool::new(cfg!(CONFIG_SECURITY_ARBOR_PREDICTABLE_PCR));

/// Whether files found in an allow list are left out of the list.
pub(crate) fn predictable_pcr() -> bool {
    PREDICTABLE_PCR.load(Ordering::Relaxed)
}

/// Sets [`predictable_pcr`] (`arbor.predictable_pcr=`).
pub(crate) fn set_predictable_pcr(on: bool) {
    PREDICTABLE_PCR.store(on, Ordering::Relaxed);
}

/// The generation to record a verdict under. Read before the lists are
/// looked up: a verdict reached while a list changes is recorded under
/// the older generation, and so never reused.
pub(crate) fn generation() -> u32 {
    GENERATION.load(Ordering::Acquire)
}

/// What the lists in force say about a digest.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    /// In no list.
    Nowhere,
    /// In an allow list and in no revoke list.
    Allowed,
    /// In a revoke list (whatever else says).
    Revoked,
}

/// Looks `digest`, an fs-verity digest of algorithm `alg`, up in every
/// list in force. An fs-verity digest covers the Merkle tree's block size
/// and salt, so a digest can only be found in lists built with the
/// parameters it was computed with.
pub(crate) fn lookup(alg: HashAlgorithm, digest: &[u8]) -> Found {
    let Some(set) = ACTIVE.get() else {
        return Found::Nowhere;
    };
    let mut found = Found::Nowhere;
    for l in set.lists.iter().filter(|l| l.alg == alg) {
        if fmt::contains(l.digests(), alg.digest_size(), digest) {
            match l.kind {
                Kind::Revoke => return Found::Revoked,
                Kind::Allow => found = Found::Allowed,
            }
        }
    }
    found
}

/// A refused load or removal: the error returned, and the cause named in
/// the log line and the audit record.
struct Refusal {
    error: Error,
    cause: &'static str,
}

fn refusal(error: Error, cause: &'static str) -> Refusal {
    Refusal { error, cause }
}

/// The path written to `digest_list_load` or `digest_list_remove`: one
/// absolute path, optionally newline-terminated.
fn parse_name(input: &[u8]) -> Result<&[u8], Refusal> {
    let name = input.strip_suffix(b"\n").unwrap_or(input);
    let ok = name.first() == Some(&b'/')
        && name.len() <= MAX_NAME
        && !name.iter().any(|&b| b == 0 || b == b'\n');
    if ok {
        Ok(name)
    } else {
        Err(refusal(EINVAL, "bad_path"))
    }
}

/// The error and cause for a list that does not parse.
fn malformed(e: fmt::Error) -> Refusal {
    let cause = match e {
        fmt::Error::Unsigned => return refusal(enodata(), "unsigned"),
        fmt::Error::Truncated => "truncated",
        fmt::Error::TrailingBytes => "trailing_bytes",
        fmt::Error::Order(_) => "unsorted",
        fmt::Error::Empty => "empty",
        _ => "malformed",
    };
    refusal(ebadmsg(), cause)
}

/// Loads the signed list at the path written to `digest_list_load`.
/// Refused whole, with nothing changed, when anything is wrong; on success
/// the load is measured, then the list takes effect.
pub(crate) fn load(arbor: &Arbor, input: &[u8]) -> Result {
    let _writer = arbor.lists_lock.lock();
    let name = parse_name(input).map_err(|r| refused(Op::Load, input, None, r))?;
    let mut sha256 = [0u8; SHA256_SIZE];
    let result = try_load(arbor, name, &mut sha256);
    result.map_err(|r| {
        let digest = (sha256 != [0u8; SHA256_SIZE]).then_some(&sha256);
        refused(Op::Load, name, digest, r)
    })
}

fn try_load(arbor: &Arbor, name: &[u8], sha256: &mut [u8; SHA256_SIZE]) -> Result<(), Refusal> {
    let nomem = |_| refusal(ENOMEM, "no_memory");
    let mut cpath = KVec::with_capacity(name.len() + 1, GFP_KERNEL).map_err(nomem)?;
    cpath.extend_from_slice(name, GFP_KERNEL).map_err(nomem)?;
    cpath.push(0, GFP_KERNEL).map_err(nomem)?;
    let cpath = CStr::from_bytes_with_nul(&cpath).map_err(|_| refusal(EINVAL, "bad_path"))?;
    let content = FileContent::read(cpath, MAX_FILE_SIZE).map_err(|e| {
        let cause = if e == EFBIG { "too_big" } else { "unreadable" };
        refusal(e, cause)
    })?;
    let bytes = content.as_bytes();
    arbor
        .sha256
        .digest(bytes, &mut sha256[..])
        .map_err(|e| refusal(e, "no_digest"))?;
    // The signature is checked before the list is parsed beyond its
    // header: the parser sees only what a trusted key vouched for.
    let (list, signature) = fmt::split_signed(bytes).map_err(malformed)?;
    keys::verify_pkcs7(list, signature).map_err(|e| match e {
        VerifyError::Rejected => refusal(e.to_error(), "bad_signature"),
        VerifyError::UnknownKey => refusal(e.to_error(), "unknown_key"),
        VerifyError::Other(e) => refusal(e, "malformed_signature"),
    })?;
    let parsed = fmt::parse(list).map_err(malformed)?;
    let (kind, alg, count, list_len) = (
        parsed.header.kind,
        parsed.header.params.alg(),
        parsed.header.count,
        list.len(),
    );
    let old = ACTIVE.get();
    let old_lists = old.as_ref().map_or(&[][..], |s| &s.lists[..]);
    // The same path, or the same digests (however signed).
    if old_lists
        .iter()
        .any(|l| &l.name[..] == name || l.list_bytes() == list)
    {
        return Err(refusal(EEXIST, "duplicate"));
    }
    if old_lists.len() >= MAX_LISTS {
        return Err(refusal(ENOSPC, "too_many_lists"));
    }
    let mut own_name = KVec::with_capacity(name.len(), GFP_KERNEL).map_err(nomem)?;
    own_name
        .extend_from_slice(name, GFP_KERNEL)
        .map_err(nomem)?;
    // INVARIANT: `list` is the first `list_len` bytes of `content`, and
    // `fmt::parse` accepted it with digests of `alg`.
    let loaded = Arc::new(
        Loaded {
            name: own_name,
            sha256: *sha256,
            kind,
            alg,
            count,
            content,
            list_len,
        },
        GFP_KERNEL,
    )
    .map_err(nomem)?;
    let mut lists = KVec::with_capacity(old_lists.len() + 1, GFP_KERNEL).map_err(nomem)?;
    for l in old_lists {
        lists.push(l.clone(), GFP_KERNEL).map_err(nomem)?;
    }
    lists.push(loaded, GFP_KERNEL).map_err(nomem)?;
    let set = Arc::new(Set { lists }, GFP_KERNEL).map_err(nomem)?;
    // Measured before it takes effect; a load that cannot be measured
    // does not take effect.
    measure(arbor, LOAD_PREFIX, name, sha256).map_err(|e| refusal(e, "not_measured"))?;
    publish(set);
    pr_info!(
        "digest list {} loaded: {} list, {} digests\n",
        BStr(name),
        kind.name(),
        count
    );
    audit::emit(AuditOp::DigestList {
        name,
        sha256: Some(&sha256[..]),
        cause: "loaded",
        kind: Some(kind.name()),
        count: Some(count),
        res: true,
    });
    Ok(())
}

/// Removes the list loaded from the path written to `digest_list_remove`.
/// The removal is measured, then takes effect.
pub(crate) fn remove(arbor: &Arbor, input: &[u8]) -> Result {
    let _writer = arbor.lists_lock.lock();
    let name = parse_name(input).map_err(|r| refused(Op::Remove, input, None, r))?;
    let old = ACTIVE.get();
    let old_lists = old.as_ref().map_or(&[][..], |s| &s.lists[..]);
    let Some(gone) = old_lists.iter().find(|l| &l.name[..] == name) else {
        return Err(refused(
            Op::Remove,
            name,
            None,
            refusal(ENOENT, "not_loaded"),
        ));
    };
    let fail = |e: Error, cause| refused(Op::Remove, name, Some(&gone.sha256), refusal(e, cause));
    let mut lists =
        KVec::with_capacity(old_lists.len(), GFP_KERNEL).map_err(|_| fail(ENOMEM, "no_memory"))?;
    for l in old_lists.iter().filter(|l| &l.name[..] != name) {
        lists
            .push(l.clone(), GFP_KERNEL)
            .map_err(|_| fail(ENOMEM, "no_memory"))?;
    }
    let set = Arc::new(Set { lists }, GFP_KERNEL).map_err(|_| fail(ENOMEM, "no_memory"))?;
    measure(arbor, REMOVE_PREFIX, name, &gone.sha256).map_err(|e| fail(e, "not_measured"))?;
    publish(set);
    pr_info!("digest list {} removed\n", BStr(name));
    audit::emit(AuditOp::DigestList {
        name,
        sha256: Some(&gone.sha256[..]),
        cause: "removed",
        kind: Some(gone.kind.name()),
        count: Some(gone.count),
        res: true,
    });
    Ok(())
}

/// Publishes `set`, then bumps the generation: a task that sees the new
/// generation looks digests up in the new set.
fn publish(set: Arc<Set>) {
    ACTIVE.replace(set);
    GENERATION.fetch_add(1, Ordering::AcqRel);
}

/// Appends the entry of a load or removal: the SHA-256 of the signed list
/// as the file digest, `prefix` and the path as the name, in the default
/// template.
fn measure(arbor: &Arbor, prefix: &[u8], name: &[u8], sha256: &[u8; SHA256_SIZE]) -> Result {
    let mut entry_name = KVec::with_capacity(prefix.len() + name.len(), GFP_KERNEL)?;
    entry_name.extend_from_slice(prefix, GFP_KERNEL)?;
    entry_name.extend_from_slice(name, GFP_KERNEL)?;
    record_plain_digest(arbor, "sha256", sha256, &entry_name)
}

/// A load or a removal, for messages.
#[derive(Clone, Copy)]
enum Op {
    Load,
    Remove,
}

/// Reports a refused load or removal (log line and audit record) and
/// returns its error. `name` is the path, or what was written in its
/// place.
fn refused(op: Op, name: &[u8], sha256: Option<&[u8; SHA256_SIZE]>, r: Refusal) -> Error {
    let what = match op {
        Op::Load => "digest list",
        Op::Remove => "removal of digest list",
    };
    pr_info!(
        "{} {} refused: {} (error {})\n",
        what,
        BStr(name),
        r.cause,
        r.error.to_errno()
    );
    audit::emit(AuditOp::DigestList {
        name,
        sha256: sha256.map(|d| &d[..]),
        cause: r.cause,
        kind: None,
        count: None,
        res: false,
    });
    r.error
}

/// The `index`th list in force, in load order.
pub(crate) fn nth(index: usize) -> Option<Arc<Loaded>> {
    ACTIVE.get()?.lists.get(index).cloned()
}

/// Loads the lists in the initramfs's [`BOOT_DIR`], once the initramfs is
/// unpacked, in byte order of their names: called before the first
/// process runs, so that a system can boot in enforcing mode with an
/// initramfs whose files carry no signatures. A list that is refused is
/// logged and audited, and the others are loaded; more lists than can be
/// loaded at once, none.
pub(crate) fn load_boot_lists(arbor: &Arbor) {
    fs::wait_for_initramfs();
    let mut dir = KVec::new();
    if dir.extend_from_slice(BOOT_DIR, GFP_KERNEL).is_err() || dir.push(0, GFP_KERNEL).is_err() {
        pr_err!("cannot load the boot digest lists: out of memory\n");
        return;
    }
    let Ok(cdir) = CStr::from_bytes_with_nul(&dir) else {
        return;
    };
    let mut names = match fs::read_dir_names(cdir, MAX_LISTS) {
        Ok(names) => names,
        // No such directory: no lists to load.
        Err(e) if e == ENOENT => return,
        Err(e) => {
            pr_err!(
                "cannot load the boot digest lists from {} (error {}){}\n",
                BStr(BOOT_DIR),
                e.to_errno(),
                if e == E2BIG { ": too many lists" } else { "" }
            );
            return;
        }
    };
    names.sort_unstable_by(|a, b| a[..].cmp(&b[..]));
    for name in names.iter() {
        let mut path = KVec::new();
        let built = path.extend_from_slice(BOOT_DIR, GFP_KERNEL).is_ok()
            && path.push(b'/', GFP_KERNEL).is_ok()
            && path.extend_from_slice(name, GFP_KERNEL).is_ok();
        if !built {
            pr_err!("cannot load the boot digest lists: out of memory\n");
            return;
        }
        // Refusals are logged and audited by `load`.
        let _ = load(arbor, &path);
    }
}
