// SPDX-License-Identifier: GPL-2.0
//! A stack trace taken inside a callback, on request (`echo run > unwind`). It shows that the
//! kernel's unwinder (ORC, from the tables objtool writes for our asm) walks from the callback
//! through the trampoline and the traced function into the traced function's caller, and
//! whether it did so reliably: the live-patch consistency model refuses to switch a task whose
//! stack does not unwind reliably, so a trampoline without ORC data would stall it.
//!
//! The walk runs on the traced call path, so it only stores addresses (atomics): no lock, no
//! allocation, no printing (`control::unwind` prints them afterwards). The one exception is the
//! kernel's own: an unwinder that gets lost says so once (`orc_warn`, a deferred printk). Only
//! an armed capture walks, and only an explicit `echo run > unwind` arms one.
//!
//! ORC only: it is the one unwinder that reports when it is lost, and `struct unwind_state`
//! differs with the others. Without it, `unwind` refuses (`EOPNOTSUPP`). Raw C: 7.2's kernel
//! crate has no stack-unwinder abstraction (the bindings come from `extra_bindings.h`:
//! [`arch/x86/include/asm/unwind.h`](srctree/arch/x86/include/asm/unwind.h)).

use crate::sys::{
    ffi,
    frame, //
};
use kernel::ffi::c_ulong;
use kernel::{
    sync::atomic::{
        Acquire,
        Atomic,
        Relaxed,
        Release, //
    },
    task::Task, //
};

/// Frames kept; the walk goes on to the end of the stack to judge it.
pub(crate) const MAX_FRAMES: usize = 16;
/// A walk longer than this is a loop, not a stack.
const MAX_WALK: usize = 128;

/// 1 while a capture is wanted; the first callback that sees it takes it.
static ARMED: Atomic<u32> = Atomic::new(0);
static FRAMES: [Atomic<u64>; MAX_FRAMES] = [const { Atomic::new(0) }; MAX_FRAMES];
/// 1 + the frames walked (which may exceed `MAX_FRAMES`), or 0 while no capture was taken.
static WALKED: Atomic<u32> = Atomic::new(0);
/// Bit 0: the unwinder reported an error. Bit 1: a frame had no return address.
static FLAWS: Atomic<u32> = Atomic::new(0);

/// A captured trace.
pub(crate) struct Trace {
    pub(crate) frames: [usize; MAX_FRAMES],
    pub(crate) kept: usize,
    pub(crate) walked: usize,
    /// Walked to the end of the stack by ORC with no unwinder error and no unknown return
    /// address: what `arch_stack_walk_reliable` (livepatch) requires.
    pub(crate) reliable: bool,
}

/// Asks the next callback that runs to capture its stack.
pub(crate) fn arm() {
    WALKED.store(0, Relaxed);
    FLAWS.store(0, Relaxed);
    ARMED.store(1, Release);
}

/// Cancels a pending capture and returns the one taken since [`arm`], if any.
pub(crate) fn take() -> Option<Trace> {
    ARMED.store(0, Relaxed);
    last()
}

/// The latest capture, if any (it stays until the next [`arm`]).
pub(crate) fn last() -> Option<Trace> {
    let walked = (WALKED.load(Acquire) as usize).checked_sub(1)?;
    let kept = walked.min(MAX_FRAMES);
    Some(Trace {
        frames: core::array::from_fn(|i| {
            if i < kept {
                FRAMES[i].load(Relaxed) as usize
            } else {
                0
            }
        }),
        kept,
        walked,
        reliable: FLAWS.load(Relaxed) == 0 && walked < MAX_WALK,
    })
}

/// Called by a callback: captures the stack if a capture is armed. One relaxed load when not.
#[inline(always)]
pub(crate) fn capture_if_armed() {
    if ARMED.load(Relaxed) != 0 && ARMED.cmpxchg(1, 0, Acquire).is_ok() {
        capture();
    }
}

/// Whether this kernel can take a trace worth judging.
pub(crate) const SUPPORTED: bool = cfg!(CONFIG_UNWINDER_ORC);

#[cfg(not(CONFIG_UNWINDER_ORC))]
fn capture() {}

#[cfg(CONFIG_UNWINDER_ORC)]
#[cold]
#[inline(never)]
fn capture() {
    let mut state = ffi::unwind_state::default();
    let sp: usize;
    // SAFETY: reads the stack pointer; no memory access, no flags changed.
    unsafe {
        core::arch::asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags))
    };
    // SAFETY: `state` is ours; the task is the current one, whose stack we are on, and `sp`
    // lies in it (our own frame), so the walk starts at the frame above ours: our caller.
    unsafe {
        ffi::__unwind_start(
            &mut state,
            Task::current_raw(),
            core::ptr::null_mut(),
            sp as *mut c_ulong,
        )
    };
    // The walk `arch_stack_walk_reliable` makes: stop at an unwinder error, at a frame with no
    // return address, or, for a user task, at the registers saved on entry from user mode.
    let (mut walked, mut flaws) = (0, 0);
    while state.stack_info.type_ != ffi::STACK_TYPE_UNKNOWN && walked < MAX_WALK {
        if state.error {
            break;
        }
        // `unwind_get_entry_regs`: the entry registers, full or only their iret part, which
        // holds the `cs` that `user_mode` reads.
        // SAFETY: the unwinder points `regs` (when set) at a `pt_regs` on this task's stack.
        if !state.regs.is_null() && unsafe { frame::user_mode(state.regs) } {
            break;
        }
        // SAFETY: `state` was started above and is not done.
        let addr = unsafe { ffi::unwind_get_return_address(&mut state) };
        if addr == 0 {
            flaws |= 2;
            break;
        }
        if let Some(slot) = FRAMES.get(walked) {
            slot.store(addr as u64, Relaxed);
        }
        walked += 1;
        // SAFETY: as above.
        unsafe { ffi::unwind_next_frame(&mut state) };
    }
    if state.error {
        flaws |= 1;
    }
    FLAWS.store(flaws, Relaxed);
    WALKED.store(walked as u32 + 1, Release);
}
