// SPDX-License-Identifier: GPL-2.0
//! Read-only securityfs files served through `seq_file`.
//!
//! A file's content is a sequence of records described by a [`SeqSource`]:
//! `seq_file` asks for record `pos`, and the source renders it. Records are
//! addressed by index, so a reader that returns for the next chunk resumes
//! at the record where it stopped; each record is rendered whole in one
//! `show` call, so a reader never sees part of one.

use crate::format::template::Sink;
use core::ffi::{c_int, c_void};
use core::marker::PhantomData;
use kernel::alloc::{flags::GFP_KERNEL, KVVec};
use kernel::bindings;
use kernel::error::from_err_ptr;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::types::Opaque;

/// The `seq_file` a record is being rendered into.
///
/// # Invariants
///
/// The wrapped `struct seq_file` is valid for the borrow's lifetime.
#[repr(transparent)]
pub(crate) struct SeqFile(Opaque<bindings::seq_file>);

impl SeqFile {
    /// # Safety
    ///
    /// `ptr` must be a valid seq_file for `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::seq_file) -> &'a mut Self {
        // SAFETY: transparent wrapper; validity is the caller's promise.
        unsafe { &mut *ptr.cast() }
    }
}

/// The record did not fit in the `seq_file` buffer; `seq_file` retries it
/// whole with a larger buffer.
#[derive(Debug)]
pub(crate) struct Overflow;

impl Sink for SeqFile {
    type Error = Overflow;

    fn put(&mut self, bytes: &[u8]) -> Result<(), Overflow> {
        // SAFETY: a valid seq_file by the type invariant; `bytes` is readable.
        let ret = unsafe { bindings::seq_write(self.0.get(), bytes.as_ptr().cast(), bytes.len()) };
        if ret == 0 {
            Ok(())
        } else {
            Err(Overflow)
        }
    }
}

/// The records of a securityfs file.
pub(crate) trait SeqSource: 'static {
    /// Whether record `index` exists.
    fn exists(index: usize) -> bool;
    /// Renders record `index`.
    fn show(index: usize, m: &mut SeqFile) -> Result<(), Overflow>;
}

/// The C tables for a [`SeqSource`].
struct Adapter<S>(PhantomData<S>);

impl<S: SeqSource> Adapter<S> {
    const SEQ_OPS: bindings::seq_operations = bindings::seq_operations {
        start: Some(Self::start),
        stop: Some(Self::stop),
        next: Some(Self::next),
        show: Some(Self::show),
    };

    const FILE_OPS: bindings::file_operations = bindings::file_operations {
        open: Some(Self::open),
        read: Some(bindings::seq_read),
        llseek: Some(bindings::seq_lseek),
        release: Some(bindings::seq_release),
        // SAFETY: all-zero is valid for the remaining fields (null
        // function pointers, no flags).
        ..unsafe { core::mem::MaybeUninit::zeroed().assume_init() }
    };

    const fn file_ops() -> &'static bindings::file_operations {
        &Self::FILE_OPS
    }

    /// The position cookie: index + 1, so that record 0 is not NULL.
    fn token(pos: i64) -> *mut c_void {
        match usize::try_from(pos) {
            Ok(i) if S::exists(i) => i.wrapping_add(1) as *mut c_void,
            _ => core::ptr::null_mut(),
        }
    }

    /// # Safety
    ///
    /// Called by the VFS with the inode and file being opened.
    unsafe extern "C" fn open(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: `file` is being opened; the ops table is 'static.
        unsafe { bindings::seq_open(file, &Self::SEQ_OPS) }
    }

    /// # Safety
    ///
    /// Called by `seq_file` with its seq_file and a valid position pointer.
    unsafe extern "C" fn start(_m: *mut bindings::seq_file, pos: *mut i64) -> *mut c_void {
        // SAFETY: seq_file passes a valid position pointer.
        Self::token(unsafe { *pos })
    }

    /// # Safety
    ///
    /// Called by `seq_file` with its seq_file and a valid position pointer.
    unsafe extern "C" fn next(
        _m: *mut bindings::seq_file,
        _v: *mut c_void,
        pos: *mut i64,
    ) -> *mut c_void {
        // SAFETY: seq_file passes a valid position pointer.
        let p = unsafe { &mut *pos };
        *p = p.saturating_add(1);
        Self::token(*p)
    }

    /// # Safety
    ///
    /// Called by `seq_file`; it touches nothing.
    unsafe extern "C" fn stop(_m: *mut bindings::seq_file, _v: *mut c_void) {}

    /// # Safety
    ///
    /// Called by `seq_file` with its valid seq_file and a token from `start`/`next`.
    unsafe extern "C" fn show(m: *mut bindings::seq_file, v: *mut c_void) -> c_int {
        let index = (v as usize).wrapping_sub(1);
        // SAFETY: seq_file passes its own valid seq_file.
        let m = unsafe { SeqFile::from_raw(m) };
        // On overflow seq_file notices the full buffer and retries the
        // record with a larger one; the return value does not matter.
        let _ = S::show(index, m);
        0
    }
}

/// Admits a write to one of arbor's writable files: the writer needs
/// `CAP_MAC_ADMIN` (else `EPERM`), and the value must come whole, in one
/// write at offset 0 (else `EINVAL`). Returns the `write()` error.
fn admit_write(pos: &bindings::loff_t) -> Result<(), isize> {
    if !super::task::capable_mac_admin() {
        return Err(EPERM.to_errno() as isize);
    }
    if *pos != 0 {
        return Err(EINVAL.to_errno() as isize);
    }
    Ok(())
}

/// Copies the `count` bytes a writer passed into `buf` and hands them to
/// `store`; returns what `write()` returns.
///
/// # Safety
///
/// `ubuf` must be the user buffer of `count` bytes that the VFS passed with
/// the position `pos`, and `buf` must have room for `count` bytes.
unsafe fn copy_and_store(
    buf: &mut [u8],
    ubuf: *const kernel::ffi::c_char,
    count: usize,
    pos: &mut bindings::loff_t,
    store: impl FnOnce(&[u8]) -> Result,
) -> isize {
    // SAFETY: `buf` is writable for its length; the user buffer and the
    // position are as the caller promised.
    let n = unsafe {
        bindings::simple_write_to_buffer(
            buf.as_mut_ptr().cast(),
            buf.len(),
            pos,
            ubuf.cast(),
            count,
        )
    };
    let Ok(len) = usize::try_from(n) else {
        return n;
    };
    // `simple_write_to_buffer` returns what it could copy when part of the
    // user buffer faults: a value cut short is not the value written, and
    // must change nothing.
    if len != count {
        return EFAULT.to_errno() as isize;
    }
    match store(buf.get(..len).unwrap_or_default()) {
        Ok(()) => n,
        Err(e) => e.to_errno() as isize,
    }
}

/// A securityfs file whose content is read through `seq_file` and replaced
/// whole by one `write()` (like IPE's policy files).
pub(crate) trait Replaceable: SeqSource {
    /// Largest write accepted.
    const MAX_WRITE: usize;
    /// Applies `input`, written by a task with `CAP_MAC_ADMIN`.
    fn store(input: &[u8]) -> Result;
    /// Reports a write over [`Self::MAX_WRITE`], refused unread; returns
    /// the error for the writer.
    fn too_big() -> Error;
}

struct ReplaceableAdapter<R>(PhantomData<R>);

impl<R: Replaceable> ReplaceableAdapter<R> {
    const FILE_OPS: bindings::file_operations = bindings::file_operations {
        open: Some(Adapter::<R>::open),
        read: Some(bindings::seq_read),
        write: Some(Self::write),
        llseek: Some(bindings::seq_lseek),
        release: Some(bindings::seq_release),
        // SAFETY: all-zero is valid for the remaining fields.
        ..unsafe { core::mem::MaybeUninit::zeroed().assume_init() }
    };

    /// # Safety
    ///
    /// Called by the VFS with a user buffer of `count` bytes and a valid
    /// position pointer.
    unsafe extern "C" fn write(
        _file: *mut bindings::file,
        ubuf: *const kernel::ffi::c_char,
        count: usize,
        ppos: *mut bindings::loff_t,
    ) -> isize {
        // SAFETY: the VFS passes a valid position pointer.
        let pos = unsafe { &mut *ppos };
        // One write replaces the content. A later write on the same open
        // file (a writer that split its data) is refused rather than taken
        // as a whole new content.
        if let Err(e) = admit_write(pos) {
            return e;
        }
        if count > R::MAX_WRITE {
            return R::too_big().to_errno() as isize;
        }
        let Ok(mut buf) = KVVec::from_elem(0u8, count, GFP_KERNEL) else {
            return ENOMEM.to_errno() as isize;
        };
        // SAFETY: the VFS passes the user buffer of `count` bytes and its
        // position; `buf` has room for `count` bytes.
        unsafe { copy_and_store(&mut buf, ubuf, count, pos, R::store) }
    }
}

/// Creates the file `name` in `parent` with permission bits `mode`, read
/// through `R`'s records and replaced by writes (which also need
/// `CAP_MAC_ADMIN`).
pub(crate) fn create_replaceable_file<R: Replaceable>(
    name: &CStr,
    mode: u16,
    parent: &Node,
) -> Result<Node> {
    create(name, mode, parent, &ReplaceableAdapter::<R>::FILE_OPS)
}

/// A securityfs directory or file. arbor's nodes live as long as the kernel,
/// so this type never removes anything.
///
/// # Invariants
///
/// `0` is a valid dentry returned by securityfs.
pub(crate) struct Node(*mut bindings::dentry);

/// Creates the directory `name` (under `/sys/kernel/security/`, or `parent`).
pub(crate) fn create_dir(name: &CStr, parent: Option<&Node>) -> Result<Node> {
    let parent = parent.map_or(core::ptr::null_mut(), |p| p.0);
    // SAFETY: `name` is NUL-terminated; `parent` is null or a valid dentry.
    let d = from_err_ptr(unsafe { bindings::securityfs_create_dir(name.as_char_ptr(), parent) })?;
    // INVARIANT: securityfs returned a valid dentry.
    Ok(Node(d))
}

/// Creates the file `name` in `parent` with permission bits `mode` and the
/// file operations `fops`.
fn create(
    name: &CStr,
    mode: u16,
    parent: &Node,
    fops: &'static bindings::file_operations,
) -> Result<Node> {
    // SAFETY: `name` is NUL-terminated; `parent` is a valid dentry; the
    // file operations are 'static.
    let d = from_err_ptr(unsafe {
        bindings::securityfs_create_file(
            name.as_char_ptr(),
            bindings::S_IFREG as u16 | mode,
            parent.0,
            core::ptr::null_mut(),
            fops,
        )
    })?;
    // INVARIANT: securityfs returned a valid dentry.
    Ok(Node(d))
}

/// Creates the read-only file `name` in `parent` with permission bits
/// `mode`, its content rendered by `S`.
pub(crate) fn create_file<S: SeqSource>(name: &CStr, mode: u16, parent: &Node) -> Result<Node> {
    create(name, mode, parent, Adapter::<S>::file_ops())
}

/// A small control file that root can write, like SELinux's `enforce`.
pub(crate) trait Control: 'static {
    /// Renders the current value into `buf`; returns its length.
    fn show(buf: &mut [u8; CONTROL_MAX]) -> usize;
    /// Applies `input`, written by a task with `CAP_MAC_ADMIN`.
    fn store(input: &[u8]) -> Result;
}

/// Longest value a control file reads or accepts.
pub(crate) const CONTROL_MAX: usize = 32;

struct ControlAdapter<C>(PhantomData<C>);

impl<C: Control> ControlAdapter<C> {
    const FILE_OPS: bindings::file_operations = bindings::file_operations {
        read: Some(Self::read),
        write: Some(Self::write),
        llseek: Some(bindings::generic_file_llseek),
        // SAFETY: all-zero is valid for the remaining fields.
        ..unsafe { core::mem::MaybeUninit::zeroed().assume_init() }
    };

    const fn file_ops() -> &'static bindings::file_operations {
        &Self::FILE_OPS
    }

    /// # Safety
    ///
    /// Called by the VFS with a user buffer of `count` bytes and a valid
    /// position pointer.
    unsafe extern "C" fn read(
        _file: *mut bindings::file,
        ubuf: *mut kernel::ffi::c_char,
        count: usize,
        ppos: *mut bindings::loff_t,
    ) -> isize {
        let mut buf = [0u8; CONTROL_MAX];
        let n = C::show(&mut buf).min(CONTROL_MAX);
        // SAFETY: the VFS passes a user buffer of `count` bytes and a valid
        // position; `buf` holds `n` initialised bytes.
        unsafe {
            bindings::simple_read_from_buffer(ubuf.cast(), count, ppos, buf.as_ptr().cast(), n)
        }
    }

    /// # Safety
    ///
    /// Called by the VFS with a user buffer of `count` bytes and a valid
    /// position pointer.
    unsafe extern "C" fn write(
        _file: *mut bindings::file,
        ubuf: *const kernel::ffi::c_char,
        count: usize,
        ppos: *mut bindings::loff_t,
    ) -> isize {
        // SAFETY: the VFS passes a valid position pointer.
        let pos = unsafe { &mut *ppos };
        if let Err(e) = admit_write(pos) {
            return e;
        }
        if count >= CONTROL_MAX {
            return EINVAL.to_errno() as isize;
        }
        let mut buf = [0u8; CONTROL_MAX];
        // SAFETY: the VFS passes the user buffer of `count` bytes and its
        // position; `buf` has room for `count` bytes (checked above).
        unsafe { copy_and_store(&mut buf, ubuf, count, pos, C::store) }
    }
}

/// Creates the control file `name` in `parent` with permission bits `mode`;
/// writes also need `CAP_MAC_ADMIN`.
pub(crate) fn create_control_file<C: Control>(
    name: &CStr,
    mode: u16,
    parent: &Node,
) -> Result<Node> {
    create(name, mode, parent, ControlAdapter::<C>::file_ops())
}
