// SPDX-License-Identifier: GPL-2.0
//! Timed runs for `make bench`: calls of the plain and of the traced function, calls
//! emulated from our int3, and flips. Every run checks what it timed (each result's tag,
//! each trap), so a number never comes from a path that did not run. Under QEMU's
//! `-icount shift=0` one guest nanosecond is one instruction: the numbers are counts.

use crate::{
    callbacks,
    command::{BenchCmd, BenchWhat},
    control::State,
    policy::{self, Engine, SiteState},
    site, stats,
    symbols::KernelSyms,
    traced,
};
use kernel::{
    prelude::*,
    time::{Instant, Monotonic},
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
}

/// Runs `calls(n)`, an asm loop that calls a function for x = n..1 and sums the results,
/// and returns the nanoseconds it took; `EIO` unless every call returned `x + tag` (the
/// tags are 0x100 apart, so a call through the wrong body changes the sum).
fn time_calls(n: u64, tag: u64, calls: fn(u64) -> u64) -> Result<i64> {
    let start = Instant::<Monotonic>::now();
    let sum = calls(n);
    let ns = start.elapsed().as_nanos();
    let want = tag.wrapping_mul(n).wrapping_add(n.wrapping_mul(n.wrapping_add(1)) / 2);
    if sum != want {
        pr_err!("bench: {} calls returned the wrong body (sum {:#x}, expected {:#x})\n", n, sum, want);
        return Err(EIO);
    }
    Ok(ns)
}

impl State {
    /// Runs one timed benchmark on the site as it is now (set it up with the other files).
    pub(crate) fn bench(&mut self, syms: &KernelSyms, cmd: BenchCmd) -> Result<Report> {
        self.idle("bench")?;
        let mask = callbacks::registered();
        let tag = if policy::patches(self.site, mask) { traced::V2_TAG } else { traced::V1_TAG };
        let mut report = Report {
            what: Some(cmd.what),
            state: Some(self.site),
            callbacks: mask.count_ones(),
            engine: Some(self.engine),
            n: cmd.n,
            ns: 0,
        };
        report.ns = match cmd.what {
            BenchWhat::Plain => time_calls(cmd.n, traced::V1_TAG, traced::loop_plain)?,
            BenchWhat::Calls => time_calls(cmd.n, tag, traced::loop_traced)?,
            BenchWhat::Emulated => {
                report.engine = Some(Engine::Module);
                self.time_emulated(syms, cmd.n, tag)?
            }
            BenchWhat::Flips => {
                report.n = 2 * cmd.n;
                self.time_flips(syms, cmd.n)?
            }
        };
        self.last_bench = report;
        Ok(report)
    }

    /// `n` calls while the module engine holds its int3 in the site; `EIO` unless each trapped.
    fn time_emulated(&mut self, syms: &KernelSyms, n: u64, tag: u64) -> Result<i64> {
        let hits = stats::INT3_HITS.get();
        let mut timed = Err(EIO);
        site::hold_int3(syms, self.site, || timed = time_calls(n, tag, traced::loop_traced))?;
        let ns = timed?;
        let trapped = stats::INT3_HITS.get().wrapping_sub(hits);
        if trapped != n {
            pr_err!("bench: {} of {} calls trapped on the int3\n", trapped, n);
            return Err(EIO);
        }
        Ok(ns)
    }

    /// `n` round trips of the site to NOP and back, with the current engine.
    fn time_flips(&mut self, syms: &KernelSyms, n: u64) -> Result<i64> {
        let back = self.site;
        if back == SiteState::Nop {
            pr_warn!("bench: flips needs a callback registered (the site goes to nop and back)\n");
            return Err(EINVAL);
        }
        let start = Instant::<Monotonic>::now();
        for _ in 0..n {
            let trip = self.go(syms, SiteState::Nop).and_then(|()| self.go(syms, back));
            if let Err(e) = trip {
                // Put the site back where it was, so the state stays as it was.
                if let Err(again) = self.go(syms, back) {
                    pr_err!("bench: the site could not go back after a failed flip: {:?}\n", again);
                }
                return Err(e);
            }
        }
        Ok(start.elapsed().as_nanos())
    }
}
