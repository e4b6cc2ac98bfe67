// SPDX-License-Identifier: GPL-2.0
//! Counts the kernel engine's CPU syncs: a kprobe on `do_sync_core()`, the function that
//! `smp_text_poke_sync_each_cpu()` runs on every online CPU, once after each of the batch's
//! three passes. (The probe cannot sit on `smp_text_poke_sync_each_cpu()` itself: the compiler
//! inlines it into the batch code, and only the function handed to `on_each_cpu()` is sure to
//! stay out of line.) The kernel keeps no count of its own, and a batch it flushes early
//! (full, or added out of address order) shows only here, as more syncs per batch. Counted
//! only while a flip of ours is written (`Counting`), which holds `text_mutex`, so no other
//! patcher's syncs are mixed in; each sync is one hit per online CPU. The probe is placed only
//! while more than one site follows the state (`set`).
//!
//! Raw C: 7.2's kernel crate has no kprobe abstraction.

use super::ffi::{
    self,
    kprobe, //
};
use crate::stats;
use core::sync::atomic::{
    AtomicBool,
    Ordering, //
};
use kernel::{
    bindings::pt_regs,
    ffi::c_int,
    prelude::*,
    types::Opaque, //
};

/// The probe; the kprobe core links it into its lists.
struct Probe(Opaque<kprobe>);

// SAFETY: the probe is only touched through raw pointers: by the kprobe core (under its own
// locks) and by `set`, which the control mutex serialises.
unsafe impl Sync for Probe {}

/// Written afresh by `set` before each registration.
static PROBE: Probe = Probe(Opaque::uninit());

/// Set while one of our kernel-engine flips is written.
static ARMED: AtomicBool = AtomicBool::new(false);

/// The probe's handler: runs in the probe's int3 (or optimized) context, atomics only. The
/// kprobe core calls it through a `kprobe_pre_handler_t` pointer, whose prototype (bindgen's)
/// this one is, so under kCFI it carries that type's hash.
extern "C" fn int3call_sync_seen(_p: *mut kprobe, _regs: *mut pt_regs) -> c_int {
    if ARMED.load(Ordering::Relaxed) {
        HITS.inc();
    }
    0
}

/// `do_sync_core()` runs while counting, on any CPU.
static HITS: stats::Counter = stats::Counter::new();

/// Places the probe (`on`) or removes it; a no-op if it already is as asked. Callers hold the
/// control mutex, which serialises this with every flip: it is placed while more than one site
/// follows the state, because each sync it sees costs every CPU a probe hit, which a
/// single-site flip, whose numbers are the README's, must not pay. If the kernel refuses it,
/// a warning says so and the kernel engine's syncs are reported as not counted.
pub(crate) fn set(on: bool) {
    if on == REGISTERED.load(Ordering::Relaxed) {
        return;
    }
    if !on {
        // SAFETY: registered (the flag says so), by this function only; `unregister_kprobe`
        // waits for every handler still running.
        unsafe { ffi::unregister_kprobe(PROBE.0.get()) };
        REGISTERED.store(false, Ordering::Relaxed);
        return;
    }
    // A fresh probe each time: the kernel refuses one that still holds the address it
    // resolved last time beside the symbol.
    let fresh = kprobe {
        symbol_name: c"do_sync_core".as_char_ptr(),
        pre_handler: Some(int3call_sync_seen),
        // SAFETY: `struct kprobe` is plain data, valid all zero, as a C `static struct kprobe`.
        ..unsafe { core::mem::zeroed() }
    };
    // SAFETY: not registered (the flag says so): the kprobe core holds no reference to it, and
    // the control mutex keeps every other user of this function out.
    unsafe { PROBE.0.get().write(fresh) };
    // SAFETY: `PROBE` is a static kprobe naming a symbol; it is unregistered by this function
    // before the module's memory goes (module exit, `Control::close`).
    let ret = unsafe { ffi::register_kprobe(PROBE.0.get()) };
    if ret < 0 {
        pr_warn!(
            "no kprobe on do_sync_core (error {}): the kernel engine's syncs are not counted\n",
            ret
        );
        return;
    }
    REGISTERED.store(true, Ordering::Relaxed);
}

/// Counts the kernel's syncs while alive (the control mutex serialises our flips), and adds
/// them to `stats::SYNCS` when dropped: the hits over `cpus`, the online CPUs, each of which
/// runs `do_sync_core()` once per sync.
pub(crate) struct Counting {
    cpus: u64,
}

impl Counting {
    pub(crate) fn begin(cpus: usize) -> Self {
        HITS.reset();
        ARMED.store(true, Ordering::Release);
        Counting {
            cpus: (cpus as u64).max(1),
        }
    }
}

impl Drop for Counting {
    fn drop(&mut self) {
        // The last sync returned only once every CPU ran its `do_sync_core()`.
        ARMED.store(false, Ordering::Release);
        stats::SYNCS.add(HITS.get().checked_div(self.cpus).unwrap_or(0));
    }
}

/// Whether the probe is registered.
pub(crate) fn counting() -> bool {
    REGISTERED.load(Ordering::Relaxed)
}

static REGISTERED: AtomicBool = AtomicBool::new(false);
