// SPDX-License-Identifier: GPL-2.0
//! arbor's audit records: what is reported, with which fields.
//!
//! The record text is rendered by [`crate::format::audit`] (shared with the
//! host tests) and emitted by [`crate::kapi::audit`]: through the audit
//! subsystem when the kernel has one, else to the kernel log.

use crate::format::audit::{self as rec, Op, Record, Task};
use crate::format::template::Sink;
use crate::kapi::{self, task};
use crate::mode;
use kernel::alloc::{flags::GFP_KERNEL, KVec};
use kernel::prelude::*;

/// An event worth an audit record.
pub(crate) enum AuditOp<'a> {
    /// A file failed appraisal at hook `func`: refused when `enforcing`.
    Untrusted {
        func: &'a str,
        path: &'a [u8],
        cause: &'a str,
        enforcing: bool,
    },
    /// A measurement violation (`ToMToU` or `open_writers`).
    Violation {
        func: &'a str,
        path: &'a [u8],
        cause: &'a str,
    },
    /// A file matched an `audit` rule.
    Rule {
        func: &'a str,
        path: &'a [u8],
        digest: (&'a str, &'a [u8]),
    },
    /// A policy write was accepted.
    PolicyLoaded { rules: usize, signed: bool },
    /// The mode was switched through securityfs.
    ModeChanged { enforcing: bool },
    /// A switch to permissive mode was refused: arbor is locked.
    ModeRefused,
    /// arbor was locked in enforcing mode through securityfs.
    Locked,
    /// A checkpoint was appended at global index `index`.
    Checkpoint { index: u64 },
    /// A trim dropped `dropped` entries; the checkpoint at `index` is now
    /// the first held entry.
    Trimmed { index: u64, dropped: u64 },
    /// A trim to `index` was refused for `cause`.
    TrimRefused { index: Option<u64>, cause: &'a str },
    /// A digest list was loaded or removed (`res`), or a load or removal
    /// was refused for `cause`.
    DigestList {
        name: &'a [u8],
        sha256: Option<&'a [u8]>,
        cause: &'a str,
        kind: Option<&'a str>,
        count: Option<u64>,
        res: bool,
    },
    /// The readpage gate refused a page of the file with inode `ino` on
    /// filesystem `dev`, at byte `offset`, for `cause`; `path` is the
    /// file's path when it was appraised, if known.
    PageRefused {
        path: Option<&'a [u8]>,
        dev: &'a [u8],
        ino: u64,
        offset: u64,
        cause: &'a str,
    },
    /// A policy write was rejected.
    PolicyRejected {
        cause: &'a str,
        signed: bool,
        reason: &'a [u8],
    },
}

/// Collects a record's text.
struct Text(KVec<u8>);

impl Sink for Text {
    type Error = Error;

    fn put(&mut self, bytes: &[u8]) -> Result {
        self.0.extend_from_slice(bytes, GFP_KERNEL)?;
        Ok(())
    }
}

/// Emits the audit record for `op`. Out of memory loses the record, which
/// is logged.
pub(crate) fn emit(op: AuditOp<'_>) {
    let mut comm = [0u8; 16];
    let t = Task {
        pid: task::pid(),
        uid: task::uids().0,
        auid: task::login_uid(),
        ses: task::session_id(),
        comm: task::comm(&mut comm),
    };
    let r = match op {
        AuditOp::Untrusted {
            func,
            path,
            cause,
            enforcing,
        } => Record {
            func: Some(func),
            mode: Some(mode::name(enforcing)),
            path: Some(path),
            ..Record::new(Op::Appraise, cause, t, !enforcing)
        },
        AuditOp::Violation { func, path, cause } => Record {
            func: Some(func),
            path: Some(path),
            ..Record::new(Op::Violation, cause, t, true)
        },
        AuditOp::Rule { func, path, digest } => Record {
            func: Some(func),
            path: Some(path),
            digest: Some(digest),
            ..Record::new(Op::Audit, "matched", t, true)
        },
        AuditOp::PolicyLoaded { rules, signed } => Record {
            mode: Some(mode::name(mode::enforcing())),
            rules: Some(rules),
            signed: Some(signed),
            ..Record::new(Op::PolicyLoad, "replaced", t, true)
        },
        AuditOp::ModeChanged { enforcing } => Record {
            mode: Some(mode::name(enforcing)),
            ..Record::new(Op::Mode, mode::name(enforcing), t, true)
        },
        AuditOp::ModeRefused => Record {
            mode: Some(mode::name(true)),
            ..Record::new(Op::Mode, "locked", t, false)
        },
        AuditOp::Locked => Record {
            mode: Some(mode::name(true)),
            ..Record::new(Op::Mode, "lockdown", t, true)
        },
        AuditOp::Checkpoint { index } => Record {
            index: Some(index),
            ..Record::new(Op::List, "checkpoint", t, true)
        },
        AuditOp::Trimmed { index, dropped } => Record {
            index: Some(index),
            dropped: Some(dropped),
            ..Record::new(Op::List, "trim", t, true)
        },
        AuditOp::TrimRefused { index, cause } => Record {
            index,
            ..Record::new(Op::List, cause, t, false)
        },
        AuditOp::DigestList {
            name,
            sha256,
            cause,
            kind,
            count,
            res,
        } => Record {
            path: Some(name),
            digest: sha256.map(|d| ("sha256", d)),
            list: kind,
            count,
            ..Record::new(Op::DigestList, cause, t, res)
        },
        AuditOp::PageRefused {
            path,
            dev,
            ino,
            offset,
            cause,
        } => Record {
            // Refused whatever the mode: pages are checked in permissive
            // mode only where the policy asks, and then enforced.
            func: Some("read"),
            mode: Some(mode::name(mode::enforcing())),
            path,
            dev: Some(dev),
            ino: Some(ino),
            offset: Some(offset),
            ..Record::new(Op::Appraise, cause, t, false)
        },
        AuditOp::PolicyRejected {
            cause,
            signed,
            reason,
        } => Record {
            signed: Some(signed),
            reason: Some(reason),
            ..Record::new(Op::PolicyLoad, cause, t, false)
        },
    };
    let mut text = Text(KVec::new());
    match rec::render(&r, &mut text) {
        Ok(()) => kapi::audit::log(r.op.record_type(), &text.0),
        Err(e) => pr_err!(
            "audit record {} ({}) lost (error {})\n",
            r.op.name(),
            r.cause,
            e.to_errno()
        ),
    }
}
