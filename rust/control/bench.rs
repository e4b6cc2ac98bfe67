// SPDX-License-Identifier: GPL-2.0
//! Timed runs for `make bench`: calls of the plain and of the traced function, calls
//! emulated from our int3, and flips. Every run checks what it timed (each result's tag,
//! each trap), so a number never comes from a path that did not run. Under QEMU's
//! `-icount shift=0` one guest nanosecond is one instruction: the numbers are counts.

use super::{
    interrupted,
    Control, //
};
use crate::{
    callbacks,
    command::{
        BenchCmd,
        BenchWhat, //
        File,
    },
    policy::{
        self,
        Engine,
        SiteState, //
    },
    site,
    stats,
    sys::symbols::KernelSyms,
    traced, //
};
use kernel::{
    prelude::*,
    time::{
        Instant,
        Monotonic, //
    }, //
};

/// What the latest write to `bench` timed.
#[derive(Default, Clone, Copy)]
pub(crate) struct Report {
    pub(crate) what: Option<BenchWhat>,
    pub(crate) state: Option<SiteState>,
    pub(crate) callbacks: u32,
    pub(crate) engine: Option<Engine>,
    /// Calls, or flips (two per round trip to NOP and back).
    pub(crate) n: u64,
    pub(crate) ns: i64,
    /// Module engine: how long the int3 stood per flip or hold, measured (mean).
    pub(crate) window_ns: u64,
}

/// Calls per timed chunk: a signal is checked between chunks, never inside the timed loop.
const CHUNK: u64 = 1 << 16;

/// Runs `calls(k)`, an asm loop that calls a function for x = k..1 and sums the results, over
/// chunks of `n`, and returns the nanoseconds the calls took; `EIO` unless every call
/// returned `x + tag` (the tags are 0x100 apart, so a call through the wrong body changes the
/// sum), `EINTR` if a signal came between two chunks.
fn time_calls(n: u64, tag: u64, calls: fn(u64) -> u64) -> Result<i64> {
    let (mut done, mut ns) = (0, 0);
    while done < n {
        if done > 0 && interrupted() {
            pr_info!(
                "bench: interrupted by a signal after {} of {} calls\n",
                done,
                n
            );
            return Err(EINTR);
        }
        let k = (n - done).min(CHUNK);
        let start = Instant::<Monotonic>::now();
        let sum = calls(k);
        ns += start.elapsed().as_nanos();
        let want = tag
            .wrapping_mul(k)
            .wrapping_add(k.wrapping_mul(k.wrapping_add(1)) / 2);
        if sum != want {
            pr_err!(
                "bench: {} calls returned the wrong body (sum {:#x}, expected {:#x})\n",
                k,
                sum,
                want
            );
            return Err(EIO);
        }
        done += k;
    }
    Ok(ns)
}

/// Runs one timed benchmark on the site as it is now (set it up with the other files). The
/// write claims the site and runs without the control mutex.
pub(crate) fn run(ctl: &Control, cmd: BenchCmd) -> Result<Report> {
    let _claim = ctl.claim(File::Bench)?;
    let (site, engine) = {
        let st = ctl.state.lock();
        (st.site, st.engine)
    };
    let mask = callbacks::registered();
    let tag = if policy::patches(site, mask) {
        traced::V2_TAG
    } else {
        traced::V1_TAG
    };
    let mut report = Report {
        what: Some(cmd.what),
        state: Some(site),
        callbacks: mask.count_ones(),
        engine: Some(engine),
        n: cmd.n,
        ns: 0,
        window_ns: 0,
    };
    let windows = (site::WINDOW_NS_SUM.get(), site::WINDOWS.get());
    report.ns = match cmd.what {
        BenchWhat::Plain => time_calls(cmd.n, traced::V1_TAG, traced::loop_plain)?,
        BenchWhat::Calls if engine == Engine::Ftrace => {
            time_calls(cmd.n, tag, traced::loop_ftraced)?
        }
        BenchWhat::Calls => time_calls(cmd.n, tag, traced::loop_traced)?,
        BenchWhat::Emulated if !engine.on_our_site() => {
            pr_warn!("bench: emulated runs on our own site: choose another engine than ftrace\n");
            return Err(EINVAL);
        }
        BenchWhat::Emulated => {
            report.engine = Some(Engine::Module);
            time_emulated(&ctl.syms, site, cmd.n, tag)?
        }
        BenchWhat::Flips => {
            report.n = 2 * cmd.n;
            time_flips(ctl, site, cmd.n)?
        }
    };
    let n = site::WINDOWS.get().wrapping_sub(windows.1);
    if n > 0 {
        report.window_ns = site::WINDOW_NS_SUM.get().wrapping_sub(windows.0) / n;
    }
    ctl.state.lock().last_bench = report;
    Ok(report)
}

/// `n` calls while the module engine holds its int3 in the site; `EIO` unless each trapped.
fn time_emulated(syms: &KernelSyms, site: SiteState, n: u64, tag: u64) -> Result<i64> {
    let hits = stats::INT3_HITS.get();
    let mut timed = Err(EIO);
    site::hold_int3(syms, site, || {
        timed = time_calls(n, tag, traced::loop_traced)
    })?;
    let ns = timed?;
    let trapped = stats::INT3_HITS.get().wrapping_sub(hits);
    if trapped != n {
        pr_err!("bench: {} of {} calls trapped on the int3\n", trapped, n);
        return Err(EIO);
    }
    Ok(ns)
}

/// `n` round trips of the site to NOP and back, with the current engine; a signal ends the
/// run between two round trips, with the site where it was. On `ftrace`, where registering
/// ops is the flip, a round trip unregisters the last callback's op and registers it again:
/// custom -> NOP -> custom with one op, iterator -> custom -> iterator with more.
fn time_flips(ctl: &Control, back: SiteState, n: u64) -> Result<i64> {
    if back == SiteState::Nop {
        pr_warn!("bench: flips needs a callback registered (the site goes to nop and back)\n");
        return Err(EINVAL);
    }
    let mut ns = 0;
    for i in 0..n {
        if interrupted() {
            pr_info!(
                "bench: interrupted by a signal after {} of {} round trips\n",
                i,
                n
            );
            return Err(EINTR);
        }
        let mut st = ctl.state.lock();
        let start = Instant::<Monotonic>::now();
        let trip = if st.engine == Engine::Ftrace {
            let mask = callbacks::registered();
            let cb = 31 - mask.leading_zeros() as usize;
            st.ftrace_flip(cb, mask & !(1 << cb))
                .and_then(|()| st.ftrace_flip(cb, mask))
        } else {
            st.go(&ctl.syms, SiteState::Nop)
                .and_then(|()| st.go(&ctl.syms, back))
        };
        ns += start.elapsed().as_nanos();
        if let Err(e) = trip {
            // Put the site back where it was, so the state stays as it was (on ftrace, the
            // op that failed to come back is not registered: the state says so).
            if st.engine == Engine::Ftrace {
                return Err(e);
            }
            if let Err(again) = st.go(&ctl.syms, back) {
                pr_err!(
                    "bench: the site could not go back after a failed flip: {:?}\n",
                    again
                );
            }
            return Err(e);
        }
    }
    Ok(ns)
}
