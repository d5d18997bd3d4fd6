// SPDX-License-Identifier: GPL-2.0
//! Fuzzes the digest-list parser (the shared `digest_list` module the
//! kernel compiles). A list that parses must re-encode to the same bytes,
//! and finds each of its digests and nothing else it is asked. A signed
//! list splits into a list whose length its header gives and a non-empty
//! signature.
#![no_main]

use arbor_format::digest_list::{self, HEADER_SIZE};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((list, signature)) = digest_list::split_signed(data) {
        assert!(!signature.is_empty());
        assert_eq!(list.len() + signature.len(), data.len());
        assert!(digest_list::parse(data).is_err(), "trailing bytes accepted");
    }
    let Ok(l) = digest_list::parse(data) else {
        return;
    };
    let mut header = [0u8; HEADER_SIZE];
    digest_list::encode_header(l.header.kind, &l.header.params, l.header.count, &mut header)
        .expect("a parsed header must encode");
    assert_eq!(&header[..], &data[..HEADER_SIZE]);
    let size = l.digest_size();
    for d in l.digests() {
        assert!(l.contains(d));
        let mut other = d.to_vec();
        other[size - 1] ^= 0x80;
        let member = l.digests().any(|x| x == &other[..]);
        assert_eq!(l.contains(&other), member);
    }
});
