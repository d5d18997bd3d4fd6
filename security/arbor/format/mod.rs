// SPDX-License-Identifier: GPL-2.0
//! Formats and arithmetic shared by the kernel and the host tools.
//!
//! Nothing in here depends on the kernel: no `unsafe`, no `bindings::`, no
//! allocation, no locks. The same files are compiled into the LSM (as
//! `arbor::format`) and into the host crate `arbor-format`
//! (tools/arbor/format), whose cargo tests and fuzz targets therefore
//! exercise the code that runs in the kernel: the formats, the policy
//! language, the per-inode state and the decision table of an evaluation.
//! Hashing is injected through [`merkle::Digester`], so the kernel plugs in
//! the crypto API and the host plugs in a userspace SHA implementation.

pub mod audit;
pub mod checkpoint;
pub mod decision;
pub mod digest_list;
pub mod gate;
pub mod hex;
pub mod imasig;
pub mod merkle;
pub mod mode;
pub mod policy;
pub mod state;
pub mod template;
pub mod xattr;
