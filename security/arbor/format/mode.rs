// SPDX-License-Identifier: GPL-2.0
//! The mode's names and the syntax of the values that set it: the
//! `enforce` and `lockdown` files and the `arbor.enforce=` and
//! `arbor.lockdown=` boot parameters.

/// The mode's name, as log lines and audit records write it.
pub const fn name(enforcing: bool) -> &'static str {
    if enforcing {
        "enforcing"
    } else {
        "permissive"
    }
}

/// Parses a flag as written to the `enforce` or `lockdown` file or given
/// on the command line: `0` or `1`, optionally followed by one newline.
pub fn parse_flag(input: &[u8]) -> Option<bool> {
    match input.strip_suffix(b"\n").unwrap_or(input) {
        b"0" => Some(false),
        b"1" => Some(true),
        _ => None,
    }
}

/// How a control file shows a flag: `1\n` or `0\n`.
pub const fn show_flag(on: bool) -> &'static [u8] {
    if on {
        b"1\n"
    } else {
        b"0\n"
    }
}

/// Parses a boot parameter's number: decimal digits only, at most 10 of
/// them, and at most `max`.
pub fn parse_decimal(value: &[u8], max: u64) -> Option<u64> {
    if value.is_empty() || value.len() > 10 {
        return None;
    }
    let mut n: u64 = 0;
    for &c in value {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(c - b'0');
    }
    (n <= max).then_some(n)
}

/// The value of the last `NAME=` (`name` with its `=`) on the kernel
/// command line, if any. Parameters after a lone `--` belong to init and
/// are not looked at.
pub fn boot_param<'a>(cmdline: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut found = None;
    for word in cmdline.split(|&b| b == b' ' || b == b'\t' || b == b'\n') {
        if word == b"--" {
            break;
        }
        if let Some(value) = word.strip_prefix(name) {
            found = Some(value);
        }
    }
    found
}

/// What a log line says was done with an untrusted file, in `enforcing`
/// mode or not.
pub const fn action(enforcing: bool) -> &'static str {
    if enforcing {
        "denied"
    } else {
        "allowed (permissive)"
    }
}
