// SPDX-License-Identifier: GPL-2.0
//! Guest-side helper for arbor's tests. busybox cannot do these things
//! exactly: its shells run a file that fails with ENOEXEC as a script.
//!
//! Usage:
//!   arbor-guest exec PATH [ARG...]   execve(PATH); on failure print
//!                                    `exec-errno N` and exit 126
//!   arbor-guest enable-verity PATH sha256|sha512 [SIG_FILE]
//!                                    FS_IOC_ENABLE_VERITY with 4 KiB blocks,
//!                                    with a built-in signature if given
//!   arbor-guest fsverity-add-cert CERT_DER
//!                                    add a certificate to the .fs-verity
//!                                    keyring (as `keyctl padd`)
//!   arbor-guest hello                print `hello` (a program to run)
//!   arbor-guest setxattr PATH NAME VALUE_FILE
//!                                    set an xattr to the bytes of a file
//!   arbor-guest mmap-exec PATH       mmap PATH with PROT_EXEC; print `ok`
//!                                    or `errno N`
//!   arbor-guest mprotect-exec PATH   mmap PATH read-only, then mprotect
//!                                    it executable; print `ok` or `errno N`
//!   arbor-guest write-without-cap CAP FILE VALUE
//!                                    drop capability number CAP, then write
//!                                    VALUE to FILE; print `ok` or `errno N`
//!   arbor-guest audit-run OUT CMD [ARG...]
//!                                    run CMD as the audit daemon would see
//!                                    it: its audit records go to OUT
//!   arbor-guest write-file FILE SRC  write SRC's bytes to FILE in one
//!                                    write(); print `ok` or `errno N`
//!   arbor-guest run-as RUID EUID CMD [ARG...]
//!                                    setresuid(RUID, EUID, EUID), then
//!                                    execve(CMD) as `exec` does
//!   arbor-guest bench OP ARGS...    timed loops for the benchmarks: N
//!                                    opens (as root or another uid), N
//!                                    runs of `PATH hello`, the first open
//!                                    of new files, the kernel's SHA-256
//!                                    through AF_ALG; print `bench OP N
//!                                    NS/OP` (see bench.rs)
//!   arbor-guest pcrs BANK            print the TPM's PCRs of BANK in
//!                                    evmctl's format (`PCR-NN: HEX`)
//!   arbor-guest check-list FILE      parse a binary measurement list and
//!                                    check every template digest; print
//!                                    `records N`, or the first bad record
//!                                    and exit 1
//!   arbor-guest steps STEP [STEP...]
//!                                    run file operations (STEP is
//!                                    `OP:ARG:...`) in order in one process
//!                                    with named open descriptors; print
//!                                    `OP RESULT` per step (see steps.rs)
//!   arbor-guest fuse-serve MNT SRCDIR [keep-cache]
//!                                    mount a read-only FUSE view of
//!                                    SRCDIR's files on MNT, print
//!                                    `fuse-serve ok` (or `fuse-serve errno
//!                                    N`, exit 1) and serve it from a
//!                                    background child (see fuse.rs)

mod audit;
mod bench;
mod fuse;
mod list;
mod steps;

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::process::exit;

fn cstring(s: &std::ffi::OsStr) -> CString {
    CString::new(s.as_bytes()).unwrap_or_else(|_| {
        eprintln!("arbor-guest: argument contains a NUL byte");
        exit(2)
    })
}

fn exec(args: &[std::ffi::OsString]) -> ! {
    let Some(path) = args.first() else {
        eprintln!("usage: arbor-guest exec PATH [ARG...]");
        exit(2)
    };
    let path = cstring(path);
    let argv: Vec<CString> = args.iter().map(|a| cstring(a)).collect();
    let mut argp: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    argp.push(std::ptr::null());
    let envp: [*const libc::c_char; 1] = [std::ptr::null()];
    // SAFETY: path, argv and envp are NUL-terminated and outlive the call.
    unsafe { libc::execve(path.as_ptr(), argp.as_ptr(), envp.as_ptr()) };
    let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
    println!("exec-errno {errno}");
    exit(126)
}

/// `pcrs BANK`: the TPM's PCRs 0-23 of BANK (`sha1`, `sha256`) from sysfs,
/// in evmctl's `--pcrs` format: `PCR-NN: HEX`, lower-case.
fn pcrs(args: &[std::ffi::OsString]) -> ! {
    let [bank] = args else {
        eprintln!("usage: arbor-guest pcrs BANK");
        exit(2)
    };
    let dir =
        std::path::Path::new("/sys/class/tpm/tpm0").join(format!("pcr-{}", bank.to_string_lossy()));
    for i in 0..24 {
        match std::fs::read_to_string(dir.join(i.to_string())) {
            Ok(v) => println!("PCR-{i:02}: {}", v.trim().to_ascii_lowercase()),
            Err(e) => {
                eprintln!("arbor-guest: {}: {e}", dir.join(i.to_string()).display());
                exit(1)
            }
        }
    }
    exit(0)
}

fn check_list(args: &[std::ffi::OsString]) -> ! {
    use sha1::Digest as _;
    let Some(path) = args.first() else {
        eprintln!("usage: arbor-guest check-list FILE");
        exit(2)
    };
    let buf = std::fs::read(path).unwrap_or_else(|e| {
        println!("cannot read {}: {e}", path.to_string_lossy());
        exit(1)
    });
    let mut off = 0;
    let mut n = 0;
    while off < buf.len() {
        let (entry, used) = match arbor_format::template::parse_entry(&buf[off..]) {
            Ok(x) => x,
            Err(e) => {
                println!("record {n} at offset {off}: {e:?}");
                exit(1)
            }
        };
        let digest: [u8; 20] = sha1::Sha1::digest(entry.data).into();
        if &digest != entry.template_digest && entry.template_digest != &[0u8; 20] {
            println!("record {n} at offset {off}: template digest mismatch");
            exit(1)
        }
        off += used;
        n += 1;
    }
    println!("records {n}");
    exit(0)
}

/// `struct fsverity_enable_arg` from <linux/fsverity.h>.
#[repr(C)]
struct FsverityEnableArg {
    version: u32,
    hash_algorithm: u32,
    block_size: u32,
    salt_size: u32,
    salt_ptr: u64,
    sig_size: u32,
    reserved1: u32,
    sig_ptr: u64,
    reserved2: [u64; 11],
}

/// `_IOW('f', 133, struct fsverity_enable_arg)`.
const FS_IOC_ENABLE_VERITY: libc::c_ulong = 0x4080_6685;

fn enable_verity(args: &[std::ffi::OsString]) -> ! {
    let (Some(path), Some(alg)) = (args.first(), args.get(1).and_then(|a| a.to_str())) else {
        eprintln!("usage: arbor-guest enable-verity PATH sha256|sha512 [SIG_FILE]");
        exit(2)
    };
    let sig = args.get(2).map(|f| {
        std::fs::read(f).unwrap_or_else(|e| {
            println!("cannot read {}: {e}", f.to_string_lossy());
            exit(1)
        })
    });
    let hash_algorithm = match alg {
        "sha256" => 1,
        "sha512" => 2,
        _ => {
            eprintln!("arbor-guest: unknown hash algorithm {alg}");
            exit(2)
        }
    };
    let file = std::fs::File::open(path).unwrap_or_else(|e| {
        println!("cannot open {}: {e}", path.to_string_lossy());
        exit(1)
    });
    let arg = FsverityEnableArg {
        version: 1,
        hash_algorithm,
        block_size: 4096,
        salt_size: 0,
        salt_ptr: 0,
        sig_size: sig.as_ref().map_or(0, |s| s.len() as u32),
        reserved1: 0,
        sig_ptr: sig.as_ref().map_or(0, |s| s.as_ptr() as u64),
        reserved2: [0; 11],
    };
    use std::os::fd::AsRawFd;
    // SAFETY: the fd is open and `arg` is a valid fsverity_enable_arg.
    let r = unsafe { libc::ioctl(file.as_raw_fd(), FS_IOC_ENABLE_VERITY, &arg) };
    if r != 0 {
        println!("enable-verity: {}", std::io::Error::last_os_error());
        exit(1)
    }
    exit(0)
}

/// Adds a DER certificate to the `.fs-verity` keyring, found by name in
/// /proc/keys.
fn fsverity_add_cert(args: &[std::ffi::OsString]) -> ! {
    let Some(cert) = args.first() else {
        eprintln!("usage: arbor-guest fsverity-add-cert CERT_DER");
        exit(2)
    };
    let der = std::fs::read(cert).unwrap_or_else(|e| {
        println!("cannot read {}: {e}", cert.to_string_lossy());
        exit(1)
    });
    let keys = std::fs::read_to_string("/proc/keys").unwrap_or_default();
    let Some(id) = keys
        .lines()
        .find(|l| l.contains(" keyring ") && l.contains(".fs-verity:"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|id| i32::from_str_radix(id, 16).ok())
    else {
        println!("no .fs-verity keyring in /proc/keys");
        exit(1)
    };
    // SAFETY: NUL-terminated type and description; a buffer of `der.len()` bytes.
    let r = unsafe {
        libc::syscall(
            libc::SYS_add_key,
            c"asymmetric".as_ptr(),
            c"".as_ptr(),
            der.as_ptr(),
            der.len(),
            id,
        )
    };
    if r < 0 {
        println!("add_key: errno {}", errno());
        exit(1)
    }
    exit(0)
}

/// `struct __user_cap_header_struct` and `__user_cap_data_struct` (v3).
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

/// `write-file FILE SRC`: writes SRC's bytes to FILE with one `write()`,
/// as the policy file requires.
fn write_file(args: &[std::ffi::OsString]) -> ! {
    let [file, src] = args else {
        eprintln!("usage: arbor-guest write-file FILE SRC");
        exit(2)
    };
    let data = std::fs::read(src).unwrap_or_else(|e| {
        println!("cannot read {}: {e}", src.to_string_lossy());
        exit(1)
    });
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(file)
        .unwrap_or_else(|e| {
            println!("errno {}", e.raw_os_error().unwrap_or(0));
            exit(1)
        });
    use std::os::fd::AsRawFd;
    // SAFETY: `data` is readable for its length; the fd is open.
    let n = unsafe { libc::write(f.as_raw_fd(), data.as_ptr().cast(), data.len()) };
    if n < 0 {
        println!("errno {}", errno());
    } else if n as usize != data.len() {
        println!("short write {n}");
    } else {
        println!("ok");
    }
    exit(0)
}

/// `run-as RUID EUID CMD [ARG...]`: sets the real uid to RUID and the
/// effective and saved uids to EUID, then executes CMD.
fn run_as(args: &[std::ffi::OsString]) -> ! {
    let [ruid, euid, cmd @ ..] = args else {
        eprintln!("usage: arbor-guest run-as RUID EUID CMD [ARG...]");
        exit(2)
    };
    let id = |s: &std::ffi::OsString| -> u32 {
        s.to_str().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
            eprintln!("arbor-guest: uids are decimal numbers");
            exit(2)
        })
    };
    let (r, e) = (id(ruid), id(euid));
    // SAFETY: plain setresuid(2).
    if unsafe { libc::setresuid(r, e, e) } != 0 {
        println!("setresuid: errno {}", errno());
        exit(1)
    }
    exec(cmd)
}

fn write_without_cap(args: &[std::ffi::OsString]) -> ! {
    let [cap, file, value] = args else {
        eprintln!("usage: arbor-guest write-without-cap CAP FILE VALUE");
        exit(2)
    };
    let Some(cap) = cap
        .to_str()
        .and_then(|c| c.parse::<u32>().ok())
        .filter(|&c| c < 64)
    else {
        eprintln!("arbor-guest: CAP must be a capability number below 64");
        exit(2)
    };
    let mut hdr = CapHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: a v3 header and two data structs, as capget requires.
    if unsafe { libc::syscall(libc::SYS_capget, &mut hdr, data.as_mut_ptr()) } != 0 {
        println!("capget: errno {}", errno());
        exit(1)
    }
    let (word, bit) = ((cap / 32) as usize, 1u32 << (cap % 32));
    data[word].effective &= !bit;
    data[word].permitted &= !bit;
    data[word].inheritable &= !bit;
    // SAFETY: as above.
    if unsafe { libc::syscall(libc::SYS_capset, &mut hdr, data.as_ptr()) } != 0 {
        println!("capset: errno {}", errno());
        exit(1)
    }
    use std::io::Write;
    let result = std::fs::OpenOptions::new()
        .write(true)
        .open(file)
        .and_then(|mut f| f.write_all(value.as_encoded_bytes()));
    match result {
        Ok(()) => println!("ok"),
        Err(e) => println!("errno {}", e.raw_os_error().unwrap_or(0)),
    }
    exit(0)
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn setxattr(args: &[std::ffi::OsString]) -> ! {
    let [path, name, value_file] = args else {
        eprintln!("usage: arbor-guest setxattr PATH NAME VALUE_FILE");
        exit(2)
    };
    let value = std::fs::read(value_file).unwrap_or_else(|e| {
        println!("cannot read {}: {e}", value_file.to_string_lossy());
        exit(1)
    });
    let (path, name) = (cstring(path), cstring(name));
    // SAFETY: NUL-terminated strings and a buffer of `value.len()` bytes.
    let r = unsafe {
        libc::setxattr(
            path.as_ptr(),
            name.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    if r != 0 {
        println!("setxattr: errno {}", errno());
        exit(1)
    }
    exit(0)
}

/// mount(2) with string data, as busybox's mount cannot pass it for NFSv4
/// (it speaks the NFSv2/3 binary mount data itself): prints "ok" or
/// "errno N".
fn mount(args: &[std::ffi::OsString]) -> ! {
    let [source, target, fstype, data] = args else {
        eprintln!("usage: arbor-guest mount SOURCE TARGET TYPE DATA");
        exit(2)
    };
    let (source, target, fstype, data) = (
        cstring(source),
        cstring(target),
        cstring(fstype),
        cstring(data),
    );
    // SAFETY: NUL-terminated strings; the data is a NUL-terminated string
    // too, which is what NFS's text mount options are.
    let r = unsafe {
        libc::mount(
            source.as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            0,
            data.as_ptr().cast(),
        )
    };
    if r != 0 {
        println!("errno {}", errno());
        exit(1)
    }
    println!("ok");
    exit(0)
}

/// Maps the first page of PATH, executable at once (`mprotect == false`)
/// or read-only and then made executable.
fn map_exec(args: &[std::ffi::OsString], mprotect: bool) -> ! {
    let Some(path) = args.first() else {
        eprintln!("usage: arbor-guest mmap-exec|mprotect-exec PATH");
        exit(2)
    };
    let file = std::fs::File::open(path).unwrap_or_else(|e| {
        println!("cannot open {}: {e}", path.to_string_lossy());
        exit(1)
    });
    use std::os::fd::AsRawFd;
    let prot = if mprotect {
        libc::PROT_READ
    } else {
        libc::PROT_READ | libc::PROT_EXEC
    };
    // SAFETY: a fresh private mapping of an open file; nothing aliases it.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            4096,
            prot,
            libc::MAP_PRIVATE,
            file.as_raw_fd(),
            0,
        )
    };
    if p == libc::MAP_FAILED {
        println!("errno {}", errno());
        exit(0)
    }
    if mprotect {
        // SAFETY: `p` is the page mapped above.
        if unsafe { libc::mprotect(p, 4096, libc::PROT_READ | libc::PROT_EXEC) } != 0 {
            println!("errno {}", errno());
            exit(0)
        }
    }
    println!("ok");
    exit(0)
}

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    match args.first().and_then(|a| a.to_str()) {
        Some("exec") => exec(&args[1..]),
        Some("check-list") => check_list(&args[1..]),
        Some("replay") => list::replay(&args[1..]),
        Some("read-across") => list::read_across(&args[1..]),
        Some("pcrs") => pcrs(&args[1..]),
        Some("audit-run") => audit::audit_run(&args[1..]),
        Some("write-file") => write_file(&args[1..]),
        Some("run-as") => run_as(&args[1..]),
        Some("bench") => bench::bench(&args[1..]),
        Some("enable-verity") => enable_verity(&args[1..]),
        Some("hello") => {
            println!("hello");
            exit(0)
        }
        Some("setxattr") => setxattr(&args[1..]),
        Some("mount") => mount(&args[1..]),
        Some("fsverity-add-cert") => fsverity_add_cert(&args[1..]),
        Some("write-without-cap") => write_without_cap(&args[1..]),
        Some("mmap-exec") => map_exec(&args[1..], false),
        Some("mprotect-exec") => map_exec(&args[1..], true),
        Some("steps") => steps::steps(&args[1..]),
        Some("fuse-serve") => fuse::fuse_serve(&args[1..]),
        _ => {
            eprintln!(
                "usage: arbor-guest exec PATH [ARG...] | check-list FILE | enable-verity PATH ALG"
            );
            exit(2)
        }
    }
}
