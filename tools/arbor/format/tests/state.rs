// SPDX-License-Identifier: GPL-2.0
//! The per-inode state: the packing of versions and verdicts
//! into atomic words, at the boundaries and under concurrent use.

use arbor_format::decision;
use arbor_format::policy::{AppraiseBy, Decision, Func, MAY_EXEC, MAY_READ, TEMPLATES};
use arbor_format::state::{self, digest_prefix, DecisionKey, InodeState};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Versions at the boundaries of the packing.
const VERSIONS: [u64; 10] = [
    0,
    1,
    2,
    3,
    (1 << 62) - 1,
    1 << 62,
    (1 << 63) - 2,
    1 << 63,
    u64::MAX - 1,
    u64::MAX,
];

#[test]
fn all_zero_is_nothing_done() {
    let s = InodeState::default();
    assert_eq!(s.version(), 0);
    for v in 0..1000 {
        assert_eq!(s.verdict(v, 0, AppraiseBy::default()), None);
        assert!(!s.trusted(v));
        assert!(!s.measured(v));
        assert!(!s.audited(v));
    }
    assert!(!s.ever_measured());
    assert!(!s.fsverity_sig_valid());
}

#[test]
fn verdicts_are_kept_per_version_list_generation_and_rule() {
    const GENERATIONS: [u32; 5] = [0, 1, 2, (1 << 21) - 1, u32::MAX];
    const BY: AppraiseBy = AppraiseBy::SIGNATURE_OR_LIST;
    for &v in &VERSIONS {
        for &g in &GENERATIONS {
            for by in AppraiseBy::ALL {
                for trusted in [false, true] {
                    let word = state::pack_verdict(v, g, by, trusted);
                    assert_ne!(word, 0);
                    assert_eq!(
                        state::unpack_verdict(word, v, g, by),
                        Some(trusted),
                        "{v} {g}"
                    );
                    assert_eq!(state::trusted_version(word, v), trusted, "{v} {g}");
                    for &w in &VERSIONS {
                        // Versions that differ modulo 2^39 never share a
                        // verdict; a verdict is reused only after exactly a
                        // multiple of 2^39 changes.
                        if (w.wrapping_add(1) ^ v.wrapping_add(1)) & ((1 << 39) - 1) != 0 {
                            assert_eq!(state::unpack_verdict(word, w, g, by), None, "{v} {w}");
                            assert!(!state::trusted_version(word, w), "{v} {w}");
                        }
                    }
                    // A list loaded or removed since: appraised again,
                    // though a trusted version stays trusted for the
                    // writer guard.
                    for &h in &GENERATIONS {
                        if (h ^ g) & ((1 << 21) - 1) != 0 {
                            assert_eq!(state::unpack_verdict(word, v, h, by), None, "{g} {h}");
                        }
                    }
                    // A rule that lets other things vouch: appraised again.
                    for other in AppraiseBy::ALL.into_iter().filter(|&o| o != by) {
                        assert_eq!(state::unpack_verdict(word, v, g, other), None);
                    }
                }
            }
            for trusted in [false, true] {
                let s = InodeState::default();
                s.set_verdict(v, g, BY, trusted);
                assert_eq!(s.verdict(v, g, BY), Some(trusted));
                assert_eq!(s.verdict(v, g.wrapping_add(1), BY), None);
                assert_eq!(s.verdict(v, g, AppraiseBy::LIST), None);
                assert_eq!(s.trusted(v), trusted);
                assert_eq!(s.verdict(v.wrapping_add(1), g, BY), None);
                assert!(!s.trusted(v.wrapping_add(1)));
            }
        }
    }
}

#[test]
fn never_appraised_reads_as_none() {
    // The zero word means "never appraised" for every version a file can
    // reach: 2^62 changes (the version is shifted left by one for the
    // fs-verity bit).
    for v in (0..10_000u64).chain((1u64 << 62) - 10_000..(1u64 << 62)) {
        for g in [0, 1, u32::MAX] {
            for by in AppraiseBy::ALL {
                assert_eq!(state::unpack_verdict(0, v, g, by), None, "{v}");
            }
        }
        assert!(!state::trusted_version(0, v), "{v}");
    }
}

#[test]
fn version_carries_the_fsverity_bit() {
    for changes in [0u64, 1, 2, 1 << 40, (1 << 62) - 1] {
        let plain = state::version(changes, false);
        let verity = state::version(changes, true);
        assert_ne!(plain, verity);
        assert_ne!(plain, state::version(changes + 1, false));
        assert_ne!(verity, state::version(changes + 1, true));
        assert_eq!(verity, plain | 1);
    }
}

#[test]
fn measured_and_audited_follow_the_version() {
    let s = InodeState::default();
    for &v in &VERSIONS {
        s.set_measured(v, &[0xab; 32], false);
        assert!(s.measured(v));
        assert!(s.measured_settled(v));
        assert!(!s.measured(v.wrapping_add(1)));
        assert!(!s.measured_settled(v.wrapping_add(1)));
        assert!(s.set_audited(v));
        assert!(!s.set_audited(v), "audited twice");
        assert!(s.audited(v));
        assert!(!s.audited(v.wrapping_sub(1)));
    }
}

/// A version measured on a filesystem whose content can change unseen is
/// measured, and never settled: the shortcut of repeated opens does not
/// take it.
#[test]
fn content_that_can_change_unseen_is_never_settled() {
    let s = InodeState::default();
    for &v in &VERSIONS {
        s.set_measured(v, &[0xab; 32], true);
        assert!(s.measured(v), "{v}");
        assert!(!s.measured_settled(v), "{v}");
        assert!(!s.measured(v.wrapping_add(1)), "{v}");
        assert!(s.ever_measured());
        s.set_measured(v, &[0xab; 32], false);
        assert!(s.measured_settled(v), "{v}");
    }
}

#[test]
fn changes_bump_the_version() {
    let s = InodeState::default();
    s.set_verdict(s.version(), 7, AppraiseBy::default(), true);
    s.set_measured(s.version(), &[1; 32], false);
    s.content_changing();
    assert_eq!(s.version(), 1);
    assert_eq!(s.verdict(1, 7, AppraiseBy::default()), None);
    assert!(!s.trusted(1));
    assert!(!s.measured(1));
}

#[test]
fn measured_digest_is_its_prefix() {
    let s = InodeState::default();
    let mut d = [0u8; 32];
    d[..8].copy_from_slice(&0x0102_0304_0506_0708u64.to_le_bytes());
    s.set_measured(0, &d, false);
    assert!(s.measured_digest_is(&d));
    let mut other = d;
    other[7] ^= 1;
    assert!(!s.measured_digest_is(&other));
    // Bytes past the prefix are not compared (documented).
    let mut tail = d;
    tail[31] ^= 1;
    assert!(s.measured_digest_is(&tail));
    assert_eq!(digest_prefix(&d), 0x0102_0304_0506_0708);
    assert_eq!(digest_prefix(&[0xff]), 0xff);
    assert_eq!(digest_prefix(&[]), 0);
}

#[test]
fn a_measured_or_covered_version_makes_the_file_measured_for_good() {
    let s = InodeState::default();
    assert!(!s.ever_measured());
    s.set_audited(0);
    assert!(!s.ever_measured(), "an audit is not a measurement");
    s.set_measured(0, &[1; 32], false);
    s.content_changing();
    assert!(s.ever_measured(), "a later version does not forget it");
    let c = InodeState::default();
    c.set_covered(5, 1);
    assert!(
        c.ever_measured(),
        "covered by an allow list counts as measured"
    );
}

/// Racing tasks audit a version once.
#[test]
fn concurrent_updates() {
    let s = InodeState::default();
    let first = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                for v in 0..1000 {
                    if s.set_audited(v) {
                        first.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    // Each version is audited at least once; a later version may interleave
    // and let an earlier one be audited again, but never more often than
    // the number of racing tasks.
    let n = first.load(Ordering::Relaxed);
    assert!((1000..=8000).contains(&n), "{n}");
}

fn all_decisions() -> impl Iterator<Item = Decision> {
    (0..8u8).flat_map(|b| {
        core::iter::once(None)
            .chain(TEMPLATES.into_iter().map(Some))
            .flat_map(move |template| {
                AppraiseBy::ALL
                    .into_iter()
                    .map(move |appraise_by| Decision {
                        measure: b & 1 != 0,
                        appraise: b & 2 != 0,
                        audit: b & 4 != 0,
                        template,
                        appraise_by,
                        // Never cached: `page_check_decisions_are_not_cached`.
                        check_pages_always: false,
                    })
            })
    })
}

fn key(generation: u32, func: Func, mask: u32, uid: u32, euid: u32) -> DecisionKey {
    DecisionKey {
        generation,
        func,
        mask,
        uid,
        euid,
    }
}

/// Every decision round-trips for every hook and access, and is found for
/// its own key only.
#[test]
fn decisions_pack_exactly() {
    for func in Func::ALL {
        for mask in 0..16u32 {
            for d in all_decisions() {
                for generation in [1, 2, u32::MAX] {
                    let k = key(generation, func, mask, 0, 0);
                    let word = state::pack_decision(&k, d);
                    assert_ne!(word, 0);
                    assert_ne!(word, state::DECISION_LOCKED);
                    assert_eq!(state::unpack_decision(word, &k), Some(d));
                    // Bits outside ACCESS_BITS do not count.
                    let wide = key(generation, func, mask | 0x30, 0, 0);
                    assert_eq!(state::unpack_decision(word, &wide), Some(d));
                    for other in Func::ALL.into_iter().filter(|&f| f != func) {
                        let k2 = key(generation, other, mask, 0, 0);
                        assert_eq!(state::unpack_decision(word, &k2), None);
                    }
                    let k3 = key(generation, func, mask ^ 1, 0, 0);
                    assert_eq!(state::unpack_decision(word, &k3), None);
                    let k4 = key(generation.wrapping_add(1), func, mask, 0, 0);
                    assert_eq!(state::unpack_decision(word, &k4), None);
                }
            }
        }
    }
    // Generation 0 never matches: the all-zero state has no decision.
    let k = key(0, Func::FileCheck, 0, 0, 0);
    assert_eq!(state::unpack_decision(0, &k), None);
    assert_eq!(InodeState::default().cached_decision(&k), None);
}

/// The shortcut of repeated opens reads the decision `cached_decision`
/// finds, without decoding it: it settles a reader exactly when that
/// decision does nothing, or only measures a version that was measured.
#[test]
fn settles_read_agrees_with_the_cached_decision() {
    let mut settled = 0;
    for func in Func::ALL {
        for mask in 0..16u32 {
            for d in all_decisions() {
                let s = InodeState::default();
                let k = key(3, func, mask, 1000, 1000);
                assert!(!s.settles_read(&k, |_| true), "nothing cached");
                s.cache_decision(&k, d);
                assert_eq!(s.cached_decision(&k), Some(d));
                let silent = !d.measure && !d.appraise && !d.audit;
                for measured in [false, true] {
                    let expect = silent || (decision::measured_read(d, false) && measured);
                    assert_eq!(s.settles_read(&k, |_| measured), expect, "{d:?}");
                    settled += usize::from(expect);
                }
                // Another subject, policy, hook or access: not this decision.
                for other in [
                    key(3, func, mask, 1000, 0),
                    key(3, func, mask, 0, 1000),
                    key(4, func, mask, 1000, 1000),
                    key(0, func, mask, 1000, 1000),
                    key(3, func, mask ^ 1, 1000, 1000),
                ] {
                    assert!(!s.settles_read(&other, |_| true), "{other:?}");
                }
            }
        }
    }
    assert!(settled > 0);
}

#[test]
fn cached_decisions_follow_the_subject() {
    let s = InodeState::default();
    let d = Decision {
        measure: true,
        ..Decision::default()
    };
    let root = key(1, Func::FileCheck, MAY_READ, 0, 0);
    let user = key(1, Func::FileCheck, MAY_READ, 1000, 1000);
    let setuid = key(1, Func::FileCheck, MAY_READ, 1000, 0);
    assert_eq!(s.cached_decision(&root), None);
    s.cache_decision(&root, d);
    assert_eq!(s.cached_decision(&root), Some(d));
    assert_eq!(s.cached_decision(&user), None);
    assert_eq!(s.cached_decision(&setuid), None);
    s.cache_decision(&user, Decision::default());
    assert_eq!(s.cached_decision(&user), Some(Decision::default()));
    assert_eq!(s.cached_decision(&root), None);
}

/// Writers cache, for random subjects, a decision that is a function of
/// the subject; readers never get a decision for a subject it was not
/// made for.
#[test]
fn cached_decisions_are_never_torn() {
    let s = InodeState::default();
    let decide = |uid: u32| Decision {
        measure: uid % 2 == 0,
        appraise: uid % 3 == 0,
        audit: uid % 5 == 0,
        template: TEMPLATES.get((uid % 5) as usize).copied(),
        appraise_by: AppraiseBy::ALL[(uid % 3) as usize],
        check_pages_always: false,
    };
    let hits = AtomicUsize::new(0);
    let writing = AtomicUsize::new(3);
    std::thread::scope(|scope| {
        for t in 0..3u32 {
            let (s, writing) = (&s, &writing);
            scope.spawn(move || {
                for i in 0..100_000u32 {
                    let uid = (i * 7 + t) % 16;
                    s.cache_decision(
                        &key(1, Func::BprmCheck, MAY_EXEC, uid, uid + 1),
                        decide(uid),
                    );
                }
                writing.fetch_sub(1, Ordering::Release);
            });
        }
        for t in 0..3u32 {
            let (s, hits, writing) = (&s, &hits, &writing);
            scope.spawn(move || {
                let mut i = t;
                // Read for as long as any writer writes.
                while writing.load(Ordering::Acquire) > 0 {
                    let uid = i % 16;
                    i = i.wrapping_add(11);
                    let k = key(1, Func::BprmCheck, MAY_EXEC, uid, uid + 1);
                    if let Some(d) = s.cached_decision(&k) {
                        assert_eq!(d, decide(uid), "uid {uid}");
                        hits.fetch_add(1, Ordering::Relaxed);
                    }
                    if s.settles_read(&k, |_| true) {
                        let d = decide(uid);
                        assert!(!d.appraise && !d.audit, "uid {uid}");
                    }
                }
            });
        }
    });
    // Quiet again: the last decision cached is found for its subject.
    let k = key(1, Func::BprmCheck, MAY_EXEC, 15, 16);
    s.cache_decision(&k, decide(15));
    assert_eq!(s.cached_decision(&k), Some(decide(15)));
    eprintln!("{} hits while writers raced", hits.load(Ordering::Relaxed));
}

#[test]
fn covered_follows_the_version_and_the_lists() {
    let s = InodeState::default();
    let fresh = InodeState::default();
    for &v in &VERSIONS {
        assert!(!fresh.covered(v, 0), "all-zero is nothing covered: {v}");
        for g in [0u32, 1, 5, (1 << 21) - 1] {
            s.set_covered(v, g);
            assert!(s.covered(v, g));
            // A list loaded or removed since, or another version: look again.
            assert!(!s.covered(v, g.wrapping_add(1)));
            assert!(!s.covered(v.wrapping_add(1), g));
            // Covering is not measuring.
            assert_eq!(s.measured(v), fresh.measured(v));
        }
    }
}

/// A network filesystem's change attribute: the same value keeps the
/// version (and so the verdict), another value starts a new version, and
/// going back to an earlier value is a change too.
#[test]
fn change_cookies_start_versions() {
    let s = InodeState::default();
    s.observe_change_cookie(7);
    let v = s.version();
    s.set_verdict(v, 0, AppraiseBy::default(), true);
    s.observe_change_cookie(7);
    assert_eq!(s.version(), v);
    assert_eq!(s.verdict(s.version(), 0, AppraiseBy::default()), Some(true));
    for (cookie, bumps) in [(8, 1), (8, 0), (7, 1), (u64::MAX, 1), (0, 1), (0, 0)] {
        let before = s.version();
        s.observe_change_cookie(cookie);
        assert_eq!(s.version() - before, bumps, "cookie {cookie}");
    }
    assert_eq!(s.verdict(s.version(), 0, AppraiseBy::default()), None);
    assert!(!s.trusted(s.version()));
    // Tasks racing with two answers start at least one version per change.
    let s = InodeState::default();
    s.observe_change_cookie(1);
    let before = s.version();
    std::thread::scope(|t| {
        for i in 0..4u64 {
            let s = &s;
            t.spawn(move || {
                for _ in 0..1000 {
                    s.observe_change_cookie(2 + i % 2);
                }
            });
        }
    });
    assert!(s.version() > before);
}

/// A refused page makes the file untrusted until its server reports a new
/// change attribute: not for the same one again, nor for the first answer
/// after a failed query (which may be the same one), nor ever without one.
#[test]
fn refused_pages_last_until_the_server_reports_a_change() {
    let s = InodeState::default();
    s.observe_change_cookie(7);
    let v = s.version();
    s.refuse_pages();
    assert!(s.pages_refused());
    assert!(s.version() > v, "a refusal starts a new version");
    s.observe_change_cookie(7);
    assert!(s.pages_refused());
    s.forget_change_cookie();
    s.observe_change_cookie(7);
    assert!(s.pages_refused(), "an answer after a failed query");
    s.observe_change_cookie(8);
    assert!(!s.pages_refused());
    // Without a change attribute (FUSE), only the inode's end lifts it.
    let s = InodeState::default();
    s.refuse_pages();
    s.content_changing();
    assert!(s.pages_refused());
}

/// A decision to check pages in permissive mode too has no bit in the
/// cached word: it is not cached, and the word cached before stays.
#[test]
fn page_check_decisions_are_not_cached() {
    let s = InodeState::default();
    let k = key(1, Func::MmapCheck, MAY_EXEC, 0, 0);
    let d = Decision {
        appraise: true,
        check_pages_always: true,
        ..Decision::default()
    };
    s.cache_decision(&k, d);
    assert_eq!(s.cached_decision(&k), None);
    let plain = Decision {
        appraise: true,
        ..Decision::default()
    };
    s.cache_decision(&k, plain);
    s.cache_decision(&k, d);
    assert_eq!(s.cached_decision(&k), Some(plain));
}
