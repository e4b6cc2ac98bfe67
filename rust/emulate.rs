// SPDX-License-Identifier: GPL-2.0
//! `int3_emulate_{jmp,push,call}` in Rust: the arithmetic of
//! [`arch/x86/include/asm/text-patching.h`](srctree/arch/x86/include/asm/text-patching.h), written against a small frame trait so that it has
//! no kernel dependency and is unit-tested on the host.
//!
//! The x86-64 int3 entry leaves a gap below the interrupted stack (and FRED a red zone),
//! which is what makes the push legal: we extend the *interrupted* stack, not ours.

/// Length of the `int3` instruction: after the trap, `ip` points this far past the site.
pub(crate) const INT3_INSN_SIZE: usize = 1;
/// Length of a `call rel32`, the instruction an int3 at a call site stands in for.
pub(crate) const CALL_INSN_SIZE: usize = 5;

/// The part of a trapped CPU's register frame that emulation touches.
pub(crate) trait CpuFrame {
    /// The saved instruction pointer (one past the int3 while in the handler).
    fn ip(&self) -> usize;
    /// Sets the instruction pointer the CPU returns to.
    fn set_ip(&mut self, ip: usize);
    /// The interrupted stack pointer.
    fn sp(&self) -> usize;
    /// Sets the interrupted stack pointer.
    fn set_sp(&mut self, sp: usize);
    /// Stores one word on the interrupted stack.
    ///
    /// # Safety
    ///
    /// `addr` must be a writable, word-aligned address of the interrupted stack that no one
    /// else uses: for a kernel trap frame, the gap the int3 entry left below `sp`.
    unsafe fn store_word(&mut self, addr: usize, val: usize);
}

/// Where the trapping site starts, given the frame of an int3 taken on it.
#[inline(always)]
pub(crate) fn trapped_site(frame: &impl CpuFrame) -> usize {
    frame.ip().wrapping_sub(INT3_INSN_SIZE)
}

/// The return address a `call` at `site` pushes.
#[inline(always)]
pub(crate) const fn call_return_address(site: usize) -> usize {
    site.wrapping_add(CALL_INSN_SIZE)
}

/// `int3_emulate_jmp()`: resume at `ip`.
#[inline(always)]
pub(crate) fn int3_emulate_jmp(frame: &mut impl CpuFrame, ip: usize) {
    frame.set_ip(ip);
}

/// `int3_emulate_push()`: push `val` on the interrupted stack.
///
/// # Safety
///
/// The word below `frame.sp()` must be writable and unused (the int3 entry's gap).
#[inline(always)]
pub(crate) unsafe fn int3_emulate_push(frame: &mut impl CpuFrame, val: usize) {
    let sp = frame.sp().wrapping_sub(core::mem::size_of::<usize>());
    frame.set_sp(sp);
    // SAFETY: the caller guarantees the word just below the old `sp` is ours to write.
    unsafe { frame.store_word(sp, val) };
}

/// `int3_emulate_call()`: behave as if the 5-byte `call func` at the trapping site ran:
/// push the address after the site, then continue at `func`.
///
/// # Safety
///
/// As for [`int3_emulate_push`]; `frame` must be an int3 trap frame taken on a 5-byte site.
#[inline(always)]
pub(crate) unsafe fn int3_emulate_call(frame: &mut impl CpuFrame, func: usize) {
    // SAFETY: forwarded from the caller; the site is the one trapped on.
    unsafe { int3_emulate_call_from(frame, trapped_site(frame), func) };
}

/// `int3_emulate_call()` for the call at `site`, the site the handler's lookup found: push
/// the address after it, then continue at `func`. A lookup that found the wrong site sends
/// the CPU back into the wrong function.
///
/// # Safety
///
/// As for [`int3_emulate_call`]; `site` is the site of one of our entries.
#[inline(always)]
pub(crate) unsafe fn int3_emulate_call_from(frame: &mut impl CpuFrame, site: usize, func: usize) {
    // SAFETY: forwarded from the caller.
    unsafe { int3_emulate_push(frame, call_return_address(site)) };
    int3_emulate_jmp(frame, func);
}

/// Where a CPU goes on from an int3 that is gone by the time the handler reads the site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AfterGone {
    /// A NOP stands there: go on past it.
    Past(usize),
    /// A call to one of our callees stands there: emulate it.
    Call(usize),
    /// Nothing we know stands there: run the site again.
    Rewind(usize),
}

/// What a hit on `site` whose int3 is gone does, given the complete instruction that stands
/// there now (`decoded`, `None` if it is none we know) and whether a call target is one of
/// our callees (`traced::callee`). Not a rewind when a NOP or our call stands there: under TCG a CPU can
/// keep running a stale translation of the site that still holds the int3, and a rewind then
/// traps again forever; emulating moves the CPU past the site, so every trap completes one
/// execution of it.
#[inline(always)]
pub(crate) fn after_gone_int3(
    site: usize,
    decoded: Option<crate::insn::Insn>,
    is_callee: impl Fn(usize) -> bool,
) -> AfterGone {
    match decoded {
        Some(crate::insn::Insn::Nop) => AfterGone::Past(call_return_address(site)),
        Some(crate::insn::Insn::Call(target)) if is_callee(target) => AfterGone::Call(target),
        _ => AfterGone::Rewind(site),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame over a fake stack of 16 words based at `base`.
    struct Fake {
        ip: usize,
        sp: usize,
        base: usize,
        stack: [usize; 16],
    }

    impl CpuFrame for Fake {
        fn ip(&self) -> usize {
            self.ip
        }
        fn set_ip(&mut self, ip: usize) {
            self.ip = ip
        }
        fn sp(&self) -> usize {
            self.sp
        }
        fn set_sp(&mut self, sp: usize) {
            self.sp = sp
        }
        unsafe fn store_word(&mut self, addr: usize, val: usize) {
            self.stack[(addr - self.base) / 8] = val;
        }
    }

    fn fake(site: usize) -> Fake {
        Fake {
            ip: site + INT3_INSN_SIZE,
            sp: 0x1000 + 8 * 8,
            base: 0x1000,
            stack: [0; 16],
        }
    }

    #[test]
    fn call_pushes_the_address_after_the_site_and_jumps() {
        let mut f = fake(0xffff_ffff_a000_0010);
        // SAFETY: the fake stack has room below sp.
        unsafe { int3_emulate_call(&mut f, 0xffff_ffff_a000_1000) };
        assert_eq!(f.ip, 0xffff_ffff_a000_1000);
        assert_eq!(f.sp, 0x1000 + 7 * 8);
        assert_eq!(f.stack[7], 0xffff_ffff_a000_0015);
    }

    #[test]
    fn push_grows_down_one_word_at_a_time() {
        let mut f = fake(0x100);
        // SAFETY: the fake stack has room below sp.
        unsafe {
            int3_emulate_push(&mut f, 1);
            int3_emulate_push(&mut f, 2);
        }
        assert_eq!(f.sp, 0x1000 + 6 * 8);
        assert_eq!(&f.stack[6..8], &[2, 1]);
    }

    #[test]
    fn jmp_only_moves_ip() {
        let mut f = fake(0x100);
        int3_emulate_jmp(&mut f, 0x105);
        assert_eq!((f.ip, f.sp), (0x105, 0x1000 + 8 * 8));
        assert!(f.stack.iter().all(|&w| w == 0));
    }

    #[test]
    fn a_gone_int3_goes_past_a_nop_emulates_our_call_and_rewinds_anything_else() {
        use crate::insn::Insn;
        let site = 0x2000;
        let ours = |t| t == 0x3000;
        assert_eq!(
            after_gone_int3(site, Some(Insn::Nop), ours),
            AfterGone::Past(0x2005)
        );
        assert_eq!(
            after_gone_int3(site, Some(Insn::Call(0x3000)), ours),
            AfterGone::Call(0x3000)
        );
        assert_eq!(
            after_gone_int3(site, Some(Insn::Call(0x4000)), ours),
            AfterGone::Rewind(site)
        );
        assert_eq!(after_gone_int3(site, None, ours), AfterGone::Rewind(site));
    }

    #[test]
    fn site_and_return_address_arithmetic() {
        let f = fake(0x2000);
        assert_eq!(trapped_site(&f), 0x2000);
        assert_eq!(call_return_address(0x2000), 0x2005);
    }
}
