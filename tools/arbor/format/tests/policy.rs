// SPDX-License-Identifier: GPL-2.0
//! The policy language: every action and condition, every error with its
//! line, comments, limits, first-match evaluation, the default policy,
//! canonical rendering round trips and garbage.

use arbor_format::policy::{
    self, Access, Action, AppraiseBy, Condition, Decision, ErrorKind, Func, IdMatch, Mask, Options,
    ParseError, Policy, Request, Rule, DEFAULT, MAX_LINE_LEN, MAX_RULES, MAX_RULE_TEXT, MAY_APPEND,
    MAY_EXEC, MAY_READ, MAY_WRITE, TEMPLATES,
};
use arbor_format::template::Template;
mod common;

use common::Buf;
/// Parses `text` into fresh storage; returns the rules and options.
fn parse(text: &[u8]) -> Result<(Vec<Rule>, Options), ParseError> {
    let mut storage = vec![Rule::new(Action::Audit); MAX_RULES];
    let p = policy::parse(text, &mut storage)?;
    let out = (p.rules().to_vec(), p.options());
    // validate() must agree with parse().
    let s = policy::validate(text).expect("validate rejects what parse accepts");
    assert_eq!((s.rules, s.options), (out.0.len(), out.1));
    Ok(out)
}

fn parse_err(text: &[u8]) -> ParseError {
    let mut storage = vec![Rule::new(Action::Audit); MAX_RULES];
    let e = policy::parse(text, &mut storage).expect_err("policy should be rejected");
    assert_eq!(
        policy::validate(text),
        Err(e),
        "validate and parse disagree"
    );
    e
}

fn render(rules: &[Rule], options: Options) -> Vec<u8> {
    let p = Policy::new(rules, options).expect("rule count within MAX_RULES");
    let mut buf = Buf(Vec::new());
    let Ok(()) = policy::render(&p, &mut buf);
    buf.0
}

fn one(text: &str) -> Rule {
    let (rules, options) = parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    assert_eq!(options, Options::default());
    assert_eq!(rules.len(), 1, "{text:?}");
    rules[0]
}

fn rule(action: Action) -> Rule {
    Rule::new(action)
}

const UUID: [u8; 16] = [
    0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
];

#[test]
fn every_action_and_condition_parses() {
    let cases: Vec<(&str, Rule)> = vec![
        ("measure", rule(Action::Measure)),
        ("dont_measure", rule(Action::DontMeasure)),
        ("appraise", rule(Action::Appraise)),
        ("dont_appraise", rule(Action::DontAppraise)),
        ("audit", rule(Action::Audit)),
        (
            "measure func=BPRM_CHECK",
            Rule {
                func: Some(Func::BprmCheck),
                ..rule(Action::Measure)
            },
        ),
        (
            "measure func=MMAP_CHECK",
            Rule {
                func: Some(Func::MmapCheck),
                ..rule(Action::Measure)
            },
        ),
        (
            "measure func=FILE_MMAP",
            Rule {
                func: Some(Func::MmapCheck),
                ..rule(Action::Measure)
            },
        ),
        (
            "measure func=MPROTECT_CHECK",
            Rule {
                func: Some(Func::MprotectCheck),
                ..rule(Action::Measure)
            },
        ),
        (
            "measure func=FILE_CHECK",
            Rule {
                func: Some(Func::FileCheck),
                ..rule(Action::Measure)
            },
        ),
        (
            "measure func=PATH_CHECK",
            Rule {
                func: Some(Func::FileCheck),
                ..rule(Action::Measure)
            },
        ),
        (
            "appraise mask=MAY_EXEC",
            Rule {
                mask: Some(Mask::Exact(Access::EXEC)),
                ..rule(Action::Appraise)
            },
        ),
        (
            "appraise mask=MAY_WRITE",
            Rule {
                mask: Some(Mask::Exact(Access::WRITE)),
                ..rule(Action::Appraise)
            },
        ),
        (
            "appraise mask=MAY_READ",
            Rule {
                mask: Some(Mask::Exact(Access::READ)),
                ..rule(Action::Appraise)
            },
        ),
        (
            "appraise mask=MAY_APPEND",
            Rule {
                mask: Some(Mask::Exact(Access::APPEND)),
                ..rule(Action::Appraise)
            },
        ),
        (
            "appraise mask=^MAY_READ",
            Rule {
                mask: Some(Mask::Any(Access::READ)),
                ..rule(Action::Appraise)
            },
        ),
        (
            "appraise mask=^MAY_APPEND|MAY_WRITE",
            Rule {
                mask: Some(Mask::Any(
                    Access::from_bits(MAY_WRITE | MAY_APPEND).unwrap(),
                )),
                ..rule(Action::Appraise)
            },
        ),
        (
            "appraise mask=MAY_READ|MAY_EXEC|MAY_WRITE|MAY_APPEND",
            Rule {
                mask: Some(Mask::Exact(Access::from_bits(0xf).unwrap())),
                ..rule(Action::Appraise)
            },
        ),
        (
            "dont_measure fsmagic=0x9fa0",
            Rule {
                fsmagic: Some(0x9fa0),
                ..rule(Action::DontMeasure)
            },
        ),
        (
            "dont_measure fsmagic=9FA0",
            Rule {
                fsmagic: Some(0x9fa0),
                ..rule(Action::DontMeasure)
            },
        ),
        (
            "dont_measure fsmagic=0X00000000000000000000Ff",
            Rule {
                fsmagic: Some(0xff),
                ..rule(Action::DontMeasure)
            },
        ),
        (
            "dont_measure fsmagic=0xffffffffffffffff",
            Rule {
                fsmagic: Some(u64::MAX),
                ..rule(Action::DontMeasure)
            },
        ),
        (
            "dont_measure fsmagic=0",
            Rule {
                fsmagic: Some(0),
                ..rule(Action::DontMeasure)
            },
        ),
        (
            "appraise fsuuid=12345678-9abc-def0-0123-456789abcdef",
            Rule {
                fsuuid: Some(UUID),
                ..rule(Action::Appraise)
            },
        ),
        (
            "appraise fsuuid=12345678-9ABC-DEF0-0123-456789ABCDEF",
            Rule {
                fsuuid: Some(UUID),
                ..rule(Action::Appraise)
            },
        ),
        (
            "measure uid=0",
            Rule {
                uid: Some(IdMatch::Equal(0)),
                ..rule(Action::Measure)
            },
        ),
        (
            "measure uid>999",
            Rule {
                uid: Some(IdMatch::Greater(999)),
                ..rule(Action::Measure)
            },
        ),
        (
            "measure uid<1000",
            Rule {
                uid: Some(IdMatch::Less(1000)),
                ..rule(Action::Measure)
            },
        ),
        (
            "measure euid=0007",
            Rule {
                euid: Some(IdMatch::Equal(7)),
                ..rule(Action::Measure)
            },
        ),
        (
            "measure euid>4294967294",
            Rule {
                euid: Some(IdMatch::Greater(u32::MAX - 1)),
                ..rule(Action::Measure)
            },
        ),
        (
            "measure fowner=4294967295",
            Rule {
                fowner: Some(IdMatch::Equal(u32::MAX)),
                ..rule(Action::Measure)
            },
        ),
        (
            "measure fowner<1",
            Rule {
                fowner: Some(IdMatch::Less(1)),
                ..rule(Action::Measure)
            },
        ),
        (
            // Everything at once, out of canonical order, with odd blanks.
            "\t audit  fowner>5\teuid<6 uid=7 fsuuid=12345678-9abc-def0-0123-456789abcdef \
             fsmagic=0xEF53 mask=^MAY_EXEC|MAY_READ func=MMAP_CHECK \r",
            Rule {
                action: Action::Audit,
                func: Some(Func::MmapCheck),
                mask: Some(Mask::Any(Access::from_bits(MAY_EXEC | MAY_READ).unwrap())),
                fsmagic: Some(0xef53),
                fsuuid: Some(UUID),
                uid: Some(IdMatch::Equal(7)),
                euid: Some(IdMatch::Less(6)),
                fowner: Some(IdMatch::Greater(5)),
                template: None,
                appraise_by: None,
                check_pages: None,
            },
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(one(text), expected, "{text:?}");
        // With a trailing comment and newline, too.
        assert_eq!(one(&format!("{text} # note\n")), expected, "{text:?}");
    }
}

#[test]
fn options() {
    let (rules, opts) = parse(b"option require_signed_policy\nmeasure\n").unwrap();
    assert!(opts.require_signed_policy);
    assert_eq!(rules, [rule(Action::Measure)]);
    // Anywhere in the policy, blanks and comments allowed.
    let (rules, opts) = parse(b"measure\n  option\trequire_signed_policy # yes\n").unwrap();
    assert!(opts.require_signed_policy);
    assert_eq!(rules.len(), 1);
    let (_, opts) = parse(b"measure\n").unwrap();
    assert!(!opts.require_signed_policy);
    // A policy of options only has no rules.
    let (rules, opts) = parse(b"option require_signed_policy").unwrap();
    assert!(rules.is_empty() && opts.require_signed_policy);
}

#[test]
fn comments_and_blank_lines() {
    let text = b"# a comment\n\n   \n\t\r\n#measure\nmeasure # trailing\n  # indented\n\
                 appraise#no space\n\xff\xfe# bytes are fine in comments? no: not here\n";
    // The last line has non-ASCII bytes before the '#': an unknown action.
    let e = parse_err(text);
    assert_eq!((e.line, e.column, e.kind), (9, 1, ErrorKind::UnknownAction));

    let text = b"# a comment\n\n   \n\t\r\n#measure\nmeasure # trailing\n  # indented \xff\xfe\n\
                 appraise#no space\r\n";
    let (rules, _) = parse(text).unwrap();
    assert_eq!(rules, [rule(Action::Measure), rule(Action::Appraise)]);
    // Empty text, only comments, no final newline: all fine.
    for text in [&b""[..], b"\n", b"# x", b"#\n#\n", b"measure"] {
        parse(text).unwrap();
    }
    assert!(parse(b"").unwrap().0.is_empty());
}

#[test]
fn errors_name_line_column_and_kind() {
    use Condition::*;
    use ErrorKind::*;
    let cases: &[(&str, usize, usize, ErrorKind)] = &[
        ("bogus", 1, 1, UnknownAction),
        ("\n\n  Measure", 3, 3, UnknownAction),
        (
            "measure\nmeasure func=BPRM_CHECK\nfunc=BPRM_CHECK measure",
            3,
            1,
            UnknownAction,
        ),
        ("measure\0", 1, 1, UnknownAction),
        ("measure foo=1", 1, 9, UnknownCondition),
        ("measure  func=BPRM_CHECK bar", 1, 26, UnknownCondition),
        ("measure =1", 1, 9, UnknownCondition),
        ("measure FUNC=BPRM_CHECK", 1, 9, UnknownCondition),
        ("measure fsmagic>1", 1, 9, BadOperator(Fsmagic)),
        ("measure func<x", 1, 9, BadOperator(Func)),
        ("measure mask>MAY_READ", 1, 9, BadOperator(Mask)),
        ("measure fsuuid<1", 1, 9, BadOperator(Fsuuid)),
        ("measure func", 1, 9, MissingValue(Func)),
        ("measure func=", 1, 9, MissingValue(Func)),
        ("measure uid", 1, 9, MissingValue(Uid)),
        ("measure uid<", 1, 9, MissingValue(Uid)),
        ("measure euid>", 1, 9, MissingValue(Euid)),
        ("measure fowner=", 1, 9, MissingValue(Fowner)),
        ("measure mask=", 1, 9, MissingValue(Mask)),
        ("measure fsmagic=", 1, 9, MissingValue(Fsmagic)),
        ("measure fsuuid=", 1, 9, MissingValue(Fsuuid)),
        ("measure func=bprm_check", 1, 9, BadValue(Func)),
        ("measure func=MODULE_CHECK", 1, 9, BadValue(Func)),
        ("measure func=BPRM_CHECK=", 1, 9, BadValue(Func)),
        ("measure mask=MAY_EXECUTE", 1, 9, BadValue(Mask)),
        ("measure mask=^", 1, 9, BadValue(Mask)),
        ("measure mask=MAY_READ|", 1, 9, BadValue(Mask)),
        ("measure mask=|MAY_READ", 1, 9, BadValue(Mask)),
        ("measure mask=MAY_READ||MAY_EXEC", 1, 9, BadValue(Mask)),
        ("measure mask=MAY_READ|MAY_READ", 1, 9, BadValue(Mask)),
        ("measure mask=^^MAY_READ", 1, 9, BadValue(Mask)),
        ("measure mask=MAY_READ|^MAY_EXEC", 1, 9, BadValue(Mask)),
        ("measure fsmagic=0x", 1, 9, BadValue(Fsmagic)),
        ("measure fsmagic=0xg", 1, 9, BadValue(Fsmagic)),
        ("measure fsmagic=-1", 1, 9, BadValue(Fsmagic)),
        (
            "measure fsmagic=0x10000000000000000",
            1,
            9,
            BadValue(Fsmagic),
        ),
        ("measure fsmagic=0x0x1", 1, 9, BadValue(Fsmagic)),
        (
            "measure fsuuid=12345678-9abc-def0-0123-456789abcde",
            1,
            9,
            BadValue(Fsuuid),
        ),
        (
            "measure fsuuid=12345678-9abc-def0-0123-456789abcdef0",
            1,
            9,
            BadValue(Fsuuid),
        ),
        (
            "measure fsuuid=123456789-abc-def0-0123-456789abcdef",
            1,
            9,
            BadValue(Fsuuid),
        ),
        (
            "measure fsuuid=12345678-9abc-def0-0123-456789abcdeg",
            1,
            9,
            BadValue(Fsuuid),
        ),
        (
            "measure fsuuid=123456789abcdef00123456789abcdef",
            1,
            9,
            BadValue(Fsuuid),
        ),
        ("measure uid=-1", 1, 9, BadValue(Uid)),
        ("measure uid=+1", 1, 9, BadValue(Uid)),
        ("measure uid=0x10", 1, 9, BadValue(Uid)),
        ("measure uid=4294967296", 1, 9, BadValue(Uid)),
        ("measure euid=99999999999999999999", 1, 9, BadValue(Euid)),
        ("measure fowner=1a", 1, 9, BadValue(Fowner)),
        ("measure uid==1", 1, 9, BadValue(Uid)),
        ("measure uid<=1", 1, 9, BadValue(Uid)),
        (
            "measure func=BPRM_CHECK func=BPRM_CHECK",
            1,
            25,
            DuplicateCondition(Func),
        ),
        (
            "measure mask=MAY_READ mask=^MAY_READ",
            1,
            23,
            DuplicateCondition(Mask),
        ),
        (
            "measure fsmagic=1 fsmagic=2",
            1,
            19,
            DuplicateCondition(Fsmagic),
        ),
        (
            "measure fsuuid=12345678-9abc-def0-0123-456789abcdef fsuuid=x",
            1,
            53,
            DuplicateCondition(Fsuuid),
        ),
        ("measure uid=0 uid=0", 1, 15, DuplicateCondition(Uid)),
        ("measure uid=0 uid>0", 1, 15, DuplicateCondition(Uid)),
        ("measure euid<0 euid=", 1, 16, DuplicateCondition(Euid)),
        ("measure fowner>1 fowner", 1, 18, DuplicateCondition(Fowner)),
        ("option", 1, 1, MissingOption),
        ("  option  # nothing", 1, 3, MissingOption),
        ("option require_signed", 1, 8, UnknownOption),
        ("option require_signed_policy measure", 1, 30, UnknownOption),
        (
            "option require_signed_policy\nmeasure\noption require_signed_policy",
            3,
            8,
            DuplicateOption,
        ),
        (
            "option require_signed_policy require_signed_policy",
            1,
            30,
            DuplicateOption,
        ),
        (
            "\n\nmeasure\nmeasure uid=1 uid=2\n",
            4,
            15,
            DuplicateCondition(Uid),
        ),
    ];
    for &(text, line, column, kind) in cases {
        let e = parse_err(text.as_bytes());
        assert_eq!(
            e,
            ParseError { line, column, kind },
            "{text:?} gave {e} instead"
        );
    }
}

#[test]
fn first_error_wins() {
    let e = parse_err(b"measure\nbogus\nmeasure uid=x\n");
    assert_eq!((e.line, e.kind), (2, ErrorKind::UnknownAction));
    let e = parse_err(b"measure uid=x foo=1\n");
    assert_eq!(e.kind, ErrorKind::BadValue(Condition::Uid));
}

#[test]
fn error_messages() {
    let cases: &[(&str, &str)] = &[
        ("\n\nfoo", "line 3, column 1: unknown action"),
        ("measure x=1", "line 1, column 9: unknown condition"),
        (
            "measure fsuuid=1",
            "line 1, column 9: bad value for fsuuid (expected a UUID as 8-4-4-4-12",
        ),
        ("measure uid=0 uid=1", "line 1, column 15: uid given twice"),
        ("measure func=", "line 1, column 9: func has no value"),
        ("measure mask<MAY_READ", "mask takes only ="),
        ("option x", "unknown option"),
        ("option", "option names no option"),
    ];
    for &(text, start) in cases {
        let msg = parse_err(text.as_bytes()).to_string();
        assert!(
            msg.starts_with(start) || msg.contains(start),
            "{text:?}: {msg}"
        );
    }
    let msg = parse_err(&vec![b'#'; MAX_LINE_LEN + 1]).to_string();
    assert_eq!(msg, "line 1, column 1025: line longer than 1024 bytes");
}

#[test]
fn line_length_limit() {
    // Exactly MAX_LINE_LEN bytes is fine, comment or rule, with or without
    // \r; one more is not, whatever the line holds.
    let mut long_rule = b"measure uid=0".to_vec();
    long_rule.resize(MAX_LINE_LEN, b' ');
    let mut long_comment = vec![b'#'; MAX_LINE_LEN];
    for line in [&long_rule, &long_comment] {
        let text = [b"measure\n", &line[..], b"\nmeasure\n"].concat();
        assert_eq!(
            parse(&text).unwrap().0.len(),
            2 + usize::from(line[0] == b'm')
        );
    }
    long_rule.push(b' ');
    long_comment.push(b'#');
    for line in [&long_rule, &long_comment] {
        let text = [b"measure\n\n", &line[..], b"\nmeasure\n"].concat();
        let e = parse_err(&text);
        assert_eq!(
            (e.line, e.column, e.kind),
            (3, MAX_LINE_LEN + 1, ErrorKind::LineTooLong)
        );
    }
    // The newline does not count, and the last line needs none.
    let e = parse_err(&[&b"measure\n"[..], &vec![b' '; MAX_LINE_LEN + 1]].concat());
    assert_eq!((e.line, e.kind), (2, ErrorKind::LineTooLong));
    // An enormous single line is rejected cheaply.
    let e = parse_err(&vec![b'x'; 1 << 20]);
    assert_eq!((e.line, e.kind), (1, ErrorKind::LineTooLong));
}

#[test]
fn rule_count_limit() {
    let mut text = String::from("# header\noption require_signed_policy\n");
    for i in 0..MAX_RULES {
        text.push_str(&format!("measure uid={i}\n\n"));
    }
    let (rules, opts) = parse(text.as_bytes()).unwrap();
    assert_eq!(rules.len(), MAX_RULES);
    assert!(opts.require_signed_policy);
    assert_eq!(
        rules[MAX_RULES - 1].uid,
        Some(IdMatch::Equal(MAX_RULES as u32 - 1))
    );
    // Comments and options after the last rule are not rules.
    text.push_str("# more\noption\trequire_signed_policy\n");
    assert_eq!(parse_err(text.as_bytes()).kind, ErrorKind::DuplicateOption);
    text.truncate(text.len() - "option\trequire_signed_policy\n".len());
    parse(text.as_bytes()).unwrap();
    // One more rule is too many: the error names its line (2 header lines,
    // 2 lines per rule, the comment).
    text.push_str("  audit\n");
    let e = parse_err(text.as_bytes());
    assert_eq!(
        e,
        ParseError {
            line: 2 + 2 * MAX_RULES + 2,
            column: 3,
            kind: ErrorKind::TooManyRules
        }
    );
    // Smaller storage than the policy needs is the same error, at the first
    // rule that does not fit; validate() counts with MAX_RULES.
    let text = b"measure\n# x\nappraise\naudit\n";
    let mut small = [Rule::new(Action::Measure); 2];
    let e = policy::parse(text, &mut small).unwrap_err();
    assert_eq!((e.line, e.kind), (4, ErrorKind::TooManyRules));
    assert_eq!(policy::validate(text).unwrap().rules, 3);
    let mut exact = [Rule::new(Action::Measure); 3];
    assert_eq!(policy::parse(text, &mut exact).unwrap().rules().len(), 3);
    // Larger storage than MAX_RULES does not lift the limit.
    let text = "measure\n".repeat(MAX_RULES + 1);
    let mut big = vec![Rule::new(Action::Measure); MAX_RULES + 10];
    let e = policy::parse(text.as_bytes(), &mut big).unwrap_err();
    assert_eq!((e.line, e.kind), (MAX_RULES + 1, ErrorKind::TooManyRules));
    // Policy::new enforces the same bound.
    assert!(Policy::new(&big[..MAX_RULES], Options::default()).is_some());
    assert!(Policy::new(&big[..MAX_RULES + 1], Options::default()).is_none());
}

const EXT4: u64 = 0xef53;
const TMPFS: u64 = 0x0102_1994;
const RAMFS: u64 = 0x8584_58f6;
const PROC: u64 = 0x9fa0;

fn req(func: Func, mask: u32, fsmagic: u64, uid: u32) -> Request {
    Request {
        func,
        mask,
        fsmagic,
        fsuuid: [0; 16],
        uid,
        euid: uid,
        fowner: 0,
    }
}

fn decide(text: &str, r: &Request) -> Decision {
    let (rules, _) = parse(text.as_bytes()).unwrap();
    policy::evaluate(&rules, r)
}

const NOTHING: Decision = Decision {
    measure: false,
    appraise: false,
    audit: false,
    template: None,
    appraise_by: AppraiseBy::SIGNATURE_OR_LIST,
    check_pages_always: false,
};

fn d(measure: bool, appraise: bool, audit: bool) -> Decision {
    Decision {
        measure,
        appraise,
        audit,
        template: None,
        appraise_by: AppraiseBy::SIGNATURE_OR_LIST,
        check_pages_always: false,
    }
}

#[test]
fn first_match_per_action_kind() {
    let exec = req(Func::BprmCheck, MAY_EXEC, EXT4, 1000);
    // No rules: nothing.
    assert_eq!(decide("", &exec), NOTHING);
    // Unconditional rules.
    assert_eq!(
        decide("measure\nappraise\naudit", &exec),
        d(true, true, true)
    );
    // The first rule of a kind decides; later ones of the same kind do not.
    assert_eq!(decide("dont_measure\nmeasure", &exec), NOTHING);
    assert_eq!(
        decide("measure\ndont_measure", &exec),
        d(true, false, false)
    );
    assert_eq!(decide("dont_appraise\nappraise", &exec), NOTHING);
    assert_eq!(
        decide("appraise\ndont_appraise", &exec),
        d(false, true, false)
    );
    // Rules of one kind do not affect another kind.
    assert_eq!(
        decide("dont_measure\nappraise", &exec),
        d(false, true, false)
    );
    assert_eq!(
        decide("dont_appraise\nmeasure\naudit", &exec),
        d(true, false, true)
    );
    assert_eq!(
        decide("dont_measure\ndont_appraise\naudit", &exec),
        d(false, false, true)
    );
    // A non-matching rule is skipped, so a later one of its kind decides.
    let text = "dont_measure fsmagic=0x9fa0\nmeasure func=BPRM_CHECK\nmeasure\n\
                dont_appraise uid=1000\nappraise";
    assert_eq!(decide(text, &exec), d(true, false, false));
    assert_eq!(
        decide(text, &req(Func::BprmCheck, MAY_EXEC, PROC, 0)),
        d(false, true, false)
    );
    assert_eq!(
        decide(text, &req(Func::FileCheck, MAY_READ, EXT4, 0)),
        d(true, true, false)
    );
    // Interleaved kinds, decided in one pass.
    let text = "audit func=FILE_CHECK\nmeasure uid=5\ndont_measure\nappraise euid=5\n\
                audit\nappraise";
    assert_eq!(
        decide(text, &req(Func::FileCheck, MAY_READ, EXT4, 5)),
        d(true, true, true)
    );
    assert_eq!(
        decide(text, &req(Func::BprmCheck, MAY_EXEC, EXT4, 6)),
        d(false, true, true)
    );
    // Policy::evaluate is evaluate().
    let (rules, opts) = parse(b"measure uid=6").unwrap();
    let p = Policy::new(&rules, opts).unwrap();
    assert_eq!(
        p.evaluate(&req(Func::BprmCheck, MAY_EXEC, EXT4, 6)),
        d(true, false, false)
    );
}

#[test]
fn conditions_match() {
    let base = Request {
        func: Func::FileCheck,
        mask: MAY_READ | MAY_WRITE,
        fsmagic: EXT4,
        fsuuid: UUID,
        uid: 1000,
        euid: 0,
        fowner: 33,
    };
    let yes = |cond: &str, r: &Request| decide(&format!("measure {cond}"), r).measure;
    let cases: &[(&str, bool)] = &[
        ("func=FILE_CHECK", true),
        ("func=BPRM_CHECK", false),
        ("func=MMAP_CHECK", false),
        ("func=MPROTECT_CHECK", false),
        // Exact mask: the request's access bits must equal the rule's.
        ("mask=MAY_READ", false),
        ("mask=MAY_WRITE|MAY_READ", true),
        ("mask=MAY_READ|MAY_WRITE|MAY_APPEND", false),
        // Any-of mask.
        ("mask=^MAY_READ", true),
        ("mask=^MAY_WRITE", true),
        ("mask=^MAY_EXEC|MAY_APPEND", false),
        ("mask=^MAY_EXEC|MAY_WRITE", true),
        ("fsmagic=0xef53", true),
        ("fsmagic=0xef54", false),
        ("fsuuid=12345678-9abc-def0-0123-456789abcdef", true),
        ("fsuuid=12345678-9abc-def0-0123-456789abcdee", false),
        ("uid=1000", true),
        ("uid=0", false),
        ("uid>999", true),
        ("uid>1000", false),
        ("uid<1001", true),
        ("uid<1000", false),
        ("euid=0", true),
        ("euid=1000", false),
        ("euid<1", true),
        ("euid>0", false),
        ("fowner=33", true),
        ("fowner>32", true),
        ("fowner<33", false),
        (
            "func=FILE_CHECK mask=^MAY_READ uid=1000 euid=0 fowner=33 fsmagic=0xef53",
            true,
        ),
        (
            "func=FILE_CHECK mask=^MAY_READ uid=1000 euid=0 fowner=34 fsmagic=0xef53",
            false,
        ),
    ];
    for &(cond, expected) in cases {
        assert_eq!(yes(cond, &base), expected, "{cond}");
    }
    // Bits outside MAY_EXEC|MAY_WRITE|MAY_READ|MAY_APPEND are ignored.
    let noisy = Request {
        mask: MAY_READ | MAY_WRITE | 0xfff0,
        ..base
    };
    assert!(yes("mask=MAY_READ|MAY_WRITE", &noisy));
    let none = Request { mask: 0x10, ..base };
    assert!(!yes("mask=^MAY_READ|MAY_WRITE|MAY_EXEC|MAY_APPEND", &none));
    assert!(yes("", &none));
}

/// The pseudo filesystems the default policy leaves alone, with their
/// magic numbers from include/uapi/linux/magic.h (Linux 6.12).
const PSEUDO: &[(&str, u64)] = &[
    ("PROC_SUPER_MAGIC", 0x9fa0),
    ("SYSFS_MAGIC", 0x62656572),
    ("DEBUGFS_MAGIC", 0x64626720),
    ("TRACEFS_MAGIC", 0x74726163),
    ("SECURITYFS_MAGIC", 0x73636673),
    ("SELINUX_MAGIC", 0xf97cff8c),
    ("SMACK_MAGIC", 0x43415d53),
    ("CGROUP_SUPER_MAGIC", 0x27e0eb),
    ("CGROUP2_SUPER_MAGIC", 0x63677270),
    ("NSFS_MAGIC", 0x6e736673),
    ("EFIVARFS_MAGIC", 0xde5e81e4),
    ("DEVPTS_SUPER_MAGIC", 0x1cd1),
    ("BINFMTFS_MAGIC", 0x42494e4d),
    ("PSTOREFS_MAGIC", 0x6165676c),
    ("BPF_FS_MAGIC", 0xcafe4a11),
];

#[test]
fn default_policy() {
    let (rules, opts) = parse(DEFAULT.as_bytes()).unwrap();
    assert_eq!(opts, Options::default());
    assert_eq!(rules.len(), 2 * PSEUDO.len() + 8);
    let eval = |r: &Request| policy::evaluate(&rules, r);

    // Exec on tmpfs (and ramfs, ext4): measured and appraised.
    for fs in [TMPFS, RAMFS, EXT4] {
        for uid in [0, 1000] {
            assert_eq!(
                eval(&req(Func::BprmCheck, MAY_EXEC, fs, uid)),
                d(true, true, false)
            );
            for func in [Func::MmapCheck, Func::MprotectCheck] {
                assert_eq!(eval(&req(func, MAY_EXEC, fs, uid)), d(true, true, false));
                assert_eq!(
                    eval(&req(func, MAY_EXEC | MAY_READ, fs, uid)),
                    d(true, true, false)
                );
                // A mapping that is not executable: nothing.
                assert_eq!(eval(&req(func, MAY_READ, fs, uid)), NOTHING);
            }
        }
    }
    // Read by root: measured, not appraised.
    assert_eq!(
        eval(&req(Func::FileCheck, MAY_READ, EXT4, 0)),
        d(true, false, false)
    );
    assert_eq!(
        eval(&req(Func::FileCheck, MAY_READ | MAY_WRITE, TMPFS, 0)),
        d(true, false, false)
    );
    // Setuid root reading: euid 0 is enough.
    let setuid = Request {
        euid: 0,
        ..req(Func::FileCheck, MAY_READ, EXT4, 1000)
    };
    assert_eq!(eval(&setuid), d(true, false, false));
    // Read by others, write-only by root: nothing.
    assert_eq!(eval(&req(Func::FileCheck, MAY_READ, EXT4, 1000)), NOTHING);
    assert_eq!(eval(&req(Func::FileCheck, MAY_WRITE, EXT4, 0)), NOTHING);
    // Pseudo filesystems: neither, for every hook and user.
    for &(name, magic) in PSEUDO {
        for func in Func::ALL {
            for mask in [MAY_EXEC, MAY_READ, MAY_EXEC | MAY_READ] {
                assert_eq!(eval(&req(func, mask, magic, 0)), NOTHING, "{name}");
            }
        }
    }
    // Each pseudo filesystem has both exclusions.
    for &(name, magic) in PSEUDO {
        for action in [Action::DontMeasure, Action::DontAppraise] {
            let r = Rule {
                fsmagic: Some(magic),
                ..Rule::new(action)
            };
            assert!(rules.contains(&r), "{name} {action:?}");
        }
    }
    // tmpfs and ramfs are never excluded.
    assert!(!rules
        .iter()
        .any(|r| matches!(r.fsmagic, Some(TMPFS) | Some(RAMFS))));
}

#[test]
fn default_round_trip() {
    let (rules, opts) = parse(DEFAULT.as_bytes()).unwrap();
    let text = render(&rules, opts);
    assert_eq!(parse(&text).unwrap(), (rules.clone(), opts));
    // Rendering is canonical: no comments, one space, fixed order.
    let text = String::from_utf8(text).unwrap();
    assert!(!text.contains('#') && !text.contains("  "));
    assert!(text.starts_with("dont_measure fsmagic=0x9fa0\ndont_appraise fsmagic=0x9fa0\n"));
    assert!(text.ends_with(
        "measure func=MMAP_CHECK mask=^MAY_EXEC\n\
         appraise func=MMAP_CHECK mask=^MAY_EXEC\n\
         measure func=MPROTECT_CHECK mask=^MAY_EXEC\n\
         appraise func=MPROTECT_CHECK mask=^MAY_EXEC\n\
         measure func=FILE_CHECK mask=^MAY_READ uid=0\n\
         measure func=FILE_CHECK mask=^MAY_READ euid=0\n"
    ));
    assert_eq!(text.lines().count(), rules.len());
    let (rules2, _) = parse(text.as_bytes()).unwrap();
    assert_eq!(render(&rules2, opts), text.as_bytes());
}

#[test]
fn canonical_rendering() {
    let cases: &[(&str, &str)] = &[
        (
            "  audit fowner>5 euid<6\tuid=7 fsuuid=12345678-9ABC-DEF0-0123-456789ABCDEF \
             fsmagic=0X00EF53 mask=^MAY_APPEND|MAY_EXEC func=FILE_MMAP # x",
            "audit func=MMAP_CHECK mask=^MAY_EXEC|MAY_APPEND fsmagic=0xef53 \
             fsuuid=12345678-9abc-def0-0123-456789abcdef uid=7 euid<6 fowner>5",
        ),
        (
            "measure func=PATH_CHECK uid=007",
            "measure func=FILE_CHECK uid=7",
        ),
        ("dont_measure fsmagic=0", "dont_measure fsmagic=0x0"),
        (
            "appraise mask=MAY_APPEND|MAY_READ|MAY_WRITE|MAY_EXEC",
            "appraise mask=MAY_EXEC|MAY_WRITE|MAY_READ|MAY_APPEND",
        ),
    ];
    for &(input, canonical) in cases {
        let r = one(input);
        assert_eq!(
            render(&[r], Options::default()),
            format!("{canonical}\n").as_bytes()
        );
        assert_eq!(r.to_string(), canonical);
    }
    // Options come first.
    let (rules, opts) = parse(b"measure\noption require_signed_policy\n").unwrap();
    assert_eq!(
        render(&rules, opts),
        b"option require_signed_policy\nmeasure\n"
    );
    assert_eq!(render(&[], Options::default()), b"");
}

#[test]
fn longest_rendered_rule() {
    // `template=` (measure rules only) outweighs the longer action names.
    let worst = Rule {
        action: Action::Measure,
        func: Some(Func::MprotectCheck),
        mask: Some(Mask::Any(Access::from_bits(0xf).unwrap())),
        fsmagic: Some(u64::MAX),
        fsuuid: Some([0xff; 16]),
        uid: Some(IdMatch::Greater(u32::MAX)),
        euid: Some(IdMatch::Greater(u32::MAX)),
        fowner: Some(IdMatch::Greater(u32::MAX)),
        template: Some(Template::ImaSigV2),
        appraise_by: None,
        check_pages: None,
    };
    // `appraise_by=signature|list|user_signature check_pages=enforcing`
    // (appraise rules only) is longer still.
    let appraise = Rule {
        action: Action::Appraise,
        template: None,
        appraise_by: AppraiseBy::from_name(b"signature|list|user_signature"),
        check_pages: Some(false),
        ..worst
    };
    let without_options = Rule {
        action: Action::DontAppraise,
        template: None,
        ..worst
    };
    for shorter in [without_options, worst] {
        let text = render(&[shorter], Options::default());
        assert!(text.len() < MAX_RULE_TEXT, "{}", text.len());
        assert_eq!(parse(&text).unwrap().0, [shorter]);
    }
    let text = render(&[appraise], Options::default());
    assert_eq!(text.len(), MAX_RULE_TEXT);
    assert_eq!(parse(&text).unwrap().0, [appraise]);
}

#[test]
fn access_sets() {
    assert_eq!(Access::from_bits(0), None);
    assert_eq!(Access::from_bits(0x10), None);
    assert_eq!(Access::from_bits(MAY_READ | 0x100), None);
    for bits in 1..=0xf {
        assert_eq!(Access::from_bits(bits).unwrap().bits(), bits);
    }
    assert_eq!(Access::EXEC.bits(), MAY_EXEC);
    assert_eq!(Access::WRITE.bits(), MAY_WRITE);
    assert_eq!(Access::READ.bits(), MAY_READ);
    assert_eq!(Access::APPEND.bits(), MAY_APPEND);
}

/// xorshift64*: deterministic, dependency-free randomness.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    fn coin(&mut self) -> bool {
        self.next_u64() & 1 == 1
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

fn random_id(rng: &mut Rng) -> IdMatch {
    let n = match rng.below(4) {
        0 => 0,
        1 => u32::MAX,
        _ => rng.next_u64() as u32 >> rng.below(32),
    };
    match rng.below(3) {
        0 => IdMatch::Equal(n),
        1 => IdMatch::Greater(n),
        _ => IdMatch::Less(n),
    }
}

fn random_rule(rng: &mut Rng) -> Rule {
    let mut r = Rule::new(rng.pick(&Action::ALL));
    if rng.coin() {
        r.func = Some(rng.pick(&Func::ALL));
    }
    if rng.coin() {
        let a = Access::from_bits(1 + rng.below(15) as u32).unwrap();
        r.mask = Some(if rng.coin() {
            Mask::Any(a)
        } else {
            Mask::Exact(a)
        });
    }
    if rng.coin() {
        r.fsmagic = Some(rng.next_u64() >> rng.below(64));
    }
    if rng.coin() {
        let mut u = [0u8; 16];
        for b in &mut u {
            *b = rng.next_u64() as u8;
        }
        r.fsuuid = Some(u);
    }
    if rng.coin() {
        r.uid = Some(random_id(rng));
    }
    if rng.coin() {
        r.euid = Some(random_id(rng));
    }
    if rng.coin() {
        r.fowner = Some(random_id(rng));
    }
    if r.action == Action::Appraise && rng.coin() {
        r.appraise_by = Some(rng.pick(&AppraiseBy::ALL));
    }
    if r.action == Action::Appraise && rng.coin() {
        r.check_pages = Some(rng.coin());
    }
    r
}

#[test]
fn random_policies_round_trip() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..300 {
        let n = match round {
            0 => 0,
            1 => MAX_RULES,
            _ => rng.below(40) as usize,
        };
        let rules: Vec<Rule> = (0..n).map(|_| random_rule(&mut rng)).collect();
        let opts = Options {
            require_signed_policy: rng.coin(),
        };
        let text = render(&rules, opts);
        for line in text.split(|&b| b == b'\n') {
            assert!(line.len() < MAX_RULE_TEXT);
        }
        assert_eq!(
            parse(&text).unwrap(),
            (rules.clone(), opts),
            "round {round}"
        );
        // Noise that the language allows does not change the policy:
        // blanks, comments, blank lines, CRLF.
        let mut noisy = Vec::new();
        for line in text.split(|&b| b == b'\n') {
            if rng.coin() {
                noisy.extend_from_slice(b"# comment # with = signs\n\t\n");
            }
            noisy.extend_from_slice(if rng.coin() { b" \t" } else { b"" });
            for (i, word) in line.split(|&b| b == b' ').enumerate() {
                if i > 0 {
                    noisy.extend_from_slice(rng.pick(&[&b" "[..], b"\t", b"  \t "]));
                }
                noisy.extend_from_slice(word);
            }
            noisy.extend_from_slice(rng.pick(&[&b"\n"[..], b"\r\n", b" # x\n"]));
        }
        assert_eq!(
            parse(&noisy).unwrap(),
            (rules.clone(), opts),
            "round {round}"
        );
        // Each rule's conditions, shuffled, still parse to the same rule.
        for r in &rules {
            let s = r.to_string();
            let mut words: Vec<&str> = s.split(' ').collect();
            let (action, conds) = words.split_first_mut().unwrap();
            for i in (1..conds.len()).rev() {
                conds.swap(i, rng.below(i as u64 + 1) as usize);
            }
            let shuffled = format!("{action} {}", conds.join(" "));
            assert_eq!(one(&shuffled), *r, "{shuffled}");
        }
    }
}

#[test]
fn evaluation_matches_a_reference() {
    // A straightforward restatement of the semantics, compared with
    // evaluate() on random policies and requests.
    fn reference(rules: &[Rule], r: &Request) -> Decision {
        let first = |yes: Action, no: Action| {
            rules
                .iter()
                .find(|rule| (rule.action == yes || rule.action == no) && rule.matches(r))
                .is_some_and(|rule| rule.action == yes)
        };
        let template = rules
            .iter()
            .find(|rule| {
                matches!(rule.action, Action::Measure | Action::DontMeasure) && rule.matches(r)
            })
            .and_then(|rule| rule.template);
        let appraise_by = rules
            .iter()
            .find(|rule| {
                matches!(rule.action, Action::Appraise | Action::DontAppraise) && rule.matches(r)
            })
            .and_then(|rule| rule.appraise_by)
            .unwrap_or_default();
        let check_pages_always = rules
            .iter()
            .find(|rule| {
                matches!(rule.action, Action::Appraise | Action::DontAppraise) && rule.matches(r)
            })
            .is_some_and(|rule| rule.check_pages == Some(true));
        Decision {
            measure: first(Action::Measure, Action::DontMeasure),
            appraise: first(Action::Appraise, Action::DontAppraise),
            audit: first(Action::Audit, Action::Audit),
            template,
            appraise_by,
            check_pages_always,
        }
    }
    let mut rng = Rng(42);
    for _ in 0..200 {
        // Few distinct values, so that conditions do match sometimes.
        let rules: Vec<Rule> = (0..rng.below(30))
            .map(|_| {
                let mut r = random_rule(&mut rng);
                r.fsmagic = r.fsmagic.map(|m| m % 3);
                r.fsuuid = r.fsuuid.map(|u| [u[0] % 2; 16]);
                for id in [&mut r.uid, &mut r.euid, &mut r.fowner] {
                    *id = id.map(|m| match m {
                        IdMatch::Equal(n) => IdMatch::Equal(n % 3),
                        IdMatch::Greater(n) => IdMatch::Greater(n % 3),
                        IdMatch::Less(n) => IdMatch::Less(n % 3),
                    });
                }
                r
            })
            .collect();
        for _ in 0..50 {
            let r = Request {
                func: rng.pick(&Func::ALL),
                mask: rng.next_u64() as u32 & 0x1f,
                fsmagic: rng.below(3),
                fsuuid: [rng.below(2) as u8; 16],
                uid: rng.below(4) as u32,
                euid: rng.below(4) as u32,
                fowner: rng.below(4) as u32,
            };
            assert_eq!(policy::evaluate(&rules, &r), reference(&rules, &r));
        }
    }
}

#[test]
fn garbage_never_panics() {
    let mut rng = Rng(7);
    // Random bytes from an alphabet rich in the language's own characters.
    const ALPHABET: &[u8] = b"measureappraisedont_audit option require_signed_policy \
        func=mask^|<>fsmagic0x9fa0fsuuid-uidowner#\n\t\r\0\xff0123456789abcdefMAY_EXEC";
    for _ in 0..3000 {
        let len = rng.below(300) as usize;
        let text: Vec<u8> = (0..len)
            .map(|_| {
                if rng.below(8) == 0 {
                    rng.next_u64() as u8
                } else {
                    rng.pick(ALPHABET)
                }
            })
            .collect();
        check_consistent(&text);
    }
    // Mutations of valid policies: byte flips, insertions, deletions,
    // truncations.
    let base = DEFAULT.as_bytes().to_vec();
    for _ in 0..2000 {
        let mut text = base.clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(text.len() as u64 + 1) as usize;
            match rng.below(4) {
                0 if at < text.len() => text[at] = rng.next_u64() as u8,
                1 => text.insert(at, rng.pick(ALPHABET)),
                2 if at < text.len() => {
                    text.remove(at);
                }
                _ => text.truncate(at),
            }
        }
        check_consistent(&text);
    }
}

/// Whatever `text` is, parse and validate agree, errors point into the
/// text, and an accepted policy round-trips.
fn check_consistent(text: &[u8]) {
    let mut storage = vec![Rule::new(Action::Audit); MAX_RULES];
    match policy::parse(text, &mut storage) {
        Ok(p) => {
            let (rules, opts) = (p.rules().to_vec(), p.options());
            assert_eq!(
                policy::validate(text).map(|s| (s.rules, s.options)),
                Ok((rules.len(), opts))
            );
            let again = render(&rules, opts);
            assert_eq!(parse(&again).unwrap(), (rules, opts));
        }
        Err(e) => {
            assert_eq!(policy::validate(text), Err(e));
            let lines = text.split(|&b| b == b'\n').count();
            assert!(e.line >= 1 && e.line <= lines, "{e:?}");
            assert!(e.column >= 1 && e.column <= MAX_LINE_LEN + 1, "{e:?}");
            assert!(!e.to_string().is_empty());
        }
    }
}

#[test]
fn rule_is_small() {
    // The kernel keeps up to MAX_RULES of these per policy (64 bytes of
    // conditions and options, and `check_pages=`, padded to 8 bytes).
    let size = std::mem::size_of::<Rule>();
    assert!(size <= 72, "Rule grew to {size} bytes");
    assert!(size * MAX_RULES <= 18 * 1024);
}

/// `template=`: an option of measure rules, parsed, rendered and
/// returned by the deciding measure rule; it never affects matching.
#[test]
fn template_option() {
    for t in TEMPLATES {
        let text = format!("measure func=BPRM_CHECK template={}", t.name());
        let (rules, _) = parse(text.as_bytes()).unwrap();
        assert_eq!(rules[0].template, Some(t));
        assert_eq!(rules[0].to_string(), text);
        // Anywhere in the rule; rendered last.
        let moved = format!("measure template={} func=BPRM_CHECK", t.name());
        assert_eq!(parse(moved.as_bytes()).unwrap().0, rules);
    }
    for (text, kind) in [
        (
            "measure template=ima-buf",
            ErrorKind::BadValue(Condition::Template),
        ),
        (
            "measure template=ima",
            ErrorKind::BadValue(Condition::Template),
        ),
        (
            "measure template=IMA-NG",
            ErrorKind::BadValue(Condition::Template),
        ),
        (
            "measure template=",
            ErrorKind::MissingValue(Condition::Template),
        ),
        (
            "measure template",
            ErrorKind::MissingValue(Condition::Template),
        ),
        (
            "measure template<ima-ng",
            ErrorKind::BadOperator(Condition::Template),
        ),
        (
            "measure template=ima-ng template=ima-sig",
            ErrorKind::DuplicateCondition(Condition::Template),
        ),
        (
            "dont_measure template=ima-ng",
            ErrorKind::TemplateNotMeasure,
        ),
        ("appraise template=ima-ng", ErrorKind::TemplateNotMeasure),
        ("audit template=ima-ng", ErrorKind::TemplateNotMeasure),
    ] {
        assert_eq!(parse_err(text.as_bytes()).kind, kind, "{text}");
    }
    let exec = req(Func::BprmCheck, MAY_EXEC, EXT4, 1000);
    let open = req(Func::FileCheck, MAY_READ, EXT4, 0);
    let policy = "measure func=BPRM_CHECK template=ima-ng\n\
                  measure template=ima-sig\n\
                  measure func=BPRM_CHECK template=ima-ngv2\n";
    // The first matching measure rule gives the template.
    assert_eq!(decide(policy, &exec).template, Some(Template::ImaNg));
    assert_eq!(decide(policy, &open).template, Some(Template::ImaSig));
    // A measure rule without one: the default.
    assert_eq!(decide("measure", &exec).template, None);
    // Nothing measured: no template, whatever later rules say.
    let excluded = "dont_measure func=BPRM_CHECK\nmeasure template=ima-ng\n";
    assert_eq!(decide(excluded, &exec), NOTHING);
    // Matching is unchanged by the option.
    assert_eq!(
        decide("measure template=ima-ng", &exec).measure,
        decide("measure", &exec).measure
    );
}

#[test]
fn appraise_by_is_an_option_of_appraise_rules() {
    for by in AppraiseBy::ALL {
        let text = format!("appraise func=BPRM_CHECK appraise_by={}", by.name());
        let (rules, _) = parse(text.as_bytes()).unwrap();
        assert_eq!(rules[0].appraise_by, Some(by));
        assert_eq!(rules[0].to_string(), text);
        let moved = format!("appraise appraise_by={} func=BPRM_CHECK", by.name());
        assert_eq!(parse(moved.as_bytes()).unwrap().0, rules);
    }
    assert!(AppraiseBy::SIGNATURE_OR_LIST.signature() && AppraiseBy::SIGNATURE_OR_LIST.list());
    assert!(AppraiseBy::SIGNATURE.signature() && !AppraiseBy::SIGNATURE.list());
    assert!(!AppraiseBy::LIST.signature() && AppraiseBy::LIST.list());
    assert_eq!(AppraiseBy::default(), AppraiseBy::SIGNATURE_OR_LIST);
    // Every non-empty set of the three sources, each source in the values
    // that name it and in no other.
    assert_eq!(AppraiseBy::ALL.len(), 7);
    for by in AppraiseBy::ALL {
        let names: Vec<&str> = by.name().split('|').collect();
        assert_eq!(
            by.signature(),
            names.contains(&"signature"),
            "{}",
            by.name()
        );
        assert_eq!(by.list(), names.contains(&"list"), "{}", by.name());
        assert_eq!(
            by.user_signature(),
            names.contains(&"user_signature"),
            "{}",
            by.name()
        );
        assert_eq!(AppraiseBy::from_code(by.code()), Some(by));
    }
    assert_eq!(AppraiseBy::from_code(0), None);
    assert_eq!(AppraiseBy::from_code(8), None);
    assert!(!AppraiseBy::default().user_signature());
    assert_eq!(
        AppraiseBy::from_name(b"signature|list|user_signature").map(AppraiseBy::code),
        Some(7)
    );
    for (text, kind) in [
        (
            "appraise appraise_by=sig",
            ErrorKind::BadValue(Condition::AppraiseBy),
        ),
        (
            "appraise appraise_by=list|signature",
            ErrorKind::BadValue(Condition::AppraiseBy),
        ),
        (
            "appraise appraise_by=user_signature|signature",
            ErrorKind::BadValue(Condition::AppraiseBy),
        ),
        (
            "appraise appraise_by=signature|signature",
            ErrorKind::BadValue(Condition::AppraiseBy),
        ),
        (
            "appraise appraise_by=signature|",
            ErrorKind::BadValue(Condition::AppraiseBy),
        ),
        (
            "appraise appraise_by=user",
            ErrorKind::BadValue(Condition::AppraiseBy),
        ),
        (
            "appraise appraise_by=LIST",
            ErrorKind::BadValue(Condition::AppraiseBy),
        ),
        (
            "appraise appraise_by=",
            ErrorKind::MissingValue(Condition::AppraiseBy),
        ),
        (
            "appraise appraise_by<list",
            ErrorKind::BadOperator(Condition::AppraiseBy),
        ),
        (
            "appraise appraise_by=list appraise_by=signature",
            ErrorKind::DuplicateCondition(Condition::AppraiseBy),
        ),
        ("measure appraise_by=list", ErrorKind::AppraiseByNotAppraise),
        (
            "dont_appraise appraise_by=list",
            ErrorKind::AppraiseByNotAppraise,
        ),
        ("audit appraise_by=list", ErrorKind::AppraiseByNotAppraise),
    ] {
        assert_eq!(parse_err(text.as_bytes()).kind, kind, "{text}");
    }
    // The first matching appraise rule says; a dont_appraise rule that
    // matches first leaves the default (nothing is appraised).
    let exec = req(Func::BprmCheck, MAY_EXEC, EXT4, 1000);
    let open = req(Func::FileCheck, MAY_READ, EXT4, 0);
    let policy = "appraise func=BPRM_CHECK appraise_by=signature\n\
                  appraise appraise_by=list\n";
    assert_eq!(decide(policy, &exec).appraise_by, AppraiseBy::SIGNATURE);
    assert_eq!(decide(policy, &open).appraise_by, AppraiseBy::LIST);
    assert_eq!(
        decide("appraise", &exec).appraise_by,
        AppraiseBy::SIGNATURE_OR_LIST
    );
    let excluded = "dont_appraise func=BPRM_CHECK\nappraise appraise_by=list\n";
    assert_eq!(decide(excluded, &exec), NOTHING);
    // Matching is unchanged by the option.
    assert_eq!(
        decide("appraise appraise_by=list", &exec).appraise,
        decide("appraise", &exec).appraise
    );
}

/// `check_pages=`: an option of appraise rules, parsed, rendered and
/// returned by the deciding appraise rule; it never affects matching.
#[test]
fn check_pages_is_an_option_of_appraise_rules() {
    let (rules, _) =
        parse(b"appraise func=MMAP_CHECK check_pages=always\nappraise check_pages=enforcing\n")
            .unwrap();
    assert_eq!(rules[0].check_pages, Some(true));
    assert_eq!(rules[1].check_pages, Some(false));
    assert_eq!(
        render(&rules, Options::default()),
        b"appraise func=MMAP_CHECK check_pages=always\nappraise check_pages=enforcing\n"
    );
    for (text, kind) in [
        (
            "appraise check_pages=yes",
            ErrorKind::BadValue(Condition::CheckPages),
        ),
        (
            "appraise check_pages=ALWAYS",
            ErrorKind::BadValue(Condition::CheckPages),
        ),
        (
            "appraise check_pages=",
            ErrorKind::MissingValue(Condition::CheckPages),
        ),
        (
            "appraise check_pages>always",
            ErrorKind::BadOperator(Condition::CheckPages),
        ),
        (
            "appraise check_pages=enforcing check_pages=always",
            ErrorKind::DuplicateCondition(Condition::CheckPages),
        ),
        (
            "measure check_pages=always",
            ErrorKind::CheckPagesNotAppraise,
        ),
        (
            "dont_appraise check_pages=always",
            ErrorKind::CheckPagesNotAppraise,
        ),
        ("audit check_pages=always", ErrorKind::CheckPagesNotAppraise),
    ] {
        assert_eq!(parse_err(text.as_bytes()).kind, kind, "{text}");
    }
    // The first matching appraise rule says.
    let exec = req(Func::BprmCheck, MAY_EXEC, EXT4, 1000);
    let map = req(Func::MmapCheck, MAY_EXEC, EXT4, 1000);
    let policy = "appraise func=MMAP_CHECK check_pages=always\nappraise\n";
    assert!(decide(policy, &map).check_pages_always);
    assert!(!decide(policy, &exec).check_pages_always);
    assert!(!decide("appraise check_pages=enforcing", &map).check_pages_always);
    // A dont_appraise rule that matches first leaves nothing to check.
    let excluded = "dont_appraise func=MMAP_CHECK\nappraise check_pages=always\n";
    assert_eq!(decide(excluded, &map), NOTHING);
    // Matching is unchanged by the option.
    assert_eq!(
        decide("appraise check_pages=always", &exec).appraise,
        decide("appraise", &exec).appraise
    );
}
