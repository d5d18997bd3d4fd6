// SPDX-License-Identifier: GPL-2.0
//! `fuse-serve MNT SRCDIR [keep-cache]`: a minimal read-only FUSE server
//! speaking the raw /dev/fuse protocol (no libfuse in the guest).
//!
//! The mounted filesystem is flat: its root holds one regular file per
//! regular file NAME in SRCDIR (names starting with `.` or ending in
//! `.alt`, `.eio`, `.dio`, `.pt` or `.grow` are left out), numbered 2, 3, ... in
//! sorted name order. The set
//! of names and every attribute (size, times) are taken once at startup
//! and never change afterwards, whatever happens to the source files; the
//! mode is always 0755, uid and gid 0, and LOOKUP and GETATTR replies may
//! be cached for an hour.
//!
//! Data is read from the source at each READ: from SRCDIR/NAME.alt if
//! SRCDIR/.switch and NAME.alt exist at that moment, otherwise from
//! SRCDIR/NAME; they fail with EIO while SRCDIR/.switch and SRCDIR/NAME.eio
//! exist. Reads stop at the size seen at startup (but see `.grow` below);
//! a source that has become shorter is padded with zero bytes, so the
//! kernel never sees the file change size. OPEN replies carry no flags (the kernel drops the
//! file's page cache at each open) unless `keep-cache` is given, which
//! sets FOPEN_KEEP_CACHE. GETXATTR and LISTXATTR pass through to
//! SRCDIR/NAME; anything that would modify the filesystem fails with
//! EROFS; other requests get ENOSYS.
//!
//! What a hostile server can do besides, on request:
//! - while SRCDIR/NAME.grow exists, NAME is 4096 bytes longer, zeros:
//!   in LOOKUP and GETATTR replies, and to READ;
//! - while SRCDIR/NAME.dio exists, OPEN of NAME sets FOPEN_DIRECT_IO (the
//!   kernel is to read around its page cache);
//! - while SRCDIR/NAME.pt exists, OPEN of NAME sets FOPEN_PASSTHROUGH, with
//!   the file READ would read from at that moment as the backing file (the
//!   kernel reads it itself, without READ). The server offers passthrough
//!   at INIT only if some `.pt` file exists at startup;
//! - a LOOKUP of `NAME@store` sends FUSE_NOTIFY_STORE of all of
//!   SRCDIR/NAME.alt, at offset 0, into NAME's page cache, writes the
//!   outcome (`store ok` or `store errno N`) to SRCDIR/.store-result and
//!   fails with ENOENT.
//!
//! The parent process mounts, prints `fuse-serve ok` and exits 0 (or
//! prints `fuse-serve errno N` and exits 1); a child in a new session,
//! with its stdin and stdout on /dev/null, serves requests one at a time
//! until the filesystem is unmounted.

use std::ffi::{CString, OsStr, OsString};
use std::fs::File;
use std::io::{Read as _, Write as _};
use std::mem::size_of;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt as _, MetadataExt as _};
use std::path::{Path, PathBuf};
use std::process::exit;

use crate::errno;

/// Protocol version we speak (`FUSE_KERNEL_VERSION` and
/// `FUSE_KERNEL_MINOR_VERSION` in Linux 6.12).
const KERNEL_VERSION: u32 = 7;
const KERNEL_MINOR_VERSION: u32 = 41;
const ROOT_ID: u64 = 1;
const FOPEN_DIRECT_IO: u32 = 1 << 0;
const FOPEN_KEEP_CACHE: u32 = 1 << 1;
const FOPEN_PASSTHROUGH: u32 = 1 << 7;
/// INIT flags: `flags2` is valid; passthrough (`FUSE_PASSTHROUGH`, bit 37,
/// is bit 5 of `flags2`).
const FUSE_INIT_EXT: u32 = 1 << 30;
const FUSE_PASSTHROUGH2: u32 = 1 << 5;
/// `FUSE_NOTIFY_STORE`, in the error field of an unsolicited message.
const NOTIFY_STORE: i32 = 4;
/// `FUSE_DEV_IOC_BACKING_OPEN`: `_IOW(229, 1, struct fuse_backing_map)`.
const DEV_IOC_BACKING_OPEN: libc::c_ulong = 0x4010_e501;
/// Attribute and entry cache timeout, in seconds.
const VALID_SECS: u64 = 3600;
const MAX_WRITE: u32 = 4096;
/// Request buffer: at least FUSE_MIN_READ_BUFFER (8192) and header room
/// plus `MAX_WRITE`.
const REQ_BUF: usize = 64 * 1024 + 4096;
/// Upper bound for one READ reply or xattr buffer we allocate.
const MAX_REPLY: usize = 1 << 20;
const DT_DIR: u32 = 4;
const DT_REG: u32 = 8;

// `enum fuse_opcode`.
const LOOKUP: u32 = 1;
const FORGET: u32 = 2;
const GETATTR: u32 = 3;
const SETATTR: u32 = 4;
const READLINK: u32 = 5;
const SYMLINK: u32 = 6;
const MKNOD: u32 = 8;
const MKDIR: u32 = 9;
const UNLINK: u32 = 10;
const RMDIR: u32 = 11;
const RENAME: u32 = 12;
const LINK: u32 = 13;
const OPEN: u32 = 14;
const READ: u32 = 15;
const WRITE: u32 = 16;
const STATFS: u32 = 17;
const RELEASE: u32 = 18;
const FSYNC: u32 = 20;
const SETXATTR: u32 = 21;
const GETXATTR: u32 = 22;
const LISTXATTR: u32 = 23;
const REMOVEXATTR: u32 = 24;
const FLUSH: u32 = 25;
const INIT: u32 = 26;
const OPENDIR: u32 = 27;
const READDIR: u32 = 28;
const RELEASEDIR: u32 = 29;
const FSYNCDIR: u32 = 30;
const ACCESS: u32 = 34;
const CREATE: u32 = 35;
const INTERRUPT: u32 = 36;
const DESTROY: u32 = 38;
const NOTIFY_REPLY: u32 = 41;
const BATCH_FORGET: u32 = 42;
const FALLOCATE: u32 = 43;
const RENAME2: u32 = 45;
const COPY_FILE_RANGE: u32 = 47;
const TMPFILE: u32 = 51;

/// Plain old data: a `#[repr(C)]` struct of integers only, without padding
/// bytes.
///
/// # Safety
///
/// Every byte of a value is initialized and every byte pattern of the
/// right size is a valid value.
unsafe trait Pod: Copy {}

/// The bytes of `v`.
fn bytes<T: Pod>(v: &T) -> &[u8] {
    // SAFETY: `T: Pod` has no padding, so all `size_of::<T>()` bytes behind
    // the reference are initialized; the slice borrows `v`.
    unsafe { std::slice::from_raw_parts((v as *const T).cast::<u8>(), size_of::<T>()) }
}

/// Reads a `T` from the start of `b`, if it is long enough.
fn parse<T: Pod>(b: &[u8]) -> Option<T> {
    if b.len() < size_of::<T>() {
        return None;
    }
    // SAFETY: `b` holds at least `size_of::<T>()` readable bytes, any bytes
    // are a valid `T: Pod`, and read_unaligned needs no alignment.
    Some(unsafe { b.as_ptr().cast::<T>().read_unaligned() })
}

/// Declares `#[repr(C)]` structs from <linux/fuse.h> and checks their
/// sizes against the kernel's.
macro_rules! fuse_structs {
    ($($(#[$m:meta])* struct $name:ident = $size:literal { $($f:ident: $t:ty,)* })*) => {$(
        $(#[$m])*
        #[repr(C)]
        #[derive(Clone, Copy, Default)]
        #[allow(dead_code)] // the kernel's layout: not every field is read
        struct $name { $($f: $t,)* }
        const _: () = assert!(size_of::<$name>() == $size);
        // SAFETY: `#[repr(C)]`, integer fields only; the size assertion
        // above shows there is no padding.
        unsafe impl Pod for $name {}
    )*};
}

fuse_structs! {
    /// `struct fuse_in_header`.
    struct InHeader = 40 {
        len: u32,
        opcode: u32,
        unique: u64,
        nodeid: u64,
        uid: u32,
        gid: u32,
        pid: u32,
        total_extlen: u16,
        padding: u16,
    }
    /// `struct fuse_out_header`.
    struct OutHeader = 16 {
        len: u32,
        error: i32,
        unique: u64,
    }
    /// `struct fuse_init_in`.
    struct InitIn = 64 {
        major: u32,
        minor: u32,
        max_readahead: u32,
        flags: u32,
        flags2: u32,
        unused: [u32; 11],
    }
    /// `struct fuse_init_out`.
    struct InitOut = 64 {
        major: u32,
        minor: u32,
        max_readahead: u32,
        flags: u32,
        max_background: u16,
        congestion_threshold: u16,
        max_write: u32,
        time_gran: u32,
        max_pages: u16,
        map_alignment: u16,
        flags2: u32,
        max_stack_depth: u32,
        unused: [u32; 6],
    }
    /// `struct fuse_attr`.
    struct Attr = 88 {
        ino: u64,
        size: u64,
        blocks: u64,
        atime: u64,
        mtime: u64,
        ctime: u64,
        atimensec: u32,
        mtimensec: u32,
        ctimensec: u32,
        mode: u32,
        nlink: u32,
        uid: u32,
        gid: u32,
        rdev: u32,
        blksize: u32,
        flags: u32,
    }
    /// `struct fuse_entry_out`.
    struct EntryOut = 128 {
        nodeid: u64,
        generation: u64,
        entry_valid: u64,
        attr_valid: u64,
        entry_valid_nsec: u32,
        attr_valid_nsec: u32,
        attr: Attr,
    }
    /// `struct fuse_attr_out`.
    struct AttrOut = 104 {
        attr_valid: u64,
        attr_valid_nsec: u32,
        dummy: u32,
        attr: Attr,
    }
    /// `struct fuse_open_in`.
    struct OpenIn = 8 {
        flags: u32,
        open_flags: u32,
    }
    /// `struct fuse_open_out`.
    struct OpenOut = 16 {
        fh: u64,
        open_flags: u32,
        backing_id: i32,
    }
    /// `struct fuse_read_in` (also READDIR's argument).
    struct ReadIn = 40 {
        fh: u64,
        offset: u64,
        size: u32,
        read_flags: u32,
        lock_owner: u64,
        flags: u32,
        padding: u32,
    }
    /// `struct fuse_getxattr_in` (also LISTXATTR's argument).
    struct GetxattrIn = 8 {
        size: u32,
        padding: u32,
    }
    /// `struct fuse_getxattr_out`.
    struct GetxattrOut = 8 {
        size: u32,
        padding: u32,
    }
    /// `struct fuse_kstatfs` (all of `struct fuse_statfs_out`).
    struct StatfsOut = 80 {
        blocks: u64,
        bfree: u64,
        bavail: u64,
        files: u64,
        ffree: u64,
        bsize: u32,
        namelen: u32,
        frsize: u32,
        padding: u32,
        spare: [u32; 6],
    }
    /// `struct fuse_notify_store_out`.
    struct NotifyStoreOut = 24 {
        nodeid: u64,
        offset: u64,
        size: u32,
        padding: u32,
    }
    /// `struct fuse_backing_map`.
    struct BackingMap = 16 {
        fd: i32,
        flags: u32,
        padding: u64,
    }
    /// `struct fuse_dirent` without its name.
    struct Dirent = 24 {
        ino: u64,
        off: u64,
        namelen: u32,
        kind: u32,
    }
}

/// One file of the filesystem: nodeid `attr.ino`.
struct Node {
    name: OsString,
    attr: Attr,
}

struct Server {
    dev: File,
    src: PathBuf,
    nodes: Vec<Node>,
    keep_cache: bool,
    /// Passthrough is to be offered at INIT.
    offer_passthrough: bool,
    /// The kernel accepted passthrough.
    passthrough: bool,
}

/// A reply: an errno, or a payload.
type Reply = Result<Vec<u8>, i32>;

fn usage() -> ! {
    eprintln!("usage: arbor-guest fuse-serve MNT SRCDIR [keep-cache]");
    exit(2)
}

fn fail(e: i32) -> ! {
    println!("fuse-serve errno {e}");
    exit(1)
}

/// The part of `b` before its first NUL byte.
fn cstr_bytes(b: &[u8]) -> &[u8] {
    b.split(|&c| c == 0).next().unwrap_or(b)
}

fn attr_of(ino: u64, md: &std::fs::Metadata) -> Attr {
    // Times before 1970 are reported as 0 rather than wrapped.
    let secs = |t: i64| u64::try_from(t).unwrap_or(0);
    let nsec = |n: i64| u32::try_from(n).unwrap_or(0);
    Attr {
        ino,
        size: md.len(),
        blocks: md.len().div_ceil(512),
        atime: secs(md.atime()),
        mtime: secs(md.mtime()),
        ctime: secs(md.ctime()),
        atimensec: nsec(md.atime_nsec()),
        mtimensec: nsec(md.mtime_nsec()),
        ctimensec: nsec(md.ctime_nsec()),
        mode: libc::S_IFREG | 0o755,
        nlink: 1,
        blksize: 4096,
        ..Attr::default()
    }
}

fn root_attr() -> Attr {
    Attr {
        ino: ROOT_ID,
        mode: libc::S_IFDIR | 0o755,
        nlink: 2,
        blksize: 4096,
        ..Attr::default()
    }
}

/// The files of SRCDIR the filesystem shows, numbered from 2.
fn scan(src: &Path) -> std::io::Result<Vec<Node>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(src)? {
        let name = entry?.file_name();
        let b = name.as_bytes();
        if b.starts_with(b".")
            || [&b".alt"[..], b".eio", b".dio", b".pt", b".grow"]
                .iter()
                .any(|s| b.ends_with(s))
        {
            continue;
        }
        if std::fs::metadata(src.join(&name)).is_ok_and(|m| m.is_file()) {
            names.push(name);
        }
    }
    names.sort();
    let mut nodes = Vec::with_capacity(names.len());
    for (ino, name) in (2u64..).zip(names) {
        let md = std::fs::metadata(src.join(&name))?;
        let attr = attr_of(ino, &md);
        nodes.push(Node { name, attr });
    }
    Ok(nodes)
}

pub fn fuse_serve(args: &[OsString]) -> ! {
    let (mnt, src, keep_cache) = match args {
        [mnt, src] => (mnt, src, false),
        [mnt, src, k] if k == "keep-cache" => (mnt, src, true),
        _ => usage(),
    };
    let src = std::fs::canonicalize(src).unwrap_or_else(|e| {
        println!("fuse-serve: cannot resolve {}: {e}", src.to_string_lossy());
        exit(1)
    });
    let nodes = scan(&src).unwrap_or_else(|e| {
        println!("fuse-serve: cannot read {}: {e}", src.display());
        exit(1)
    });
    let dev = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/fuse")
        .unwrap_or_else(|e| fail(e.raw_os_error().unwrap_or(0)));
    let data = CString::new(format!(
        "fd={},rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions",
        dev.as_raw_fd()
    ))
    .unwrap_or_else(|_| usage());
    let target = crate::cstring(mnt);
    // SAFETY: all strings are NUL-terminated and outlive the call; `data`
    // names a descriptor that stays open.
    let r = unsafe {
        libc::mount(
            c"arbor-fuse".as_ptr(),
            target.as_ptr(),
            c"fuse".as_ptr(),
            0,
            data.as_ptr().cast(),
        )
    };
    if r != 0 {
        fail(errno())
    }
    // SAFETY: the process is single-threaded, so the child may go on
    // running any code.
    match unsafe { libc::fork() } {
        -1 => {
            let e = errno();
            // The mount would hang every user without a server.
            // SAFETY: `target` is NUL-terminated.
            unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) };
            fail(e)
        }
        0 => {}
        _ => {
            println!("fuse-serve ok");
            exit(0)
        }
    }
    detach(dev.as_raw_fd());
    let offer_passthrough = std::fs::read_dir(&src).is_ok_and(|d| {
        d.filter_map(Result::ok)
            .any(|e| e.file_name().as_bytes().ends_with(b".pt"))
    });
    let mut server = Server {
        dev,
        src,
        nodes,
        keep_cache,
        offer_passthrough,
        passthrough: false,
    };
    server.run();
    exit(0)
}

/// Leaves the parent's session, working directory, stdin, stdout and any
/// other inherited descriptor but stderr and `keep`, so that a shell
/// reading the parent's output sees it end.
fn detach(keep: i32) {
    // SAFETY: plain setsid(2); it fails harmlessly if we lead a group.
    unsafe { libc::setsid() };
    if let Err(e) = std::env::set_current_dir("/") {
        eprintln!("fuse-serve: chdir /: {e}");
    }
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
    {
        Ok(null) => {
            for fd in [0, 1] {
                // SAFETY: both descriptors are open; dup2 replaces `fd`,
                // which no Rust object owns (stdin and stdout are borrowed
                // per call).
                unsafe { libc::dup2(null.as_raw_fd(), fd) };
            }
        }
        Err(e) => eprintln!("fuse-serve: /dev/null: {e}"),
    }
    let fds: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    for fd in fds.into_iter().filter(|&fd| fd > 2 && fd != keep) {
        // SAFETY: no Rust object owns an inherited descriptor other than
        // `keep` (the one read_dir used is closed already, so this fails
        // with EBADF).
        unsafe { libc::close(fd) };
    }
}

impl Server {
    fn run(&mut self) {
        let mut buf = vec![0u8; REQ_BUF];
        loop {
            let n = match self.dev.read(&mut buf) {
                Ok(n) => n,
                Err(e) => match e.raw_os_error() {
                    // Interrupted, or a request gone before we read it.
                    Some(libc::EINTR | libc::EAGAIN | libc::ENOENT) => continue,
                    // Unmounted.
                    Some(libc::ENODEV) => return,
                    _ => {
                        eprintln!("fuse-serve: read /dev/fuse: {e}");
                        return;
                    }
                },
            };
            let Some(hdr) = parse::<InHeader>(&buf[..n]) else {
                eprintln!("fuse-serve: short request of {n} bytes");
                continue;
            };
            let end = (hdr.len as usize).clamp(size_of::<InHeader>(), n);
            let body = &buf[size_of::<InHeader>()..end];
            let reply = match hdr.opcode {
                // These take no reply.
                FORGET | BATCH_FORGET | INTERRUPT | NOTIFY_REPLY => continue,
                INIT => {
                    let (reply, passthrough) = init(body, self.offer_passthrough);
                    self.passthrough = passthrough;
                    reply
                }
                _ => self.handle(&hdr, body),
            };
            self.reply(hdr.unique, reply);
        }
    }

    fn reply(&mut self, unique: u64, reply: Reply) {
        let (error, payload) = match reply {
            Ok(p) => (0, p),
            Err(e) => (-e, Vec::new()),
        };
        let len = size_of::<OutHeader>() + payload.len();
        let out = OutHeader {
            len: len as u32,
            error,
            unique,
        };
        let mut msg = Vec::with_capacity(len);
        msg.extend_from_slice(bytes(&out));
        msg.extend_from_slice(&payload);
        match self.dev.write(&msg) {
            Ok(w) if w == msg.len() => {}
            Ok(w) => eprintln!("fuse-serve: short reply write {w} of {len}"),
            // ENOENT: the request was interrupted and is gone.
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {}
            Err(e) => eprintln!("fuse-serve: reply to {unique}: {e}"),
        }
    }

    fn node(&self, nodeid: u64) -> Result<&Node, i32> {
        nodeid
            .checked_sub(2)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| self.nodes.get(i))
            .ok_or(if nodeid == ROOT_ID {
                libc::EISDIR
            } else {
                libc::ENOENT
            })
    }

    fn attr(&self, nodeid: u64) -> Result<Attr, i32> {
        if nodeid == ROOT_ID {
            return Ok(root_attr());
        }
        self.node(nodeid).map(|n| self.reported(n))
    }

    /// The attributes reported for NODE: 4096 bytes more while NAME.grow
    /// exists.
    fn reported(&self, node: &Node) -> Attr {
        let mut attr = node.attr;
        if self.marked(&node.name, ".grow") {
            attr.size += 4096;
            attr.blocks = attr.size.div_ceil(512);
        }
        attr
    }

    fn handle(&self, hdr: &InHeader, body: &[u8]) -> Reply {
        match hdr.opcode {
            LOOKUP => self.lookup(hdr.nodeid, body),
            GETATTR => {
                let attr = self.attr(hdr.nodeid)?;
                let out = AttrOut {
                    attr_valid: VALID_SECS,
                    attr,
                    ..AttrOut::default()
                };
                Ok(bytes(&out).to_vec())
            }
            OPEN => {
                let arg = parse::<OpenIn>(body).ok_or(libc::EINVAL)?;
                let node = self.node(hdr.nodeid)?;
                if arg.flags as i32 & libc::O_ACCMODE != libc::O_RDONLY {
                    return Err(libc::EROFS);
                }
                let mut out = OpenOut {
                    open_flags: if self.keep_cache { FOPEN_KEEP_CACHE } else { 0 },
                    ..OpenOut::default()
                };
                if self.marked(&node.name, ".dio") {
                    out.open_flags |= FOPEN_DIRECT_IO;
                }
                if self.passthrough && self.marked(&node.name, ".pt") {
                    out.backing_id = self.backing(&node.name)?;
                    out.open_flags |= FOPEN_PASSTHROUGH;
                }
                Ok(bytes(&out).to_vec())
            }
            OPENDIR => {
                if hdr.nodeid != ROOT_ID {
                    return Err(libc::ENOTDIR);
                }
                Ok(bytes(&OpenOut::default()).to_vec())
            }
            READ => self.read(hdr.nodeid, body),
            READDIR => self.readdir(hdr.nodeid, body),
            GETXATTR | LISTXATTR => self.xattr(hdr, body),
            STATFS => {
                let out = StatfsOut {
                    bsize: 4096,
                    frsize: 4096,
                    namelen: 255,
                    ..StatfsOut::default()
                };
                Ok(bytes(&out).to_vec())
            }
            ACCESS | FLUSH | RELEASE | RELEASEDIR | FSYNC | FSYNCDIR | DESTROY => Ok(Vec::new()),
            SETATTR | SYMLINK | MKNOD | MKDIR | UNLINK | RMDIR | RENAME | LINK | WRITE
            | SETXATTR | REMOVEXATTR | CREATE | FALLOCATE | RENAME2 | COPY_FILE_RANGE | TMPFILE => {
                Err(libc::EROFS)
            }
            READLINK => Err(libc::EINVAL),
            _ => Err(libc::ENOSYS),
        }
    }

    /// Whether SRCDIR/NAME`suffix` exists.
    fn marked(&self, name: &OsStr, suffix: &str) -> bool {
        std::fs::symlink_metadata(self.sibling(name, suffix)).is_ok()
    }

    /// SRCDIR/NAME`suffix`.
    fn sibling(&self, name: &OsStr, suffix: &str) -> PathBuf {
        let mut s = name.to_os_string();
        s.push(suffix);
        self.src.join(s)
    }

    /// Registers the file READ would read NAME from as a backing file.
    fn backing(&self, name: &OsStr) -> Result<i32, i32> {
        let file = self.source(name)?;
        let map = BackingMap {
            fd: file.as_raw_fd(),
            ..BackingMap::default()
        };
        // SAFETY: the ioctl reads a `struct fuse_backing_map`; the kernel
        // takes its own reference to the file, so ours may close after.
        let id = unsafe { libc::ioctl(self.dev.as_raw_fd(), DEV_IOC_BACKING_OPEN, &map) };
        if id < 0 {
            Err(errno())
        } else {
            Ok(id)
        }
    }

    /// FUSE_NOTIFY_STORE of SRCDIR/NAME.alt into NAME's page cache; the
    /// outcome goes to SRCDIR/.store-result.
    fn store(&self, node: &Node) {
        let res = std::fs::read(self.sibling(&node.name, ".alt"))
            .map_err(|e| e.raw_os_error().unwrap_or(libc::EIO))
            .and_then(|data| {
                let arg = NotifyStoreOut {
                    nodeid: node.attr.ino,
                    offset: 0,
                    size: u32::try_from(data.len()).map_err(|_| libc::EFBIG)?,
                    padding: 0,
                };
                let len = size_of::<OutHeader>() + size_of::<NotifyStoreOut>() + data.len();
                let hdr = OutHeader {
                    len: u32::try_from(len).map_err(|_| libc::EFBIG)?,
                    error: NOTIFY_STORE,
                    unique: 0,
                };
                let mut msg = Vec::with_capacity(len);
                msg.extend_from_slice(bytes(&hdr));
                msg.extend_from_slice(bytes(&arg));
                msg.extend_from_slice(&data);
                (&self.dev)
                    .write(&msg)
                    .map_err(|e| e.raw_os_error().unwrap_or(libc::EIO))
            });
        let line = match res {
            Ok(_) => "store ok\n".to_owned(),
            Err(e) => format!("store errno {e}\n"),
        };
        if let Err(e) = std::fs::write(self.src.join(".store-result"), line) {
            eprintln!("fuse-serve: .store-result: {e}");
        }
    }

    fn lookup(&self, parent: u64, body: &[u8]) -> Reply {
        if parent != ROOT_ID {
            return Err(libc::ENOTDIR);
        }
        let name = OsStr::from_bytes(cstr_bytes(body));
        if let Some(target) = name.as_bytes().strip_suffix(b"@store") {
            let target = OsStr::from_bytes(target);
            let node = self
                .nodes
                .iter()
                .find(|n| n.name == target)
                .ok_or(libc::ENOENT)?;
            self.store(node);
            return Err(libc::ENOENT);
        }
        let node = self
            .nodes
            .iter()
            .find(|n| n.name == name)
            .ok_or(libc::ENOENT)?;
        let out = EntryOut {
            nodeid: node.attr.ino,
            generation: 0,
            entry_valid: VALID_SECS,
            attr_valid: VALID_SECS,
            attr: self.reported(node),
            ..EntryOut::default()
        };
        Ok(bytes(&out).to_vec())
    }

    /// The bytes of the file at [offset, offset + size), cut at the size
    /// reported and zero-padded up to it.
    fn read(&self, nodeid: u64, body: &[u8]) -> Reply {
        let arg = parse::<ReadIn>(body).ok_or(libc::EINVAL)?;
        let node = self.node(nodeid)?;
        let size = self.reported(node).size;
        if arg.offset >= size {
            return Ok(Vec::new());
        }
        let want = (arg.size as usize).min(MAX_REPLY);
        let len = usize::try_from(size - arg.offset).map_or(want, |left| left.min(want));
        let file = self.source(&node.name)?;
        let mut out = vec![0u8; len];
        let mut done = 0;
        while done < len {
            match file.read_at(&mut out[done..], arg.offset + done as u64) {
                Ok(0) => break,
                Ok(k) => done += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.raw_os_error().unwrap_or(libc::EIO)),
            }
        }
        Ok(out)
    }

    /// Opens NAME.alt if `.switch` exists and NAME.alt too, else NAME;
    /// fails with EIO if `.switch` and NAME.eio exist.
    fn source(&self, name: &OsStr) -> Result<File, i32> {
        let os_err = |e: std::io::Error| e.raw_os_error().unwrap_or(libc::EIO);
        if std::fs::symlink_metadata(self.src.join(".switch")).is_ok() {
            if self.marked(name, ".eio") {
                return Err(libc::EIO);
            }
            match File::open(self.sibling(name, ".alt")) {
                Ok(f) => return Ok(f),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(os_err(e)),
            }
        }
        File::open(self.src.join(name)).map_err(os_err)
    }

    fn readdir(&self, nodeid: u64, body: &[u8]) -> Reply {
        let arg = parse::<ReadIn>(body).ok_or(libc::EINVAL)?;
        if nodeid != ROOT_ID {
            return Err(libc::ENOTDIR);
        }
        let dots = [
            (ROOT_ID, OsStr::new("."), DT_DIR),
            (ROOT_ID, OsStr::new(".."), DT_DIR),
        ];
        let files = self
            .nodes
            .iter()
            .map(|n| (n.attr.ino, n.name.as_os_str(), DT_REG));
        let max = (arg.size as usize).min(MAX_REPLY);
        let mut out = Vec::new();
        let start = usize::try_from(arg.offset).unwrap_or(usize::MAX);
        for (i, (ino, name, kind)) in dots.into_iter().chain(files).enumerate().skip(start) {
            let name = name.as_bytes();
            let rec = (size_of::<Dirent>() + name.len()).next_multiple_of(8);
            if out.len() + rec > max {
                break;
            }
            let d = Dirent {
                ino,
                off: i as u64 + 1,
                namelen: name.len() as u32,
                kind,
            };
            let at = out.len();
            out.extend_from_slice(bytes(&d));
            out.extend_from_slice(name);
            out.resize(at + rec, 0);
        }
        Ok(out)
    }

    /// GETXATTR and LISTXATTR, passed through to SRCDIR/NAME.
    fn xattr(&self, hdr: &InHeader, body: &[u8]) -> Reply {
        let arg = parse::<GetxattrIn>(body).ok_or(libc::EINVAL)?;
        if hdr.nodeid == ROOT_ID {
            return if hdr.opcode == GETXATTR {
                Err(libc::ENODATA)
            } else if arg.size == 0 {
                Ok(bytes(&GetxattrOut::default()).to_vec())
            } else {
                Ok(Vec::new())
            };
        }
        let node = self.node(hdr.nodeid)?;
        let path = CString::new(self.src.join(&node.name).as_os_str().as_bytes())
            .map_err(|_| libc::EINVAL)?;
        let name =
            CString::new(cstr_bytes(&body[size_of::<GetxattrIn>()..])).map_err(|_| libc::EINVAL)?;
        let mut buf = vec![0u8; (arg.size as usize).min(MAX_REPLY)];
        let (ptr, cap) = if buf.is_empty() {
            (std::ptr::null_mut(), 0)
        } else {
            (buf.as_mut_ptr(), buf.len())
        };
        let r = if hdr.opcode == GETXATTR {
            // SAFETY: NUL-terminated path and name; `ptr` is null with size
            // 0 or writable for `cap` bytes.
            unsafe { libc::getxattr(path.as_ptr(), name.as_ptr(), ptr.cast(), cap) }
        } else {
            // SAFETY: NUL-terminated path; `ptr` as above.
            unsafe { libc::listxattr(path.as_ptr(), ptr.cast(), cap) }
        };
        let Ok(n) = usize::try_from(r) else {
            return Err(errno());
        };
        if arg.size == 0 {
            let out = GetxattrOut {
                size: u32::try_from(n).map_err(|_| libc::E2BIG)?,
                padding: 0,
            };
            return Ok(bytes(&out).to_vec());
        }
        buf.truncate(n);
        Ok(buf)
    }
}

/// INIT: protocol 7.x with no optional features but passthrough, if
/// OFFER_PASSTHROUGH and the kernel offers it. Returns the reply and
/// whether passthrough is on.
fn init(body: &[u8], offer_passthrough: bool) -> (Reply, bool) {
    match init_reply(body, offer_passthrough) {
        Ok((reply, passthrough)) => (Ok(reply), passthrough),
        Err(e) => (Err(e), false),
    }
}

fn init_reply(body: &[u8], offer_passthrough: bool) -> Result<(Vec<u8>, bool), i32> {
    let arg = parse::<InitIn>(body)
        .or_else(|| {
            // Kernels before 7.36 send only the first four fields.
            let mut b = [0u8; size_of::<InitIn>()];
            let head = body.get(..16)?;
            b[..16].copy_from_slice(head);
            parse::<InitIn>(&b)
        })
        .ok_or(libc::EINVAL)?;
    if arg.major < KERNEL_VERSION {
        eprintln!("fuse-serve: kernel protocol {}.{}", arg.major, arg.minor);
        return Err(libc::EPROTO);
    }
    let mut out = InitOut {
        major: KERNEL_VERSION,
        ..InitOut::default()
    };
    if arg.major > KERNEL_VERSION {
        // The kernel will send INIT again for our major version.
        return Ok((bytes(&out).get(..8).unwrap_or_default().to_vec(), false));
    }
    out.minor = arg.minor.min(KERNEL_MINOR_VERSION);
    out.max_readahead = arg.max_readahead;
    out.max_write = MAX_WRITE;
    out.time_gran = 1;
    let passthrough =
        offer_passthrough && arg.flags & FUSE_INIT_EXT != 0 && arg.flags2 & FUSE_PASSTHROUGH2 != 0;
    if passthrough {
        out.flags |= FUSE_INIT_EXT;
        out.flags2 |= FUSE_PASSTHROUGH2;
        // Backing files on a filesystem that stacks on none.
        out.max_stack_depth = 1;
    }
    // Before 7.23 the reply is FUSE_COMPAT_22_INIT_OUT_SIZE bytes.
    let len = if out.minor < 23 {
        24
    } else {
        size_of::<InitOut>()
    };
    Ok((
        bytes(&out).get(..len).unwrap_or_default().to_vec(),
        passthrough,
    ))
}
