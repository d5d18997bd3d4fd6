// SPDX-License-Identifier: GPL-2.0
//! Facts about the current task, for policy requests, audit records and
//! permission checks.

use kernel::bindings;

/// The current task's real and effective uids, in the initial user
/// namespace, read from one view of its credentials.
pub(crate) fn uids() -> (u32, u32) {
    // SAFETY: the current task is valid; its `cred` pointer is changed
    // only by the task itself (`commit_creds`), which is running this
    // code, so the credentials stay referenced while they are read (what
    // `current_cred()` relies on too).
    unsafe {
        let cred = (*bindings::get_current()).cred;
        ((*cred).uid.val, (*cred).euid.val)
    }
}

/// The current task's login uid (audit's `auid`), in the initial user
/// namespace: 4294967295 when unset (or without `CONFIG_AUDITSYSCALL`).
pub(crate) fn login_uid() -> u32 {
    // SAFETY: the current task is valid; `audit_get_loginuid` reads its
    // login uid, which is set once per session and read as one word.
    unsafe { bindings::audit_get_loginuid(bindings::get_current()) }.val
}

/// The current task's audit session id: 4294967295 when unset (or
/// without `CONFIG_AUDITSYSCALL`).
pub(crate) fn session_id() -> u32 {
    // SAFETY: the current task is valid; `audit_get_sessionid` reads one
    // word of it.
    unsafe { bindings::audit_get_sessionid(bindings::get_current()) }
}

/// The current process id (thread group id), as `getpid()` returns it in
/// the initial pid namespace.
pub(crate) fn pid() -> i32 {
    // SAFETY: the current task is valid; `tgid` is set at fork and never
    // changes afterwards.
    unsafe { (*bindings::get_current()).tgid }
}

/// The current task's command name, up to its first NUL.
pub(crate) fn comm(buf: &mut [u8; 16]) -> &[u8] {
    // SAFETY: the current task is valid and `comm` is a 16-byte array
    // inside it; only its address is taken.
    let comm = unsafe { core::ptr::addr_of!((*bindings::get_current()).comm) };
    for (i, dst) in buf.iter_mut().enumerate() {
        // SAFETY: `i` is below 16, so the byte is inside `comm`. Another
        // thread may rename the task (`/proc/PID/comm`), as
        // `get_task_comm()` also tolerates: each byte is read on its own,
        // volatile, and the result is cut at the first NUL.
        *dst = unsafe { comm.cast::<u8>().add(i).read_volatile() };
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    buf.get(..end).unwrap_or_default()
}

/// Whether the current task has `CAP_MAC_ADMIN` (and the audit trail of
/// using it).
pub(crate) fn capable_mac_admin() -> bool {
    // SAFETY: `capable` only reads the current task's credentials.
    unsafe { bindings::capable(bindings::CAP_MAC_ADMIN as i32) }
}

/// Yields the CPU if a reschedule is due, for long loops. May sleep: for
/// contexts that can (the hooks that hash files; see `crate::hooks`).
pub(crate) fn cond_resched() {
    // SAFETY: `cond_resched` has no precondition; whether sleeping is
    // allowed here is the caller's context rule, as for any sleeping
    // function, and no arbor caller holds a spinlock or an RCU read lock.
    unsafe { bindings::cond_resched() };
}

/// Whether the current task has been sent a fatal signal.
pub(crate) fn fatal_signal_pending() -> bool {
    // SAFETY: `get_current()` is always valid in process context.
    unsafe { bindings::fatal_signal_pending(bindings::get_current()) }
}

/// Runs `f` with the current task's allocations barred from filesystem
/// reclaim (`memalloc_nofs_save`): for work done inside a filesystem's
/// read completion, where reclaim could wait for what the caller holds.
pub(crate) fn without_fs_reclaim<R>(f: impl FnOnce() -> R) -> R {
    // SAFETY: no precondition; the scope is closed below, on this task.
    let flags = unsafe { bindings::memalloc_nofs_save() };
    let r = f();
    // SAFETY: `flags` came from the `memalloc_nofs_save` above, on this
    // task, and scopes opened inside `f` were closed by it.
    unsafe { bindings::memalloc_nofs_restore(flags) };
    r
}
