// SPDX-License-Identifier: GPL-2.0
//! The measurement and appraisal policy: its text language, the parser,
//! the evaluation of a request against parsed rules, and the canonical
//! rendering that the policy file reads back.
//!
//! # Language
//!
//! A policy is text, one rule per line, in the style of IMA's policy:
//!
//! ```text
//! policy    = *(line "\n") [line]
//! line      = *blank [statement *blank] ["#" *any-byte]
//! statement = rule / option
//! rule      = action *(1*blank condition)
//! action    = "measure" / "dont_measure" / "appraise" / "dont_appraise" / "audit"
//! condition = "func=" func
//!           / "mask=" ["^"] access *("|" access)
//!           / "fsmagic=" ["0x" / "0X"] 1*HEXDIG
//!           / "fsuuid=" 8HEXDIG "-" 4HEXDIG "-" 4HEXDIG "-" 4HEXDIG "-" 12HEXDIG
//!           / ("uid" / "euid" / "fowner") ("=" / ">" / "<") 1*DIGIT
//!           / "template=" template          ; measure rules only
//!           / "appraise_by=" appraise-by    ; appraise rules only
//!           / "check_pages=" ("enforcing" / "always") ; appraise rules only
//! func      = "BPRM_CHECK" / "MMAP_CHECK" / "MPROTECT_CHECK" / "FILE_CHECK"
//!           / "FILE_MMAP" / "PATH_CHECK"       ; IMA's old names, read as
//!                                              ; MMAP_CHECK and FILE_CHECK
//! access    = "MAY_EXEC" / "MAY_WRITE" / "MAY_READ" / "MAY_APPEND"
//! template  = "ima-ng" / "ima-sig" / "ima-ngv2" / "ima-sigv2"
//! appraise-by = source *("|" source)  ; in this order, each at most once
//! source    = "signature" / "list" / "user_signature"
//! option    = "option" 1*(1*blank option-name)
//! option-name = "require_signed_policy"
//! blank     = " " / "\t" / "\r"
//! ```
//!
//! - Keywords and names are case-sensitive; hex digits may be of either
//!   case. Numbers must fit their field: `fsmagic` 64 bits, the ids 32 bits
//!   (`4294967295` is accepted, though it is the kernel's invalid id and no
//!   real file or task has it). Leading zeros are allowed.
//! - Everything from `#` to the end of the line is a comment. Empty lines,
//!   blank lines and comment lines are ignored, but every line counts for
//!   the line numbers of errors.
//! - A line is at most [`MAX_LINE_LEN`] bytes, not counting its `\n`
//!   (comments included). The parser works on bytes: a byte that is not
//!   ASCII is an error inside a statement and allowed in a comment.
//! - Conditions may come in any order. Each appears at most once in a rule;
//!   `uid=`, `uid>` and `uid<` are the same condition (and so for `euid`
//!   and `fowner`). A rule without conditions matches every request.
//! - A mask lists one or more distinct access names joined by `|`.
//! - `template=` is not a condition but an option of `measure` rules, as
//!   in IMA: the template of the entries the rule makes. It never affects
//!   which rule matches. A `measure` rule without it uses the kernel's
//!   default template (`arbor.template=`, else `ima-sigv2`).
//! - `appraise_by=` is likewise an option of `appraise` rules: what may
//!   vouch for the files the rule appraises. `signature`: a signature of
//!   the file's own in `security.arbor` or `security.ima` (an IMA sigv3),
//!   or an fs-verity built-in signature; `list`: a loaded allow list;
//!   `user_signature`: a signature of the file's own in `user.arbor` or
//!   `user.ima` (the same formats), for filesystems that carry no
//!   `security.*` attributes, such as NFS; any of them joined by `|` in
//!   that order. The default is `signature|list`: a `user.*` attribute
//!   vouches only where a rule says so. A loaded revoke list refuses a
//!   file whatever this says.
//! - `check_pages=` is an option of `appraise` rules too: when the pages
//!   of the files the rule trusts are checked as they are read, on
//!   filesystems that cannot check them themselves (FUSE). `enforcing`,
//!   the default: in enforcing mode only; `always`: in permissive mode
//!   too, where a page that differs is refused all the same.
//! - `option` lines may stand anywhere and name each option at most once in
//!   the whole policy. `require_signed_policy` asks that every later policy
//!   write be signed (PKCS#7 with a builtin trusted key); the parser only
//!   reports it in [`Options`], the kernel enforces it.
//! - A policy holds at most [`MAX_RULES`] rules. It may hold none; then
//!   nothing is measured, appraised or audited.
//!
//! A malformed policy is rejected whole: [`parse`] returns the first error,
//! with the 1-based line and column of the offending token.
//!
//! # Evaluation
//!
//! A [`Request`] describes one event: the hook ([`Func`]), the access mask,
//! the file's filesystem (magic and UUID), the task's uid and euid and the
//! file's owner. Each rule's conditions match as follows, and a rule matches
//! when all of its conditions do:
//!
//! - `func=F`: the request comes from hook `F`.
//! - `mask=A|B`: the request's access bits (`mask` restricted to
//!   [`ACCESS_BITS`]) are exactly `A|B`, as in IMA; `mask=^A|B`: at least
//!   one of `A`, `B` is among them.
//! - `fsmagic=M`, `fsuuid=U`: the file's superblock has that magic or UUID
//!   (a filesystem without a UUID has the all-zero one).
//! - `uid`, `euid`, `fowner` compare the task's real uid, its effective uid
//!   and the file's owner (numbers in the initial user namespace) with `=`,
//!   `>` or `<`.
//!
//! The actions form three independent kinds: measure (`measure`,
//! `dont_measure`), appraise (`appraise`, `dont_appraise`) and audit
//! (`audit`). For each kind, the first rule of that kind, in policy order,
//! that matches the request decides: `measure`, `appraise` and `audit` say
//! yes, `dont_measure` and `dont_appraise` say no. The `measure` rule that
//! decides also gives the template. (The kernel measures a file version
//! once: when different requests for it match rules with different
//! templates, the rule that matched its first use gives the template.) When no rule of a kind
//! matches, the answer for that kind is no. Rules of the other kinds do
//! not interfere: a `dont_measure` rule says nothing about appraisal.
//! Exclusions therefore come before the rules they carve out of.
//!
//! What the kernel puts in a request, per hook: `BPRM_CHECK` for every
//! `execve()` with mask `MAY_EXEC`; `MMAP_CHECK` for every file mapping,
//! with `MAY_EXEC`, `MAY_READ` and `MAY_WRITE` for `PROT_EXEC`,
//! `PROT_READ` and `PROT_WRITE`; `MPROTECT_CHECK` when `mprotect()` makes
//! a file mapping executable, with the new protection's bits likewise;
//! `FILE_CHECK` for an open through `open()`, with the `MAY_*` bits of the
//! open (none for a file the open creates). The default policy tests
//! mappings with `mask=^MAY_EXEC`, so it holds whichever other bits come
//! along. An `audit` decision makes the kernel emit one audit record per
//! file version (see [`super::audit`]).
//!
//! # Canonical text
//!
//! [`render`] writes a policy back as text: first one `option` line per
//! option set, then one line per rule in order, each the action followed
//! by its conditions in the order `func mask fsmagic fsuuid uid euid
//! fowner template appraise_by check_pages`, separated by single spaces,
//! `fsmagic` as `0x` and lower-case
//! hex without leading zeros, `fsuuid` in lower case, masks in bit order.
//! Comments are not kept. Parsing the rendered text gives the same policy.
//!
//! # Using it
//!
//! No allocation happens here: rules live in storage the caller provides.
//! [`parse`] takes the whole policy text at once (the kernel collects a
//! write before parsing it) and is all or nothing. The kernel can size the
//! storage exactly:
//!
//! ```text
//! let summary = policy::validate(text)?;       // count only, stores nothing
//! // allocate summary.rules entries, e.g. filled with Rule::new(Action::Measure)
//! let p = policy::parse(text, &mut storage)?;  // p.rules() borrows storage
//! // publish storage and p.options() with RCU; in a hook:
//! let d = policy::evaluate(&rules, &request);
//! ```
//!
//! [`DEFAULT`] is the policy in force until one is written.

use super::template::{put_decimal, put_hex, put_hex_number, Sink, Template};
use core::fmt;

/// Most rules a policy may hold.
pub const MAX_RULES: usize = 256;
/// Longest line, in bytes, not counting its terminating newline.
pub const MAX_LINE_LEN: usize = 1024;
/// Longest line [`render`] writes for a rule, newline included. It is below
/// [`MAX_LINE_LEN`], so every rendered rule parses again.
pub const MAX_RULE_TEXT: usize = 258;
const _: () = assert!(MAX_RULE_TEXT <= MAX_LINE_LEN);

/// The kernel's `MAY_EXEC`.
pub const MAY_EXEC: u32 = 0x1;
/// The kernel's `MAY_WRITE`.
pub const MAY_WRITE: u32 = 0x2;
/// The kernel's `MAY_READ`.
pub const MAY_READ: u32 = 0x4;
/// The kernel's `MAY_APPEND`.
pub const MAY_APPEND: u32 = 0x8;
/// The access bits a `mask=` condition looks at; other bits of a request's
/// mask are ignored.
pub const ACCESS_BITS: u32 = MAY_EXEC | MAY_WRITE | MAY_READ | MAY_APPEND;

/// The access names, in bit order (the order [`render`] writes them).
const ACCESS_NAMES: [(u32, &str); 4] = [
    (MAY_EXEC, "MAY_EXEC"),
    (MAY_WRITE, "MAY_WRITE"),
    (MAY_READ, "MAY_READ"),
    (MAY_APPEND, "MAY_APPEND"),
];

/// The policy in force until another is written: IMA's `tcb` policy
/// adapted to arbor. Every exec, executable mapping and `mprotect()` to
/// executable is measured and appraised, and every file that root (real or
/// effective uid 0) opens for reading is measured, except on pseudo
/// filesystems whose files are not code from storage (procfs, sysfs,
/// debugfs, tracefs, securityfs, selinuxfs, smackfs, cgroup and cgroup2,
/// nsfs, efivarfs, devpts, binfmt_misc, pstore, bpf). tmpfs and ramfs are
/// measured and appraised: files in an initramfs or on tmpfs are exactly
/// those that have no other integrity protection. The magic numbers are
/// those of `include/uapi/linux/magic.h`.
pub const DEFAULT: &str = "\
# arbor default policy
# Pseudo filesystems: neither measured nor appraised.
dont_measure fsmagic=0x9fa0        # procfs (PROC_SUPER_MAGIC)
dont_appraise fsmagic=0x9fa0
dont_measure fsmagic=0x62656572    # sysfs (SYSFS_MAGIC)
dont_appraise fsmagic=0x62656572
dont_measure fsmagic=0x64626720    # debugfs (DEBUGFS_MAGIC)
dont_appraise fsmagic=0x64626720
dont_measure fsmagic=0x74726163    # tracefs (TRACEFS_MAGIC)
dont_appraise fsmagic=0x74726163
dont_measure fsmagic=0x73636673    # securityfs (SECURITYFS_MAGIC)
dont_appraise fsmagic=0x73636673
dont_measure fsmagic=0xf97cff8c    # selinuxfs (SELINUX_MAGIC)
dont_appraise fsmagic=0xf97cff8c
dont_measure fsmagic=0x43415d53    # smackfs (SMACK_MAGIC)
dont_appraise fsmagic=0x43415d53
dont_measure fsmagic=0x27e0eb      # cgroup (CGROUP_SUPER_MAGIC)
dont_appraise fsmagic=0x27e0eb
dont_measure fsmagic=0x63677270    # cgroup2 (CGROUP2_SUPER_MAGIC)
dont_appraise fsmagic=0x63677270
dont_measure fsmagic=0x6e736673    # nsfs (NSFS_MAGIC)
dont_appraise fsmagic=0x6e736673
dont_measure fsmagic=0xde5e81e4    # efivarfs (EFIVARFS_MAGIC)
dont_appraise fsmagic=0xde5e81e4
dont_measure fsmagic=0x1cd1        # devpts (DEVPTS_SUPER_MAGIC)
dont_appraise fsmagic=0x1cd1
dont_measure fsmagic=0x42494e4d    # binfmt_misc (BINFMTFS_MAGIC)
dont_appraise fsmagic=0x42494e4d
dont_measure fsmagic=0x6165676c    # pstore (PSTOREFS_MAGIC)
dont_appraise fsmagic=0x6165676c
dont_measure fsmagic=0xcafe4a11    # bpf (BPF_FS_MAGIC)
dont_appraise fsmagic=0xcafe4a11
# Code: every exec, executable mapping and mprotect to executable.
measure func=BPRM_CHECK
appraise func=BPRM_CHECK
measure func=MMAP_CHECK mask=^MAY_EXEC
appraise func=MMAP_CHECK mask=^MAY_EXEC
measure func=MPROTECT_CHECK mask=^MAY_EXEC
appraise func=MPROTECT_CHECK mask=^MAY_EXEC
# Files root opens for reading (measured only).
measure func=FILE_CHECK mask=^MAY_READ uid=0
measure func=FILE_CHECK mask=^MAY_READ euid=0
";

/// What a rule asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// `measure`: record the file in the measurement list.
    Measure,
    /// `dont_measure`: do not record it.
    DontMeasure,
    /// `appraise`: require a trusted signature.
    Appraise,
    /// `dont_appraise`: do not require one.
    DontAppraise,
    /// `audit`: report the evaluation in the audit log.
    Audit,
}

/// The independent decisions that actions make; see the module
/// documentation for how rules of one kind are evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActionKind {
    /// Decided by `measure` and `dont_measure`.
    Measure,
    /// Decided by `appraise` and `dont_appraise`.
    Appraise,
    /// Decided by `audit`.
    Audit,
}

impl Action {
    /// All actions.
    pub const ALL: [Self; 5] = [
        Self::Measure,
        Self::DontMeasure,
        Self::Appraise,
        Self::DontAppraise,
        Self::Audit,
    ];

    /// The action's keyword.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Measure => "measure",
            Self::DontMeasure => "dont_measure",
            Self::Appraise => "appraise",
            Self::DontAppraise => "dont_appraise",
            Self::Audit => "audit",
        }
    }

    /// The action whose keyword is `name`, if any.
    pub fn from_name(name: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name().as_bytes() == name)
    }

    /// The decision the action takes part in.
    pub const fn kind(self) -> ActionKind {
        match self {
            Self::Measure | Self::DontMeasure => ActionKind::Measure,
            Self::Appraise | Self::DontAppraise => ActionKind::Appraise,
            Self::Audit => ActionKind::Audit,
        }
    }

    /// Whether a matching rule with this action answers yes for its kind.
    pub const fn is_positive(self) -> bool {
        matches!(self, Self::Measure | Self::Appraise | Self::Audit)
    }
}

/// The hook a request comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Func {
    /// `BPRM_CHECK`: `execve()` (`bprm_check_security`).
    BprmCheck,
    /// `MMAP_CHECK`: a file mapping (`mmap_file`).
    MmapCheck,
    /// `MPROTECT_CHECK`: a file mapping made executable (`file_mprotect`).
    MprotectCheck,
    /// `FILE_CHECK`: a file open (`file_post_open`).
    FileCheck,
}

impl Func {
    /// All hooks.
    pub const ALL: [Self; 4] = [
        Self::BprmCheck,
        Self::MmapCheck,
        Self::MprotectCheck,
        Self::FileCheck,
    ];

    /// The hook's name in the policy language.
    pub const fn name(self) -> &'static str {
        match self {
            Self::BprmCheck => "BPRM_CHECK",
            Self::MmapCheck => "MMAP_CHECK",
            Self::MprotectCheck => "MPROTECT_CHECK",
            Self::FileCheck => "FILE_CHECK",
        }
    }

    /// The hook named `name`, including IMA's old names `FILE_MMAP` and
    /// `PATH_CHECK`.
    pub fn from_name(name: &[u8]) -> Option<Self> {
        match name {
            b"FILE_MMAP" => Some(Self::MmapCheck),
            b"PATH_CHECK" => Some(Self::FileCheck),
            _ => Self::ALL.into_iter().find(|f| f.name().as_bytes() == name),
        }
    }
}

/// A non-empty set of access bits out of [`ACCESS_BITS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Access(u8);

impl Access {
    /// `MAY_EXEC` alone.
    pub const EXEC: Self = Self(MAY_EXEC as u8);
    /// `MAY_WRITE` alone.
    pub const WRITE: Self = Self(MAY_WRITE as u8);
    /// `MAY_READ` alone.
    pub const READ: Self = Self(MAY_READ as u8);
    /// `MAY_APPEND` alone.
    pub const APPEND: Self = Self(MAY_APPEND as u8);

    /// The set with these bits, if `bits` is non-zero and has no bit
    /// outside [`ACCESS_BITS`].
    pub const fn from_bits(bits: u32) -> Option<Self> {
        if bits == 0 || bits & !ACCESS_BITS != 0 {
            None
        } else {
            // Fits: at most the four low bits are set.
            Some(Self(bits as u8))
        }
    }

    /// The bits, as the kernel's `MAY_*` values.
    pub const fn bits(self) -> u32 {
        self.0 as u32
    }
}

/// A `mask=` condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mask {
    /// `mask=A|B`: the request's access bits are exactly these.
    Exact(Access),
    /// `mask=^A|B`: the request has at least one of these access bits.
    Any(Access),
}

impl Mask {
    /// Whether a request with access mask `mask` matches.
    pub const fn matches(self, mask: u32) -> bool {
        let have = mask & ACCESS_BITS;
        match self {
            Self::Exact(a) => have == a.bits(),
            Self::Any(a) => have & a.bits() != 0,
        }
    }
}

/// A `uid`, `euid` or `fowner` condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdMatch {
    /// `key=N`: the id is `N`.
    Equal(u32),
    /// `key>N`: the id is above `N`.
    Greater(u32),
    /// `key<N`: the id is below `N`.
    Less(u32),
}

impl IdMatch {
    /// Whether `id` matches.
    pub const fn matches(self, id: u32) -> bool {
        match self {
            Self::Equal(n) => id == n,
            Self::Greater(n) => id > n,
            Self::Less(n) => id < n,
        }
    }

    const fn operator(self) -> &'static [u8] {
        match self {
            Self::Equal(_) => b"=",
            Self::Greater(_) => b">",
            Self::Less(_) => b"<",
        }
    }

    const fn value(self) -> u32 {
        match self {
            Self::Equal(n) | Self::Greater(n) | Self::Less(n) => n,
        }
    }
}

/// The condition keys, for error reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Condition {
    /// `func`.
    Func,
    /// `mask`.
    Mask,
    /// `fsmagic`.
    Fsmagic,
    /// `fsuuid`.
    Fsuuid,
    /// `uid`.
    Uid,
    /// `euid`.
    Euid,
    /// `fowner`.
    Fowner,
    /// `template` (an option of `measure` rules, not a condition).
    Template,
    /// `appraise_by` (an option of `appraise` rules, not a condition).
    AppraiseBy,
    /// `check_pages` (an option of `appraise` rules, not a condition).
    CheckPages,
}

impl Condition {
    /// All condition keys, in the order [`render`] writes them.
    pub const ALL: [Self; 10] = [
        Self::Func,
        Self::Mask,
        Self::Fsmagic,
        Self::Fsuuid,
        Self::Uid,
        Self::Euid,
        Self::Fowner,
        Self::Template,
        Self::AppraiseBy,
        Self::CheckPages,
    ];

    /// The key as written in a rule.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Func => "func",
            Self::Mask => "mask",
            Self::Fsmagic => "fsmagic",
            Self::Fsuuid => "fsuuid",
            Self::Uid => "uid",
            Self::Euid => "euid",
            Self::Fowner => "fowner",
            Self::Template => "template",
            Self::AppraiseBy => "appraise_by",
            Self::CheckPages => "check_pages",
        }
    }

    /// The key named `name`, if any.
    pub fn from_name(name: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name().as_bytes() == name)
    }

    /// What a value of this key looks like, for error messages.
    const fn expected(self) -> &'static str {
        match self {
            Self::Func => "BPRM_CHECK, MMAP_CHECK, MPROTECT_CHECK or FILE_CHECK",
            Self::Mask => "[^]MAY_EXEC|MAY_WRITE|MAY_READ|MAY_APPEND, each at most once",
            Self::Fsmagic => "a hexadecimal number of at most 64 bits",
            Self::Fsuuid => "a UUID as 8-4-4-4-12 hexadecimal digits",
            Self::Uid | Self::Euid | Self::Fowner => "a decimal number of at most 32 bits",
            Self::Template => "ima-ng, ima-sig, ima-ngv2 or ima-sigv2",
            Self::AppraiseBy => {
                "signature, list and user_signature joined by |, in that order, each at most once"
            }
            Self::CheckPages => "enforcing or always",
        }
    }
}

/// One rule: an action and the conditions under which it applies. Every
/// value of this type is a valid rule that [`render`] writes and [`parse`]
/// reads back unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    /// What the rule asks for.
    pub action: Action,
    /// `func=`: the hook.
    pub func: Option<Func>,
    /// `mask=`: the access mask.
    pub mask: Option<Mask>,
    /// `fsmagic=`: the filesystem's superblock magic.
    pub fsmagic: Option<u64>,
    /// `fsuuid=`: the filesystem's UUID, in its 16 bytes.
    pub fsuuid: Option<[u8; 16]>,
    /// `uid`: the task's real uid.
    pub uid: Option<IdMatch>,
    /// `euid`: the task's effective uid.
    pub euid: Option<IdMatch>,
    /// `fowner`: the file owner's uid.
    pub fowner: Option<IdMatch>,
    /// `template=`: the template of the entries a `measure` rule makes
    /// (one of [`TEMPLATES`]; only `measure` rules have one).
    pub template: Option<Template>,
    /// `appraise_by=`: what may vouch for the files an `appraise` rule
    /// appraises (only `appraise` rules have one).
    pub appraise_by: Option<AppraiseBy>,
    /// `check_pages=`: whether the pages of the files an `appraise` rule
    /// trusts are checked as they are read in permissive mode too
    /// (`always`: `true`) or only in enforcing mode (`enforcing`: `false`,
    /// the default); only `appraise` rules have it.
    pub check_pages: Option<bool>,
}

/// What may vouch for a file that an `appraise` rule appraises: a
/// non-empty set of `signature` (a signature of the file's own in
/// `security.arbor` or `security.ima`, or fs-verity's built-in one),
/// `list` (a loaded allow list) and `user_signature` (a signature of the
/// file's own in `user.arbor` or `user.ima`, for filesystems that carry no
/// `security.*` attributes).
///
/// # Invariants
///
/// The set is non-empty: its bits (1 `signature`, 2 `list`, 4
/// `user_signature`) are a number from 1 to 7.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AppraiseBy(u8);

impl Default for AppraiseBy {
    fn default() -> Self {
        Self::SIGNATURE_OR_LIST
    }
}

impl AppraiseBy {
    /// `signature`: a signature of the file's own in `security.*` only.
    pub const SIGNATURE: Self = Self(1);
    /// `list`: a loaded allow list only.
    pub const LIST: Self = Self(2);
    /// `signature|list`, the default.
    pub const SIGNATURE_OR_LIST: Self = Self(3);
    /// `user_signature`: a signature of the file's own in `user.*` only.
    pub const USER_SIGNATURE: Self = Self(4);

    /// Every value, in the order of their codes (1 to 7).
    pub const ALL: [Self; 7] = [
        Self(1),
        Self(2),
        Self(3),
        Self(4),
        Self(5),
        Self(6),
        Self(7),
    ];

    /// The value as `appraise_by=` writes it: its names in the order
    /// `signature`, `list`, `user_signature`, joined by `|`.
    pub const fn name(self) -> &'static str {
        match self.0 {
            1 => "signature",
            2 => "list",
            3 => "signature|list",
            4 => "user_signature",
            5 => "signature|user_signature",
            6 => "list|user_signature",
            _ => "signature|list|user_signature",
        }
    }

    /// The value written `name`, if any (names in the order [`Self::name`]
    /// writes them, each at most once).
    pub fn from_name(name: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.name().as_bytes() == name)
    }

    /// The value's code, from 1 to 7 (never 0).
    pub const fn code(self) -> u64 {
        self.0 as u64
    }

    /// The value whose [`Self::code`] is `code`, if any.
    pub const fn from_code(code: u64) -> Option<Self> {
        if code >= 1 && code <= 7 {
            Some(Self(code as u8))
        } else {
            None
        }
    }

    /// Whether a signature of the file's own in `security.*` (or
    /// fs-verity's built-in one) may vouch for it.
    pub const fn signature(self) -> bool {
        self.0 & 1 != 0
    }

    /// Whether an allow list may vouch for it.
    pub const fn list(self) -> bool {
        self.0 & 2 != 0
    }

    /// Whether a signature of the file's own in `user.*` may vouch for it.
    pub const fn user_signature(self) -> bool {
        self.0 & 4 != 0
    }
}

/// The templates a `measure` rule (or `arbor.template=`) may ask for.
pub const TEMPLATES: [Template; 4] = [
    Template::ImaNg,
    Template::ImaSig,
    Template::ImaNgV2,
    Template::ImaSigV2,
];

/// The template of [`TEMPLATES`] named `name`, as `template=` and the
/// `arbor.template=` boot parameter give it.
pub fn measurement_template(name: &[u8]) -> Option<Template> {
    TEMPLATES.into_iter().find(|t| t.name().as_bytes() == name)
}

impl Rule {
    /// A rule with `action` and no conditions (it matches everything).
    pub const fn new(action: Action) -> Self {
        Self {
            action,
            func: None,
            mask: None,
            fsmagic: None,
            fsuuid: None,
            uid: None,
            euid: None,
            fowner: None,
            template: None,
            appraise_by: None,
            check_pages: None,
        }
    }

    /// Whether all of the rule's conditions match `req`.
    pub fn matches(&self, req: &Request) -> bool {
        holds(self.func, |f| f == req.func)
            && holds(self.mask, |m| m.matches(req.mask))
            && holds(self.fsmagic, |m| m == req.fsmagic)
            && holds(self.fsuuid, |u| u == req.fsuuid)
            && holds(self.uid, |c| c.matches(req.uid))
            && holds(self.euid, |c| c.matches(req.euid))
            && holds(self.fowner, |c| c.matches(req.fowner))
    }

    fn has(&self, key: Condition) -> bool {
        match key {
            Condition::Func => self.func.is_some(),
            Condition::Mask => self.mask.is_some(),
            Condition::Fsmagic => self.fsmagic.is_some(),
            Condition::Fsuuid => self.fsuuid.is_some(),
            Condition::Uid => self.uid.is_some(),
            Condition::Euid => self.euid.is_some(),
            Condition::Fowner => self.fowner.is_some(),
            Condition::Template => self.template.is_some(),
            Condition::AppraiseBy => self.appraise_by.is_some(),
            Condition::CheckPages => self.check_pages.is_some(),
        }
    }
}

/// Whether an optional condition holds: an absent one always does.
fn holds<T>(cond: Option<T>, test: impl FnOnce(T) -> bool) -> bool {
    match cond {
        None => true,
        Some(c) => test(c),
    }
}

impl fmt::Display for Rule {
    /// The rule's canonical line, without the newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        render_rule(self, &mut FmtSink(f))
    }
}

/// Options a policy sets with `option` lines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Options {
    /// `require_signed_policy`: every later policy write must carry a
    /// PKCS#7 signature by a builtin trusted key.
    pub require_signed_policy: bool,
}

/// A parsed policy: rules (in storage the caller owns) and options.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Policy<'a> {
    rules: &'a [Rule],
    options: Options,
}

impl<'a> Policy<'a> {
    /// A policy of `rules` and `options`, or `None` when there are more
    /// than [`MAX_RULES`] rules (the text of such a policy would not parse).
    pub const fn new(rules: &'a [Rule], options: Options) -> Option<Self> {
        if rules.len() > MAX_RULES {
            None
        } else {
            Some(Self { rules, options })
        }
    }

    /// The rules, in order.
    pub const fn rules(&self) -> &'a [Rule] {
        self.rules
    }

    /// The options.
    pub const fn options(&self) -> Options {
        self.options
    }

    /// The decision for `req`; see [`evaluate`].
    pub fn evaluate(&self, req: &Request) -> Decision {
        evaluate(self.rules, req)
    }
}

/// What [`validate`] learns about a policy text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Summary {
    /// The number of rules.
    pub rules: usize,
    /// The options set.
    pub options: Options,
}

/// One event to decide about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Request {
    /// The hook.
    pub func: Func,
    /// The access, as the kernel's `MAY_*` bits; bits outside
    /// [`ACCESS_BITS`] are ignored.
    pub mask: u32,
    /// The file's superblock magic (`s_magic`).
    pub fsmagic: u64,
    /// The file's filesystem UUID (`s_uuid`), all zero when it has none.
    pub fsuuid: [u8; 16],
    /// The task's real uid, in the initial user namespace.
    pub uid: u32,
    /// The task's effective uid, in the initial user namespace.
    pub euid: u32,
    /// The file owner's uid, in the initial user namespace.
    pub fowner: u32,
}

/// The policy's answer for a request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Decision {
    /// Record the file in the measurement list.
    pub measure: bool,
    /// Require a trusted signature.
    pub appraise: bool,
    /// Report the evaluation in the audit log.
    pub audit: bool,
    /// The template the deciding `measure` rule asks for; `None` for the
    /// default (or when nothing is measured).
    pub template: Option<Template>,
    /// What may vouch for the file, from the deciding `appraise` rule (the
    /// default when nothing is appraised).
    pub appraise_by: AppraiseBy,
    /// The pages of the file, if it is trusted, are checked as they are
    /// read in permissive mode too (the deciding `appraise` rule's
    /// `check_pages=always`).
    pub check_pages_always: bool,
}

/// Decides `req` with `rules`: for each [`ActionKind`], the first matching
/// rule of that kind decides, and no matching rule means no.
pub fn evaluate(rules: &[Rule], req: &Request) -> Decision {
    let mut d = Decision::default();
    let (mut measure, mut appraise, mut audit) = (false, false, false);
    for rule in rules {
        let (decided, answer) = match rule.action.kind() {
            ActionKind::Measure => (&mut measure, &mut d.measure),
            ActionKind::Appraise => (&mut appraise, &mut d.appraise),
            ActionKind::Audit => (&mut audit, &mut d.audit),
        };
        if *decided || !rule.matches(req) {
            continue;
        }
        *decided = true;
        *answer = rule.action.is_positive();
        if rule.action == Action::Measure {
            d.template = rule.template;
        }
        if rule.action == Action::Appraise {
            d.appraise_by = rule.appraise_by.unwrap_or_default();
            d.check_pages_always = rule.check_pages == Some(true);
        }
        if measure && appraise && audit {
            break;
        }
    }
    d
}

/// Why a policy text was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The first word of a statement is not an action or `option`.
    UnknownAction,
    /// A word after the action does not start with a condition key the
    /// language knows (`func`, `mask`, `fsmagic`, `fsuuid`, `uid`, `euid`,
    /// `fowner`, `template`, `appraise_by`) followed by `=`, `<`, `>` or the end of the
    /// word.
    UnknownCondition,
    /// An `option` line names an option the language does not know.
    UnknownOption,
    /// An `option` line names no option.
    MissingOption,
    /// A condition has an operator but no value (`uid=`), or no operator
    /// and no value at all (`uid`).
    MissingValue(Condition),
    /// A condition's value does not have the key's syntax or range.
    BadValue(Condition),
    /// `<` or `>` with a key that only takes `=`.
    BadOperator(Condition),
    /// `template=` in a rule other than `measure`.
    TemplateNotMeasure,
    /// `appraise_by=` in a rule other than `appraise`.
    AppraiseByNotAppraise,
    /// `check_pages=` in a rule other than `appraise`.
    CheckPagesNotAppraise,
    /// A condition appears twice in one rule.
    DuplicateCondition(Condition),
    /// An option is set twice in the policy.
    DuplicateOption,
    /// The policy has more than [`MAX_RULES`] rules, or more than the
    /// storage given to [`parse`] holds.
    TooManyRules,
    /// A line is longer than [`MAX_LINE_LEN`] bytes.
    LineTooLong,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownAction => f.write_str(
                "unknown action (expected measure, dont_measure, appraise, dont_appraise, \
                 audit or option)",
            ),
            Self::UnknownCondition => f.write_str(
                "unknown condition (expected func=, mask=, fsmagic=, fsuuid=, uid, euid, fowner, \
                 template=, appraise_by= or check_pages=)",
            ),
            Self::UnknownOption => f.write_str("unknown option (expected require_signed_policy)"),
            Self::MissingOption => f.write_str("option names no option"),
            Self::MissingValue(c) => write!(f, "{} has no value", c.name()),
            Self::BadValue(c) => {
                write!(f, "bad value for {} (expected {})", c.name(), c.expected())
            }
            Self::BadOperator(c) => write!(f, "{} takes only =", c.name()),
            Self::TemplateNotMeasure => f.write_str("template= is an option of measure rules"),
            Self::AppraiseByNotAppraise => {
                f.write_str("appraise_by= is an option of appraise rules")
            }
            Self::CheckPagesNotAppraise => {
                f.write_str("check_pages= is an option of appraise rules")
            }
            Self::DuplicateCondition(c) => write!(f, "{} given twice in one rule", c.name()),
            Self::DuplicateOption => f.write_str("option given twice"),
            Self::TooManyRules => write!(f, "more than {} rules", MAX_RULES),
            Self::LineTooLong => write!(f, "line longer than {} bytes", MAX_LINE_LEN),
        }
    }
}

/// A rejected policy: where and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParseError {
    /// The line, counting from 1.
    pub line: usize,
    /// The byte column of the offending word, counting from 1
    /// ([`MAX_LINE_LEN`]` + 1` for [`ErrorKind::LineTooLong`]).
    pub column: usize,
    /// What is wrong.
    pub kind: ErrorKind,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.kind
        )
    }
}

/// Parses `text` into `rules`, which must have room for every rule (see
/// [`validate`] to count them first), and returns the policy, borrowing
/// the filled prefix of `rules`. On error, what `rules` holds is
/// unspecified.
pub fn parse<'r>(text: &[u8], rules: &'r mut [Rule]) -> Result<Policy<'r>, ParseError> {
    let summary = parse_into(text, Some(&mut *rules))?;
    let rules: &'r [Rule] = rules;
    let rules = rules.get(..summary.rules).unwrap_or_default();
    Ok(Policy {
        rules,
        options: summary.options,
    })
}

/// Checks `text` as [`parse`] does, without storing rules, and reports how
/// many there are.
pub fn validate(text: &[u8]) -> Result<Summary, ParseError> {
    parse_into(text, None)
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r')
}

/// The words of a line, each with its 0-based byte offset.
struct Words<'a> {
    rest: &'a [u8],
    offset: usize,
}

impl<'a> Iterator for Words<'a> {
    type Item = (usize, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let start = self.rest.iter().position(|&b| !is_blank(b))?;
        let (_, tail) = self.rest.split_at(start);
        let len = tail.iter().position(|&b| is_blank(b)).unwrap_or(tail.len());
        let (word, rest) = tail.split_at(len);
        let at = self.offset.saturating_add(start);
        self.offset = at.saturating_add(len);
        self.rest = rest;
        Some((at, word))
    }
}

fn parse_into(text: &[u8], mut out: Option<&mut [Rule]>) -> Result<Summary, ParseError> {
    let capacity = out.as_ref().map_or(MAX_RULES, |o| o.len().min(MAX_RULES));
    let mut summary = Summary {
        rules: 0,
        options: Options::default(),
    };
    for (index, line) in text.split(|&b| b == b'\n').enumerate() {
        let err = |at: usize, kind| ParseError {
            line: index.saturating_add(1),
            column: at.saturating_add(1),
            kind,
        };
        if line.len() > MAX_LINE_LEN {
            return Err(err(MAX_LINE_LEN, ErrorKind::LineTooLong));
        }
        let code = match line.iter().position(|&b| b == b'#') {
            Some(hash) => line.split_at(hash).0,
            None => line,
        };
        let mut words = Words {
            rest: code,
            offset: 0,
        };
        let Some((at, first)) = words.next() else {
            continue;
        };
        if first == b"option" {
            parse_options(at, words, &mut summary.options).map_err(|(at, kind)| err(at, kind))?;
            continue;
        }
        let action = Action::from_name(first).ok_or(err(at, ErrorKind::UnknownAction))?;
        let rule = parse_conditions(action, words).map_err(|(at, kind)| err(at, kind))?;
        if summary.rules >= capacity {
            return Err(err(at, ErrorKind::TooManyRules));
        }
        if let Some(slot) = out.as_deref_mut().and_then(|o| o.get_mut(summary.rules)) {
            *slot = rule;
        }
        summary.rules = summary.rules.saturating_add(1);
    }
    Ok(summary)
}

/// Reads the option names after the `option` keyword at offset `keyword`.
fn parse_options(
    keyword: usize,
    words: Words<'_>,
    options: &mut Options,
) -> Result<(), (usize, ErrorKind)> {
    let mut any = false;
    for (at, word) in words {
        any = true;
        match word {
            b"require_signed_policy" => {
                if options.require_signed_policy {
                    return Err((at, ErrorKind::DuplicateOption));
                }
                options.require_signed_policy = true;
            }
            _ => return Err((at, ErrorKind::UnknownOption)),
        }
    }
    if any {
        Ok(())
    } else {
        Err((keyword, ErrorKind::MissingOption))
    }
}

fn parse_conditions(action: Action, words: Words<'_>) -> Result<Rule, (usize, ErrorKind)> {
    let mut rule = Rule::new(action);
    for (at, word) in words {
        let (name, rest) = match word.iter().position(|&b| matches!(b, b'=' | b'<' | b'>')) {
            Some(op) => word.split_at(op),
            None => (word, &[][..]),
        };
        let key = Condition::from_name(name).ok_or((at, ErrorKind::UnknownCondition))?;
        if rule.has(key) {
            return Err((at, ErrorKind::DuplicateCondition(key)));
        }
        let missing = (at, ErrorKind::MissingValue(key));
        let (&op, value) = rest.split_first().ok_or(missing)?;
        if value.is_empty() {
            return Err(missing);
        }
        let bad = (at, ErrorKind::BadValue(key));
        if op != b'=' && !matches!(key, Condition::Uid | Condition::Euid | Condition::Fowner) {
            return Err((at, ErrorKind::BadOperator(key)));
        }
        match key {
            Condition::Func => rule.func = Some(Func::from_name(value).ok_or(bad)?),
            Condition::Mask => rule.mask = Some(parse_mask(value).ok_or(bad)?),
            Condition::Fsmagic => rule.fsmagic = Some(parse_hex_u64(value).ok_or(bad)?),
            Condition::Fsuuid => rule.fsuuid = Some(parse_uuid(value).ok_or(bad)?),
            Condition::Template => {
                let t = measurement_template(value).ok_or(bad)?;
                if action != Action::Measure {
                    return Err((at, ErrorKind::TemplateNotMeasure));
                }
                rule.template = Some(t);
            }
            Condition::AppraiseBy => {
                let by = AppraiseBy::from_name(value).ok_or(bad)?;
                if action != Action::Appraise {
                    return Err((at, ErrorKind::AppraiseByNotAppraise));
                }
                rule.appraise_by = Some(by);
            }
            Condition::CheckPages => {
                let always = match value {
                    b"always" => true,
                    b"enforcing" => false,
                    _ => return Err(bad),
                };
                if action != Action::Appraise {
                    return Err((at, ErrorKind::CheckPagesNotAppraise));
                }
                rule.check_pages = Some(always);
            }
            Condition::Uid | Condition::Euid | Condition::Fowner => {
                let n = parse_dec_u32(value).ok_or(bad)?;
                let m = match op {
                    b'>' => IdMatch::Greater(n),
                    b'<' => IdMatch::Less(n),
                    _ => IdMatch::Equal(n),
                };
                match key {
                    Condition::Uid => rule.uid = Some(m),
                    Condition::Euid => rule.euid = Some(m),
                    _ => rule.fowner = Some(m),
                }
            }
        }
    }
    Ok(rule)
}

fn parse_mask(value: &[u8]) -> Option<Mask> {
    let (any, names) = match value.split_first() {
        Some((b'^', rest)) => (true, rest),
        _ => (false, value),
    };
    let mut bits = 0;
    for name in names.split(|&b| b == b'|') {
        let (bit, _) = ACCESS_NAMES
            .into_iter()
            .find(|(_, n)| n.as_bytes() == name)?;
        if bits & bit != 0 {
            return None;
        }
        bits |= bit;
    }
    let access = Access::from_bits(bits)?;
    Some(if any {
        Mask::Any(access)
    } else {
        Mask::Exact(access)
    })
}

/// The value of the digit `b` in `radix` (10 or 16; either case).
fn digit(b: u8, radix: u32) -> Option<u8> {
    // A digit's value is below the radix, so it fits in a byte.
    char::from(b).to_digit(radix).map(|d| d as u8)
}

fn parse_hex_u64(value: &[u8]) -> Option<u64> {
    let digits = match value {
        [b'0', b'x' | b'X', rest @ ..] => rest,
        _ => value,
    };
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, &b| {
        acc.checked_mul(16)?.checked_add(u64::from(digit(b, 16)?))
    })
}

fn parse_dec_u32(value: &[u8]) -> Option<u32> {
    if value.is_empty() {
        return None;
    }
    value.iter().try_fold(0u32, |acc, &b| {
        acc.checked_mul(10)?.checked_add(u32::from(digit(b, 10)?))
    })
}

/// Offsets of the hyphens in a canonical UUID.
const UUID_HYPHENS: [usize; 4] = [8, 13, 18, 23];
/// Length of a canonical UUID.
const UUID_TEXT_LEN: usize = 36;

fn parse_uuid(value: &[u8]) -> Option<[u8; 16]> {
    if value.len() != UUID_TEXT_LEN {
        return None;
    }
    if UUID_HYPHENS.iter().any(|&i| value.get(i) != Some(&b'-')) {
        return None;
    }
    // The other 32 bytes must all be hex digits ('-' is not one).
    let mut digits = value
        .iter()
        .enumerate()
        .filter(|(i, _)| !UUID_HYPHENS.contains(i))
        .map(|(_, &b)| digit(b, 16));
    let mut out = [0u8; 16];
    for byte in &mut out {
        let high = digits.next()??;
        let low = digits.next()??;
        *byte = high.checked_mul(16)? | low;
    }
    Some(out)
}

/// Adapts a formatter to [`Sink`] (only ASCII is ever written).
struct FmtSink<'a, 'b>(&'a mut fmt::Formatter<'b>);

impl Sink for FmtSink<'_, '_> {
    type Error = fmt::Error;

    fn put(&mut self, bytes: &[u8]) -> Result<(), fmt::Error> {
        self.0
            .write_str(core::str::from_utf8(bytes).map_err(|_| fmt::Error)?)
    }
}

fn put_id<S: Sink>(sink: &mut S, key: Condition, m: IdMatch) -> Result<(), S::Error> {
    sink.put(b" ")?;
    sink.put(key.name().as_bytes())?;
    sink.put(m.operator())?;
    put_decimal(sink, u64::from(m.value()))
}

/// Writes `rule` as its canonical line, without the newline.
pub fn render_rule<S: Sink>(rule: &Rule, sink: &mut S) -> Result<(), S::Error> {
    sink.put(rule.action.name().as_bytes())?;
    if let Some(func) = rule.func {
        sink.put(b" func=")?;
        sink.put(func.name().as_bytes())?;
    }
    if let Some(mask) = rule.mask {
        sink.put(b" mask=")?;
        let access = match mask {
            Mask::Exact(a) => a,
            Mask::Any(a) => {
                sink.put(b"^")?;
                a
            }
        };
        let mut first = true;
        for (bit, name) in ACCESS_NAMES {
            if access.bits() & bit != 0 {
                if !first {
                    sink.put(b"|")?;
                }
                first = false;
                sink.put(name.as_bytes())?;
            }
        }
    }
    if let Some(magic) = rule.fsmagic {
        sink.put(b" fsmagic=0x")?;
        put_hex_number(sink, magic)?;
    }
    if let Some(uuid) = rule.fsuuid {
        sink.put(b" fsuuid=")?;
        // 8-4-4-4-12 hex digits: the 16 bytes in groups of 4, 2, 2, 2, 6.
        for (i, group) in [0..4, 4..6, 6..8, 8..10, 10..16].into_iter().enumerate() {
            if i > 0 {
                sink.put(b"-")?;
            }
            put_hex(sink, uuid.get(group).unwrap_or_default())?;
        }
    }
    if let Some(m) = rule.uid {
        put_id(sink, Condition::Uid, m)?;
    }
    if let Some(m) = rule.euid {
        put_id(sink, Condition::Euid, m)?;
    }
    if let Some(m) = rule.fowner {
        put_id(sink, Condition::Fowner, m)?;
    }
    if let Some(t) = rule.template {
        sink.put(b" template=")?;
        sink.put(t.name().as_bytes())?;
    }
    if let Some(by) = rule.appraise_by {
        sink.put(b" appraise_by=")?;
        sink.put(by.name().as_bytes())?;
    }
    if let Some(always) = rule.check_pages {
        sink.put(b" check_pages=")?;
        sink.put(if always { b"always" } else { b"enforcing" })?;
    }
    Ok(())
}

/// Writes `policy` as canonical text: `option` lines first, then one line
/// per rule, each newline-terminated. [`parse`] reads it back as the same
/// policy.
pub fn render<S: Sink>(policy: &Policy<'_>, sink: &mut S) -> Result<(), S::Error> {
    if policy.options.require_signed_policy {
        sink.put(b"option require_signed_policy\n")?;
    }
    for rule in policy.rules {
        render_rule(rule, sink)?;
        sink.put(b"\n")?;
    }
    Ok(())
}
