// SPDX-License-Identifier: GPL-2.0
//! The int3 protocol, as one table of steps. The module engine runs this table (`site.rs`),
//! and a host test writes it out for the spin model (`scripts/model/`), so the model checks
//! what the code does, not a copy of it. No kernel dependency: unit-tested on the host.
//!
//! The steps are those of the kernel's `smp_text_poke_single()` for one 5-byte site
//! (arch/x86/kernel/alternative.c, `smp_text_poke_batch_finish()`): int3 on byte 0, sync,
//! the tail, sync, byte 0 of the new instruction, sync.

use crate::busted::Busted;

/// One step of a live rewrite of a 5-byte site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Write an int3 on byte 0: from now on a CPU that fetches the new byte 0 traps.
    PlantInt3,
    /// Serialise every online CPU and wait for each (`smp_text_poke_sync_each_cpu()`). A CPU
    /// in an int3 handler takes the IPI only when it leaves the handler.
    Sync,
    /// Write bytes 1..4 of the new instruction.
    WriteTail,
    /// Write byte 0 of the new instruction, over the int3.
    WriteByte0,
    /// Write all five bytes at once, with no int3 (only `busted=torn` does this).
    WriteAll,
}

impl Step {
    pub(crate) const ALL: [Step; 5] = [
        Step::PlantInt3,
        Step::Sync,
        Step::WriteTail,
        Step::WriteByte0,
        Step::WriteAll,
    ];

    /// The step's name, as the model and the log spell it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Step::PlantInt3 => "plant_int3",
            Step::Sync => "sync",
            Step::WriteTail => "write_tail",
            Step::WriteByte0 => "write_byte0",
            Step::WriteAll => "write_all",
        }
    }
}

/// The int3 protocol, step by step. Each `Sync` has its own reason.
pub(crate) const INT3_PROTOCOL: &[Step] = &[
    Step::PlantInt3,
    Step::Sync, // 1: no CPU still fetches the old byte 0, so none can run a torn tail
    Step::WriteTail,
    Step::Sync, // 2: no CPU still fetches the old tail, so none can run new byte 0 + old tail
    Step::WriteByte0,
    Step::Sync, // 3: no CPU still fetches the int3, and no handler is still in the window
];

/// `busted=no_sync`: the protocol without its second sync.
const WITHOUT_SECOND_SYNC: &[Step] = &[
    Step::PlantInt3,
    Step::Sync,
    Step::WriteTail,
    Step::WriteByte0,
    Step::Sync,
];

/// `busted=torn`: the whole instruction in one write, no int3.
const TORN: &[Step] = &[Step::WriteAll];

/// The steps the module engine runs for a flip with `busted` injected.
pub(crate) fn steps(busted: Busted) -> &'static [Step] {
    match busted {
        Busted::NoSync => WITHOUT_SECOND_SYNC,
        Busted::Torn => TORN,
        _ => INT3_PROTOCOL,
    }
}

/// Whether the engine holds the site open after step `i` of `steps` (`window_us`): after each
/// sync but the last, so that calling CPUs land in the int3, and an observer sees each
/// intermediate state of the site.
pub(crate) fn holds_after(steps: &[Step], i: usize) -> bool {
    steps.get(i) == Some(&Step::Sync) && i + 1 < steps.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    // The table itself is judged by the spin model (`make model`), not pinned here: a test that
    // restated it would kill every protocol mutant for the wrong reason.

    #[test]
    fn only_protocol_variants_change_the_steps() {
        for b in Busted::ALL {
            if !matches!(b, Busted::NoSync | Busted::Torn) {
                assert_eq!(steps(b), INT3_PROTOCOL, "{b:?}");
            }
        }
        assert_eq!(steps(Busted::Torn), &[Step::WriteAll]);
    }

    #[test]
    fn the_window_is_held_after_each_sync_but_the_last() {
        use Step::*;
        let protocol = [PlantInt3, Sync, WriteTail, Sync, WriteByte0, Sync];
        let held: [bool; 6] = core::array::from_fn(|i| holds_after(&protocol, i));
        assert_eq!(held, [false, true, false, true, false, false]);
        assert!(!holds_after(TORN, 0));
    }

    #[test]
    fn step_names_are_distinct() {
        for (i, a) in Step::ALL.iter().enumerate() {
            for b in &Step::ALL[i + 1..] {
                assert_ne!(a.name(), b.name());
            }
        }
    }
}
