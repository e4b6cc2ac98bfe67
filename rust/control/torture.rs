// SPDX-License-Identifier: GPL-2.0
//! The torture: one kthread per online CPU calls the traced function in a tight loop and
//! checks every result, while the writer of `torture` flips the site: in the `livepatch`
//! scenario between the custom and the iterator trampoline (the live patch stays registered;
//! a second callback comes and goes, as when ftrace adds a second op to a live-patched
//! function), in the `observer` scenario between
//! a NOP and the counter's custom trampoline, while one more kthread snapshots the site's
//! bytes and checks each against the flip in progress. At the end every call is accounted
//! for and the invariants checked.
//!
//! The guest kernel is fully preemptible, where `cond_resched()` is a no-op (and has no
//! binding); the callers are preempted like any task.

use super::{
    interrupted,
    Control, //
};
use crate::{
    command::{
        File,
        TortureParams, //
    },
    policy::{
        self,
        Emulation,
        Engine,
        StateKind, //
    },
    protocol,
    site,
    sites::{
        self,
        Body, //
    },
    stats::{
        self,
        Counter, //
    },
    sys::kthread::{
        Kthread,
        Running,
        ThreadFn, //
    },
    traced,
    verdict::{
        self,
        ByTarget,
        Direction,
        Illegal,
        Report,
        Scenario,
        Target, //
    }, //
};
use kernel::{
    prelude::*,
    sync::atomic::{
        Atomic,
        AtomicFlag,
        Relaxed, //
    },
    time::{
        delay::fsleep,
        Delta, //
    }, //
};

/// Set by [`stop`] (under the control mutex, only while a run is visible): the flipper ends
/// early. Cleared by `begin_torture`, under the same mutex.
pub(super) static STOP: AtomicFlag = AtomicFlag::new(false);

/// `echo stop > torture`: asks the running torture, if any, to end early.
pub(crate) fn stop(ctl: &Control) {
    // Under the mutex, held across the store (a guard in the `if` condition would be dropped
    // before the body): the run clears STOP under it before it becomes visible, and stays
    // visible until its report is stored, so a stop never lands on the next run.
    let st = ctl.state.lock();
    if st.busy == Some(File::Torture) {
        STOP.store(true, Relaxed);
    } else {
        pr_info!("torture: no run in progress, nothing to stop\n");
    }
}

/// Per caller thread: calls and results, published every batch.
struct CallerStats {
    calls: Counter,
    v1: Counter,
    v2: Counter,
    corrupt: Counter,
    /// Results from another site than the one called.
    wrong_site: Counter,
    /// Calls in batches that a flip was in progress for (`Report::calls_in_flip`).
    in_flip: Counter,
}

const MAX: usize = crate::command::MAX_THREADS as usize;
static CALLERS: [CallerStats; MAX] = [const {
    CallerStats {
        calls: Counter::new(),
        v1: Counter::new(),
        v2: Counter::new(),
        corrupt: Counter::new(),
        wrong_site: Counter::new(),
        in_flip: Counter::new(),
    }
}; MAX];

/// The sites this run's callers call (set before they start).
static RUN_SITES: Atomic<usize> = Atomic::new(1);
/// v1 results per site: in the `livepatch` scenario, the calls each site missed.
static V1_AT: [Counter; sites::SITES] = [const { Counter::new() }; sites::SITES];

/// A caller kthread: call, check, repeat, until told to stop. Its `data` is the index of its
/// `CALLERS` slot plus `ENGINE_SHIFT` times the engine's.
struct Caller;

const ENGINE_SHIFT: usize = 256;

impl ThreadFn for Caller {
    fn run(thread: &Running, data: usize) {
        let me = &CALLERS[data % ENGINE_SHIFT % MAX];
        let engine = Engine::ALL
            .get(data / ENGINE_SHIFT)
            .copied()
            .unwrap_or(Engine::Kernel);
        let count = RUN_SITES.load(Relaxed).clamp(1, sites::SITES);
        // Entry 0, then the table's entries that follow the state, in one sweep.
        let Ok(mut table) = KVec::from_elem(0u64, count - 1, GFP_KERNEL) else {
            pr_err!("torture: a caller has no memory for its results: it makes no call\n");
            return;
        };
        // One site: batches of 256 calls; more: one sweep of them all.
        let rounds = if count == 1 { 256 } else { 1 };
        let mut x: u64 = 0;
        while !thread.should_stop() {
            let (mut v1, mut v2, mut bad, mut wrong, mut calls) = (0, 0, 0, 0, 0);
            let before = site::flip_seq();
            for _ in 0..rounds {
                let first = traced::call_traced(engine, x);
                traced::sweep(x, &mut table);
                for (e, &r) in Iterator::chain(core::iter::once(&first), table.iter()).enumerate() {
                    match sites::read_result(e, x, r) {
                        Ok(Body::V1) => {
                            v1 += 1;
                            V1_AT[e].inc();
                        }
                        Ok(Body::V2) => v2 += 1,
                        Err(Some(_)) => wrong += 1,
                        Err(None) => bad += 1,
                    }
                }
                calls += count as u64;
                x = x.wrapping_add(1);
            }
            me.calls.add(calls);
            me.v1.add(v1);
            me.v2.add(v2);
            me.corrupt.add(bad);
            me.wrong_site.add(wrong);
            if before % 3 != 0 || site::flip_seq() != before {
                me.in_flip.add(calls);
            }
            // ftrace frees an op's trampoline only once every task that may be on it has
            // scheduled (RCU-tasks): a caller that never sleeps would hold every unregister,
            // and so the flipper, until the run ends.
            if engine == Engine::Ftrace {
                thread.schedule();
            }
        }
    }
}

/// The number of online CPUs, at least 1.
pub(crate) fn online() -> u32 {
    (crate::sys::smp::online_cpus(MAX).len() as u32).max(1)
}

/// Started caller threads; each is stopped (and released) when dropped, whatever happens.
struct Callers(KVec<Kthread>);

impl Callers {
    fn start(n: u32, engine: Engine) -> Result<Self> {
        let mut tasks = Callers(KVec::with_capacity(n as usize, GFP_KERNEL)?);
        let cpus = crate::sys::smp::online_cpus(MAX);
        if cpus.is_empty() {
            return Err(ENODEV);
        }
        for i in 0..n {
            let cpu = cpus[i as usize % cpus.len()];
            let data = i as usize + engine as usize * ENGINE_SHIFT;
            let task = match Kthread::start::<Caller>(c"int3call-call", i, data, cpu) {
                Ok(task) => task,
                Err(e) => {
                    // A signal to the writer (SIGTERM becomes fatal) makes kthread creation
                    // fail with EINTR: that is an interruption, not an error.
                    if interrupted() {
                        return Err(EINTR);
                    }
                    pr_err!("torture: cannot start caller thread {}: {:?}\n", i, e);
                    return Err(e);
                }
            };
            tasks.0.push(task, GFP_KERNEL)?;
        }
        Ok(tasks)
    }
}

fn sum(f: impl Fn(&CallerStats) -> &Counter) -> u64 {
    CALLERS.iter().map(|c| f(c).get()).sum()
}

/// What the observer saw: snapshots taken, taken during a flip, showing our int3, illegal.
static SNAPSHOTS: Counter = Counter::new();
static SNAPSHOTS_IN_FLIP: Counter = Counter::new();
static SNAPSHOTS_INT3: Counter = Counter::new();
static ILLEGAL: Counter = Counter::new();
/// The first illegal snapshot and its flip's bytes (packed as `site::observe` gives them),
/// valid once `ILLEGAL` is non-zero.
static FIRST_ILLEGAL: [Atomic<u64>; 3] = [const { Atomic::new(0) }; 3];

/// The observer kthread: snapshots the site's bytes as fast as it can, and checks each
/// against the legal states of the flip in progress (`protocol::legal_during_flip`), or,
/// between flips, against what the last flip wrote.
struct Observer;

impl ThreadFn for Observer {
    fn run(thread: &Running, _data: usize) {
        while !thread.should_stop() {
            for _ in 0..1024 {
                // A look that a flip's start or end crossed is judged by neither.
                let Some(look) = site::observe() else {
                    continue;
                };
                SNAPSHOTS.inc();
                let legal = if look.in_flip {
                    SNAPSHOTS_IN_FLIP.inc();
                    if look.seen[0] == crate::insn::INT3 {
                        SNAPSHOTS_INT3.inc();
                    }
                    protocol::legal_during_flip(&look.seen, &look.old, &look.new)
                } else {
                    look.seen == look.new
                };
                if !legal {
                    if ILLEGAL.get() == 0 {
                        let parts = [look.seen, look.old, look.new];
                        for (slot, bytes) in FIRST_ILLEGAL.iter().zip(parts) {
                            slot.store(site::pack(&bytes), Relaxed);
                        }
                    }
                    ILLEGAL.inc();
                }
            }
        }
    }
}

/// Runs one torture; returns the report (with its verdict), also kept for `cat torture`, or
/// an error if it could not run. A run that cannot start, or stops on an error, still leaves
/// a report of its own (verdict `none`), never the previous run's.
pub(crate) fn run(ctl: &Control, p: &TortureParams) -> Result<Report> {
    let threads = if p.threads == 0 {
        online().min(crate::command::MAX_THREADS)
    } else {
        p.threads
    };
    let mut report = Report {
        scenario: p.scenario,
        engine: Some(p.engine),
        emulation: Some(p.emulation),
        busted: p.busted,
        threads,
        window_us: p.window_us,
        ..Default::default()
    };
    // Its own statement: the gate must be gone before the error arm locks again.
    let begun = ctl
        .gate(File::Torture)
        .and_then(|gate| gate.begin_torture(p));
    let saved = match begun {
        Ok(saved) => saved,
        Err(e) => {
            ctl.state.lock().refused_torture(report);
            return Err(e);
        }
    };
    CALLERS.iter().for_each(|c| {
        [
            &c.calls,
            &c.v1,
            &c.v2,
            &c.corrupt,
            &c.wrong_site,
            &c.in_flip,
        ]
        .iter()
        .for_each(|k| k.reset())
    });
    V1_AT.iter().for_each(Counter::reset);
    let (count, batch) = {
        let st = ctl.state.lock();
        (st.sites, st.batch)
    };
    (report.sites, report.batch) = (count, batch);
    RUN_SITES.store(count, Relaxed);
    [&SNAPSHOTS, &SNAPSHOTS_IN_FLIP, &SNAPSHOTS_INT3, &ILLEGAL]
        .iter()
        .for_each(|k| k.reset());

    let result = (|| -> Result {
        let callers = match Callers::start(threads, p.engine) {
            Err(e) if e == EINTR => {
                (report.stopped, report.interrupted) = (true, true);
                return Ok(());
            }
            r => r?,
        };
        let observer = if p.scenario.observed() {
            let cpus = crate::sys::smp::online_cpus(MAX);
            // The CPU after the last caller's, so that it watches while they call.
            let cpu = *cpus
                .get(threads as usize % cpus.len().max(1))
                .ok_or(ENODEV)?;
            Some(Kthread::start::<Observer>(c"int3call-observe", 0, 0, cpu)?)
        } else {
            None
        };
        // Flip only once every caller is calling (bounded: 10 s, or a signal).
        for _ in 0..10_000 {
            if CALLERS
                .iter()
                .take(threads as usize)
                .all(|c| c.calls.get() > 0)
                || interrupted()
            {
                break;
            }
            fsleep(Delta::from_millis(1));
        }
        for i in 0..p.flips {
            if STOP.load(Relaxed) || interrupted() {
                report.stopped = true;
                report.interrupted = !STOP.load(Relaxed);
                break;
            }
            let mut st = ctl.state.lock();
            let (cb, path) = p.scenario.flipped();
            if i % 2 == 0 {
                st.add_callback(&ctl.syms, cb, path)?;
            } else {
                st.remove_callback(&ctl.syms, cb)?;
            }
            report.flips += 1;
            // Every site of every batch must hold its new state, or the next flip's verify
            // refuses: the run ends here, judged.
            if st.engine.on_our_site() {
                let (bad, first) = site::entries_not_in(st.site, st.sites);
                if bad > 0 {
                    (report.unwritten, report.first_unwritten) = (bad as u64, first);
                    break;
                }
            }
        }
        // Before the restoring flip, which is not the run's.
        report.syncs = syncs_counted(p.engine).then(|| stats::SYNCS.get());
        drop(callers);
        drop(observer);
        Ok(())
    })();
    let restored = ctl.state.lock().end_torture(&ctl.syms, saved);
    if let Err(e) = result {
        // Verdict `none`: a run that broke off on an error is judged by nobody.
        ctl.state.lock().finish_torture(report);
        return Err(e);
    }

    report.calls = sum(|c| &c.calls);
    report.v1 = sum(|c| &c.v1);
    report.v2 = sum(|c| &c.v2);
    report.missed = match p.scenario {
        Scenario::Livepatch => report.v1,
        Scenario::Observer | Scenario::NoRegs | Scenario::Direct => 0,
    };
    report.corrupt = sum(|c| &c.corrupt);
    report.wrong_site = sum(|c| &c.wrong_site);
    if p.scenario == Scenario::Livepatch {
        report.worst_site = V1_AT
            .iter()
            .map(Counter::get)
            .enumerate()
            .take(count)
            .max_by_key(|&(_, n)| n)
            .filter(|&(_, n)| n > 0);
    }
    let kernel_max = (p.engine == Engine::Kernel).then_some(sites::BATCH_DEFAULT);
    report.batches = verdict::batches_of(report.flips, count, batch, kernel_max);
    report.calls_in_flip = sum(|c| &c.in_flip);
    report.cb_livepatch = crate::callbacks::HITS[policy::LIVEPATCH].get();
    report.cb_counter = crate::callbacks::HITS[policy::COUNTER].get();
    report.cb_probe1 = crate::callbacks::HITS[policy::PROBE1].get();
    // What the scenario registers: the live patch (`livepatch` only) and the callback that
    // comes and goes. Anything else that ran was called by a wrong path.
    let (flipped, _) = p.scenario.flipped();
    let lp = if p.scenario == Scenario::Livepatch {
        1 << policy::LIVEPATCH
    } else {
        0
    };
    report.cb_unregistered = (0..policy::CALLBACKS.len())
        .filter(|&cb| (lp | 1 << flipped) & (1 << cb) == 0)
        .map(|cb| crate::callbacks::HITS[cb].get())
        .sum();
    for pol in Emulation::ALL {
        report.emulated[pol as usize] = traced::emulated_by(pol);
    }
    for d in Direction::ALL {
        report.by_direction[d as usize] = by_target(p.emulation, d.to());
    }
    report.int3_hits = stats::INT3_HITS.get();
    report.stale_int3 = stats::STALE_INT3.get();
    report.rewinds_gone = stats::REWINDS_GONE.get();
    report.rewinds_flip = stats::REWINDS_FLIP.get();
    report.int3_foreign = stats::INT3_FOREIGN.get();
    (report.window_ns_avg, report.window_ns_max) = crate::site::window_stats();
    report.snapshots = SNAPSHOTS.get();
    report.snapshots_in_flip = SNAPSHOTS_IN_FLIP.get();
    report.snapshots_int3 = SNAPSHOTS_INT3.get();
    report.illegal = ILLEGAL.get();
    if report.illegal != 0 {
        let [seen, old, new] = FIRST_ILLEGAL
            .each_ref()
            .map(|w| site::unpack(w.load(Relaxed)));
        report.first_illegal = Some(Illegal { seen, old, new });
    }
    report.broken = verdict::broken(&report, p.engine, p.emulation);
    report.verdict = verdict::verdict(&report);
    // The site stays ours until the report is in: no other run can start, reset the counters
    // read above or see a stale report beside `running: no`.
    ctl.state.lock().finish_torture(report);
    // A run judged, whose site could not be restored (end_torture said why): the report
    // stands, and the write fails with the restore's error.
    restored?;
    Ok(report)
}

/// Whether syncs are counted on `engine`: the module engine counts its own; the kernel
/// engine's are counted by a kprobe (`sync_probe.rs`), placed while more than one site
/// follows the state.
pub(super) fn syncs_counted(engine: Engine) -> bool {
    engine == Engine::Module || (engine == Engine::Kernel && crate::sys::sync_probe::counting())
}

/// `emulation`'s hits in flips to a `to` site, folded onto the torture's targets.
fn by_target(emulation: Emulation, to: StateKind) -> ByTarget {
    let mut out = ByTarget::default();
    for (t, n) in traced::emulated_to(emulation, to).into_iter().enumerate() {
        let target = match t {
            t if t == policy::LIVEPATCH => Target::Livepatch,
            t if t == policy::COUNTER => Target::Counter,
            t if t == policy::STUB_NOREGS + policy::COUNTER => Target::NoRegs,
            t if t == policy::STUB_DIRECT + policy::PROBE1 => Target::Direct,
            policy::STUB_ITERATOR => Target::Iterator,
            policy::STUB_SKIP => Target::Skip,
            _ => Target::Elsewhere,
        };
        out[target as usize] += n;
    }
    out
}
