// SPDX-License-Identifier: GPL-2.0
//! The measurement list: in IMA's format, with software PCRs, trimmed only
//! at checkpoints.
//!
//! Entries are reference counted and never change once made. The held
//! entries are a vector behind a mutex that readers take only to look one
//! up (and take a reference), never while rendering it; a trim that drops
//! entries a reader is rendering frees them when the reader is done.
//! Appends, checkpoints and trims are serialised by a second mutex that
//! also covers the TPM's PCR extension, so the list can run ahead of the
//! PCR value but never behind it, and entries appear in the order their
//! PCR extensions happen.
//!
//! The software PCR values (what the PCR would hold in a TPM that saw
//! only arbor's extensions) are folded over the entries when something
//! needs them, not at every append: a checkpoint, which records exactly
//! the values the entries before it produced, a trim, which folds the
//! entries it drops first, and a read of the `software_pcrs_*` files.
//! An append without a TPM thus hashes nothing but its template digest,
//! as IMA's does; the hashing the values need is done once, by whoever
//! asks, under a third mutex that appends do not take.
//!
//! Entries have a global index: 0 for the first since boot, counting the
//! ones dropped by trims. The held entries are the global indexes
//! `first..first + len`.

use crate::format::checkpoint::{self, Bank, Header};
use crate::format::template::{
    self, DigestType, EntryFields, Field, Template, TEMPLATE_DIGEST_SIZE,
};
use crate::kapi::tpm::{self, Tpm};
use crate::kapi::{self, config, crypto::Shash};
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::alloc::{flags::GFP_KERNEL, KVVec, KVec};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

/// Size of a SHA-256 digest.
pub(crate) const SHA256_SIZE: usize = 32;

/// What an entry records.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A file, or `boot_aggregate`.
    Measurement,
    /// A violation: it extends every bank with all-0xFF.
    Violation,
    /// A checkpoint: the PCR values the entries before it produced.
    Checkpoint,
}

/// One record of the measurement list.
///
/// # Invariants
///
/// `data` is template data whose fields match `template`. For a
/// violation, `template_digest` is all zero; otherwise it is SHA-1 over
/// `data`.
pub(crate) struct Entry {
    pcr: u32,
    template: Template,
    template_digest: [u8; TEMPLATE_DIGEST_SIZE],
    data: KVec<u8>,
    kind: Kind,
}

/// What a violation extends every PCR bank with, as IMA does.
const VIOLATION_FILL: u8 = 0xff;

impl Entry {
    /// Encodes a record of `template` with `fields` for `pcr`.
    pub(crate) fn new(
        pcr: u32,
        template: Template,
        fields: &[Field<'_>],
        sha1: &Shash,
    ) -> Result<Arc<Self>> {
        Self::of_kind(Kind::Measurement, pcr, template, fields, sha1)
    }

    fn of_kind(
        kind: Kind,
        pcr: u32,
        template: Template,
        fields: &[Field<'_>],
        sha1: &Shash,
    ) -> Result<Arc<Self>> {
        let len = template::template_data_len(fields).ok_or(EINVAL)?;
        let mut data: KVec<u8> = kapi::alloc::zeroed(len)?;
        template::encode_template_data(fields, &mut data).map_err(|_| EINVAL)?;
        let mut template_digest = [0u8; TEMPLATE_DIGEST_SIZE];
        sha1.digest(&data, &mut template_digest)?;
        // INVARIANT: `data` was encoded from `fields` of `template`, and the
        // digest is SHA-1 over it.
        Ok(Arc::new(
            Self {
                pcr,
                template,
                template_digest,
                data,
                kind,
            },
            GFP_KERNEL,
        )?)
    }

    /// Encodes a violation record of `template` with `fields` for `pcr`:
    /// its template digest is all zero, and it extends the PCRs with
    /// all-0xFF, so that a verifier that replays the list (it reads the
    /// zero digest as a violation) matches the PCR while no file digest can
    /// stand in for it.
    pub(crate) fn violation(
        pcr: u32,
        template: Template,
        fields: &[Field<'_>],
    ) -> Result<Arc<Self>> {
        let len = template::template_data_len(fields).ok_or(EINVAL)?;
        let mut data: KVec<u8> = kapi::alloc::zeroed(len)?;
        template::encode_template_data(fields, &mut data).map_err(|_| EINVAL)?;
        // INVARIANT: `data` was encoded from `fields` of `template`; a
        // violation's digest is all zero.
        Ok(Arc::new(
            Self {
                pcr,
                template,
                template_digest: [0; TEMPLATE_DIGEST_SIZE],
                data,
                kind: Kind::Violation,
            },
            GFP_KERNEL,
        )?)
    }

    /// The entry as the shared format code sees it.
    pub(crate) fn view(&self) -> template::Entry<'_> {
        template::Entry {
            pcr: self.pcr,
            template_digest: &self.template_digest,
            template_name: self.template.name().as_bytes(),
            data: &self.data,
        }
    }
}

/// Running values of arbor's PCR in each bank, as a TPM would hold them had
/// it started from zero and seen only arbor's extensions.
#[derive(Clone, Copy)]
pub(crate) struct SoftwarePcrs {
    /// SHA-1 bank: extended with each entry's SHA-1 template digest.
    pub(crate) sha1: [u8; TEMPLATE_DIGEST_SIZE],
    /// SHA-256 bank: extended with SHA-256 over each entry's template data.
    pub(crate) sha256: [u8; SHA256_SIZE],
}

/// What the append lock protects besides the order of entries.
struct Chain {
    /// Whether a TPM extend has failed since boot.
    tpm_failed: bool,
    /// Entries appended since the last checkpoint.
    since_checkpoint: u64,
}

/// Append a checkpoint after this many other entries; 0 for never.
static CHECKPOINT_INTERVAL: AtomicU64 = AtomicU64::new(config::CHECKPOINT_INTERVAL);

/// Sets the automatic checkpoint interval (`arbor.checkpoint_interval=`).
pub(crate) fn set_checkpoint_interval(n: u64) {
    CHECKPOINT_INTERVAL.store(n, Ordering::Relaxed);
}

/// The automatic checkpoint interval; 0 for none.
pub(crate) fn checkpoint_interval() -> u64 {
    CHECKPOINT_INTERVAL.load(Ordering::Relaxed)
}

/// The entries held in memory.
///
/// # Invariants
///
/// `entries[i]` is the entry of global index `first + i`.
struct Held {
    first: u64,
    entries: KVVec<Arc<Entry>>,
}

/// The measurement list.
///
/// # Invariants
///
/// `folded.upto >= held.first`: entries are dropped only once folded into
/// the software PCR values; `folded.upto` is at most the global index
/// after the last entry.
#[pin_data]
pub(crate) struct MeasurementList {
    /// The held entries, in order.
    #[pin]
    held: Mutex<Held>,
    /// Serialises appends, checkpoints, trims and TPM PCR extensions;
    /// taken before `folded` and `held`.
    #[pin]
    chain: Mutex<Chain>,
    /// The software PCR values; taken before `held`.
    #[pin]
    folded: Mutex<Folded>,
    /// Violations recorded.
    violations: AtomicU64,
}

/// The transforms an append needs.
pub(crate) struct Hashes<'a> {
    /// SHA-1, for the SHA-1 software bank.
    pub(crate) sha1: &'a Shash,
    /// SHA-256, for the SHA-256 software bank.
    pub(crate) sha256: &'a Shash,
}

/// The software PCR values, folded over the entries up to some index.
struct Folded {
    /// The values after every entry of global index below `upto`.
    pcrs: SoftwarePcrs,
    /// The global index of the first entry not folded in yet.
    upto: u64,
}

impl Folded {
    /// Extends the values with `entry`, the entry of global index `upto`.
    fn fold(&mut self, entry: &Entry, hashes: &Hashes<'_>) -> Result {
        let mut next = self.pcrs;
        if entry.kind == Kind::Violation {
            extend(
                hashes.sha1,
                &mut next.sha1,
                &[VIOLATION_FILL; TEMPLATE_DIGEST_SIZE],
            )?;
            extend(
                hashes.sha256,
                &mut next.sha256,
                &[VIOLATION_FILL; SHA256_SIZE],
            )?;
        } else {
            let mut d = [0u8; SHA256_SIZE];
            hashes.sha256.digest(&entry.data, &mut d)?;
            extend(hashes.sha1, &mut next.sha1, &entry.template_digest)?;
            extend(hashes.sha256, &mut next.sha256, &d)?;
        }
        self.pcrs = next;
        self.upto = self.upto.saturating_add(1);
        Ok(())
    }
}

/// What `entry` extends the banks of `tpm` with, if there is a TPM.
fn tpm_extension(
    entry: &Entry,
    tpm: Option<&Tpm>,
) -> Result<Option<KVec<[u8; tpm::MAX_DIGEST_SIZE]>>> {
    tpm.map(|t| tpm_digests(t, entry)).transpose()
}

/// An entry's digest for each TPM bank, in bank order, zero-padded: the
/// template digest for SHA-1; the bank's hash over the template data where
/// the kernel has the algorithm; else the SHA-1 template digest
/// zero-padded, as IMA does.
fn tpm_digests(t: &Tpm, entry: &Entry) -> Result<KVec<[u8; tpm::MAX_DIGEST_SIZE]>> {
    let mut v = KVec::with_capacity(t.banks().len(), GFP_KERNEL)?;
    for b in t.banks() {
        let mut d = [0u8; tpm::MAX_DIGEST_SIZE];
        if entry.kind == Kind::Violation {
            d.fill(VIOLATION_FILL);
            v.push(d, GFP_KERNEL)?;
            continue;
        }
        match &b.hash {
            Some(h) if b.alg_id != tpm::ALG_SHA1 && h.digest_size() == b.digest_size => {
                h.digest(&entry.data, d.get_mut(..b.digest_size).ok_or(EINVAL)?)?
            }
            _ => d[..TEMPLATE_DIGEST_SIZE].copy_from_slice(&entry.template_digest),
        }
        v.push(d, GFP_KERNEL)?;
    }
    Ok(v)
}

/// Extends `pcr` with `digest`, both at most a SHA-256 digest long:
/// `pcr = H(pcr || digest)`, hashed in one go from the stack.
fn extend(h: &Shash, pcr: &mut [u8], digest: &[u8]) -> Result {
    let mut both = [0u8; 2 * SHA256_SIZE];
    let n = pcr.len().checked_add(digest.len()).ok_or(EINVAL)?;
    let (head, tail) = both.get_mut(..n).ok_or(EINVAL)?.split_at_mut(pcr.len());
    head.copy_from_slice(pcr);
    tail.copy_from_slice(digest);
    let input = both.get(..n).ok_or(EINVAL)?;
    h.digest(input, pcr)
}

/// Largest checkpoint payload: the header and two banks.
const CHECKPOINT_MAX: usize = checkpoint::HEADER_SIZE + 4 + TEMPLATE_DIGEST_SIZE + 4 + SHA256_SIZE;

impl MeasurementList {
    /// An empty list.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            // INVARIANT: no entries, the first will be global index 0.
            held <- new_mutex!(Held { first: 0, entries: KVVec::new() }, "arbor_list_entries"),
            chain <- new_mutex!(
                Chain { tpm_failed: false, since_checkpoint: 0 },
                "arbor_list_chain"
            ),
            // INVARIANT: nothing is held, nothing folded.
            folded <- new_mutex!(
                Folded {
                    pcrs: SoftwarePcrs { sha1: [0; TEMPLATE_DIGEST_SIZE], sha256: [0; SHA256_SIZE] },
                    upto: 0,
                },
                "arbor_list_pcrs"
            ),
            violations: AtomicU64::new(0),
        })
    }

    /// Appends `entry` and extends the PCRs (the software values, and
    /// arbor's PCR in every bank of `tpm`, after the append and under the
    /// same lock), unless `still_wanted` says another thread already
    /// recorded it. `still_wanted` is called under that lock once nothing
    /// can fail any more, so whatever it records happens exactly when the
    /// entry is appended. Returns whether the entry was appended. When
    /// the automatic checkpoint interval is reached, a checkpoint follows
    /// the entry, under the same lock.
    pub(crate) fn append(
        &self,
        entry: Arc<Entry>,
        hashes: &Hashes<'_>,
        tpm: Option<&Tpm>,
        pcr: u32,
        still_wanted: impl FnOnce() -> bool,
    ) -> Result<bool> {
        // Computed outside the locks.
        let x = tpm_extension(&entry, tpm)?;
        let mut chain = self.chain.lock();
        let appended = self.commit(&mut chain, entry, x, tpm, pcr, still_wanted)?;
        let interval = checkpoint_interval();
        if appended && interval > 0 && chain.since_checkpoint >= interval {
            // The entry is in; a failed checkpoint is retried after the
            // next entry.
            if let Err(e) = self.checkpoint_locked(&mut chain, hashes, tpm, pcr) {
                pr_err!("automatic checkpoint failed (error {})\n", e.to_errno());
            }
        }
        Ok(appended)
    }

    /// Appends `entry`, which extends the TPM's banks by `x`, with `chain`
    /// locked.
    fn commit(
        &self,
        chain: &mut Chain,
        entry: Arc<Entry>,
        x: Option<KVec<[u8; tpm::MAX_DIGEST_SIZE]>>,
        tpm: Option<&Tpm>,
        pcr: u32,
        still_wanted: impl FnOnce() -> bool,
    ) -> Result<bool> {
        // Make room first: after this point nothing can fail.
        self.held.lock().entries.reserve(1, GFP_KERNEL)?;
        if !still_wanted() {
            return Ok(false);
        }
        // Cannot fail: capacity was reserved above, and only appends and
        // trims change the vector, both under `chain`.
        // INVARIANT: the new entry's global index is `first + len`.
        let checkpoint = entry.kind == Kind::Checkpoint;
        self.held.lock().entries.push(entry, GFP_KERNEL)?;
        chain.since_checkpoint = if checkpoint {
            0
        } else {
            chain.since_checkpoint.saturating_add(1)
        };
        if let (Some(t), Some(d)) = (tpm, x) {
            // The entry is in the list: the list may run ahead of the TPM,
            // never behind it. A TPM error leaves it ahead; it is logged,
            // and every later checkpoint says so.
            if let Err(e) = t.extend(pcr, &d) {
                chain.tpm_failed = true;
                pr_err!("TPM PCR {} extend failed (error {})\n", pcr, e.to_errno());
            }
        }
        Ok(true)
    }

    /// Appends a checkpoint: an `ima-buf` entry that records the software
    /// PCR values the entries before it produced, its own global index, the
    /// number of entries dropped so far, and whether a TPM extend has
    /// failed. The values are read under the append lock, so no entry can
    /// come between them and the checkpoint. Returns the checkpoint's
    /// global index.
    pub(crate) fn checkpoint(
        &self,
        hashes: &Hashes<'_>,
        tpm: Option<&Tpm>,
        pcr: u32,
    ) -> Result<u64> {
        let mut chain = self.chain.lock();
        self.checkpoint_locked(&mut chain, hashes, tpm, pcr)
    }

    /// Folds the entries appended since the last fold into the software
    /// PCR values, and returns the values. With `chain` held, they are the
    /// values after the last entry. On an error, the values stay those of
    /// the entries folded before it, which the next fold goes on from.
    fn fold(&self, hashes: &Hashes<'_>) -> Result<SoftwarePcrs> {
        let mut folded = self.folded.lock();
        // By the type invariant, `upto` is held or one past the last
        // entry; the entries are looked up one at a time, so that readers
        // of the list are not held up by the hashing.
        while let Some(entry) = self.get(folded.upto) {
            folded.fold(&entry, hashes)?;
        }
        Ok(folded.pcrs)
    }

    /// [`Self::checkpoint`] with `chain` locked.
    fn checkpoint_locked(
        &self,
        chain: &mut Chain,
        hashes: &Hashes<'_>,
        tpm: Option<&Tpm>,
        pcr: u32,
    ) -> Result<u64> {
        // Under `chain`: every entry before the checkpoint is folded in.
        let pcrs = self.fold(hashes)?;
        let (first, held) = {
            let h = self.held.lock();
            (h.first, h.entries.len())
        };
        let index = first
            .checked_add(held as u64)
            .ok_or_else(kapi::error::eoverflow)?;
        let mut flags = 0;
        if tpm.is_none() {
            flags |= checkpoint::FLAG_NO_TPM;
        }
        if chain.tpm_failed {
            flags |= checkpoint::FLAG_TPM_FAILED;
        }
        let header = Header {
            flags,
            pcr,
            index,
            dropped: first,
        };
        let banks = [
            Bank {
                alg: checkpoint::ALG_SHA1,
                digest: &pcrs.sha1,
            },
            Bank {
                alg: checkpoint::ALG_SHA256,
                digest: &pcrs.sha256,
            },
        ];
        let mut buf = [0u8; CHECKPOINT_MAX];
        let n = checkpoint::encode(&header, &banks, &mut buf).map_err(|_| EINVAL)?;
        let payload = buf.get(..n).ok_or(EINVAL)?;
        let mut digest = [0u8; SHA256_SIZE];
        hashes.sha256.digest(payload, &mut digest)?;
        let fields = EntryFields::new(
            Template::ImaBuf,
            ("sha256", &digest),
            (DigestType::Ima, "sha256", &digest),
            checkpoint::NAME.as_bytes(),
            payload,
        );
        let entry = Entry::of_kind(
            Kind::Checkpoint,
            pcr,
            Template::ImaBuf,
            fields.as_slice(),
            hashes.sha1,
        )?;
        let x = tpm_extension(&entry, tpm)?;
        self.commit(chain, entry, x, tpm, pcr, || true)?;
        Ok(index)
    }

    /// Drops the held entries before global index `index`, which must be a
    /// held checkpoint whose SHA-1 template digest is `digest`. Returns the
    /// number of entries dropped. Refusals drop nothing: `ESTALE` when
    /// `index` was dropped already, `ERANGE` when it is past the last
    /// entry, `ENOENT` when the entry is not a checkpoint, `EBADMSG` when
    /// its digest differs.
    pub(crate) fn trim(
        &self,
        index: u64,
        digest: &[u8; TEMPLATE_DIGEST_SIZE],
        hashes: &Hashes<'_>,
    ) -> Result<u64> {
        // Under `chain`, so that no append holds a reservation in the
        // vector being replaced.
        let chain = self.chain.lock();
        // The entries dropped are folded into the software PCR values
        // first (see the type invariant). A checkpoint folds the entries
        // before it, so this has work only when the list is trimmed at a
        // checkpoint before the last one.
        self.fold(hashes)?;
        let (k, old) = {
            let mut h = self.held.lock();
            let k = index.checked_sub(h.first).ok_or_else(kapi::error::estale)?;
            let k = usize::try_from(k).map_err(|_| ERANGE)?;
            let entry = h.entries.get(k).ok_or(ERANGE)?;
            if entry.kind != Kind::Checkpoint {
                return Err(ENOENT);
            }
            if entry.template_digest != *digest {
                return Err(kapi::error::ebadmsg());
            }
            if k == 0 {
                return Ok(0);
            }
            let rest = h.entries.get(k..).ok_or(ERANGE)?;
            let mut kept = KVVec::with_capacity(rest.len(), GFP_KERNEL)?;
            kept.extend_from_slice(rest, GFP_KERNEL)?;
            // INVARIANT: `kept[0]` is the entry of global index `index`;
            // every entry was folded above, under `chain`.
            h.first = index;
            (k, core::mem::replace(&mut h.entries, kept))
        };
        drop(chain);
        // The dropped entries are freed here, outside the locks, or by the
        // last reader still rendering one.
        drop(old);
        Ok(k as u64)
    }

    /// The entry of global index `index`, if it is held.
    pub(crate) fn get(&self, index: u64) -> Option<Arc<Entry>> {
        let h = self.held.lock();
        let k = usize::try_from(index.checked_sub(h.first)?).ok()?;
        h.entries.get(k).cloned()
    }

    /// The global indexes of the held entries.
    pub(crate) fn window(&self) -> core::ops::Range<u64> {
        let h = self.held.lock();
        h.first..h.first.saturating_add(h.entries.len() as u64)
    }

    /// Counts a violation (after its entry was appended).
    pub(crate) fn count_violation(&self) {
        self.violations.fetch_add(1, Ordering::Relaxed);
    }

    /// Number of violations recorded.
    pub(crate) fn violations(&self) -> u64 {
        self.violations.load(Ordering::Relaxed)
    }

    /// Number of entries held.
    pub(crate) fn len(&self) -> usize {
        self.held.lock().entries.len()
    }

    /// Number of entries dropped since boot: the global index of the first
    /// held entry.
    pub(crate) fn dropped(&self) -> u64 {
        self.held.lock().first
    }

    /// The software PCR values after the entries appended so far.
    pub(crate) fn pcrs(&self, hashes: &Hashes<'_>) -> Result<SoftwarePcrs> {
        self.fold(hashes)
    }
}
