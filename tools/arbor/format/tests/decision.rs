// SPDX-License-Identifier: GPL-2.0
//! The decision table of an evaluation, exhaustively: every hook, access,
//! policy decision, mode, guard outcome, opener state, cached state and
//! appraisal result goes through `guard`, `violation`, `plan` and
//! `conclude` as the kernel chains them, and each guarantee arbor makes is
//! checked on the result. The guarantees are written from the admin
//! guide, not derived from the code.

use arbor_format::decision::{
    self, Conclusion, Done, Facts, Guard, Openers, Plan, Reason, Violation, Work,
};
use arbor_format::policy::{Decision, Func, MAY_APPEND, MAY_EXEC, MAY_READ, MAY_WRITE};

/// Every policy decision.
fn decisions() -> impl Iterator<Item = Decision> {
    (0..8u8).map(|b| Decision {
        measure: b & 1 != 0,
        appraise: b & 2 != 0,
        audit: b & 4 != 0,
        template: None,
        appraise_by: Default::default(),
        check_pages_always: false,
    })
}

/// Every opener state, and none (no state for the inode).
fn openers() -> impl Iterator<Item = Option<Openers>> {
    core::iter::once(None).chain((0..8u8).map(|b| {
        Some(Openers {
            is_writer: b & 1 != 0,
            has_readers: b & 2 != 0,
            open_for_write: b & 4 != 0,
        })
    }))
}

/// Every cached state.
fn dones() -> impl Iterator<Item = Done> {
    [None, Some(false), Some(true)]
        .into_iter()
        .flat_map(|verdict| {
            (0..4u8).map(move |b| Done {
                verdict,
                measured: b & 1 != 0,
                audited: b & 2 != 0,
            })
        })
}

/// What an appraisal can find.
const APPRAISALS: [Result<(), Reason>; 4] = [
    Ok(()),
    Err(Reason::Unsigned),
    Err(Reason::BadSignature),
    Err(Reason::NoDigest),
];

/// One use, as the kernel chains the steps.
#[derive(Debug, Clone, Copy)]
struct Case {
    func: Func,
    mask: u32,
    decision: Decision,
    enforcing: bool,
    /// A file has the inode open for writing when the guard tries to deny
    /// writers.
    writers_open: bool,
    openers: Option<Openers>,
    done: Done,
    unseen_changes: bool,
    appraisal: Result<(), Reason>,
}

/// What happened to the use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    refusal: Option<Reason>,
    plan: Plan,
    /// The appraisal made, if any.
    appraised: Option<Result<(), Reason>>,
    /// `None` when the plan decided without an evaluation.
    conclusion: Option<Conclusion>,
    /// The use was refused.
    denied: bool,
}

fn run(c: &Case) -> Run {
    let refusal = match decision::guard(c.decision.appraise, c.func, c.mask) {
        Guard::None => None,
        Guard::Refuse => Some(Reason::WritableExecutable),
        Guard::DenyWriters if c.writers_open => Some(Reason::OpenForWrite),
        Guard::DenyWriters => None,
    };
    let facts = Facts {
        decision: c.decision,
        enforcing: c.enforcing,
        refusal,
        violation: decision::violation(c.func, c.decision.measure, c.openers, refusal),
        done: c.done,
        unseen_changes: c.unseen_changes,
    };
    let plan = decision::plan(&facts);
    let (appraised, conclusion) = match plan {
        Plan::Allow | Plan::Refuse(_) => (None, None),
        Plan::Evaluate { work, .. } => {
            // As `measure::evaluate`: the outcome is the appraisal's when
            // the work appraises, success otherwise.
            let appraised = work
                .any()
                .then_some(if work.appraise { c.appraisal } else { Ok(()) });
            let verdict = decision::reusable_verdict(&facts);
            let conclusion =
                decision::conclude(c.decision.appraise, c.enforcing, verdict, appraised);
            (appraised, Some(conclusion))
        }
    };
    // `untrusted()` refuses in enforcing mode only; a refusal reported in
    // permissive mode lets the use go on.
    let denied = c.enforcing
        && (matches!(plan, Plan::Refuse(_))
            || matches!(conclusion, Some(Conclusion::Untrusted(_))));
    Run {
        refusal,
        plan,
        appraised,
        conclusion,
        denied,
    }
}

/// Every case: 4 hooks, 16 access masks, 8 decisions, 2 modes, 2 writer
/// states, 9 opener states, 12 cached states, 2 filesystem kinds and 4
/// appraisal results.
fn all_cases() -> impl Iterator<Item = Case> {
    Func::ALL.into_iter().flat_map(|func| {
        (0..16u32).flat_map(move |mask| {
            decisions().flat_map(move |decision| {
                [false, true].into_iter().flat_map(move |enforcing| {
                    [false, true].into_iter().flat_map(move |writers_open| {
                        openers().flat_map(move |openers| {
                            dones().flat_map(move |done| {
                                [false, true].into_iter().flat_map(move |unseen_changes| {
                                    APPRAISALS.into_iter().map(move |appraisal| Case {
                                        func,
                                        mask,
                                        decision,
                                        enforcing,
                                        writers_open,
                                        openers,
                                        done,
                                        unseen_changes,
                                        appraisal,
                                    })
                                })
                            })
                        })
                    })
                })
            })
        })
    })
}

fn runs_code(c: &Case) -> bool {
    c.func == Func::BprmCheck || c.mask & MAY_EXEC != 0
}

/// The main guarantee: in enforcing mode, a file the policy appraises is
/// used only if it is trusted, by a verdict reused for its unchanged
/// version or by the appraisal just made, and code never runs from it
/// while it is open for writing or from a writable mapping.
#[test]
fn enforcing_mode_uses_only_trusted_files() {
    let mut n = 0u64;
    for c in all_cases() {
        n += 1;
        let r = run(&c);
        if !(c.enforcing && c.decision.appraise) {
            continue;
        }
        if runs_code(&c) && c.mask & MAY_WRITE != 0 {
            assert_eq!(r.plan, Plan::Refuse(Reason::WritableExecutable), "{c:?}");
        } else if runs_code(&c) && c.writers_open {
            assert_eq!(r.plan, Plan::Refuse(Reason::OpenForWrite), "{c:?}");
        }
        if !r.denied {
            let reused = !c.unseen_changes && c.done.verdict == Some(true);
            let appraised_ok = matches!(r.plan, Plan::Evaluate { work, .. } if work.appraise)
                && r.appraised == Some(Ok(()))
                && c.appraisal.is_ok();
            assert!(
                reused || appraised_ok,
                "untrusted file allowed in enforcing mode: {c:?} -> {r:?}"
            );
        }
    }
    assert_eq!(n, 4 * 16 * 8 * 2 * 2 * 9 * 12 * 2 * 4);
}

/// Permissive mode never refuses anything.
#[test]
fn permissive_mode_never_refuses() {
    for c in all_cases().filter(|c| !c.enforcing) {
        let r = run(&c);
        assert!(!matches!(r.plan, Plan::Refuse(_)), "{c:?} -> {r:?}");
        assert!(!r.denied, "{c:?} -> {r:?}");
        // The refusal enforcing mode would make is reported instead.
        if let Some(reason) = r.refusal {
            assert!(
                matches!(r.plan, Plan::Evaluate { report: Some(x), .. } if x == reason),
                "{c:?} -> {r:?}"
            );
        }
    }
}

/// Without a policy action or a violation, nothing is done at all.
#[test]
fn no_action_no_work() {
    for c in all_cases() {
        let d = c.decision;
        let r = run(&c);
        let violation = decision::violation(c.func, d.measure, c.openers, r.refusal);
        if !d.measure && !d.appraise && !d.audit && violation.is_none() {
            assert_eq!(r.plan, Plan::Allow, "{c:?}");
        }
    }
}

/// Each version is measured, appraised and audited once, except where its
/// content can change unseen; nothing the policy asks for is skipped.
#[test]
fn work_is_done_once_per_version() {
    for c in all_cases() {
        let d = c.decision;
        let r = run(&c);
        let Plan::Evaluate { work, .. } = r.plan else {
            if r.plan == Plan::Allow {
                assert!(
                    !d.measure || (c.done.measured && !c.unseen_changes),
                    "{c:?}"
                );
                assert!(!d.audit || c.done.audited, "{c:?}");
                assert!(
                    !d.appraise
                        || (!c.unseen_changes && c.done.verdict.is_some())
                        || !c.enforcing && c.done.verdict.is_some(),
                    "{c:?}"
                );
            }
            continue;
        };
        assert_eq!(
            work.measure,
            d.measure && (!c.done.measured || c.unseen_changes),
            "{c:?}"
        );
        assert_eq!(
            work.appraise,
            d.appraise && (c.unseen_changes || c.done.verdict.is_none()),
            "{c:?}"
        );
        assert_eq!(work.audit, d.audit && !c.done.audited, "{c:?}");
    }
}

/// A violation is always recorded, except when enforcing mode refuses the
/// use before anything is evaluated.
#[test]
fn violations_are_recorded() {
    for c in all_cases() {
        let r = run(&c);
        let violation = decision::violation(c.func, c.decision.measure, c.openers, r.refusal);
        match r.plan {
            Plan::Refuse(_) => assert!(c.enforcing),
            Plan::Evaluate { violation: v, .. } => assert_eq!(v, violation, "{c:?}"),
            Plan::Allow => assert_eq!(violation, None, "{c:?}"),
        }
    }
}

/// A verdict reused for an untrusted file is reported again in enforcing
/// mode (each refusal is logged), and not again in permissive mode (it was
/// reported when it was evaluated).
#[test]
fn reused_untrusted_verdicts() {
    let base = Case {
        func: Func::BprmCheck,
        mask: MAY_EXEC,
        decision: Decision {
            measure: true,
            appraise: true,
            audit: false,
            template: None,
            appraise_by: Default::default(),
            check_pages_always: false,
        },
        enforcing: true,
        writers_open: false,
        openers: None,
        done: Done {
            verdict: Some(false),
            measured: true,
            audited: false,
        },
        unseen_changes: false,
        appraisal: Ok(()),
    };
    let r = run(&base);
    assert_eq!(
        r.plan,
        Plan::Evaluate {
            violation: None,
            report: None,
            work: Work::default()
        }
    );
    assert_eq!(r.conclusion, Some(Conclusion::Untrusted(None)));
    assert!(r.denied);
    let r = run(&Case {
        enforcing: false,
        ..base
    });
    assert_eq!(r.plan, Plan::Allow);
    // On FUSE and network filesystems the verdict is not reused: the file
    // is appraised again, and a good signature now lets it run.
    let r = run(&Case {
        unseen_changes: true,
        ..base
    });
    assert!(matches!(r.plan, Plan::Evaluate { work, .. } if work.appraise && work.measure));
    assert!(!r.denied);
}

/// The kernel's shortcut for a measured reader: with no writer, content
/// that cannot change unseen and the version measured, the full chain
/// allows the use without evaluating it, in every mode and for every
/// hook, access, reader count and verdict.
#[test]
fn measured_read_shortcut_agrees_with_plan() {
    let mut shortcuts = 0;
    for c in all_cases() {
        let Some(o) = c.openers else { continue };
        let is_writer = o.is_writer;
        if !decision::measured_read(c.decision, is_writer)
            || o.open_for_write
            || c.unseen_changes
            || !c.done.measured
        {
            continue;
        }
        shortcuts += 1;
        let r = run(&c);
        assert_eq!(r.plan, Plan::Allow, "{c:?}");
        assert!(!r.denied && r.refusal.is_none(), "{c:?}");
    }
    assert!(shortcuts > 0);
}

#[test]
fn guard_table() {
    for func in Func::ALL {
        for mask in 0..16u32 {
            let code = func == Func::BprmCheck || mask & MAY_EXEC != 0;
            assert_eq!(decision::guard(false, func, mask), Guard::None);
            let expect = match (code, mask & MAY_WRITE != 0) {
                (false, _) => Guard::None,
                (true, true) => Guard::Refuse,
                (true, false) => Guard::DenyWriters,
            };
            assert_eq!(decision::guard(true, func, mask), expect, "{func:?} {mask}");
        }
    }
    assert_eq!(
        decision::guard(true, Func::MmapCheck, MAY_READ | MAY_APPEND),
        Guard::None
    );
}

#[test]
fn violation_table() {
    let reader = Openers {
        is_writer: false,
        has_readers: false,
        open_for_write: true,
    };
    let writer = Openers {
        is_writer: true,
        has_readers: true,
        open_for_write: true,
    };
    for func in [Func::FileCheck, Func::MmapCheck] {
        assert_eq!(
            decision::violation(func, true, Some(reader), None),
            Some(Violation::OpenWriters)
        );
        // Not measured: nothing the list could vouch for.
        assert_eq!(decision::violation(func, false, Some(reader), None), None);
        assert_eq!(
            decision::violation(func, false, Some(writer), None),
            Some(Violation::ToMToU)
        );
        let no_readers = Openers {
            has_readers: false,
            ..writer
        };
        assert_eq!(
            decision::violation(func, true, Some(no_readers), None),
            None
        );
        assert_eq!(decision::violation(func, true, None, None), None);
    }
    // Exec and mprotect are not where IMA looks for violations ...
    for func in [Func::BprmCheck, Func::MprotectCheck] {
        assert_eq!(decision::violation(func, true, Some(reader), None), None);
        assert_eq!(decision::violation(func, true, Some(writer), None), None);
    }
    // ... but code refused because it is open for writing is one, at
    // every hook, with or without state.
    for func in Func::ALL {
        assert_eq!(
            decision::violation(func, false, None, Some(Reason::OpenForWrite)),
            Some(Violation::OpenWriters)
        );
        assert_eq!(
            decision::violation(func, false, None, Some(Reason::WritableExecutable)),
            None
        );
    }
    assert_eq!(
        decision::violation(
            Func::FileCheck,
            true,
            Some(writer),
            Some(Reason::OpenForWrite)
        ),
        Some(Violation::ToMToU)
    );
}

#[test]
fn conclude_table() {
    for enforcing in [false, true] {
        for verdict in [None, Some(false), Some(true)] {
            for appraisal in [None, Some(Ok(())), Some(Err(Reason::Unsigned))] {
                assert_eq!(
                    decision::conclude(false, enforcing, verdict, appraisal),
                    Conclusion::Allow
                );
                let expect = match (verdict, appraisal) {
                    (Some(true), _) => Conclusion::Allow,
                    (Some(false), _) if enforcing => Conclusion::Untrusted(None),
                    (Some(false), _) => Conclusion::Allow,
                    (None, Some(Err(r))) => Conclusion::Untrusted(Some(r)),
                    (None, _) => Conclusion::Allow,
                };
                assert_eq!(
                    decision::conclude(true, enforcing, verdict, appraisal),
                    expect,
                    "{enforcing} {verdict:?} {appraisal:?}"
                );
            }
        }
    }
}

#[test]
fn append_measurement_table() {
    // (measured meanwhile, content can change unseen, same digest) -> append
    let rows = [
        ((false, false, false), true),
        ((false, false, true), true),
        ((false, true, false), true),
        ((false, true, true), true),
        ((true, false, false), false),
        ((true, false, true), false),
        ((true, true, false), true),
        ((true, true, true), false),
    ];
    for ((measured, unseen, same), expect) in rows {
        assert_eq!(
            decision::append_measurement(measured, unseen, same),
            expect,
            "{measured} {unseen} {same}"
        );
    }
}

#[test]
fn names_are_stable() {
    let keywords: Vec<_> = Reason::ALL.iter().map(|r| r.keyword()).collect();
    assert_eq!(
        keywords,
        [
            "unsigned",
            "malformed_xattr",
            "malformed_ima_sig",
            "malformed_signature",
            "unknown_key",
            "bad_signature",
            "xattr_unreadable",
            "no_digest",
            "open_for_write",
            "write_exec",
            "mprotect_exec",
            "revoked",
            "not_listed",
            "changed_while_read",
            "page_mismatch",
            "pages_uncheckable",
            "page_check_memory",
        ]
    );
    let names: Vec<_> = Violation::ALL.iter().map(|v| v.name()).collect();
    assert_eq!(
        names,
        [
            "ToMToU",
            "open_writers",
            "open_for_write",
            "truncate",
            "no_digest"
        ]
    );
    for r in Reason::ALL {
        assert!(!r.to_string().is_empty());
    }
}
