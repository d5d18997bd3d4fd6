// SPDX-License-Identifier: GPL-2.0
//! `steps STEP [STEP...]`: runs file operations in order in one process,
//! so that an attack can keep descriptors open across several of them.
//!
//! A STEP is one word: an operation and its arguments separated by `:`.
//! Each step prints one line `OP RESULT`, where RESULT is `ok`, `ret N`
//! (the value returned by code the step called), `errno N` (the errno of
//! the system call that failed), `out LINE` (the first line a program
//! printed, `-` if none) or `status N` (exit status, 128+signal if killed).
//! A failed step does not stop the sequence; a step that needs a
//! descriptor that is not open prints `errno 9` (EBADF).
//!
//! Descriptors are named: the `open-*` steps store one under NAME
//! (replacing any open one; a failed open leaves NAME closed).
//!
//!   open-rw|open-wo|open-ro|open-direct|open-ro-direct:NAME:PATH
//!                         O_RDWR, O_WRONLY, O_RDONLY, O_RDWR|O_DIRECT,
//!                         O_RDONLY|O_DIRECT
//!   close:NAME
//!   call:PATH             map PATH PROT_READ|PROT_EXEC, MAP_PRIVATE, call
//!                         offset 0 as `extern "C" fn() -> i32`: `ret N`
//!   call-fd:NAME          the same through descriptor NAME
//!   mprotect-call:PATH    map PROT_READ, mprotect(PROT_READ|PROT_EXEC), call
//!   wx-call:PATH          map PROT_READ|PROT_WRITE|PROT_EXEC private, call
//!   pwrite:NAME:SRC:OFF   pwrite SRC's bytes at OFF
//!   write-shared:NAME:SRC write SRC's bytes at 0 through a MAP_SHARED
//!                         mapping, then msync; `errno 27` (EFBIG) if the
//!                         file is shorter than SRC
//!   write-direct:NAME:SRC pwrite one 4096-byte aligned block (SRC's bytes,
//!                         zero-padded) at 0, for O_DIRECT
//!   truncate:PATH:SIZE, ftruncate:NAME:SIZE, fallocate:NAME:OFF:LEN
//!   copy-range:NAME:SRC   copy_file_range all of SRC to NAME at 0
//!   splice:NAME:SRC       splice SRC through a pipe to NAME at 0
//!   exec:PATH             fork, execve(PATH, [PATH], []): `out LINE`, or
//!                         `status N` if it printed nothing and failed
//!   start:KEY:PATH        fork, execve(PATH, [PATH, "wait"], []) with
//!                         stdin on a pipe, and keep it running under KEY:
//!                         `ok` once the exec succeeded
//!   finish:KEY            write one byte to KEY's stdin, close it and wait
//!                         for the program: `out LINE`, or `status N` as
//!                         for exec
//!   link:OLD:NEW, rename:OLD:NEW, unlink:PATH
//!   setxattr:PATH:NAME:SRC, removexattr:PATH:NAME
//!   memfd-exec:SRC        execveat a memfd holding SRC's bytes
//!   tmpfile-exec:DIR:SRC  execveat an O_TMPFILE in DIR holding SRC's
//!                         bytes (`tmpfile-exec`), then link it as
//!                         DIR/tmpfile-linked, close it and exec that path
//!                         (`tmpfile-linked-exec`)
//!   ldso:LOADER:PROG      run LOADER PROG: `out LINE`, or `status N` if
//!                         it printed nothing and failed
//!   userns-tmpfs-setxattr:DIR:PROG:SIGSRC
//!                         in a child, as uid/gid 1000 in a new user and
//!                         mount namespace, mount a tmpfs on DIR, copy PROG
//!                         to DIR/prog, set its security.arbor to SIGSRC's
//!                         bytes and exec it; prints `userns`,
//!                         `userns-mount`, `userns-setxattr` (which covers
//!                         the copy) and `userns-exec`; a sub-step not tried
//!                         because an earlier one failed prints `errno 125`
//!   map:KEY:PATH          map PATH PROT_READ|PROT_EXEC, MAP_PRIVATE, and
//!                         keep the mapping under KEY, untouched
//!   call-at:KEY:OFF       in a forked child, call the code at offset OFF
//!                         of mapping KEY: `ret N` (N & 255), or `status
//!                         N` if the child was killed (128 + signal)
//!   touch:PATH            create PATH (empty) if it does not exist
//!   stat-sync:PATH        statx(PATH) with AT_STATX_FORCE_SYNC (the size
//!                         asked of the filesystem's server): `size N`
//!   drop-caches:N         write N to /proc/sys/vm/drop_caches (1: drop
//!                         every clean page that no process maps)
//!   pread-cmp:NAME:SRC:OFF:LEN
//!                         pread LEN bytes at OFF and compare them with
//!                         SRC's bytes there: `ok` if equal, `differs`
//!   splice-cmp:NAME:SRC:OFF:LEN
//!                         the same, the bytes spliced from OFF into a pipe
//!   sendfile-cmp:NAME:SRC:OFF:LEN
//!                         the same, the bytes sent with sendfile(2) from
//!                         OFF into a memfd
//!   write-under:PATH:DEV:OFF:SRC
//!                         write SRC's bytes over PATH's at OFF on the
//!                         block device DEV, at the blocks FIEMAP maps
//!                         there (PATH synced first; one extent must cover
//!                         them), then fsync DEV: the file's size, times
//!                         and change attribute stay as they were
//!   sleep-ms:N            sleep N milliseconds
//!   write-faulting:PATH:SRC
//!                         one write() to PATH (opened write-only) of SRC's
//!                         bytes followed by 64 bytes of an unmapped page:
//!                         the copy from user memory faults part way
//!   race-writer:PATH:SRC:LOOPS
//!                         while this thread runs PATH LOOPS times, a
//!                         second thread keeps opening PATH for writing,
//!                         writing SRC at 0 and then PATH's original bytes
//!                         back; prints `race-writer opened N` and
//!                         `race-exec hello=A pwned=B errors=C`
//!
//! Programs run with an empty environment and their stdout on a pipe; all
//! descriptors but 0-2 are closed in the child before the exec.

use std::collections::HashMap;
use std::ffi::{CStr, CString, OsStr, OsString};
use std::fmt;
use std::io::Write as _;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::process::exit;

use crate::errno;

type Errno = i32;

/// Every operation with the form of its arguments (one `:` per extra
/// argument), for usage checks and messages.
const FORMS: &[(&str, &str)] = &[
    ("open-rw", "NAME:PATH"),
    ("open-wo", "NAME:PATH"),
    ("open-ro", "NAME:PATH"),
    ("open-direct", "NAME:PATH"),
    ("open-ro-direct", "NAME:PATH"),
    ("close", "NAME"),
    ("call", "PATH"),
    ("call-fd", "NAME"),
    ("mprotect-call", "PATH"),
    ("wx-call", "PATH"),
    ("pwrite", "NAME:SRC:OFF"),
    ("write-shared", "NAME:SRC"),
    ("write-direct", "NAME:SRC"),
    ("truncate", "PATH:SIZE"),
    ("ftruncate", "NAME:SIZE"),
    ("fallocate", "NAME:OFF:LEN"),
    ("copy-range", "NAME:SRC"),
    ("splice", "NAME:SRC"),
    ("exec", "PATH"),
    ("start", "KEY:PATH"),
    ("finish", "KEY"),
    ("link", "OLD:NEW"),
    ("rename", "OLD:NEW"),
    ("unlink", "PATH"),
    ("setxattr", "PATH:NAME:SRC"),
    ("removexattr", "PATH:NAME"),
    ("memfd-exec", "SRC"),
    ("tmpfile-exec", "DIR:SRC"),
    ("ldso", "LOADER:PROG"),
    ("userns-tmpfs-setxattr", "DIR:PROG:SIGSRC"),
    ("sleep-ms", "N"),
    ("map", "KEY:PATH"),
    ("call-at", "KEY:OFF"),
    ("touch", "PATH"),
    ("stat-sync", "PATH"),
    ("drop-caches", "N"),
    ("pread-cmp", "NAME:SRC:OFF:LEN"),
    ("splice-cmp", "NAME:SRC:OFF:LEN"),
    ("sendfile-cmp", "NAME:SRC:OFF:LEN"),
    ("write-under", "PATH:DEV:OFF:SRC"),
    ("race-writer", "PATH:SRC:LOOPS"),
    ("write-faulting", "PATH:SRC"),
];

/// The outcome of a step, printed after its name.
enum Res {
    Ok,
    Ret(i32),
    Errno(Errno),
    /// The first line a program printed, `None` if it printed nothing.
    Out(Option<String>),
    Status(i32),
    /// Bytes read are not the ones expected.
    Differs,
    /// A file's size.
    Size(u64),
}

impl fmt::Display for Res {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Res::Ok => write!(f, "ok"),
            Res::Ret(n) => write!(f, "ret {n}"),
            Res::Errno(e) => write!(f, "errno {e}"),
            Res::Out(Some(line)) => write!(f, "out {line}"),
            Res::Out(None) => write!(f, "out -"),
            Res::Status(s) => write!(f, "status {s}"),
            Res::Differs => write!(f, "differs"),
            Res::Size(n) => write!(f, "size {n}"),
        }
    }
}

fn report(op: &str, res: Result<Res, Errno>) {
    let res = res.unwrap_or_else(Res::Errno);
    // Nothing useful is left to do if stdout is gone.
    let _ = writeln!(std::io::stdout(), "{op} {res}");
}

enum Step {
    Open {
        op: &'static str,
        name: String,
        path: CString,
        flags: libc::c_int,
    },
    Close(String),
    Call(CString),
    CallFd(String),
    MprotectCall(CString),
    WxCall(CString),
    Pwrite(String, CString, i64),
    WriteShared(String, CString),
    WriteDirect(String, CString),
    Truncate(CString, i64),
    Ftruncate(String, i64),
    Fallocate(String, i64, i64),
    CopyRange(String, CString),
    Splice(String, CString),
    Exec(CString),
    Start(String, CString),
    Finish(String),
    Link(CString, CString),
    Rename(CString, CString),
    Unlink(CString),
    Setxattr(CString, CString, CString),
    Removexattr(CString, CString),
    MemfdExec(CString),
    TmpfileExec(CString, CString),
    Ldso(CString, CString),
    Userns(CString, CString, CString),
    SleepMs(u64),
    Map(String, CString),
    CallAt(String, usize),
    Touch(CString),
    StatSync(CString),
    DropCaches(u32),
    ReadCmp(ReadBy, String, CString, i64, usize),
    WriteUnder(CString, CString, u64, CString),
    RaceWriter(CString, CString, u32),
    WriteFaulting(CString, CString),
}

/// One STEP word split at `:`; its accessors exit with a usage error.
struct Word<'a> {
    text: &'a OsStr,
    args: Vec<&'a [u8]>,
}

impl Word<'_> {
    fn bad(&self, why: &str) -> ! {
        eprintln!(
            "arbor-guest steps: {why} in step `{}`",
            self.text.to_string_lossy()
        );
        exit(2)
    }

    fn path(&self, i: usize) -> CString {
        CString::new(self.args[i]).unwrap_or_else(|_| self.bad("a NUL byte"))
    }

    fn name(&self, i: usize) -> String {
        String::from_utf8(self.args[i].to_vec()).unwrap_or_else(|_| self.bad("a non-UTF-8 name"))
    }

    fn num<T: std::str::FromStr>(&self, i: usize) -> T {
        std::str::from_utf8(self.args[i])
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| self.bad("a bad number"))
    }
}

fn parse(text: &OsStr) -> Step {
    let mut parts = text.as_bytes().split(|&b| b == b':');
    let op = parts.next().unwrap_or_default();
    let args: Vec<&[u8]> = parts.collect();
    let w = Word { text, args };
    let Some(&(op, form)) = FORMS.iter().find(|(name, _)| name.as_bytes() == op) else {
        w.bad("an unknown operation")
    };
    if w.args.len() != form.split(':').count() {
        eprintln!(
            "arbor-guest steps: `{}` should be {op}:{form}",
            text.to_string_lossy()
        );
        exit(2)
    }
    let open = |flags| Step::Open {
        op,
        name: w.name(0),
        path: w.path(1),
        flags,
    };
    match op {
        "open-rw" => open(libc::O_RDWR),
        "open-wo" => open(libc::O_WRONLY),
        "open-ro" => open(libc::O_RDONLY),
        "open-direct" => open(libc::O_RDWR | libc::O_DIRECT),
        "open-ro-direct" => open(libc::O_RDONLY | libc::O_DIRECT),
        "close" => Step::Close(w.name(0)),
        "call" => Step::Call(w.path(0)),
        "call-fd" => Step::CallFd(w.name(0)),
        "mprotect-call" => Step::MprotectCall(w.path(0)),
        "wx-call" => Step::WxCall(w.path(0)),
        "pwrite" => Step::Pwrite(w.name(0), w.path(1), w.num(2)),
        "write-shared" => Step::WriteShared(w.name(0), w.path(1)),
        "write-direct" => Step::WriteDirect(w.name(0), w.path(1)),
        "truncate" => Step::Truncate(w.path(0), w.num(1)),
        "ftruncate" => Step::Ftruncate(w.name(0), w.num(1)),
        "fallocate" => Step::Fallocate(w.name(0), w.num(1), w.num(2)),
        "copy-range" => Step::CopyRange(w.name(0), w.path(1)),
        "splice" => Step::Splice(w.name(0), w.path(1)),
        "exec" => Step::Exec(w.path(0)),
        "start" => Step::Start(w.name(0), w.path(1)),
        "finish" => Step::Finish(w.name(0)),
        "link" => Step::Link(w.path(0), w.path(1)),
        "rename" => Step::Rename(w.path(0), w.path(1)),
        "unlink" => Step::Unlink(w.path(0)),
        "setxattr" => Step::Setxattr(w.path(0), w.path(1), w.path(2)),
        "removexattr" => Step::Removexattr(w.path(0), w.path(1)),
        "memfd-exec" => Step::MemfdExec(w.path(0)),
        "tmpfile-exec" => Step::TmpfileExec(w.path(0), w.path(1)),
        "ldso" => Step::Ldso(w.path(0), w.path(1)),
        "userns-tmpfs-setxattr" => Step::Userns(w.path(0), w.path(1), w.path(2)),
        "sleep-ms" => Step::SleepMs(w.num(0)),
        "map" => Step::Map(w.name(0), w.path(1)),
        "call-at" => Step::CallAt(w.name(0), w.num(1)),
        "touch" => Step::Touch(w.path(0)),
        "stat-sync" => Step::StatSync(w.path(0)),
        "drop-caches" => Step::DropCaches(w.num(0)),
        "pread-cmp" | "splice-cmp" | "sendfile-cmp" => Step::ReadCmp(
            match op {
                "pread-cmp" => ReadBy::Pread,
                "splice-cmp" => ReadBy::Splice,
                _ => ReadBy::Sendfile,
            },
            w.name(0),
            w.path(1),
            w.num(2),
            w.num(3),
        ),
        "write-faulting" => Step::WriteFaulting(w.path(0), w.path(1)),
        "write-under" => Step::WriteUnder(w.path(0), w.path(1), w.num(2), w.path(3)),
        "race-writer" => {
            let loops = w.num(2);
            Step::RaceWriter(w.path(0), w.path(1), loops)
        }
        _ => w.bad("an unknown operation"),
    }
}

/// The named descriptors the steps open, use and close.
#[derive(Default)]
struct Fds(HashMap<String, OwnedFd>);

impl Fds {
    fn get(&self, name: &str) -> Result<RawFd, Errno> {
        self.0.get(name).map(|fd| fd.as_raw_fd()).ok_or(libc::EBADF)
    }

    /// Opens PATH under NAME, closing what NAME held before.
    fn open(&mut self, name: &str, path: &CStr, flags: libc::c_int) -> Result<Res, Errno> {
        self.0.remove(name);
        let fd = open(path, flags | libc::O_CLOEXEC, 0)?;
        self.0.insert(name.to_owned(), fd);
        Ok(Res::Ok)
    }

    fn close(&mut self, name: &str) -> Result<Res, Errno> {
        let fd = self.0.remove(name).ok_or(libc::EBADF)?;
        use std::os::fd::IntoRawFd as _;
        // SAFETY: the table owned `fd`; it is closed exactly once, here.
        cvt(unsafe { libc::close(fd.into_raw_fd()) })?;
        Ok(Res::Ok)
    }
}

/// Turns a negative system call result into its errno.
fn cvt<T: Default + PartialOrd>(r: T) -> Result<T, Errno> {
    if r < T::default() {
        Err(errno())
    } else {
        Ok(r)
    }
}

/// Takes ownership of a descriptor a system call just returned.
fn owned(fd: libc::c_int) -> Result<OwnedFd, Errno> {
    let fd = cvt(fd)?;
    // SAFETY: `fd` is a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn open(path: &CStr, flags: libc::c_int, mode: libc::mode_t) -> Result<OwnedFd, Errno> {
    // SAFETY: `path` is NUL-terminated; open(2) returns a new descriptor.
    owned(unsafe { libc::open(path.as_ptr(), flags, libc::c_uint::from(mode)) })
}

/// DIR/NAME.
fn join(dir: &CStr, name: &str) -> Result<CString, Errno> {
    CString::new([dir.to_bytes(), b"/", name.as_bytes()].concat()).map_err(|_| libc::EINVAL)
}

/// `write-faulting:PATH:SRC`: a write whose buffer ends in an unmapped
/// page, so that the kernel can copy SRC's bytes but not the 64 after them.
fn write_faulting(path: &CStr, src: &CStr) -> Result<Res, Errno> {
    let data = read_file(src)?;
    let page = 4096usize;
    let len = data.len().div_ceil(page) * page;
    // SAFETY: a new private anonymous mapping of `len` bytes plus a page.
    let base = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len + page,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if base == libc::MAP_FAILED {
        return Err(errno());
    }
    let base = base.cast::<u8>();
    // SAFETY: the last page of the mapping just made is unmapped, so that
    // a read of it faults; the rest stays mapped until the end.
    unsafe { libc::munmap(base.add(len).cast(), page) };
    // SAFETY: `len - data.len()` plus `data.len()` is within the mapped
    // `len` bytes, which nothing else uses.
    let start = unsafe { base.add(len - data.len()) };
    // SAFETY: `start` has room for `data.len()` bytes (see above).
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), start, data.len()) };
    let r = open(path, libc::O_WRONLY | libc::O_CLOEXEC, 0).and_then(|fd| {
        // SAFETY: the descriptor is open; the kernel reads the buffer, whose
        // last 64 bytes are in the unmapped page and fault.
        let n = unsafe { libc::write(fd.as_raw_fd(), start.cast(), data.len() + 64) };
        if n < 0 {
            Err(errno())
        } else {
            Ok(Res::Ok)
        }
    });
    // SAFETY: unmaps what is left of the mapping made above.
    unsafe { libc::munmap(base.cast(), len) };
    r
}

fn read_file(path: &CStr) -> Result<Vec<u8>, Errno> {
    std::fs::read(OsStr::from_bytes(path.to_bytes()))
        .map_err(|e| e.raw_os_error().unwrap_or(libc::EIO))
}

fn file_size(fd: RawFd) -> Result<u64, Errno> {
    // SAFETY: `struct stat` is plain integers, so all zeroes is valid.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a writable `struct stat`.
    cvt(unsafe { libc::fstat(fd, &mut st) })?;
    Ok(u64::try_from(st.st_size).unwrap_or(0))
}

/// LEN rounded up to whole pages (0 stays 0: mmap then fails with EINVAL).
fn page_round(len: u64) -> Result<usize, Errno> {
    // SAFETY: sysconf(3) has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    let page = usize::try_from(page).unwrap_or(4096).max(1);
    usize::try_from(len)
        .ok()
        .and_then(|l| l.checked_next_multiple_of(page))
        .ok_or(libc::EFBIG)
}

fn pwrite_all(fd: RawFd, buf: &[u8], off: i64) -> Result<(), Errno> {
    let mut done = 0;
    while done < buf.len() {
        let rest = &buf[done..];
        let at = off.saturating_add(i64::try_from(done).unwrap_or(i64::MAX));
        // SAFETY: `rest` is readable for its length.
        let n = unsafe { libc::pwrite(fd, rest.as_ptr().cast(), rest.len(), at) };
        match cvt(n) {
            Err(libc::EINTR) => continue,
            Err(e) => return Err(e),
            Ok(0) => return Err(libc::EIO),
            Ok(n) => done += n as usize,
        }
    }
    Ok(())
}

/// A memory mapping, unmapped when dropped.
struct Mapping {
    ptr: *mut libc::c_void,
    len: usize,
}

impl Mapping {
    fn new(fd: RawFd, len: usize, prot: libc::c_int, flags: libc::c_int) -> Result<Self, Errno> {
        // SAFETY: a new mapping chosen by the kernel; it aliases no memory
        // this program uses.
        let ptr = unsafe { libc::mmap(std::ptr::null_mut(), len, prot, flags, fd, 0) };
        if ptr == libc::MAP_FAILED {
            return Err(errno());
        }
        Ok(Mapping { ptr, len })
    }

    /// Calls the code at the start of the mapping.
    fn call(&self) -> Res {
        // SAFETY: a data pointer to code becomes a function pointer; the
        // mapping is non-null and executable.
        let f = unsafe {
            std::mem::transmute::<*mut libc::c_void, unsafe extern "C" fn() -> i32>(self.ptr)
        };
        // SAFETY: the test put a whole `int f(void)` in the C ABI at offset 0
        // (e.g. `mov eax, 42; ret`); running it is what this step is for.
        Res::Ret(unsafe { f() })
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmaps the region this Mapping owns; no reference into
        // it outlives the Mapping.
        unsafe { libc::munmap(self.ptr, self.len) };
    }
}

/// `call`, `mprotect-call`, `wx-call`: maps PATH with PROT, optionally
/// mprotects it to PROT_READ|PROT_EXEC, and calls it.
fn map_call(path: &CStr, prot: libc::c_int, mprotect: bool) -> Result<Res, Errno> {
    let fd = open(path, libc::O_RDONLY | libc::O_CLOEXEC, 0)?;
    let len = page_round(file_size(fd.as_raw_fd())?)?;
    let map = Mapping::new(fd.as_raw_fd(), len, prot, libc::MAP_PRIVATE)?;
    drop(fd);
    if mprotect {
        // SAFETY: changes the protection of the region `map` owns.
        cvt(unsafe { libc::mprotect(map.ptr, map.len, libc::PROT_READ | libc::PROT_EXEC) })?;
    }
    Ok(map.call())
}

/// `map`: maps PATH executable, private, without touching it.
fn map_keep(path: &CStr) -> Result<Mapping, Errno> {
    let fd = open(path, libc::O_RDONLY | libc::O_CLOEXEC, 0)?;
    let len = page_round(file_size(fd.as_raw_fd())?)?;
    Mapping::new(
        fd.as_raw_fd(),
        len,
        libc::PROT_READ | libc::PROT_EXEC,
        libc::MAP_PRIVATE,
    )
}

/// `call-at`: calls the code at OFF of `map` in a forked child, which
/// exits with what it returned; a fault kills the child, not this process.
fn call_at(map: &Mapping, off: usize) -> Result<Res, Errno> {
    if off >= map.len {
        return Err(libc::EINVAL);
    }
    // SAFETY: the child only calls into the mapping and exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(errno());
    }
    if pid == 0 {
        // SAFETY: a data pointer into the executable mapping becomes a
        // function pointer; the test put an `int f(void)` at OFF.
        let f = unsafe {
            std::mem::transmute::<*mut libc::c_void, unsafe extern "C" fn() -> i32>(
                map.ptr.cast::<u8>().add(off).cast(),
            )
        };
        // SAFETY: running the mapped code is what this step is for;
        // `_exit` ends the child without running the parent's handlers.
        unsafe { libc::_exit(f()) }
    }
    let status = wait(pid);
    Ok(if status >= 128 {
        Res::Status(status)
    } else {
        Res::Ret(status)
    })
}

/// `pread-cmp`: reads LEN bytes at OFF and compares them with SRC's.
/// `struct fiemap_extent` (`include/uapi/linux/fiemap.h`).
#[repr(C)]
#[derive(Default)]
struct FiemapExtent {
    logical: u64,
    physical: u64,
    length: u64,
    reserved64: [u64; 2],
    flags: u32,
    reserved: [u32; 3],
}

/// `struct fiemap` with room for one extent.
#[repr(C)]
#[derive(Default)]
struct Fiemap {
    start: u64,
    length: u64,
    flags: u32,
    mapped_extents: u32,
    extent_count: u32,
    reserved: u32,
    extents: [FiemapExtent; 1],
}

/// `_IOWR('f', 11, struct fiemap)`.
const FS_IOC_FIEMAP: libc::c_ulong = 0xc020_660b;
/// `FIEMAP_FLAG_SYNC`: write the file's dirty data before mapping it.
const FIEMAP_FLAG_SYNC: u32 = 0x1;
/// Extents whose blocks do not hold the file's bytes as they are:
/// `UNKNOWN`, `DELALLOC`, `ENCODED`, `DATA_ENCRYPTED`, `NOT_ALIGNED`,
/// `DATA_INLINE`, `DATA_TAIL`, `UNWRITTEN`.
const FIEMAP_EXTENT_NOT_PLAIN: u32 = 0x2 | 0x4 | 0x8 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800;

/// Writes `src`'s bytes over `path`'s at `off` on the block device `dev`,
/// where FIEMAP maps them: behind the filesystem's back, which sees no
/// write.
fn write_under(path: &CStr, dev: &CStr, off: u64, src: &CStr) -> Result<Res, Errno> {
    let data = read_file(src)?;
    let len = u64::try_from(data.len()).map_err(|_| libc::EINVAL)?;
    let file = open(path, libc::O_RDONLY | libc::O_CLOEXEC, 0)?;
    // SAFETY: plain fsync(2).
    cvt(unsafe { libc::fsync(file.as_raw_fd()) })?;
    let mut map = Fiemap {
        start: off,
        length: len,
        flags: FIEMAP_FLAG_SYNC,
        extent_count: 1,
        ..Fiemap::default()
    };
    // SAFETY: `map` is a `struct fiemap` with room for `extent_count`
    // extents, as FS_IOC_FIEMAP reads and writes it.
    cvt(unsafe { libc::ioctl(file.as_raw_fd(), FS_IOC_FIEMAP, &mut map as *mut Fiemap) })?;
    let e = &map.extents[0];
    if map.mapped_extents != 1
        || e.flags & FIEMAP_EXTENT_NOT_PLAIN != 0
        || e.logical > off
        || e.logical + e.length < off + len
    {
        return Err(libc::ERANGE);
    }
    let at = i64::try_from(e.physical + (off - e.logical)).map_err(|_| libc::EINVAL)?;
    let dev = open(dev, libc::O_RDWR | libc::O_CLOEXEC, 0)?;
    pwrite_all(dev.as_raw_fd(), &data, at)?;
    // SAFETY: plain fsync(2).
    cvt(unsafe { libc::fsync(dev.as_raw_fd()) })?;
    Ok(Res::Ok)
}

fn stat_sync(path: &CStr) -> Result<Res, Errno> {
    // SAFETY: `struct statx` is plain integers, so all zeroes is valid.
    let mut st: libc::statx = unsafe { std::mem::zeroed() };
    // SAFETY: a NUL-terminated path and a writable `struct statx`.
    cvt(unsafe {
        libc::statx(
            libc::AT_FDCWD,
            path.as_ptr(),
            libc::AT_STATX_FORCE_SYNC,
            libc::STATX_SIZE,
            &mut st,
        )
    })?;
    Ok(Res::Size(st.stx_size))
}

/// How a `*-cmp` step reads a file's bytes.
#[derive(Clone, Copy)]
enum ReadBy {
    Pread,
    /// splice(2) into a pipe, then read(2) from the pipe.
    Splice,
    /// sendfile(2) into a memfd, then pread(2) from the memfd.
    Sendfile,
}

/// Reads LEN bytes of FD at OFF as BY says, and compares them with SRC's.
fn read_cmp(by: ReadBy, fd: RawFd, src: &CStr, off: i64, len: usize) -> Result<Res, Errno> {
    let want = read_file(src)?;
    let start = usize::try_from(off).map_err(|_| libc::EINVAL)?;
    let want = want.get(start..start + len).ok_or(libc::EINVAL)?;
    let mut got = vec![0u8; len];
    let n = match by {
        // SAFETY: `got` is writable for `len` bytes.
        ReadBy::Pread => cvt(unsafe { libc::pread(fd, got.as_mut_ptr().cast(), len, off) })?,
        ReadBy::Splice => {
            let (pr, pw) = pipe()?;
            let mut at = off;
            // SAFETY: open descriptors; `at` is a writable offset; the pipe
            // (64 KiB) holds `len` bytes, as the steps use it.
            let n = cvt(unsafe {
                libc::splice(fd, &mut at, pw.as_raw_fd(), std::ptr::null_mut(), len, 0)
            })?;
            let n = usize::try_from(n).map_err(|_| libc::EINVAL)?;
            // SAFETY: `got` is writable for `len` >= `n` bytes.
            cvt(unsafe { libc::read(pr.as_raw_fd(), got.as_mut_ptr().cast(), n) })?
        }
        ReadBy::Sendfile => {
            // SAFETY: a NUL-terminated name; memfd_create(2) returns a new
            // descriptor.
            let m = owned(unsafe { libc::memfd_create(c"sendfile".as_ptr(), 0) })?;
            let mut at = off;
            // SAFETY: open descriptors; `at` is a writable offset.
            let n = cvt(unsafe { libc::sendfile(m.as_raw_fd(), fd, &mut at, len) })?;
            let n = usize::try_from(n).map_err(|_| libc::EINVAL)?;
            // SAFETY: `got` is writable for `len` >= `n` bytes.
            cvt(unsafe { libc::pread(m.as_raw_fd(), got.as_mut_ptr().cast(), n, 0) })?
        }
    };
    let n = usize::try_from(n).map_err(|_| libc::EINVAL)?;
    Ok(if got.get(..n) == Some(want) {
        Res::Ok
    } else {
        Res::Differs
    })
}

fn call_fd(fd: RawFd) -> Result<Res, Errno> {
    let len = page_round(file_size(fd)?)?;
    let map = Mapping::new(
        fd,
        len,
        libc::PROT_READ | libc::PROT_EXEC,
        libc::MAP_PRIVATE,
    )?;
    Ok(map.call())
}

fn write_shared(fd: RawFd, src: &CStr) -> Result<Res, Errno> {
    let data = read_file(src)?;
    if file_size(fd)? < data.len() as u64 {
        return Err(libc::EFBIG);
    }
    let len = page_round(data.len() as u64)?;
    let map = Mapping::new(
        fd,
        len,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_SHARED,
    )?;
    // SAFETY: the mapping is writable for `len >= data.len()` bytes, all
    // backed by the file (its size was checked), and nothing else uses it.
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), map.ptr.cast::<u8>(), data.len()) };
    // SAFETY: syncs the region `map` owns.
    cvt(unsafe { libc::msync(map.ptr, map.len, libc::MS_SYNC) })?;
    Ok(Res::Ok)
}

/// A zeroed block aligned for O_DIRECT, freed when dropped.
struct DirectBlock(*mut u8, std::alloc::Layout);

impl DirectBlock {
    const SIZE: usize = 4096;

    fn new() -> Option<Self> {
        let layout = std::alloc::Layout::from_size_align(Self::SIZE, Self::SIZE).ok()?;
        // SAFETY: the layout's size is not zero.
        let p = unsafe { std::alloc::alloc_zeroed(layout) };
        (!p.is_null()).then_some(DirectBlock(p, layout))
    }
}

impl Drop for DirectBlock {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this very layout.
        unsafe { std::alloc::dealloc(self.0, self.1) };
    }
}

fn write_direct(fd: RawFd, src: &CStr) -> Result<Res, Errno> {
    let data = read_file(src)?;
    let block = DirectBlock::new().ok_or(libc::ENOMEM)?;
    let n = data.len().min(DirectBlock::SIZE);
    // SAFETY: the block is writable for SIZE >= n bytes; `data` is readable
    // for n; they do not overlap.
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), block.0, n) };
    // SAFETY: the block is readable for SIZE bytes.
    let w = cvt(unsafe { libc::pwrite(fd, block.0.cast(), DirectBlock::SIZE, 0) })?;
    if w as usize != DirectBlock::SIZE {
        return Err(libc::EIO);
    }
    Ok(Res::Ok)
}

fn copy_range(dst: RawFd, src: &CStr) -> Result<Res, Errno> {
    let src = open(src, libc::O_RDONLY | libc::O_CLOEXEC, 0)?;
    let mut left = file_size(src.as_raw_fd())?;
    let (mut off_in, mut off_out): (i64, i64) = (0, 0);
    while left > 0 {
        let chunk = usize::try_from(left).unwrap_or(usize::MAX);
        // SAFETY: both descriptors are open; the offsets are ours to update.
        let n = unsafe {
            libc::copy_file_range(src.as_raw_fd(), &mut off_in, dst, &mut off_out, chunk, 0)
        };
        match cvt(n) {
            Err(libc::EINTR) => continue,
            Err(e) => return Err(e),
            Ok(0) => break,
            Ok(n) => left = left.saturating_sub(n as u64),
        }
    }
    Ok(Res::Ok)
}

fn pipe() -> Result<(OwnedFd, OwnedFd), Errno> {
    let mut p = [0; 2];
    // SAFETY: `p` has room for the two descriptors pipe2(2) returns.
    cvt(unsafe { libc::pipe2(p.as_mut_ptr(), libc::O_CLOEXEC) })?;
    // SAFETY: both descriptors are new and nothing else owns them.
    Ok(unsafe { (OwnedFd::from_raw_fd(p[0]), OwnedFd::from_raw_fd(p[1])) })
}

fn splice(dst: RawFd, src: &CStr) -> Result<Res, Errno> {
    let src = open(src, libc::O_RDONLY | libc::O_CLOEXEC, 0)?;
    let mut left = file_size(src.as_raw_fd())?;
    let (pr, pw) = pipe()?;
    let (mut off_in, mut off_out): (i64, i64) = (0, 0);
    while left > 0 {
        let chunk = usize::try_from(left).unwrap_or(usize::MAX).min(1 << 16);
        // SAFETY: the descriptors are open; `off_in` is ours to update.
        let n = unsafe {
            libc::splice(
                src.as_raw_fd(),
                &mut off_in,
                pw.as_raw_fd(),
                std::ptr::null_mut(),
                chunk,
                0,
            )
        };
        let mut in_pipe = match cvt(n) {
            Err(libc::EINTR) => continue,
            Err(e) => return Err(e),
            Ok(0) => break,
            Ok(n) => n as usize,
        };
        left = left.saturating_sub(in_pipe as u64);
        while in_pipe > 0 {
            // SAFETY: the descriptors are open; `off_out` is ours to update.
            let n = unsafe {
                libc::splice(
                    pr.as_raw_fd(),
                    std::ptr::null_mut(),
                    dst,
                    &mut off_out,
                    in_pipe,
                    0,
                )
            };
            match cvt(n) {
                Err(libc::EINTR) => continue,
                Err(e) => return Err(e),
                Ok(0) => return Err(libc::EIO),
                Ok(n) => in_pipe -= n as usize,
            }
        }
    }
    Ok(Res::Ok)
}

/// What a child executes: a path, or an open descriptor (execveat with
/// AT_EMPTY_PATH, as fexecve does).
#[derive(Clone, Copy)]
enum Prog<'a> {
    Path(&'a CStr),
    Fd(RawFd),
}

/// How a program ran: the first line it printed and its exit status.
struct Ran {
    line: Option<String>,
    status: i32,
}

fn read_all(fd: &OwnedFd) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        // SAFETY: `buf` is writable for its length.
        let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        match cvt(n) {
            Err(libc::EINTR) => continue,
            Err(_) | Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n as usize]),
        }
    }
}

/// Waits for a child; returns its exit status, or 128 + the signal.
fn wait(pid: libc::pid_t) -> i32 {
    let mut st = 0;
    loop {
        // SAFETY: `st` is writable; `pid` is our child.
        let r = unsafe { libc::waitpid(pid, &mut st, 0) };
        if r >= 0 || errno() != libc::EINTR {
            break;
        }
    }
    if libc::WIFEXITED(st) {
        libc::WEXITSTATUS(st)
    } else if libc::WIFSIGNALED(st) {
        128 + libc::WTERMSIG(st)
    } else {
        -1
    }
}

/// Closes every descriptor from 3 up except those in KEEP (sorted).
/// Async-signal-safe: it only makes system calls.
fn close_fds_except(keep: [RawFd; 2]) {
    let mut first: libc::c_uint = 3;
    for k in keep {
        let Ok(k) = libc::c_uint::try_from(k) else {
            continue;
        };
        if k < first {
            continue;
        }
        if k > first {
            // SAFETY: close_range(2) only closes descriptors.
            unsafe { libc::syscall(libc::SYS_close_range, first, k - 1, 0) };
        }
        first = k + 1;
    }
    // SAFETY: as above.
    unsafe { libc::syscall(libc::SYS_close_range, first, libc::c_uint::MAX, 0) };
}

/// A program started by `start_child`, still running or not yet waited for.
struct Child {
    pid: libc::pid_t,
    /// The read end of its stdout.
    out: OwnedFd,
}

impl Child {
    /// Reads the program's stdout to its end and waits for it.
    fn finish(self) -> Ran {
        let out = read_all(&self.out);
        let status = wait(self.pid);
        let line = out.split(|&b| b == b'\n').next().unwrap_or_default();
        let line = String::from_utf8_lossy(line).trim().to_owned();
        Ran {
            line: (!line.is_empty()).then_some(line),
            status,
        }
    }
}

/// Starts PROG with ARGV and an empty environment, its stdout on a pipe
/// and its stdin on STDIN if given. Returns once the exec succeeded; fails
/// with the errno of fork or of the exec in the child.
fn start_child(prog: Prog, argv: &[&CStr], stdin: Option<RawFd>) -> Result<Child, Errno> {
    let mut argp: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    argp.push(std::ptr::null());
    let envp: [*const libc::c_char; 1] = [std::ptr::null()];
    let (out_r, out_w) = pipe()?;
    let (err_r, err_w) = pipe()?;
    let err_fd = err_w.as_raw_fd();
    let keep = match prog {
        Prog::Path(_) => [err_fd, err_fd],
        Prog::Fd(fd) => [fd.min(err_fd), fd.max(err_fd)],
    };
    let fds = ChildFds {
        stdin: stdin.unwrap_or(-1),
        out: out_w.as_raw_fd(),
        err: err_fd,
        keep,
    };
    // SAFETY: the child (which may be forked from a process with other
    // threads) makes only async-signal-safe calls on data prepared here.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(errno());
    }
    if pid == 0 {
        child_exec(prog, &argp, &envp, fds);
    }
    drop((out_w, err_w));
    // The error pipe closes on a successful exec, before any output.
    let err = read_all(&err_r);
    if let Some(e) = err.get(..4) {
        wait(pid);
        let mut b = [0u8; 4];
        b.copy_from_slice(e);
        return Err(i32::from_ne_bytes(b));
    }
    Ok(Child { pid, out: out_r })
}

/// Runs PROG with ARGV and an empty environment, its stdout on a pipe.
/// Fails with the errno of fork or of the exec in the child.
fn spawn(prog: Prog, argv: &[&CStr]) -> Result<Ran, Errno> {
    Ok(start_child(prog, argv, None)?.finish())
}

/// The descriptors `child_exec` arranges: STDIN (if not -1) becomes 0, OUT
/// becomes 1, ERR receives the errno of a failed exec, and every other
/// descriptor from 3 up but those in KEEP (sorted) is closed.
#[derive(Clone, Copy)]
struct ChildFds {
    stdin: RawFd,
    out: RawFd,
    err: RawFd,
    keep: [RawFd; 2],
}

/// The forked child of `spawn`: stdout to OUT, other descriptors closed,
/// exec; on failure the errno goes down ERR and the child exits 126.
fn child_exec(
    prog: Prog,
    argp: &[*const libc::c_char],
    envp: &[*const libc::c_char],
    fds: ChildFds,
) -> ! {
    let ChildFds {
        stdin,
        out,
        err,
        keep,
    } = fds;
    // SAFETY: dup2 and fcntl on open descriptors.
    let dup = unsafe {
        if stdin >= 0 && libc::dup2(stdin, 0) < 0 {
            -1
        } else if out == 1 {
            libc::fcntl(1, libc::F_SETFD, 0)
        } else {
            libc::dup2(out, 1)
        }
    };
    if dup >= 0 {
        close_fds_except(keep);
        match prog {
            // SAFETY: NUL-terminated path, and NULL-terminated argv and envp
            // arrays of NUL-terminated strings, all alive until the exec.
            Prog::Path(p) => unsafe {
                libc::execve(p.as_ptr(), argp.as_ptr(), envp.as_ptr());
            },
            // SAFETY: as above, with an empty path and AT_EMPTY_PATH.
            Prog::Fd(fd) => unsafe {
                libc::syscall(
                    libc::SYS_execveat,
                    fd,
                    c"".as_ptr(),
                    argp.as_ptr(),
                    envp.as_ptr(),
                    libc::AT_EMPTY_PATH,
                );
            },
        }
    }
    let e = errno().to_ne_bytes();
    // SAFETY: write(2) from a live buffer, then _exit(2): both
    // async-signal-safe.
    unsafe {
        libc::write(err, e.as_ptr().cast(), e.len());
        libc::_exit(126)
    }
}

/// What a program did: the first line it printed, or, if it printed
/// nothing and failed, its exit status.
fn outcome(ran: Ran) -> Res {
    match ran.line {
        None if ran.status != 0 => Res::Status(ran.status),
        line => Res::Out(line),
    }
}

fn exec(prog: Prog, argv: &[&CStr]) -> Result<Res, Errno> {
    Ok(outcome(spawn(prog, argv)?))
}

fn ldso(loader: &CStr, prog: &CStr) -> Result<Res, Errno> {
    Ok(outcome(spawn(Prog::Path(loader), &[loader, prog])?))
}

/// `start:KEY:PATH`: PATH runs with an argument, waiting on its stdin.
fn start(path: &CStr) -> Result<(Child, OwnedFd), Errno> {
    let (in_r, in_w) = pipe()?;
    let child = start_child(Prog::Path(path), &[path, c"wait"], Some(in_r.as_raw_fd()))?;
    Ok((child, in_w))
}

/// `finish:KEY`: lets the program go on, and waits for it.
fn finish(child: Child, stdin: OwnedFd) -> Res {
    // A program that died already has no reader: EPIPE, which is fine.
    // SAFETY: one byte from a live buffer, to an open descriptor.
    unsafe { libc::write(stdin.as_raw_fd(), b"x".as_ptr().cast(), 1) };
    drop(stdin);
    outcome(child.finish())
}

fn memfd_exec(src: &CStr) -> Result<Res, Errno> {
    let data = read_file(src)?;
    // SAFETY: a NUL-terminated name; memfd_create(2) returns a new descriptor.
    let fd = owned(unsafe { libc::memfd_create(c"attack".as_ptr(), 0) })?;
    pwrite_all(fd.as_raw_fd(), &data, 0)?;
    exec(Prog::Fd(fd.as_raw_fd()), &[src])
}

/// `tmpfile-exec:DIR:SRC`, which prints two lines.
fn tmpfile_exec(dir: &CStr, src: &CStr) {
    let fd = open(dir, libc::O_TMPFILE | libc::O_RDWR, 0o700);
    let first = fd.as_ref().map_err(|&e| e).and_then(|fd| {
        let data = read_file(src)?;
        pwrite_all(fd.as_raw_fd(), &data, 0)?;
        exec(Prog::Fd(fd.as_raw_fd()), &[src])
    });
    report("tmpfile-exec", first);
    let second = fd.map_err(|_| libc::EBADF).and_then(|fd| {
        let linked = join(dir, "tmpfile-linked")?;
        let proc =
            CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd())).map_err(|_| libc::EINVAL)?;
        // SAFETY: NUL-terminated paths.
        cvt(unsafe {
            libc::linkat(
                libc::AT_FDCWD,
                proc.as_ptr(),
                libc::AT_FDCWD,
                linked.as_ptr(),
                libc::AT_SYMLINK_FOLLOW,
            )
        })?;
        drop(fd);
        exec(Prog::Path(&linked), &[&linked])
    });
    report("tmpfile-linked-exec", second);
}

/// `userns-tmpfs-setxattr:DIR:PROG:SIGSRC`: runs in a child so that the
/// identity and namespace changes stay there; the child prints the lines.
fn userns(dir: &CStr, prog: &CStr, sig: &CStr) {
    // SAFETY: no other thread runs now (race-writer joins its thread), so
    // the child may do anything the parent could.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        let e = errno();
        for op in ["userns", "userns-mount", "userns-setxattr", "userns-exec"] {
            report(op, Err(e));
        }
        return;
    }
    if pid == 0 {
        userns_child(dir, prog, sig);
        let _ = std::io::stdout().flush();
        // SAFETY: ends the child without running the parent's exit code.
        unsafe { libc::_exit(0) };
    }
    let status = wait(pid);
    if status != 0 {
        eprintln!("arbor-guest steps: the userns child ended with status {status}");
    }
}

fn write_proc(path: &str, text: &str) -> Result<(), Errno> {
    let io = |e: std::io::Error| e.raw_os_error().unwrap_or(libc::EIO);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(io)?;
    // One write(2): the id maps must be written at once.
    f.write_all(text.as_bytes()).map_err(io)
}

/// Becomes uid/gid 1000 in new user and mount namespaces, mapped to 0.
fn enter_userns() -> Result<(), Errno> {
    // SAFETY: setgroups(2) with an empty list.
    cvt(unsafe { libc::setgroups(0, std::ptr::null()) })?;
    // SAFETY: plain setresgid(2).
    cvt(unsafe { libc::setresgid(1000, 1000, 1000) })?;
    // SAFETY: plain setresuid(2).
    cvt(unsafe { libc::setresuid(1000, 1000, 1000) })?;
    // Changing uid made the process undumpable, which makes /proc/self/*
    // root's and the id maps unwritable.
    let on: libc::c_ulong = 1;
    // SAFETY: prctl(2) with an integer argument.
    cvt(unsafe { libc::prctl(libc::PR_SET_DUMPABLE, on) })?;
    // SAFETY: plain unshare(2).
    cvt(unsafe { libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS) })?;
    write_proc("/proc/self/uid_map", "0 1000 1")?;
    write_proc("/proc/self/setgroups", "deny")?;
    write_proc("/proc/self/gid_map", "0 1000 1")
}

fn userns_child(dir: &CStr, prog: &CStr, sig: &CStr) {
    const SKIPPED: Errno = libc::ECANCELED;
    let files = (|| Ok((read_file(prog)?, read_file(sig)?)))();
    let entered = files.and_then(|files| enter_userns().map(|()| files));
    let (prog_data, sig_data) = match entered {
        Ok(files) => {
            report("userns", Ok(Res::Ok));
            files
        }
        Err(e) => {
            report("userns", Err(e));
            for op in ["userns-mount", "userns-setxattr", "userns-exec"] {
                report(op, Err(SKIPPED));
            }
            return;
        }
    };
    // SAFETY: NUL-terminated source, target and type; no data.
    let mounted = cvt(unsafe {
        libc::mount(
            c"tmpfs".as_ptr(),
            dir.as_ptr(),
            c"tmpfs".as_ptr(),
            0,
            std::ptr::null(),
        )
    });
    report("userns-mount", mounted.map(|_| Res::Ok));
    if mounted.is_err() {
        report("userns-setxattr", Err(SKIPPED));
        report("userns-exec", Err(SKIPPED));
        return;
    }
    let target = join(dir, "prog");
    let copied = target.as_ref().map_err(|&e| e).and_then(|target| {
        open(
            target,
            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_CLOEXEC,
            0o755,
        )
        .and_then(|fd| {
            pwrite_all(fd.as_raw_fd(), &prog_data, 0)?;
            // SAFETY: fchmod(2) on an open descriptor (the umask may have
            // cleared mode bits).
            cvt(unsafe { libc::fchmod(fd.as_raw_fd(), 0o755) })
        })
    });
    let target = match (target, copied) {
        (Ok(target), Ok(_)) => target,
        (Err(e), _) | (_, Err(e)) => {
            report("userns-setxattr", Err(e));
            report("userns-exec", Err(SKIPPED));
            return;
        }
    };
    report(
        "userns-setxattr",
        set_xattr(&target, c"security.arbor", &sig_data),
    );
    report("userns-exec", exec(Prog::Path(&target), &[&target]));
}

fn set_xattr(path: &CStr, name: &CStr, value: &[u8]) -> Result<Res, Errno> {
    // SAFETY: NUL-terminated strings and a buffer of `value.len()` bytes.
    cvt(unsafe {
        libc::setxattr(
            path.as_ptr(),
            name.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    })?;
    Ok(Res::Ok)
}

/// `race-writer:PATH:SRC:LOOPS`, which prints two lines.
fn race_writer(path: &CStr, src: &CStr, loops: u32) {
    let (data, good) = match (read_file(src), read_file(path)) {
        (Ok(data), Ok(good)) => (data, good),
        (Err(e), _) | (_, Err(e)) => {
            report("race-writer", Err(e));
            report("race-exec", Err(libc::ECANCELED));
            return;
        }
    };
    // The writer keeps going until the execs are done: each time it gets
    // the file open for writing, it writes the attacker's bytes and then
    // puts the original ones back, so that the file verifies again and
    // only an exec that checked one content and ran the other prints
    // "pwned".
    let stop = std::sync::atomic::AtomicBool::new(false);
    let writer = || {
        let mut opened = 0u32;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            if let Ok(fd) = open(path, libc::O_WRONLY | libc::O_CLOEXEC, 0) {
                opened += 1;
                let _ = pwrite_all(fd.as_raw_fd(), &data, 0);
                let _ = pwrite_all(fd.as_raw_fd(), &good[..data.len().min(good.len())], 0);
            }
        }
        opened
    };
    let (mut hello, mut pwned, mut errors) = (0u32, 0u32, 0u32);
    let opened = std::thread::scope(|s| {
        let thread = std::thread::Builder::new().spawn_scoped(s, writer);
        for _ in 0..loops {
            match spawn(Prog::Path(path), &[path]).map(|r| r.line) {
                Ok(Some(line)) if line == "hello" => hello += 1,
                Ok(Some(line)) if line == "pwned" => pwned += 1,
                _ => errors += 1,
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        match thread {
            Ok(t) => t.join().map_err(|_| libc::EIO),
            Err(e) => Err(e.raw_os_error().unwrap_or(libc::EAGAIN)),
        }
    });
    let _ = match opened {
        Ok(n) => writeln!(std::io::stdout(), "race-writer opened {n}"),
        Err(e) => writeln!(std::io::stdout(), "race-writer errno {e}"),
    };
    let _ = writeln!(
        std::io::stdout(),
        "race-exec hello={hello} pwned={pwned} errors={errors}"
    );
}

/// Programs started by `start` steps, with their stdin's write end.
type Started = HashMap<String, (Child, OwnedFd)>;

fn run(step: &Step, fds: &mut Fds, maps: &mut HashMap<String, Mapping>, started: &mut Started) {
    match step {
        Step::Open {
            op,
            name,
            path,
            flags,
        } => report(op, fds.open(name, path, *flags)),
        Step::Close(name) => report("close", fds.close(name)),
        Step::Call(path) => report(
            "call",
            map_call(path, libc::PROT_READ | libc::PROT_EXEC, false),
        ),
        Step::CallFd(name) => report("call-fd", fds.get(name).and_then(call_fd)),
        Step::MprotectCall(path) => report("mprotect-call", map_call(path, libc::PROT_READ, true)),
        Step::WxCall(path) => report(
            "wx-call",
            map_call(
                path,
                libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
                false,
            ),
        ),
        Step::Pwrite(name, src, off) => {
            let r = fds.get(name).and_then(|fd| {
                pwrite_all(fd, &read_file(src)?, *off)?;
                Ok(Res::Ok)
            });
            report("pwrite", r)
        }
        Step::WriteShared(name, src) => report(
            "write-shared",
            fds.get(name).and_then(|fd| write_shared(fd, src)),
        ),
        Step::WriteDirect(name, src) => report(
            "write-direct",
            fds.get(name).and_then(|fd| write_direct(fd, src)),
        ),
        Step::Truncate(path, size) => {
            // SAFETY: a NUL-terminated path.
            let r = cvt(unsafe { libc::truncate(path.as_ptr(), *size) });
            report("truncate", r.map(|_| Res::Ok))
        }
        Step::Ftruncate(name, size) => {
            let r = fds.get(name).and_then(|fd| {
                // SAFETY: plain ftruncate(2).
                cvt(unsafe { libc::ftruncate(fd, *size) })
            });
            report("ftruncate", r.map(|_| Res::Ok))
        }
        Step::Fallocate(name, off, len) => {
            let r = fds.get(name).and_then(|fd| {
                // SAFETY: plain fallocate(2).
                cvt(unsafe { libc::fallocate(fd, 0, *off, *len) })
            });
            report("fallocate", r.map(|_| Res::Ok))
        }
        Step::CopyRange(name, src) => report(
            "copy-range",
            fds.get(name).and_then(|fd| copy_range(fd, src)),
        ),
        Step::Splice(name, src) => report("splice", fds.get(name).and_then(|fd| splice(fd, src))),
        Step::Exec(path) => report("exec", exec(Prog::Path(path), &[path])),
        Step::Start(key, path) => {
            if let Some((child, stdin)) = started.remove(key) {
                finish(child, stdin);
            }
            report(
                "start",
                start(path).map(|c| {
                    started.insert(key.clone(), c);
                    Res::Ok
                }),
            )
        }
        Step::Finish(key) => report(
            "finish",
            started
                .remove(key)
                .ok_or(libc::EBADF)
                .map(|(child, stdin)| finish(child, stdin)),
        ),
        Step::Link(old, new) => {
            // SAFETY: NUL-terminated paths.
            let r = cvt(unsafe { libc::link(old.as_ptr(), new.as_ptr()) });
            report("link", r.map(|_| Res::Ok))
        }
        Step::Rename(old, new) => {
            // SAFETY: NUL-terminated paths.
            let r = cvt(unsafe { libc::rename(old.as_ptr(), new.as_ptr()) });
            report("rename", r.map(|_| Res::Ok))
        }
        Step::Unlink(path) => {
            // SAFETY: a NUL-terminated path.
            let r = cvt(unsafe { libc::unlink(path.as_ptr()) });
            report("unlink", r.map(|_| Res::Ok))
        }
        Step::Setxattr(path, name, src) => report(
            "setxattr",
            read_file(src).and_then(|v| set_xattr(path, name, &v)),
        ),
        Step::Removexattr(path, name) => {
            // SAFETY: NUL-terminated path and name.
            let r = cvt(unsafe { libc::removexattr(path.as_ptr(), name.as_ptr()) });
            report("removexattr", r.map(|_| Res::Ok))
        }
        Step::MemfdExec(src) => report("memfd-exec", memfd_exec(src)),
        Step::TmpfileExec(dir, src) => tmpfile_exec(dir, src),
        Step::Ldso(loader, prog) => report("ldso", ldso(loader, prog)),
        Step::Userns(dir, prog, sig) => userns(dir, prog, sig),
        Step::Map(key, path) => {
            maps.remove(key);
            report(
                "map",
                map_keep(path).map(|m| {
                    maps.insert(key.clone(), m);
                    Res::Ok
                }),
            )
        }
        Step::CallAt(key, off) => report(
            "call-at",
            maps.get(key)
                .ok_or(libc::EBADF)
                .and_then(|m| call_at(m, *off)),
        ),
        Step::Touch(path) => report(
            "touch",
            open(
                path,
                libc::O_WRONLY | libc::O_CREAT | libc::O_CLOEXEC,
                0o644,
            )
            .map(|_| Res::Ok),
        ),
        Step::StatSync(path) => report("stat-sync", stat_sync(path)),
        Step::DropCaches(n) => report(
            "drop-caches",
            std::fs::write("/proc/sys/vm/drop_caches", format!("{n}\n"))
                .map(|()| Res::Ok)
                .map_err(|e| e.raw_os_error().unwrap_or(libc::EIO)),
        ),
        Step::ReadCmp(by, name, src, off, len) => report(
            match by {
                ReadBy::Pread => "pread-cmp",
                ReadBy::Splice => "splice-cmp",
                ReadBy::Sendfile => "sendfile-cmp",
            },
            fds.get(name)
                .and_then(|fd| read_cmp(*by, fd, src, *off, *len)),
        ),
        Step::WriteUnder(path, dev, off, src) => {
            report("write-under", write_under(path, dev, *off, src))
        }
        Step::SleepMs(ms) => {
            std::thread::sleep(std::time::Duration::from_millis(*ms));
            report("sleep-ms", Ok(Res::Ok))
        }
        Step::RaceWriter(path, src, loops) => race_writer(path, src, *loops),
        Step::WriteFaulting(path, src) => report("write-faulting", write_faulting(path, src)),
    }
}

pub fn steps(args: &[OsString]) -> ! {
    if args.is_empty() {
        eprintln!("usage: arbor-guest steps STEP [STEP...]");
        exit(2)
    }
    // Check every step before running any.
    let steps: Vec<Step> = args.iter().map(|a| parse(a)).collect();
    let mut fds = Fds::default();
    let mut maps = HashMap::new();
    let mut started = Started::new();
    for step in &steps {
        run(step, &mut fds, &mut maps, &mut started);
    }
    // Programs not finished go on, and are waited for.
    for (child, stdin) in started.into_values() {
        finish(child, stdin);
    }
    exit(0)
}
