// SPDX-License-Identifier: GPL-2.0
//! Enforcing or permissive.

use core::sync::atomic::{AtomicBool, Ordering};

/// Whether untrusted files are refused (`true`) or only logged. Starts
/// from `CONFIG_SECURITY_ARBOR_ENFORCE`; set by `arbor.enforce=` at boot and
/// by writing `/sys/kernel/security/arbor/enforce`.
static ENFORCING: AtomicBool = AtomicBool::new(cfg!(CONFIG_SECURITY_ARBOR_ENFORCE));

/// Whether arbor refuses untrusted files now.
pub(crate) fn enforcing() -> bool {
    ENFORCING.load(Ordering::Relaxed)
}

/// Switches between enforcing (`true`) and permissive.
pub(crate) fn set_enforcing(on: bool) {
    ENFORCING.store(on, Ordering::Relaxed);
}

/// Parses a mode as written to the `enforce` file or given as
/// `arbor.enforce=`: `0` or `1`, optionally followed by one newline.
pub(crate) fn parse(input: &[u8]) -> Option<bool> {
    match input.strip_suffix(b"\n").unwrap_or(input) {
        b"0" => Some(false),
        b"1" => Some(true),
        _ => None,
    }
}

/// The value of the last `arbor.enforce=` on the kernel command line, if
/// any. Parameters after a lone `--` belong to init and are not looked at.
pub(crate) fn boot_param(cmdline: &[u8]) -> Option<&[u8]> {
    let mut found = None;
    for word in cmdline.split(|&b| b == b' ' || b == b'\t' || b == b'\n') {
        if word == b"--" {
            break;
        }
        if let Some(value) = word.strip_prefix(b"arbor.enforce=") {
            found = Some(value);
        }
    }
    found
}
