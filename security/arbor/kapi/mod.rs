// SPDX-License-Identifier: GPL-2.0
//! Thin wrappers over the kernel's C interfaces.
//!
//! This module and its children are the only code in arbor that uses
//! `kernel::bindings`, and hold all of its `unsafe` code but one promise:
//! `arbor.rs` declares its blob type valid all-zero (`unsafe impl
//! Zeroable`), as drivers do for theirs. Each wrapper turns a C object or
//! call into a safe Rust type or function; nothing here knows about arbor
//! (it uses only the pure [`crate::format`] below it), and the logic above
//! is safe Rust.
//!
//! 6.12's `kernel` crate has none of these abstractions. Where a later
//! kernel's crate has one, the wrapper here has its name, its ownership
//! model and its safety conventions, so that moving to that kernel deletes
//! the file here rather than rewriting arbor:
//!
//! | here | upstream | notes |
//! |---|---|---|
//! | [`fs::File`] | `kernel::fs::File` | `&File` borrowed from a hook, `ARef<File>` owned; `from_raw_file`, `as_ptr`, `cred` |
//! | [`cred::Credential`] | `kernel::cred::Credential` | `from_ptr`, `as_ptr`, `AlwaysRefCounted` |
//! | [`seq_file::SeqFile`] | `kernel::seq_file::SeqFile` | `from_raw` gives `&SeqFile`; arbor writes bytes (`seq_write`) where upstream prints |
//! | [`rcu::Guard`], [`rcu::read_lock`] | `kernel::sync::rcu::Guard`, `read_lock` | [`rcu::Rcu`] (publication of an `Arc`) has no upstream counterpart |
//! | [`mm::VmArea`] | `kernel::mm::virt::VmaRef` | the file and `VM_EXEC` only |
//! | [`mm::Folio`] | none yet | a locked folio's position and pages, mapped one at a time |
//! | [`alloc::zeroed`] | none | a byte vector zeroed by the allocator (`__GFP_ZERO`), not one byte at a time |
//! | [`lsm::Lsm`], [`lsm::define_lsm`] | none yet | a `#[vtable]` trait, one method a hook, shaped like the kernel crate's other vtables |
//! | [`securityfs`] | none yet | files read through `seq_file` and replaced whole by one write |
//! | [`fs::Inode`], [`fs::Dentry`], [`fs::Binprm`] | none yet (`kernel::fs` has no inode or dentry on 6.12) | borrowed views |
//! | [`crypto`], [`keys`], [`tpm`], [`audit`] | none | |

pub(crate) mod alloc;
pub(crate) mod audit;
pub(crate) mod config;
pub(crate) mod cred;
pub(crate) mod crypto;
pub(crate) mod error;
pub(crate) mod fs;
pub(crate) mod global;
pub(crate) mod keys;
pub(crate) mod lsm;
pub(crate) mod mm;
pub(crate) mod print;
pub(crate) mod rcu;
pub(crate) mod securityfs;
pub(crate) mod seq_file;
pub(crate) mod task;
pub(crate) mod tpm;
