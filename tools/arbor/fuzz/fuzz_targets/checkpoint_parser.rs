// SPDX-License-Identifier: GPL-2.0
//! Fuzzes the checkpoint payload parser (the shared `checkpoint` module the
//! kernel compiles) and the `trim` request parser. A payload that parses
//! must encode back to the same bytes.
#![no_main]

use arbor_format::checkpoint::{self, Bank};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A trim request that parses renders back to the input (hex case and
    // one final newline aside).
    if let Some(r) = checkpoint::parse_trim_request(data) {
        let hex: String = r.digest.iter().map(|b| format!("{b:02x}")).collect();
        let line = data.strip_suffix(b"\n").unwrap_or(data).to_ascii_lowercase();
        assert_eq!(format!("{} {hex}", r.index).as_bytes(), &line[..]);
    }
    if let Ok(c) = checkpoint::parse(data) {
        let banks: Vec<Bank<'_>> = c.banks().collect();
        assert_eq!(checkpoint::encoded_len(&banks), data.len());
        let mut out = vec![0u8; data.len()];
        let n = checkpoint::encode(&c.header, &banks, &mut out).expect("a parsed payload must encode");
        assert_eq!(&out[..n], data);
    }
});
