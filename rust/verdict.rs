// SPDX-License-Identifier: GPL-2.0
//! A torture run's report and its verdict. No kernel dependency: every invariant is
//! unit-tested on the host with a report that breaks it.
//!
//! The run flips the site between the live patch's custom trampoline and the iterator (the
//! `counter` callback comes and goes), so each flip goes one of two ways, and each policy
//! must leave its own signature: the target its emulated hits went to, per direction.

use crate::busted::Busted;
use crate::policy::{Engine, Policy};

/// Emulation targets the torture's flips can legitimately pick, and where else a hit went.
pub(crate) const TARGETS: [&str; 4] = ["livepatch", "iterator", "skip", "elsewhere"];
pub(crate) const T_LIVEPATCH: usize = 0;
pub(crate) const T_ITERATOR: usize = 1;
pub(crate) const T_SKIP: usize = 2;
pub(crate) const T_ELSEWHERE: usize = 3;

/// What a run saw, and its verdict.
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct Report {
    pub(crate) engine: Option<Engine>,
    pub(crate) policy: Option<Policy>,
    pub(crate) busted: Busted,
    pub(crate) threads: u32,
    pub(crate) window_us: u32,
    pub(crate) flips: u64,
    pub(crate) calls: u64,
    pub(crate) v2: u64,
    /// v1 results: the live patch was registered for the whole run, so each is a missed call.
    pub(crate) missed: u64,
    pub(crate) corrupt: u64,
    pub(crate) cb_livepatch: u64,
    pub(crate) cb_counter: u64,
    /// Hits that reached an emulation stub, by policy (both engines).
    pub(crate) emulated: [u64; 3],
    /// The run's policy's hits, by target ([`TARGETS`]), in flips to the custom trampoline
    /// and in flips to the iterator: the policy's signature.
    pub(crate) to_custom: [u64; 4],
    pub(crate) to_iterator: [u64; 4],
    /// Module engine: hits our die notifier emulated.
    pub(crate) int3_hits: u64,
    /// Hits on an int3 already gone, emulated as the instruction that stands there.
    pub(crate) stale_int3: u64,
    /// Hits sent back to the site: the int3 was gone and the site held no instruction of
    /// ours, or one of our flips owned the int3 but did not emulate it.
    pub(crate) rewinds_gone: u64,
    pub(crate) rewinds_flip: u64,
    /// Int3s at the site that no flip of ours owned.
    pub(crate) int3_foreign: u64,
    /// Module engine: how long the int3 really stood per flip (mean, longest).
    pub(crate) window_ns_avg: u64,
    pub(crate) window_ns_max: u64,
    /// `stop` or a signal ended the run before its last flip.
    pub(crate) stopped: bool,
    pub(crate) interrupted: bool,
    /// The invariants that broke, as bits of [`INVARIANTS`].
    pub(crate) broken: u32,
    pub(crate) verdict: Verdict,
}

#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub(crate) enum Verdict {
    #[default]
    None,
    Pass,
    /// No call landed in an int3 window: the run proves nothing.
    Inconclusive,
    /// Ended early by `stop` or a signal, with every invariant holding.
    Stopped,
    Fail,
}

impl Verdict {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Verdict::None => "none",
            Verdict::Pass => "pass",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Stopped => "stopped",
            Verdict::Fail => "fail",
        }
    }
}

/// The invariants, by name (bit `i` of `Report::broken`), and the bug each catches.
pub(crate) const INVARIANTS: [&str; 8] = [
    // A trampoline or an emulation broke the argument or the result.
    "corrupt",
    // new/old: a call ran v1 while the live patch was registered. nop: the calls missed are
    // not exactly the skipped hits.
    "missed",
    // A v2 result without exactly one live-patch call behind it (a callback that counted
    // but did not redirect, or ran twice).
    "livepatch",
    // A hit went to a stub of a policy the run did not choose.
    "policy",
    // A hit went to a target the run's policy does not pick for that direction.
    "target",
    // Module engine: our handler's hits and the stubs' counts differ.
    "int3_hits",
    // A CPU was sent back to the site although the site held no instruction of ours, or,
    // on the module engine, although our own window owned the int3 (it should be emulated).
    "rewinds",
    // An int3 at the site that no flip of ours owned.
    "foreign",
];
pub(crate) const CORRUPT: u32 = 1 << 0;
pub(crate) const MISSED: u32 = 1 << 1;
pub(crate) const LIVEPATCH: u32 = 1 << 2;
pub(crate) const POLICY: u32 = 1 << 3;
pub(crate) const TARGET: u32 = 1 << 4;
pub(crate) const INT3_HITS: u32 = 1 << 5;
pub(crate) const REWINDS: u32 = 1 << 6;
pub(crate) const FOREIGN: u32 = 1 << 7;

/// The targets the torture's flips must emulate under `policy`: (in flips to the custom
/// trampoline, in flips to the iterator). The spec, written out rather than derived from
/// `policy::emulated`, which the flips themselves use: a bug there must show here.
pub(crate) fn expected_targets(policy: Policy) -> (usize, usize) {
    match policy {
        // What the site is becoming.
        Policy::New => (T_LIVEPATCH, T_ITERATOR),
        // What the site was.
        Policy::Old => (T_ITERATOR, T_LIVEPATCH),
        // Nothing: the pre-2019 bug.
        Policy::Nop => (T_SKIP, T_SKIP),
    }
}

/// The invariants that `r`, a run with `engine` and `policy`, breaks.
pub(crate) fn broken(r: &Report, engine: Engine, policy: Policy) -> u32 {
    let hits: u64 = r.emulated.iter().sum();
    let ours = r.emulated[policy as usize];
    let (want_custom, want_iterator) = expected_targets(policy);
    let astray =
        |by: &[u64; 4], want: usize| by.iter().enumerate().any(|(t, &n)| t != want && n > 0);
    let mut b = 0;
    if r.corrupt != 0 {
        b |= CORRUPT;
    }
    let missed_ok = match policy {
        Policy::New | Policy::Old => r.missed == 0,
        Policy::Nop => r.missed == ours,
    };
    if !missed_ok {
        b |= MISSED;
    }
    if r.cb_livepatch != r.v2 {
        b |= LIVEPATCH;
    }
    if hits != ours {
        b |= POLICY;
    }
    if astray(&r.to_custom, want_custom) || astray(&r.to_iterator, want_iterator) {
        b |= TARGET;
    }
    if engine == Engine::Module && r.int3_hits != hits {
        b |= INT3_HITS;
    }
    if r.rewinds_gone != 0 || (engine == Engine::Module && r.rewinds_flip != 0) {
        b |= REWINDS;
    }
    if r.int3_foreign != 0 {
        b |= FOREIGN;
    }
    b
}

/// The verdict on a judged report: any broken invariant fails it; otherwise a stopped run
/// is `stopped`, and a run no hit reached proves nothing.
pub(crate) fn verdict(r: &Report) -> Verdict {
    if r.broken != 0 {
        Verdict::Fail
    } else if r.stopped {
        Verdict::Stopped
    } else if r.emulated.iter().sum::<u64>() == 0 {
        Verdict::Inconclusive
    } else {
        Verdict::Pass
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A healthy run of `policy`: 1000 calls, 10 hits each way.
    fn healthy(policy: Policy) -> Report {
        let (c, i) = expected_targets(policy);
        let mut r = Report {
            calls: 1000,
            v2: 1000,
            cb_livepatch: 1000,
            int3_hits: 20,
            ..Default::default()
        };
        r.emulated[policy as usize] = 20;
        r.to_custom[c] = 10;
        r.to_iterator[i] = 10;
        if policy == Policy::Nop {
            (r.v2, r.cb_livepatch, r.missed) = (980, 980, 20);
        }
        r
    }

    fn judge(mut r: Report, engine: Engine, policy: Policy) -> (u32, Verdict) {
        r.broken = broken(&r, engine, policy);
        (r.broken, verdict(&r))
    }

    #[test]
    fn healthy_runs_pass_on_both_engines() {
        for p in Policy::ALL {
            for e in [Engine::Kernel, Engine::Module] {
                assert_eq!(judge(healthy(p), e, p), (0, Verdict::Pass), "{p:?} {e:?}");
            }
        }
    }

    #[test]
    fn new_and_old_leave_opposite_signatures() {
        // A `new` run judged as `old` (and back) breaks "target": the signature tells them apart.
        assert_eq!(
            judge(healthy(Policy::New), Engine::Kernel, Policy::Old).0 & TARGET,
            TARGET
        );
        assert_eq!(
            judge(healthy(Policy::Old), Engine::Kernel, Policy::New).0 & TARGET,
            TARGET
        );
        assert_ne!(expected_targets(Policy::New), expected_targets(Policy::Old));
    }

    #[test]
    fn each_invariant_fails_on_its_bug() {
        let e = Engine::Module;
        let p = Policy::New;
        let cases: [(fn(&mut Report), u32); 10] = [
            (|r| r.corrupt = 1, CORRUPT),
            (|r| (r.missed, r.v2, r.cb_livepatch) = (1, 999, 999), MISSED),
            (|r| r.cb_livepatch += 1, LIVEPATCH),
            (|r| (r.emulated[1], r.int3_hits) = (1, 21), POLICY),
            (
                |r| (r.to_custom[T_ITERATOR], r.to_custom[T_LIVEPATCH]) = (1, 9),
                TARGET,
            ),
            (|r| r.to_iterator[T_ELSEWHERE] = 1, TARGET),
            (|r| r.int3_hits = 19, INT3_HITS),
            (|r| r.rewinds_gone = 1, REWINDS),
            (|r| r.rewinds_flip = 1, REWINDS),
            (|r| r.int3_foreign = 1, FOREIGN),
        ];
        for (i, (bug, want)) in cases.iter().enumerate() {
            let mut r = healthy(p);
            bug(&mut r);
            assert_eq!(judge(r, e, p), (*want, Verdict::Fail), "case {i}");
        }
    }

    #[test]
    fn nop_must_miss_exactly_the_skipped_hits() {
        let mut r = healthy(Policy::Nop);
        r.missed -= 1;
        r.v2 += 1;
        r.cb_livepatch += 1;
        assert_eq!(
            judge(r, Engine::Kernel, Policy::Nop),
            (MISSED, Verdict::Fail)
        );
        // With `new`, a single skipped (missed) call fails.
        let mut r = healthy(Policy::New);
        (r.missed, r.v2, r.cb_livepatch) = (1, 999, 999);
        assert_eq!(judge(r, Engine::Kernel, Policy::New).0, MISSED);
    }

    #[test]
    fn kernel_engine_may_rewind_a_declined_int3_module_engine_may_not() {
        let mut r = healthy(Policy::New);
        r.rewinds_flip = 3;
        r.int3_hits = 0;
        assert_eq!(judge(r, Engine::Kernel, Policy::New), (0, Verdict::Pass));
        assert_eq!(judge(r, Engine::Module, Policy::New).0, REWINDS | INT3_HITS);
    }

    #[test]
    fn no_hit_is_inconclusive_and_stopped_is_not_a_pass() {
        let r = Report {
            calls: 10,
            v2: 10,
            cb_livepatch: 10,
            ..Default::default()
        };
        assert_eq!(
            judge(r, Engine::Kernel, Policy::New),
            (0, Verdict::Inconclusive)
        );
        let mut r = healthy(Policy::Old);
        r.stopped = true;
        assert_eq!(judge(r, Engine::Kernel, Policy::Old), (0, Verdict::Stopped));
        r.corrupt = 1;
        assert_eq!(judge(r, Engine::Kernel, Policy::Old).1, Verdict::Fail);
    }
}
