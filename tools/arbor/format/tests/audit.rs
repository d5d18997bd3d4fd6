// SPDX-License-Identifier: GPL-2.0
//! Audit record text: field order, optional fields, the audit subsystem's
//! quoting of untrusted strings, numbers and record types.

use arbor_format::audit::{self, Op, Record, Task};
mod common;

use common::Buf;
fn render(r: &Record<'_>) -> String {
    let mut b = Buf(Vec::new());
    let Ok(()) = audit::render(r, &mut b);
    String::from_utf8(b.0).expect("records are ASCII")
}

fn untrusted(bytes: &[u8]) -> String {
    let mut b = Buf(Vec::new());
    let Ok(()) = audit::put_untrusted(&mut b, bytes);
    String::from_utf8(b.0).expect("ASCII")
}

const TASK: Task<'static> = Task {
    pid: 42,
    uid: 0,
    auid: 1000,
    ses: 3,
    comm: b"sh",
};

#[test]
fn mandatory_fields_only() {
    let r = Record::new(Op::Violation, "ToMToU", TASK, true);
    assert_eq!(
        render(&r),
        "op=violation cause=ToMToU pid=42 uid=0 auid=1000 ses=3 comm=\"sh\" res=1"
    );
}

#[test]
fn every_field_in_the_documented_order() {
    let r = Record {
        func: Some("BPRM_CHECK"),
        mode: Some("enforcing"),
        path: Some(b"/usr/bin/x"),
        dev: Some(b"0:42"),
        ino: Some(99),
        offset: Some(8192),
        digest: Some(("sha256", &[0xab, 0x01])),
        rules: Some(7),
        signed: Some(false),
        index: Some(12),
        dropped: Some(34),
        list: Some("allow"),
        count: Some(56),
        reason: Some(b"why"),
        ..Record::new(
            Op::Appraise,
            "unsigned",
            Task {
                pid: -1,
                uid: 4294967295,
                auid: 4294967295,
                ses: 4294967295,
                comm: b"a b",
            },
            false,
        )
    };
    assert_eq!(
        render(&r),
        "op=appraise cause=unsigned func=BPRM_CHECK mode=enforcing pid=-1 uid=4294967295 \
         auid=4294967295 ses=4294967295 comm=612062 path=\"/usr/bin/x\" dev=\"0:42\" ino=99 offset=8192 digest=sha256:ab01 rules=7 signed=0 index=12 dropped=34 list=allow count=56 reason=\"why\" res=0"
    );
}

#[test]
fn untrusted_strings_are_quoted_or_hex_as_audit_does() {
    // Printable ASCII other than '"' and space: quoted.
    assert_eq!(untrusted(b"/bin/sh"), "\"/bin/sh\"");
    assert_eq!(untrusted(b"a'b\\c~!"), "\"a'b\\c~!\"");
    // Anything else: upper-case hex of every byte.
    assert_eq!(untrusted(b"a b"), "612062");
    assert_eq!(untrusted(b"\"x\""), "227822");
    assert_eq!(untrusted(b"x\n"), "780A");
    assert_eq!(untrusted(b"\xff"), "FF");
    assert_eq!(untrusted(b"\x7f"), "7F");
    assert_eq!(untrusted(b""), "\"\"");
    // Long values cross the renderer's chunk size.
    let long = vec![b' '; 100];
    assert_eq!(untrusted(&long), "20".repeat(100));
}

#[test]
fn numbers() {
    for v in [0i64, 1, 9, 10, 4294967295, -2147483648, i64::MAX, i64::MIN] {
        let mut b = Buf(Vec::new());
        let Ok(()) = audit::put_decimal(&mut b, v);
        assert_eq!(String::from_utf8(b.0).unwrap(), v.to_string());
    }
}

#[test]
fn record_types_are_the_kernel_integrity_types() {
    assert_eq!(Op::Appraise.record_type(), 1800);
    assert_eq!(Op::PolicyLoad.record_type(), 1802);
    assert_eq!(Op::Violation.record_type(), 1804);
    assert_eq!(Op::Audit.record_type(), 1805);
    assert_eq!(Op::Mode.record_type(), 1802);
    assert_eq!(Op::List.record_type(), 1802);
    assert_eq!(Op::DigestList.record_type(), 1802);
    for op in [
        Op::Appraise,
        Op::Violation,
        Op::PolicyLoad,
        Op::Audit,
        Op::Mode,
        Op::List,
        Op::DigestList,
    ] {
        assert!(
            render(&Record::new(op, "c", TASK, true)).starts_with(&format!("op={} ", op.name()))
        );
    }
}
