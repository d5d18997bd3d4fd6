// SPDX-License-Identifier: GPL-2.0
//! The policy in force: loading, publication and evaluation.
//!
//! The language, the parser and the evaluation order are in
//! [`crate::format::policy`]. Here a parsed policy is copied into its own
//! reference-counted allocation and published with RCU: a hook takes a
//! reference to the policy in force and evaluates it, never waiting for a
//! writer; a writer replaces the whole policy, and the old one is freed
//! when its last reader is done. Writers are serialised, so the check of
//! `require_signed_policy` and the replacement it guards are one step.

use crate::audit::{self, AuditOp};
use crate::format::policy::{self as lang, Decision, Options, Request, Rule};
use crate::format::template::Sink;
use crate::kapi::keys::{self, VerifyError};
use crate::kapi::rcu::Rcu;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::alloc::{flags::GFP_KERNEL, KVec};
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

/// Largest policy write accepted, signature included.
pub(crate) const MAX_POLICY_SIZE: usize = 1 << 20;

/// A parsed policy in its own allocation.
struct Loaded {
    rules: KVec<Rule>,
    options: Options,
}

/// The policy in force; null until [`init`] publishes the default.
static ACTIVE: Rcu<Loaded> = Rcu::new();

/// The generation of the policy in force, for decisions cached per inode
/// ([`crate::format::state::DecisionKey`]), in bits 1 to 31, and in bit 0
/// whether that policy's decisions may be cached: one word, so that no
/// reader pairs one policy's generation with another's. The generation
/// is bumped after each policy is published, so a decision cached for an
/// older policy is never reused (until it wraps, after 2^31 policies).
/// Nothing is cached under 0 (no policy yet); 2 or 3 is the default
/// policy's.
///
/// Decisions are cached per inode, keyed by the hook, the access and the
/// task's uids: not under a policy that tests what else can change under
/// a cached decision, `fsuuid` (ext4's `FS_IOC_SETFSUUID` changes it on a
/// mounted filesystem) or `fowner` (`chown`).
static GENERATION: AtomicU32 = AtomicU32::new(0);

/// Publishes `p` as the policy in force. Callers are serialised: the
/// default policy is published at boot, before any other, and the others
/// under the policy writers' lock.
fn publish(p: Arc<Loaded>) {
    let cacheable = !p
        .rules
        .iter()
        .any(|r| r.fsuuid.is_some() || r.fowner.is_some());
    ACTIVE.replace(p);
    let next = (GENERATION.load(Ordering::Relaxed) >> 1).wrapping_add(1) << 1;
    // After the policy: a reader that sees the new generation evaluates
    // the new policy (see `decide`).
    GENERATION.store(next | u32::from(cacheable), Ordering::Release);
}

/// The generation to cache decisions under (never 0), or `None` if they
/// may not be cached now. Read before the policy is evaluated: a decision
/// made while a new policy is published is cached under the older
/// generation, and so never reused.
#[inline]
pub(crate) fn generation() -> Option<u32> {
    let g = GENERATION.load(Ordering::Acquire);
    (g & 1 != 0).then_some(g)
}

/// Why [`build`] failed.
enum BuildError {
    Parse(lang::ParseError),
    NoMemory,
}

impl From<lang::ParseError> for BuildError {
    fn from(e: lang::ParseError) -> Self {
        Self::Parse(e)
    }
}

impl From<kernel::alloc::AllocError> for BuildError {
    fn from(_: kernel::alloc::AllocError) -> Self {
        Self::NoMemory
    }
}

/// Parses `text` into a new allocation.
fn build(text: &[u8]) -> Result<Arc<Loaded>, BuildError> {
    // `validate` counts the rules, so the storage is sized exactly.
    let summary = lang::validate(text)?;
    let mut rules = KVec::with_capacity(summary.rules, GFP_KERNEL)?;
    for _ in 0..summary.rules {
        rules.push(Rule::new(lang::Action::Measure), GFP_KERNEL)?;
    }
    let options = lang::parse(text, &mut rules)?.options();
    Ok(Arc::new(Loaded { rules, options }, GFP_KERNEL)?)
}

/// Publishes the default policy ([`lang::DEFAULT`]).
pub(crate) fn init() -> Result {
    let p = build(lang::DEFAULT.as_bytes()).map_err(|e| match e {
        BuildError::Parse(e) => {
            pr_err!("the built-in default policy does not parse: {}\n", e);
            EINVAL
        }
        BuildError::NoMemory => ENOMEM,
    })?;
    publish(p);
    Ok(())
}

/// The policy's decision for `req`; everything is no before [`init`].
pub(crate) fn decide(req: &Request) -> Decision {
    ACTIVE
        .get()
        .map_or_else(Decision::default, |p| lang::evaluate(&p.rules, req))
}

/// Writes the policy in force as canonical text (see [`lang::render`]).
/// The policy is held for the whole call, so the text is one policy's,
/// even if it is replaced meanwhile.
pub(crate) fn render<S: Sink>(sink: &mut S) -> Result<(), S::Error> {
    let Some(p) = ACTIVE.get() else {
        return Ok(());
    };
    match lang::Policy::new(&p.rules, p.options) {
        Some(policy) => lang::render(&policy, sink),
        None => Ok(()),
    }
}

/// Whether the policy in force requires later policies to be signed.
fn requires_signature() -> bool {
    ACTIVE
        .get()
        .is_some_and(|p| p.options.require_signed_policy)
}

/// The first byte of a DER PKCS#7 message (a SEQUENCE). No policy text
/// starts with it: `0` is not an action.
const DER_SEQUENCE: u8 = 0x30;

/// Replaces the policy in force with `input`: policy text, or a PKCS#7
/// message carrying policy text and signed by a key on the builtin trusted
/// keyring. All or nothing: on error the old policy stays in force. The
/// caller bounds `input` to [`MAX_POLICY_SIZE`] (the securityfs file
/// refuses longer writes unread, with [`refuse_too_big`]).
///
/// Errors: `EINVAL` for an empty write or a malformed policy, `EACCES` for
/// an unsigned policy when the policy in force requires a signature,
/// `EKEYREJECTED`, `ENOKEY` or `EBADMSG` for a signature that does not
/// verify, `ENOMEM`.
pub(crate) fn load(lock: &Mutex<()>, input: &[u8]) -> Result {
    let _writer = lock.lock();
    let signed = input.first() == Some(&DER_SEQUENCE);
    let refuse = |cause, reason: &[u8], e| reject(cause, signed, reason, e);
    if input.is_empty() {
        return Err(refuse("empty", b"an empty write is no policy", EINVAL));
    }
    let text = if signed {
        keys::verify_pkcs7_attached(input).map_err(|e| {
            let (cause, reason): (_, &[u8]) = match e {
                VerifyError::Rejected => ("bad_signature", b"the signature does not verify"),
                VerifyError::UnknownKey => (
                    "unknown_key",
                    b"the signer is not on the builtin trusted keyring",
                ),
                VerifyError::Other(_) => (
                    "malformed_signature",
                    b"the PKCS#7 message is malformed or unsupported",
                ),
            };
            refuse(cause, reason, e.to_error())
        })?
    } else {
        if requires_signature() {
            return Err(refuse(
                "unsigned",
                b"the policy in force requires a signed policy",
                EACCES,
            ));
        }
        if crate::mode::locked() {
            return Err(refuse(
                "unsigned",
                b"arbor is locked in enforcing mode: only signed policies are accepted",
                EACCES,
            ));
        }
        input
    };
    let new = build(text).map_err(|e| match e {
        BuildError::Parse(e) => {
            let mut msg = MsgBuf::new();
            let _ = core::fmt::write(&mut msg, format_args!("{}", e));
            refuse("parse_error", msg.as_bytes(), EINVAL)
        }
        BuildError::NoMemory => refuse("no_memory", b"out of memory", ENOMEM),
    })?;
    let rules = new.rules.len();
    let require = new.options.require_signed_policy;
    publish(new);
    pr_info!(
        "policy replaced: {} rules, {}{}\n",
        rules,
        if signed { "signed" } else { "unsigned" },
        if require {
            ", later policies must be signed"
        } else {
            ""
        }
    );
    audit::emit(AuditOp::PolicyLoaded { rules, signed });
    Ok(())
}

/// Logs and audits a rejected policy write; returns `e`.
fn reject(cause: &'static str, signed: bool, reason: &[u8], e: Error) -> Error {
    pr_err!(
        "policy rejected ({}): {}\n",
        cause,
        core::str::from_utf8(reason).unwrap_or("?")
    );
    audit::emit(AuditOp::PolicyRejected {
        cause,
        signed,
        reason,
    });
    e
}

/// Logs and audits a policy write refused for its size before it was
/// read; returns `EFBIG`.
pub(crate) fn refuse_too_big() -> Error {
    reject("too_big", false, b"the write is over 1 MiB", EFBIG)
}

/// A short message, formatted on the stack and cut at its capacity.
struct MsgBuf {
    buf: [u8; 160],
    len: usize,
}

impl MsgBuf {
    fn new() -> Self {
        Self {
            buf: [0; 160],
            len: 0,
        }
    }

    fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

impl core::fmt::Write for MsgBuf {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &b in s.as_bytes() {
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = b;
                self.len += 1;
            }
        }
        Ok(())
    }
}
