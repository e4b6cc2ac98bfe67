// SPDX-License-Identifier: GPL-2.0
//! Load-time self-test, modelled on the kernel's `int3_selftest()`: run an int3 that stands
//! where a 5-byte call would, let our die notifier emulate the call with the Rust
//! `int3_emulate_call`, and check that the callee ran and came back.

use crate::{
    emulate,
    emulate::CpuFrame,
    insn,
    site,
    stats,
    sys::notifier::DieNotifier,
    traced, //
};
use kernel::{
    prelude::*,
    sync::atomic::{
        Atomic,
        Relaxed, //
    }, //
};

/// What the callee stores: proof that the emulated call reached it with our argument.
pub(crate) const MAGIC: u32 = 0x1273_ca11;

// `int3call_selftest_entry(u32 *out)`: `int3; nop4` stands in for `call callee` (the int3
// handler supplies the call). The `sub` keeps the callee's stack ABI-aligned.
core::arch::global_asm!(
    ".pushsection .kprobes.text, \"ax\"",
    ".p2align 4",
    ".globl int3call_selftest_entry",
    ".type int3call_selftest_entry, @function",
    "int3call_selftest_entry:",
    "    sub rsp, 8",
    ".globl int3call_selftest_site",
    "int3call_selftest_site:",
    annotate_noendbr!(),
    "    int3",
    "    .byte 0x0f, 0x1f, 0x40, 0x00",
    "    add rsp, 8",
    asm_ret!(),
    ".size int3call_selftest_entry, . - int3call_selftest_entry",
    ".popsection",
);

extern "C" {
    fn int3call_selftest_entry(out: *mut u32);
    fn int3call_selftest_site();
}

static LAST_VALUE: Atomic<u32> = Atomic::new(0);
/// The latest run's outcome: 0 none yet, 1 pass, 2 fail. Kept apart from the counters,
/// which `echo reset > stats` zeroes.
static LAST_RESULT: Atomic<u32> = Atomic::new(0);

/// The latest run's outcome, as `selftest` shows it.
pub(crate) fn last_result() -> &'static str {
    match LAST_RESULT.load(Relaxed) {
        1 => "pass",
        2 => "fail",
        _ => "none",
    }
}

/// The emulated call's target.
///
/// # Safety
///
/// Only reached through the emulated call from `int3call_selftest_entry`, whose first
/// argument (still in `rdi`) is the `&mut u32` that [`run`] passed.
unsafe extern "C" fn callee(out: *mut u32) {
    // SAFETY: per the contract, `out` is a valid, exclusive `*mut u32`.
    unsafe { out.write(MAGIC) };
}

/// Die-notifier hook: handles a hit on the self-test site. Runs in int3 context.
#[inline(always)]
pub(crate) fn on_int3(frame: &mut impl CpuFrame, site: usize) -> bool {
    if site != int3call_selftest_site as usize {
        return false;
    }
    stats::SELFTEST_HITS.inc();
    // SAFETY: `frame` is the trap frame of the int3 at our 5-byte self-test site, taken in
    // kernel mode, so the int3 entry left a gap below `sp` for the pushed return address.
    unsafe { emulate::int3_emulate_call(frame, callee as usize) };
    true
}

/// Runs the self-test once; `EIO` if the callee did not record [`MAGIC`].
pub(crate) fn run(_registered: &DieNotifier) -> Result {
    let mut out: u32 = 0;
    // SAFETY: our die notifier is registered (the argument proves it), so the int3 in the
    // entry is turned into a call to `callee` with `&mut out` in `rdi`; the entry then
    // returns normally. Without the notifier the int3 would oops, hence the witness.
    unsafe { int3call_selftest_entry(&mut out) };
    stats::SELFTEST_RUNS.inc();
    LAST_VALUE.store(out, Relaxed);
    LAST_RESULT.store(if out == MAGIC { 1 } else { 2 }, Relaxed);
    if out != MAGIC {
        pr_err!(
            "self-test failed: callee recorded {:#x}, expected {:#x}\n",
            out,
            MAGIC
        );
        return Err(EIO);
    }
    stats::SELFTEST_PASSES.inc();
    Ok(())
}

/// The handler's rule for a gone int3 (`emulate::after_gone_int3`), on the traced site's own
/// bytes: at rest the site is a NOP, and a CPU whose int3 went away under it must go on past
/// it. A race the torture cannot time, so it is checked on every load, while the site is at
/// rest.
pub(crate) fn gone_int3_on_the_site() -> Result {
    let site = traced::site();
    let bytes = site::read_entry(0);
    let after = emulate::after_gone_int3(site, insn::decode(site, &bytes), traced::is_callee);
    if after != emulate::AfterGone::Past(site + insn::SITE_LEN) {
        pr_err!(
            "self-test failed: a gone int3 on the site ({:02x?}) resumes as {:?}, expected past the NOP\n",
            bytes,
            after
        );
        return Err(EIO);
    }
    Ok(())
}

/// The value the callee recorded in the latest run.
pub(crate) fn last_value() -> u32 {
    LAST_VALUE.load(Relaxed)
}
