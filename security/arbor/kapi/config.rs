// SPDX-License-Identifier: GPL-2.0
//! Build-time constants arbor reads: its Kconfig values and the id the
//! kernel's uapi gives it.

use kernel::bindings;

/// `CONFIG_SECURITY_ARBOR_PCR`: the PCR every measurement list entry names.
/// (Read through a constant that `bindings_helper.h` defines from it, so
/// that the bindings follow a change of the option.)
pub(crate) const PCR: u32 = bindings::SECURITY_ARBOR_PCR as u32;
const _: () = assert!(bindings::SECURITY_ARBOR_PCR >= 0);

/// `CONFIG_SECURITY_ARBOR_CHECKPOINT_INTERVAL`: append a checkpoint after
/// every this many other entries; 0 for never.
pub(crate) const CHECKPOINT_INTERVAL: u64 = bindings::SECURITY_ARBOR_CHECKPOINT_INTERVAL as u64;
const _: () = assert!(bindings::SECURITY_ARBOR_CHECKPOINT_INTERVAL >= 0);

/// `CONFIG_SECURITY_ARBOR_PAGE_CHECK_MEMORY`: the most memory, in KiB,
/// for the hashes that pages read later are checked against.
pub(crate) const PAGE_CHECK_MEMORY_KIB: u64 = bindings::SECURITY_ARBOR_PAGE_CHECK_MEMORY as u64;
const _: () = assert!(bindings::SECURITY_ARBOR_PAGE_CHECK_MEMORY >= 0);

/// `LSM_ID_ARBOR` (`include/uapi/linux/lsm.h`): arbor's LSM id, as
/// `lsm_list_modules(2)` reports it.
pub(crate) const LSM_ID: u64 = bindings::LSM_ID_ARBOR as u64;
