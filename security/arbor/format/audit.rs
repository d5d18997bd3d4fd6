// SPDX-License-Identifier: GPL-2.0
//! The text of arbor's audit records.
//!
//! A record is one line of `key=value` fields, always in the order of
//! [`Record`]'s fields, optional fields left out when absent:
//!
//! ```text
//! op=OP cause=CAUSE [func=FUNC] [mode=MODE] pid=N uid=N auid=N ses=N
//!     comm=TEXT [path=TEXT] [dev=TEXT] [ino=N] [offset=N]
//!     [digest=ALG:HEX] [rules=N] [signed=0|1]
//!     [index=N] [dropped=N] [list=KIND] [count=N] [reason=TEXT] res=0|1
//! ```
//!
//! `TEXT` values come from users (file names, task names, parser messages)
//! and are written as the audit subsystem writes untrusted strings: in
//! double quotes when every byte is printable ASCII other than `"` and
//! space, else as upper-case hex of the bytes. The other values are
//! keywords and numbers and never need quoting. The record type (the audit
//! `type=` number) depends on [`Op`].

use super::template::{put_hex_upper, Sink};

/// What happened; also decides the audit record type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// A file failed appraisal (refused, or allowed in permissive mode).
    Appraise,
    /// A measurement violation: the list cannot vouch for what was read.
    Violation,
    /// A policy write: accepted (`res=1`) or rejected (`res=0`).
    PolicyLoad,
    /// A file matched an `audit` rule.
    Audit,
    /// The mode was switched at run time.
    Mode,
    /// The measurement list's life cycle: a checkpoint or a trim.
    List,
    /// A digest list loaded, removed, or refused (`res=0`).
    DigestList,
}

impl Op {
    /// The `op=` keyword.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Appraise => "appraise",
            Self::Violation => "violation",
            Self::PolicyLoad => "policy_load",
            Self::Audit => "audit",
            Self::Mode => "mode",
            Self::List => "list",
            Self::DigestList => "digest_list",
        }
    }

    /// The audit record type, from the kernel's integrity range
    /// (`include/uapi/linux/audit.h`): `AUDIT_INTEGRITY_DATA` (1800) for
    /// appraisal failures, `AUDIT_INTEGRITY_PCR` (1804) for violations,
    /// `AUDIT_INTEGRITY_STATUS` (1802) for policy writes, mode switches,
    /// checkpoints, trims and digest lists, and `AUDIT_INTEGRITY_RULE`
    /// (1805) for `audit` rules, the types IMA uses for the same events.
    pub const fn record_type(self) -> u32 {
        match self {
            Self::Appraise => 1800,
            Self::Violation => 1804,
            Self::PolicyLoad | Self::Mode | Self::List | Self::DigestList => 1802,
            Self::Audit => 1805,
        }
    }
}

/// The task a record is about.
#[derive(Clone, Copy, Debug)]
pub struct Task<'a> {
    /// Process id.
    pub pid: i32,
    /// Real uid.
    pub uid: u32,
    /// Login uid (`audit_get_loginuid()`): who logged in, whatever the
    /// task became since; 4294967295 when unset.
    pub auid: u32,
    /// Audit session id (`audit_get_sessionid()`); 4294967295 when unset.
    pub ses: u32,
    /// Command name.
    pub comm: &'a [u8],
}

/// One audit record's fields.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    /// `op=`.
    pub op: Op,
    /// `cause=`: a keyword naming why (e.g. `bad_signature`, `ToMToU`).
    pub cause: &'a str,
    /// `func=`: the hook, as the policy names it.
    pub func: Option<&'a str>,
    /// `mode=`: `enforcing` or `permissive`.
    pub mode: Option<&'a str>,
    /// `pid=`, `uid=`, `auid=`, `ses=`, `comm=`.
    pub task: Task<'a>,
    /// `path=`: the file.
    pub path: Option<&'a [u8]>,
    /// `dev=`: the filesystem of a file known by its inode only (its
    /// `s_id`).
    pub dev: Option<&'a [u8]>,
    /// `ino=`: the inode number of a file known by its inode only.
    pub ino: Option<u64>,
    /// `offset=`: the byte offset in the file of what was refused.
    pub offset: Option<u64>,
    /// `digest=`: the file's digest, algorithm name and bytes.
    pub digest: Option<(&'a str, &'a [u8])>,
    /// `rules=`: the number of rules of a loaded policy.
    pub rules: Option<usize>,
    /// `signed=`: whether a policy write was signed.
    pub signed: Option<bool>,
    /// `index=`: the global index of a checkpoint in the list.
    pub index: Option<u64>,
    /// `dropped=`: the number of entries a trim dropped.
    pub dropped: Option<u64>,
    /// `list=`: a digest list's kind, `allow` or `revoke`.
    pub list: Option<&'a str>,
    /// `count=`: the number of digests in a digest list.
    pub count: Option<u64>,
    /// `reason=`: a human-readable explanation.
    pub reason: Option<&'a [u8]>,
    /// `res=`: 1 for success or allowed, 0 for failure or refused.
    pub res: bool,
}

impl<'a> Record<'a> {
    /// A record with only the mandatory fields.
    pub const fn new(op: Op, cause: &'a str, task: Task<'a>, res: bool) -> Self {
        Self {
            op,
            cause,
            func: None,
            mode: None,
            task,
            path: None,
            dev: None,
            ino: None,
            offset: None,
            digest: None,
            rules: None,
            signed: None,
            index: None,
            dropped: None,
            list: None,
            count: None,
            reason: None,
            res,
        }
    }
}

/// Whether `bytes` must be written as hex rather than quoted.
fn needs_hex(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .any(|&b| b == b'"' || !(0x21..=0x7e).contains(&b))
}

/// Writes `bytes` as the audit subsystem writes an untrusted string.
pub fn put_untrusted<S: Sink>(sink: &mut S, bytes: &[u8]) -> Result<(), S::Error> {
    if !needs_hex(bytes) {
        sink.put(b"\"")?;
        sink.put(bytes)?;
        return sink.put(b"\"");
    }
    put_hex_upper(sink, bytes)
}

/// Writes `v` in decimal, with a `-` when negative.
pub fn put_decimal<S: Sink>(sink: &mut S, v: i64) -> Result<(), S::Error> {
    if v < 0 {
        sink.put(b"-")?;
    }
    super::template::put_decimal(sink, v.unsigned_abs())
}

fn key<S: Sink>(sink: &mut S, name: &str) -> Result<(), S::Error> {
    sink.put(b" ")?;
    sink.put(name.as_bytes())?;
    sink.put(b"=")
}

/// Writes `r` as one line, without a newline.
pub fn render<S: Sink>(r: &Record<'_>, sink: &mut S) -> Result<(), S::Error> {
    sink.put(b"op=")?;
    sink.put(r.op.name().as_bytes())?;
    key(sink, "cause")?;
    sink.put(r.cause.as_bytes())?;
    if let Some(f) = r.func {
        key(sink, "func")?;
        sink.put(f.as_bytes())?;
    }
    if let Some(m) = r.mode {
        key(sink, "mode")?;
        sink.put(m.as_bytes())?;
    }
    key(sink, "pid")?;
    put_decimal(sink, i64::from(r.task.pid))?;
    key(sink, "uid")?;
    put_decimal(sink, i64::from(r.task.uid))?;
    key(sink, "auid")?;
    put_decimal(sink, i64::from(r.task.auid))?;
    key(sink, "ses")?;
    put_decimal(sink, i64::from(r.task.ses))?;
    key(sink, "comm")?;
    put_untrusted(sink, r.task.comm)?;
    if let Some(p) = r.path {
        key(sink, "path")?;
        put_untrusted(sink, p)?;
    }
    if let Some(d) = r.dev {
        key(sink, "dev")?;
        put_untrusted(sink, d)?;
    }
    if let Some(n) = r.ino {
        key(sink, "ino")?;
        super::template::put_decimal(sink, n)?;
    }
    if let Some(n) = r.offset {
        key(sink, "offset")?;
        super::template::put_decimal(sink, n)?;
    }
    if let Some((alg, d)) = r.digest {
        key(sink, "digest")?;
        sink.put(alg.as_bytes())?;
        sink.put(b":")?;
        super::template::put_hex(sink, d)?;
    }
    if let Some(n) = r.rules {
        key(sink, "rules")?;
        put_decimal(sink, i64::try_from(n).unwrap_or(i64::MAX))?;
    }
    if let Some(s) = r.signed {
        key(sink, "signed")?;
        sink.put(if s { b"1" } else { b"0" })?;
    }
    if let Some(n) = r.index {
        key(sink, "index")?;
        super::template::put_decimal(sink, n)?;
    }
    if let Some(n) = r.dropped {
        key(sink, "dropped")?;
        super::template::put_decimal(sink, n)?;
    }
    if let Some(k) = r.list {
        key(sink, "list")?;
        sink.put(k.as_bytes())?;
    }
    if let Some(n) = r.count {
        key(sink, "count")?;
        super::template::put_decimal(sink, n)?;
    }
    if let Some(reason) = r.reason {
        key(sink, "reason")?;
        put_untrusted(sink, reason)?;
    }
    key(sink, "res")?;
    sink.put(if r.res { b"1" } else { b"0" })
}
