// SPDX-License-Identifier: GPL-2.0
//! The torture: one kthread per CPU calls the traced function in a tight loop and checks
//! every result, while the writer of `torture` flips the site between the custom and the
//! iterator trampoline (the live patch stays registered; a second callback comes and goes:
//! the seed scenario). At the end every call is accounted for and the invariants checked.
//!
//! The guest kernel is fully preemptible, where `cond_resched()` is a no-op (and has no
//! binding); the callers are preempted like any task.

use super::{interrupted, Busy, Control};
use crate::{
    command::TortureParams,
    kthread::{Kthread, Running, ThreadFn},
    policy::{self, Mode, Policy},
    stats::{self, Counter},
    traced,
    verdict::{self, Report},
};
use kernel::{
    cpu::CpuId,
    prelude::*,
    sync::atomic::{AtomicFlag, Relaxed},
    time::{delay::fsleep, Delta},
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
    if st.busy == Some(Busy::Torture) {
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
}

const MAX: usize = crate::command::MAX_THREADS as usize;
static CALLERS: [CallerStats; MAX] = [const {
    CallerStats {
        calls: Counter::new(),
        v1: Counter::new(),
        v2: Counter::new(),
        corrupt: Counter::new(),
    }
}; MAX];

/// A caller kthread: call, check, repeat, until told to stop. Its `data` is the index of its
/// `CALLERS` slot.
struct Caller;

impl ThreadFn for Caller {
    fn run(thread: &Running, data: usize) {
        let me = &CALLERS[data % MAX];
        let mut x: u64 = 0;
        while !thread.should_stop() {
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
    }
}

/// Started caller threads; each is stopped (and released) when dropped, whatever happens.
struct Callers(KVec<Kthread>);

impl Callers {
    fn start(n: u32) -> Result<Self> {
        let mut tasks = Callers(KVec::with_capacity(n as usize, GFP_KERNEL)?);
        let cpus = kernel::cpu::nr_cpu_ids().max(1);
        for i in 0..n {
            let cpu = CpuId::from_u32(i % cpus).ok_or(EINVAL)?;
            let task = match Kthread::start::<Caller>(c"int3call-call", i, i as usize, cpu) {
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

/// Runs one torture; returns the report (with its verdict), also kept for `cat torture`, or
/// an error if it could not run.
pub(crate) fn run(ctl: &Control, p: &TortureParams) -> Result<Report> {
    let threads = if p.threads == 0 {
        kernel::cpu::nr_cpu_ids().min(crate::command::MAX_THREADS)
    } else {
        p.threads
    };
    let saved = ctl.state.lock().begin_torture(&ctl.syms, p)?;
    CALLERS.iter().for_each(|c| {
        [&c.calls, &c.v1, &c.v2, &c.corrupt]
            .iter()
            .for_each(|k| k.reset())
    });
    let mut report = Report {
        engine: Some(p.engine),
        policy: Some(p.policy),
        busted: p.busted,
        threads,
        window_us: p.window_us,
        ..Default::default()
    };

    let result = (|| -> Result {
        let callers = match Callers::start(threads) {
            Err(e) if e == EINTR => {
                (report.stopped, report.interrupted) = (true, true);
                return Ok(());
            }
            r => r?,
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
    if let Err(e) = result {
        ctl.state.lock().finish_torture(None);
        return Err(e);
    }

    report.calls = sum(|c| &c.calls);
    report.v2 = sum(|c| &c.v2);
    report.missed = sum(|c| &c.v1);
    report.corrupt = sum(|c| &c.corrupt);
    report.cb_livepatch = crate::callbacks::HITS[policy::LIVEPATCH].get();
    report.cb_counter = crate::callbacks::HITS[policy::COUNTER].get();
    for pol in Policy::ALL {
        report.emulated[pol as usize] = traced::emulated_by(pol);
    }
    report.to_custom = by_target(p.policy, Mode::Custom);
    report.to_iterator = by_target(p.policy, Mode::Iterator);
    // Flips to a NOP (only the restoring one, after the callers stopped) have no target here.
    report.to_iterator[verdict::T_ELSEWHERE] +=
        traced::emulated_to(p.policy, Mode::Nop).iter().sum::<u64>();
    report.int3_hits = stats::INT3_HITS.get();
    report.stale_int3 = stats::STALE_INT3.get();
    report.rewinds_gone = stats::REWINDS_GONE.get();
    report.rewinds_flip = stats::REWINDS_FLIP.get();
    report.int3_foreign = stats::INT3_FOREIGN.get();
    (report.window_ns_avg, report.window_ns_max) = crate::site::window_stats();
    report.broken = verdict::broken(&report, p.engine, p.policy);
    report.verdict = verdict::verdict(&report);
    // The site stays ours until the report is in: no other run can start, reset the counters
    // read above or see a stale report beside `running: no`.
    ctl.state.lock().finish_torture(Some(report));
    Ok(report)
}

/// `policy`'s hits in flips to a `to` site, folded onto the torture's targets.
fn by_target(policy: Policy, to: Mode) -> [u64; 4] {
    let mut out = [0; 4];
    for (t, n) in traced::emulated_to(policy, to).into_iter().enumerate() {
        let slot = match t {
            t if t == policy::LIVEPATCH => verdict::T_LIVEPATCH,
            policy::STUB_ITERATOR => verdict::T_ITERATOR,
            policy::STUB_SKIP => verdict::T_SKIP,
            _ => verdict::T_ELSEWHERE,
        };
        out[slot] += n;
    }
    out
}
