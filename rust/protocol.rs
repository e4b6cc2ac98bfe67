// SPDX-License-Identifier: GPL-2.0
//! The int3 protocol, as one table of steps. The module engine runs this table (`site.rs`),
//! and a host test writes it out for the spin model (`scripts/model/`), so the model checks
//! what the code does, not a copy of it. No kernel dependency: unit-tested on the host.
//!
//! The steps are those of the kernel's `smp_text_poke_single()` for one 5-byte site
//! ([`arch/x86/kernel/alternative.c`](srctree/arch/x86/kernel/alternative.c),
//! `smp_text_poke_batch_finish()`): int3 on byte 0, sync,
//! the tail, sync, byte 0 of the new instruction, sync.

use crate::busted::Busted;
use crate::insn::{
    INT3,
    SITE_LEN, //
};

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
    #[cfg(test)]
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

/// Whether an observer may see the site hold `seen` while a flip from `old` to `new` runs the
/// int3 protocol: old; the int3 with the old tail, any byte-by-byte mix of the old and new
/// tail, or the new tail; new. Anything else (say, new byte 0 with the old tail) is a state
/// from which a CPU can run a torn instruction.
pub(crate) fn legal_during_flip(
    seen: &[u8; SITE_LEN],
    old: &[u8; SITE_LEN],
    new: &[u8; SITE_LEN],
) -> bool {
    seen == old
        || seen == new
        || (seen[0] == INT3 && (1..SITE_LEN).all(|i| seen[i] == old[i] || seen[i] == new[i]))
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
    fn an_observer_may_see_old_int3_with_any_tail_mix_or_new() {
        let old = [0x0f, 0x1f, 0x44, 0x00, 0x00];
        let new = [0xe8, 0x11, 0x22, 0x33, 0x44];
        let legal = [
            old,
            [INT3, 0x1f, 0x44, 0x00, 0x00],
            [INT3, 0x11, 0x44, 0x33, 0x00],
            [INT3, 0x11, 0x22, 0x33, 0x44],
            new,
        ];
        for seen in legal {
            assert!(legal_during_flip(&seen, &old, &new), "{seen:02x?}");
        }
        let illegal = [
            // Byte 0 before the tail: new byte 0, old tail.
            [0xe8, 0x1f, 0x44, 0x00, 0x00],
            // Old byte 0 with a new tail: the tail before the int3.
            [0x0f, 0x11, 0x22, 0x33, 0x44],
            // No int3, a mixed tail: torn.
            [0xe8, 0x11, 0x44, 0x33, 0x44],
            // A byte that neither instruction has.
            [INT3, 0x99, 0x22, 0x33, 0x44],
        ];
        for seen in illegal {
            assert!(!legal_during_flip(&seen, &old, &new), "{seen:02x?}");
        }
    }

    /// The step tables as Promela inlines for the spin model (`scripts/model/int3.pml`
    /// includes them): `steps_int3_protocol` is `INT3_PROTOCOL`, `steps_busted_NAME` the table
    /// `steps()` gives each busted variant. Syncs are numbered in table order.
    fn model_steps() -> String {
        let mut tables = vec![("int3_protocol".to_string(), INT3_PROTOCOL)];
        for b in Busted::ALL {
            tables.push((format!("busted_{}", b.name()), steps(b)));
        }
        let mut out = String::from(
            "/* Emitted by rust/protocol.rs (test emit_model_steps): the step tables the module\n \
             * engine runs, for scripts/model/int3.pml. Written afresh by make model; do not edit. */\n",
        );
        for (name, table) in tables {
            out.push_str(&format!("inline steps_{name}() {{\n"));
            let mut syncs = 0;
            for step in table {
                match step {
                    Step::Sync => {
                        syncs += 1;
                        out.push_str(&format!("\tsync({syncs});\n"));
                    }
                    _ => out.push_str(&format!("\t{}();\n", step.name())),
                }
            }
            out.push_str("\tskip\n}\n");
        }
        out
    }

    /// Writes the model's step tables into `$INT3CALL_MODEL_OUT/steps.pml` when set (`make
    /// model` does); always checks that the emission is well formed. What the tables say is
    /// for the model to judge, not this test.
    #[test]
    fn emit_model_steps() {
        let text = model_steps();
        let mut inlines = Vec::new();
        let mut body: Option<Vec<&str>> = None;
        for line in text.lines().skip(2) {
            match body.as_mut() {
                None => {
                    let name = line
                        .strip_prefix("inline ")
                        .and_then(|l| l.strip_suffix("() {"))
                        .unwrap_or_else(|| panic!("not an inline: {line:?}"));
                    assert!(!inlines.contains(&name), "{name} twice");
                    inlines.push(name);
                    body = Some(Vec::new());
                }
                Some(steps) if line == "}" => {
                    assert_eq!(steps.last(), Some(&"\tskip"), "{line}");
                    let mut syncs = 0;
                    for s in &steps[..steps.len() - 1] {
                        let call = s.strip_prefix('\t').and_then(|s| s.strip_suffix(");"));
                        let call = call.unwrap_or_else(|| panic!("not a step: {s:?}"));
                        if let Some(n) = call.strip_prefix("sync(") {
                            syncs += 1;
                            assert_eq!(n, syncs.to_string());
                        } else {
                            let name = call.strip_suffix('(').unwrap_or(call);
                            let known = Step::ALL.iter().any(|st| st.name() == name);
                            assert!(known && name != "sync", "unknown step {s:?}");
                        }
                    }
                    body = None;
                }
                Some(steps) => steps.push(line),
            }
        }
        assert!(body.is_none(), "unterminated inline");
        assert_eq!(inlines.len(), 1 + Busted::ALL.len());
        assert_eq!(inlines[0], "steps_int3_protocol");
        if let Some(dir) = std::env::var_os("INT3CALL_MODEL_OUT") {
            let path = std::path::Path::new(&dir).join("steps.pml");
            std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
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
