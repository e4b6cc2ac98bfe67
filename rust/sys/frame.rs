// SPDX-License-Identifier: GPL-2.0
//! The kernel's trap frame (`struct pt_regs`) seen through the pure `CpuFrame` trait.

use crate::emulate::CpuFrame;
use core::mem::offset_of;
use kernel::bindings;

/// `cs` follows `ip` in the hardware frame; bindgen makes it a union, so it is found by offset.
const CS_OFFSET: usize = offset_of!(bindings::pt_regs, ip) + 8;

/// A trapped CPU's registers, borrowed from the die chain for the length of one handler.
pub(crate) struct RegsFrame<'a>(pub(crate) &'a mut bindings::pt_regs);

/// The kernel's `user_mode()` on x86-64: `regs` was saved on entry from ring 3.
///
/// # Safety
///
/// `regs` points to a readable `struct pt_regs`.
#[inline(always)]
pub(crate) unsafe fn user_mode(regs: *const bindings::pt_regs) -> bool {
    // SAFETY: `CS_OFFSET` is inside `pt_regs` (the saved `cs`, a 16-bit selector), which the
    // caller says is readable.
    let cs = unsafe { regs.cast::<u8>().add(CS_OFFSET).cast::<u16>().read() };
    cs & 3 != 0
}

impl RegsFrame<'_> {
    /// The trap came from ring 3.
    #[inline(always)]
    pub(crate) fn user_mode(&self) -> bool {
        // SAFETY: a reference to the trap frame is readable.
        unsafe { user_mode(&*self.0) }
    }
}

impl CpuFrame for RegsFrame<'_> {
    #[inline(always)]
    fn ip(&self) -> usize {
        self.0.ip
    }
    #[inline(always)]
    fn set_ip(&mut self, ip: usize) {
        self.0.ip = ip;
    }
    #[inline(always)]
    fn sp(&self) -> usize {
        self.0.sp
    }
    #[inline(always)]
    fn set_sp(&mut self, sp: usize) {
        self.0.sp = sp;
    }
    #[inline(always)]
    unsafe fn store_word(&mut self, addr: usize, val: usize) {
        // SAFETY: the caller guarantees `addr` is an aligned, writable, unused word of the
        // interrupted stack (the gap the int3 entry leaves below the trapped `sp`).
        unsafe { (addr as *mut usize).write(val) };
    }
}
