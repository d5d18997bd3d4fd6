// SPDX-License-Identifier: GPL-2.0
//! Per-inode state: which version of a file was last measured, appraised
//! and audited, and the policy's last decision for it.
//!
//! The kernel keeps an [`InodeState`] in each inode's security blob; it is
//! plain atomics, so the packing of versions and verdicts into it is
//! tested on the host with the very code the kernel runs. (Open files
//! carry no state of arbor's: who has a file open for reading is the
//! inode's `i_readcount`, which the VFS keeps.)

use super::policy::{AppraiseBy, Decision, Func, ACCESS_BITS, TEMPLATES};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// arbor's part of an inode's security blob.
///
/// On a local filesystem, a file's content or signature can only change
/// through an open for write, a truncate, a change of the extended
/// attributes a signature is read from, or a direct write to its block
/// device (out of scope, as for IMA). arbor counts those events in
/// `version`: it is bumped when a writer opens the file (before any
/// write), when the last reference of that writer goes (after all writes,
/// including through shared mappings, which hold the file), after a size
/// change and after `security.arbor`, `security.ima`, `user.arbor` or
/// `user.ima` is set or removed. On a network filesystem with a change
/// attribute (NFS, Ceph), it is also bumped when the server reports a new one
/// (see [`InodeState::observe_change_cookie`]). Measurement, appraisal and
/// audit each record the version they
/// saw (appraisal also its verdict); while the version is unchanged, the
/// file is not measured, appraised or audited again. A file that is
/// modified and then restored is evaluated again, so the list shows what
/// ran, in order.
///
/// The blob is zero-filled at allocation, and all-zero is a valid state:
/// version 0, nothing evaluated.
#[derive(Default)]
pub struct InodeState {
    version: AtomicU64,
    /// The last appraisal: its version, the digest-list generation it
    /// saw, what could vouch and its verdict (see [`pack_verdict`]); 0 for
    /// none.
    checked: AtomicU64,
    /// The low 63 bits of the [`tag`] of the last version measured, with
    /// [`MEASURED_UNSEEN`] set if its content can change unseen; 0 for
    /// none.
    measured: AtomicU64,
    /// The first 8 bytes of the digest last measured: on filesystems whose
    /// content can change unseen, a file is measured again when its digest
    /// differs. (Another signed version with the same 64-bit prefix would
    /// go unlisted; finding one takes about 2^64 signed files.)
    measured_digest: AtomicU64,
    /// `version + 1` of the last audit record of an `audit` rule; 0 for none.
    audited: AtomicU64,
    /// The last version that went unmeasured because an allow list held
    /// its digest (predictable PCR), with the digest-list generation that
    /// said so (see [`pack_covered`]); 0 for none.
    covered: AtomicU64,
    /// fs-verity reported a valid built-in signature for this inode's
    /// fs-verity digest (fs-verity files cannot change, so this holds for
    /// the inode's lifetime).
    fsverity_sig_valid: AtomicBool,
    /// The policy's last decision for this inode, packed with what it was
    /// decided for (see [`pack_decision`]); 0 for none. Together with
    /// `decided_for`, a sequence-checked pair: see [`Self::cached_decision`].
    decision: AtomicU64,
    /// The subject of `decision`: `uid << 32 | euid`.
    decided_for: AtomicU64,
    /// The [`tag`] of the change attribute the file's server reported
    /// last (network filesystems); 0 for none.
    change_cookie: AtomicU64,
    /// A page read into the page cache was refused by the readpage gate:
    /// the file's server served other content than the one appraised.
    /// Never cleared while the inode lives.
    pages_refused: AtomicBool,
}

/// What a policy decision depends on under a policy whose rules test no
/// file attribute that can change (the kernel caches decisions only under
/// such policies): the policy in force, the hook, the access and the
/// subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecisionKey {
    /// The policy's generation; never 0 (see [`pack_decision`]).
    pub generation: u32,
    /// The hook.
    pub func: Func,
    /// The access (only the bits in [`ACCESS_BITS`] count).
    pub mask: u32,
    /// The task's real uid.
    pub uid: u32,
    /// The task's effective uid.
    pub euid: u32,
}

impl DecisionKey {
    fn subject(&self) -> u64 {
        u64::from(self.uid) << 32 | u64::from(self.euid)
    }
}

/// The decision word while a task writes a decision: no packed decision
/// has its bits 15 to 31 set.
pub const DECISION_LOCKED: u64 = u64::MAX;

/// Set in the `measured` word of a file whose content can change without
/// a local write (a network filesystem's), so that
/// [`InodeState::measured_settled`] never holds for it. The word keeps
/// the other 63 bits of the version's [`tag`]: a stale word would need
/// exactly a multiple of 2^63 changes between two uses.
const MEASURED_UNSEEN: u64 = 1 << 63;

/// Packs `decision`, made for `key`, in one word: the generation (32 bits),
/// the hook (2), the access bits (4), measure, appraise and audit (3),
/// what may vouch for the file (3: [`AppraiseBy::code`]) and the template
/// (3: 0 for the default, else 1 + its index in [`TEMPLATES`]).
/// Generation 0 is never used, so 0 means "none".
pub fn pack_decision(key: &DecisionKey, decision: Decision) -> u64 {
    let template = decision
        .template
        .and_then(|t| TEMPLATES.iter().position(|&x| x == t))
        .map_or(0, |i| i as u64 + 1);
    key_bits(key)
        | u64::from(decision.measure) << 8
        | u64::from(decision.appraise) << 7
        | u64::from(decision.audit) << 6
        | decision.appraise_by.code() << 3
        | template
}

/// The bits of a decision word that say what it was made for: the
/// generation, the hook and the access (and bits 15 to 31, always zero).
const DECISION_KEY_MASK: u64 = !0x1ff;

/// The bits of a decision word that say whether it measures, appraises
/// and audits.
const DECISION_ACTION_MASK: u64 = 0x1c0;

/// Measure, alone among [`DECISION_ACTION_MASK`]'s bits.
const DECISION_MEASURE_ONLY: u64 = 1 << 8;

/// The bits of [`pack_decision`]'s word that `key` gives.
const fn key_bits(key: &DecisionKey) -> u64 {
    let func: u64 = match key.func {
        Func::BprmCheck => 0,
        Func::MmapCheck => 1,
        Func::MprotectCheck => 2,
        Func::FileCheck => 3,
    };
    (key.generation as u64) << 32 | func << 13 | ((key.mask & ACCESS_BITS) as u64) << 9
}

/// The decision that `word` holds for `key`, if it was made for `key`'s
/// generation, hook and access: one comparison, then nine bits decoded.
#[inline]
pub fn unpack_decision(word: u64, key: &DecisionKey) -> Option<Decision> {
    if key.generation == 0 || word & DECISION_KEY_MASK != key_bits(key) {
        return None;
    }
    Some(decode_decision(word))
}

/// The decision packed in `word`, whatever it was made for.
#[inline]
fn decode_decision(word: u64) -> Decision {
    // Every word was packed from a decision, so its codes are valid; the
    // decoding still never fails (an unknown code reads as the default).
    let template = match word & 0x7 {
        0 => None,
        t => TEMPLATES.get(t as usize - 1).copied(),
    };
    Decision {
        measure: word & 1 << 8 != 0,
        appraise: word & 1 << 7 != 0,
        audit: word & 1 << 6 != 0,
        template,
        appraise_by: AppraiseBy::from_code(word >> 3 & 0x7).unwrap_or_default(),
        // Never cached (see `InodeState::cache_decision`).
        check_pages_always: false,
    }
}

impl InodeState {
    /// Notes that the file's content or signature may be changing or has
    /// changed.
    pub fn content_changing(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    /// Notes the change attribute `cookie` that the file's server reports
    /// now: one other than the last noted starts a new version, so a
    /// change made on the server, which no local hook sees, makes the next
    /// use evaluate the file again. Tasks that race with different answers
    /// each start one: never fewer versions than changes.
    ///
    /// A change from one reported value to another also forgets that the
    /// readpage gate refused pages ([`Self::refuse_pages`]): a client may
    /// read a new version's pages before it learns of its change
    /// attribute, and the new version is read from the server and
    /// appraised anew, its pages checked against its own hashes.
    pub fn observe_change_cookie(&self, cookie: u64) {
        let before = self.change_cookie.swap(tag(cookie), Ordering::AcqRel);
        if before != tag(cookie) {
            if before != 0 {
                self.pages_refused.store(false, Ordering::Release);
            }
            self.content_changing();
        }
    }

    /// Notes that the file's server reported no change attribute this
    /// time (it could not be asked): whatever it reports next starts a new
    /// version, so nothing evaluated meanwhile is reused for it. (A change
    /// attribute of 2^64 - 1 is stored as this "none": after a failed
    /// query, a server that then reports that very value is believed
    /// unchanged since.)
    pub fn forget_change_cookie(&self) {
        self.change_cookie.store(0, Ordering::Release);
    }

    /// The current version.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// The verdict recorded for version `v` under digest-list generation
    /// `lists` and `appraise_by` `by`, if it was evaluated so:
    /// `Some(true)` for trusted.
    pub fn verdict(&self, v: u64, lists: u32, by: AppraiseBy) -> Option<bool> {
        unpack_verdict(self.checked.load(Ordering::Acquire), v, lists, by)
    }

    /// Whether version `v` was found trusted, under any digest-list
    /// generation: what runs from it may be mapped still, so it is kept
    /// from writers even when a list change asks for a new verdict.
    pub fn trusted(&self, v: u64) -> bool {
        trusted_version(self.checked.load(Ordering::Acquire), v)
    }

    /// Notes that fs-verity verified the file's built-in signature.
    pub fn set_fsverity_sig_valid(&self) {
        self.fsverity_sig_valid.store(true, Ordering::Release);
    }

    /// Whether fs-verity verified the file's built-in signature.
    pub fn fsverity_sig_valid(&self) -> bool {
        self.fsverity_sig_valid.load(Ordering::Acquire)
    }

    /// Notes that the readpage gate refused a page of the file, and starts
    /// a new version, so that no verdict is reused: the file is untrusted
    /// from now on (see [`Self::pages_refused`]), or, where the server
    /// reports changes, until it reports one.
    pub fn refuse_pages(&self) {
        self.pages_refused.store(true, Ordering::Release);
        self.content_changing();
    }

    /// Whether the readpage gate ever refused a page of the file.
    pub fn pages_refused(&self) -> bool {
        self.pages_refused.load(Ordering::Acquire)
    }

    /// Records the verdict for version `v`, reached under digest-list
    /// generation `lists` and `appraise_by` `by`.
    pub fn set_verdict(&self, v: u64, lists: u32, by: AppraiseBy, trusted: bool) {
        self.checked
            .store(pack_verdict(v, lists, by, trusted), Ordering::Release);
    }

    /// Whether version `v` was measured.
    pub fn measured(&self, v: u64) -> bool {
        self.measured.load(Ordering::Acquire) & !MEASURED_UNSEEN == tag(v) & !MEASURED_UNSEEN
    }

    /// Whether version `v` was measured and the file's content cannot
    /// change unseen (see [`Self::set_measured`]): one comparison.
    #[inline]
    pub fn measured_settled(&self, v: u64) -> bool {
        self.measured.load(Ordering::Acquire) == tag(v) & !MEASURED_UNSEEN
    }

    /// Records that version `v` was measured, with `digest`, and whether
    /// the file's content can change unseen (a network filesystem's).
    pub fn set_measured(&self, v: u64, digest: &[u8], unseen_changes: bool) {
        self.measured_digest
            .store(digest_prefix(digest), Ordering::Release);
        let word = if unseen_changes {
            tag(v) | MEASURED_UNSEEN
        } else {
            tag(v) & !MEASURED_UNSEEN
        };
        self.measured.store(word, Ordering::Release);
    }

    /// Whether `digest` is the digest last measured (its first 8 bytes).
    pub fn measured_digest_is(&self, digest: &[u8]) -> bool {
        self.measured_digest.load(Ordering::Acquire) == digest_prefix(digest)
    }

    /// Whether version `v` was covered by an allow list under digest-list
    /// generation `lists` (and so needs no entry of its own while the
    /// lists stay as they are).
    pub fn covered(&self, v: u64, lists: u32) -> bool {
        self.covered.load(Ordering::Acquire) == pack_covered(v, lists)
    }

    /// Records that version `v` was covered by an allow list under
    /// digest-list generation `lists`.
    pub fn set_covered(&self, v: u64, lists: u32) {
        self.covered
            .store(pack_covered(v, lists), Ordering::Release);
    }

    /// Whether version `v` was audited by an `audit` rule.
    pub fn audited(&self, v: u64) -> bool {
        self.audited.load(Ordering::Acquire) == tag(v)
    }

    /// Records that version `v` was audited; returns whether it was not
    /// already (so that racing tasks audit it once).
    pub fn set_audited(&self, v: u64) -> bool {
        self.audited.swap(tag(v), Ordering::AcqRel) != tag(v)
    }

    /// Whether some version of the file was measured, or left unmeasured
    /// because an allow list held its digest: a file the policy measures,
    /// whose readers a writer would be in violation of (`ToMToU`).
    pub fn ever_measured(&self) -> bool {
        self.measured.load(Ordering::Acquire) != 0 || self.covered.load(Ordering::Acquire) != 0
    }

    /// The policy's decision cached for `key`, if the last one cached was
    /// made for it.
    ///
    /// The decision and its subject are two words, written by
    /// [`Self::cache_decision`] under a sequence lock whose sequence is the
    /// decision word itself: a writer takes it by swapping the word for
    /// [`DECISION_LOCKED`] (a writer that finds it taken does not cache),
    /// writes the subject, then the new decision word. A reader that sees
    /// the same decision word before and after reading the subject has the
    /// subject of the writer of that word, or of a later writer who wrote
    /// the very same word (so the same decision) for it: it never pairs a
    /// decision with a subject it was not made for.
    #[inline]
    pub fn cached_decision(&self, key: &DecisionKey) -> Option<Decision> {
        self.cached_word(key).map(decode_decision)
    }

    /// Whether the decision cached for `key` settles a reader's use: it is
    /// to do nothing, or only to measure (neither appraise nor audit) and
    /// `measured(self)` holds. `false` when no decision is cached for
    /// `key`. The decision word is not decoded: one mask and two
    /// comparisons.
    #[inline]
    pub fn settles_read(&self, key: &DecisionKey, measured: impl FnOnce(&Self) -> bool) -> bool {
        match self
            .cached_word(key)
            .map(|word| word & DECISION_ACTION_MASK)
        {
            Some(0) => true,
            Some(DECISION_MEASURE_ONLY) => measured(self),
            _ => false,
        }
    }

    /// The decision word, if it was made for `key` (sequence-checked with
    /// its subject, see [`Self::cached_decision`]). The empty word (0) and
    /// [`DECISION_LOCKED`] are never made for a key: the one has
    /// generation 0, the other bits 15 to 31 set.
    #[inline]
    fn cached_word(&self, key: &DecisionKey) -> Option<u64> {
        let word = self.decision.load(Ordering::Acquire);
        if key.generation == 0 || word & DECISION_KEY_MASK != key_bits(key) {
            return None;
        }
        let subject = self.decided_for.load(Ordering::Acquire);
        (subject == key.subject() && self.decision.load(Ordering::Acquire) == word).then_some(word)
    }

    /// Caches `decision`, made for `key`, unless another task is caching
    /// one right now. A decision to check pages in permissive mode too
    /// (`check_pages=always`, rare) is not cached: the word has no bit for
    /// it.
    pub fn cache_decision(&self, key: &DecisionKey, decision: Decision) {
        if decision.check_pages_always {
            return;
        }
        let current = self.decision.load(Ordering::Relaxed);
        if current == DECISION_LOCKED
            || self
                .decision
                .compare_exchange(
                    current,
                    DECISION_LOCKED,
                    Ordering::Acquire,
                    Ordering::Relaxed,
                )
                .is_err()
        {
            return;
        }
        // Release: a reader that sees this subject sees the lock taken.
        self.decided_for.store(key.subject(), Ordering::Release);
        self.decision
            .store(pack_decision(key, decision), Ordering::Release);
    }
}

/// How a version is stored in the `measured` and `audited` words: plus
/// one, so that the all-zero state means "nothing done" for version 0.
/// Versions wrap after 2^64 changes; a stale tag would need exactly that
/// many changes between two uses.
pub const fn tag(v: u64) -> u64 {
    v.wrapping_add(1)
}

/// Bits of a version's [`tag`] kept in a verdict word.
const VERDICT_VERSION_BITS: u32 = 38;
/// Bits of the digest-list generation kept in a verdict word.
const VERDICT_LISTS_BITS: u32 = 21;
/// Where the generation starts in a verdict word.
const VERDICT_LISTS_SHIFT: u32 = 4;
/// Where the version starts in a verdict word.
const VERDICT_VERSION_SHIFT: u32 = VERDICT_LISTS_SHIFT + VERDICT_LISTS_BITS;
/// Set in every verdict word, so that none is the "never" zero.
const VERDICT_PRESENT: u64 = 1 << 63;

/// How a verdict for version `v`, reached under digest-list generation
/// `lists` for a rule with `appraise_by` `by`, is stored in the `checked`
/// word: bit 63 set, the low 38 bits of the version's [`tag`] in bits 25
/// to 62, the low 21 bits of the generation in bits 4 to 24, `by` (its
/// [`AppraiseBy::code`], never 0) in bits 1 to 3, the verdict in bit 0. A
/// verdict is reused only for the same version, generation and `by`, so
/// loading or removing a list (which bumps the generation) makes every
/// file be appraised again, and so does a use under a rule that lets other
/// things vouch. A stale word would need exactly a multiple of 2^38
/// changes of the file, or of 2^21 list changes, between two uses. Zero
/// means "never appraised".
pub fn pack_verdict(v: u64, lists: u32, by: AppraiseBy, trusted: bool) -> u64 {
    let version = tag(v) & ((1 << VERDICT_VERSION_BITS) - 1);
    let lists = u64::from(lists) & ((1 << VERDICT_LISTS_BITS) - 1);
    VERDICT_PRESENT
        | version << VERDICT_VERSION_SHIFT
        | lists << VERDICT_LISTS_SHIFT
        | by.code() << 1
        | u64::from(trusted)
}

/// The verdict that the `checked` word `c` holds for version `v` under
/// digest-list generation `lists` and `appraise_by` `by`, if it holds one
/// for them.
pub fn unpack_verdict(c: u64, v: u64, lists: u32, by: AppraiseBy) -> Option<bool> {
    (c >> 1 == pack_verdict(v, lists, by, false) >> 1).then_some(c & 1 == 1)
}

/// Whether the `checked` word `c` says that version `v` was found trusted,
/// under whatever digest-list generation and rule.
pub fn trusted_version(c: u64, v: u64) -> bool {
    let shift = VERDICT_VERSION_SHIFT;
    c & 1 == 1 && c >> shift == pack_verdict(v, 0, AppraiseBy::default(), false) >> shift
}

/// How "version `v` is covered by an allow list under digest-list
/// generation `lists`" is stored: as a trusted verdict for them (the same
/// layout, never zero). A list change makes the next use look again.
pub fn pack_covered(v: u64, lists: u32) -> u64 {
    pack_verdict(v, lists, AppraiseBy::default(), true)
}

/// The version of a file for measurement and appraisal: the inode's
/// change count `changes`, with the fs-verity bit. Enabling fs-verity
/// changes a file's digest (fs-verity's tree may use other parameters
/// than the one computed before) without changing its content, so it
/// starts a new version.
pub const fn version(changes: u64, verity: bool) -> u64 {
    changes << 1 | verity as u64
}

/// The first 8 bytes of `digest` (all digests are longer), as a number.
pub fn digest_prefix(digest: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    for (d, s) in b.iter_mut().zip(digest) {
        *d = *s;
    }
    u64::from_le_bytes(b)
}
