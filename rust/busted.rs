// SPDX-License-Identifier: GPL-2.0
//! Known bugs the torture can be asked to inject (`busted=NAME`), as locktorture's
//! `lock_busted` and rcutorture's `rcu_busted` do: proof that the verdict catches a broken
//! mechanism. Off unless a torture command names one; active only for that run's flips,
//! and named in its report. No kernel dependency: unit-tested on the host.

use crate::names::named;
use crate::policy::Engine;

named! {
    /// A known bug a torture run injects (`busted=NAME`).
    #[derive(Default)]
    pub(crate) enum Busted {
        #[default]
        None = "none",
        /// A flip emulates the target the *other* emulation picks (`new` acts as `old` and
        /// back).
        SwapEmulation = "swap_emulation",
        /// The iterator skips the first registered callback when two or more are registered.
        IterDrop = "iter_drop",
        /// The live patch counts its hit but does not redirect, once in 64 calls.
        LpFlaky = "lp_flaky",
        /// The module engine's handler sends a CPU in the window back to the site to trap
        /// again (spins until the int3 is gone) instead of emulating the call.
        Spin = "spin",
        /// The module engine writes the whole instruction at once: no int3, no syncs.
        Torn = "torn",
        /// The module engine drops the sync after writing the tail.
        NoSync = "no_sync",
        /// The module engine's handler finds the neighbouring entry of the site hit, and
        /// emulates the call from there.
        Neighbour = "neighbour",
        /// The kernel engine adds a batch's sites in descending address order, against the
        /// kernel's rule: it flushes before each, so a batch costs three syncs per site.
        OutOfOrder = "out_of_order",
        /// A batch of two or more sites leaves its middle one unwritten.
        SkipSite = "skip_site",
    }
}

impl Busted {
    /// Whether the bug can make a CPU run a torn instruction: on bare metal that may crash
    /// the machine, so it runs only in a guest, or when asked with `busted_may_crash=yes`.
    pub(crate) fn destructive(self) -> bool {
        matches!(self, Busted::Torn | Busted::NoSync)
    }

    /// Whether a run may inject this bug: a destructive one only under a hypervisor (the
    /// guest is all it can crash) or when the user said it may crash the machine.
    pub(crate) fn allowed(self, may_crash: bool, on_a_hypervisor: bool) -> bool {
        !self.destructive() || may_crash || on_a_hypervisor
    }

    /// Whether the bug lives in code `engine` runs: the module engine's protocol and handler
    /// are ours to break on `module` only, the emulation's target only where our stubs see
    /// the hits, and our iterator everywhere but on `ftrace`, whose list function calls the
    /// ops. The live patch is ours on every engine (ftrace's op calls it too).
    pub(crate) fn applies_to(self, engine: Engine) -> bool {
        match self {
            Busted::Spin | Busted::Torn | Busted::NoSync | Busted::Neighbour => {
                engine == Engine::Module
            }
            Busted::OutOfOrder => engine == Engine::Kernel,
            Busted::SkipSite => engine.batches(),
            Busted::SwapEmulation => engine.picks_emulation(),
            Busted::IterDrop => engine != Engine::Ftrace,
            Busted::None | Busted::LpFlaky => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for b in Busted::ALL {
            assert_eq!(Busted::from_name(b.name()), Some(b));
        }
        assert_eq!(Busted::from_name("nope"), None);
    }

    #[test]
    fn each_variant_applies_to_the_engines_that_run_its_code() {
        assert!(Busted::Spin.applies_to(Engine::Module));
        assert!(!Busted::Spin.applies_to(Engine::Kernel));
        assert!(!Busted::Torn.applies_to(Engine::StaticCall));
        assert!(Busted::SwapEmulation.applies_to(Engine::Kernel));
        assert!(!Busted::SwapEmulation.applies_to(Engine::StaticCall));
        assert!(!Busted::IterDrop.applies_to(Engine::Ftrace));
        assert!(Busted::IterDrop.applies_to(Engine::StaticCall));
        for e in Engine::ALL {
            assert!(Busted::LpFlaky.applies_to(e), "{e:?}");
            assert!(Busted::None.applies_to(e), "{e:?}");
        }
    }

    #[test]
    fn only_the_protocol_variants_can_tear_an_instruction() {
        for b in Busted::ALL {
            assert_eq!(
                b.destructive(),
                matches!(b, Busted::Torn | Busted::NoSync),
                "{b:?}"
            );
        }
    }

    #[test]
    fn a_destructive_variant_needs_a_guest_or_consent() {
        assert!(!Busted::Torn.allowed(false, false));
        assert!(!Busted::NoSync.allowed(false, false));
        assert!(Busted::Torn.allowed(true, false));
        assert!(Busted::Torn.allowed(false, true));
        assert!(Busted::Spin.allowed(false, false));
    }
}
