// SPDX-License-Identifier: GPL-2.0
//! The digest-list lookup the kernel runs, over 1 000 000 SHA-256 digests:
//! time per lookup (half of them found), and memory per digest.

use arbor_format::digest_list::{self, Kind, HEADER_SIZE};
use arbor_format::merkle::Params;
use std::time::Instant;

/// xorshift64*: reproducible pseudo-random bytes, no dependency.
struct Rng(u64);

impl Rng {
    fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            let v = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

fn main() {
    const N: usize = 1_000_000;
    const LOOKUPS: usize = 2_000_000;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut digests: Vec<[u8; 32]> = (0..N)
        .map(|_| {
            let mut d = [0u8; 32];
            rng.fill(&mut d);
            d
        })
        .collect();
    digests.sort_unstable();
    digests.dedup();
    let params = Params::fsverity_default();
    let mut list = vec![0u8; digest_list::encoded_len(&params, digests.len()).unwrap()];
    digest_list::encode_header(Kind::Allow, &params, digests.len() as u64, &mut list).unwrap();
    for (slot, d) in list[HEADER_SIZE..].chunks_exact_mut(32).zip(&digests) {
        slot.copy_from_slice(d);
    }
    let t = Instant::now();
    let parsed = digest_list::parse(&list).unwrap();
    let load = t.elapsed();

    // Queries: every other one a member.
    let queries: Vec<[u8; 32]> = (0..LOOKUPS)
        .map(|i| {
            if i % 2 == 0 {
                digests[(i / 2 * 7919) % digests.len()]
            } else {
                let mut d = [0u8; 32];
                rng.fill(&mut d);
                d
            }
        })
        .collect();
    let t = Instant::now();
    let mut found = 0usize;
    for q in &queries {
        found += usize::from(std::hint::black_box(parsed.contains(q)));
    }
    let per = t.elapsed().as_nanos() as f64 / LOOKUPS as f64;
    println!(
        "digest list: {} SHA-256 digests, {} bytes ({} per digest)",
        digests.len(),
        list.len(),
        32
    );
    println!("parse and order check: {:.1} ms", load.as_secs_f64() * 1e3);
    println!("lookup: {per:.0} ns per lookup over {LOOKUPS} lookups ({found} found)");
}
