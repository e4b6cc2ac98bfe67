// SPDX-License-Identifier: GPL-2.0
//! The torture: one kthread per CPU calls the traced function in a tight loop and checks
//! every result, while the writer of `torture` flips the site between the custom and the
//! iterator trampoline (the live patch stays registered; a second callback comes and goes:
//! the seed scenario). At the end every call is accounted for and the invariants checked.
//!
//! The guest kernel is fully preemptible, where `cond_resched()` is a no-op (and has no
//! binding); the callers are preempted like any task.

use crate::{
    command::TortureParams,
    control::Control,
    policy::{self, Engine, Policy},
    stats,
    traced,
};
use core::ffi::{c_int, c_void};
use crate::control::interrupted;
use kernel::{
    bindings,
    prelude::*,
    sync::atomic::{AtomicFlag, Relaxed},
    time::{delay::fsleep, Delta},
};

use crate::stats::Counter;

/// Set by `stop` (under the control mutex, only while a run is visible): the flipper ends
/// early. Cleared by `begin_torture`, under the same mutex.
pub(crate) static STOP: AtomicFlag = AtomicFlag::new(false);

/// Per caller thread: calls and results, published every batch.
struct CallerStats {
    calls: Counter,
    v1: Counter,
    v2: Counter,
    corrupt: Counter,
}

const MAX: usize = crate::command::MAX_THREADS as usize;
static CALLERS: [CallerStats; MAX] = [const {
    CallerStats { calls: Counter::new(), v1: Counter::new(), v2: Counter::new(), corrupt: Counter::new() }
}; MAX];

/// What a run saw, and its verdict.
#[derive(Clone, Copy, Default)]
pub(crate) struct Report {
    pub(crate) engine: Option<Engine>,
    pub(crate) policy: Option<Policy>,
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
    /// Module engine: hits our die notifier emulated.
    pub(crate) int3_hits: u64,
    /// Hits sent back to the site, by cause, and int3s at the site that no flip owned.
    pub(crate) stale_int3: u64,
    pub(crate) rewinds_gone: u64,
    pub(crate) rewinds_flip: u64,
    pub(crate) int3_foreign: u64,
    /// Module engine: how long the int3 really stood per flip (mean, longest).
    pub(crate) window_ns_avg: u64,
    pub(crate) window_ns_max: u64,
    /// `stop` or a signal ended the run before its last flip.
    pub(crate) stopped: bool,
    pub(crate) interrupted: bool,
    pub(crate) verdict: Verdict,
}

#[derive(Clone, Copy, Default, PartialEq, Eq)]
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

/// A caller kthread: call, check, repeat, until told to stop.
///
/// # Safety
///
/// Started by [`run`] only, with `data` the index of its `CALLERS` slot.
unsafe extern "C" fn caller(data: *mut c_void) -> c_int {
    let me = &CALLERS[data as usize % MAX];
    let mut x: u64 = 0;
    // SAFETY: called from a kthread, as `kthread_should_stop` requires.
    while !unsafe { bindings::kthread_should_stop() } {
        let (mut v1, mut v2, mut bad) = (0, 0, 0);
        for _ in 0..256 {
            match traced::call_traced(x).wrapping_sub(x) {
                traced::V1_TAG => v1 += 1,
                traced::V2_TAG => v2 += 1,
                _ => bad += 1,
            }
            x = x.wrapping_add(1);
        }
        me.calls.add(256);
        me.v1.add(v1);
        me.v2.add(v2);
        me.corrupt.add(bad);
    }
    0
}

/// Started caller threads; stopped (and released) when dropped, whatever happens.
struct Callers(KVec<*mut bindings::task_struct>);

impl Callers {
    fn start(n: u32) -> Result<Self> {
        let mut tasks = Callers(KVec::with_capacity(n as usize, GFP_KERNEL)?);
        let cpus = kernel::cpu::nr_cpu_ids().max(1);
        for i in 0..n {
            // SAFETY: `caller` matches the kthread function type and `i` is passed by value;
            // the name format takes one unsigned int.
            let task = unsafe {
                bindings::kthread_create_on_node(
                    Some(caller),
                    i as usize as *mut c_void,
                    bindings::NUMA_NO_NODE,
                    c"int3call-call/%u".as_ptr().cast(),
                    i as core::ffi::c_uint,
                )
            };
            if kernel::error::from_err_ptr(task).is_err() {
                pr_err!("torture: cannot start caller thread {}\n", i);
                return Err(ENOMEM);
            }
            // SAFETY: `task` is a new, not yet woken kthread; we hold a reference (dropped in
            // `Drop` after `kthread_stop`) so stopping it is safe even if it exits first.
            unsafe {
                bindings::get_task_struct(task);
                bindings::kthread_bind(task, i % cpus);
                bindings::wake_up_process(task);
            }
            tasks.0.push(task, GFP_KERNEL)?;
        }
        Ok(tasks)
    }
}

impl Drop for Callers {
    fn drop(&mut self) {
        for &task in self.0.iter() {
            // SAFETY: each task was started by `start`, which holds a reference to it.
            unsafe {
                bindings::kthread_stop(task);
                bindings::put_task_struct(task);
            }
        }
    }
}

fn sum(f: impl Fn(&CallerStats) -> &Counter) -> u64 {
    CALLERS.iter().map(|c| f(c).get()).sum()
}

/// Runs one torture; returns the report (with its verdict) or an error if it could not run.
pub(crate) fn run(ctl: &Control, p: &TortureParams) -> Result<Report> {
    let threads = if p.threads == 0 { kernel::cpu::nr_cpu_ids().min(crate::command::MAX_THREADS) } else { p.threads };
    let saved = ctl.state.lock().begin_torture(&ctl.syms, p)?;
    CALLERS.iter().for_each(|c| [&c.calls, &c.v1, &c.v2, &c.corrupt].iter().for_each(|k| k.reset()));
    let mut report = Report { engine: Some(p.engine), policy: Some(p.policy), threads, window_us: p.window_us, ..Default::default() };

    let result = (|| -> Result {
        let callers = Callers::start(threads)?;
        // Flip only once every caller is calling (bounded: 10 s, or a signal).
        for _ in 0..10_000 {
            if CALLERS.iter().take(threads as usize).all(|c| c.calls.get() > 0) || interrupted() {
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
            if i % 2 == 0 {
                st.add_callback(&ctl.syms, policy::COUNTER)?;
            } else {
                st.remove_callback(&ctl.syms, policy::COUNTER)?;
            }
            report.flips += 1;
        }
        drop(callers);
        Ok(())
    })();
    ctl.state.lock().end_torture(&ctl.syms, saved);
    result?;

    report.calls = sum(|c| &c.calls);
    report.v2 = sum(|c| &c.v2);
    report.missed = sum(|c| &c.v1);
    report.corrupt = sum(|c| &c.corrupt);
    report.cb_livepatch = crate::callbacks::HITS[policy::LIVEPATCH].get();
    report.cb_counter = crate::callbacks::HITS[policy::COUNTER].get();
    for pol in Policy::ALL {
        report.emulated[pol as usize] = traced::emulated_by(pol);
    }
    report.int3_hits = stats::INT3_HITS.get();
    report.stale_int3 = stats::STALE_INT3.get();
    report.rewinds_gone = stats::REWINDS_GONE.get();
    report.rewinds_flip = stats::REWINDS_FLIP.get();
    report.int3_foreign = stats::INT3_FOREIGN.get();
    (report.window_ns_avg, report.window_ns_max) = crate::site::window_stats();
    report.verdict = judge(&report, p);
    Ok(report)
}

/// The invariants. Every call ran v1 or v2; the live patch ran exactly once per v2; every
/// emulation went through the run's policy; on the module engine our notifier's hits equal
/// the emulations. With `new`/`old` nothing is missed; with `nop` exactly the skipped hits
/// are missed, and some are.
fn judge(r: &Report, p: &TortureParams) -> Verdict {
    let hits: u64 = r.emulated.iter().sum();
    let other_policies = hits - r.emulated[p.policy as usize];
    let mut ok = r.corrupt == 0
        && r.calls == r.v2 + r.missed
        && r.cb_livepatch == r.v2
        && other_policies == 0
        && (p.engine == Engine::Kernel || r.int3_hits == hits);
    ok &= match p.policy {
        Policy::New | Policy::Old => r.missed == 0,
        Policy::Nop => r.missed == r.emulated[Policy::Nop as usize] && (hits == 0 || r.missed > 0),
    };
    if !ok {
        Verdict::Fail
    } else if r.stopped {
        Verdict::Stopped
    } else if hits == 0 {
        Verdict::Inconclusive
    } else {
        Verdict::Pass
    }
}
