// SPDX-License-Identifier: GPL-2.0
//! The kernel's trap frame (`struct pt_regs`) seen through the pure `CpuFrame` trait.

use crate::emulate::CpuFrame;
use kernel::bindings;

/// A trapped CPU's registers, borrowed from the die chain for the length of one handler.
pub(crate) struct RegsFrame<'a>(pub(crate) &'a mut bindings::pt_regs);

impl CpuFrame for RegsFrame<'_> {
    fn ip(&self) -> usize {
        self.0.ip as usize
    }
    fn set_ip(&mut self, ip: usize) {
        self.0.ip = ip as _;
    }
    fn sp(&self) -> usize {
        self.0.sp as usize
    }
    fn set_sp(&mut self, sp: usize) {
        self.0.sp = sp as _;
    }
    unsafe fn store_word(&mut self, addr: usize, val: usize) {
        // SAFETY: the caller guarantees `addr` is an aligned, writable, unused word of the
        // interrupted stack (the gap the int3 entry leaves below the trapped `sp`).
        unsafe { (addr as *mut usize).write(val) };
    }
}
