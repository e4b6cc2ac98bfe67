// SPDX-License-Identifier: GPL-2.0
//! Event counters. They are bumped from the int3/NMI path, so they are plain atomics:
//! no lock, no allocation, no printing.
//!
//! `core`'s atomics, not the kernel crate's: there every operation is a call to a C helper
//! (`rust_helper_atomic64_add`, ...) in the kernel's `.text`, where a kprobe can land, and the
//! int3 path must stay in `.kprobes.text` (7.2 inlines the helpers only with
//! `RUST_INLINE_HELPERS`). A relaxed `core` atomic is one locked instruction, inlined.
//! `make check` disassembles the die notifier to keep it that way (`scripts/style.sh`).

use core::sync::atomic::{
    AtomicU64,
    Ordering::Relaxed, //
};

/// A monotonically increasing event count. `repr(transparent)` over a `u64`, so that the
/// asm emulation stubs can `lock inc` it in place.
#[repr(transparent)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    pub(crate) const fn new() -> Self {
        Self(AtomicU64::new(0))
    }
    #[inline(always)]
    pub(crate) fn inc(&self) {
        self.0.fetch_add(1, Relaxed);
    }
    #[inline(always)]
    pub(crate) fn add(&self, n: u64) {
        self.0.fetch_add(n, Relaxed);
    }
    #[inline(always)]
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
/// Module engine: int3 hits on the traced site emulated as calls.
pub(crate) static INT3_HITS: Counter = Counter::new();
/// Hits on an int3 that was already gone (seen under TCG, which can run a stale copy of the
/// site): the complete instruction that stands there now was emulated instead.
pub(crate) static STALE_INT3: Counter = Counter::new();
/// Hits sent back to run the site again, by cause: the int3 was gone and the site holds
/// nothing we know, or one of our kernel-engine flips still owned it.
pub(crate) static REWINDS_GONE: Counter = Counter::new();
pub(crate) static REWINDS_FLIP: Counter = Counter::new();
/// Kernel-mode int3s at the site that no flip of ours owned: left to their owner.
pub(crate) static INT3_FOREIGN: Counter = Counter::new();
/// Flips refused because the site did not hold what the state says.
pub(crate) static VERIFY_REFUSED: Counter = Counter::new();
/// CPU syncs (`smp_text_poke_sync_each_cpu()`) our module engine made, all batches together.
pub(crate) static SYNCS: Counter = Counter::new();
/// Completed flips, per engine.
pub(crate) static FLIPS_KERNEL: Counter = Counter::new();
pub(crate) static FLIPS_MODULE: Counter = Counter::new();
pub(crate) static FLIPS_FTRACE: Counter = Counter::new();
pub(crate) static FLIPS_STATIC_CALL: Counter = Counter::new();

/// The plain counters with their `stats` keys, in print order (the per-callback and
/// per-emulation counts are printed next to them by `debugfs.rs`).
pub(crate) static ALL: [(&str, &Counter); 20] = [
    ("calls", &CALLS),
    ("result_v1", &RESULT_V1),
    ("result_v2", &RESULT_V2),
    ("mismatches", &MISMATCHES),
    ("corrupt", &CORRUPT),
    ("int3_hits", &INT3_HITS),
    ("stale_int3", &STALE_INT3),
    ("rewinds_gone", &REWINDS_GONE),
    ("rewinds_flip", &REWINDS_FLIP),
    ("int3_foreign", &INT3_FOREIGN),
    ("verify_refused", &VERIFY_REFUSED),
    ("syncs", &SYNCS),
    ("flips_kernel", &FLIPS_KERNEL),
    ("flips_module", &FLIPS_MODULE),
    ("flips_ftrace", &FLIPS_FTRACE),
    ("flips_static_call", &FLIPS_STATIC_CALL),
    ("int3_notified", &INT3_NOTIFIED),
    ("selftest_hits", &SELFTEST_HITS),
    ("selftest_runs", &SELFTEST_RUNS),
    ("selftest_passes", &SELFTEST_PASSES),
];
