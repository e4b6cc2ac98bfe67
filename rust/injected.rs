// SPDX-License-Identifier: GPL-2.0
//! The bug a torture run injects into its own flips (`busted=NAME`), read where it acts: on
//! the flips (`site.rs`), the callbacks and the int3 path. A leaf of its own, so that those
//! files need not import the torture, which imports them.

use crate::busted::Busted;
// `core`'s atomic: read on the int3 path, which must not call the kernel crate's C helpers
// (`stats.rs` says why).
use core::sync::atomic::{
    AtomicU32,
    Ordering::Relaxed, //
};

/// The bug injected into this run, as a `Busted`; `None` outside a run that asked for one.
/// Set and cleared by `begin_torture`/`end_torture` under the control mutex, after the run's
/// first flip and before its last, so only the run's flips see it.
static BUSTED: AtomicU32 = AtomicU32::new(Busted::None as u32);

/// Whether the running torture asked for the bug `b`. Read on the call and int3 paths (one
/// relaxed load).
#[inline(always)]
pub(crate) fn busted(b: Busted) -> bool {
    BUSTED.load(Relaxed) == b as u32
}

/// The bug the running torture injects (`Busted::None` outside such a run).
pub(crate) fn current() -> Busted {
    Busted::ALL
        .into_iter()
        .find(|&b| busted(b))
        .unwrap_or_default()
}

/// Only the control mutex holder may call this.
pub(crate) fn set_busted(b: Busted) {
    BUSTED.store(b as u32, Relaxed);
}
