// SPDX-License-Identifier: GPL-2.0
//! What a call site should hold, and what an int3 hit on it should do. No kernel
//! dependency: unit-tested on the host.
//!
//! ftrace's policy: no callback -> NOP; one -> that callback's custom trampoline (called
//! directly, the fast path); two or more -> the iterator trampoline, which walks them all.
//! Ours goes one step further for one callback, as ftrace does for an op without
//! `FTRACE_OPS_FL_SAVE_REGS`: the fastest path the callback allows ([`FASTEST`]). The custom
//! trampoline saves a full `pt_regs`; the no-regs one only the argument registers, which the
//! C ABI lets a callee clobber; a direct call saves nothing, so its callee must preserve every
//! register itself.

use crate::names::named;

/// The callbacks a site can carry. The index is the bit in the registry mask.
pub(crate) const CALLBACKS: [&str; 8] = [
    "livepatch",
    "counter",
    "probe1",
    "probe2",
    "probe3",
    "probe4",
    "probe5",
    "probe6",
];
/// The live patch: redirects the traced function to its v2 body.
pub(crate) const LIVEPATCH: usize = 0;
/// The per-CPU call counter.
pub(crate) const COUNTER: usize = 1;
/// The first probe: the `direct` scenario's callback.
pub(crate) const PROBE1: usize = 2;

/// The fastest path each callback allows, by index: the live patch rewrites `regs->ip`, so it
/// needs the custom (regs) trampoline; the counter is a C function that needs no registers;
/// each probe has an entry that only counts and preserves every register, so a site may call
/// it directly.
pub(crate) const FASTEST: [StateKind; CALLBACKS.len()] = [
    StateKind::Custom,
    StateKind::NoRegs,
    StateKind::Direct,
    StateKind::Direct,
    StateKind::Direct,
    StateKind::Direct,
    StateKind::Direct,
    StateKind::Direct,
];

/// The callback with `name`, as an index into [`CALLBACKS`].
pub(crate) fn callback_index(name: &str) -> Option<usize> {
    CALLBACKS.iter().position(|&n| n == name)
}

/// What the 5-byte site holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SiteState {
    Nop,
    /// `call` to the custom trampoline of this callback, which saves a full `pt_regs`.
    Custom(usize),
    /// `call` to the no-regs trampoline of this callback, which saves the argument registers.
    NoRegs(usize),
    /// `call` to this callback's direct entry itself.
    Direct(usize),
    /// `call` to the iterator trampoline.
    Iterator,
}

named! {
    /// The kind of a site state, without its callback: what `mode` forces.
    pub(crate) enum StateKind {
        Nop = "nop",
        Custom = "custom",
        Iterator = "iterator",
        NoRegs = "noregs",
        Direct = "direct",
    }
}

impl StateKind {
    /// Whether a single callback can take a path of this kind: the custom one always; the
    /// no-regs one if the callback needs no registers; the direct one if it needs nothing.
    /// Not for `nop` or `iterator`, which do not name one callback.
    pub(crate) fn allows(self, cb: usize) -> bool {
        let rank = |k: StateKind| match k {
            StateKind::Custom => 1,
            StateKind::NoRegs => 2,
            StateKind::Direct => 3,
            StateKind::Nop | StateKind::Iterator => 0,
        };
        let fastest = FASTEST.get(cb).copied().unwrap_or(StateKind::Nop);
        rank(self) > 0 && rank(self) <= rank(fastest)
    }

    /// The state of this kind for callback `cb` (`Nop` and `Iterator` ignore it).
    pub(crate) fn with(self, cb: usize) -> SiteState {
        match self {
            StateKind::Nop => SiteState::Nop,
            StateKind::Custom => SiteState::Custom(cb),
            StateKind::NoRegs => SiteState::NoRegs(cb),
            StateKind::Direct => SiteState::Direct(cb),
            StateKind::Iterator => SiteState::Iterator,
        }
    }
}

impl SiteState {
    pub(crate) fn kind(self) -> StateKind {
        match self {
            SiteState::Nop => StateKind::Nop,
            SiteState::Custom(_) => StateKind::Custom,
            SiteState::NoRegs(_) => StateKind::NoRegs,
            SiteState::Direct(_) => StateKind::Direct,
            SiteState::Iterator => StateKind::Iterator,
        }
    }

    /// The one callback a site in this state calls, if it calls one.
    pub(crate) fn callback(self) -> Option<usize> {
        match self {
            SiteState::Custom(cb) | SiteState::NoRegs(cb) | SiteState::Direct(cb) => Some(cb),
            SiteState::Nop | SiteState::Iterator => None,
        }
    }
}

named! {
    /// The emulation: what an int3 hit in the middle of a flip is emulated as (`emulate`).
    pub(crate) enum Emulation {
        /// Call what the site is becoming (mainline since 2019).
        New = "new",
        /// Call what the site was.
        Old = "old",
        /// Skip the site: the pre-2019 behaviour, which loses the call.
        Nop = "nop",
    }
}

named! {
    /// Which code rewrites the site (`engine`).
    pub(crate) enum Engine {
        /// The kernel's `smp_text_poke_single()`; the kernel's int3 handler emulates.
        Kernel = "kernel",
        /// The int3 protocol of `smp_text_poke_single()`, written here; our die notifier
        /// emulates.
        Module = "module",
        /// The kernel's ftrace: one `ftrace_ops` per callback on a site ftrace owns; ftrace
        /// picks the state, writes it and emulates.
        Ftrace = "ftrace",
        /// The kernel's static calls: the site is an inline static-call site of our key, and
        /// a flip is `__static_call_update()`; the kernel writes and emulates.
        StaticCall = "static_call",
    }
}

impl Engine {
    /// Whether our emulation stubs see the hits, so that the run picks the emulation: on
    /// `ftrace` and `static_call` the kernel's handler emulates the new instruction itself.
    pub(crate) fn picks_emulation(self) -> bool {
        matches!(self, Engine::Kernel | Engine::Module)
    }

    /// Whether the engine flips many sites in batches (`sites.rs`): `static_call` has one
    /// site per key, and `ftrace` owns its own site.
    pub(crate) fn batches(self) -> bool {
        matches!(self, Engine::Kernel | Engine::Module)
    }

    /// Whether the engine rewrites our own site (`traced::site`); `ftrace` rewrites the site
    /// ftrace owns, and only ftrace's policy moves it.
    pub(crate) fn on_our_site(self) -> bool {
        self != Engine::Ftrace
    }
}

/// The state our policy gives a registry mask: ftrace's, with the fastest path a single
/// callback allows.
pub(crate) fn auto_state(mask: u32) -> SiteState {
    match mask.count_ones() {
        0 => SiteState::Nop,
        1 => {
            let cb = mask.trailing_zeros() as usize;
            FASTEST.get(cb).map_or(StateKind::Custom, |&k| k).with(cb)
        }
        _ => SiteState::Iterator,
    }
}

/// The state ftrace's own policy gives (engine `ftrace`): one op gets its own trampoline,
/// which our states call custom.
pub(crate) fn ftrace_state(mask: u32) -> SiteState {
    match auto_state(mask) {
        SiteState::NoRegs(cb) | SiteState::Direct(cb) => SiteState::Custom(cb),
        state => state,
    }
}

/// The state a forced `mode` gives, or `None` when it cannot hold: a custom, no-regs or
/// direct path calls exactly one callback, which must allow it ([`StateKind::allows`]).
pub(crate) fn forced_state(mode: StateKind, mask: u32) -> Option<SiteState> {
    let cb = mask.trailing_zeros() as usize;
    match mode {
        StateKind::Nop | StateKind::Iterator => Some(mode.with(0)),
        _ if mask.count_ones() == 1 && mode.allows(cb) => Some(mode.with(cb)),
        _ => None,
    }
}

/// What a hit in the window of the flip `old -> new` acts as, under `emulation`.
pub(crate) fn emulated(emulation: Emulation, old: SiteState, new: SiteState) -> SiteState {
    match emulation {
        Emulation::New => new,
        Emulation::Old => old,
        Emulation::Nop => SiteState::Nop,
    }
}

/// Whether a call through a site in `state` runs callback `cb`, given the registered ones.
pub(crate) fn runs(state: SiteState, mask: u32, cb: usize) -> bool {
    match state {
        SiteState::Nop => false,
        SiteState::Custom(c) | SiteState::NoRegs(c) | SiteState::Direct(c) => c == cb,
        SiteState::Iterator => mask & (1 << cb) != 0,
    }
}

/// Whether a call through a site in `state` runs the live patch (so must return v2), given
/// the registered callbacks. On a path without `pt_regs` it runs but cannot redirect: the
/// policy never puts it there, and a result that shows it is a missed call.
pub(crate) fn patches(state: SiteState, mask: u32) -> bool {
    runs(state, mask, LIVEPATCH)
}

/// Emulation stubs: one per (emulation, kind of flip, target). A stub counts the hit, then acts
/// as the target. The kind of flip is the state kind the site is becoming: it tells which way a
/// hit went (custom -> iterator or back), so a verdict can check the target each emulation
/// picked per direction, which totals per emulation cannot show.
/// Targets 0..8 are the custom trampolines, 8..16 the no-regs ones, 16..24 the direct entries,
/// then the iterator, then "skip" (a NOP).
pub(crate) const STUB_NOREGS: usize = CALLBACKS.len();
pub(crate) const STUB_DIRECT: usize = 2 * CALLBACKS.len();
pub(crate) const STUB_ITERATOR: usize = 3 * CALLBACKS.len();
pub(crate) const STUB_SKIP: usize = STUB_ITERATOR + 1;
pub(crate) const STUB_TARGETS: usize = STUB_SKIP + 1;
/// Stubs per emulation.
pub(crate) const STUBS_PER_EMULATION: usize = StateKind::ALL.len() * STUB_TARGETS;
pub(crate) const STUBS: usize = Emulation::ALL.len() * STUBS_PER_EMULATION;

/// The stub target a site in `state` is emulated by.
pub(crate) fn stub_target(acts_as: SiteState) -> usize {
    match acts_as {
        SiteState::Custom(cb) => cb,
        SiteState::NoRegs(cb) => STUB_NOREGS + cb,
        SiteState::Direct(cb) => STUB_DIRECT + cb,
        SiteState::Iterator => STUB_ITERATOR,
        SiteState::Nop => STUB_SKIP,
    }
}

/// Index of the stub that emulates `acts_as` for `emulation`, in a flip to a `to` site.
pub(crate) fn stub_index(emulation: Emulation, to: StateKind, acts_as: SiteState) -> usize {
    emulation as usize * STUBS_PER_EMULATION + to as usize * STUB_TARGETS + stub_target(acts_as)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ftrace_policy_nop_custom_iterator() {
        assert_eq!(ftrace_state(0), SiteState::Nop);
        assert_eq!(ftrace_state(1 << LIVEPATCH), SiteState::Custom(LIVEPATCH));
        assert_eq!(ftrace_state(1 << COUNTER), SiteState::Custom(COUNTER));
        assert_eq!(ftrace_state(1 << PROBE1), SiteState::Custom(PROBE1));
        assert_eq!(ftrace_state(0b11), SiteState::Iterator);
        assert_eq!(ftrace_state(0xff), SiteState::Iterator);
    }

    #[test]
    fn one_callback_takes_the_fastest_path_it_allows() {
        // Bug caught: the live patch on a path without pt_regs (it could not redirect).
        assert_eq!(auto_state(1 << LIVEPATCH), SiteState::Custom(LIVEPATCH));
        assert_eq!(auto_state(1 << COUNTER), SiteState::NoRegs(COUNTER));
        assert_eq!(auto_state(1 << PROBE1), SiteState::Direct(PROBE1));
        assert_eq!(auto_state(1 << 7), SiteState::Direct(7));
        assert_eq!(auto_state(0), SiteState::Nop);
        assert_eq!(auto_state(1 << COUNTER | 1 << PROBE1), SiteState::Iterator);
    }

    #[test]
    fn a_path_is_allowed_up_to_the_callbacks_fastest() {
        use StateKind::*;
        assert!(Custom.allows(LIVEPATCH) && !NoRegs.allows(LIVEPATCH) && !Direct.allows(LIVEPATCH));
        assert!(Custom.allows(COUNTER) && NoRegs.allows(COUNTER) && !Direct.allows(COUNTER));
        assert!(Custom.allows(PROBE1) && NoRegs.allows(PROBE1) && Direct.allows(PROBE1));
        assert!(!Nop.allows(PROBE1) && !Iterator.allows(PROBE1) && !Direct.allows(99));
    }

    #[test]
    fn forced_custom_needs_exactly_one_callback() {
        assert_eq!(forced_state(StateKind::Custom, 0), None);
        assert_eq!(forced_state(StateKind::Custom, 0b11), None);
        assert_eq!(
            forced_state(StateKind::Custom, 0b10),
            Some(SiteState::Custom(1))
        );
        assert_eq!(
            forced_state(StateKind::Iterator, 0b1),
            Some(SiteState::Iterator)
        );
        assert_eq!(forced_state(StateKind::Nop, 0b11), Some(SiteState::Nop));
        // A path the one callback does not allow is refused, never taken.
        assert_eq!(forced_state(StateKind::NoRegs, 1 << LIVEPATCH), None);
        assert_eq!(forced_state(StateKind::Direct, 1 << COUNTER), None);
        assert_eq!(forced_state(StateKind::Direct, 1 << PROBE1 | 1 << 3), None);
        assert_eq!(
            forced_state(StateKind::NoRegs, 1 << PROBE1),
            Some(SiteState::NoRegs(PROBE1))
        );
        assert_eq!(
            forced_state(StateKind::Custom, 1 << PROBE1),
            Some(SiteState::Custom(PROBE1))
        );
    }

    #[test]
    fn emulation_follows_the_policy() {
        let (old, new) = (SiteState::Custom(LIVEPATCH), SiteState::Iterator);
        assert_eq!(emulated(Emulation::New, old, new), new);
        assert_eq!(emulated(Emulation::Old, old, new), old);
        assert_eq!(emulated(Emulation::Nop, old, new), SiteState::Nop);
    }

    #[test]
    fn live_patch_applies_only_through_a_trampoline_that_calls_it() {
        let lp = 1 << LIVEPATCH;
        assert!(!patches(SiteState::Nop, lp));
        assert!(patches(SiteState::Custom(LIVEPATCH), lp));
        assert!(!patches(SiteState::Custom(COUNTER), lp | 2));
        assert!(patches(SiteState::Iterator, lp | 2));
        assert!(!patches(SiteState::Iterator, 2));
        assert!(patches(SiteState::NoRegs(LIVEPATCH), lp));
        assert!(!patches(SiteState::Direct(PROBE1), lp | 1 << PROBE1));
    }

    #[test]
    fn a_site_runs_its_custom_callback_or_every_registered_one() {
        let counter = 1 << COUNTER;
        assert!(!runs(SiteState::Nop, counter, COUNTER));
        assert!(runs(SiteState::Custom(COUNTER), 0, COUNTER));
        assert!(!runs(SiteState::Custom(LIVEPATCH), counter, COUNTER));
        assert!(runs(SiteState::Iterator, counter | 1 << LIVEPATCH, COUNTER));
        assert!(!runs(SiteState::Iterator, 1 << LIVEPATCH, COUNTER));
        assert!(runs(SiteState::NoRegs(COUNTER), 0, COUNTER));
        assert!(runs(SiteState::Direct(PROBE1), 0, PROBE1));
        assert!(!runs(SiteState::Direct(PROBE1), 0, PROBE1 + 1));
    }

    #[test]
    fn stub_indices_are_distinct_and_in_range() {
        let mut seen = [false; STUBS];
        for p in Emulation::ALL {
            for to in StateKind::ALL {
                for cb in 0..CALLBACKS.len() {
                    let states = [
                        SiteState::Nop,
                        SiteState::Iterator,
                        SiteState::Custom(cb),
                        SiteState::NoRegs(cb),
                        SiteState::Direct(cb),
                    ];
                    for s in states {
                        let i = stub_index(p, to, s);
                        assert!(i < STUBS);
                        seen[i] = true;
                    }
                }
            }
        }
        assert!(seen.iter().all(|&s| s));
        assert_eq!(
            stub_index(
                Emulation::Old,
                StateKind::Iterator,
                SiteState::Custom(LIVEPATCH)
            ),
            130 + 2 * 26
        );
    }

    #[test]
    fn callback_names_resolve() {
        assert_eq!(callback_index("livepatch"), Some(LIVEPATCH));
        assert_eq!(callback_index("counter"), Some(COUNTER));
        assert_eq!(callback_index("probe6"), Some(7));
        assert_eq!(callback_index("nope"), None);
    }
}
