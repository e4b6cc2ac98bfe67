// SPDX-License-Identifier: GPL-2.0
//! Event counters. They are bumped from the int3/NMI path, so they are plain atomics:
//! no lock, no allocation, no printing.

use kernel::sync::atomic::{Atomic, Relaxed};

/// A monotonically increasing event count.
pub(crate) struct Counter(Atomic<u64>);

impl Counter {
    pub(crate) const fn new() -> Self {
        Self(Atomic::new(0))
    }
    pub(crate) fn inc(&self) {
        self.0.add(1u64, Relaxed);
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

/// Every counter with its `stats` key, in print order.
pub(crate) static ALL: [(&str, &Counter); 4] = [
    ("int3_notified", &INT3_NOTIFIED),
    ("selftest_hits", &SELFTEST_HITS),
    ("selftest_runs", &SELFTEST_RUNS),
    ("selftest_passes", &SELFTEST_PASSES),
];
