// SPDX-License-Identifier: GPL-2.0
//! Registration with the LSM framework, the hook entry points and the
//! per-inode security blob.
//!
//! arbor is built in, so it registers the way C LSMs do: a `struct lsm_info`
//! in the `.lsm_info.init` section, whose init function (in `.init.text`,
//! because it calls the `__init` `security_add_hooks()`) installs the hook
//! list. The framework calls it from `security_init()` only if arbor is in
//! `CONFIG_LSM` or `lsm=`; otherwise nothing of arbor runs, including the
//! late initcall below, which checks [`ACTIVE`].
//!
//! Each `extern "C"` hook converts its raw arguments into the safe wrappers
//! of [`super::file`] and calls the matching function in [`crate::hooks`].

use super::file::{Binprm, Dentry, File, Inode};
use crate::state::{FileState, InodeState};
use core::cell::UnsafeCell;
use core::ffi::c_int;
use core::ptr::{addr_of_mut, null_mut};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::bindings;

/// A static the C side reads and writes during boot.
///
/// # Invariants
///
/// Rust code accesses the contents only during the single-threaded LSM init
/// or, read-only, after it.
#[repr(transparent)]
struct CStatic<T>(UnsafeCell<T>);

// SAFETY: by the type invariant, all writes happen before any concurrent
// reader exists (the LSM framework initialises LSMs on the boot CPU before
// SMP bring-up and before any hook can run).
unsafe impl<T> Sync for CStatic<T> {}

impl<T> CStatic<T> {
    const fn new(v: T) -> Self {
        Self(UnsafeCell::new(v))
    }

    fn get(&self) -> *mut T {
        self.0.get()
    }
}

/// Whether the LSM framework initialised arbor (it is in the LSM list).
static ACTIVE: AtomicBool = AtomicBool::new(false);

const _: () = assert!(core::mem::align_of::<InodeState>() <= core::mem::size_of::<usize>());
const _: () = assert!(core::mem::align_of::<FileState>() <= core::mem::size_of::<usize>());

// The LSM framework keeps pointers to the blob sizes, the LSM id and the
// hook list, and reads them on every hook call; like the C LSMs'
// `__ro_after_init` data, they are written only during init and are
// read-only once the kernel marks that section read-only.

/// Blob space arbor asks for; the framework replaces each size with the
/// offset of arbor's part in the shared blob.
#[link_section = ".data..ro_after_init"]
static BLOB_SIZES: CStatic<bindings::lsm_blob_sizes> = CStatic::new(bindings::lsm_blob_sizes {
    lbs_inode: core::mem::size_of::<InodeState>() as c_int,
    lbs_file: core::mem::size_of::<FileState>() as c_int,
    // SAFETY: all-zero (no space) is valid for the other blob sizes.
    ..unsafe { core::mem::MaybeUninit::zeroed().assume_init() }
});

#[link_section = ".data..ro_after_init"]
static LSM_ID: CStatic<bindings::lsm_id> = CStatic::new(bindings::lsm_id {
    name: c"arbor".as_ptr().cast(),
    id: bindings::LSM_ID_ARBOR as u64,
});

const NR_HOOKS: usize = 11;

/// arbor's hook list, filled in by `arbor_init`.
#[link_section = ".data..ro_after_init"]
static HOOKS: CStatic<[bindings::security_hook_list; NR_HOOKS]> =
    // SAFETY: all-zero is a valid (empty) hook list.
    CStatic::new(unsafe { core::mem::zeroed() });

#[used]
#[link_section = ".lsm_info.init"]
static LSM_INFO: CStatic<bindings::lsm_info> = CStatic::new(bindings::lsm_info {
    name: c"arbor".as_ptr().cast(),
    order: bindings::lsm_order_LSM_ORDER_MUTABLE,
    flags: 0,
    enabled: null_mut(),
    init: Some(arbor_init),
    blobs: BLOB_SIZES.0.get(),
});

/// One entry of the hook list: the static-call slots for `$hook` and
/// arbor's function for it.
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

/// The LSM init function (`lsm_info.init`).
///
/// # Safety
///
/// Called once by the LSM framework from `security_init()`, on the boot CPU,
/// before SMP bring-up.
#[link_section = ".init.text"]
unsafe extern "C" fn arbor_init() -> c_int {
    let hooks = [
        hook!(bprm_check_security, bprm_check_security),
        hook!(file_open, file_open),
        hook!(file_post_open, file_post_open),
        hook!(file_release, file_release),
        hook!(inode_setattr, inode_setattr),
        hook!(inode_post_setattr, inode_post_setattr),
        hook!(inode_post_setxattr, inode_post_setxattr),
        hook!(inode_post_removexattr, inode_post_removexattr),
        hook!(mmap_file, mmap_file),
        hook!(file_mprotect, file_mprotect),
        hook!(inode_setintegrity, inode_setintegrity),
    ];
    // SAFETY: LSM init runs once, on the boot CPU, before any hook can be
    // called: nothing else accesses `HOOKS` yet. `security_add_hooks` keeps
    // pointers into `HOOKS` and `LSM_ID`, which are static.
    unsafe {
        HOOKS.get().write(hooks);
        bindings::security_add_hooks(HOOKS.get().cast(), NR_HOOKS as c_int, LSM_ID.get());
    }
    ACTIVE.store(true, Ordering::Release);
    crate::init::registered(command_line());
    0
}

// arbor's securityfs files and crypto transforms are set up at late_initcall
// time, after securityfs and the hash algorithms have registered (which
// happens long after LSM init). The entry has the layout `initcall_t` has
// on this architecture, as `__define_initcall` would emit it: a 32-bit
// offset from the entry where the architecture has PREL32 relocations
// (`initcall_entry_t` is then an int), a function pointer elsewhere.
#[cfg(CONFIG_HAVE_ARCH_PREL32_RELOCATIONS)]
core::arch::global_asm!(
    ".pushsection .initcall7.init, \"a\"",
    ".balign 4",
    ".long {init} - .",
    ".popsection",
    init = sym arbor_late_init,
);

#[cfg(not(CONFIG_HAVE_ARCH_PREL32_RELOCATIONS))]
#[used]
#[link_section = ".initcall7.init"]
static LATE_INITCALL: extern "C" fn() -> c_int = arbor_late_init;

extern "C" fn arbor_late_init() -> c_int {
    if !ACTIVE.load(Ordering::Acquire) {
        // Left out by CONFIG_LSM or lsm=: no files, no state.
        return 0;
    }
    match crate::init::late_init() {
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
    unsafe { kernel::str::CStr::from_char_ptr(p) }.as_bytes()
}

/// arbor's part, of type `T`, at `offset` in a security blob.
///
/// # Safety
///
/// `blob` must be null or a security blob allocated by the LSM framework
/// with the sizes in [`BLOB_SIZES`], zero-filled, that stays allocated for
/// `'a`; `offset` must be the offset the framework wrote for arbor's part
/// of that kind of blob, which it sized with `size_of::<T>()`; all-zero
/// must be a valid `T`, and `T` must need no more than pointer alignment.
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

/// arbor's part of an inode's security blob.
pub(crate) fn inode_state(inode: &Inode) -> Option<&InodeState> {
    // SAFETY: `i_security` is set when the inode is allocated and freed
    // only after it (after an RCU grace period); the framework wrote
    // arbor's offset into `lbs_inode` during init, before any inode could
    // reach a hook, and never changes it. The blob was sized for
    // `InodeState`, whose alignment and all-zero validity are asserted
    // above and documented on the type; it outlives the borrow of `inode`.
    unsafe { blob_part((*inode.as_ptr()).i_security, (*BLOB_SIZES.get()).lbs_inode) }
}

/// arbor's part of an open file's security blob.
pub(crate) fn file_state(file: &File) -> Option<&FileState> {
    // SAFETY: `f_security` is set when the file is allocated and freed only
    // after `file_release`, when the file can no longer reach a hook; the
    // framework wrote arbor's offset into `lbs_file` during init and never
    // changes it. The blob was sized for `FileState` (alignment asserted
    // above, all-zero valid); it outlives the borrow of `file`.
    unsafe { blob_part((*file.as_ptr()).f_security, (*BLOB_SIZES.get()).lbs_file) }
}

/// # Safety
///
/// Called by the LSM framework with a valid `linux_binprm`.
unsafe extern "C" fn bprm_check_security(bprm: *mut bindings::linux_binprm) -> c_int {
    // SAFETY: the framework passes a valid binprm for the call.
    let bprm = unsafe { Binprm::from_raw(bprm) };
    crate::hooks::bprm_check(bprm).map_or_else(|e| e.to_errno(), |()| 0)
}

/// # Safety
///
/// Called by the LSM framework with a file being opened (its mode and
/// write access are set up; `->open` has not run yet).
unsafe extern "C" fn file_open(file: *mut bindings::file) -> c_int {
    // SAFETY: the framework passes the file being opened, valid for the call.
    let file = unsafe { File::from_raw(file) };
    crate::hooks::file_open(file).map_or_else(|e| e.to_errno(), |()| 0)
}

/// # Safety
///
/// Called by the LSM framework with a file it has just opened.
unsafe extern "C" fn file_post_open(file: *mut bindings::file, mask: c_int) -> c_int {
    // SAFETY: the framework passes the file it has just opened.
    let file = unsafe { File::from_raw(file) };
    crate::hooks::file_opened(file, mask as u32).map_or_else(|e| e.to_errno(), |()| 0)
}

/// # Safety
///
/// Called by the LSM framework with a file being released, still valid.
unsafe extern "C" fn file_release(file: *mut bindings::file) {
    // SAFETY: the framework passes the file being released, still valid.
    crate::hooks::file_released(unsafe { File::from_raw(file) });
}

/// # Safety
///
/// Called by the LSM framework with a valid dentry and attribute change,
/// before the change is made.
unsafe extern "C" fn inode_setattr(
    _idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    attr: *mut bindings::iattr,
) -> c_int {
    // SAFETY: `attr` is valid for the call.
    if unsafe { (*attr).ia_valid } & bindings::ATTR_SIZE == 0 {
        return 0;
    }
    // SAFETY: the dentry is valid and referenced for the call.
    let dentry = unsafe { Dentry::from_raw(dentry) };
    crate::hooks::resize(dentry).map_or_else(|e| e.to_errno(), |()| 0)
}

/// # Safety
///
/// Called by the LSM framework with a valid dentry whose attributes changed.
unsafe extern "C" fn inode_post_setattr(
    _idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    ia_valid: c_int,
) {
    if ia_valid as u32 & bindings::ATTR_SIZE == 0 {
        return;
    }
    // SAFETY: the dentry is valid for the call; a positive dentry (one that
    // was just changed) has a valid inode.
    let inode = unsafe { (*dentry).d_inode };
    if !inode.is_null() {
        // SAFETY: checked non-null above, valid for the call.
        crate::hooks::inode_resized(unsafe { Inode::from_raw(inode) });
    }
}

/// # Safety
///
/// Called by the LSM framework with a valid dentry and attribute name.
unsafe extern "C" fn inode_post_setxattr(
    dentry: *mut bindings::dentry,
    name: *const kernel::ffi::c_char,
    _value: *const core::ffi::c_void,
    _size: usize,
    _flags: c_int,
) {
    // SAFETY: as documented above.
    unsafe { xattr_changed(dentry, name) };
}

/// # Safety
///
/// Called by the LSM framework with a valid dentry and attribute name.
unsafe extern "C" fn inode_post_removexattr(
    dentry: *mut bindings::dentry,
    name: *const kernel::ffi::c_char,
) {
    // SAFETY: as documented above.
    unsafe { xattr_changed(dentry, name) };
}

/// # Safety
///
/// `dentry` must be valid and `name` NUL-terminated, for the call.
unsafe fn xattr_changed(dentry: *mut bindings::dentry, name: *const kernel::ffi::c_char) {
    // SAFETY: a valid dentry; the inode of a dentry whose attributes were
    // just changed is valid (checked non-null).
    let inode = unsafe { (*dentry).d_inode };
    if inode.is_null() {
        return;
    }
    // SAFETY: `name` is NUL-terminated for the call (caller's promise).
    let name = unsafe { kernel::str::CStr::from_char_ptr(name) };
    // SAFETY: non-null and valid, see above.
    crate::hooks::xattr_changed(unsafe { Inode::from_raw(inode) }, name.as_bytes());
}

/// # Safety
///
/// Called by the LSM framework with a file or NULL (anonymous mappings).
unsafe extern "C" fn mmap_file(
    file: *mut bindings::file,
    _reqprot: kernel::ffi::c_ulong,
    prot: kernel::ffi::c_ulong,
    _flags: kernel::ffi::c_ulong,
) -> c_int {
    // Called without the mmap lock (vm_mmap_pgoff, remap_file_pages, shmat):
    // arbor may read and hash the file here.
    if file.is_null() {
        return 0;
    }
    // SAFETY: non-null; the file is referenced for the call.
    let file = unsafe { File::from_raw(file) };
    crate::hooks::mmap(file, access(prot)).map_or_else(|e| e.to_errno(), |()| 0)
}

/// # Safety
///
/// Called by the LSM framework with a valid vma, under its mm's mmap lock
/// (held for writing). The mmap lock ranks below `i_rwsem` and the page
/// locks a read takes, so nothing here may read the file: the hook only
/// consults the policy.
unsafe extern "C" fn file_mprotect(
    vma: *mut bindings::vm_area_struct,
    _reqprot: kernel::ffi::c_ulong,
    prot: kernel::ffi::c_ulong,
) -> c_int {
    if prot & bindings::PROT_EXEC as kernel::ffi::c_ulong == 0 {
        return 0;
    }
    // SAFETY: the vma is valid and its fields stable under the mmap lock.
    let (file, flags) = unsafe { ((*vma).vm_file, (*vma).__bindgen_anon_2.vm_flags) };
    if file.is_null() || flags & bindings::VM_EXEC as kernel::ffi::c_ulong != 0 {
        // Anonymous memory, or already executable (checked at mmap time).
        return 0;
    }
    // SAFETY: a vma holds a reference to its file.
    let file = unsafe { File::from_raw(file) };
    crate::hooks::mprotect_exec(file, access(prot)).map_or_else(|e| e.to_errno(), |()| 0)
}

/// The `MAY_*` access bits for the `PROT_*` bits of a mapping.
fn access(prot: kernel::ffi::c_ulong) -> u32 {
    [
        (bindings::PROT_EXEC, bindings::MAY_EXEC),
        (bindings::PROT_READ, bindings::MAY_READ),
        (bindings::PROT_WRITE, bindings::MAY_WRITE),
    ]
    .into_iter()
    .filter(|&(p, _)| prot & p as kernel::ffi::c_ulong != 0)
    .fold(0, |acc, (_, may)| acc | may)
}

/// # Safety
///
/// Called by the LSM framework (from fs-verity) with a valid inode.
unsafe extern "C" fn inode_setintegrity(
    inode: *const bindings::inode,
    kind: bindings::lsm_integrity_type,
    _value: *const core::ffi::c_void,
    _size: usize,
) -> c_int {
    if kind == bindings::lsm_integrity_type_LSM_INT_FSVERITY_BUILTINSIG_VALID {
        // SAFETY: fs-verity passes the inode whose verity info it is setting up.
        crate::hooks::fsverity_signature_valid(unsafe { Inode::from_raw(inode) });
    }
    0
}
