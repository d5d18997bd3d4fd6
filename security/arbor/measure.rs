// SPDX-License-Identifier: GPL-2.0
//! Measurement: append a file's digest to the list, once per content version.

use crate::digest;
use crate::format::merkle::{Digest, HashAlgorithm};
use crate::format::template::{DigestType, Field, Template};
use crate::kapi::file::File;
use crate::kapi::lsm::inode_state;
use crate::log::Entry;
use crate::Arbor;
use kernel::alloc::{flags::GFP_KERNEL, KVec};
use kernel::prelude::*;

/// The PCR named in every entry (`CONFIG_SECURITY_ARBOR_PCR`).
pub(crate) const PCR: u32 = crate::kapi::config::PCR;

/// Longest path recorded; longer ones are recorded by their last component.
const PATH_MAX: usize = 4096;

/// Which hook asks for the measurement, for log lines.
#[derive(Clone, Copy)]
pub(crate) enum Hook {
    /// `bprm_check_security`.
    Exec,
}

impl Hook {
    fn name(self) -> &'static str {
        match self {
            Self::Exec => "exec",
        }
    }
}

/// Measures `file` unless its current content is already in the list.
///
/// A digest that cannot be computed (I/O error, file changed while read)
/// is recorded as all zeros, so the list still shows that the file was
/// used; the next use tries again. Only a fatal signal, which ends the
/// calling task before the file can run, skips the entry.
pub(crate) fn measure(arbor: &Arbor, file: &File, hook: Hook) -> Result {
    let state = inode_state(file.inode());
    let version = state.map_or(0, |s| s.version());
    if state.is_some_and(|s| s.is_measured(version)) {
        return Ok(());
    }

    let mut pathbuf = KVec::from_elem(0u8, PATH_MAX, GFP_KERNEL)?;
    let path = file.path(&mut pathbuf);

    let (alg, digest, measured) = match digest::file_digest(file, &arbor.sha256) {
        Ok((alg, digest, _source)) => (alg, digest, true),
        Err(e) if e == EINTR => return Err(e),
        Err(e) => {
            pr_warn!(
                "{}: cannot compute the digest of {} (error {}); recording an all-zero digest\n",
                hook.name(),
                BStr(path),
                e.to_errno()
            );
            (
                HashAlgorithm::Sha256,
                Digest::zero(HashAlgorithm::Sha256),
                false,
            )
        }
    };

    let fields = [
        Field::DigestNgV2 {
            kind: DigestType::Verity,
            alg: alg.name(),
            digest: digest.as_bytes(),
        },
        Field::NameNg(path),
    ];
    let entry = Entry::new(PCR, Template::ImaNgV2, &fields, &arbor.sha1)?;
    arbor
        .list
        .append(entry, &arbor.sha1, &arbor.sha256, || match state {
            // Another task may have measured this version while we hashed.
            Some(s) if s.is_measured(version) => false,
            Some(s) => {
                if measured {
                    s.set_measured(version);
                }
                true
            }
            None => true,
        })?;
    Ok(())
}

/// Displays a byte string with non-printable bytes escaped.
struct BStr<'a>(&'a [u8]);

impl core::fmt::Display for BStr<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for &b in self.0 {
            if b.is_ascii_graphic() || b == b' ' {
                core::fmt::Write::write_char(f, char::from(b))?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}
