// SPDX-License-Identifier: GPL-2.0
//! The `security.arbor` value layout: round trips, truncations, garbage.

use arbor_format::merkle::{HashAlgorithm, Params};
use arbor_format::xattr::{self, Error};

/// A DER SEQUENCE of `n` content bytes (not a real PKCS#7; the layout code
/// only checks the outer framing).
fn fake_der(n: usize) -> Vec<u8> {
    let mut v = vec![0x30];
    match n {
        0..=0x7f => v.push(n as u8),
        0x80..=0xff => v.extend([0x81, n as u8]),
        0x100..=0xffff => v.extend([0x82, (n >> 8) as u8, n as u8]),
        _ => v.extend([0x83, (n >> 16) as u8, (n >> 8) as u8, n as u8]),
    }
    v.extend((0..n).map(|i| (i * 7) as u8));
    v
}

fn encode(params: &Params, sig: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; xattr::encoded_len(params, sig).unwrap()];
    let n = xattr::encode(params, sig, &mut out).unwrap();
    assert_eq!(n, out.len());
    out
}

fn all_params() -> Vec<Params> {
    let mut v = Vec::new();
    for alg in [HashAlgorithm::Sha256, HashAlgorithm::Sha512] {
        for log_bs in 10..=16 {
            for salt in [&b""[..], b"\x01", b"abcd", &[0xa5; 32]] {
                v.push(Params::new::<()>(alg, log_bs, salt).unwrap());
            }
        }
    }
    v
}

#[test]
fn round_trip() {
    for params in all_params() {
        for n in [1, 0x7f, 0x80, 0x1ff, 0x1234] {
            let sig = fake_der(n);
            let value = encode(&params, &sig);
            assert_eq!(value[0], 1);
            assert_eq!(value[1], params.alg().id());
            assert_eq!(value[2], params.log_block_size());
            assert_eq!(usize::from(value[3]), params.salt().len());
            let h = xattr::parse(&value).unwrap();
            assert_eq!(*h.params(), params);
            assert_eq!(h.salt(), params.salt());
            assert_eq!(h.pkcs7(), &sig[..]);
        }
    }
}

#[test]
fn layout_bytes() {
    let params = Params::new::<()>(HashAlgorithm::Sha512, 12, b"\xab\xcd").unwrap();
    let value = encode(&params, &[0x30, 0x01, 0x00]);
    assert_eq!(value, [1, 2, 12, 2, 0xab, 0xcd, 0x30, 0x01, 0x00]);
}

#[test]
fn every_truncation_fails() {
    for params in all_params() {
        let value = encode(&params, &fake_der(300));
        for len in 0..value.len() {
            let r = xattr::parse(&value[..len]);
            let want = match len {
                0 => Error::Empty,
                l if l < 4 + params.salt().len() => Error::Truncated,
                l if l == 4 + params.salt().len() => Error::NoSignature,
                _ => Error::BadSignature,
            };
            assert_eq!(r, Err(want), "len {len} of {}", value.len());
        }
    }
}

#[test]
fn bad_headers() {
    let good = encode(&Params::fsverity_default(), &fake_der(10));
    let with = |i: usize, b: u8| {
        let mut v = good.clone();
        v[i] = b;
        xattr::parse(&v).map(|_| ())
    };
    assert_eq!(with(0, 0), Err(Error::BadVersion));
    assert_eq!(with(0, 2), Err(Error::BadVersion));
    assert_eq!(with(1, 0), Err(Error::BadAlgorithm));
    assert_eq!(with(1, 3), Err(Error::BadAlgorithm));
    assert_eq!(with(2, 9), Err(Error::BadBlockSize));
    assert_eq!(with(2, 17), Err(Error::BadBlockSize));
    assert_eq!(with(2, 255), Err(Error::BadBlockSize));
    assert_eq!(with(3, 33), Err(Error::SaltTooLong));
    assert_eq!(with(3, 255), Err(Error::SaltTooLong));
    // A longer salt eats into the signature, which then no longer frames.
    assert_eq!(with(3, 1), Err(Error::BadSignature));
    assert_eq!(with(3, 20), Err(Error::Truncated));
    // Signature framing: wrong tag, wrong length, extra bytes, non-DER forms.
    assert_eq!(with(4, 0x31), Err(Error::BadSignature));
    assert_eq!(with(5, 11), Err(Error::BadSignature));
    let mut extra = good.clone();
    extra.push(0);
    assert_eq!(xattr::parse(&extra), Err(Error::BadSignature));
    let long_form_short_len = [1, 1, 12, 0, 0x30, 0x81, 0x01, 0x00];
    assert_eq!(xattr::parse(&long_form_short_len), Err(Error::BadSignature));
    let leading_zero = [1, 1, 12, 0, 0x30, 0x82, 0x00, 0x01, 0x00];
    assert_eq!(xattr::parse(&leading_zero), Err(Error::BadSignature));
    let indefinite = [1, 1, 12, 0, 0x30, 0x80, 0x00, 0x00];
    assert_eq!(xattr::parse(&indefinite), Err(Error::BadSignature));
}

#[test]
fn size_limits() {
    let params = Params::fsverity_default();
    // Exactly XATTR_SIZE_MAX is fine, one more is not.
    let sig = fake_der(xattr::XATTR_SIZE_MAX - 4 - 4);
    let value = encode(&params, &sig);
    assert_eq!(value.len(), xattr::XATTR_SIZE_MAX);
    assert!(xattr::parse(&value).is_ok());
    let sig = fake_der(xattr::XATTR_SIZE_MAX - 4 - 3);
    let mut out = vec![0u8; xattr::XATTR_SIZE_MAX + 1];
    assert_eq!(xattr::encode(&params, &sig, &mut out), Err(Error::TooLong));
    let mut long = value.clone();
    long.push(0);
    assert_eq!(xattr::parse(&long), Err(Error::TooLong));
    // Output buffer too small; empty or unframed signatures.
    let mut small = vec![0u8; 10];
    assert_eq!(
        xattr::encode(&params, &fake_der(10), &mut small),
        Err(Error::NoSpace)
    );
    assert_eq!(
        xattr::encode(&params, &[], &mut out),
        Err(Error::NoSignature)
    );
    assert_eq!(
        xattr::encode(&params, &[0x30, 5], &mut out),
        Err(Error::BadSignature)
    );
}

#[test]
fn garbage_never_panics() {
    // A small xorshift generator: deterministic, no extra crates.
    let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    for _ in 0..20_000 {
        let len = (next() % 80) as usize;
        let mut v: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        // Bias towards plausible headers so the deeper checks run too.
        if len > 4 && next() % 2 == 0 {
            v[0] = 1;
            v[1] = 1 + (next() % 2) as u8;
            v[2] = 10 + (next() % 7) as u8;
            v[3] = (next() % 8) as u8;
        }
        if let Ok(h) = xattr::parse(&v) {
            let re = encode(h.params(), h.pkcs7());
            assert_eq!(re, v);
        }
    }
}
