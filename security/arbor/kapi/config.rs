// SPDX-License-Identifier: GPL-2.0
//! Build-time constants arbor reads: its Kconfig values and the id the
//! kernel's uapi gives it.

use kernel::bindings;

/// `CONFIG_SECURITY_ARBOR_PCR`: the PCR every measurement list entry names.
pub(crate) const PCR: u32 = bindings::CONFIG_SECURITY_ARBOR_PCR;

/// `LSM_ID_ARBOR` (`include/uapi/linux/lsm.h`): arbor's LSM id, as
/// `lsm_list_modules(2)` reports it.
pub(crate) const LSM_ID: u64 = bindings::LSM_ID_ARBOR as u64;
