// SPDX-License-Identifier: GPL-2.0
//! Files, inodes, dentries and the exec in progress: `struct file`,
//! `struct inode`, `struct dentry` and `struct linux_binprm`.
//!
//! [`File`] is shaped like `kernel::fs::File` of later kernels: a
//! transparent wrapper that is always reference-counted, borrowed as
//! `&File` from a hook's argument or owned as `ARef<File>`.

use super::cred::Credential;
use crate::format::merkle::{Digest, HashAlgorithm};
use core::mem::MaybeUninit;
use kernel::alloc::flags::GFP_KERNEL;
use kernel::bindings;
use kernel::error::to_result;
use kernel::page::{Page, PAGE_SIZE};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::types::{ARef, AlwaysRefCounted, Opaque};

/// Wraps the kernel's `struct file`: an open file.
///
/// # Invariants
///
/// Instances are always reference-counted: the `struct file` is valid and
/// its count (`f_count`) is non-zero for as long as a `&File` exists.
#[repr(transparent)]
pub(crate) struct File {
    inner: Opaque<bindings::file>,
}

// SAFETY: `struct file` is shared between tasks; its reference count is
// atomic and `fput` may be called from any thread (it defers the final
// release to a context that may sleep).
unsafe impl Send for File {}

// SAFETY: the methods of `&File` only read fields that do not change while
// the file is open (`f_mode`'s access bits, `f_path`, `f_cred`) or call
// functions that are safe to call concurrently on one file.
unsafe impl Sync for File {}

// SAFETY: `get_file` and `fput` take and drop a reference; the file stays
// valid while the count is non-zero.
unsafe impl AlwaysRefCounted for File {
    fn inc_ref(&self) {
        // SAFETY: the existence of `&self` means the count is non-zero.
        unsafe { bindings::get_file(self.as_ptr()) };
    }

    unsafe fn dec_ref(obj: core::ptr::NonNull<Self>) {
        // SAFETY: the caller gives up a reference it owns.
        unsafe { bindings::fput(obj.cast().as_ptr()) };
    }
}

impl File {
    /// Borrows a `struct file`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid file whose reference count stays
    /// non-zero for `'a` (a hook's argument, for the duration of the hook).
    pub(crate) unsafe fn from_raw_file<'a>(ptr: *const bindings::file) -> &'a File {
        // SAFETY: `File` is a transparent wrapper; validity for `'a` is the
        // caller's promise.
        unsafe { &*ptr.cast() }
    }

    /// The raw pointer, for C calls.
    pub(crate) fn as_ptr(&self) -> *mut bindings::file {
        self.inner.get()
    }

    /// The credentials the file was opened with (`f_cred`).
    pub(crate) fn cred(&self) -> &Credential {
        // SAFETY: `f_cred` is set at open and holds a reference until the
        // file is freed, which outlives `&self`.
        unsafe { Credential::from_ptr((*self.as_ptr()).f_cred) }
    }

    /// The file's inode.
    pub(crate) fn inode(&self) -> &Inode {
        // SAFETY: a referenced file pins its inode for the file's lifetime;
        // `f_inode` is set before the file reaches any hook and never
        // changed (what `file_inode()` returns).
        unsafe { Inode::from_raw((*self.as_ptr()).f_inode) }
    }

    /// The inode that holds the file's data: the file's own inode, except
    /// on stacking filesystems such as overlayfs, where it is the upper or
    /// lower file's inode behind the overlay's (`d_real_inode`). Writes to
    /// the underlying file, through the overlay or around it, reach that
    /// inode, so arbor keeps its state there.
    pub(crate) fn data_inode(&self) -> &Inode {
        // SAFETY: the dentry of a referenced file is valid and positive; an
        // overlay dentry holds references to its real dentries (and so to
        // their inodes) for as long as it lives, and the file pins its
        // dentry.
        unsafe { Inode::from_raw(bindings::d_real_inode((*self.as_ptr()).f_path.dentry)) }
    }

    /// The file's `f_mode`.
    fn mode(&self) -> bindings::fmode_t {
        // SAFETY: `f_mode`'s access bits are set at open and not changed
        // while the file is in use.
        unsafe { (*self.as_ptr()).f_mode }
    }

    /// Whether the file was opened for reading.
    pub(crate) fn is_readable(&self) -> bool {
        self.mode() & bindings::FMODE_READ != 0
    }

    /// Opens the same file again, read-only, with the credentials it was
    /// opened with: for reading the content of a file opened write-only.
    pub(crate) fn reopen_read_only(&self) -> Result<ARef<File>> {
        // SAFETY: `f_path` of a referenced file is valid; `dentry_open`
        // takes its own references to the path and the credentials.
        let f = kernel::error::from_err_ptr(unsafe {
            bindings::dentry_open(
                &(*self.as_ptr()).f_path,
                (bindings::O_RDONLY | bindings::O_LARGEFILE) as core::ffi::c_int,
                self.cred().as_ptr(),
            )
        })?;
        let f = core::ptr::NonNull::new(f.cast::<File>()).ok_or(EINVAL)?;
        // SAFETY: `dentry_open` returned a new file with one reference,
        // which the `ARef` now owns.
        Ok(unsafe { ARef::from_raw(f) })
    }

    /// Whether the file was opened for writing.
    pub(crate) fn is_writer(&self) -> bool {
        self.mode() & bindings::FMODE_WRITE != 0
    }

    /// Reads at `*pos` into `buf`, advancing `*pos`; returns the bytes read,
    /// the start of `buf` (empty at end of file). `buf` need not be
    /// initialised.
    pub(crate) fn read_at<'b>(
        &self,
        buf: &'b mut [MaybeUninit<u8>],
        pos: &mut i64,
    ) -> Result<&'b [u8]> {
        // SAFETY: `buf` is writable for its length; `pos` is a valid loff_t.
        let n = unsafe {
            bindings::kernel_read(self.as_ptr(), buf.as_mut_ptr().cast(), buf.len(), pos)
        };
        let n = usize::try_from(n).map_err(|_| Error::from_errno(n as i32))?;
        let read = buf.get(..n).ok_or(EIO)?;
        // SAFETY: `kernel_read` wrote the `n` bytes it returned at the
        // start of `buf`.
        Ok(unsafe { assume_init(read) })
    }

    /// Reads up to `len` bytes at `*pos` into `buf`, advancing `*pos`,
    /// around the file's page cache: with `IOCB_DIRECT` and
    /// `IOCB_READ_UNCHECKED`, which NFS honours for a file whose page
    /// cache is checked (`mapping_read_checked`), reading from the server
    /// and leaving that page cache alone. Other filesystems handle the read
    /// as any `O_DIRECT` one (FUSE, through the page cache). Returns the
    /// bytes read, at the start of `buf` (0 at end of file). Sleeps; no
    /// lock of the inode may be held.
    pub(crate) fn read_around_cache(
        &self,
        buf: &mut PageBuf,
        len: usize,
        pos: &mut i64,
    ) -> Result<usize> {
        let len = len.min(buf.capacity());
        // INVARIANT: nothing is known written until the read returns.
        buf.filled = 0;
        // SAFETY: `bio_vec` is plain data, for which all zeros is valid.
        let mut vecs: [bindings::bio_vec; PageBuf::MAX_PAGES] = unsafe { core::mem::zeroed() };
        let mut nr = 0;
        for (vec, page) in vecs.iter_mut().zip(buf.pages.iter()) {
            let start = nr * PAGE_SIZE;
            if start >= len {
                break;
            }
            vec.bv_page = page.as_ptr();
            vec.bv_len = (len - start).min(PAGE_SIZE) as u32;
            vec.bv_offset = 0;
            nr += 1;
        }
        let mut iter = MaybeUninit::<bindings::iov_iter>::uninit();
        // SAFETY: `iter` is writable; its `nr` segments are in `vecs`,
        // which outlives the read below, and cover `len` bytes of pages
        // `buf` owns.
        unsafe {
            bindings::iov_iter_bvec(
                iter.as_mut_ptr(),
                bindings::ITER_DEST,
                vecs.as_ptr(),
                nr as _,
                len,
            )
        };
        let mut kiocb = MaybeUninit::<bindings::kiocb>::uninit();
        // SAFETY: `kiocb` is writable; the file is valid (type invariant).
        unsafe { bindings::init_sync_kiocb(kiocb.as_mut_ptr(), self.as_ptr()) };
        // SAFETY: `init_sync_kiocb` initialised every field.
        let kiocb = unsafe { kiocb.assume_init_mut() };
        kiocb.ki_pos = *pos;
        kiocb.ki_flags |= (bindings::IOCB_DIRECT | bindings::IOCB_READ_UNCHECKED) as i32;
        // SAFETY: the file is valid; `kiocb` is a synchronous kiocb for it
        // and `iter` was initialised above; both outlive the call.
        let n = unsafe { bindings::vfs_iocb_iter_read(self.as_ptr(), kiocb, iter.as_mut_ptr()) };
        let n = usize::try_from(n).map_err(|_| Error::from_errno(n as i32))?;
        let n = n.min(len);
        // INVARIANT: the read wrote its `n` bytes at the start of the
        // segments, which are `buf`'s pages in order.
        buf.filled = n;
        *pos = pos.saturating_add(n as i64);
        Ok(n)
    }

    /// The file's path as `d_path` renders it, written into `buf`; when
    /// the path does not fit or cannot be rendered, the final component's
    /// name after `.../` (which `d_path` never writes, so such a name can
    /// neither pass for a full path nor for a name arbor records for
    /// itself, as `arbor_checkpoint`).
    pub(crate) fn path<'b>(&self, buf: &'b mut [MaybeUninit<u8>]) -> &'b [u8] {
        let len = buf.len().min(i32::MAX as usize);
        let base = buf.as_mut_ptr();
        // SAFETY: `f_path` is valid while the file is; `buf` is writable for `len`.
        let p = unsafe { bindings::d_path(&(*self.as_ptr()).f_path, base.cast(), len as i32) };
        if kernel::error::from_err_ptr(p).is_ok() {
            return rendered(buf, p.cast());
        }
        // The name alone: a concurrent rename may replace (and free) a
        // long name, so it is read from a snapshot that holds a reference
        // to the name it saw.
        let mut snap = core::mem::MaybeUninit::<bindings::name_snapshot>::uninit();
        // SAFETY: the dentry of an open file is valid; `snap` is writable
        // and stays in place until it is released below (an inline name is
        // copied into the snapshot itself).
        unsafe {
            bindings::take_dentry_name_snapshot(snap.as_mut_ptr(), (*self.as_ptr()).f_path.dentry)
        };
        // SAFETY: `take_dentry_name_snapshot` initialised the snapshot, whose
        // name is NUL-terminated and stays valid until it is released.
        let name = unsafe { CStr::from_char_ptr((*snap.as_ptr()).name.name.cast()) }.as_bytes();
        const ELIDED: &[u8] = b".../";
        let n = ELIDED.len().saturating_add(name.len()).min(buf.len());
        let dst = buf.get_mut(..n).unwrap_or_default();
        for (d, s) in dst.iter_mut().zip(Iterator::chain(ELIDED.iter(), name)) {
            d.write(*s);
        }
        // SAFETY: the snapshot was taken above and is released once; `name`
        // is not used after this.
        unsafe { bindings::release_dentry_name_snapshot(snap.as_mut_ptr()) };
        // SAFETY: the loop wrote every byte of `dst`: it is `n` bytes long,
        // at most the length of the chain of `ELIDED` and `name`.
        unsafe { assume_init(dst) }
    }

    /// The file's change attribute as its filesystem's server reports it
    /// now: a forced `getattr` (`AT_STATX_FORCE_SYNC`, a round trip to an
    /// NFS server, whatever the attribute cache holds) asking for
    /// `STATX_CHANGE_COOKIE`, without the LSM check a task's `stat()`
    /// gets (`vfs_getattr_nosec`: arbor asks for itself, as IMA does).
    /// `None` when the filesystem has no such attribute (FUSE, local
    /// filesystems without `SB_I_VERSION`) or the server cannot be asked.
    /// May sleep.
    pub(crate) fn change_cookie(&self) -> Option<u64> {
        // SAFETY: `kstat` is plain data, for which all zeros is valid.
        let mut stat: bindings::kstat = unsafe { core::mem::zeroed() };
        // SAFETY: the path of an open file is valid while the file is;
        // `stat` is writable.
        let r = unsafe {
            bindings::vfs_getattr_nosec(
                core::ptr::addr_of!((*self.as_ptr()).f_path),
                &mut stat,
                bindings::STATX_CHANGE_COOKIE,
                bindings::AT_STATX_FORCE_SYNC,
            )
        };
        (r == 0 && stat.result_mask & bindings::STATX_CHANGE_COOKIE != 0)
            .then_some(stat.change_cookie)
    }

    /// Reads the extended attribute `name` into `buf`, bypassing the
    /// permission checks (as IMA does for `security.ima`): returns the value's
    /// length, or `None` if the file has no such attribute or its filesystem
    /// has no extended attributes. With an empty `buf`, returns the length
    /// only; a value longer than a non-empty `buf` fails with `ERANGE`.
    pub(crate) fn xattr(&self, name: &CStr, buf: &mut [u8]) -> Result<Option<usize>> {
        // Handlers tell a size query by a NULL buffer, not by its length.
        let value = if buf.is_empty() {
            core::ptr::null_mut()
        } else {
            buf.as_mut_ptr()
        };
        // SAFETY: the dentry and inode of an open file are valid; `name` is
        // NUL-terminated; `value` is NULL or writable for `buf.len()` bytes.
        let n = unsafe {
            let dentry = (*self.as_ptr()).f_path.dentry;
            bindings::__vfs_getxattr(
                dentry,
                self.inode().as_ptr(),
                name.as_char_ptr(),
                value.cast(),
                buf.len(),
            )
        };
        match i32::try_from(n) {
            Ok(n) if n >= 0 => Ok(Some(n as usize)),
            Ok(e) if e == -(bindings::ENODATA as i32) || e == -(bindings::EOPNOTSUPP as i32) => {
                Ok(None)
            }
            Ok(e) => Err(Error::from_errno(e)),
            Err(_) => Err(EINVAL),
        }
    }
}

/// An inode, borrowed from a file or dentry the caller holds.
///
/// # Invariants
///
/// The wrapped `struct inode` is valid for the borrow's lifetime.
#[repr(transparent)]
pub(crate) struct Inode(Opaque<bindings::inode>);

impl Inode {
    /// Borrows an inode.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid inode that stays alive for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *const bindings::inode) -> &'a Self {
        // SAFETY: `Inode` is a transparent wrapper; validity is the caller's promise.
        unsafe { &*ptr.cast() }
    }

    pub(crate) fn as_ptr(&self) -> *mut bindings::inode {
        self.0.get()
    }

    /// Whether the inode is a regular file.
    pub(crate) fn is_regular(&self) -> bool {
        // SAFETY: the inode is valid; the file type bits of `i_mode` never
        // change.
        let mode = u32::from(unsafe { (*self.as_ptr()).i_mode });
        mode & bindings::S_IFMT == bindings::S_IFREG
    }

    /// The inode's number (`i_ino`), for log lines.
    pub(crate) fn ino(&self) -> u64 {
        // SAFETY: the inode is valid; `i_ino` is set before the inode is
        // used and not changed afterwards.
        unsafe { (*self.as_ptr()).i_ino as u64 }
    }

    /// The name of the inode's filesystem instance (`s_id`: the device,
    /// or the server and export), for log lines.
    pub(crate) fn fs_id(&self) -> &[u8] {
        // SAFETY: a valid inode has a valid superblock, whose `s_id` is a
        // NUL-terminated string set at mount and not changed while the
        // filesystem is mounted (it is, while one of its inodes is used).
        unsafe { CStr::from_char_ptr((*(*self.as_ptr()).i_sb).s_id.as_ptr()) }.as_bytes()
    }

    /// Whether the inode's data bypasses the page cache (`IS_DAX`).
    // `S_DAX` is 0 in kernels without `CONFIG_FS_DAX`.
    #[allow(clippy::bad_bit_mask)]
    pub(crate) fn is_dax(&self) -> bool {
        // SAFETY: the inode is valid; `S_DAX` is fixed while an inode is
        // in use (FUSE and ext4 change it only for a new inode).
        let flags = unsafe { core::ptr::addr_of!((*self.as_ptr()).i_flags).read_volatile() };
        flags & bindings::S_DAX != 0
    }

    /// Whether folios read into the inode's page cache are checked by the
    /// LSM hook `inode_post_read_folio` (`mapping_read_checked`).
    /// One load and a bit test, inlined (what `mapping_read_checked` does):
    /// opens ask it of every file.
    #[inline]
    pub(crate) fn reads_checked(&self) -> bool {
        // SAFETY: the inode is valid, and so is its `i_mapping`, whose
        // `flags` word is changed only atomically: it is read whole.
        let flags =
            unsafe { core::ptr::addr_of!((*(*self.as_ptr()).i_mapping).flags).read_volatile() };
        flags & (1 << bindings::mapping_flags_AS_READ_CHECKED) != 0
    }

    /// The change attribute the inode's filesystem last reported
    /// (`inode_peek_iversion_raw`), as it is, without asking the server:
    /// for NFS, the value [`File::change_cookie`] returns after asking.
    pub(crate) fn change_attr(&self) -> u64 {
        // SAFETY: the inode is valid; `i_version` is read atomically.
        unsafe { bindings::inode_peek_iversion_raw(self.as_ptr()) }
    }

    /// Has every folio read into the inode's page cache from now on go
    /// through the LSM hook `inode_post_read_folio` before any reader can
    /// see it (`mapping_set_read_checked`), against what `publish`
    /// publishes, and drops the folios already there, which were not
    /// checked, or were checked against what `publish` replaces,
    /// unmapping them from every process. With the mapping's
    /// `invalidate_lock` held for writing, no read starts meanwhile; the
    /// page cache is emptied, which waits for the reads in flight, before
    /// `publish` is called and the flag set (so that no folio read before
    /// stays), and again after (a FUSE server's `NOTIFY_STORE` inserts
    /// folios without that lock, and checks the flag only once its folio
    /// is in). Fails with `EBUSY` if a folio cannot be dropped (dirty,
    /// under writeback), leaving the mapping as it was and `publish`
    /// uncalled, or called: then a mapping that was not marked is left
    /// unmarked, and one that was stays marked (a folio that stayed came
    /// in after the first emptying, with the flag set and the lock held:
    /// none can, but for a writer, which the caller keeps out). Sleeps; no
    /// lock of the inode may be held. Once a call succeeded, the flag is
    /// never cleared.
    pub(crate) fn check_reads_after(&self, publish: impl FnOnce()) -> Result {
        let marked = self.reads_checked();
        // SAFETY: the inode is valid, and so is its `i_mapping`.
        let mapping = unsafe { (*self.as_ptr()).i_mapping };
        // SAFETY: `mapping` is valid; the lock is released below, on every
        // path; the caller holds no lock of the inode.
        unsafe { bindings::filemap_invalidate_lock(mapping) };
        // SAFETY: `mapping` is valid, its invalidate lock held for writing
        // (what `mapping_set_read_checked` asserts), and this process
        // context may sleep.
        let r = unsafe {
            let mut r = to_result(bindings::invalidate_inode_pages2(mapping));
            if r.is_ok() {
                publish();
                bindings::mapping_set_read_checked(mapping);
                r = to_result(bindings::invalidate_inode_pages2(mapping));
                if r.is_err() && !marked {
                    // A folio that was not checked may have stayed: the
                    // next attempt starts over.
                    bindings::mapping_clear_read_checked(mapping);
                }
            }
            r
        };
        // SAFETY: taken above.
        unsafe { bindings::filemap_invalidate_unlock(mapping) };
        r
    }

    /// Whether fs-verity is enabled on the inode (`IS_VERITY`).
    pub(crate) fn is_verity(&self) -> bool {
        // SAFETY: the inode is valid; `S_VERITY` is set once, atomically
        // with the rest of `i_flags`, and never cleared.
        let flags = unsafe { core::ptr::addr_of!((*self.as_ptr()).i_flags).read_volatile() };
        flags & bindings::S_VERITY != 0
    }

    /// The magic number of the inode's filesystem (`s_magic`).
    pub(crate) fn fs_magic(&self) -> u64 {
        // SAFETY: a valid inode has a valid superblock, whose magic is set
        // at mount and never changes.
        unsafe { (*(*self.as_ptr()).i_sb).s_magic as u64 }
    }

    /// Whether the inode's filesystem can change a file's content without
    /// the local kernel seeing a write, so that no verdict about its
    /// content can be cached: FUSE (whose server answers every read; it
    /// marks its superblocks `SB_I_IMA_UNVERIFIABLE_SIGNATURE`) and network
    /// filesystems, whose server or other clients can write at any time.
    #[inline]
    pub(crate) fn content_changes_unseen(&self) -> bool {
        // `s_magic` of NFS, SMB (CIFS and SMB2), 9p, Ceph, AFS and Coda,
        // from `include/uapi/linux/magic.h` and the filesystems' headers:
        // a `match`, which compiles to a few comparisons on every open.
        let remote = matches!(
            self.fs_magic(),
            0x6969 // NFS_SUPER_MAGIC
                | 0xff534d42 // CIFS_SUPER_MAGIC
                | 0xfe534d42 // SMB2_SUPER_MAGIC
                | 0x01021997 // V9FS_MAGIC
                | 0x00c36400 // CEPH_SUPER_MAGIC
                | 0x5346414f // AFS_SUPER_MAGIC
                | 0x73757245 // CODA_SUPER_MAGIC
        );
        // SAFETY: a valid inode has a valid superblock. Filesystems set the
        // flag that matters here while mounting; other flags may change
        // later, so the word is read volatile (as READ_ONCE would).
        let iflags =
            unsafe { core::ptr::addr_of!((*(*self.as_ptr()).i_sb).s_iflags).read_volatile() };
        remote || iflags & bindings::SB_I_IMA_UNVERIFIABLE_SIGNATURE as usize != 0
    }

    /// The UUID of the inode's filesystem (`s_uuid`), all zero when it has
    /// none.
    pub(crate) fn fs_uuid(&self) -> [u8; 16] {
        // SAFETY: a valid inode has a valid superblock; only the address of
        // its UUID is taken.
        let uuid = unsafe { core::ptr::addr_of!((*(*self.as_ptr()).i_sb).s_uuid.b) };
        let mut out = [0u8; 16];
        for (i, dst) in out.iter_mut().enumerate() {
            // SAFETY: `i` is below 16, inside the array. Filesystems set the
            // UUID while mounting, but ext4 can change it on a mounted
            // filesystem (FS_IOC_SETFSUUID): each byte is read on its own,
            // volatile, so a concurrent change gives the old or the new
            // value of each byte, never undefined behaviour.
            *dst = unsafe { uuid.cast::<u8>().add(i).read_volatile() };
        }
        out
    }

    /// The owner's uid, in the initial user namespace.
    pub(crate) fn owner(&self) -> u32 {
        // SAFETY: the inode is valid; a concurrent chown changes the whole
        // aligned word at once, so this reads the old or the new owner.
        unsafe { core::ptr::addr_of!((*self.as_ptr()).i_uid.val).read_volatile() }
    }

    /// Whether some file has the inode open for reading only
    /// (`i_readcount`, which the VFS keeps when file locking or IMA is
    /// built, as arbor's Kconfig requires).
    pub(crate) fn has_readers(&self) -> bool {
        // SAFETY: the inode is valid; the counter is an aligned `int`,
        // changed only atomically, and read once as `atomic_read` would.
        unsafe { core::ptr::addr_of!((*self.as_ptr()).i_readcount.counter).read_volatile() > 0 }
    }

    /// Whether some file has the inode open for writing (`i_writecount`).
    pub(crate) fn is_open_for_write(&self) -> bool {
        // SAFETY: the inode is valid; the counter is an aligned `int`,
        // changed only atomically, and read once as `atomic_read` would
        // (what `inode_is_open_for_write()` tests).
        unsafe { core::ptr::addr_of!((*self.as_ptr()).i_writecount.counter).read_volatile() > 0 }
    }

    /// Denies write access to the inode until the returned guard is
    /// dropped, as exec does for the program it runs (`deny_write_access`,
    /// on the inode rather than on a file): while the guard lives, opening
    /// the file for writing fails with `ETXTBSY`. Fails with `ETXTBSY` if a
    /// file has the inode open for writing now (including a shared
    /// writable mapping, which holds its file).
    pub(crate) fn deny_writers(&self) -> Result<WritersDenied<'_>> {
        // SAFETY: the inode is valid; `i_writecount` is an `atomic_t`, and
        // this is the update `deny_write_access` makes.
        let denied = unsafe {
            bindings::atomic_dec_unless_positive(core::ptr::addr_of_mut!(
                (*self.as_ptr()).i_writecount
            ))
        };
        if denied {
            // INVARIANT: the count was just decremented for this guard.
            Ok(WritersDenied(self))
        } else {
            Err(ETXTBSY)
        }
    }

    /// The file size (`i_size_read`).
    pub(crate) fn size(&self) -> i64 {
        // SAFETY: the inode is valid by the type invariant.
        unsafe { bindings::i_size_read(self.as_ptr()) }
    }

    /// The fs-verity file digest, if the file has fs-verity enabled.
    pub(crate) fn verity_digest(&self) -> Option<(HashAlgorithm, Digest)> {
        let mut raw = [0u8; bindings::FS_VERITY_MAX_DIGEST_SIZE as usize];
        let mut alg = 0u8;
        let mut halg = 0;
        // SAFETY: the inode is valid; the out-parameters are valid for writes
        // and `raw` has the size the function requires.
        let n = unsafe {
            bindings::fsverity_get_digest(self.as_ptr(), raw.as_mut_ptr(), &mut alg, &mut halg)
        };
        let n = usize::try_from(n).ok().filter(|&n| n > 0)?;
        let alg = HashAlgorithm::from_id(alg)?;
        Some((alg, Digest::from_slice(raw.get(..n)?)?))
    }
}

/// A dentry, borrowed for the duration of a hook.
///
/// # Invariants
///
/// The wrapped `struct dentry` is valid, and referenced, for the borrow's
/// lifetime.
#[repr(transparent)]
pub(crate) struct Dentry(Opaque<bindings::dentry>);

impl Dentry {
    /// Borrows a dentry handed to a hook.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid dentry that stays referenced for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *const bindings::dentry) -> &'a Self {
        // SAFETY: `Dentry` is a transparent wrapper; validity is the caller's promise.
        unsafe { &*ptr.cast() }
    }

    /// The dentry's inode; `None` for a negative dentry.
    pub(crate) fn inode(&self) -> Option<&Inode> {
        // SAFETY: the dentry is valid; a referenced positive dentry pins its
        // inode, and hooks are not called on a dentry whose inode is being
        // detached.
        let inode = unsafe { (*self.0.get()).d_inode };
        // SAFETY: non-null, valid while the dentry is (see above).
        (!inode.is_null()).then(|| unsafe { Inode::from_raw(inode) })
    }

    /// The dentry's path from the root of its filesystem
    /// (`dentry_path_raw`), written into `buf`; empty if it does not fit.
    pub(crate) fn path<'b>(&self, buf: &'b mut [MaybeUninit<u8>]) -> &'b [u8] {
        let len = buf.len().min(i32::MAX as usize);
        let base = buf.as_mut_ptr();
        // SAFETY: the dentry is valid; `buf` is writable for `len` bytes.
        let p = unsafe { bindings::dentry_path_raw(self.0.get(), base.cast(), len as i32) };
        if kernel::error::from_err_ptr(p).is_err() {
            return &[];
        }
        rendered(buf, p.cast())
    }
}

/// The NUL-terminated string that `d_path` or `dentry_path_raw` rendered
/// at `p`, inside `buf` (they write the string and its NUL at the end of
/// the buffer and return where it starts, so every byte from `p` to the
/// end is written); empty if `p` is not inside `buf`.
fn rendered(buf: &[MaybeUninit<u8>], p: *const u8) -> &[u8] {
    let start = (p as usize).wrapping_sub(buf.as_ptr() as usize);
    let Some(tail) = buf.get(start..) else {
        return &[];
    };
    // SAFETY: `d_path` and `dentry_path_raw` wrote every byte from `p`,
    // the start of `tail`, to the end of `buf`.
    let tail = unsafe { assume_init(tail) };
    let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
    tail.get(..end).unwrap_or_default()
}

/// The bytes of `buf`, which must all have been written.
///
/// # Safety
///
/// Every byte of `buf` is initialised.
unsafe fn assume_init(buf: &[MaybeUninit<u8>]) -> &[u8] {
    // SAFETY: `MaybeUninit<u8>` has the layout of `u8`, and the caller
    // guarantees that every byte is initialised.
    unsafe { core::slice::from_raw_parts(buf.as_ptr().cast(), buf.len()) }
}

/// Write access to an inode denied by [`Inode::deny_writers`]; allowed
/// again when dropped.
///
/// # Invariants
///
/// The guard holds one denial: it decremented the inode's `i_writecount`
/// from zero or below, and increments it back exactly once, when dropped.
pub(crate) struct WritersDenied<'a>(&'a Inode);

impl Drop for WritersDenied<'_> {
    fn drop(&mut self) {
        // SAFETY: the inode is valid for the guard's lifetime; by the type
        // invariant this undoes the guard's own decrement
        // (`allow_write_access`).
        unsafe { bindings::atomic_inc(core::ptr::addr_of_mut!((*self.0.as_ptr()).i_writecount)) };
    }
}

/// The state of an exec in progress.
///
/// # Invariants
///
/// The wrapped `struct linux_binprm` is valid for the borrow's lifetime.
#[repr(transparent)]
pub(crate) struct Binprm(Opaque<bindings::linux_binprm>);

impl Binprm {
    /// Borrows a `struct linux_binprm` handed to a hook.
    ///
    /// # Safety
    ///
    /// `ptr` must be valid for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *const bindings::linux_binprm) -> &'a Self {
        // SAFETY: `Binprm` is a transparent wrapper; validity is the caller's promise.
        unsafe { &*ptr.cast() }
    }

    /// The file being executed (the interpreter, on a script's second pass).
    pub(crate) fn file(&self) -> &File {
        // SAFETY: during `bprm_check_security` the binprm holds a reference
        // to its open file.
        unsafe { File::from_raw_file((*self.0.get()).file) }
    }

    /// The first bytes of the file, as exec read them to choose its binary
    /// format (`bprm->buf`, `BINPRM_BUF_SIZE` bytes, zero-filled past the
    /// end of a shorter file).
    pub(crate) fn header(&self) -> &[u8] {
        // SAFETY: the binprm is valid for `&self`; `buf` is a byte array
        // that exec wrote before `bprm_check_security` and does not change
        // during it.
        let buf = unsafe { &(*self.0.get()).buf };
        // SAFETY: `c_char` and `u8` have the same size and alignment.
        unsafe { core::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), buf.len()) }
    }
}

/// A whole file's content as the kernel read it for itself
/// (`kernel_read_file_from_path()`), in a vmalloc buffer freed on drop.
///
/// # Invariants
///
/// `ptr` is a vmalloc allocation owned by this value that holds `len`
/// initialised bytes.
pub(crate) struct FileContent {
    ptr: core::ptr::NonNull<u8>,
    len: usize,
}

// SAFETY: the buffer is plain memory owned by the value; `vfree` may be
// called from any task in process context.
unsafe impl Send for FileContent {}

// SAFETY: shared access only reads the buffer.
unsafe impl Sync for FileContent {}

impl FileContent {
    /// Reads the whole file at `path` (resolved as the calling task would,
    /// from its root and working directory, and opened with its
    /// credentials), refusing one larger than `max` bytes with `EFBIG`.
    /// The read holds off writers (a file open for writing fails with
    /// `ETXTBSY`) and goes through the LSM `kernel_read_file` hooks as a
    /// policy read. The file is opened with `dentry_open()`, not as an
    /// `open()` is: the kernel reads it for itself, so it is no
    /// `file_post_open` event, and no permission to read it is checked
    /// (callers need `CAP_MAC_ADMIN`, and nothing of the content goes back
    /// to them).
    pub(crate) fn read(path: &CStr, max: usize) -> Result<Self> {
        let mut p = core::mem::MaybeUninit::<bindings::path>::uninit();
        // SAFETY: `path` is NUL-terminated; `p` is written on success.
        let r = unsafe {
            bindings::kern_path(path.as_char_ptr(), bindings::LOOKUP_FOLLOW, p.as_mut_ptr())
        };
        if r != 0 {
            return Err(Error::from_errno(r));
        }
        // SAFETY: `kern_path` succeeded, so `p` holds a path with a
        // reference of ours.
        let p = unsafe { p.assume_init() };
        // SAFETY: `p` is a referenced path; the current task's credentials
        // stay valid while it runs (only the task itself replaces them),
        // and `dentry_open` takes its own references to both.
        let f = unsafe {
            bindings::dentry_open(
                &p,
                (bindings::O_RDONLY | bindings::O_LARGEFILE) as core::ffi::c_int,
                (*bindings::get_current()).cred,
            )
        };
        // SAFETY: drops the reference `kern_path` took.
        unsafe { bindings::path_put(&p) };
        let f = kernel::error::from_err_ptr(f)?;
        let f = core::ptr::NonNull::new(f.cast::<File>()).ok_or(EINVAL)?;
        // SAFETY: `dentry_open` returned a new file with one reference,
        // which the `ARef` now owns.
        let file: ARef<File> = unsafe { ARef::from_raw(f) };
        let mut buf: *mut core::ffi::c_void = core::ptr::null_mut();
        // SAFETY: `file` is open for reading; `buf` is null, so the
        // function allocates the buffer (vmalloc) and hands it over; no
        // file size is asked for.
        let n = unsafe {
            bindings::kernel_read_file(
                file.as_ptr(),
                0,
                &mut buf,
                max,
                core::ptr::null_mut(),
                bindings::kernel_read_file_id_READING_POLICY,
            )
        };
        let len = match usize::try_from(n) {
            Ok(len) => len,
            Err(_) => {
                // On failure nothing stays allocated (the function frees
                // what it allocated), but be safe if a buffer came back.
                if !buf.is_null() {
                    // SAFETY: a vmalloc buffer handed to us.
                    unsafe { bindings::vfree(buf) };
                }
                return Err(Error::from_errno(n as i32));
            }
        };
        let ptr = core::ptr::NonNull::new(buf.cast::<u8>()).ok_or(ENOMEM)?;
        // INVARIANT: the function read `len` bytes into the vmalloc buffer
        // it allocated and gave us.
        Ok(Self { ptr, len })
    }

    /// The content.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        // SAFETY: by the type invariant, `len` initialised bytes live at
        // `ptr` as long as `self`.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for FileContent {
    fn drop(&mut self) {
        // SAFETY: by the type invariant the buffer is a vmalloc allocation
        // owned by `self`.
        unsafe { bindings::vfree(self.ptr.as_ptr().cast()) };
    }
}

/// Collects directory entry names for [`read_dir_names`]; the
/// `dir_context` comes first, so the actor can find the rest from it.
#[repr(C)]
struct Collect {
    ctx: bindings::dir_context,
    names: KVec<KVec<u8>>,
    max: usize,
    error: Option<Error>,
}

/// `filldir_t` for [`read_dir_names`]: notes one entry's name; returns
/// whether to go on.
///
/// # Safety
///
/// `ctx` must be the `ctx` field of a [`Collect`]; `name` must be readable
/// for `namelen` bytes.
unsafe extern "C" fn collect_name(
    ctx: *mut bindings::dir_context,
    name: *const kernel::ffi::c_char,
    namelen: core::ffi::c_int,
    _offset: bindings::loff_t,
    _ino: u64,
    d_type: core::ffi::c_uint,
) -> bool {
    // SAFETY: `ctx` is the first field of a `repr(C)` `Collect` (the
    // caller's promise), which `read_dir_names` owns for the whole walk and
    // no one else touches meanwhile.
    let c = unsafe { &mut *ctx.cast::<Collect>() };
    let Ok(len) = usize::try_from(namelen) else {
        return true;
    };
    // SAFETY: the filesystem passes a name of `namelen` bytes.
    let name = unsafe { core::slice::from_raw_parts(name.cast::<u8>(), len) };
    if name == b"." || name == b".." {
        return true;
    }
    if d_type != bindings::DT_REG && d_type != bindings::DT_UNKNOWN {
        return true;
    }
    if c.names.len() >= c.max {
        c.error = Some(E2BIG);
        return false;
    }
    let mut owned = KVec::new();
    if owned.extend_from_slice(name, GFP_KERNEL).is_err()
        || c.names.push(owned, GFP_KERNEL).is_err()
    {
        c.error = Some(ENOMEM);
        return false;
    }
    true
}

/// The names of the regular files (and entries of unknown type) in the
/// directory at `path`, in the directory's order; `E2BIG` when there are
/// more than `max`.
pub(crate) fn read_dir_names(path: &CStr, max: usize) -> Result<KVec<KVec<u8>>> {
    // SAFETY: `path` is NUL-terminated; the result is a new file or an
    // error pointer.
    let f = kernel::error::from_err_ptr(unsafe {
        bindings::filp_open(
            path.as_char_ptr(),
            (bindings::O_RDONLY | bindings::O_DIRECTORY) as core::ffi::c_int,
            0,
        )
    })?;
    let f = core::ptr::NonNull::new(f.cast::<File>()).ok_or(EINVAL)?;
    // SAFETY: `filp_open` returned a new file with one reference, which
    // the `ARef` now owns (and drops with `fput`).
    let dir: ARef<File> = unsafe { ARef::from_raw(f) };
    let mut c = Collect {
        ctx: bindings::dir_context {
            actor: Some(collect_name),
            pos: 0,
        },
        names: KVec::new(),
        max,
        error: None,
    };
    // SAFETY: `dir` is an open directory; `c.ctx` is the first field of
    // `c`, which outlives the call, as `collect_name` requires.
    let ret = unsafe { bindings::iterate_dir(dir.as_ptr(), &mut c.ctx) };
    if let Some(e) = c.error {
        return Err(e);
    }
    if ret < 0 {
        return Err(Error::from_errno(ret));
    }
    Ok(c.names)
}

/// Waits until the initramfs is unpacked (6.12 unpacks it in the
/// background while initcalls run).
pub(crate) fn wait_for_initramfs() {
    // SAFETY: may be called from any process context after the rootfs
    // initcalls were started; it only waits.
    unsafe { bindings::wait_for_initramfs() };
}

/// Pages a file is read into around its page cache
/// ([`File::read_around_cache`]): up to [`PageBuf::MAX_PAGES`] of them,
/// each mapped only while its bytes are looked at.
///
/// # Invariants
///
/// The first `filled` bytes of `pages` were written by the last read.
pub(crate) struct PageBuf {
    pages: KVec<Page>,
    filled: usize,
}

impl PageBuf {
    /// The most pages one read fills.
    pub(crate) const MAX_PAGES: usize = 16;

    /// Pages for `bytes` bytes, at least one and at most [`Self::MAX_PAGES`].
    /// Not zeroed: only what a read wrote is looked at.
    pub(crate) fn new(bytes: usize) -> Result<Self> {
        let n = bytes.div_ceil(PAGE_SIZE).clamp(1, Self::MAX_PAGES);
        let mut pages = KVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            pages.push(Page::alloc_page(GFP_KERNEL)?, GFP_KERNEL)?;
        }
        // INVARIANT: nothing read yet.
        Ok(Self { pages, filled: 0 })
    }

    /// How many bytes one read can fill.
    pub(crate) fn capacity(&self) -> usize {
        self.pages.len() * PAGE_SIZE
    }

    /// Calls `f` with the bytes the last read wrote, one page at a time,
    /// in order; stops at the first error.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&[u8]) -> Result) -> Result {
        let len = self.filled;
        for (i, page) in self.pages.iter().enumerate() {
            let start = i * PAGE_SIZE;
            if start >= len {
                break;
            }
            let n = (len - start).min(PAGE_SIZE);
            // SAFETY: `page` is a valid page this value owns; the mapping
            // is undone below, on this CPU, before anything else is mapped.
            let addr = unsafe { bindings::kmap_local_page(page.as_ptr()) };
            // SAFETY: `kmap_local_page` maps the page's `PAGE_SIZE` bytes
            // at `addr` until `kunmap_local`; the last read wrote its first
            // `n` bytes (type invariant), and nothing writes to it meanwhile
            // (`&self`).
            let bytes = unsafe { core::slice::from_raw_parts(addr.cast::<u8>(), n) };
            let r = f(bytes);
            // SAFETY: `addr` came from `kmap_local_page` above, and
            // `bytes`, its only borrow, is no longer used.
            unsafe { bindings::kunmap_local(addr) };
            r?;
        }
        Ok(())
    }
}
