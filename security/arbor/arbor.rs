// SPDX-License-Identifier: GPL-2.0
//! arbor: a Linux Security Module that identifies files by their fs-verity
//! digest and keeps an IMA-compatible measurement list.
//!
//! Layout, each layer using only those below it: [`format`] holds the pure
//! formats and decisions shared with the host tools; [`kapi`] wraps the C
//! interfaces (the only `unsafe` code) and knows nothing of arbor; the
//! other modules are arbor, in safe Rust, entered through its
//! implementation of [`kapi::lsm::Lsm`] in [`hooks`]. See
//! Documentation/security/arbor.rst.

mod appraise;
mod audit;
mod digest;
mod digest_lists;
mod gate;
mod hooks;
mod init;
mod kapi;
mod list;
mod measure;
mod mode;
mod policy;
mod securityfs;

pub mod format;

use format::state::InodeState;
use kapi::crypto::Shash;
use kapi::fs::Inode;
use kapi::global::Global;
use kernel::c_str;
use kernel::prelude::*;

const __LOG_PREFIX: &[u8] = b"arbor\0";

/// arbor's global state, set up at late_initcall time.
#[pin_data]
struct Arbor {
    /// SHA-256: Merkle trees, file digests, the SHA-256 PCR bank.
    sha256: Shash,
    /// SHA-512: digests of files signed with SHA-512 trees.
    sha512: Shash,
    /// SHA-1: template digests, the SHA-1 PCR bank.
    sha1: Shash,
    /// The TPM, if the machine has one.
    tpm: Option<kapi::tpm::Tpm>,
    #[pin]
    list: list::MeasurementList,
    /// Serialises policy writes.
    #[pin]
    policy_lock: kernel::sync::Mutex<()>,
    /// Serialises digest-list loads and removals.
    #[pin]
    lists_lock: kernel::sync::Mutex<()>,
}

impl Arbor {
    fn new() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            sha256: Shash::new(c_str!("sha256"))?,
            sha512: Shash::new(c_str!("sha512"))?,
            sha1: Shash::new(c_str!("sha1"))?,
            tpm: kapi::tpm::Tpm::default_chip()?,
            list <- list::MeasurementList::new(),
            policy_lock <- kernel::new_mutex!((), "arbor_policy_write"),
            lists_lock <- kernel::new_mutex!((), "arbor_digest_lists_write"),
        }? Error)
    }
}

impl Arbor {
    /// The transform for `alg`.
    fn hash(&self, alg: format::merkle::HashAlgorithm) -> &Shash {
        match alg {
            format::merkle::HashAlgorithm::Sha256 => &self.sha256,
            format::merkle::HashAlgorithm::Sha512 => &self.sha512,
        }
    }

    /// The transforms the measurement list uses.
    fn hashes(&self) -> list::Hashes<'_> {
        list::Hashes {
            sha1: &self.sha1,
            sha256: &self.sha256,
        }
    }
}

/// The state, once `late_init` has run.
static ARBOR: Global<Arbor> = Global::new();

kapi::lsm::define_lsm!(Arbor);

/// arbor's part of an inode's security blob.
struct InodeBlob {
    /// What was done for the inode's versions.
    state: InodeState,
    /// The leaves its pages are checked against, if they are (see
    /// [`gate`]).
    gate: gate::PageLeaves,
}

// SAFETY: every field of `InodeState` is an atomic integer or boolean, for
// which all-zero is a valid value (zero, false): the state of an inode
// nothing was done for; `PageLeaves` is a null pointer when all-zero: no
// leaves.
unsafe impl kernel::init::Zeroable for InodeBlob {}

/// arbor's part of `inode`'s security blob.
fn inode_blob(inode: &Inode) -> Option<&InodeBlob> {
    kapi::lsm::inode_blob::<Arbor>(inode)
}

/// arbor's state for `inode` (in its part of the inode's security blob).
fn inode_state(inode: &Inode) -> Option<&InodeState> {
    inode_blob(inode).map(|b| &b.state)
}
