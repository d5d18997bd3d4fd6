// SPDX-License-Identifier: GPL-2.0
//! Fuzzes the `security.arbor` value parser (the shared `xattr` module the
//! kernel compiles) and the IMA signature header parser. A value that parses
//! must encode back to the same bytes.
#![no_main]

use arbor_cli::sign::parse_ima_sig;
use arbor_format::xattr;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_ima_sig(data);
    if let Ok(h) = xattr::parse(data) {
        let mut out = vec![0u8; data.len()];
        let n = xattr::encode(h.params(), h.pkcs7(), &mut out).expect("a parsed value must encode");
        assert_eq!(&out[..n], data);
        assert_eq!(xattr::encoded_len(h.params(), h.pkcs7()), Some(data.len()));
    }
});
