// SPDX-License-Identifier: GPL-2.0
//! The TPM: its PCR banks, PCR reads and extensions.

use super::crypto::Shash;
use core::ptr::NonNull;
use kernel::alloc::{flags::GFP_KERNEL, KVec};
use kernel::bindings;
use kernel::prelude::*;
#[cfg(CONFIG_TCG_TPM)]
use kernel::str::CStr;

/// Largest digest a PCR bank holds.
pub(crate) const MAX_DIGEST_SIZE: usize = bindings::TPM2_MAX_DIGEST_SIZE as usize;

/// `TPM_ALG_SHA1`, the TPM's number for SHA-1.
pub(crate) const ALG_SHA1: u16 = bindings::tpm_algorithms_TPM_ALG_SHA1 as u16;
/// `TPM_ALG_SHA256`, the TPM's number for SHA-256.
pub(crate) const ALG_SHA256: u16 = bindings::tpm_algorithms_TPM_ALG_SHA256 as u16;

/// One PCR bank of the TPM.
pub(crate) struct Bank {
    /// The TPM's number for the bank's hash algorithm (`TPM_ALG_*`).
    pub(crate) alg_id: u16,
    /// Size of the bank's digests.
    pub(crate) digest_size: usize,
    /// A transform for the bank's algorithm, if the kernel has it.
    pub(crate) hash: Option<Shash>,
}

/// The default TPM chip and its allocated PCR banks.
///
/// # Invariants
///
/// `chip` is a chip returned by `tpm_default_chip()`, whose reference this
/// object holds (and never drops: arbor uses the TPM for the kernel's
/// lifetime, and the TPM core keeps the chip usable, answering `ENODEV`
/// once the device is gone).
pub(crate) struct Tpm {
    #[cfg_attr(
        not(CONFIG_TCG_TPM),
        expect(dead_code, reason = "without a TPM core no Tpm is ever made")
    )]
    chip: NonNull<bindings::tpm_chip>,
    banks: KVec<Bank>,
}

// SAFETY: the TPM core serialises commands on a chip internally; the chip
// pointer may be used from any thread.
unsafe impl Send for Tpm {}
// SAFETY: see above; `banks` is read-only after construction.
unsafe impl Sync for Tpm {}

impl Tpm {
    /// The system's default TPM: none in a kernel without a TPM core.
    #[cfg(not(CONFIG_TCG_TPM))]
    pub(crate) fn default_chip() -> Result<Option<Self>> {
        Ok(None)
    }

    /// The system's default TPM, if it has one.
    #[cfg(CONFIG_TCG_TPM)]
    pub(crate) fn default_chip() -> Result<Option<Self>> {
        // SAFETY: no preconditions; returns a referenced chip or NULL.
        let Some(chip) = NonNull::new(unsafe { bindings::tpm_default_chip() }) else {
            return Ok(None);
        };
        // SAFETY: the chip is referenced; its bank table is set up before
        // the chip is registered and not changed afterwards.
        let (n, table) = unsafe {
            let c = chip.as_ptr();
            ((*c).nr_allocated_banks as usize, &(*c).allocated_banks)
        };
        let mut banks = KVec::new();
        for info in table.iter().take(n) {
            let hash = Self::bank_hash(info.crypto_id);
            banks.push(
                Bank {
                    alg_id: info.alg_id,
                    digest_size: usize::from(info.digest_size),
                    hash,
                },
                GFP_KERNEL,
            )?;
        }
        // INVARIANT: a referenced chip from `tpm_default_chip()`.
        Ok(Some(Self { chip, banks }))
    }

    /// A transform for the kernel hash algorithm `crypto_id`, if the
    /// kernel has one.
    #[cfg(CONFIG_TCG_TPM)]
    fn bank_hash(crypto_id: u16) -> Option<Shash> {
        let id = usize::from(crypto_id);
        if id >= bindings::hash_algo_HASH_ALGO__LAST as usize {
            return None;
        }
        // SAFETY: `hash_algo_name` has `HASH_ALGO__LAST` entries, each a
        // static NUL-terminated string; `id` is in range.
        let name = unsafe { *bindings::hash_algo_name.as_ptr().add(id) };
        if name.is_null() {
            return None;
        }
        // SAFETY: non-null static string, see above.
        Shash::new(unsafe { CStr::from_char_ptr(name) }).ok()
    }

    /// The allocated PCR banks, in the TPM's order.
    pub(crate) fn banks(&self) -> &[Bank] {
        &self.banks
    }

    /// Reads PCR `pcr` of bank `bank` (an index into [`Self::banks`]) into
    /// `out`, which must be that bank's digest size.
    pub(crate) fn read(&self, pcr: u32, bank: usize, out: &mut [u8]) -> Result {
        let b = self.banks.get(bank).ok_or(EINVAL)?;
        #[cfg(not(CONFIG_TCG_TPM))]
        {
            // No `Tpm` exists without a TPM core.
            let _ = (pcr, out, b);
            Err(ENODEV)
        }
        #[cfg(CONFIG_TCG_TPM)]
        {
            let mut d = bindings::tpm_digest {
                alg_id: b.alg_id,
                digest: [0; MAX_DIGEST_SIZE],
            };
            // SAFETY: the chip is referenced (type invariant); `d` is valid.
            kernel::error::to_result(unsafe {
                bindings::tpm_pcr_read(self.chip.as_ptr(), pcr, &mut d)
            })?;
            let src = d.digest.get(..b.digest_size).ok_or(EINVAL)?;
            out.get_mut(..b.digest_size)
                .ok_or(EINVAL)?
                .copy_from_slice(src);
            Ok(())
        }
    }

    /// Extends PCR `pcr` in every bank: `digests` holds one digest per bank,
    /// in bank order, zero-padded (the bank's digest size is used).
    pub(crate) fn extend(&self, pcr: u32, digests: &[[u8; MAX_DIGEST_SIZE]]) -> Result {
        if digests.len() != self.banks.len() {
            return Err(EINVAL);
        }
        let mut arg = KVec::with_capacity(self.banks.len(), GFP_KERNEL)?;
        for (b, d) in self.banks.iter().zip(digests) {
            arg.push(
                bindings::tpm_digest {
                    alg_id: b.alg_id,
                    digest: *d,
                },
                GFP_KERNEL,
            )?;
        }
        #[cfg(not(CONFIG_TCG_TPM))]
        {
            // No `Tpm` exists without a TPM core.
            let _ = (pcr, arg);
            Err(ENODEV)
        }
        // SAFETY: the chip is referenced; `arg` holds one digest per
        // allocated bank in bank order, as `tpm_pcr_extend` requires.
        #[cfg(CONFIG_TCG_TPM)]
        kernel::error::to_result(unsafe {
            bindings::tpm_pcr_extend(self.chip.as_ptr(), pcr, arg.as_mut_ptr())
        })
    }
}
