// SPDX-License-Identifier: GPL-2.0
//! Flipping the traced function's call site, with either engine, and the module engine's
//! int3 handling.
//!
//! Both engines run the seed protocol: int3 on byte 0, sync every CPU, write bytes 1..4,
//! sync, write byte 0, sync. A CPU that runs into the int3 meanwhile is sent, by an emulated
//! `call`, to the emulation stub the policy picks (`traced.rs`).

use crate::{
    emulate::{self, CpuFrame},
    insn::{self, Insn},
    policy::{self, Engine, Policy, SiteState},
    stats,
    symbols::KernelSyms,
    traced,
};
use core::ffi::c_void;
use kernel::{
    bindings,
    prelude::*,
    sync::atomic::{Acquire, Atomic, Relaxed, Release},
    time::{delay::fsleep, Delta},
};

/// The module engine's open window: the site that carries our int3 (0 when none) and the
/// stub a hit on it is emulated as a call to. Written before the int3 goes in and cleared
/// after the last sync, so the handler always sees a complete pair.
static WINDOW_SITE: Atomic<usize> = Atomic::new(0);
static WINDOW_TARGET: Atomic<usize> = Atomic::new(0);

/// `text_mutex`, held for as long as this guard lives.
struct TextMutexGuard<'a>(&'a KernelSyms);

impl<'a> TextMutexGuard<'a> {
    fn lock(syms: &'a KernelSyms) -> Self {
        // SAFETY: `text_mutex` is the kernel's global mutex, valid forever; we are in process
        // context (a debugfs write, module exit or our kthread) where sleeping is allowed.
        unsafe { bindings::mutex_lock(syms.text_mutex) };
        Self(syms)
    }
}

impl Drop for TextMutexGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: locked by `lock` in this task.
        unsafe { bindings::mutex_unlock(self.0.text_mutex) };
    }
}

/// Runs on every CPU from an IPI: a serialising instruction, so the CPU drops any stale
/// prefetched copy of the site (the kernel's `sync_core()`).
unsafe extern "C" fn serialize(_info: *mut c_void) {
    // SAFETY: `cpuid` is available on every x86-64 CPU and has no side effects.
    unsafe { core::arch::x86_64::__cpuid(0) };
}

/// The kernel's `smp_text_poke_sync_each_cpu()`: serialise every online CPU, and wait. An IPI
/// cannot land inside an int3 handler (it runs with interrupts off), so when this returns,
/// every hit taken before it has been fully handled.
fn sync_each_cpu() {
    // SAFETY: `serialize` is a valid SMP call function that ignores `info`; the online mask is
    // the kernel's global, valid forever; `wait = true` keeps everything on our stack valid.
    unsafe {
        bindings::on_each_cpu_cond_mask(
            None,
            Some(serialize),
            core::ptr::null_mut(),
            true,
            &raw const bindings::__cpu_online_mask,
        )
    };
}

/// Writes `bytes` at `addr` in our own text.
fn poke(guard: &TextMutexGuard<'_>, addr: usize, bytes: &[u8]) {
    // SAFETY: `addr..addr + bytes.len()` lies in the traced function's site, module text that
    // lives as long as the module; `text_mutex` is held (the guard proves it).
    unsafe { (guard.0.text_poke)(addr as *mut c_void, bytes.as_ptr().cast(), bytes.len()) };
}

/// The seed protocol, in Rust, with our die notifier emulating hits. `hold` runs after
/// step 1 and after step 2, while byte 0 is our int3.
fn module_engine(
    guard: &TextMutexGuard<'_>,
    site: usize,
    new: &[u8; insn::SITE_LEN],
    stub: usize,
    mut hold: impl FnMut(),
) {
    WINDOW_TARGET.store(stub, Relaxed);
    WINDOW_SITE.store(site, Release);
    poke(guard, site, &[insn::INT3]);
    sync_each_cpu();
    hold();
    poke(guard, site + 1, &new[1..]);
    sync_each_cpu();
    hold();
    poke(guard, site, &new[..1]);
    sync_each_cpu();
    WINDOW_SITE.store(0, Release);
}

/// Keeps the int3 window open for a while, so that calling CPUs land in it.
fn hold_for(window: Delta) {
    if window.as_micros_ceil() > 0 {
        fsleep(window);
    }
}

/// The instruction a site in `state` holds.
pub(crate) fn insn_of(state: SiteState) -> Insn {
    traced::trampoline(state).map_or(Insn::Nop, Insn::Call)
}

/// Rewrites the site with the bytes it holds for `state`, on the module engine, and runs
/// `during` once while our int3 is in (after step 1): every call of the traced function it
/// makes traps and is emulated as a call to where the site already goes.
pub(crate) fn hold_int3(syms: &KernelSyms, state: SiteState, during: impl FnOnce()) -> Result {
    let site = traced::site();
    let bytes = insn::encode(site, insn_of(state)).ok_or(ERANGE)?;
    let stub = traced::stub(policy::stub_index(Policy::New, state));
    let guard = TextMutexGuard::lock(syms);
    let mut during = Some(during);
    module_engine(&guard, site, &bytes, stub, || {
        if let Some(f) = during.take() {
            f()
        }
    });
    stats::FLIPS_MODULE.inc();
    Ok(())
}

/// What a flip is asked to do.
pub(crate) struct Flip {
    pub(crate) old: SiteState,
    pub(crate) new: SiteState,
    pub(crate) engine: Engine,
    pub(crate) policy: Policy,
    /// Module engine only: how long to hold each step open.
    pub(crate) window: Delta,
}

/// Rewrites the site from `flip.old` to `flip.new`, live.
pub(crate) fn flip(syms: &KernelSyms, flip: &Flip) -> Result {
    let site = traced::site();
    let new = insn::encode(site, insn_of(flip.new)).ok_or(ERANGE)?;
    let acts_as = policy::emulated(flip.policy, flip.old, flip.new);
    let stub = traced::stub(policy::stub_index(flip.policy, acts_as));
    let emulate = insn::encode_call(site, stub).ok_or(ERANGE)?;
    let guard = TextMutexGuard::lock(syms);
    match flip.engine {
        Engine::Kernel => {
            // SAFETY: the site is our own module text; `text_mutex` is held; both buffers are
            // 5 valid bytes (the kernel copies them before returning), and `emulate` is a
            // `call` the kernel's int3 handler can emulate, relative to `site`.
            unsafe {
                (syms.poke_single)(site as *mut c_void, new.as_ptr().cast(), new.len(), emulate.as_ptr().cast())
            };
            stats::FLIPS_KERNEL.inc();
        }
        Engine::Module => {
            module_engine(&guard, site, &new, stub, || hold_for(flip.window));
            stats::FLIPS_MODULE.inc();
        }
    }
    Ok(())
}

/// The five bytes the site holds now.
pub(crate) fn read_site() -> [u8; insn::SITE_LEN] {
    // SAFETY: the site is 5 bytes of our own, always-mapped text; a racing flip can only
    // make the copy show a mix of old, int3 and new bytes, which is what it is.
    unsafe { core::ptr::read_volatile(traced::site() as *const [u8; insn::SITE_LEN]) }
}

/// Die-notifier hook for the module engine's int3. Runs in int3 context: atomics only.
pub(crate) fn on_int3(frame: &mut impl CpuFrame, site: usize) -> bool {
    if site != traced::site() {
        return false;
    }
    // SAFETY: `site` is our own mapped text; reading one byte has no side effect.
    let byte = unsafe { core::ptr::read_volatile(site as *const u8) };
    if byte != insn::INT3 || WINDOW_SITE.load(Acquire) != site {
        // Not our window's int3: the flip that planted it already finished (its int3 may be
        // gone, or the next flip's is there). Seen under TCG on the kernel engine, where the
        // kernel's own handler had already declined it. Run the site again: it holds either
        // a complete instruction or an int3 some engine is handling now.
        stats::REWINDS.inc();
        emulate::int3_emulate_jmp(frame, site);
        return true;
    }
    stats::INT3_HITS.inc();
    let target = WINDOW_TARGET.load(Relaxed);
    // SAFETY: `frame` is the trap frame of a kernel-mode int3 on our 5-byte call site, so the
    // int3 entry left a gap below `sp` for the return address; `target` is one of our stubs.
    unsafe { emulate::int3_emulate_call(frame, target) };
    true
}
