// SPDX-License-Identifier: GPL-2.0
//! Thin wrappers over the kernel's C interfaces.
//!
//! This module and its children are the only code in arbor that uses
//! `kernel::bindings` or `unsafe`. Each wrapper turns a C object or call
//! into a safe Rust type or function; the measurement logic above them is
//! safe Rust.

pub(crate) mod audit;
pub(crate) mod config;
pub(crate) mod crypto;
pub(crate) mod file;
pub(crate) mod global;
pub(crate) mod keys;
pub(crate) mod lsm;
pub(crate) mod rcu;
pub(crate) mod securityfs;
pub(crate) mod task;
pub(crate) mod tpm;
