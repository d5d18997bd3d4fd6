// SPDX-License-Identifier: GPL-2.0
//! The fields of an entry of each template arbor records, and the
//! `arbor.template=` boot parameter.

use arbor_format::imasig;
use arbor_format::mode::boot_param;
use arbor_format::policy::{measurement_template, TEMPLATES};
use arbor_format::template::{
    encode_template_data, fields, template_data_len, DigestType, EntryFields, Template,
};

/// The fields of an encoded entry, as length-prefixed byte strings.
fn encoded(t: Template) -> Vec<Vec<u8>> {
    let plain = [0x11u8; 32];
    let verity = [0x22u8; 32];
    let f = EntryFields::new(
        t,
        ("sha256", &plain),
        (DigestType::Verity, "sha256", &verity),
        b"/bin/prog",
        b"\x03sig",
    );
    let len = template_data_len(f.as_slice()).unwrap();
    let mut data = vec![0u8; len];
    assert_eq!(encode_template_data(f.as_slice(), &mut data).unwrap(), len);
    fields(&data).map(|r| r.unwrap().to_vec()).collect()
}

#[test]
fn each_template_gets_its_fields() {
    let d_ng = [b"sha256:\0".as_slice(), &[0x11; 32]].concat();
    let d_ngv2 = [b"verity:sha256:\0".as_slice(), &[0x22; 32]].concat();
    let name = b"/bin/prog\0".to_vec();
    let sig = b"\x03sig".to_vec();
    assert_eq!(encoded(Template::ImaNg), [d_ng.clone(), name.clone()]);
    assert_eq!(
        encoded(Template::ImaSig),
        [d_ng.clone(), name.clone(), sig.clone()]
    );
    assert_eq!(encoded(Template::ImaNgV2), [d_ngv2.clone(), name.clone()]);
    assert_eq!(encoded(Template::ImaSigV2), [d_ngv2, name, sig]);
    for t in TEMPLATES {
        assert_eq!(
            t.records_plain_hash(),
            matches!(t, Template::ImaNg | Template::ImaSig)
        );
    }
}

#[test]
fn boot_parameter() {
    let name = b"arbor.template=";
    for t in TEMPLATES {
        let cmdline = format!("console=ttyS0 arbor.template={} quiet", t.name());
        let value = boot_param(cmdline.as_bytes(), name).unwrap();
        assert_eq!(measurement_template(value), Some(t));
    }
    for bad in ["ima-buf", "ima", "IMA-NG", "", "ima-ng "] {
        assert_eq!(measurement_template(bad.as_bytes()), None, "{bad:?}");
    }
    assert_eq!(boot_param(b"arbor.templates=ima-ng", name), None);
}

#[test]
fn ima_sig_records_signatures_only() {
    // IMA's ima-sig records security.ima when it is a signature
    // (EVM_IMA_XATTR_DIGSIG or IMA_VERITY_DIGSIG), not a file hash.
    assert!(imasig::is_signature(b"\x03\x02rest"));
    assert!(imasig::is_signature(b"\x06\x03rest"));
    assert!(!imasig::is_signature(b"\x04\x04hash"));
    assert!(!imasig::is_signature(b"\x01hash"));
    assert!(!imasig::is_signature(b""));
}
