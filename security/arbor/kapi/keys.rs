// SPDX-License-Identifier: GPL-2.0
//! Signature checks through the kernel's PKCS#7 verifier and keyrings.

use kernel::bindings;
use kernel::prelude::*;

/// `VERIFY_USE_SECONDARY_KEYRING`: a sentinel pointer value (a C macro
/// bindgen cannot see) asking for the builtin and the secondary trusted
/// keyrings.
const BUILTIN_AND_SECONDARY_KEYRINGS: *mut bindings::key = 1usize as *mut bindings::key;

/// Why `verify_pkcs7_signature()` did not accept a signature.
#[derive(Debug)]
pub(crate) enum VerifyError {
    /// `EKEYREJECTED`: the signature does not match the data or the key.
    Rejected,
    /// `ENOKEY`: the signer's key is on neither keyring.
    UnknownKey,
    /// Anything else: a malformed message (`EBADMSG`), an algorithm the
    /// kernel lacks (`ENOPKG`), no memory.
    Other(Error),
}

/// Verifies a detached DER PKCS#7 signature `pkcs7` over `data` against
/// the kernel's builtin trusted keyring and, where the kernel has one, the
/// secondary trusted keyring.
pub(crate) fn verify_pkcs7(data: &[u8], pkcs7: &[u8]) -> Result<(), VerifyError> {
    // SAFETY: both slices are readable for their lengths; the keyring
    // argument is the documented sentinel; no content callback.
    let ret = unsafe {
        bindings::verify_pkcs7_signature(
            data.as_ptr().cast(),
            data.len(),
            pkcs7.as_ptr().cast(),
            pkcs7.len(),
            BUILTIN_AND_SECONDARY_KEYRINGS,
            bindings::key_being_used_for_VERIFYING_UNSPECIFIED_SIGNATURE,
            None,
            core::ptr::null_mut(),
        )
    };
    match ret {
        0 => Ok(()),
        e if e == -(bindings::EKEYREJECTED as i32) => Err(VerifyError::Rejected),
        e if e == -(bindings::ENOKEY as i32) => Err(VerifyError::UnknownKey),
        e => Err(VerifyError::Other(Error::from_errno(e))),
    }
}

/// Whether the current task has `CAP_MAC_ADMIN` (and the audit trail of
/// using it).
pub(crate) fn capable_mac_admin() -> bool {
    // SAFETY: `capable` only reads the current task's credentials.
    unsafe { bindings::capable(bindings::CAP_MAC_ADMIN as i32) }
}
