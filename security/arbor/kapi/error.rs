// SPDX-License-Identifier: GPL-2.0
//! Error codes that 6.12's `kernel::error::code` does not declare.

use kernel::bindings;
use kernel::error::Error;

fn code(errno: u32) -> Error {
    // `errno` is one of the kernel's own positive codes, so the negated
    // value is a valid error (from_errno would map anything else to EINVAL).
    Error::from_errno(-(errno as i32))
}

/// `EBADMSG`: not a valid message (a digest that does not match).
pub(crate) fn ebadmsg() -> Error {
    code(bindings::EBADMSG)
}

/// `EOVERFLOW`: a value too large for its type.
pub(crate) fn eoverflow() -> Error {
    code(bindings::EOVERFLOW)
}

/// `ESTALE`: what was referred to has gone.
pub(crate) fn estale() -> Error {
    code(bindings::ESTALE)
}

/// `ENODATA`: no data where some was expected (a list without signature).
pub(crate) fn enodata() -> Error {
    code(bindings::ENODATA)
}
