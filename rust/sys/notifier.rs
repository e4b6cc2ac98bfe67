// SPDX-License-Identifier: GPL-2.0
//! Our die notifier for DIE_INT3. The kernel's own text-poke handler and kprobes see an
//! int3 before any notifier does; what reaches us is every other int3, user mode included.
//! We claim only int3s that one of our flips owns, or that are already gone (`site.rs`).
//!
//! It runs in NMI-like context: atomics only, no lock, no allocation, no printk. It lives in
//! `.kprobes.text` with everything it calls from this crate, so no kprobe can be put on it.
//!
//! Raw C: 7.2's kernel crate has no notifier-chain abstraction, so the block is a
//! `bindings::notifier_block` and `(un)register_die_notifier` come from `extra_bindings.h`
//! ([`include/linux/kdebug.h`](srctree/include/linux/kdebug.h)).

use crate::{
    emulate,
    selftest,
    site,
    stats,
    sys::{
        ffi,
        frame::RegsFrame, //
    }, //
};
use kernel::ffi::{
    c_int,
    c_void, //
};
use kernel::{
    bindings,
    prelude::*,
    types::Opaque, //
};

/// The notifier block lives in a static so that its address is stable while registered.
struct StaticNotifierBlock(Opaque<bindings::notifier_block>);

// SAFETY: after registration the block is only read and linked by the notifier chain, which
// serialises writers with its own lock; we never touch it ourselves.
unsafe impl Sync for StaticNotifierBlock {}

static BLOCK: StaticNotifierBlock = StaticNotifierBlock(Opaque::new(bindings::notifier_block {
    notifier_call: Some(on_die),
    next: core::ptr::null_mut(),
    // Chains run in descending priority: INT_MAX - 1 (as the kernel's int3_selftest()) runs
    // before every other die notifier but kprobes' (INT_MAX). That is safe because we claim
    // only int3s that are ours or gone; anything else goes on down the chain.
    priority: i32::MAX - 1,
}));

const NOTIFY_DONE: c_int = bindings::NOTIFY_DONE as c_int;
const NOTIFY_STOP: c_int = (bindings::NOTIFY_OK | bindings::NOTIFY_STOP_MASK) as c_int;

/// # Safety
///
/// Called by `notify_die()` only: for `DIE_INT3`, `data` points to a valid `struct die_args`
/// whose `regs` is the trap frame of the int3, exclusively ours for this call.
#[link_section = ".kprobes.text"]
unsafe extern "C" fn on_die(
    _nb: *mut bindings::notifier_block,
    val: usize,
    data: *mut c_void,
) -> c_int {
    if val != ffi::DIE_INT3 as usize || data.is_null() {
        return NOTIFY_DONE;
    }
    // SAFETY: per this function's contract `data` is a valid `die_args` for DIE_INT3.
    let regs = unsafe { (*data.cast::<ffi::die_args>()).regs };
    if regs.is_null() {
        return NOTIFY_DONE;
    }
    // SAFETY: `regs` is the live trap frame, not aliased while this handler runs.
    let mut frame = RegsFrame(unsafe { &mut *regs });
    // A user-mode int3 (a debugger's breakpoint) is never ours: first thing, as the
    // kernel's own int3 notifiers do.
    if frame.user_mode() {
        return NOTIFY_DONE;
    }
    stats::INT3_NOTIFIED.inc();
    // Each owner recognises its own sites by address.
    let site = emulate::trapped_site(&frame);
    if selftest::on_int3(&mut frame, site) || site::on_int3(&mut frame, site) {
        return NOTIFY_STOP;
    }
    NOTIFY_DONE
}

/// Proof that our die notifier is registered; unregisters it when dropped.
///
/// # Invariants
///
/// While a `DieNotifier` exists, `BLOCK` is registered on the die chain, so an int3 at one of
/// our sites reaches [`on_die`]; [`DieNotifier::register`] is the only constructor, and at most
/// one exists: the die chain refuses a block that is already on it (`-EEXIST`, with a warning),
/// so a second `register` returns an error instead of a second `DieNotifier`.
pub(crate) struct DieNotifier(());

impl DieNotifier {
    pub(crate) fn register() -> Result<Self> {
        // SAFETY: `BLOCK` is a static, so it outlives the registration, and `Drop` unregisters
        // it. Registering it while it is on the chain already is refused by the chain itself
        // (`-EEXIST`), so no call here can link it twice.
        let ret = unsafe { ffi::register_die_notifier(BLOCK.0.get()) };
        if ret != 0 {
            pr_err!("register_die_notifier failed: {}\n", ret);
            return Err(Error::from_errno(ret));
        }
        // INVARIANT: `BLOCK` was just registered by the only constructor; it was not on the
        // chain before (the chain would have refused it), so this is the only `DieNotifier`.
        Ok(Self(()))
    }
}

impl Drop for DieNotifier {
    fn drop(&mut self) {
        // SAFETY: `BLOCK` was registered by `register`. `unregister_die_notifier` waits with
        // `synchronize_rcu()` for the only readers left: CPUs inside `notify_die()` that may be
        // running `on_die` (an int3 taken anywhere, since the chain is global).
        unsafe { ffi::unregister_die_notifier(BLOCK.0.get()) };
    }
}
