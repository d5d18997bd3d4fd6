// SPDX-License-Identifier: GPL-2.0
//! securityfs files: read through `seq_file`, replaced whole by one write.
//!
//! A file's content is a sequence of records described by a [`SeqSource`]:
//! `seq_file` asks for record `pos`, and the source renders it. Records are
//! addressed by index, so a reader that returns for the next chunk resumes
//! at the record where it stopped; each record is rendered whole in one
//! `show` call, so a reader never sees part of one. A source whose records
//! can go away (a trimmed measurement list) may move a reader forward from
//! position 0 to its first record, and fails the read, rather than skip a
//! record, when the one a reader was about to read has gone.
//!
//! A file that can be written also implements [`Writable`]: one `write()`
//! at offset 0, by a task with `CAP_MAC_ADMIN`, carries the whole new
//! value, which is copied in and handed to [`Writable::store`].

use super::seq_file::{Overflow, SeqFile};
use core::ffi::{c_int, c_void};
use core::marker::PhantomData;
use kernel::alloc::{flags::GFP_KERNEL, KVVec};
use kernel::bindings;
use kernel::error::from_err_ptr;
use kernel::prelude::*;
use kernel::str::CStr;

/// Why a record was not shown.
pub(crate) enum ShowError {
    /// It did not fit: `seq_file` retries it whole with a larger buffer.
    Overflow,
    /// It cannot be shown; the read fails with this error.
    Failed(Error),
}

impl From<Overflow> for ShowError {
    fn from(_: Overflow) -> Self {
        Self::Overflow
    }
}

/// The records of a securityfs file.
pub(crate) trait SeqSource: 'static {
    /// The record a reader at position `pos` reads next: `Ok(Some(i))` for
    /// record `i` (`i >= pos`; the reader's position moves there; a source
    /// whose records stay put returns `pos` while it exists), `Ok(None)`
    /// at the end, or an error that fails the read.
    fn seek(pos: usize) -> Result<Option<usize>>;
    /// Renders record `index`.
    fn show(index: usize, m: &SeqFile) -> Result<(), ShowError>;
}

/// A securityfs file whose value is replaced by one `write()`.
pub(crate) trait Writable: SeqSource {
    /// Largest write accepted.
    const MAX_WRITE: usize;
    /// Applies `input`, written whole by a task with `CAP_MAC_ADMIN`.
    fn store(input: &[u8]) -> Result;
    /// Reports a write over [`Self::MAX_WRITE`], refused unread; returns
    /// the error for the writer.
    fn too_big() -> Error {
        EINVAL
    }
}

/// The C tables for a file of records `S`.
struct Adapter<S>(PhantomData<S>);

impl<S: SeqSource> Adapter<S> {
    const SEQ_OPS: bindings::seq_operations = bindings::seq_operations {
        start: Some(Self::start),
        stop: Some(Self::stop),
        next: Some(Self::next),
        show: Some(Self::show),
    };

    const READ_ONLY: bindings::file_operations = bindings::file_operations {
        open: Some(Self::open),
        read: Some(bindings::seq_read),
        llseek: Some(bindings::seq_lseek),
        release: Some(bindings::seq_release),
        // SAFETY: all-zero is valid for the remaining fields (null
        // function pointers, no flags).
        ..unsafe { core::mem::MaybeUninit::zeroed().assume_init() }
    };

    /// The position cookie of the record a reader at `*pos` reads next:
    /// its index + 1, so that record 0 is not NULL; NULL at the end; an
    /// error pointer when the read must fail. Moves `*pos` to the record.
    fn token(pos: &mut i64) -> *mut c_void {
        let Ok(p) = usize::try_from(*pos) else {
            return core::ptr::null_mut();
        };
        match S::seek(p) {
            Ok(Some(i)) => match i64::try_from(i) {
                Ok(at) if i >= p => {
                    *pos = at;
                    i.wrapping_add(1) as *mut c_void
                }
                _ => core::ptr::null_mut(),
            },
            Ok(None) => core::ptr::null_mut(),
            // What ERR_PTR() makes: the negative errno as a pointer.
            Err(e) => e.to_errno() as isize as *mut c_void,
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
        Self::token(unsafe { &mut *pos })
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
        Self::token(p)
    }

    /// # Safety
    ///
    /// Called by `seq_file`; it touches nothing.
    unsafe extern "C" fn stop(_m: *mut bindings::seq_file, _v: *mut c_void) {}

    /// # Safety
    ///
    /// Called by `seq_file` with its valid seq_file and a token from
    /// `start`/`next`.
    unsafe extern "C" fn show(m: *mut bindings::seq_file, v: *mut c_void) -> c_int {
        let index = (v as usize).wrapping_sub(1);
        // SAFETY: seq_file passes its own seq_file, which only this call
        // writes to until it returns.
        let m = unsafe { SeqFile::from_raw(m) };
        match S::show(index, m) {
            Ok(()) => 0,
            // seq_file notices the full buffer and retries the record with
            // a larger one.
            Err(ShowError::Overflow) => 0,
            Err(ShowError::Failed(e)) => e.to_errno(),
        }
    }
}

impl<W: Writable> Adapter<W> {
    const READ_WRITE: bindings::file_operations = bindings::file_operations {
        open: Some(Self::open),
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
        if !super::task::capable_mac_admin() {
            return EPERM.to_errno() as isize;
        }
        // One write replaces the value. A later write on the same open
        // file (a writer that split its data) is refused rather than taken
        // as a whole new value.
        if *pos != 0 {
            return EINVAL.to_errno() as isize;
        }
        if count > W::MAX_WRITE {
            return W::too_big().to_errno() as isize;
        }
        let Ok(mut buf) = KVVec::from_elem(0u8, count, GFP_KERNEL) else {
            return ENOMEM.to_errno() as isize;
        };
        // SAFETY: `buf` is writable for `count` bytes; the VFS passes the
        // user buffer of `count` bytes and its position.
        let n = unsafe {
            bindings::simple_write_to_buffer(
                buf.as_mut_ptr().cast(),
                count,
                pos,
                ubuf.cast(),
                count,
            )
        };
        // `simple_write_to_buffer` returns what it could copy when part of
        // the user buffer faults: a value cut short is not the value
        // written, and must change nothing.
        match usize::try_from(n) {
            Ok(len) if len == count => {}
            Ok(_) => return EFAULT.to_errno() as isize,
            Err(_) => return n,
        }
        match W::store(&buf) {
            Ok(()) => n,
            Err(e) => e.to_errno() as isize,
        }
    }
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
    create(name, mode, parent, &Adapter::<S>::READ_ONLY)
}

/// Creates the file `name` in `parent` with permission bits `mode`, read
/// through `W`'s records and replaced by writes (which also need
/// `CAP_MAC_ADMIN`).
pub(crate) fn create_writable_file<W: Writable>(
    name: &CStr,
    mode: u16,
    parent: &Node,
) -> Result<Node> {
    create(name, mode, parent, &Adapter::<W>::READ_WRITE)
}
