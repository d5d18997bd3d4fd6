// SPDX-License-Identifier: GPL-2.0
//! Host build of arbor's pure format code.
//!
//! The modules are the very files the kernel compiles as `arbor::format`
//! (security/arbor/format/); nothing is copied or re-implemented here.
#![no_std]
#![forbid(unsafe_code)]

#[path = "../../../../security/arbor/format/mod.rs"]
mod shared;

pub use shared::*;
