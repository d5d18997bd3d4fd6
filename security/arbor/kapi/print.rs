// SPDX-License-Identifier: GPL-2.0
//! Rate limiting of log lines.

use kernel::bindings;

/// Whether a log line about an event an unprivileged user can trigger (a
/// denial, a violation) may be printed now: the kernel's shared printk rate
/// limit (`printk_ratelimit()`, tuned with the `kernel.printk_ratelimit`
/// and `kernel.printk_ratelimit_burst` sysctls). Audit records are not
/// limited by it.
pub(crate) fn log_ratelimit() -> bool {
    // SAFETY: the function name is a NUL-terminated static string; the
    // call only takes the rate limit's spinlock.
    unsafe { bindings::__printk_ratelimit(c"arbor".as_ptr().cast()) != 0 }
}
