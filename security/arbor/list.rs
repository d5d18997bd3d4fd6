// SPDX-License-Identifier: GPL-2.0
//! The measurement list: append-only, in IMA's format, with software PCRs.
//!
//! Entries are allocated once and never freed or changed, so a reader can
//! hold `&'static Entry` without a lock. The index of entries is a vector
//! behind a mutex that readers take only to look up one entry, never while
//! rendering it. Appends are serialised by a second mutex that also covers
//! the PCR extension, so the list can run ahead of the PCR value but never
//! behind it, and entries appear in the order their PCR extensions happen.

use crate::format::merkle::Digester;
use crate::format::template::{self, Field, Template, TEMPLATE_DIGEST_SIZE};
use crate::kapi::crypto::Shash;
use crate::kapi::tpm::{self, Tpm};
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVVec, KVec};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::Mutex;

/// Size of a SHA-256 digest.
pub(crate) const SHA256_SIZE: usize = 32;

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
    violation: bool,
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
    ) -> Result<KBox<Self>> {
        let len = template::template_data_len(fields).ok_or(EINVAL)?;
        let mut data = KVec::from_elem(0u8, len, GFP_KERNEL)?;
        template::encode_template_data(fields, &mut data).map_err(|_| EINVAL)?;
        let mut template_digest = [0u8; TEMPLATE_DIGEST_SIZE];
        sha1.digest(&data, &mut template_digest)?;
        // INVARIANT: `data` was encoded from `fields` of `template`, and the
        // digest is SHA-1 over it.
        Ok(KBox::new(
            Self {
                pcr,
                template,
                template_digest,
                data,
                violation: false,
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
    ) -> Result<KBox<Self>> {
        let len = template::template_data_len(fields).ok_or(EINVAL)?;
        let mut data = KVec::from_elem(0u8, len, GFP_KERNEL)?;
        template::encode_template_data(fields, &mut data).map_err(|_| EINVAL)?;
        // INVARIANT: `data` was encoded from `fields` of `template`; a
        // violation's digest is all zero.
        Ok(KBox::new(
            Self {
                pcr,
                template,
                template_digest: [0; TEMPLATE_DIGEST_SIZE],
                data,
                violation: true,
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
pub(crate) struct SoftwarePcrs {
    /// SHA-1 bank: extended with each entry's SHA-1 template digest.
    pub(crate) sha1: [u8; TEMPLATE_DIGEST_SIZE],
    /// SHA-256 bank: extended with SHA-256 over each entry's template data.
    pub(crate) sha256: [u8; SHA256_SIZE],
}

/// The measurement list.
#[pin_data]
pub(crate) struct MeasurementList {
    /// Index of all entries, in order.
    #[pin]
    entries: Mutex<KVVec<&'static Entry>>,
    /// Serialises appends and PCR extensions.
    #[pin]
    pcrs: Mutex<SoftwarePcrs>,
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

/// An entry's digest for each TPM bank, in bank order, zero-padded: the
/// template digest for SHA-1; the bank's hash over the template data where
/// the kernel has the algorithm; else the SHA-1 template digest
/// zero-padded, as IMA does.
fn tpm_digests(t: &Tpm, entry: &Entry) -> Result<KVec<[u8; tpm::MAX_DIGEST_SIZE]>> {
    let mut v = KVec::with_capacity(t.banks().len(), GFP_KERNEL)?;
    for b in t.banks() {
        let mut d = [0u8; tpm::MAX_DIGEST_SIZE];
        if entry.violation {
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

/// Extends `pcr` with `digest`: `pcr = H(pcr || digest)`.
fn extend(h: &Shash, pcr: &mut [u8], digest: &[u8]) -> Result {
    let mut d = h.desc()?;
    d.init()?;
    d.update(pcr)?;
    d.update(digest)?;
    d.finish(pcr)
}

impl MeasurementList {
    /// An empty list.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            entries <- new_mutex!(KVVec::new(), "arbor_list_entries"),
            pcrs <- new_mutex!(SoftwarePcrs { sha1: [0; TEMPLATE_DIGEST_SIZE], sha256: [0; SHA256_SIZE] }, "arbor_list_pcrs"),
            violations: AtomicU64::new(0),
        })
    }

    /// Appends `entry` and extends the PCRs (the software values, and
    /// arbor's PCR in every bank of `tpm`, after the append and under the
    /// same lock), unless `still_wanted` says another thread already
    /// recorded it. `still_wanted` is called under that lock once nothing
    /// can fail any more, so whatever it records happens exactly when the
    /// entry is appended. Returns whether the entry was appended.
    pub(crate) fn append(
        &self,
        entry: KBox<Entry>,
        hashes: &Hashes<'_>,
        tpm: Option<&Tpm>,
        pcr: u32,
        still_wanted: impl FnOnce() -> bool,
    ) -> Result<bool> {
        // Digests for the SHA-256 software bank and every TPM bank,
        // computed outside the locks.
        let mut bank256 = [VIOLATION_FILL; SHA256_SIZE];
        let mut bank1 = [VIOLATION_FILL; TEMPLATE_DIGEST_SIZE];
        if !entry.violation {
            hashes.sha256.digest(&entry.data, &mut bank256)?;
            bank1 = entry.template_digest;
        }
        let tpm_digests = match tpm {
            Some(t) => Some(tpm_digests(t, &entry)?),
            None => None,
        };

        let mut pcrs = self.pcrs.lock();
        // Make room and compute the new PCR values first: after this point
        // nothing can fail, so the list and the software PCR values never
        // disagree.
        self.entries.lock().reserve(1, GFP_KERNEL)?;
        let mut next = SoftwarePcrs {
            sha1: pcrs.sha1,
            sha256: pcrs.sha256,
        };
        extend(hashes.sha1, &mut next.sha1, &bank1)?;
        extend(hashes.sha256, &mut next.sha256, &bank256)?;
        if !still_wanted() {
            return Ok(false);
        }
        let entry: &'static Entry = KBox::leak(entry);
        // Cannot fail: capacity was reserved above and only appends (under
        // `pcrs`) use it.
        self.entries.lock().push(entry, GFP_KERNEL)?;
        *pcrs = next;
        if let (Some(t), Some(d)) = (tpm, tpm_digests) {
            // The entry is in the list: the list may run ahead of the TPM,
            // never behind it. A TPM error leaves it ahead, and is logged.
            if let Err(e) = t.extend(pcr, &d) {
                pr_err!("TPM PCR {} extend failed (error {})\n", pcr, e.to_errno());
            }
        }
        Ok(true)
    }

    /// Entry `index`, if the list has that many.
    pub(crate) fn get(&self, index: usize) -> Option<&'static Entry> {
        self.entries.lock().get(index).copied()
    }

    /// Counts a violation (after its entry was appended).
    pub(crate) fn count_violation(&self) {
        self.violations.fetch_add(1, Ordering::Relaxed);
    }

    /// Number of violations recorded.
    pub(crate) fn violations(&self) -> u64 {
        self.violations.load(Ordering::Relaxed)
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.entries.lock().len()
    }

    /// The software PCR values now.
    pub(crate) fn pcrs(&self) -> SoftwarePcrs {
        let p = self.pcrs.lock();
        SoftwarePcrs {
            sha1: p.sha1,
            sha256: p.sha256,
        }
    }
}
