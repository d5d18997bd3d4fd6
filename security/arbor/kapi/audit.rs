// SPDX-License-Identifier: GPL-2.0
//! Emitting one audit record: through the audit subsystem when the kernel
//! has one (`CONFIG_AUDIT`), else as a kernel log line.

/// Emits `text` (one line of fields, no newline) as an audit record of
/// type `record_type`.
#[cfg(CONFIG_AUDIT)]
pub(crate) fn log(record_type: u32, text: &[u8]) {
    use kernel::bindings;
    let Ok(len) = core::ffi::c_int::try_from(text.len()) else {
        return;
    };
    let Ok(kind) = core::ffi::c_int::try_from(record_type) else {
        return;
    };
    // SAFETY: `audit_context()` is the current task's, valid while it
    // runs; `audit_log_start` has no other precondition. (With GFP_KERNEL
    // it may sleep: like every function here that may sleep, this one is
    // for contexts that can, which all of arbor's callers are: hooks in
    // process context and securityfs writes; no caller holds a spinlock or
    // an RCU read lock, see `hooks` and `rcu`.)
    let ab =
        unsafe { bindings::audit_log_start(bindings::audit_context(), bindings::GFP_KERNEL, kind) };
    if ab.is_null() {
        // Audit is not initialised, or the type is filtered out.
        return;
    }
    // SAFETY: `ab` is a live buffer from `audit_log_start`; the format
    // takes a length and a pointer to that many readable bytes.
    unsafe {
        bindings::audit_log_format(ab, c"%.*s".as_ptr().cast(), len, text.as_ptr());
        bindings::audit_log_end(ab);
    }
}

/// Emits `text` (one line of fields, no newline) as an audit record of
/// type `record_type`: without an audit subsystem, a kernel log line.
#[cfg(not(CONFIG_AUDIT))]
pub(crate) fn log(record_type: u32, text: &[u8]) {
    use kernel::prelude::*;
    pr_notice!(
        "audit: type={} {}\n",
        record_type,
        core::str::from_utf8(text).unwrap_or("(unprintable record)")
    );
}
