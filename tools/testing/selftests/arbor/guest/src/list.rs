// SPDX-License-Identifier: GPL-2.0
//! Measurement list checks that follow checkpoints and trims.

use arbor_format::checkpoint;
use arbor_format::template;
use sha1::Digest as _;
use std::ffi::OsString;
use std::io::Read;
use std::process::exit;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `replay LIST FIRST`: replays a binary list whose first entry has global
/// index FIRST, from zero (FIRST 0) or from the values recorded by its
/// first entry, which must then be a checkpoint of index FIRST. Every
/// checkpoint must record its own global index and the values replayed
/// up to it. Prints `checkpoint INDEX TEMPLATE_DIGEST` for each, then
/// `sha1 HEX sha256 HEX checkpoints N entries N`.
pub fn replay(args: &[OsString]) -> ! {
    let [path, first] = args else {
        eprintln!("usage: arbor-guest replay LIST FIRST");
        exit(2)
    };
    let Some(first) = first.to_str().and_then(|s| s.parse::<u64>().ok()) else {
        eprintln!("arbor-guest: FIRST must be a number");
        exit(2)
    };
    let buf = std::fs::read(path).unwrap_or_else(|e| {
        println!("cannot read {}: {e}", path.to_string_lossy());
        exit(1)
    });
    let mut p1 = [0u8; 20];
    let mut p256 = [0u8; 32];
    let (mut off, mut n, mut seen) = (0usize, 0u64, 0u64);
    while off < buf.len() {
        let index = first + n;
        let (e, used) = template::parse_entry(&buf[off..]).unwrap_or_else(|err| {
            println!("entry {index}: {err:?}");
            exit(1)
        });
        if let Some(payload) = checkpoint::payload_of(&e) {
            let c = checkpoint::parse(payload).unwrap_or_else(|err| {
                println!("entry {index}: checkpoint payload: {}", err.describe());
                exit(1)
            });
            let Some((r1, r256)) = c.sha1_sha256() else {
                println!("entry {index}: checkpoint without the sha1 and sha256 banks");
                exit(1)
            };
            if n == 0 && first != 0 {
                p1.copy_from_slice(r1);
                p256.copy_from_slice(r256);
            }
            if c.header.index != index {
                println!("entry {index}: checkpoint records index {}", c.header.index);
                exit(1)
            }
            if r1 != p1 || r256 != p256 {
                println!("entry {index}: checkpoint values differ from the replay");
                exit(1)
            }
            println!("checkpoint {index} {}", hex(e.template_digest));
            seen += 1;
        } else if n == 0 && first != 0 {
            println!("entry {index}: a list that starts after entry 0 must start at a checkpoint");
            exit(1)
        }
        let violation = e.template_digest == &[0u8; 20];
        let (d1, d256): ([u8; 20], [u8; 32]) = if violation {
            ([0xff; 20], [0xff; 32])
        } else {
            let d1: [u8; 20] = sha1::Sha1::digest(e.data).into();
            if &d1 != e.template_digest {
                println!("entry {index}: template digest mismatch");
                exit(1)
            }
            (d1, sha2::Sha256::digest(e.data).into())
        };
        p1 = sha1::Sha1::digest([&p1[..], &d1[..]].concat()).into();
        p256 = sha2::Sha256::digest([&p256[..], &d256[..]].concat()).into();
        off += used;
        n += 1;
    }
    println!(
        "sha1 {} sha256 {} checkpoints {seen} entries {n}",
        hex(&p1),
        hex(&p256)
    );
    exit(0)
}

/// `read-across FILE BYTES OUT CMD [ARG...]`: reads BYTES bytes of FILE,
/// runs CMD while the file stays open, then reads on to the end; writes
/// what was read to OUT. Prints `ok` or `errno N` (the failed read).
pub fn read_across(args: &[OsString]) -> ! {
    let [path, bytes, out, cmd @ ..] = args else {
        eprintln!("usage: arbor-guest read-across FILE BYTES OUT CMD [ARG...]");
        exit(2)
    };
    let Some(bytes) = bytes.to_str().and_then(|s| s.parse::<usize>().ok()) else {
        eprintln!("arbor-guest: BYTES must be a number");
        exit(2)
    };
    let Some((prog, rest)) = cmd.split_first() else {
        eprintln!("arbor-guest: no command");
        exit(2)
    };
    let mut f = std::fs::File::open(path).unwrap_or_else(|e| {
        println!("cannot open {}: {e}", path.to_string_lossy());
        exit(1)
    });
    let mut data = vec![0u8; bytes];
    if let Err(e) = f.read_exact(&mut data) {
        println!("first read: {e}");
        exit(1)
    }
    match std::process::Command::new(prog).args(rest).status() {
        Ok(s) if s.success() => {}
        other => {
            println!("command failed: {other:?}");
            exit(1)
        }
    }
    let result = f.read_to_end(&mut data);
    std::fs::write(out, &data).unwrap_or_else(|e| {
        println!("cannot write {}: {e}", out.to_string_lossy());
        exit(1)
    });
    match result {
        Ok(_) => println!("ok"),
        Err(e) => println!("errno {}", e.raw_os_error().unwrap_or(0)),
    }
    exit(0)
}
