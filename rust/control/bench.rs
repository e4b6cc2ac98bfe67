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
    /// The sites each flip rewrote, or that `emulated_sites` held (`sites` file's count).
    pub(crate) sites: usize,
    /// CPU syncs the run made, on the module engine and (counted by a kprobe, while more
    /// than one site follows the state) the kernel's; `None` where nothing counted them.
    pub(crate) syncs: Option<u64>,
    /// `emulated_sites`: the same calls with no int3 in the way.
    pub(crate) base_ns: i64,
    /// Module engine: of `ns`, the time in syncs and in writes (`text_poke`).
    pub(crate) sync_ns: u64,
    pub(crate) write_ns: u64,
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
    let (site, engine, sites) = {
        let st = ctl.state.lock();
        (st.site, st.engine, st.sites)
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
        sites,
        base_ns: 0,
        syncs: None,
        sync_ns: 0,
        write_ns: 0,
    };
    let windows = (site::WINDOW_NS_SUM.get(), site::WINDOWS.get());
    let ran_before: [u64; policy::CALLBACKS.len()] =
        core::array::from_fn(|cb| callbacks::HITS[cb].get());
    // Before the run: what it adds to each is its own.
    let spent = [&stats::SYNCS, &site::SYNC_NS, &site::WRITE_NS].map(|c| c.get());
    report.ns = match cmd.what {
        BenchWhat::Plain => time_calls(cmd.n, traced::V1_TAG, traced::loop_plain)?,
        BenchWhat::PlainDirect => time_calls(cmd.n, traced::V1_TAG, traced::loop_plain_direct)?,
        BenchWhat::FtraceDirect => {
            if engine == Engine::Ftrace && mask != 0 {
                pr_warn!(
                    "bench: ftrace_direct needs the site ftrace owns without our ops: remove every callback first\n"
                );
                return Err(EBUSY);
            }
            let probe1 = traced::callee(SiteState::Direct(policy::PROBE1)).ok_or(EINVAL)?;
            // SAFETY: probe1's direct entry keeps every register but the flags, returns, and
            // lives as long as the module; the bench claim allows one bench write at a time,
            // so no other direct call of ours is attached.
            let _direct = unsafe { crate::sys::ftrace::DirectCall::attach(probe1)? };
            time_calls(cmd.n, traced::V1_TAG, traced::loop_ftraced)?
        }
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
        BenchWhat::EmulatedSites => {
            report.engine = Some(Engine::Module);
            let (ns, base_ns, calls) = time_emulated_sites(&ctl.syms, site, sites, cmd.n, tag)?;
            (report.n, report.base_ns) = (calls, base_ns);
            ns
        }
        BenchWhat::Flips => {
            report.n = 2 * cmd.n;
            time_flips(ctl, site, cmd.n)?
        }
    };
    // The callbacks each timed call ran: those its path runs, once each, and no other.
    let runs = |cb: usize| match cmd.what {
        BenchWhat::Calls => policy::runs(site, mask, cb),
        BenchWhat::PlainDirect | BenchWhat::FtraceDirect => cb == policy::PROBE1,
        _ => false,
    };
    let timed_calls = matches!(
        cmd.what,
        BenchWhat::Plain | BenchWhat::PlainDirect | BenchWhat::Calls | BenchWhat::FtraceDirect
    );
    for (cb, before) in ran_before.into_iter().enumerate() {
        let ran = callbacks::HITS[cb].get().wrapping_sub(before);
        let want = if runs(cb) { cmd.n } else { 0 };
        if timed_calls && ran != want {
            pr_err!(
                "bench: {} ran {} times in {} calls, expected {}\n",
                policy::CALLBACKS[cb],
                ran,
                cmd.n,
                want
            );
            return Err(EIO);
        }
    }
    let counters = [&stats::SYNCS, &site::SYNC_NS, &site::WRITE_NS];
    let [syncs, sync_ns, write_ns] =
        core::array::from_fn(|i| counters[i].get().wrapping_sub(spent[i]));
    (report.sync_ns, report.write_ns) = (sync_ns, write_ns);
    report.syncs = super::torture::syncs_counted(engine).then_some(syncs);
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
    site::hold_int3(syms, site, 0..1, || {
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

/// At least `n` calls of the table's sites 1..`sites` (sweeps of them all), first as the
/// sites are, then while the module engine holds an int3 in each: every call traps, and the
/// handler finds its site among `sites - 1`. Returns both times and the calls; the
/// difference is what the traps cost, whatever a sweep costs per call at that size. `EIO`
/// unless each trapped and every result came from its site's expected body; `EINVAL` with
/// fewer than two sites (the table starts at entry 1).
fn time_emulated_sites(
    syms: &KernelSyms,
    site: SiteState,
    sites: usize,
    n: u64,
    tag: u64,
) -> Result<(i64, i64, u64)> {
    if sites < 2 {
        pr_warn!(
            "bench: emulated_sites needs sites count=2 or more (entry 0 is not in the table)\n"
        );
        return Err(EINVAL);
    }
    let mut results = KVec::from_elem(0u64, sites - 1, GFP_KERNEL)?;
    let per_sweep = (sites - 1) as u64;
    let sweeps = n.div_ceil(per_sweep);
    // The sweeps, timed as one; each result checked inside (the same work in both runs).
    let mut time_sweeps = || {
        let mut right = true;
        let start = Instant::<Monotonic>::now();
        for x in 0..sweeps {
            traced::sweep(x, &mut results);
            right &= results
                .iter()
                .enumerate()
                .all(|(k, &r)| r.wrapping_sub(x) == tag + (k as u64 + 1) * crate::sites::TAG);
        }
        (start.elapsed().as_nanos(), right)
    };
    let (base_ns, base_right) = time_sweeps();
    let hits = stats::INT3_HITS.get();
    let mut timed = None;
    site::hold_int3(syms, site, 1..sites, || timed = Some(time_sweeps()))?;
    let (ns, right) = timed.ok_or(EIO)?;
    let calls = sweeps * per_sweep;
    let trapped = stats::INT3_HITS.get().wrapping_sub(hits);
    if !right || !base_right || trapped != calls {
        pr_err!(
            "bench: {} of {} calls trapped on the int3; results {}\n",
            trapped,
            calls,
            if right && base_right {
                "right"
            } else {
                "wrong"
            }
        );
        return Err(EIO);
    }
    Ok((ns, base_ns, calls))
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
