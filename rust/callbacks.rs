// SPDX-License-Identifier: GPL-2.0
//! The callbacks a trampoline calls, the iterator that calls every registered one, and the
//! registry (a bit mask). They run on the traced call path, possibly from an emulated call
//! out of an int3: no lock, no allocation, no printing; atomics only.
//!
//! The registry needs no RCU: callbacks are static functions that live as long as the module,
//! so a reader that sees a stale mask calls a callback that still exists; the bit only says
//! whether it is wanted. Writers change the mask under the control mutex, and order it
//! against flips (set before a flip that needs it, clear after a flip that drops it).

use crate::{
    busted::Busted,
    injected,
    policy,
    stats::Counter,
    sys::unwind,
    traced, //
};
use kernel::{
    bindings,
    sync::atomic::{
        Acquire,
        Atomic,
        Release, //
    }, //
};

/// Registered callbacks: bit `i` is `policy::CALLBACKS[i]`.
static REGISTERED: Atomic<u32> = Atomic::new(0);

/// Calls of each callback.
pub(crate) static HITS: [Counter; policy::CALLBACKS.len()] =
    [const { Counter::new() }; policy::CALLBACKS.len()];

/// The `counter` callback's per-CPU counts (CPU number modulo the array size; the sum is
/// exact either way, since every slot is an atomic).
pub(crate) const PER_CPU_SLOTS: usize = 64;
pub(crate) static PER_CPU: [Counter; PER_CPU_SLOTS] = [const { Counter::new() }; PER_CPU_SLOTS];

pub(crate) fn registered() -> u32 {
    REGISTERED.load(Acquire)
}

/// Only the control mutex holder may call this.
pub(crate) fn set_registered(mask: u32) {
    REGISTERED.store(mask, Release);
}

/// The live patch: continue in v2 instead of the original body. Without `regs` (a no-regs
/// trampoline, where the policy never sends it) it cannot, and the call runs v1: a missed call
/// that the torture and `call` count, never a crash.
///
/// # Safety
///
/// Called only by our trampolines, with `regs` pointing to the `pt_regs` they saved, or null
/// from a no-regs trampoline.
#[no_mangle]
pub(crate) unsafe extern "C" fn int3call_livepatch(regs: *mut bindings::pt_regs) {
    HITS[policy::LIVEPATCH].inc();
    if regs.is_null()
        || (injected::busted(Busted::LpFlaky) && HITS[policy::LIVEPATCH].get() % 64 == 0)
    {
        return;
    }
    // SAFETY: per the contract `regs` is valid and ours; the trampoline returns to `ip`,
    // which is the address after the site that called it, so it names the entry.
    unsafe { (*regs).ip = traced::v2_after((*regs).ip) };
}

/// The per-CPU call counter; it also takes the stack trace `unwind` asks for.
///
/// # Safety
///
/// Called only by our trampolines (it does not touch `regs`, which may be null).
#[no_mangle]
pub(crate) unsafe extern "C" fn int3call_counter(_regs: *mut bindings::pt_regs) {
    HITS[policy::COUNTER].inc();
    // Preemption may be enabled here, so the CPU number can be stale by the time it is used:
    // that only moves the count to another slot (each is an atomic, so the sum stays exact).
    // `CpuId::current` is `raw_smp_processor_id`: a per-CPU read, no lock, no sleep.
    let cpu = kernel::cpu::CpuId::current().as_u32() as usize;
    PER_CPU[cpu % PER_CPU_SLOTS].inc();
    unwind::capture_if_armed();
}

macro_rules! probe {
    ($name:ident, $index:expr) => {
        /// A probe that only counts its calls (fills the iterator for benchmarks).
        ///
        /// # Safety
        ///
        /// Called only by our trampolines (it does not touch `regs`, which may be null).
        #[no_mangle]
        pub(crate) unsafe extern "C" fn $name(_regs: *mut bindings::pt_regs) {
            HITS[$index].inc();
        }
    };
}
probe!(int3call_probe1, 2);
probe!(int3call_probe2, 3);
probe!(int3call_probe3, 4);
probe!(int3call_probe4, 5);
probe!(int3call_probe5, 6);
probe!(int3call_probe6, 7);

type Callback = unsafe extern "C" fn(*mut bindings::pt_regs);
const ALL: [Callback; policy::CALLBACKS.len()] = [
    int3call_livepatch,
    int3call_counter,
    int3call_probe1,
    int3call_probe2,
    int3call_probe3,
    int3call_probe4,
    int3call_probe5,
    int3call_probe6,
];

/// Runs callback `cb` (ignored if out of range): the ftrace engine's ops call it.
///
/// # Safety
///
/// `regs` points to the complete `pt_regs` of a traced call, through which the caller
/// returns, honouring a changed `ip` (the trampolines' contract).
#[inline(always)]
pub(crate) unsafe fn run(cb: usize, regs: *mut bindings::pt_regs) {
    if let Some(f) = ALL.get(cb) {
        // SAFETY: forwarded contract on `regs`.
        unsafe { f(regs) };
    }
}

/// The iterator: calls every registered callback, in registry order.
///
/// # Safety
///
/// Called only by the iterator trampoline, with `regs` pointing to the `pt_regs` it saved.
#[no_mangle]
pub(crate) unsafe extern "C" fn int3call_iterate(regs: *mut bindings::pt_regs) {
    let mut mask = REGISTERED.load(Acquire);
    if injected::busted(Busted::IterDrop) && mask.count_ones() >= 2 {
        mask &= mask - 1;
    }
    while mask != 0 {
        let i = mask.trailing_zeros() as usize;
        mask &= mask - 1;
        // SAFETY: `i < 8` since only 8 bits are ever set; forwarded contract on `regs`.
        unsafe { ALL[i](regs) };
    }
}

/// Zeroes the hit counters.
pub(crate) fn reset() {
    HITS.iter().chain(PER_CPU.iter()).for_each(Counter::reset);
}
