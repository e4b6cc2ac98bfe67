// SPDX-License-Identifier: GPL-2.0
//! The engine `ftrace`: one `ftrace_ops` per callback, each filtered to the site ftrace owns
//! (`traced::ftrace_site`). Registering and unregistering them is all we do; ftrace picks
//! what the site calls (the op's own trampoline for one op, its list function for more),
//! writes it with its int3 protocol, and its int3 handler emulates the new call.
//!
//! The live patch's op has `FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_SAVE_REGS` and sends the
//! call to v2 by rewriting `regs->ip`, as livepatch does; the others save regs too, so every
//! callback gets the `pt_regs` its trampoline would give it.
//!
//! Raw C: 7.2's kernel crate has no ftrace abstraction, so the ops and their functions are
//! bindgen's (`ffi.rs`), used here only.

use super::ffi::{
    self,
    ftrace_ops,
    ftrace_regs, //
};
use crate::{
    callbacks,
    policy,
    traced, //
};
use core::{
    mem::offset_of,
    sync::atomic::{
        AtomicU32,
        Ordering, //
    },
};
use kernel::{
    bindings::pt_regs,
    error::to_result,
    ffi::c_ulong,
    prelude::*,
    types::Opaque, //
};

/// The ops, by callback index; ftrace links them into its lists and writes their flags.
struct Ops([Opaque<ftrace_ops>; policy::CALLBACKS.len()]);

// SAFETY: every access to the ops goes through raw pointers, by ftrace (under its own
// `ftrace_lock`) or by us (under the control mutex, which serialises every register,
// unregister and filter change); the `func` ftrace calls only reads `private`, which is set
// before the op is first registered and never changes.
unsafe impl Sync for Ops {}

/// The op of callback `cb`: ftrace's func calls it, `private` is its index.
const fn op(cb: usize) -> Opaque<ftrace_ops> {
    let save_regs = ffi::FTRACE_OPS_FL_SAVE_REGS as c_ulong;
    let flags = if cb == policy::LIVEPATCH {
        save_regs | ffi::FTRACE_OPS_FL_IPMODIFY as c_ulong
    } else {
        save_regs
    };
    Opaque::new(ftrace_ops {
        func: Some(int3call_ftrace_op),
        flags,
        private: core::ptr::without_provenance_mut(cb),
        // SAFETY: `struct ftrace_ops` is plain data (pointers, integers, a mutex that
        // `ftrace_ops_init` initialises on the first filter change), valid all zero, as a
        // C `static struct ftrace_ops` is.
        ..unsafe { core::mem::zeroed() }
    })
}

static OPS: Ops = Ops([op(0), op(1), op(2), op(3), op(4), op(5), op(6), op(7)]);

/// Ops whose filter holds the site (bit = callback), so that module exit frees it.
static FILTERED: AtomicU32 = AtomicU32::new(0);

fn op_ptr(cb: usize) -> Result<*mut ftrace_ops> {
    OPS.0.get(cb).map(Opaque::get).ok_or(EINVAL)
}

/// ftrace's func for every op: runs the op's callback with the registers ftrace saved.
/// Called on the traced call path, with preemption off: atomics only. ftrace's list function
/// calls it through an `ftrace_func_t` pointer, so under kCFI it carries that type's hash:
/// its prototype is bindgen's, and the C types are encoded by name.
///
/// # Safety
///
/// Called only by ftrace, for one of [`OPS`], with the `ftrace_regs` its regs caller saved.
unsafe extern "C" fn int3call_ftrace_op(
    _ip: c_ulong,
    _parent_ip: c_ulong,
    op: *mut ftrace_ops,
    fregs: *mut ftrace_regs,
) {
    if fregs.is_null() {
        return;
    }
    // SAFETY: `op` is one of ours (the contract); `private` never changes after const init.
    let cb = unsafe { (*op).private } as usize;
    // x86's `arch_ftrace_get_regs()`: the `ftrace_regs` is a `pt_regs`, complete when `cs`
    // was saved, which SAVE_REGS (every op of ours has it) guarantees; without it, do nothing
    // rather than hand the callback registers it cannot trust.
    let regs = fregs.cast::<pt_regs>();
    // SAFETY: `regs` points to the saved `pt_regs` (the contract); `cs` sits right after `ip`
    // (checked in `traced.rs`), read as the word it is.
    let cs = unsafe {
        core::ptr::read(
            regs.cast::<u8>()
                .add(offset_of!(pt_regs, ip) + 8)
                .cast::<u64>(),
        )
    };
    if cs != 0 {
        // SAFETY: `regs` is the complete `pt_regs` of this call, which ftrace restores and
        // returns through, honouring a changed `ip`: the trampolines' contract.
        unsafe { callbacks::run(cb, regs) };
    }
}

/// Registers the op of callback `cb`, filtered to the site ftrace owns. ftrace moves the site
/// to the op's trampoline, or to its list function if another op is registered. May sleep.
pub(crate) fn register(cb: usize) -> Result {
    let op = op_ptr(cb)?;
    let bit = 1 << cb;
    if FILTERED.load(Ordering::Relaxed) & bit == 0 {
        // SAFETY: `op` is one of our ops, alive as long as the module, not registered;
        // the site is a `__mcount_loc` entry of ours, so ftrace has a record for it.
        to_result(unsafe { ffi::ftrace_set_filter_ip(op, traced::ftrace_site() as c_ulong, 0, 0) })
            .inspect_err(|e| pr_err!("ftrace: cannot filter the op to the site: {:?}\n", e))?;
        FILTERED.fetch_or(bit, Ordering::Relaxed);
    }
    // SAFETY: `op` is one of ours, filtered to our site, not registered (the control state
    // says so), and outlives its registration: module exit unregisters every op.
    to_result(unsafe { ffi::register_ftrace_function(op) })
        .inspect_err(|e| pr_err!("ftrace: registering the op failed: {:?}\n", e))
}

/// Unregisters the op of callback `cb`. ftrace moves the site back, then waits until no
/// task can still be on the op's trampoline (RCU-tasks: every caller must schedule). May
/// sleep.
pub(crate) fn unregister(cb: usize) -> Result {
    let op = op_ptr(cb)?;
    // SAFETY: `op` is one of ours and registered (the control state says so).
    to_result(unsafe { ffi::unregister_ftrace_function(op) })
        .inspect_err(|e| pr_err!("ftrace: unregistering the op failed: {:?}\n", e))
}

/// The trampoline ftrace made for callback `cb`'s op (0 if none): what the site calls when
/// that op is the only one on it, ftrace's one-op fast path.
pub(crate) fn trampoline(cb: usize) -> usize {
    match op_ptr(cb) {
        // SAFETY: `op` is one of ours; ftrace writes `trampoline` under its own lock, and a
        // racy read of one aligned word only sees an old or a new address.
        Ok(op) => unsafe { core::ptr::read_volatile(&raw const (*op).trampoline) as usize },
        Err(_) => 0,
    }
}

/// Frees the filters of every op (module exit, once none is registered).
pub(crate) fn release() {
    let filtered = FILTERED.swap(0, Ordering::Relaxed);
    for cb in 0..policy::CALLBACKS.len() {
        if filtered & (1 << cb) != 0 {
            if let Ok(op) = op_ptr(cb) {
                // SAFETY: `op` is one of ours, unregistered; its filter hash is ftrace's to
                // free, and no one uses the op again.
                unsafe { ffi::ftrace_free_filter(op) };
            }
        }
    }
}

/// The op of the ftrace direct call (`bench ftrace_direct`): no func; ftrace makes the site
/// it owns call the direct address itself when no other op is on it.
struct DirectOp(Opaque<ftrace_ops>);

// SAFETY: as for [`Ops`]: only ftrace (under its own locks) and the bench (under a claim of
// the site, one write at a time) touch it, through raw pointers.
unsafe impl Sync for DirectOp {}

static DIRECT_OP: DirectOp = DirectOp(Opaque::new(
    // SAFETY: as in `op`: an all-zero `struct ftrace_ops` is a valid, unregistered op.
    unsafe { core::mem::zeroed() },
));

/// An ftrace direct call from the site ftrace owns to `addr`, until dropped: the kernel's peer
/// of our `direct` path (`register_ftrace_direct`, as BPF trampolines attach).
pub(crate) struct DirectCall(usize);

impl DirectCall {
    /// Makes the site ftrace owns call `addr` directly. May sleep.
    ///
    /// # Safety
    ///
    /// `addr` is a function that keeps every register but the flags and returns, and lives
    /// as long as the module (a direct entry of ours); no other direct call is attached.
    pub(crate) unsafe fn attach(addr: usize) -> Result<Self> {
        let op = DIRECT_OP.0.get();
        // SAFETY: `op` is ours, not registered (no `DirectCall` lives: the caller's
        // contract); the site is a `__mcount_loc` entry of ours.
        to_result(unsafe { ffi::ftrace_set_filter_ip(op, traced::ftrace_site() as c_ulong, 0, 0) })
            .inspect_err(|e| {
                pr_err!("ftrace: cannot filter the direct op to the site: {:?}\n", e)
            })?;
        // SAFETY: `op` is filtered to our site and not registered; `addr` keeps what a direct
        // call must (the contract) and outlives the registration, which `drop` ends.
        let r = to_result(unsafe { ffi::register_ftrace_direct(op, addr as c_ulong) });
        if let Err(e) = r {
            pr_err!("ftrace: register_ftrace_direct failed: {:?}\n", e);
            // SAFETY: `op` is ours and unregistered; its filter is ftrace's to free.
            unsafe { ffi::ftrace_free_filter(op) };
            return Err(e);
        }
        Ok(DirectCall(addr))
    }
}

impl Drop for DirectCall {
    fn drop(&mut self) {
        // SAFETY: `op` was registered with `self.0` by `attach`; this ends it (ftrace waits
        // until no task can be on the call) and frees the filter.
        let r = to_result(unsafe {
            ffi::unregister_ftrace_direct(DIRECT_OP.0.get(), self.0 as c_ulong, true)
        });
        if let Err(e) = r {
            pr_err!("ftrace: unregister_ftrace_direct failed: {:?}\n", e);
        }
    }
}
