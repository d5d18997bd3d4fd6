// SPDX-License-Identifier: GPL-2.0
//! Kconfig values arbor reads.

use kernel::bindings;

/// `CONFIG_SECURITY_ARBOR_PCR`: the PCR every measurement list entry names.
pub(crate) const PCR: u32 = bindings::CONFIG_SECURITY_ARBOR_PCR;
