// SPDX-License-Identifier: GPL-2.0
//! The control state the debugfs files act on, and the operations on it. One mutex
//! serialises every writer and every flip, and is only ever held briefly: a long write
//! (`call`, `bench`, `torture`) *claims* the site under it, runs without it, and checks for
//! a signal as it goes. Nothing here runs on the int3 path.

pub(crate) mod bench;
pub(crate) mod torture;

use crate::{
    callbacks,
    command::{
        File,
        TortureParams, //
    },
    injected,
    policy::{
        self,
        Emulation,
        Engine,
        SiteState,
        StateKind, //
    },
    site::{
        self,
        Expect,
        Flip, //
    },
    sites::Body,
    stats,
    sys::{
        notifier::DieNotifier,
        symbols::KernelSyms,
        sync_probe,
        unwind, //
    },
    traced,
    verdict::Scenario, //
};
use kernel::{
    new_mutex,
    prelude::*,
    sync::{
        lock::{
            mutex::MutexBackend,
            Guard, //
        },
        Mutex, //
    },
    time::Delta, //
};

/// Everything a writer may change. The fields are this module's and its children's
/// (`bench`, `torture`); everyone else reads them through the accessors and changes them
/// through the operations below.
pub(crate) struct State {
    site: SiteState,
    /// `Some` while `mode` pins the site; a callback change goes back to ftrace's policy.
    forced: Option<StateKind>,
    engine: Engine,
    emulation: Emulation,
    /// Module engine: each protocol step is held open this long.
    window_us: u32,
    /// Entries `0..sites` follow the state (`sites.rs`), flipped `batch` at a time.
    sites: usize,
    batch: usize,
    /// Set by module exit once the site is restored: later writes are refused.
    closed: bool,
    /// What the latest write to `call` saw.
    last_call: CallReport,
    /// The long write that owns the site, by its file: other writers are refused.
    busy: Option<File>,
    /// What the latest torture run reported.
    last_torture: crate::verdict::Report,
    /// What the latest write to `bench` timed.
    last_bench: bench::Report,
}

/// Whether the writing task was sent a signal: every long write checks this as it goes and
/// ends with `-EINTR`, leaving the state consistent.
pub(crate) fn interrupted() -> bool {
    kernel::current!().signal_pending()
}

/// Proof that a long write owns the site; gives it back when dropped.
///
/// # Invariants
///
/// While it lives, `busy` in the control state is `Some`, set by [`Control::claim`] (the only
/// constructor) for this write: no other writer changes the site meanwhile.
pub(crate) struct Claim<'a>(&'a Control);

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.0.state.lock().busy = None;
    }
}

/// Settings a torture run borrows, given back when it ends.
pub(crate) struct Saved {
    engine: Engine,
    emulation: Emulation,
    window_us: u32,
    sites: usize,
    batch: usize,
}

/// Whether this kernel runs under a hypervisor (CPUID leaf 1, ECX bit 31: what sets the
/// kernel's X86_FEATURE_HYPERVISOR), where a torn instruction hurts only the guest.
fn on_a_hypervisor() -> bool {
    // SAFETY: `cpuid` is available on every x86-64 CPU and has no side effects.
    let leaf1 = unsafe { core::arch::x86_64::__cpuid(1) };
    leaf1.ecx & (1 << 31) != 0
}

/// Zeroes every counter. The caller holds the control mutex and has checked that no long
/// write runs, so no run's counters are zeroed under it.
fn reset_counters(_st: &State) {
    stats::ALL.iter().for_each(|(_, c)| c.reset());
    site::reset_window_stats();
    traced::EMUL_COUNTS.iter().for_each(|c| c.reset());
    callbacks::reset();
}

#[pin_data]
pub(crate) struct Control {
    pub(crate) syms: KernelSyms,
    pub(crate) notifier: DieNotifier,
    /// Changed only through a [`Gate`] (a short write), a [`Claim`] (a long write) or
    /// [`Control::close`]: `State`'s operations are private to this module and its children.
    #[pin]
    state: Mutex<State>,
}

/// The one gate for a write that changes the state: proof that the module is not unloading
/// and that no long write owns the site, with the control mutex held for the whole write.
/// Every state-changing operation a debugfs handler can reach is a method of `Gate` (or
/// starts with one, as [`Control::claim`] does), so no handler can skip the check.
///
/// # Invariants
///
/// `st` is the locked control state of `ctl`; when [`Control::gate`] (the only constructor)
/// made it, the state was not closed and no long write owned the site.
pub(crate) struct Gate<'a> {
    st: Guard<'a, State, MutexBackend>,
    ctl: &'a Control,
}

impl core::ops::Deref for Gate<'_> {
    type Target = State;

    fn deref(&self) -> &State {
        &self.st
    }
}

impl Gate<'_> {
    /// `mode`: force a state kind, or `None` to go back to ftrace's policy.
    pub(crate) fn set_mode(mut self, mode: Option<StateKind>) -> Result {
        self.st.set_mode(&self.ctl.syms, mode)
    }

    /// `callbacks`: `+name`.
    pub(crate) fn add_callback(mut self, cb: usize) -> Result {
        self.st.add_callback(&self.ctl.syms, cb, None)
    }

    /// `callbacks`: `-name`.
    pub(crate) fn remove_callback(mut self, cb: usize) -> Result {
        self.st.remove_callback(&self.ctl.syms, cb)
    }

    /// `engine`.
    pub(crate) fn set_engine(mut self, engine: Engine) -> Result {
        self.st.set_engine(engine)
    }

    /// `emulate`.
    pub(crate) fn set_emulation(mut self, emulation: Emulation) -> Result {
        self.st.set_emulation(emulation)
    }

    /// `sites`: how many entries follow the state, and how many a batch flips.
    pub(crate) fn set_sites(mut self, sites: usize, batch: usize) -> Result {
        self.st.set_sites(sites, batch)
    }

    /// `torture`: takes the site for a run (see [`State::begin_torture`]).
    fn begin_torture(mut self, p: &TortureParams) -> Result<Saved> {
        self.st.begin_torture(&self.ctl.syms, p)
    }

    /// `stats`: zeroes every counter. No run counts meanwhile: none owns the site, and
    /// none can start while the gate holds the mutex.
    pub(crate) fn reset_counters(self) {
        reset_counters(&self.st);
    }
}

impl Control {
    pub(crate) fn new(syms: KernelSyms, notifier: DieNotifier) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            syms,
            notifier,
            state <- new_mutex!(State {
                site: SiteState::Nop,
                forced: None,
                engine: Engine::Kernel,
                emulation: Emulation::New,
                window_us: 0,
                sites: 1,
                batch: crate::sites::BATCH_DEFAULT,
                closed: false,
                last_call: CallReport::default(),
                busy: None,
                last_torture: crate::verdict::Report::default(),
                last_bench: bench::Report::default(),
            }),
        }? Error)
    }

    /// The state, to read (its operations are not reachable from outside this module).
    pub(crate) fn lock(&self) -> Guard<'_, State, MutexBackend> {
        self.state.lock()
    }

    /// Opens the gate for a write to `file` that changes the state: `ENODEV` while the module
    /// unloads, `EBUSY` while a long write owns the site, each with a `pr_warn`.
    pub(crate) fn gate(&self, file: File) -> Result<Gate<'_>> {
        let st = self.state.lock();
        st.idle(file)?;
        // INVARIANT: `st` is our state, locked, and `idle` found it open with no owner.
        Ok(Gate { st, ctl: self })
    }

    /// Claims the site for the long write to `file`, through the gate.
    pub(crate) fn claim(&self, file: File) -> Result<Claim<'_>> {
        let mut gate = self.gate(file)?;
        gate.st.busy = Some(file);
        // INVARIANT: `busy` was `None` (checked by the gate) and is now ours.
        Ok(Claim(self))
    }

    /// Module exit: the site back to NOP, every callback unregistered, later writes refused.
    pub(crate) fn close(&self) -> Result {
        self.state.lock().restore(&self.syms)
    }
}

impl State {
    /// What the site holds now.
    pub(crate) fn site(&self) -> SiteState {
        self.site
    }

    /// `Some` while `mode` pins the site.
    pub(crate) fn forced(&self) -> Option<StateKind> {
        self.forced
    }

    pub(crate) fn engine(&self) -> Engine {
        self.engine
    }

    pub(crate) fn emulation(&self) -> Emulation {
        self.emulation
    }

    /// How many entries follow the state.
    pub(crate) fn sites(&self) -> usize {
        self.sites
    }

    /// How many entries a batch flips.
    pub(crate) fn batch(&self) -> usize {
        self.batch
    }

    /// The long write that owns the site, if any.
    pub(crate) fn busy(&self) -> Option<File> {
        self.busy
    }

    /// What the latest write to `call` saw.
    pub(crate) fn last_call(&self) -> CallReport {
        self.last_call
    }

    /// What the latest torture run reported.
    pub(crate) fn last_torture(&self) -> &crate::verdict::Report {
        &self.last_torture
    }

    /// What the latest write to `bench` timed.
    pub(crate) fn last_bench(&self) -> bench::Report {
        self.last_bench
    }

    fn open(&self) -> Result {
        if self.closed {
            pr_warn!("module is unloading: request refused\n");
            return Err(ENODEV);
        }
        Ok(())
    }

    /// The state is a writer's to change: not closed, and no long write owns it.
    fn idle(&self, file: File) -> Result {
        self.open()?;
        match self.busy {
            Some(File::Torture) => {
                pr_warn!(
                    "{}: a torture run is in progress (echo stop > torture)\n",
                    file.name()
                );
                Err(EBUSY)
            }
            Some(b) => {
                pr_warn!("{}: a write to {} is in progress\n", file.name(), b.name());
                Err(EBUSY)
            }
            None => Ok(()),
        }
    }

    /// Takes the site for a torture run: its engine and emulation, zeroed counters, and, in the
    /// `livepatch` scenario, the live patch registered (custom trampoline).
    fn begin_torture(&mut self, syms: &KernelSyms, p: &TortureParams) -> Result<Saved> {
        if callbacks::registered() != 0 || self.forced.is_some() || self.site != SiteState::Nop {
            pr_warn!(
                "torture: needs the site at rest (a NOP, no callback registered, mode auto); it is {}\n",
                self.site.kind().name()
            );
            return Err(EBUSY);
        }
        if !p.busted.allowed(p.busted_may_crash, on_a_hypervisor()) {
            pr_warn!(
                "torture: busted={} can run a torn instruction, which on bare metal may crash the machine: refused (add busted_may_crash=yes to run it anyway)\n",
                p.busted.name()
            );
            return Err(EPERM);
        }
        let saved = Saved {
            engine: self.engine,
            emulation: self.emulation,
            window_us: self.window_us,
            sites: self.sites,
            batch: self.batch,
        };
        (self.engine, self.emulation, self.window_us) = (p.engine, p.emulation, p.window_us);
        (self.sites, self.batch) = (p.sites.unwrap_or(self.sites), p.batch.unwrap_or(self.batch));
        sync_probe::set(self.sites > 1);
        let taken = match self.sites_fit_engine() {
            Ok(()) if p.scenario == Scenario::Livepatch => {
                self.add_callback(syms, policy::LIVEPATCH, None)
            }
            r => r,
        };
        if let Err(e) = taken {
            // Nothing was flipped: give the settings back as they were.
            self.give_back(&saved);
            return Err(e);
        }
        // Only once the run is sure to start: a refused write changes nothing.
        reset_counters(self);
        // Cleared under the mutex, before the run is visible: a `stop` that sees the run
        // (it takes the mutex too) is never lost.
        torture::STOP.store(false, kernel::sync::atomic::Relaxed);
        // After the run's first flip: only the flips under test are busted.
        if p.busted != crate::busted::Busted::None {
            pr_warn!(
                "torture: busted variant '{}' injected on purpose: this run must not pass\n",
                p.busted.name()
            );
        }
        let steps = crate::protocol::steps(p.busted);
        if p.engine == Engine::Module && steps != crate::protocol::INT3_PROTOCOL {
            pr_warn!("torture: the module engine's flips run these steps:\n");
            for step in steps {
                pr_warn!("torture:   {}\n", step.name());
            }
        }
        injected::set_busted(p.busted);
        self.busy = Some(File::Torture);
        Ok(saved)
    }

    /// Gives the site back at rest, with the settings it had. The site stays claimed for the
    /// torture until [`State::finish_torture`]. If the restoring flip fails, the site and the
    /// registry stay as they are (consistent with each other), and the error is returned:
    /// the next torture then refuses to start on a site that is not at rest.
    fn end_torture(&mut self, syms: &KernelSyms, saved: Saved) -> Result {
        // Before the restoring flip, which must be a correct one.
        injected::set_busted(crate::busted::Busted::None);
        let mut restored = Ok(());
        if !self.closed {
            restored = self.back_to_rest(syms);
            if let Err(e) = restored {
                pr_err!(
                    "torture: restoring the site failed ({:?}): it stays {} with its callbacks\n",
                    e,
                    self.site.kind().name()
                );
            }
        }
        self.give_back(&saved);
        restored
    }

    /// The settings a torture run borrowed, back as they were.
    fn give_back(&mut self, saved: &Saved) {
        (self.engine, self.emulation, self.window_us) =
            (saved.engine, saved.emulation, saved.window_us);
        (self.sites, self.batch) = (saved.sites, saved.batch);
        sync_probe::set(self.sites > 1);
    }

    /// `EINVAL` if the engine cannot flip `sites` entries: only the kernel and module engines
    /// batch.
    fn sites_fit_engine(&self) -> Result {
        if self.sites > 1 && !self.engine.batches() {
            pr_warn!(
                "sites: engine {} flips one site; {} sites need engine kernel or module\n",
                self.engine.name(),
                self.sites
            );
            return Err(EINVAL);
        }
        Ok(())
    }

    /// Ends a torture run: its report and the free site become visible together, under one
    /// lock.
    fn finish_torture(&mut self, report: crate::verdict::Report) {
        self.last_torture = report;
        self.busy = None;
    }

    /// A torture write that could not start: its own report (verdict `none`), never the
    /// previous run's, unless another run is in progress (its report comes next). The site
    /// was never claimed, so whatever owns it keeps it.
    fn refused_torture(&mut self, report: crate::verdict::Report) {
        if self.busy != Some(File::Torture) {
            self.last_torture = report;
        }
    }

    /// Moves the site to `new` with the current engine and emulation.
    fn go(&mut self, syms: &KernelSyms, new: SiteState) -> Result {
        if new == self.site {
            return Ok(());
        }
        self.go_expecting(syms, new, Expect::State(self.site))
    }

    /// Moves every entry to `new`, once each holds what `expect` says.
    fn go_expecting(&mut self, syms: &KernelSyms, new: SiteState, expect: Expect) -> Result {
        if !self.engine.picks_emulation() && self.emulation != Emulation::New {
            pr_warn!(
                "engine {}: the kernel's int3 handler emulates the new instruction: set emulate to new\n",
                self.engine.name()
            );
            return Err(EINVAL);
        }
        let window = Delta::from_micros(self.window_us.into());
        site::flip(
            syms,
            &Flip {
                old: self.site,
                new,
                expect,
                engine: self.engine,
                emulation: self.emulation,
                window,
                sites: self.sites,
                batch: self.batch,
            },
        )?;
        self.site = new;
        Ok(())
    }

    fn set_mode(&mut self, syms: &KernelSyms, mode: Option<StateKind>) -> Result {
        self.open()?;
        if self.engine == Engine::Ftrace && mode.is_some() {
            pr_warn!("mode: on engine ftrace, ftrace's policy picks the state: only auto\n");
            return Err(EINVAL);
        }
        if self.engine == Engine::Ftrace {
            // `auto`: ftrace's policy already holds the site; ours would pick another path.
            self.forced = None;
            return Ok(());
        }
        let target = state_for(mode, callbacks::registered())?;
        self.go(syms, target)?;
        self.forced = mode;
        Ok(())
    }

    /// Registers `cb` and moves the site to the state `mode` gives (`None`: our policy's).
    fn add_callback(&mut self, syms: &KernelSyms, cb: usize, mode: Option<StateKind>) -> Result {
        self.open()?;
        let mask = callbacks::registered();
        if mask & (1 << cb) != 0 {
            pr_warn!(
                "callbacks: {} is already registered\n",
                policy::CALLBACKS[cb]
            );
            return Err(EINVAL);
        }
        let target = state_for(mode, mask | 1 << cb)?;
        // Registered before the flip, so the iterator already calls it when the site moves.
        callbacks::set_registered(mask | 1 << cb);
        let moved = if self.engine == Engine::Ftrace {
            self.ftrace_flip(cb, mask | 1 << cb)
        } else {
            self.go(syms, target)
        };
        if let Err(e) = moved {
            callbacks::set_registered(mask);
            return Err(e);
        }
        self.forced = mode;
        Ok(())
    }

    fn remove_callback(&mut self, syms: &KernelSyms, cb: usize) -> Result {
        self.open()?;
        let mask = callbacks::registered();
        if mask & (1 << cb) == 0 {
            pr_warn!("callbacks: {} is not registered\n", policy::CALLBACKS[cb]);
            return Err(EINVAL);
        }
        // The site stops calling it first; only then does the iterator stop.
        if self.engine == Engine::Ftrace {
            self.ftrace_flip(cb, mask & !(1 << cb))?;
        } else {
            self.go(syms, policy::auto_state(mask & !(1 << cb)))?;
        }
        callbacks::set_registered(mask & !(1 << cb));
        self.forced = None;
        Ok(())
    }

    fn set_engine(&mut self, engine: Engine) -> Result {
        self.open()?;
        if self.sites > 1 && !engine.batches() {
            pr_warn!(
                "engine: {} flips one site, and {} follow the state: echo count=1 > sites first\n",
                engine.name(),
                self.sites
            );
            return Err(EINVAL);
        }
        let at_rest =
            self.site == SiteState::Nop && callbacks::registered() == 0 && self.forced.is_none();
        if engine.on_our_site() != self.engine.on_our_site() && !at_rest {
            pr_warn!(
                "engine: {} -> {} changes the site under test, so both must be at rest first (a NOP, no callback registered, mode auto)\n",
                self.engine.name(),
                engine.name()
            );
            return Err(EBUSY);
        }
        self.engine = engine;
        Ok(())
    }

    /// Engine `ftrace`: registers (or unregisters) callback `cb`'s op, which leaves the
    /// callbacks `mask`; ftrace's policy, which ours copies, moves the site it owns. The
    /// registry follows only once ftrace did: it is what ftrace runs.
    fn ftrace_flip(&mut self, cb: usize, mask: u32) -> Result {
        site::ftrace_flip(cb, mask & (1 << cb) != 0)?;
        self.site = policy::ftrace_state(mask);
        callbacks::set_registered(mask);
        Ok(())
    }

    /// The site back to a NOP with no callback: on `ftrace`, every op unregistered (the live
    /// patch last, as it was first); on the others, one flip of every entry that is not a
    /// NOP, from whatever instruction of ours it holds (a run may have left one behind).
    fn back_to_rest(&mut self, syms: &KernelSyms) -> Result {
        if self.engine != Engine::Ftrace {
            if self.site != SiteState::Nop || site::entries_not_in(SiteState::Nop, self.sites).0 > 0
            {
                self.go_expecting(syms, SiteState::Nop, Expect::Ours)?;
            }
            self.site = SiteState::Nop;
            callbacks::set_registered(0);
            self.forced = None;
            return Ok(());
        }
        let mut mask = callbacks::registered();
        while mask != 0 {
            let cb = 31 - mask.leading_zeros() as usize;
            mask &= !(1 << cb);
            self.ftrace_flip(cb, mask)?;
        }
        self.forced = None;
        Ok(())
    }

    fn set_emulation(&mut self, emulation: Emulation) -> Result {
        self.open()?;
        self.emulation = emulation;
        Ok(())
    }

    fn set_sites(&mut self, sites: usize, batch: usize) -> Result {
        self.open()?;
        let at_rest =
            self.site == SiteState::Nop && callbacks::registered() == 0 && self.forced.is_none();
        if sites != self.sites && !at_rest {
            pr_warn!(
                "sites: the number of sites changes only at rest (a NOP, no callback registered, mode auto)\n"
            );
            return Err(EBUSY);
        }
        let before = (self.sites, self.batch);
        (self.sites, self.batch) = (sites, batch);
        if let Err(e) = self.sites_fit_engine() {
            (self.sites, self.batch) = before;
            return Err(e);
        }
        sync_probe::set(self.sites > 1);
        Ok(())
    }

    /// Module exit: the site back to NOP, every callback unregistered, later writes refused.
    fn restore(&mut self, syms: &KernelSyms) -> Result {
        self.closed = true;
        self.emulation = Emulation::New;
        let r = self.back_to_rest(syms);
        if r.is_ok() {
            // Every op is unregistered: their filters can go.
            crate::sys::ftrace::release();
            // The key as the NOP site says, whichever engine flipped it last.
            // SAFETY: the control mutex is held (`&mut self`), serialising every key use.
            unsafe { crate::sys::static_call::key_names(0) };
        }
        // Closed: no flip comes after this, so nothing is left to count.
        sync_probe::set(false);
        r
    }
}

/// The state `mode` gives the callbacks `mask` (`None`: our policy's), or `EINVAL` with the
/// reason: a custom, no-regs or direct path calls exactly one callback, which must allow it.
fn state_for(mode: Option<StateKind>, mask: u32) -> Result<SiteState> {
    let Some(m) = mode else {
        return Ok(policy::auto_state(mask));
    };
    policy::forced_state(m, mask).ok_or_else(|| {
        if mask.count_ones() != 1 {
            pr_warn!(
                "mode: {} needs exactly one registered callback ({} are)\n",
                m.name(),
                mask.count_ones()
            );
        } else {
            let cb = mask.trailing_zeros() as usize;
            pr_warn!(
                "mode: {} cannot take the {} path: its fastest is {}\n",
                policy::CALLBACKS[cb],
                m.name(),
                policy::FASTEST[cb].name()
            );
        }
        EINVAL
    })
}

/// Calls the traced sites `n` times in all (entry 0, then a sweep of the table's entries
/// that follow the state, and again) and checks each result against what the state promises
/// and against the entry called; `EIO` if any result was wrong, `EINTR` if a signal came
/// first.
pub(crate) fn call(ctl: &Control, n: u64) -> Result<CallReport> {
    let _claim = ctl.claim(File::Call)?;
    // The site cannot change while the claim stands.
    let (site_state, engine, sites) = {
        let st = ctl.state.lock();
        (st.site, st.engine, st.sites)
    };
    let mask = callbacks::registered();
    let want_v2 = policy::patches(site_state, mask);
    let mut report = CallReport::default();
    let mut results = KVec::from_elem(0u64, sites - 1, GFP_KERNEL)?;
    let ran_before: [u64; policy::CALLBACKS.len()] =
        core::array::from_fn(|cb| callbacks::HITS[cb].get());
    // Calls made, which a last sweep may take past the `n` judged.
    let mut made: u64 = 0;
    let mut x: u64 = 0;
    'calls: while report.calls < n {
        if interrupted() {
            report.interrupted = true;
            break;
        }
        let first = traced::call_traced(engine, x);
        traced::sweep(x, &mut results);
        made += sites as u64;
        for (e, &r) in Iterator::chain(core::iter::once(&first), results.iter()).enumerate() {
            if report.calls == n {
                break 'calls;
            }
            report.calls += 1;
            stats::CALLS.inc();
            match crate::sites::read_result(e, x, r) {
                Ok(Body::V1) => {
                    report.v1 += 1;
                    stats::RESULT_V1.inc();
                }
                Ok(Body::V2) => {
                    report.v2 += 1;
                    stats::RESULT_V2.inc();
                }
                Err(Some(_)) => report.wrong_site += 1,
                Err(None) => {
                    report.corrupt += 1;
                    stats::CORRUPT.inc();
                }
            }
        }
        x = x.wrapping_add(1);
    }
    // Each call runs the callbacks its state runs, once each, and no other: a path to the
    // wrong callback (or one that skips or repeats it) shows here.
    report.wrong_callback = (0..policy::CALLBACKS.len())
        .map(|cb| {
            let ran = callbacks::HITS[cb].get().wrapping_sub(ran_before[cb]);
            let want = if policy::runs(site_state, mask, cb) {
                made
            } else {
                0
            };
            ran.abs_diff(want)
        })
        .sum();
    ctl.state.lock().last_call = report;
    let mismatches = if want_v2 { report.v1 } else { report.v2 };
    stats::MISMATCHES.add(mismatches);
    if mismatches + report.corrupt + report.wrong_site + report.wrong_callback > 0 {
        pr_err!(
            "call: {} of {} results wrong ({} corrupt, {} from another site), {} callback runs wrong, with the site {}\n",
            mismatches + report.corrupt + report.wrong_site,
            report.calls,
            report.corrupt,
            report.wrong_site,
            report.wrong_callback,
            site_state.kind().name()
        );
        return Err(EIO);
    }
    if report.interrupted {
        pr_info!(
            "call: interrupted by a signal after {} of {} calls\n",
            report.calls,
            n
        );
        return Err(EINTR);
    }
    Ok(report)
}

/// What one write to `call` saw.
#[derive(Default, Clone, Copy)]
pub(crate) struct CallReport {
    pub(crate) calls: u64,
    pub(crate) v1: u64,
    pub(crate) v2: u64,
    pub(crate) corrupt: u64,
    /// Results from another entry than the one called.
    pub(crate) wrong_site: u64,
    /// Callback runs that the state does not make (summed over callbacks, both ways).
    pub(crate) wrong_callback: u64,
    /// A signal ended the write before `n` calls.
    pub(crate) interrupted: bool,
}

/// Calls the traced function once with the counter callback asked to capture its stack, then
/// logs the trace (`unwind: #i symbol+off/size [module]`) and whether it was reliable.
/// `EINVAL` unless the site calls the counter; `EIO` if no trace came back, or an unreliable
/// one: the unwinder could not get through our asm.
pub(crate) fn unwind(ctl: &Control) -> Result<unwind::Trace> {
    if !unwind::SUPPORTED {
        pr_warn!("unwind: needs the ORC unwinder (CONFIG_UNWINDER_ORC), the only one that reports when it is lost\n");
        return Err(crate::sys::ffi::eopnotsupp());
    }
    let _claim = ctl.claim(File::Unwind)?;
    let (site_state, engine) = {
        let st = ctl.state.lock();
        (st.site, st.engine)
    };
    if !policy::runs(site_state, callbacks::registered(), policy::COUNTER) {
        pr_warn!(
            "unwind: the site ({}) does not call the counter callback: echo +counter > callbacks\n",
            site_state.kind().name()
        );
        return Err(EINVAL);
    }
    unwind::arm();
    traced::call_traced(engine, 0);
    let Some(trace) = unwind::take() else {
        pr_err!("unwind: the counter callback took no stack trace\n");
        return Err(EIO);
    };
    let mut sym = crate::sys::symbols::SymbolName::new()?;
    for (i, &addr) in trace.frames[..trace.kept].iter().enumerate() {
        pr_info!("unwind: #{} {}\n", i, sym.of(addr));
    }
    pr_info!(
        "unwind: {} frames walked, reliable: {}\n",
        trace.walked,
        if trace.reliable { "yes" } else { "no" }
    );
    if !trace.reliable {
        pr_err!("unwind: the stack trace from the callback is not reliable\n");
        return Err(EIO);
    }
    Ok(trace)
}
