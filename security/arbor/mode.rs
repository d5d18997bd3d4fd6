// SPDX-License-Identifier: GPL-2.0
//! Enforcing or permissive, and the one-way lock that keeps arbor enforcing.

pub(crate) use crate::format::mode::{action, boot_param, name, parse_flag, show_flag};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;

/// Whether untrusted files are refused (`true`) or only logged. Starts
/// from `CONFIG_SECURITY_ARBOR_ENFORCE`; set by `arbor.enforce=` at boot and
/// by writing `/sys/kernel/security/arbor/enforce`.
static ENFORCING: AtomicBool = AtomicBool::new(cfg!(CONFIG_SECURITY_ARBOR_ENFORCE));

/// Whether arbor is locked in enforcing mode: set by
/// `CONFIG_SECURITY_ARBOR_LOCKDOWN`, `arbor.lockdown=1` or writing `1` to
/// `/sys/kernel/security/arbor/lockdown`, and never cleared. While it is
/// set, arbor enforces whatever `enforce` was, the mode cannot be switched
/// back to permissive, and only signed policies are accepted.
static LOCKED: AtomicBool = AtomicBool::new(cfg!(CONFIG_SECURITY_ARBOR_LOCKDOWN));

/// Whether arbor refuses untrusted files now.
pub(crate) fn enforcing() -> bool {
    // Locking sets `ENFORCING` too; reading both keeps a lock that raced
    // with a switch to permissive enforcing.
    ENFORCING.load(Ordering::Relaxed) || LOCKED.load(Ordering::Relaxed)
}

/// Whether arbor is locked in enforcing mode.
pub(crate) fn locked() -> bool {
    LOCKED.load(Ordering::Relaxed)
}

/// Switches between enforcing (`true`) and permissive. Fails with `EPERM`
/// when switching to permissive while locked.
pub(crate) fn set_enforcing(on: bool) -> Result {
    if !on && locked() {
        return Err(EPERM);
    }
    ENFORCING.store(on, Ordering::Relaxed);
    Ok(())
}

/// Locks arbor in enforcing mode, for good. Returns whether it was not
/// locked before.
pub(crate) fn lock() -> bool {
    ENFORCING.store(true, Ordering::Relaxed);
    !LOCKED.swap(true, Ordering::Relaxed)
}
