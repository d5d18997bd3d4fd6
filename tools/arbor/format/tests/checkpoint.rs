// SPDX-License-Identifier: GPL-2.0
//! The checkpoint payload: the documented layout byte by byte, round trips,
//! and every refusal.

use arbor_format::checkpoint::{self, Bank, Error, Header, ALG_SHA1, ALG_SHA256};

const SHA1: [u8; 20] = [0x11; 20];
const SHA256: [u8; 32] = [0x22; 32];

fn header() -> Header {
    Header {
        flags: checkpoint::FLAG_NO_TPM,
        pcr: 10,
        index: 1234,
        dropped: 1000,
    }
}

fn banks() -> [Bank<'static>; 2] {
    [
        Bank {
            alg: ALG_SHA1,
            digest: &SHA1,
        },
        Bank {
            alg: ALG_SHA256,
            digest: &SHA256,
        },
    ]
}

/// The layout of Documentation and of the module comment, written out by
/// hand rather than through the encoder.
fn by_hand() -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(1u32.to_le_bytes()); // version
    v.extend(2u32.to_le_bytes()); // flags: no TPM
    v.extend(10u32.to_le_bytes()); // pcr
    v.extend(2u32.to_le_bytes()); // banks
    v.extend(1234u64.to_le_bytes()); // index
    v.extend(1000u64.to_le_bytes()); // dropped
    v.extend([0x04, 0x00, 20, 0]);
    v.extend(SHA1);
    v.extend([0x0b, 0x00, 32, 0]);
    v.extend(SHA256);
    v
}

fn encode(h: &Header, b: &[Bank<'_>]) -> Result<Vec<u8>, Error> {
    let mut out = vec![0u8; checkpoint::encoded_len(b)];
    let n = checkpoint::encode(h, b, &mut out)?;
    assert_eq!(n, out.len());
    Ok(out)
}

#[test]
fn encodes_the_documented_layout() {
    let bytes = encode(&header(), &banks()).unwrap();
    assert_eq!(bytes, by_hand());
    assert_eq!(bytes.len(), 32 + 24 + 36);
}

#[test]
fn parses_what_it_encodes() {
    let bytes = by_hand();
    let c = checkpoint::parse(&bytes).unwrap();
    assert_eq!(c.header, header());
    assert_eq!(c.banks().collect::<Vec<_>>(), banks().to_vec());
    assert_eq!(c.bank(ALG_SHA256), Some(&SHA256[..]));
    assert_eq!(c.bank(ALG_SHA1), Some(&SHA1[..]));
    assert_eq!(c.bank(checkpoint::ALG_SHA384), None);
}

#[test]
fn unknown_algorithms_keep_their_size() {
    let d = [7u8; 40];
    let b = [Bank {
        alg: 0x1234,
        digest: &d,
    }];
    let bytes = encode(&header(), &b).unwrap();
    let c = checkpoint::parse(&bytes).unwrap();
    assert_eq!(c.bank(0x1234), Some(&d[..]));
}

#[test]
fn every_truncation_is_refused() {
    let bytes = by_hand();
    for n in 0..bytes.len() {
        let e = checkpoint::parse(&bytes[..n]).unwrap_err();
        assert!(
            matches!(e, Error::Truncated | Error::BankCount(_)),
            "length {n}: {e:?}"
        );
    }
}

#[test]
fn trailing_bytes_are_refused() {
    let mut bytes = by_hand();
    bytes.push(0);
    assert_eq!(checkpoint::parse(&bytes).unwrap_err(), Error::TrailingBytes);
}

#[test]
fn header_fields_are_checked() {
    let mut v = by_hand();
    v[0] = 2;
    assert_eq!(checkpoint::parse(&v).unwrap_err(), Error::Version(2));
    let mut v = by_hand();
    v[4] = 0x06;
    assert_eq!(checkpoint::parse(&v).unwrap_err(), Error::UnknownFlags(6));
    let mut v = by_hand();
    v[12] = 0;
    assert_eq!(checkpoint::parse(&v).unwrap_err(), Error::BankCount(0));
    let mut v = by_hand();
    v[12] = 9;
    assert_eq!(checkpoint::parse(&v).unwrap_err(), Error::BankCount(9));
    let mut v = by_hand();
    v[24..32].copy_from_slice(&1235u64.to_le_bytes());
    assert_eq!(checkpoint::parse(&v).unwrap_err(), Error::DroppedAfterIndex);
}

#[test]
fn bank_sizes_and_duplicates_are_checked() {
    // SHA-1 announced with 32 bytes.
    let mut v = by_hand();
    v[34] = 32;
    assert_eq!(
        checkpoint::parse(&v).unwrap_err(),
        Error::BankSize(ALG_SHA1)
    );
    // The second bank made SHA-1 too (its size then mismatches first).
    let mut v = by_hand();
    v[32 + 24] = 0x04;
    assert_eq!(
        checkpoint::parse(&v).unwrap_err(),
        Error::BankSize(ALG_SHA1)
    );
    // Two SHA-256 banks.
    let twice = [banks()[1], banks()[1]];
    assert_eq!(
        encode(&header(), &twice).unwrap_err(),
        Error::DuplicateBank(ALG_SHA256)
    );
    let mut v = encode(&header(), &banks()[1..]).unwrap();
    v[12] = 2;
    v.extend_from_within(32..);
    assert_eq!(
        checkpoint::parse(&v).unwrap_err(),
        Error::DuplicateBank(ALG_SHA256)
    );
    // An unknown algorithm with an empty or oversized digest.
    for size in [0usize, 65] {
        let d = vec![0u8; size];
        let b = [Bank {
            alg: 0x99,
            digest: &d,
        }];
        assert_eq!(encode(&header(), &b).unwrap_err(), Error::BankSize(0x99));
    }
}

#[test]
fn encoding_refuses_what_parsing_would() {
    let mut h = header();
    h.flags = 1 << 5;
    assert_eq!(
        encode(&h, &banks()).unwrap_err(),
        Error::UnknownFlags(1 << 5)
    );
    assert_eq!(encode(&header(), &[]).unwrap_err(), Error::BankCount(0));
    let mut out = vec![0u8; 10];
    assert_eq!(
        checkpoint::encode(&header(), &banks(), &mut out).unwrap_err(),
        Error::NoSpace
    );
}

#[test]
fn the_name_cannot_be_a_rendered_path() {
    assert!(!checkpoint::NAME.starts_with('/'));
    assert!(!checkpoint::NAME.starts_with(".../"));
    assert!(!checkpoint::NAME.contains(':'));
}

#[test]
fn checkpoint_intervals_parse_exactly() {
    for (s, n) in [
        ("0", 0),
        ("1", 1),
        ("16", 16),
        ("1000000000", 1_000_000_000),
    ] {
        assert_eq!(checkpoint::parse_interval(s.as_bytes()), Some(n), "{s}");
    }
    for s in [
        "",
        "-1",
        "+1",
        "1000000001",
        "99999999999",
        "1k",
        " 1",
        "0x10",
    ] {
        assert_eq!(checkpoint::parse_interval(s.as_bytes()), None, "{s}");
    }
}

#[test]
fn trim_requests_parse_exactly() {
    let d = "00112233445566778899aabbccddeeff00112233";
    let want = checkpoint::TrimRequest {
        index: 17,
        digest: [
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
            0xee, 0xff, 0x00, 0x11, 0x22, 0x33,
        ],
    };
    for ok in [
        format!("17 {d}"),
        format!("17 {d}\n"),
        format!("17 {}", d.to_uppercase()),
    ] {
        assert_eq!(
            checkpoint::parse_trim_request(ok.as_bytes()),
            Some(want),
            "{ok:?}"
        );
    }
    assert_eq!(
        checkpoint::parse_trim_request(format!("0 {d}").as_bytes()).map(|r| r.index),
        Some(0)
    );
    assert_eq!(
        checkpoint::parse_trim_request(format!("18446744073709551615 {d}").as_bytes())
            .map(|r| r.index),
        Some(u64::MAX)
    );
    for bad in [
        String::new(),
        "\n".into(),
        "17".into(),
        format!("17  {d}"),
        format!(" 17 {d}"),
        format!("17 {d}\n\n"),
        format!("17 {d} "),
        format!("017 {d}"),
        format!("-1 {d}"),
        format!("+1 {d}"),
        format!("18446744073709551616 {d}"),
        format!("17 {}", &d[..38]),
        format!("17 {d}00"),
        format!("17 {}g", &d[..39]),
        format!("1x {d}"),
        format!("17\t{d}"),
    ] {
        assert_eq!(
            checkpoint::parse_trim_request(bad.as_bytes()),
            None,
            "{bad:?}"
        );
    }
}
