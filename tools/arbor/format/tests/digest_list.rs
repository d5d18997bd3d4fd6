// SPDX-License-Identifier: GPL-2.0
//! The digest-list format: the documented header byte by byte, every
//! refusal, and lookups against a reference set.

use arbor_format::digest_list::{self, Error, Kind, HEADER_SIZE};
use arbor_format::merkle::{HashAlgorithm, Params};
use sha2::{Digest as _, Sha256, Sha512};
use std::collections::BTreeSet;

/// A header written out by hand from the documented layout.
fn header_by_hand(kind: u8, alg: u8, log_block: u8, salt: &[u8], count: u64) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend(b"ARBORDL\0");
    h.extend(1u16.to_le_bytes());
    h.extend([kind, alg, log_block, salt.len() as u8]);
    h.extend([0, 0]);
    let mut s = salt.to_vec();
    s.resize(32, 0);
    h.extend(s);
    h.extend(count.to_le_bytes());
    h.extend(0u64.to_le_bytes());
    assert_eq!(h.len(), HEADER_SIZE);
    h
}

fn sorted_digests(n: usize, size: usize) -> Vec<Vec<u8>> {
    let set: BTreeSet<Vec<u8>> = (0..n)
        .map(|i| {
            let d = Sha512::digest((i as u64).to_le_bytes());
            d[..size].to_vec()
        })
        .collect();
    set.into_iter().collect()
}

fn list(kind: u8, alg: u8, log_block: u8, salt: &[u8], digests: &[Vec<u8>]) -> Vec<u8> {
    let mut v = header_by_hand(kind, alg, log_block, salt, digests.len() as u64);
    for d in digests {
        v.extend(d);
    }
    v
}

#[test]
fn the_encoder_writes_the_documented_header() {
    for (kind, code) in [(Kind::Allow, 1u8), (Kind::Revoke, 2)] {
        for (alg, id) in [(HashAlgorithm::Sha256, 1u8), (HashAlgorithm::Sha512, 2)] {
            for (log, salt) in [(12u8, &b""[..]), (16, &b"salty"[..]), (10, &[7u8; 32][..])] {
                let params = Params::new::<()>(alg, log, salt).unwrap();
                let mut out = vec![0xeeu8; HEADER_SIZE];
                digest_list::encode_header(kind, &params, 42, &mut out).unwrap();
                assert_eq!(out, header_by_hand(code, id, log, salt, 42));
            }
        }
    }
    let mut short = vec![0u8; HEADER_SIZE - 1];
    assert_eq!(
        digest_list::encode_header(Kind::Allow, &Params::fsverity_default(), 1, &mut short),
        Err(Error::NoSpace)
    );
}

#[test]
fn a_list_parses_and_finds_exactly_its_digests() {
    for (alg, size) in [(1u8, 32usize), (2, 64)] {
        let digests = sorted_digests(5000, size);
        let bytes = list(2, alg, 12, b"s", &digests);
        let l = digest_list::parse(&bytes).unwrap();
        assert_eq!(l.header.kind, Kind::Revoke);
        assert_eq!(l.header.count, digests.len() as u64);
        assert_eq!(l.header.params.salt(), b"s");
        assert_eq!(l.digest_size(), size);
        assert!(l.digests().eq(digests.iter().map(|d| &d[..])));
        for d in &digests {
            assert!(l.contains(d));
        }
        let members: BTreeSet<&[u8]> = digests.iter().map(|d| &d[..]).collect();
        for i in 0..5000u64 {
            let q = Sha256::digest(i.to_le_bytes());
            let mut q = q.to_vec();
            q.resize(size, 0x5a);
            assert_eq!(l.contains(&q), members.contains(&q[..]));
        }
        // Neighbours of members, and the extremes.
        for d in digests.iter().step_by(97) {
            let mut below = d.clone();
            *below.last_mut().unwrap() ^= 1;
            assert_eq!(l.contains(&below), members.contains(&below[..]));
        }
        assert!(!l.contains(&vec![0u8; size]));
        assert!(!l.contains(&vec![0xffu8; size]));
        // A digest of the other size is never found.
        assert!(!l.contains(&digests[0][..size / 2]));
    }
}

#[test]
fn one_digest_is_a_list() {
    let d = sorted_digests(1, 32);
    let bytes = list(1, 1, 12, b"", &d);
    let l = digest_list::parse(&bytes).unwrap();
    assert!(l.contains(&d[0]));
}

#[test]
fn every_truncation_and_extension_is_refused() {
    let digests = sorted_digests(3, 32);
    let bytes = list(1, 1, 12, b"", &digests);
    for n in 0..bytes.len() {
        assert_eq!(
            digest_list::parse(&bytes[..n]).unwrap_err(),
            Error::Truncated,
            "length {n}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(
        digest_list::parse(&longer).unwrap_err(),
        Error::TrailingBytes
    );
    // A count that overflows the length computation.
    let mut huge = bytes.clone();
    huge[48..56].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_eq!(digest_list::parse(&huge).unwrap_err(), Error::Truncated);
}

#[test]
fn the_header_is_checked_field_by_field() {
    let digests = sorted_digests(3, 32);
    let good = list(1, 1, 12, b"ab", &digests);
    let with = |at: usize, v: u8| {
        let mut b = good.clone();
        b[at] = v;
        digest_list::parse(&b).unwrap_err()
    };
    assert_eq!(with(0, b'X'), Error::BadMagic);
    assert_eq!(with(7, 1), Error::BadMagic);
    assert_eq!(with(8, 2), Error::Version(2));
    assert_eq!(with(9, 1), Error::Version(257));
    assert_eq!(with(10, 0), Error::Kind(0));
    assert_eq!(with(10, 3), Error::Kind(3));
    assert_eq!(with(11, 0), Error::Algorithm(0));
    assert_eq!(with(11, 3), Error::Algorithm(3));
    assert_eq!(with(12, 9), Error::BlockSize(9));
    assert_eq!(with(12, 17), Error::BlockSize(17));
    assert_eq!(with(13, 33), Error::SaltSize(33));
    // Reserved fields and the salt's padding.
    for at in [14, 15, 18, 30, 47, 56, 60, 63] {
        assert_eq!(with(at, 1), Error::Reserved, "byte {at}");
    }
    // The salt's bytes themselves are free.
    let mut b = good.clone();
    b[16] = 0xff;
    assert!(digest_list::parse(&b).is_ok());
    // No digests.
    assert_eq!(
        digest_list::parse(&header_by_hand(1, 1, 12, b"", 0)).unwrap_err(),
        Error::Empty
    );
}

#[test]
fn digests_must_be_strictly_increasing() {
    let mut digests = sorted_digests(10, 32);
    let dup = {
        let mut d = digests.clone();
        d[5] = d[4].clone();
        d
    };
    assert_eq!(
        digest_list::parse(&list(1, 1, 12, b"", &dup)).unwrap_err(),
        Error::Order(5)
    );
    digests.swap(2, 7);
    assert_eq!(
        digest_list::parse(&list(1, 1, 12, b"", &digests)).unwrap_err(),
        Error::Order(3)
    );
}

#[test]
fn a_signed_list_splits_where_its_header_says() {
    let l = list(1, 1, 12, &[], &sorted_digests(3, 32));
    let sig = b"not parsed here".to_vec();
    let signed = [l.clone(), sig.clone()].concat();
    let (got_list, got_sig) = digest_list::split_signed(&signed).unwrap();
    assert_eq!(got_list, &l[..]);
    assert_eq!(got_sig, &sig[..]);
    assert!(digest_list::parse(got_list).is_ok());
    // Nothing after the digests: unsigned.
    assert_eq!(digest_list::split_signed(&l).unwrap_err(), Error::Unsigned);
    // Cut inside the digests: truncated, however long the "signature" is.
    for cut in [0, 10, 64, 65, l.len() - 1] {
        assert_eq!(
            digest_list::split_signed(&l[..cut]).unwrap_err(),
            Error::Truncated,
            "{cut}"
        );
    }
    // A header that announces more digests than follow: the signature is
    // taken as digests and the rest is missing.
    let mut lying = signed.clone();
    lying[48..56].copy_from_slice(&1000u64.to_le_bytes());
    assert_eq!(
        digest_list::split_signed(&lying).unwrap_err(),
        Error::Truncated
    );
    // A header too big to address.
    lying[48..56].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_eq!(
        digest_list::split_signed(&lying).unwrap_err(),
        Error::Truncated
    );
    // A bad header is reported as such.
    let mut bad = signed;
    bad[0] = b'X';
    assert_eq!(
        digest_list::split_signed(&bad).unwrap_err(),
        Error::BadMagic
    );
}
