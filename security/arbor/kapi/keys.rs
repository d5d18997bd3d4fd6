// SPDX-License-Identifier: GPL-2.0
//! Signature checks through the kernel's PKCS#7 verifier and keyrings.

use kernel::bindings;
use kernel::c_str;
use kernel::error::from_err_ptr;
use kernel::prelude::*;
use kernel::str::CStr;

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

impl VerifyError {
    /// The error code the verifier returned.
    pub(crate) fn to_error(&self) -> Error {
        match self {
            Self::Rejected => Error::from_errno(-(bindings::EKEYREJECTED as i32)),
            Self::UnknownKey => Error::from_errno(-(bindings::ENOKEY as i32)),
            Self::Other(e) => *e,
        }
    }
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

/// Where the PKCS#7 verifier found the signed content, as raw address and
/// length; checked against the message before it is used.
struct ContentSpan {
    addr: usize,
    len: usize,
}

/// `view_content` callback of `verify_pkcs7_signature()`: notes where the
/// verified content is.
///
/// # Safety
///
/// `ctx` must point to a `ContentSpan`.
unsafe extern "C" fn note_content(
    ctx: *mut core::ffi::c_void,
    data: *const core::ffi::c_void,
    len: usize,
    _asn1hdrlen: usize,
) -> core::ffi::c_int {
    // SAFETY: `ctx` is the `ContentSpan` passed by `verify_pkcs7_attached`.
    let span = unsafe { &mut *ctx.cast::<ContentSpan>() };
    span.addr = data as usize;
    span.len = len;
    0
}

/// Verifies `pkcs7`, a DER PKCS#7 message that carries its content (made
/// with `openssl smime -sign -nodetach -noattr -binary -outform der`),
/// against the kernel's builtin trusted keyring only, and returns the
/// signed content: a part of `pkcs7`.
pub(crate) fn verify_pkcs7_attached(pkcs7: &[u8]) -> Result<&[u8], VerifyError> {
    let mut span = ContentSpan { addr: 0, len: 0 };
    // SAFETY: `pkcs7` is readable for its length; no detached data; a null
    // keyring means the builtin one; the callback gets `span`, which
    // outlives the call.
    let ret = unsafe {
        bindings::verify_pkcs7_signature(
            core::ptr::null(),
            0,
            pkcs7.as_ptr().cast(),
            pkcs7.len(),
            core::ptr::null_mut(),
            bindings::key_being_used_for_VERIFYING_UNSPECIFIED_SIGNATURE,
            Some(note_content),
            (&mut span as *mut ContentSpan).cast(),
        )
    };
    match ret {
        0 => {}
        e if e == -(bindings::EKEYREJECTED as i32) => return Err(VerifyError::Rejected),
        e if e == -(bindings::ENOKEY as i32) => return Err(VerifyError::UnknownKey),
        e => return Err(VerifyError::Other(Error::from_errno(e))),
    }
    // The parser points into the message it was given; find the content
    // there by address rather than trust the pointer.
    let start = span.addr.wrapping_sub(pkcs7.as_ptr() as usize);
    let malformed = || VerifyError::Other(Error::from_errno(-(bindings::EBADMSG as i32)));
    let end = start.checked_add(span.len).ok_or_else(malformed)?;
    pkcs7.get(start..end).ok_or_else(malformed)
}

/// Verifies a raw signature `sig` over `digest` (a hash made with
/// `hash_algo`, e.g. `sha256`) with the key found in the system trusted
/// keyrings under `description` (`id:` and a key id, as IMA looks keys up).
/// The encoding follows the key: X9.62 for ECDSA keys, PKCS#1 v1.5 otherwise.
pub(crate) fn verify_raw(
    description: &CStr,
    hash_algo: &CStr,
    digest: &[u8],
    sig: &[u8],
) -> Result<(), VerifyError> {
    let digest_size = u32::try_from(digest.len()).map_err(|_| VerifyError::Other(EINVAL))?;
    let sig_size = u32::try_from(sig.len()).map_err(|_| VerifyError::Other(EINVAL))?;
    // SAFETY: `description` is NUL-terminated; the result is a referenced
    // key or an error pointer.
    let key =
        from_err_ptr(unsafe { bindings::search_system_trusted_key(description.as_char_ptr()) })
            .map_err(|e| {
                if e.to_errno() == -(bindings::ENOKEY as i32) {
                    VerifyError::UnknownKey
                } else {
                    VerifyError::Other(e)
                }
            })?;
    // SAFETY: `key` is a referenced asymmetric key (the search was for that
    // type); its public key, if any, lives as long as the key.
    let pk = unsafe { bindings::asymmetric_key_public_key(key) };
    let result = if pk.is_null() {
        Err(VerifyError::UnknownKey)
    } else {
        // SAFETY: `pk` is valid while we hold `key`; `pkey_algo` is a static
        // NUL-terminated string set by the key parser.
        let pkey_algo = unsafe { (*pk).pkey_algo };
        // SAFETY: as above.
        let algo = unsafe { CStr::from_char_ptr(pkey_algo) };
        let encoding = if algo.as_bytes().starts_with(b"ecdsa") {
            c_str!("x962")
        } else {
            c_str!("pkcs1")
        };
        // SAFETY: all-zero is a valid `public_key_signature` (null pointers,
        // no auth ids); the fields set below point to buffers that outlive the
        // call, which only reads them.
        let mut pks: bindings::public_key_signature = unsafe { core::mem::zeroed() };
        pks.s = sig.as_ptr().cast_mut();
        pks.s_size = sig_size;
        pks.digest = digest.as_ptr().cast_mut();
        pks.digest_size = digest_size;
        pks.pkey_algo = pkey_algo;
        pks.hash_algo = hash_algo.as_char_ptr();
        pks.encoding = encoding.as_char_ptr();
        // SAFETY: a referenced key and a fully initialised signature.
        match unsafe { bindings::verify_signature(key, &pks) } {
            0 => Ok(()),
            e if e == -(bindings::EKEYREJECTED as i32) || e == -(bindings::EBADMSG as i32) => {
                Err(VerifyError::Rejected)
            }
            e => Err(VerifyError::Other(Error::from_errno(e))),
        }
    };
    // SAFETY: drops the reference the search took.
    unsafe { bindings::key_put(key) };
    result
}
