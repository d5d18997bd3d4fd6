// SPDX-License-Identifier: GPL-2.0
//! Fuzzes the measurement list reader: the streaming entry reader of the
//! `arbor` command, the shared `template` entry and field parsers, the
//! ASCII and JSON renderers and the IMA signature header parser. None may
//! panic; rendering must agree with parsing.
#![no_main]

use arbor_cli::log::{render_json, render_line, ListReader};
use arbor_cli::sign::parse_ima_sig;
use arbor_format::template;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The shared parser on the raw bytes, entry after entry.
    let mut rest = data;
    while let Ok((entry, used)) = template::parse_entry(rest) {
        for field in template::fields(entry.data).flatten() {
            let _ = template::split_digest_field(field);
            let _ = parse_ima_sig(field);
        }
        let mut line = Vec::new();
        let _ = render_line(&entry, &mut line);
        rest = rest.get(used..).unwrap_or_default();
    }

    // The streaming reader must see the same entries.
    let mut reader = ListReader::new(data);
    let mut rest = data;
    let mut index = 0;
    while let Ok(Some(entry)) = reader.next_entry() {
        let (shared, used) =
            template::parse_entry(rest).expect("reader accepted what the parser rejects");
        assert_eq!(shared.data, entry.data);
        rest = &rest[used..];
        let ascii = render_line(&entry, &mut Vec::new()).is_ok();
        assert_eq!(ascii, render_json(index, &entry).is_ok());
        index += 1;
    }
});
