// SPDX-License-Identifier: GPL-2.0
//! Fuzzes the policy parser (the shared `policy` module the kernel
//! compiles). Nothing may panic; `validate` must agree with `parse`; an
//! accepted policy must render to canonical text that parses back to the
//! same policy and renders again to the same bytes; evaluation must run on
//! whatever was accepted.
#![no_main]

use arbor_format::policy::{self, Action, Func, Request, Rule, Summary, MAX_RULES, MAX_RULE_TEXT};
use arbor_format::template::Sink;
use libfuzzer_sys::fuzz_target;

struct Buf(Vec<u8>);

impl Sink for Buf {
    type Error = core::convert::Infallible;
    fn put(&mut self, bytes: &[u8]) -> Result<(), Self::Error> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let mut storage = [Rule::new(Action::Audit); MAX_RULES];
    let validated = policy::validate(data);
    let p = match policy::parse(data, &mut storage) {
        Ok(p) => p,
        Err(e) => {
            assert_eq!(validated, Err(e));
            assert!(e.line >= 1 && e.column >= 1);
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    assert_eq!(
        validated,
        Ok(Summary {
            rules: p.rules().len(),
            options: p.options(),
        })
    );

    let mut text = Buf(Vec::new());
    let Ok(()) = policy::render(&p, &mut text);
    for line in text.0.split(|&b| b == b'\n') {
        assert!(line.len() < MAX_RULE_TEXT);
    }
    let mut storage2 = [Rule::new(Action::Measure); MAX_RULES];
    let q = policy::parse(&text.0, &mut storage2).expect("rendered policy must parse");
    assert_eq!(p, q);
    let mut again = Buf(Vec::new());
    let Ok(()) = policy::render(&q, &mut again);
    assert_eq!(text.0, again.0);

    // Evaluate requests made from the input's own bytes.
    for chunk in data.chunks(8) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let r = Request {
            func: Func::ALL[(b(0) % 4) as usize],
            mask: b(1),
            fsmagic: u64::from(b(2) | b(3) << 8),
            fsuuid: [b(4) as u8; 16],
            uid: b(5),
            euid: b(6),
            fowner: b(7),
        };
        let d = p.evaluate(&r);
        assert_eq!(d, policy::evaluate(p.rules(), &r));
    }
});
