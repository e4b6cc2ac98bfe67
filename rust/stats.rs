// SPDX-License-Identifier: GPL-2.0
//! Event counters. They are bumped from the int3/NMI path, so they are plain atomics:
//! no lock, no allocation, no printing.

use kernel::sync::atomic::{Atomic, Relaxed};

/// A monotonically increasing event count. `repr(transparent)` over a `u64`, so that the
/// asm emulation stubs can `lock inc` it in place.
#[repr(transparent)]
pub(crate) struct Counter(Atomic<u64>);

impl Counter {
    pub(crate) const fn new() -> Self {
        Self(Atomic::new(0))
    }
    pub(crate) fn inc(&self) {
        self.0.add(1u64, Relaxed);
    }
    pub(crate) fn add(&self, n: u64) {
        self.0.add(n, Relaxed);
    }
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Relaxed)
    }
    pub(crate) fn reset(&self) {
        self.0.store(0, Relaxed);
    }
}

/// DIE_INT3 notifications our die notifier received (ours or not).
pub(crate) static INT3_NOTIFIED: Counter = Counter::new();
/// Of those, the ones on the self-test site, each turned into an emulated call.
pub(crate) static SELFTEST_HITS: Counter = Counter::new();
/// Self-test runs, and the ones whose callee recorded the right value.
pub(crate) static SELFTEST_RUNS: Counter = Counter::new();
pub(crate) static SELFTEST_PASSES: Counter = Counter::new();

/// Calls of the traced function through `call`, by result.
pub(crate) static CALLS: Counter = Counter::new();
pub(crate) static RESULT_V1: Counter = Counter::new();
pub(crate) static RESULT_V2: Counter = Counter::new();
/// Results that were v1 where the live patch should have applied, or v2 where it should not.
pub(crate) static MISMATCHES: Counter = Counter::new();
/// Results that were neither `x + V1_TAG` nor `x + V2_TAG`: a trampoline broke a register.
pub(crate) static CORRUPT: Counter = Counter::new();
/// Module engine: int3 hits on the traced site emulated as calls, and hits that found the
/// flip already finished and were rewound to run the new instruction.
pub(crate) static INT3_HITS: Counter = Counter::new();
pub(crate) static REWINDS: Counter = Counter::new();
/// Completed flips, per engine.
pub(crate) static FLIPS_KERNEL: Counter = Counter::new();
pub(crate) static FLIPS_MODULE: Counter = Counter::new();

/// The plain counters with their `stats` keys, in print order (the per-callback and
/// per-policy counts are printed next to them by `debugfs.rs`).
pub(crate) static ALL: [(&str, &Counter); 13] = [
    ("calls", &CALLS),
    ("result_v1", &RESULT_V1),
    ("result_v2", &RESULT_V2),
    ("mismatches", &MISMATCHES),
    ("corrupt", &CORRUPT),
    ("int3_hits", &INT3_HITS),
    ("rewinds", &REWINDS),
    ("flips_kernel", &FLIPS_KERNEL),
    ("flips_module", &FLIPS_MODULE),
    ("int3_notified", &INT3_NOTIFIED),
    ("selftest_hits", &SELFTEST_HITS),
    ("selftest_runs", &SELFTEST_RUNS),
    ("selftest_passes", &SELFTEST_PASSES),
];

