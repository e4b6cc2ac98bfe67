// SPDX-License-Identifier: GPL-2.0
//! The engine `static_call`: the traced function's site is an inline static-call site of our
//! key `__SCK__int3call_traced` (`traced.rs` defines the key and its trampoline), so a flip
//! is `__static_call_update()`. The kernel validates the site, writes it with
//! `smp_text_poke_single()` under its own `text_mutex`, and its int3 handler emulates the
//! new instruction: a `call` to the trampoline the key now names, or a NOP.
//!
//! Raw C: 7.2's kernel crate has no static-call abstraction, so `__static_call_update` is
//! called through `bindings`, here and in `kcall.rs` only.

use kernel::{
    bindings,
    ffi::c_void, //
};

extern "C" {
    fn __SCT__int3call_traced();
    // `struct static_call_key`, defined in `traced.rs`'s asm; opaque here, as in `kcall.rs`.
    static mut __SCK__int3call_traced: [usize; 2];
}

fn key() -> *mut bindings::static_call_key {
    (&raw mut __SCK__int3call_traced).cast()
}

/// Makes the key name `func` (0 for none) without touching any text: what the site holds
/// when another engine flipped it. `__static_call_update()` does nothing when the key already
/// names the function it is given, so the key must say what the site holds before a flip.
///
/// # Safety
///
/// The caller serialises every use of the key (the control mutex): nobody else updates it,
/// and the kernel reads it only in `__static_call_update()`, which only we call.
pub(crate) unsafe fn key_names(func: usize) {
    // SAFETY: the key is our own static, 16 aligned bytes whose first word is `func`; the
    // caller serialises every access (its contract).
    unsafe { core::ptr::write_volatile(key().cast::<usize>(), func) };
}

/// `static_call_update()` on our key: the kernel rewrites the site to `call func`, or to a
/// NOP5 when `func` is 0, and the trampoline likewise.
///
/// # Safety
///
/// `func` is 0 or one of our trampolines, which live as long as the module. The caller runs
/// in process context, may sleep, and holds none of the locks the update takes
/// (`cpus_read_lock`, `static_call_mutex`, `text_mutex`).
pub(crate) unsafe fn update(func: usize) {
    // SAFETY: `key()` and the trampoline are the matching pair `traced.rs` defines, laid out
    // as `DEFINE_STATIC_CALL_NULL` lays them out; `func` is 0 or a function of the site's
    // prototype, and the context is one `__static_call_update` may run in (the contract).
    unsafe {
        bindings::__static_call_update(
            key(),
            __SCT__int3call_traced as *mut c_void,
            func as *mut c_void,
        )
    };
}
