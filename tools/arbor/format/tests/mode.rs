// SPDX-License-Identifier: GPL-2.0
//! The mode's names and the values that set it.

use arbor_format::mode::{action, boot_param, name, parse_flag, show_flag};

#[test]
fn flags() {
    assert_eq!(parse_flag(b"0"), Some(false));
    assert_eq!(parse_flag(b"1"), Some(true));
    assert_eq!(parse_flag(b"0\n"), Some(false));
    assert_eq!(parse_flag(b"1\n"), Some(true));
    for bad in [
        &b""[..],
        b"\n",
        b"1\n\n",
        b" 1",
        b"1 ",
        b"01",
        b"2",
        b"yes",
        b"true",
        b"1\0",
        b"\n1",
    ] {
        assert_eq!(parse_flag(bad), None, "{bad:?}");
    }
    for on in [false, true] {
        assert_eq!(parse_flag(show_flag(on)), Some(on));
    }
    assert_eq!(name(true), "enforcing");
    assert_eq!(name(false), "permissive");
    assert_eq!(action(true), "denied");
    assert_eq!(action(false), "allowed (permissive)");
}

#[test]
fn boot_params() {
    let p = b"arbor.enforce=";
    assert_eq!(boot_param(b"", p), None);
    assert_eq!(boot_param(b"arbor.enforce=1", p), Some(&b"1"[..]));
    assert_eq!(boot_param(b"quiet arbor.enforce=0 ro", p), Some(&b"0"[..]));
    // The last one wins, as for the kernel's own parameters.
    assert_eq!(
        boot_param(b"arbor.enforce=1 arbor.enforce=0", p),
        Some(&b"0"[..])
    );
    // Tabs and newlines separate too.
    assert_eq!(boot_param(b"a\tarbor.enforce=1\n", p), Some(&b"1"[..]));
    // After `--` the words are init's.
    assert_eq!(boot_param(b"ro -- arbor.enforce=1", p), None);
    assert_eq!(
        boot_param(b"arbor.enforce=0 -- arbor.enforce=1", p),
        Some(&b"0"[..])
    );
    // Only whole parameter names match.
    assert_eq!(boot_param(b"xarbor.enforce=1", p), None);
    assert_eq!(boot_param(b"arbor.enforce", p), None);
    assert_eq!(boot_param(b"arbor.enforce=", p), Some(&b""[..]));
}
