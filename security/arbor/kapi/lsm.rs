// SPDX-License-Identifier: GPL-2.0
//! Linux Security Modules written in Rust: the hooks as a trait, and the
//! registration of a built-in LSM.
//!
//! An LSM implements [`Lsm`] with `#[vtable]`, one method per hook it
//! wants, and names its type in [`define_lsm!`]. The macro emits what a C
//! LSM declares with `DEFINE_LSM()`: a `struct lsm_info` in the
//! `.lsm_info.init` section, the blob sizes, the LSM id and the hook list
//! (in `.data..ro_after_init`, as C LSMs' `__ro_after_init` data), and a
//! late initcall. The framework calls the init function from
//! `security_init()` only if the LSM is in `CONFIG_LSM` or `lsm=`; it
//! installs one `security_hook_list` entry for each method the LSM
//! implements (the `HAS_*` constants `#[vtable]` generates). Otherwise
//! nothing of the LSM runs: its late initcall checks that it was
//! initialised.
//!
//! Each hook's entry point below turns the raw C arguments into the safe
//! wrappers of [`super::fs`] and [`super::mm`] and calls the LSM's method.
//! Adding a hook is one trait method, one entry point and one line in
//! [`install`].

use super::fs::{Binprm, Dentry, File, Inode};
use super::mm::{Folio, Prot, VmArea};
use core::cell::UnsafeCell;
use core::ffi::c_int;
use core::ptr::{addr_of_mut, null_mut};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::bindings;
use kernel::build_error;
use kernel::error::VTABLE_DEFAULT_ERROR;
use kernel::init::Zeroable;
use kernel::prelude::*;
use kernel::str::CStr;

/// The attribute changes of a `setattr` (`ia_valid`'s `ATTR_*` bits).
#[derive(Clone, Copy)]
pub(crate) struct AttrChanges(u32);

impl AttrChanges {
    /// Whether the size changes (`ATTR_SIZE`: truncate, `O_TRUNC`,
    /// `ftruncate`).
    pub(crate) fn size(self) -> bool {
        self.0 & bindings::ATTR_SIZE != 0
    }
}

/// What `inode_setintegrity` reports.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Integrity {
    /// fs-verity verified the file's built-in signature
    /// (`LSM_INT_FSVERITY_BUILTINSIG_VALID`).
    FsverityBuiltinSigValid,
    /// Anything else (dm-verity root hashes and signatures).
    Other,
}

/// A Linux Security Module: one method per LSM hook, each called as the
/// C hook of the same name is. Implementations use `#[vtable]`; only the
/// methods an implementation defines are installed.
///
/// Each method's documentation says what its caller holds; the
/// implementation must not do what that forbids (for example, sleep or
/// read files under the mmap lock).
#[vtable]
pub(crate) trait Lsm: 'static {
    /// The LSM's name, as in `CONFIG_LSM` and `lsm=`.
    const NAME: &'static CStr;
    /// The LSM's id (`LSM_ID_*`, `include/uapi/linux/lsm.h`).
    const ID: u64;
    /// The LSM's part of each inode's security blob; all-zero, as the
    /// framework allocates it, must be a valid value.
    type InodeBlob: Zeroable + Sync;

    /// Called once the hooks are installed, during `security_init()`, on
    /// the boot CPU, with the kernel command line. Only core kernel
    /// services are up: no filesystems, no crypto, no securityfs.
    fn init(cmdline: &[u8]);

    /// Called at late_initcall time, once securityfs, the crypto API and
    /// the TPM drivers are up.
    fn late_init() -> Result;

    /// `bprm_check_security`: `bprm`'s file is about to run. Process
    /// context; exec holds `cred_guard_mutex` and denies writers to the
    /// file. The file may be read.
    fn bprm_check_security(_bprm: &Binprm) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `file_open`: `file` is being opened; its mode and write access are
    /// set up, `->open` has not run. For filesystems with `->atomic_open`
    /// the parent directory's `i_rwsem` is held: no file I/O.
    fn file_open(_file: &File) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `file_post_open`: `file` was opened with the access `mask`
    /// (`MAY_*`). No inode lock held; the file may be read.
    fn file_post_open(_file: &File, _mask: u32) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `file_release`: the last reference to `file` is going. Must not
    /// fail or sleep for long.
    fn file_release(_file: &File) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `inode_setattr`: `dentry`'s attributes are about to change; the
    /// inode's `i_rwsem` is held.
    fn inode_setattr(_dentry: &Dentry, _changes: AttrChanges) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `inode_post_setattr`: `dentry`'s attributes changed.
    fn inode_post_setattr(_dentry: &Dentry, _changes: AttrChanges) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `inode_setxattr`: the extended attribute `name` of `dentry` is
    /// about to be set (after the capability checks); the inode's
    /// `i_rwsem` is held.
    fn inode_setxattr(_dentry: &Dentry, _name: &CStr) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `inode_removexattr`: the extended attribute `name` of `dentry` is
    /// about to be removed; the inode's `i_rwsem` is held.
    fn inode_removexattr(_dentry: &Dentry, _name: &CStr) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `inode_post_setxattr`: the extended attribute `name` of `dentry`
    /// was set.
    fn inode_post_setxattr(_dentry: &Dentry, _name: &CStr) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `inode_post_removexattr`: the extended attribute `name` of
    /// `dentry` was removed.
    fn inode_post_removexattr(_dentry: &Dentry, _name: &CStr) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `mmap_file`: `file` (`None`: anonymous memory) is about to be
    /// mapped with `prot`. Called before the mmap lock is taken
    /// (`vm_mmap_pgoff`, `remap_file_pages`, `shmat`): the file may be
    /// read.
    fn mmap_file(_file: Option<&File>, _prot: Prot) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `file_mprotect`: `vma` is about to get the protection `prot`. The
    /// mmap lock is held for writing; it ranks below `i_rwsem` and the
    /// page locks a read takes, so no file I/O.
    fn file_mprotect(_vma: &VmArea, _prot: Prot) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `inode_setintegrity`: a filesystem or device mapper reports
    /// integrity data of `inode`.
    fn inode_setintegrity(_inode: &Inode, _kind: Integrity) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `inode_post_read_folio`: `folio` was just read into the page cache
    /// of `inode`, whose mapping the LSM marked with
    /// [`Inode::check_reads_after`]. The folio is locked and not uptodate: an
    /// error leaves it so, and its readers get `EIO`. Runs in process
    /// context inside the filesystem's read completion (the reader, an
    /// NFS `nfsiod` worker, a FUSE server's `write(2)`), which may hold
    /// the mapping's `invalidate_lock`, other folios' locks and `i_rwsem`:
    /// it may sleep, but must not allocate memory that reclaim could
    /// serve from this filesystem, nor read this or any file (the reader
    /// would wait for this folio), nor judge by `current`.
    fn inode_post_read_folio(_inode: &Inode, _folio: &Folio) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `inode_free_security`: `inode` is being freed (evicted, or never
    /// made live); no file refers to it any more. Its blob is freed after
    /// an RCU grace period, see [`Lsm::inode_free_security_rcu`]. Process
    /// context, but may be reached from reclaim: must not sleep for long
    /// nor allocate.
    fn inode_free_security(_inode: &Inode) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `inode_free_security_rcu`: the inode whose blob part is `blob` was
    /// freed, an RCU grace period ago; the blob is freed right after.
    /// Runs in an RCU callback (softirq): must not sleep.
    fn inode_free_security_rcu(_blob: &Self::InodeBlob) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// Number of hooks [`Lsm`] has methods for.
const MAX_HOOKS: usize = 16;

/// What [`define_lsm!`] stores for an LSM: the data the framework keeps
/// pointers to and reads on every hook call.
///
/// # Invariants
///
/// The fields are written only during the LSM init function (which runs
/// once, on the boot CPU, before SMP bring-up and before any hook can be
/// called) and by the framework before it; afterwards they are only read.
pub(crate) struct Registration {
    /// Blob space asked for; the framework replaces each size with the
    /// offset of the LSM's part in the shared blob.
    blobs: UnsafeCell<bindings::lsm_blob_sizes>,
    id: UnsafeCell<bindings::lsm_id>,
    hooks: UnsafeCell<[bindings::security_hook_list; MAX_HOOKS]>,
    /// Whether the framework initialised the LSM.
    active: AtomicBool,
}

// SAFETY: by the type invariant, all writes happen before any concurrent
// reader exists.
unsafe impl Sync for Registration {}

impl Registration {
    /// The registration of `L`, for [`define_lsm!`].
    pub(crate) const fn new<L: Lsm>() -> Self {
        // The framework aligns blob offsets to pointer size.
        assert!(core::mem::align_of::<L::InodeBlob>() <= core::mem::size_of::<usize>());
        Self {
            blobs: UnsafeCell::new(bindings::lsm_blob_sizes {
                lbs_inode: core::mem::size_of::<L::InodeBlob>() as c_int,
                // SAFETY: all-zero (no space) is valid for the other sizes.
                ..unsafe { core::mem::MaybeUninit::zeroed().assume_init() }
            }),
            id: UnsafeCell::new(bindings::lsm_id {
                name: L::NAME.as_char_ptr(),
                id: L::ID,
            }),
            // SAFETY: all-zero is a valid (empty) hook list.
            hooks: UnsafeCell::new(unsafe { core::mem::zeroed() }),
            active: AtomicBool::new(false),
        }
    }
}

/// A `struct lsm_info`, for the `.lsm_info.init` section.
#[repr(transparent)]
pub(crate) struct Info(bindings::lsm_info);

// SAFETY: the framework reads the info during boot, on the boot CPU; Rust
// code never accesses it.
unsafe impl Sync for Info {}

impl Info {
    /// The info of `L`, registered in `reg`.
    pub(crate) const fn new<L: Registered>(reg: &'static Registration) -> Self {
        Self(bindings::lsm_info {
            name: L::NAME.as_char_ptr(),
            order: bindings::lsm_order_LSM_ORDER_MUTABLE,
            flags: 0,
            enabled: null_mut(),
            init: Some(init::<L>),
            blobs: reg.blobs.get(),
        })
    }
}

/// Implemented by [`define_lsm!`]: where an LSM's registration is.
pub(crate) trait Registered: Lsm {
    /// The LSM's registration.
    fn registration() -> &'static Registration;
}

/// Registers the built-in LSM implemented by `$lsm` (a type implementing
/// [`Lsm`]), as `DEFINE_LSM()` does for C LSMs. At most once per kernel
/// object.
macro_rules! define_lsm {
    ($lsm:ty) => {
        #[link_section = ".data..ro_after_init"]
        static __LSM_REGISTRATION: $crate::kapi::lsm::Registration =
            $crate::kapi::lsm::Registration::new::<$lsm>();

        #[used]
        #[link_section = ".lsm_info.init"]
        static __LSM_INFO: $crate::kapi::lsm::Info =
            $crate::kapi::lsm::Info::new::<$lsm>(&__LSM_REGISTRATION);

        impl $crate::kapi::lsm::Registered for $lsm {
            fn registration() -> &'static $crate::kapi::lsm::Registration {
                &__LSM_REGISTRATION
            }
        }

        // Set up at late_initcall time, after securityfs and the crypto
        // algorithms have registered (long after LSM init). The entry has
        // the layout `initcall_entry_t` has on this architecture, as
        // `__define_initcall` would emit it: a 32-bit offset from the
        // entry where there are PREL32 relocations, a function pointer
        // elsewhere.
        #[cfg(CONFIG_HAVE_ARCH_PREL32_RELOCATIONS)]
        core::arch::global_asm!(
            ".pushsection .initcall7.init, \"a\"",
            ".balign 4",
            ".long {init} - .",
            ".popsection",
            init = sym $crate::kapi::lsm::late_init::<$lsm>,
        );

        #[cfg(not(CONFIG_HAVE_ARCH_PREL32_RELOCATIONS))]
        #[used]
        #[link_section = ".initcall7.init"]
        static __LSM_LATE_INITCALL: extern "C" fn() -> core::ffi::c_int =
            $crate::kapi::lsm::late_init::<$lsm>;
    };
}
pub(crate) use define_lsm;

/// One entry of the hook list: the static-call slots for `$hook` and the
/// entry point `$f`.
macro_rules! hook {
    ($hook:ident, $f:expr) => {
        bindings::security_hook_list {
            // SAFETY: only the address of the framework's table is taken.
            scalls: unsafe { addr_of_mut!(bindings::static_calls_table.$hook) }.cast(),
            hook: bindings::security_list_options { $hook: Some($f) },
            lsmid: core::ptr::null(),
        }
    };
}

/// The hook list entries for the methods `L` implements, and how many.
fn install<L: Registered>() -> ([bindings::security_hook_list; MAX_HOOKS], usize) {
    // SAFETY: all-zero is a valid (empty) hook list.
    let mut list: [bindings::security_hook_list; MAX_HOOKS] = unsafe { core::mem::zeroed() };
    let wanted = [
        (
            L::HAS_BPRM_CHECK_SECURITY,
            hook!(bprm_check_security, bprm_check_security::<L>),
        ),
        (L::HAS_FILE_OPEN, hook!(file_open, file_open::<L>)),
        (
            L::HAS_FILE_POST_OPEN,
            hook!(file_post_open, file_post_open::<L>),
        ),
        (L::HAS_FILE_RELEASE, hook!(file_release, file_release::<L>)),
        (
            L::HAS_INODE_SETATTR,
            hook!(inode_setattr, inode_setattr::<L>),
        ),
        (
            L::HAS_INODE_POST_SETATTR,
            hook!(inode_post_setattr, inode_post_setattr::<L>),
        ),
        (
            L::HAS_INODE_SETXATTR,
            hook!(inode_setxattr, inode_setxattr::<L>),
        ),
        (
            L::HAS_INODE_REMOVEXATTR,
            hook!(inode_removexattr, inode_removexattr::<L>),
        ),
        (
            L::HAS_INODE_POST_SETXATTR,
            hook!(inode_post_setxattr, inode_post_setxattr::<L>),
        ),
        (
            L::HAS_INODE_POST_REMOVEXATTR,
            hook!(inode_post_removexattr, inode_post_removexattr::<L>),
        ),
        (L::HAS_MMAP_FILE, hook!(mmap_file, mmap_file::<L>)),
        (
            L::HAS_FILE_MPROTECT,
            hook!(file_mprotect, file_mprotect::<L>),
        ),
        (
            L::HAS_INODE_SETINTEGRITY,
            hook!(inode_setintegrity, inode_setintegrity::<L>),
        ),
        (
            L::HAS_INODE_POST_READ_FOLIO,
            hook!(inode_post_read_folio, inode_post_read_folio::<L>),
        ),
        (
            L::HAS_INODE_FREE_SECURITY,
            hook!(inode_free_security, inode_free_security::<L>),
        ),
        (
            L::HAS_INODE_FREE_SECURITY_RCU,
            hook!(inode_free_security_rcu, inode_free_security_rcu::<L>),
        ),
    ];
    let mut n = 0;
    for (slot, entry) in list
        .iter_mut()
        .zip(wanted.into_iter().filter_map(|(has, e)| has.then_some(e)))
    {
        *slot = entry;
        n += 1;
    }
    (list, n)
}

/// The LSM init function (`lsm_info.init`).
///
/// # Safety
///
/// Called once by the LSM framework from `security_init()`, on the boot
/// CPU, before SMP bring-up.
#[link_section = ".init.text"]
unsafe extern "C" fn init<L: Registered>() -> c_int {
    let reg = L::registration();
    let (list, n) = install::<L>();
    // SAFETY: LSM init runs once, on the boot CPU, before any hook can be
    // called: nothing else accesses the registration yet (type invariant
    // of `Registration`). `security_add_hooks` keeps pointers into the
    // hook list and the id, which are static.
    unsafe {
        reg.hooks.get().write(list);
        bindings::security_add_hooks(reg.hooks.get().cast(), n as c_int, reg.id.get());
    }
    reg.active.store(true, Ordering::Release);
    L::init(command_line());
    0
}

/// The LSM's late initcall.
pub(crate) extern "C" fn late_init<L: Registered>() -> c_int {
    if !L::registration().active.load(Ordering::Acquire) {
        // Left out by CONFIG_LSM or lsm=: no files, no state.
        return 0;
    }
    match L::late_init() {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// The kernel command line (set up before `security_init()`).
fn command_line() -> &'static [u8] {
    // SAFETY: `saved_command_line` is set once in `setup_command_line()`,
    // early in `start_kernel()`, to a NUL-terminated string that is never
    // freed; it is only read afterwards.
    let p = unsafe { bindings::saved_command_line };
    if p.is_null() {
        return &[];
    }
    // SAFETY: see above.
    unsafe { CStr::from_char_ptr(p) }.as_bytes()
}

/// The LSM's part, of type `T`, at `offset` in a security blob.
///
/// # Safety
///
/// `blob` must be null or a security blob allocated by the LSM framework
/// with the sizes the LSM registered, zero-filled, that stays allocated for
/// `'a`; `offset` must be the offset the framework wrote for the LSM's part
/// of that kind of blob, which it sized with `size_of::<T>()`; `T` must be
/// valid all-zero and need no more than pointer alignment.
unsafe fn blob_part<'a, T>(blob: *mut core::ffi::c_void, offset: c_int) -> Option<&'a T> {
    if blob.is_null() {
        return None;
    }
    let offset = usize::try_from(offset).ok()?;
    // SAFETY: by the caller's promise the blob has room for a `T` at
    // `offset` (the framework aligns offsets to pointer size), is
    // zero-filled (a valid `T`) and lives for `'a`.
    Some(unsafe { &*blob.cast::<u8>().add(offset).cast::<T>() })
}

/// `L`'s part of an inode's security blob.
pub(crate) fn inode_blob<L: Registered>(inode: &Inode) -> Option<&L::InodeBlob> {
    // SAFETY: `i_security` is set when the inode is allocated and freed
    // only after it (after an RCU grace period); the framework wrote the
    // LSM's offset into `lbs_inode` before any inode could reach a hook,
    // and never changes it. The blob was sized for `L::InodeBlob`, whose
    // alignment `Registration::new` asserts and whose all-zero validity
    // `Zeroable` promises; it outlives the borrow of `inode`.
    unsafe {
        blob_part(
            (*inode.as_ptr()).i_security,
            (*L::registration().blobs.get()).lbs_inode,
        )
    }
}

/// The return value of a hook for `r`.
fn ret(r: Result) -> c_int {
    r.map_or_else(|e| e.to_errno(), |()| 0)
}

/// # Safety
///
/// Called by the LSM framework with a valid inode and a folio of its page
/// cache that is locked, not uptodate, and holds the data just read.
unsafe extern "C" fn inode_post_read_folio<L: Lsm>(
    inode: *mut bindings::inode,
    folio: *mut bindings::folio,
) -> c_int {
    // SAFETY: the framework passes a valid inode and a locked folio whose
    // content is final, both for the call.
    let (inode, folio) = unsafe { (Inode::from_raw(inode), Folio::from_raw(folio)) };
    ret(L::inode_post_read_folio(inode, folio))
}

/// # Safety
///
/// Called by the LSM framework with an inode being freed, valid for the
/// call.
unsafe extern "C" fn inode_free_security<L: Lsm>(inode: *mut bindings::inode) {
    // SAFETY: the framework passes the inode being freed, still valid for
    // the call.
    L::inode_free_security(unsafe { Inode::from_raw(inode) });
}

/// # Safety
///
/// Called by the LSM framework from an RCU callback with the security
/// blob of an inode that was freed, before the blob itself is freed.
unsafe extern "C" fn inode_free_security_rcu<L: Registered>(blob: *mut core::ffi::c_void) {
    // SAFETY: `blob` is the inode's whole security blob, allocated by the
    // framework with the sizes the LSM registered and zero-filled, and
    // freed only after this call; `lbs_inode` is the LSM's offset in it,
    // written at registration and never changed. The blob part is valid
    // all-zero (`Zeroable`) and suitably aligned (see `Registration::new`).
    let part =
        unsafe { blob_part::<L::InodeBlob>(blob, (*L::registration().blobs.get()).lbs_inode) };
    if let Some(part) = part {
        L::inode_free_security_rcu(part);
    }
}

/// # Safety
///
/// Called by the LSM framework with a valid `linux_binprm`.
unsafe extern "C" fn bprm_check_security<L: Lsm>(bprm: *mut bindings::linux_binprm) -> c_int {
    // SAFETY: the framework passes a valid binprm for the call.
    ret(L::bprm_check_security(unsafe { Binprm::from_raw(bprm) }))
}

/// # Safety
///
/// Called by the LSM framework with a file being opened.
unsafe extern "C" fn file_open<L: Lsm>(file: *mut bindings::file) -> c_int {
    // SAFETY: the framework passes the file being opened, referenced for
    // the call.
    ret(L::file_open(unsafe { File::from_raw_file(file) }))
}

/// # Safety
///
/// Called by the LSM framework with a file it has just opened.
unsafe extern "C" fn file_post_open<L: Lsm>(file: *mut bindings::file, mask: c_int) -> c_int {
    // SAFETY: the framework passes the file it has just opened, referenced
    // for the call.
    ret(L::file_post_open(
        unsafe { File::from_raw_file(file) },
        mask as u32,
    ))
}

/// # Safety
///
/// Called by the LSM framework with a file being released, still valid.
unsafe extern "C" fn file_release<L: Lsm>(file: *mut bindings::file) {
    // SAFETY: the framework passes the file being released, still valid
    // for the call.
    L::file_release(unsafe { File::from_raw_file(file) });
}

/// # Safety
///
/// Called by the LSM framework with a valid dentry and attribute change,
/// before the change is made.
unsafe extern "C" fn inode_setattr<L: Lsm>(
    _idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    attr: *mut bindings::iattr,
) -> c_int {
    // SAFETY: `attr` is valid for the call.
    let changes = AttrChanges(unsafe { (*attr).ia_valid });
    // SAFETY: the dentry is valid and referenced for the call.
    ret(L::inode_setattr(
        unsafe { Dentry::from_raw(dentry) },
        changes,
    ))
}

/// # Safety
///
/// Called by the LSM framework with a valid dentry whose attributes changed.
unsafe extern "C" fn inode_post_setattr<L: Lsm>(
    _idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    ia_valid: c_int,
) {
    // SAFETY: the dentry is valid and referenced for the call.
    L::inode_post_setattr(
        unsafe { Dentry::from_raw(dentry) },
        AttrChanges(ia_valid as u32),
    );
}

/// # Safety
///
/// Called by the LSM framework with a valid dentry and attribute name,
/// before the attribute is set.
unsafe extern "C" fn inode_setxattr<L: Lsm>(
    _idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    name: *const kernel::ffi::c_char,
    _value: *const core::ffi::c_void,
    _size: usize,
    _flags: c_int,
) -> c_int {
    // SAFETY: the dentry is valid and referenced, and `name` is
    // NUL-terminated, for the call.
    let (dentry, name) = unsafe { (Dentry::from_raw(dentry), CStr::from_char_ptr(name)) };
    ret(L::inode_setxattr(dentry, name))
}

/// # Safety
///
/// Called by the LSM framework with a valid dentry and attribute name,
/// before the attribute is removed.
unsafe extern "C" fn inode_removexattr<L: Lsm>(
    _idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    name: *const kernel::ffi::c_char,
) -> c_int {
    // SAFETY: the dentry is valid and referenced, and `name` is
    // NUL-terminated, for the call.
    let (dentry, name) = unsafe { (Dentry::from_raw(dentry), CStr::from_char_ptr(name)) };
    ret(L::inode_removexattr(dentry, name))
}

/// # Safety
///
/// Called by the LSM framework with a valid dentry and attribute name.
unsafe extern "C" fn inode_post_setxattr<L: Lsm>(
    dentry: *mut bindings::dentry,
    name: *const kernel::ffi::c_char,
    _value: *const core::ffi::c_void,
    _size: usize,
    _flags: c_int,
) {
    // SAFETY: the dentry is valid and referenced, and `name` is
    // NUL-terminated, for the call.
    let (dentry, name) = unsafe { (Dentry::from_raw(dentry), CStr::from_char_ptr(name)) };
    L::inode_post_setxattr(dentry, name);
}

/// # Safety
///
/// Called by the LSM framework with a valid dentry and attribute name.
unsafe extern "C" fn inode_post_removexattr<L: Lsm>(
    dentry: *mut bindings::dentry,
    name: *const kernel::ffi::c_char,
) {
    // SAFETY: the dentry is valid and referenced, and `name` is
    // NUL-terminated, for the call.
    let (dentry, name) = unsafe { (Dentry::from_raw(dentry), CStr::from_char_ptr(name)) };
    L::inode_post_removexattr(dentry, name);
}

/// # Safety
///
/// Called by the LSM framework with a referenced file or NULL (anonymous
/// mappings).
unsafe extern "C" fn mmap_file<L: Lsm>(
    file: *mut bindings::file,
    _reqprot: kernel::ffi::c_ulong,
    prot: kernel::ffi::c_ulong,
    _flags: kernel::ffi::c_ulong,
) -> c_int {
    // SAFETY: null or a file referenced for the call.
    let file = (!file.is_null()).then(|| unsafe { File::from_raw_file(file) });
    ret(L::mmap_file(file, Prot(prot)))
}

/// # Safety
///
/// Called by the LSM framework with a valid vma, under its mm's mmap lock
/// (held for writing).
unsafe extern "C" fn file_mprotect<L: Lsm>(
    vma: *mut bindings::vm_area_struct,
    _reqprot: kernel::ffi::c_ulong,
    prot: kernel::ffi::c_ulong,
) -> c_int {
    // SAFETY: a valid vma, whose mmap lock is held for the call.
    ret(L::file_mprotect(
        unsafe { VmArea::from_raw(vma) },
        Prot(prot),
    ))
}

/// # Safety
///
/// Called by the LSM framework with a valid inode.
unsafe extern "C" fn inode_setintegrity<L: Lsm>(
    inode: *const bindings::inode,
    kind: bindings::lsm_integrity_type,
    _value: *const core::ffi::c_void,
    _size: usize,
) -> c_int {
    let kind = if kind == bindings::lsm_integrity_type_LSM_INT_FSVERITY_BUILTINSIG_VALID {
        Integrity::FsverityBuiltinSigValid
    } else {
        Integrity::Other
    };
    // SAFETY: the caller passes the inode whose integrity data it sets up,
    // valid for the call.
    ret(L::inode_setintegrity(
        unsafe { Inode::from_raw(inode) },
        kind,
    ))
}
