// SPDX-License-Identifier: GPL-2.0
//! A torture run's report and its verdict. No kernel dependency: every invariant is
//! unit-tested on the host with a report that breaks it.
//!
//! Four scenarios. `livepatch` (ftrace's 2019 bug): the live patch stays registered and the
//! `counter` callback comes and goes, so the site flips between the live patch's custom
//! trampoline and the iterator. The others have no live patch: one callback comes and goes,
//! so the site flips between a NOP and one path to it (`observer`: the counter's custom
//! trampoline; `noregs`: the counter's no-regs trampoline; `direct`: a direct call to
//! `probe1`), while an observer thread checks every snapshot of the site's bytes against the
//! legal states of the flip in progress. Each flip goes one of two ways, and each emulation
//! must leave its own signature: the target its emulated hits went to, per direction.

use crate::busted::Busted;
use crate::names::named;
use crate::policy::{
    self,
    Emulation,
    Engine,
    StateKind, //
};

named! {
    /// What a torture run flips, and what it watches.
    #[derive(Default)]
    pub(crate) enum Scenario {
        /// The live patch stays; the site flips custom(livepatch) <-> iterator.
        #[default]
        Livepatch = "livepatch",
        /// No live patch; the site flips NOP <-> custom(counter), under an observer of its
        /// bytes.
        Observer = "observer",
        /// As `observer`, through the counter's no-regs trampoline: NOP <-> noregs(counter).
        NoRegs = "noregs",
        /// As `observer`, through a direct call: NOP <-> direct(probe1).
        Direct = "direct",
    }
}

impl Scenario {
    /// The callback that comes and goes, and the path the site takes to it (`None`: our
    /// policy's, with the live patch registered beside it).
    pub(crate) fn flipped(self) -> (usize, Option<StateKind>) {
        match self {
            Scenario::Livepatch => (policy::COUNTER, None),
            Scenario::Observer => (policy::COUNTER, Some(StateKind::Custom)),
            Scenario::NoRegs => (policy::COUNTER, Some(StateKind::NoRegs)),
            Scenario::Direct => (policy::PROBE1, Some(StateKind::Direct)),
        }
    }

    /// Whether an observer thread watches the site's bytes (every scenario without the live
    /// patch).
    pub(crate) fn observed(self) -> bool {
        self != Scenario::Livepatch
    }
}

named! {
    /// Where an emulated hit went: the targets the torture's flips can legitimately pick, and
    /// anything else.
    pub(crate) enum Target {
        Livepatch = "livepatch",
        Counter = "counter",
        /// The counter's no-regs trampoline.
        NoRegs = "noregs",
        /// `probe1`'s direct entry.
        Direct = "direct",
        Iterator = "iterator",
        Skip = "skip",
        Elsewhere = "elsewhere",
    }
}

named! {
    /// The direction of a flip, by the state the site is becoming.
    #[expect(clippy::enum_variant_names, reason = "each is a way to go: `to` is its meaning")]
    pub(crate) enum Direction {
        ToCustom = "to_custom",
        ToIterator = "to_iterator",
        ToNop = "to_nop",
        ToNoRegs = "to_noregs",
        ToDirect = "to_direct",
    }
}

impl Direction {
    /// The kind of state a flip this way goes to.
    pub(crate) fn to(self) -> StateKind {
        match self {
            Direction::ToCustom => StateKind::Custom,
            Direction::ToIterator => StateKind::Iterator,
            Direction::ToNop => StateKind::Nop,
            Direction::ToNoRegs => StateKind::NoRegs,
            Direction::ToDirect => StateKind::Direct,
        }
    }
}

/// Hits of one direction, by [`Target`].
pub(crate) type ByTarget = [u64; Target::ALL.len()];

/// What a run saw, and its verdict.
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct Report {
    pub(crate) scenario: Scenario,
    pub(crate) engine: Option<Engine>,
    pub(crate) emulation: Option<Emulation>,
    pub(crate) busted: Busted,
    pub(crate) threads: u32,
    pub(crate) window_us: u32,
    /// The sites the run flipped (`sites.rs`), and how many a batch held.
    pub(crate) sites: usize,
    pub(crate) batch: usize,
    pub(crate) flips: u64,
    pub(crate) calls: u64,
    pub(crate) v2: u64,
    pub(crate) v1: u64,
    /// `livepatch`: the v1 results, each a missed call (the live patch was registered for the
    /// whole run). `observer`: 0 (no live patch, so a NOP is no miss).
    pub(crate) missed: u64,
    pub(crate) corrupt: u64,
    /// Results that came from another site than the one called.
    pub(crate) wrong_site: u64,
    /// `livepatch`: the site with the most missed calls, and how many it missed.
    pub(crate) worst_site: Option<(usize, u64)>,
    /// Sites found not holding their new state after a flip, and the first of them (the run
    /// stops there: the next flip's verify would refuse).
    pub(crate) unwritten: u64,
    pub(crate) first_unwritten: Option<usize>,
    /// Batches the run's flips wrote, and the CPU syncs they made (`None` where nothing
    /// counts them).
    pub(crate) batches: u64,
    pub(crate) syncs: Option<u64>,
    pub(crate) cb_livepatch: u64,
    pub(crate) cb_counter: u64,
    pub(crate) cb_probe1: u64,
    /// Calls of the callbacks the scenario never registers.
    pub(crate) cb_unregistered: u64,
    /// Hits that reached an emulation stub, by emulation (both engines).
    pub(crate) emulated: [u64; Emulation::ALL.len()],
    /// The run's emulation's hits, by [`Target`], per [`Direction`]: the
    /// emulation's signature.
    pub(crate) by_direction: [ByTarget; Direction::ALL.len()],
    /// Calls made while a flip was in progress (in batches that a flip's start or end
    /// crossed, or that ran within one): on `ftrace` and `static_call`, where the kernel's
    /// handler emulates and no hit can be counted, what shows that calls met the flips.
    pub(crate) calls_in_flip: u64,
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
    /// `observer`: snapshots of the site's bytes taken, taken while a flip was in progress,
    /// and showing our int3; snapshots no step of the protocol can produce, and the first.
    pub(crate) snapshots: u64,
    pub(crate) snapshots_in_flip: u64,
    pub(crate) snapshots_int3: u64,
    pub(crate) illegal: u64,
    pub(crate) first_illegal: Option<Illegal>,
    /// `stop` or a signal ended the run before its last flip.
    pub(crate) stopped: bool,
    pub(crate) interrupted: bool,
    /// The invariants that broke, as [`Invariant::bit`]s.
    pub(crate) broken: u32,
    pub(crate) verdict: Verdict,
}

/// An illegal snapshot, with the flip it was taken in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Illegal {
    pub(crate) seen: [u8; 5],
    pub(crate) old: [u8; 5],
    pub(crate) new: [u8; 5],
}

named! {
    /// A torture run's verdict.
    #[derive(Default)]
    pub(crate) enum Verdict {
        /// No run: the write was refused before it started.
        #[default]
        None = "none",
        /// Every invariant held, and hits landed in the windows.
        Pass = "pass",
        /// No call landed in an int3 window, or (observer) no snapshot showed the int3: the
        /// run proves nothing.
        Inconclusive = "inconclusive",
        /// Ended early by `stop` or a signal, with every invariant holding.
        Stopped = "stopped",
        /// An invariant broke.
        Fail = "fail",
    }
}

named! {
    /// The invariants a run's report is judged by, and the bug each catches.
    pub(crate) enum Invariant {
        /// A trampoline or an emulation broke the argument, the result or a callee-saved
        /// register.
        Corrupt = "corrupt",
        /// livepatch, new/old: a call ran v1 while the live patch was registered. nop: the
        /// calls missed are not exactly the skipped hits.
        Missed = "missed",
        /// A v2 result without exactly one live-patch call behind it (a callback that counted
        /// but did not redirect, or ran twice; or any v2 with no live patch).
        Livepatch = "livepatch",
        /// A hit went to a stub of an emulation the run did not choose.
        Emulation = "emulation",
        /// A hit went to a target the run's emulation does not pick for that direction.
        Target = "target",
        /// Module engine: our handler's hits and the stubs' counts differ.
        Int3Hits = "int3_hits",
        /// A CPU was sent back to the site although the site held no instruction of ours,
        /// or, on the module engine, although our own window owned the int3 (it should be
        /// emulated).
        Rewinds = "rewinds",
        /// An int3 at the site that no flip of ours owned.
        Foreign = "foreign",
        /// observer: the site held bytes that no step of the protocol produces.
        Observer = "observer",
        /// The callback that comes and goes ran more often than the site was called, or
        /// (without the live patch) less often than the hits emulated as a call to it: a
        /// trampoline or an emulation that skipped it or ran it twice.
        Callback = "callback",
        /// A callback the run never registered ran: a path that calls the wrong one.
        Unregistered = "unregistered",
        /// A result came from another site than the one called: the handler found the wrong
        /// entry and emulated the call from there.
        Site = "site",
        /// After a flip, a site of the batch did not hold its new state: a batch that skipped
        /// one.
        Written = "written",
        /// A batch took more than the protocol's three syncs: written out of order, so the
        /// kernel flushed it site by site.
        Syncs = "syncs",
    }
}

impl Invariant {
    /// Its bit in `Report::broken`.
    pub(crate) const fn bit(self) -> u32 {
        1 << self as u32
    }
}

/// The target each direction's hits must go to under `emulation` in `scenario`, by
/// [`Direction`]; `None`: that scenario makes no flip that way while callers run, so no hit
/// may land there. The spec, written out rather than derived from `policy::emulated`, which
/// the flips themselves use: a bug there must show here.
pub(crate) fn expected_targets(
    scenario: Scenario,
    emulation: Emulation,
) -> [Option<Target>; Direction::ALL.len()] {
    use Target::*;
    let (lp, ctr, nr, dc, it, skip) = (
        Some(Livepatch),
        Some(Counter),
        Some(NoRegs),
        Some(Direct),
        Some(Iterator),
        Some(Skip),
    );
    match (scenario, emulation) {
        //                                          to_custom to_iterator to_nop to_noregs to_direct
        // What the site is becoming.
        (Scenario::Livepatch, Emulation::New) => [lp, it, None, None, None],
        (Scenario::Observer, Emulation::New) => [ctr, None, skip, None, None],
        (Scenario::NoRegs, Emulation::New) => [None, None, skip, nr, None],
        (Scenario::Direct, Emulation::New) => [None, None, skip, None, dc],
        // What the site was.
        (Scenario::Livepatch, Emulation::Old) => [it, lp, None, None, None],
        (Scenario::Observer, Emulation::Old) => [skip, None, ctr, None, None],
        (Scenario::NoRegs, Emulation::Old) => [None, None, nr, skip, None],
        (Scenario::Direct, Emulation::Old) => [None, None, dc, None, skip],
        // Nothing: the pre-2019 bug.
        (Scenario::Livepatch, Emulation::Nop) => [skip, skip, None, None, None],
        (Scenario::Observer, Emulation::Nop) => [skip, None, skip, None, None],
        (Scenario::NoRegs, Emulation::Nop) => [None, None, skip, skip, None],
        (Scenario::Direct, Emulation::Nop) => [None, None, skip, None, skip],
    }
}

/// The invariants that `r`, a run with `engine` and `emulation`, breaks.
pub(crate) fn broken(r: &Report, engine: Engine, emulation: Emulation) -> u32 {
    let hits: u64 = r.emulated.iter().sum();
    let ours = r.emulated[emulation as usize];
    let astray = |by: &ByTarget, want: Option<Target>| {
        Target::ALL
            .into_iter()
            .any(|t| Some(t) != want && by[t as usize] > 0)
    };
    let mut b = 0;
    if r.corrupt != 0 {
        b |= Invariant::Corrupt.bit();
    }
    let missed_ok = match (r.scenario, emulation) {
        // No live patch, so no call can miss it: not applicable (the report says 0).
        (Scenario::Observer | Scenario::NoRegs | Scenario::Direct, _) => true,
        (Scenario::Livepatch, Emulation::New | Emulation::Old) => r.missed == 0,
        (Scenario::Livepatch, Emulation::Nop) => r.missed == ours,
    };
    if !missed_ok {
        b |= Invariant::Missed.bit();
    }
    if r.cb_livepatch != r.v2 {
        b |= Invariant::Livepatch.bit();
    }
    // Where the kernel's handler emulates, no hit may reach any of our stubs.
    if hits != ours || (!engine.picks_emulation() && hits != 0) {
        b |= Invariant::Emulation.bit();
    }
    let want = expected_targets(r.scenario, emulation);
    if Direction::ALL
        .into_iter()
        .any(|d| astray(&r.by_direction[d as usize], want[d as usize]))
    {
        b |= Invariant::Target.bit();
    }
    if engine == Engine::Module && r.int3_hits != hits {
        b |= Invariant::Int3Hits.bit();
    }
    if r.rewinds_gone != 0 || (engine == Engine::Module && r.rewinds_flip != 0) {
        b |= Invariant::Rewinds.bit();
    }
    if r.int3_foreign != 0 {
        b |= Invariant::Foreign.bit();
    }
    if r.illegal != 0 {
        b |= Invariant::Observer.bit();
    }
    let sent_to = |t: Target| -> u64 { r.by_direction.iter().map(|by| by[t as usize]).sum() };
    let (ran, sent) = match r.scenario {
        Scenario::Livepatch => (r.cb_counter, 0),
        Scenario::Observer => (r.cb_counter, sent_to(Target::Counter)),
        Scenario::NoRegs => (r.cb_counter, sent_to(Target::NoRegs)),
        Scenario::Direct => (r.cb_probe1, sent_to(Target::Direct)),
    };
    if ran > r.calls || ran < sent {
        b |= Invariant::Callback.bit();
    }
    if r.cb_unregistered != 0 {
        b |= Invariant::Unregistered.bit();
    }
    if r.wrong_site != 0 {
        b |= Invariant::Site.bit();
    }
    if r.unwritten != 0 {
        b |= Invariant::Written.bit();
    }
    if r.syncs.is_some_and(|n| n > SYNCS_PER_BATCH * r.batches) {
        b |= Invariant::Syncs.bit();
    }
    b
}

/// The protocol's syncs per batch, whatever its size (`protocol::INT3_PROTOCOL`).
pub(crate) const SYNCS_PER_BATCH: u64 = 3;

/// The batches that `flips` flips of `sites` sites, `batch` at a time, write: on the kernel
/// engine (`kernel_max`, its own limit per batch) a batch past the limit is flushed in parts.
pub(crate) fn batches_of(flips: u64, sites: usize, batch: usize, kernel_max: Option<usize>) -> u64 {
    let per_flip: u64 = crate::sites::batches(sites, batch)
        .map(|r| kernel_max.map_or(1, |max| r.len().div_ceil(max.max(1)) as u64))
        .sum();
    flips * per_flip
}

/// Whether a run shows nothing: its calls never met a flip. Where our stubs see the hits
/// (`kernel`, `module`): no emulated hit. Where the kernel's handler emulates (`ftrace`,
/// `static_call`) no hit can be counted: no flip, no call while a flip was in progress, or
/// no callback hit at all.
fn unproven(r: &Report) -> bool {
    match r.engine {
        Some(e) if !e.picks_emulation() => {
            r.flips == 0 || r.calls_in_flip == 0 || r.cb_livepatch + r.cb_counter + r.cb_probe1 == 0
        }
        _ => r.emulated.iter().sum::<u64>() == 0,
    }
}

/// The verdict on a judged report: any broken invariant fails it; otherwise a stopped run
/// is `stopped`, and a run whose calls met no flip, or whose observer never saw the int3,
/// proves nothing.
pub(crate) fn verdict(r: &Report) -> Verdict {
    let unseen = r.scenario.observed() && r.snapshots_int3 == 0;
    if r.broken != 0 {
        Verdict::Fail
    } else if r.stopped {
        Verdict::Stopped
    } else if unproven(r) || unseen {
        Verdict::Inconclusive
    } else {
        Verdict::Pass
    }
}

/// What a torture write returns, from its report. `fail` wins over a signal: a run whose
/// invariants broke failed, however it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// `pass`, or `stopped` by `echo stop`.
    Done,
    /// An invariant broke (EIO).
    Failed,
    /// A signal ended the run, every invariant holding (EINTR).
    Interrupted,
    /// No hit, or no int3 seen: the run proves nothing (ENODATA).
    Inconclusive,
}

pub(crate) fn status(r: &Report) -> Status {
    match r.verdict {
        Verdict::Fail => Status::Failed,
        _ if r.interrupted => Status::Interrupted,
        Verdict::Inconclusive => Status::Inconclusive,
        Verdict::None | Verdict::Pass | Verdict::Stopped => Status::Done,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A healthy run of `emulation` in `scenario`: 1000 calls, 10 hits each way.
    fn healthy_in(scenario: Scenario, emulation: Emulation) -> Report {
        let mut r = Report {
            scenario,
            calls: 1000,
            int3_hits: 20,
            ..Default::default()
        };
        match scenario {
            Scenario::Livepatch => (r.v2, r.cb_livepatch) = (1000, 1000),
            Scenario::Observer | Scenario::NoRegs | Scenario::Direct => {
                r.v1 = 1000;
                (r.snapshots, r.snapshots_in_flip, r.snapshots_int3) = (100, 50, 10);
            }
        }
        r.cb_probe1 = if scenario == Scenario::Direct { 500 } else { 0 };
        r.emulated[emulation as usize] = 20;
        for (d, want) in expected_targets(scenario, emulation)
            .into_iter()
            .enumerate()
        {
            if let Some(t) = want {
                r.by_direction[d][t as usize] = 10;
            }
        }
        r.cb_counter = 500;
        if scenario == Scenario::Livepatch && emulation == Emulation::Nop {
            (r.v2, r.cb_livepatch, r.missed) = (980, 980, 20);
        }
        r
    }

    fn healthy(emulation: Emulation) -> Report {
        healthy_in(Scenario::Livepatch, emulation)
    }

    fn judge(mut r: Report, engine: Engine, emulation: Emulation) -> (u32, Verdict) {
        r.engine = Some(engine);
        r.broken = broken(&r, engine, emulation);
        (r.broken, verdict(&r))
    }

    #[test]
    fn healthy_runs_pass_on_both_engines_in_both_scenarios() {
        for s in Scenario::ALL {
            for p in Emulation::ALL {
                for e in [Engine::Kernel, Engine::Module] {
                    let r = healthy_in(s, p);
                    assert_eq!(judge(r, e, p), (0, Verdict::Pass), "{s:?} {p:?} {e:?}");
                }
            }
        }
    }

    #[test]
    fn the_targets_are_the_spec() {
        // Written out once more, as a reader would: a wrong row fails here, whatever the
        // healthy reports built from `expected_targets` say.
        use Emulation::*;
        use Scenario::*;
        let (lp, ctr, nr, dc, it, skip) = (
            Some(Target::Livepatch),
            Some(Target::Counter),
            Some(Target::NoRegs),
            Some(Target::Direct),
            Some(Target::Iterator),
            Some(Target::Skip),
        );
        let spec = [
            (Livepatch, New, [lp, it, None, None, None]),
            (Livepatch, Old, [it, lp, None, None, None]),
            (Livepatch, Nop, [skip, skip, None, None, None]),
            (Observer, New, [ctr, None, skip, None, None]),
            (Observer, Old, [skip, None, ctr, None, None]),
            (Observer, Nop, [skip, None, skip, None, None]),
            (NoRegs, New, [None, None, skip, nr, None]),
            (NoRegs, Old, [None, None, nr, skip, None]),
            (NoRegs, Nop, [None, None, skip, skip, None]),
            (Direct, New, [None, None, skip, None, dc]),
            (Direct, Old, [None, None, dc, None, skip]),
            (Direct, Nop, [None, None, skip, None, skip]),
        ];
        for (s, p, want) in spec {
            assert_eq!(expected_targets(s, p), want, "{s:?} {p:?}");
        }
    }

    /// The hits of the callback that comes and goes in `r`'s scenario.
    fn flipped_hits(r: &mut Report) -> &mut u64 {
        if r.scenario == Scenario::Direct {
            &mut r.cb_probe1
        } else {
            &mut r.cb_counter
        }
    }

    #[test]
    fn the_callback_runs_at_most_once_per_call_and_for_each_hit_sent_to_it() {
        for s in Scenario::ALL {
            let mut r = healthy_in(s, Emulation::New);
            *flipped_hits(&mut r) = r.calls + 1;
            assert_eq!(
                judge(r, Engine::Kernel, Emulation::New).0,
                Invariant::Callback.bit(),
                "{s:?}"
            );
        }
        for s in [Scenario::Observer, Scenario::NoRegs, Scenario::Direct] {
            let mut r = healthy_in(s, Emulation::New);
            *flipped_hits(&mut r) = 9;
            assert_eq!(
                judge(r, Engine::Kernel, Emulation::New).0,
                Invariant::Callback.bit(),
                "{s:?}"
            );
            let mut r = healthy_in(s, Emulation::Old);
            *flipped_hits(&mut r) = 10;
            assert_eq!(
                judge(r, Engine::Kernel, Emulation::Old),
                (0, Verdict::Pass),
                "{s:?}"
            );
        }
        // The direct scenario judges probe1's hits, not the counter's.
        let mut r = healthy_in(Scenario::Direct, Emulation::New);
        r.cb_counter = 0;
        assert_eq!(judge(r, Engine::Kernel, Emulation::New), (0, Verdict::Pass));
    }

    #[test]
    fn a_callback_never_registered_must_not_run() {
        // Bug caught: a direct call (or any path) to the wrong callback.
        for s in Scenario::ALL {
            let mut r = healthy_in(s, Emulation::New);
            r.cb_unregistered = 1;
            assert_eq!(
                judge(r, Engine::Module, Emulation::New),
                (Invariant::Unregistered.bit(), Verdict::Fail),
                "{s:?}"
            );
        }
    }

    #[test]
    fn new_and_old_leave_opposite_signatures() {
        // A `new` run judged as `old` (and back) breaks "target": the signature tells them apart.
        for s in Scenario::ALL {
            let r = healthy_in(s, Emulation::New);
            assert_eq!(
                judge(r, Engine::Kernel, Emulation::Old).0 & Invariant::Target.bit(),
                Invariant::Target.bit()
            );
            let r = healthy_in(s, Emulation::Old);
            assert_eq!(
                judge(r, Engine::Kernel, Emulation::New).0 & Invariant::Target.bit(),
                Invariant::Target.bit()
            );
            assert_ne!(
                expected_targets(s, Emulation::New),
                expected_targets(s, Emulation::Old)
            );
        }
    }

    #[test]
    fn three_syncs_per_batch_pass_and_the_kernel_splits_past_its_limit() {
        let mut r = healthy(Emulation::New);
        (r.batches, r.syncs) = (batches_of(4, 4096, 256, None), Some(3 * 64));
        assert_eq!(r.batches, 64);
        assert_eq!(judge(r, Engine::Module, Emulation::New).0, 0);
        assert_eq!(batches_of(1, 4096, 4096, Some(256)), 16);
        assert_eq!(batches_of(1, 4096, 4096, None), 1);
        assert_eq!(batches_of(2, 1000, 300, Some(256)), 2 * (2 + 2 + 2 + 1));
        assert_eq!(batches_of(1, 1, 256, Some(256)), 1);
    }

    #[test]
    fn each_invariant_fails_on_its_bug_both_ways() {
        let e = Engine::Module;
        let p = Emulation::New;
        // Each bug in both directions where a count can be too low or too high.
        let cases: [(fn(&mut Report), u32); 22] = [
            (|r| r.corrupt = 1, Invariant::Corrupt.bit()),
            (
                |r| (r.missed, r.v2, r.cb_livepatch) = (1, 999, 999),
                Invariant::Missed.bit(),
            ),
            (|r| r.cb_livepatch += 1, Invariant::Livepatch.bit()),
            (
                |r| r.cb_livepatch = r.cb_livepatch.wrapping_sub(1),
                Invariant::Livepatch.bit(),
            ),
            (
                |r| (r.emulated[1], r.int3_hits) = (1, 21),
                Invariant::Emulation.bit(),
            ),
            (
                |r| (r.emulated[2], r.int3_hits) = (1, 21),
                Invariant::Emulation.bit(),
            ),
            (
                |r| {
                    (
                        r.by_direction[0][Target::Iterator as usize],
                        r.by_direction[0][Target::Livepatch as usize],
                    ) = (1, 9)
                },
                Invariant::Target.bit(),
            ),
            (
                |r| r.by_direction[1][Target::Elsewhere as usize] = 1,
                Invariant::Target.bit(),
            ),
            (
                |r| r.by_direction[2][Target::Skip as usize] = 1,
                Invariant::Target.bit(),
            ),
            (|r| r.int3_hits = 19, Invariant::Int3Hits.bit()),
            (|r| r.int3_hits = 21, Invariant::Int3Hits.bit()),
            (|r| r.rewinds_gone = 1, Invariant::Rewinds.bit()),
            (|r| r.rewinds_flip = 1, Invariant::Rewinds.bit()),
            (|r| r.int3_foreign = 1, Invariant::Foreign.bit()),
            (|r| r.illegal = 1, Invariant::Observer.bit()),
            (
                |r| (r.missed, r.v2, r.cb_livepatch) = (5, 995, 995),
                Invariant::Missed.bit(),
            ),
            (|r| r.corrupt = u64::MAX, Invariant::Corrupt.bit()),
            (|r| r.wrong_site = 1, Invariant::Site.bit()),
            (|r| r.cb_unregistered = 7, Invariant::Unregistered.bit()),
            (|r| r.unwritten = 1, Invariant::Written.bit()),
            (
                |r| (r.batches, r.syncs) = (4, Some(13)),
                Invariant::Syncs.bit(),
            ),
            (
                |r| (r.batches, r.syncs) = (0, Some(1)),
                Invariant::Syncs.bit(),
            ),
        ];
        for (i, (bug, want)) in cases.iter().enumerate() {
            let mut r = healthy(p);
            bug(&mut r);
            assert_eq!(judge(r, e, p), (*want, Verdict::Fail), "case {i}");
        }
        // The same bugs in the scenarios without the live patch, where they apply: no
        // "missed"; their own directions, judged by `the_targets_are_the_spec`.
        for s in [Scenario::Observer, Scenario::NoRegs, Scenario::Direct] {
            for (i, (bug, want)) in cases.iter().enumerate() {
                if *want == Invariant::Missed.bit() || *want == Invariant::Target.bit() {
                    continue;
                }
                let mut r = healthy_in(s, p);
                (r.v1, r.v2, r.cb_livepatch) = (r.calls, 0, 0);
                bug(&mut r);
                let got = judge(r, e, p).0;
                assert!(got & want != 0, "{s:?} case {i}: {got:#x}");
            }
        }
    }

    #[test]
    fn nop_must_miss_exactly_the_skipped_hits() {
        for delta in [-1i64, 1] {
            let mut r = healthy(Emulation::Nop);
            r.missed = r.missed.wrapping_add_signed(delta);
            r.v2 = r.v2.wrapping_add_signed(-delta);
            r.cb_livepatch = r.v2;
            assert_eq!(
                judge(r, Engine::Kernel, Emulation::Nop),
                (Invariant::Missed.bit(), Verdict::Fail),
                "{delta}"
            );
        }
        // With `new`, a single skipped (missed) call fails.
        let mut r = healthy(Emulation::New);
        (r.missed, r.v2, r.cb_livepatch) = (1, 999, 999);
        assert_eq!(
            judge(r, Engine::Kernel, Emulation::New).0,
            Invariant::Missed.bit()
        );
    }

    #[test]
    fn the_observer_scenario_misses_nothing_and_must_see_the_int3() {
        // A NOP is no miss, whatever the emulation: a skipped hit there is legal.
        let r = healthy_in(Scenario::Observer, Emulation::Nop);
        assert_eq!(judge(r, Engine::Module, Emulation::Nop), (0, Verdict::Pass));
        // A v2 with no live patch breaks "livepatch".
        let mut r = healthy_in(Scenario::Observer, Emulation::New);
        r.v2 = 1;
        assert_eq!(
            judge(r, Engine::Kernel, Emulation::New).0,
            Invariant::Livepatch.bit()
        );
        // An illegal snapshot fails; no snapshot of the int3 proves nothing.
        let mut r = healthy_in(Scenario::Observer, Emulation::New);
        r.illegal = 1;
        assert_eq!(
            judge(r, Engine::Module, Emulation::New),
            (Invariant::Observer.bit(), Verdict::Fail)
        );
        let mut r = healthy_in(Scenario::Observer, Emulation::New);
        r.snapshots_int3 = 0;
        assert_eq!(
            judge(r, Engine::Module, Emulation::New),
            (0, Verdict::Inconclusive)
        );
        // The livepatch scenario has no observer: no snapshot is needed there.
        let mut r = healthy(Emulation::New);
        r.snapshots_int3 = 0;
        assert_eq!(judge(r, Engine::Module, Emulation::New), (0, Verdict::Pass));
    }

    #[test]
    fn the_write_fails_unless_the_run_passed_or_was_stopped() {
        let mut r = healthy(Emulation::New);
        r.broken = broken(&r, Engine::Module, Emulation::New);
        r.verdict = verdict(&r);
        assert_eq!(status(&r), Status::Done);
        r.corrupt = 1;
        r.interrupted = true;
        r.stopped = true;
        r.broken = broken(&r, Engine::Module, Emulation::New);
        r.verdict = verdict(&r);
        assert_eq!(status(&r), Status::Failed, "fail wins over a signal");
        r.corrupt = 0;
        r.broken = broken(&r, Engine::Module, Emulation::New);
        r.verdict = verdict(&r);
        assert_eq!(
            (r.verdict, status(&r)),
            (Verdict::Stopped, Status::Interrupted)
        );
        let r = Report {
            verdict: Verdict::Inconclusive,
            ..Default::default()
        };
        assert_eq!(status(&r), Status::Inconclusive);
        let r = Report {
            verdict: Verdict::Stopped,
            stopped: true,
            ..Default::default()
        };
        assert_eq!(status(&r), Status::Done);
    }

    #[test]
    fn kernel_engine_may_rewind_a_declined_int3_module_engine_may_not() {
        let mut r = healthy(Emulation::New);
        r.rewinds_flip = 3;
        r.int3_hits = 0;
        assert_eq!(judge(r, Engine::Kernel, Emulation::New), (0, Verdict::Pass));
        assert_eq!(
            judge(r, Engine::Module, Emulation::New).0,
            Invariant::Rewinds.bit() | Invariant::Int3Hits.bit()
        );
    }

    #[test]
    fn where_the_kernel_emulates_calls_must_meet_flips_and_no_stub_may_see_a_hit() {
        for e in [Engine::Ftrace, Engine::StaticCall] {
            let mut r = healthy(Emulation::New);
            r.emulated = [0; Emulation::ALL.len()];
            r.by_direction = Default::default();
            (r.flips, r.calls_in_flip) = (10, 300);
            assert_eq!(judge(r, e, Emulation::New), (0, Verdict::Pass), "{e:?}");
            // Calls never met a flip, or nothing flipped, or no callback ran: nothing shown.
            for (flips, in_flip) in [(10, 0), (0, 300)] {
                (r.flips, r.calls_in_flip) = (flips, in_flip);
                assert_eq!(
                    judge(r, e, Emulation::New),
                    (0, Verdict::Inconclusive),
                    "{e:?}"
                );
            }
            (r.flips, r.calls_in_flip) = (10, 300);
            let mut quiet = r;
            (quiet.cb_livepatch, quiet.cb_counter, quiet.v2, quiet.v1) = (0, 0, 0, 1000);
            quiet.scenario = Scenario::Observer;
            quiet.snapshots_int3 = 1;
            assert_eq!(judge(quiet, e, Emulation::New).1, Verdict::Inconclusive);
            // A hit at one of our stubs: something emulated that should not have.
            r.emulated[Emulation::New as usize] = 1;
            r.by_direction[Direction::ToCustom as usize][Target::Livepatch as usize] = 1;
            assert_eq!(
                judge(r, e, Emulation::New).0,
                Invariant::Emulation.bit(),
                "{e:?}"
            );
        }
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
            judge(r, Engine::Kernel, Emulation::New),
            (0, Verdict::Inconclusive)
        );
        let mut r = healthy(Emulation::Old);
        r.stopped = true;
        assert_eq!(
            judge(r, Engine::Kernel, Emulation::Old),
            (0, Verdict::Stopped)
        );
        r.corrupt = 1;
        assert_eq!(judge(r, Engine::Kernel, Emulation::Old).1, Verdict::Fail);
    }
}
