// SPDX-License-Identifier: GPL-2.0
//! `bench`: timed loops for the benchmarks (scripts/bench-hooks.sh and
//! scripts/bench.sh). Each prints one line `bench OP N NS_PER_OP` (and,
//! for the hashing rows, the throughput), timed with the guest's
//! monotonic clock.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::process::exit;
use std::time::Instant;

fn usage() -> ! {
    eprintln!(
        "usage: arbor-guest bench open|exec PATH N | open-as UID PATH N | \
         first-open DIR COUNT SIZE | first-open-big PATH SIZE [cold] | afalg PATH | \
         write-once FILE TEXT | read-seq PATH | read-rand PATH"
    );
    exit(2)
}

fn number(s: &OsString) -> u64 {
    match s.to_str().and_then(|v| v.parse::<u64>().ok()) {
        Some(n) if n > 0 => n,
        _ => {
            eprintln!("arbor-guest: {s:?} is not a positive number");
            exit(2)
        }
    }
}

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    println!("bench failed: {what}: {e}");
    exit(1)
}

/// `n` bytes that differ from file to file (`seed`), so that no two files
/// share a digest.
fn content(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn write_file(path: &Path, data: &[u8]) {
    let mut f = std::fs::File::create(path).unwrap_or_else(|e| fail("create", e));
    f.write_all(data).unwrap_or_else(|e| fail("write", e));
}

/// Opens and closes `path`, as the measured open does.
fn open(path: &Path) {
    if let Err(e) = std::fs::File::open(path) {
        fail(&path.to_string_lossy(), e);
    }
}

fn loop_open(path: &Path, n: u64) -> u128 {
    let start = Instant::now();
    for _ in 0..n {
        open(path);
    }
    start.elapsed().as_nanos() / u128::from(n)
}

fn drop_caches() {
    // SAFETY: `sync` has no preconditions.
    unsafe { libc::sync() };
    std::fs::write("/proc/sys/vm/drop_caches", b"3\n").unwrap_or_else(|e| fail("drop_caches", e));
}

/// The kernel's SHA-256 over `path`'s content through an AF_ALG socket.
fn afalg_sha256(path: &Path) -> [u8; 32] {
    // SAFETY: plain socket creation; the result is checked.
    let s = unsafe { libc::socket(libc::AF_ALG, libc::SOCK_SEQPACKET, 0) };
    if s < 0 {
        fail("socket(AF_ALG)", std::io::Error::last_os_error());
    }
    // SAFETY: `s` is a new descriptor this function owns.
    let s = unsafe { OwnedFd::from_raw_fd(s) };
    // SAFETY: all-zero is a valid sockaddr_alg; the names fit.
    let mut sa: libc::sockaddr_alg = unsafe { std::mem::zeroed() };
    sa.salg_family = libc::AF_ALG as u16;
    sa.salg_type[..4].copy_from_slice(b"hash");
    sa.salg_name[..6].copy_from_slice(b"sha256");
    // SAFETY: `sa` is a valid sockaddr_alg of the size given.
    let r = unsafe {
        libc::bind(
            s.as_raw_fd(),
            (&sa as *const libc::sockaddr_alg).cast(),
            std::mem::size_of::<libc::sockaddr_alg>() as u32,
        )
    };
    if r != 0 {
        fail("bind(sha256)", std::io::Error::last_os_error());
    }
    // SAFETY: accepting on a bound AF_ALG socket gives an operation socket.
    let op = unsafe { libc::accept(s.as_raw_fd(), std::ptr::null_mut(), std::ptr::null_mut()) };
    if op < 0 {
        fail("accept(AF_ALG)", std::io::Error::last_os_error());
    }
    // SAFETY: `op` is a new descriptor this function owns.
    let op = unsafe { OwnedFd::from_raw_fd(op) };
    let mut f = std::fs::File::open(path).unwrap_or_else(|e| fail("open", e));
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf).unwrap_or_else(|e| fail("read", e));
        if n == 0 {
            break;
        }
        // SAFETY: `buf` holds `n` initialised bytes.
        let w = unsafe { libc::send(op.as_raw_fd(), buf.as_ptr().cast(), n, libc::MSG_MORE) };
        if w != n as isize {
            fail("send(AF_ALG)", std::io::Error::last_os_error());
        }
    }
    // SAFETY: an empty final send ends the message.
    unsafe { libc::send(op.as_raw_fd(), std::ptr::null(), 0, 0) };
    let mut out = [0u8; 32];
    // SAFETY: `out` has room for the digest.
    let r = unsafe { libc::read(op.as_raw_fd(), out.as_mut_ptr().cast(), out.len()) };
    if r != 32 {
        fail("read(AF_ALG)", std::io::Error::last_os_error());
    }
    out
}

/// Throughput in MB/s (10^6 bytes per second) of `bytes` in `ns`.
fn mbps(bytes: u64, ns: u128) -> u128 {
    u128::from(bytes) * 1000 / ns.max(1)
}

/// Throughput in kB/s (10^3 bytes per second) of `bytes` in `ns`.
fn kbps(bytes: u64, ns: u128) -> u128 {
    u128::from(bytes) * 1_000_000 / ns.max(1)
}

pub(crate) fn bench(args: &[OsString]) -> ! {
    let Some((op, rest)) = args.split_first() else {
        usage()
    };
    match (op.to_string_lossy().as_ref(), rest) {
        ("open", [path, n]) => {
            let n = number(n);
            println!("bench open {n} {}", loop_open(Path::new(path), n));
        }
        ("open-as", [uid, path, n]) => {
            let uid = number(uid) as libc::uid_t;
            // SAFETY: plain id change of this process.
            if unsafe { libc::setresuid(uid, uid, uid) } != 0 {
                fail("setresuid", std::io::Error::last_os_error());
            }
            let n = number(n);
            println!("bench open-as {n} {}", loop_open(Path::new(path), n));
        }
        ("exec", [path, n]) => {
            let n = number(n);
            let start = Instant::now();
            for _ in 0..n {
                let ok = std::process::Command::new(path)
                    .arg("hello")
                    .stdout(std::process::Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success());
                if !ok {
                    fail(&path.to_string_lossy(), "did not run");
                }
            }
            println!(
                "bench exec {n} {}",
                start.elapsed().as_nanos() / u128::from(n)
            );
        }
        ("first-open", [dir, count, size]) => {
            let (count, size) = (number(count), number(size) as usize);
            let dir = Path::new(dir);
            std::fs::create_dir_all(dir).unwrap_or_else(|e| fail("mkdir", e));
            let paths: Vec<_> = (0..count).map(|i| dir.join(format!("f{i}"))).collect();
            for (i, p) in paths.iter().enumerate() {
                write_file(p, &content(size, i as u64 + 1));
            }
            let start = Instant::now();
            for p in &paths {
                open(p);
            }
            let ns = start.elapsed().as_nanos() / u128::from(count);
            println!("bench first-open {count} {ns}");
        }
        ("first-open-big", [path, size, cold @ ..]) => {
            let size = number(size);
            let path = Path::new(path);
            write_file(path, &content(size as usize, size));
            // The writer's pages stay in the page cache; an open to read
            // them first would be the measured open itself.
            if cold.first().is_some_and(|c| c == "cold") {
                drop_caches();
            }
            let start = Instant::now();
            open(path);
            let ns = start.elapsed().as_nanos();
            println!(
                "bench first-open-big {size} {ns} {} {}",
                mbps(size, ns),
                kbps(size, ns)
            );
        }
        ("write-once", [file, text]) => {
            // One write() of TEXT to FILE (a securityfs control file),
            // timed from before the open to after the close.
            let start = Instant::now();
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(file)
                .unwrap_or_else(|e| fail(&file.to_string_lossy(), e));
            let data = text.as_encoded_bytes();
            match f.write(data) {
                Ok(n) if n == data.len() => {}
                Ok(n) => fail("write", format!("short write of {n} bytes")),
                Err(e) => fail("write", e),
            }
            drop(f);
            println!("bench write-once 1 {}", start.elapsed().as_nanos());
        }
        ("afalg", [path]) => {
            let path = Path::new(path);
            let size = std::fs::metadata(path)
                .unwrap_or_else(|e| fail("stat", e))
                .len();
            let start = Instant::now();
            let digest = afalg_sha256(path);
            let ns = start.elapsed().as_nanos();
            std::hint::black_box(digest);
            println!(
                "bench afalg {size} {ns} {} {}",
                mbps(size, ns),
                kbps(size, ns)
            );
        }
        ("read-seq", [path]) => {
            // The whole file, 128 KiB at a time, from a new open (a FUSE
            // file's page cache is dropped at each open unless its server
            // says otherwise).
            let start = Instant::now();
            let mut f = std::fs::File::open(path).unwrap_or_else(|e| fail("open", e));
            let mut buf = vec![0u8; 128 << 10];
            let mut size = 0u64;
            loop {
                match f.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => size += n as u64,
                    Err(e) => fail("read", e),
                }
            }
            let ns = start.elapsed().as_nanos();
            println!(
                "bench read-seq {size} {ns} {} {}",
                mbps(size, ns),
                kbps(size, ns)
            );
        }
        ("read-rand", [path]) => {
            // Each 4 KiB page of the file once, in a pseudo-random order,
            // from a new open: ns per page read.
            let f = std::fs::File::open(path).unwrap_or_else(|e| fail("open", e));
            let pages = f.metadata().unwrap_or_else(|e| fail("stat", e)).len() / 4096;
            if pages == 0 {
                fail("read-rand", "file shorter than a page");
            }
            // A full-period LCG over the pages: an odd increment and a
            // multiplier of 1 mod 4, modulo a power of two at least
            // `pages`, skipping the values past the end.
            let m = pages.next_power_of_two();
            let mut x = 0u64;
            let mut buf = [0u8; 4096];
            let start = Instant::now();
            for _ in 0..m {
                x = (x.wrapping_mul(5).wrapping_add(12345)) & (m - 1);
                if x >= pages {
                    continue;
                }
                f.read_exact_at(&mut buf, x * 4096)
                    .unwrap_or_else(|e| fail("pread", e));
            }
            let ns = start.elapsed().as_nanos() / u128::from(pages);
            println!("bench read-rand {pages} {ns}");
        }
        _ => usage(),
    }
    exit(0)
}
