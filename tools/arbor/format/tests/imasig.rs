// SPDX-License-Identifier: GPL-2.0
//! The shared IMA sigv3 parser: layout, every truncation, bad fields.

use arbor_format::imasig::{self, Error, IMA_VERITY_DIGSIG};
use arbor_format::merkle::{Digest, HashAlgorithm};

fn value(version: u8, algo: u8, keyid: u32, sig: &[u8]) -> Vec<u8> {
    let mut v = vec![IMA_VERITY_DIGSIG, version, algo];
    v.extend_from_slice(&keyid.to_be_bytes());
    v.extend_from_slice(&(sig.len() as u16).to_be_bytes());
    v.extend_from_slice(sig);
    v
}

#[test]
fn parses_the_documented_layout() {
    let sig = [0xabu8; 256];
    let v = value(3, 4, 0x1122_3344, &sig);
    let s = imasig::parse(&v).unwrap();
    assert_eq!(s.alg, HashAlgorithm::Sha256);
    assert_eq!(s.keyid, 0x1122_3344);
    assert_eq!(s.sig, &sig[..]);
    let v = value(3, 6, 1, &[1]);
    assert_eq!(imasig::parse(&v).unwrap().alg, HashAlgorithm::Sha512);
}

#[test]
fn every_truncation_fails() {
    let v = value(3, 4, 7, &[9u8; 64]);
    for n in 0..v.len() {
        assert!(
            imasig::parse(&v[..n]).is_err(),
            "prefix of {n} bytes accepted"
        );
    }
    let mut long = v.clone();
    long.push(0);
    assert_eq!(imasig::parse(&long), Err(Error::BadLength));
}

#[test]
fn bad_fields_are_named() {
    assert_eq!(imasig::parse(&[]), Err(Error::NotVerity));
    // An IMA sigv2 (type 3) or file hash (type 4) is not an fs-verity signature.
    assert_eq!(
        imasig::parse(&[3, 2, 4, 0, 0, 0, 0, 0, 1, 0]),
        Err(Error::NotVerity)
    );
    assert_eq!(imasig::parse(&[4, 4, 1, 2, 3]), Err(Error::NotVerity));
    assert_eq!(imasig::parse(&value(2, 4, 0, &[1])), Err(Error::BadVersion));
    assert_eq!(
        imasig::parse(&value(3, 2, 0, &[1])),
        Err(Error::UnknownHashAlgorithm)
    );
    assert_eq!(imasig::parse(&value(3, 4, 0, &[])), Err(Error::BadLength));
    assert_eq!(imasig::parse(&[6, 3, 4]), Err(Error::Truncated));
}

#[test]
fn file_id_and_key_description() {
    let d = Digest::from_slice(&[0x5a; 32]).unwrap();
    let mut out = [0u8; 66];
    let n = imasig::file_id(HashAlgorithm::Sha256, &d, &mut out);
    assert_eq!(n, 34);
    assert_eq!(&out[..2], &[6, 4]);
    assert_eq!(&out[2..34], &[0x5a; 32]);
    let mut desc = [0u8; 12];
    imasig::key_description(0x0a1b_2c3d, &mut desc);
    assert_eq!(&desc, b"id:0a1b2c3d\0");
}
