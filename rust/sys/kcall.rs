// SPDX-License-Identifier: GPL-2.0
//! Direct calls into the non-exported kernel functions we need, through module-owned
//! static calls: no indirect call, so nothing for IBT (sealed ENDBRs) or kCFI (type hashes)
//! to trip on.
//!
//! Each function gets what `DEFINE_STATIC_CALL` makes in C: a key `__SCK__<name>` and an
//! 8-byte trampoline `__SCT__<name>` in `.static_call.text` (`jmp fallback`, then the
//! 3-byte signature `ud1 %esp, %ecx` that `__static_call_validate` insists on). Rust calls
//! the trampoline directly; objtool records those calls in `.static_call_sites`, so the
//! loader patches them to `call key.func`. Once the address is known, the exported
//! `__static_call_update()` rewrites the trampoline and every site to a direct `call` or
//! `jmp` to the kernel function, under `text_mutex` and with the int3 protocol.
//!
//! Until then every call lands in a fallback that does nothing and reports failure.
//!
//! Raw C: 7.2's kernel crate has no static-call abstraction, so `__static_call_update` is
//! called through `bindings`, here only.

use kernel::ffi::{
    c_char,
    c_ulong,
    c_void, //
};
use kernel::{
    bindings,
    prelude::*, //
};

macro_rules! static_call {
    ($tramp:literal, $key:literal, $fallback:literal) => {
        concat!(
            ".pushsection .static_call.text, \"ax\"\n",
            ".balign 4\n",
            ".globl ",
            $tramp,
            "\n",
            ".type ",
            $tramp,
            ", @function\n",
            $tramp,
            ":\n",
            // Its address is taken (for `__static_call_update`), but only direct calls
            // ever reach it.
            annotate_noendbr!(),
            "\n",
            ".byte 0xe9\n",
            ".long ",
            $fallback,
            " - (. + 4)\n",
            ".byte 0x0f, 0xb9, 0xcc\n",
            ".size ",
            $tramp,
            ", . - ",
            $tramp,
            "\n",
            ".popsection\n",
            ".pushsection .data, \"aw\"\n",
            ".balign 8\n",
            ".globl ",
            $key,
            "\n",
            ".type ",
            $key,
            ", @object\n",
            $key,
            ":\n",
            // struct static_call_key { func = fallback, type = 1 (no sites list yet) }
            ".quad ",
            $fallback,
            ", 1\n",
            ".size ",
            $key,
            ", 16\n",
            ".popsection\n",
        )
    };
}

core::arch::global_asm!(
    static_call!(
        "__SCT__int3call_kallsyms_lookup_name",
        "__SCK__int3call_kallsyms_lookup_name",
        "int3call_unresolved_kallsyms"
    ),
    static_call!(
        "__SCT__int3call_text_poke",
        "__SCK__int3call_text_poke",
        "int3call_unresolved_text_poke"
    ),
    static_call!(
        "__SCT__int3call_smp_text_poke_single",
        "__SCK__int3call_smp_text_poke_single",
        "int3call_unresolved_poke_single"
    ),
    static_call!(
        "__SCT__int3call_smp_text_poke_batch_add",
        "__SCK__int3call_smp_text_poke_batch_add",
        "int3call_unresolved_poke_single"
    ),
    static_call!(
        "__SCT__int3call_smp_text_poke_batch_finish",
        "__SCK__int3call_smp_text_poke_batch_finish",
        "int3call_unresolved_batch_finish"
    ),
    options(att_syntax)
);

extern "C" {
    fn __SCT__int3call_kallsyms_lookup_name(name: *const c_char) -> c_ulong;
    fn __SCT__int3call_text_poke(
        addr: *mut c_void,
        opcode: *const c_void,
        len: usize,
    ) -> *mut c_void;
    fn __SCT__int3call_smp_text_poke_single(
        addr: *mut c_void,
        opcode: *const c_void,
        len: usize,
        emulate: *const c_void,
    );
    fn __SCT__int3call_smp_text_poke_batch_add(
        addr: *mut c_void,
        opcode: *const c_void,
        len: usize,
        emulate: *const c_void,
    );
    fn __SCT__int3call_smp_text_poke_batch_finish();
    // `struct static_call_key`, defined by the asm above; opaque here, since Rust only takes
    // their addresses (the bindings' type reaches empty structs, which `extern` blocks lint).
    static mut __SCK__int3call_kallsyms_lookup_name: [usize; 2];
    static mut __SCK__int3call_text_poke: [usize; 2];
    static mut __SCK__int3call_smp_text_poke_single: [usize; 2];
    static mut __SCK__int3call_smp_text_poke_batch_add: [usize; 2];
    static mut __SCK__int3call_smp_text_poke_batch_finish: [usize; 2];
}

/// Where a static call goes before it is bound: never, since every caller binds first; if
/// it did, this says so and does nothing.
#[no_mangle]
extern "C" fn int3call_unresolved_kallsyms(_name: *const c_char) -> c_ulong {
    pr_err!("kallsyms_lookup_name called before it was bound\n");
    0
}

#[no_mangle]
extern "C" fn int3call_unresolved_text_poke(
    addr: *mut c_void,
    _op: *const c_void,
    _len: usize,
) -> *mut c_void {
    pr_err!("text_poke called before it was bound: nothing written\n");
    addr
}

#[no_mangle]
extern "C" fn int3call_unresolved_poke_single(
    _a: *mut c_void,
    _o: *const c_void,
    _l: usize,
    _e: *const c_void,
) {
    pr_err!("smp_text_poke_single called before it was bound: nothing written\n");
}

#[no_mangle]
extern "C" fn int3call_unresolved_batch_finish() {
    pr_err!("smp_text_poke_batch_finish called before it was bound: nothing written\n");
}

/// A kernel function a static call can be bound to.
#[derive(Clone, Copy)]
pub(crate) enum Target {
    KallsymsLookupName,
    TextPoke,
    SmpTextPokeSingle,
    SmpTextPokeBatchAdd,
    SmpTextPokeBatchFinish,
}

/// Binds `target`'s static call to the kernel function at `addr`: from now on every call
/// is a direct `call`/`jmp` to it. [`check`] tells whether it took.
///
/// # Safety
///
/// `addr` must be the entry (or the instruction after its ENDBR) of the kernel function
/// `target` names, whose C prototype is the one declared above; it lives as long as the
/// kernel. The caller runs in process context and holds none of the locks
/// `__static_call_update` takes (it may sleep): `cpus_read_lock`, `static_call_mutex`,
/// `text_mutex`.
pub(crate) unsafe fn bind(target: Target, addr: usize) {
    let key: *mut bindings::static_call_key = match target {
        Target::KallsymsLookupName => (&raw mut __SCK__int3call_kallsyms_lookup_name).cast(),
        Target::TextPoke => (&raw mut __SCK__int3call_text_poke).cast(),
        Target::SmpTextPokeSingle => (&raw mut __SCK__int3call_smp_text_poke_single).cast(),
        Target::SmpTextPokeBatchAdd => (&raw mut __SCK__int3call_smp_text_poke_batch_add).cast(),
        Target::SmpTextPokeBatchFinish => {
            (&raw mut __SCK__int3call_smp_text_poke_batch_finish).cast()
        }
    };
    let tramp = trampoline(target) as *mut c_void;
    // SAFETY: `key` and `tramp` are a matching static-call key and trampoline of this
    // module, laid out as `DEFINE_STATIC_CALL` lays them out; `addr` is a function of the
    // trampoline's prototype, and the context may sleep and holds none of its locks (the
    // caller's contract).
    unsafe { bindings::__static_call_update(key, tramp, addr as *mut c_void) };
}

/// The trampoline of `target`.
fn trampoline(target: Target) -> usize {
    match target {
        Target::KallsymsLookupName => __SCT__int3call_kallsyms_lookup_name as usize,
        Target::TextPoke => __SCT__int3call_text_poke as usize,
        Target::SmpTextPokeSingle => __SCT__int3call_smp_text_poke_single as usize,
        Target::SmpTextPokeBatchAdd => __SCT__int3call_smp_text_poke_batch_add as usize,
        Target::SmpTextPokeBatchFinish => __SCT__int3call_smp_text_poke_batch_finish as usize,
    }
}

/// Where `target`'s trampoline jumps now, read from its text; `None` if it holds no `jmp`
/// followed by the static-call signature.
pub(crate) fn jump_target(target: Target) -> Option<usize> {
    let tramp = trampoline(target);
    // SAFETY: the trampoline is 8 bytes of our own text, mapped while the module is loaded.
    let bytes = unsafe { core::ptr::read_volatile(tramp as *const [u8; 8]) };
    if bytes[5..] != [0x0f, 0xb9, 0xcc] {
        return None;
    }
    crate::insn::decode_jmp(tramp, &bytes)
}

/// Checks that `target`'s trampoline now jumps straight to `addr` (`EFAULT` otherwise): what
/// `__static_call_update` should have written.
pub(crate) fn check(target: Target, addr: usize) -> Result {
    match jump_target(target) {
        Some(to) if to == addr => Ok(()),
        to => {
            pr_err!(
                "static call at {:#x} jumps to {:x?}, not to {:#x}\n",
                trampoline(target),
                to,
                addr
            );
            Err(EFAULT)
        }
    }
}

/// `kallsyms_lookup_name(name)`, once bound.
pub(crate) fn kallsyms_lookup_name(name: &CStr) -> usize {
    // SAFETY: a direct call through our trampoline to `kallsyms_lookup_name` (or to the
    // fallback, which returns 0); `name` is NUL-terminated.
    unsafe { __SCT__int3call_kallsyms_lookup_name(name.as_char_ptr()) }
}

/// `text_poke(addr, bytes, len)`.
///
/// # Safety
///
/// `text_mutex` is held and `addr..addr + bytes.len()` is kernel or module text that may be
/// rewritten (the caller's own site).
pub(crate) unsafe fn text_poke(addr: usize, bytes: &[u8]) {
    // SAFETY: forwarded contract; a direct call to `text_poke` (bound at load).
    unsafe { __SCT__int3call_text_poke(addr as *mut c_void, bytes.as_ptr().cast(), bytes.len()) };
}

/// `smp_text_poke_single(addr, bytes, len, emulate)`.
///
/// # Safety
///
/// As [`text_poke`]; `emulate` is an instruction the kernel's int3 handler can emulate at
/// `addr` (a `call` relative to it, or a NOP5).
pub(crate) unsafe fn smp_text_poke_single(addr: usize, bytes: &[u8; 5], emulate: &[u8; 5]) {
    // SAFETY: forwarded contract; a direct call to `smp_text_poke_single` (bound at load).
    unsafe {
        __SCT__int3call_smp_text_poke_single(
            addr as *mut c_void,
            bytes.as_ptr().cast(),
            bytes.len(),
            emulate.as_ptr().cast(),
        )
    };
}

/// `smp_text_poke_batch_add(addr, bytes, len, emulate)`: queues one site of a batch; the
/// kernel writes the batch (first flushing what it holds when the batch is full or `addr` is
/// below its last entry) in [`smp_text_poke_batch_finish`].
///
/// # Safety
///
/// As [`smp_text_poke_single`]; [`smp_text_poke_batch_finish`] is called before `text_mutex`
/// is released.
pub(crate) unsafe fn smp_text_poke_batch_add(addr: usize, bytes: &[u8; 5], emulate: &[u8; 5]) {
    // SAFETY: forwarded contract; a direct call to `smp_text_poke_batch_add` (bound at load).
    unsafe {
        __SCT__int3call_smp_text_poke_batch_add(
            addr as *mut c_void,
            bytes.as_ptr().cast(),
            bytes.len(),
            emulate.as_ptr().cast(),
        )
    };
}

/// `smp_text_poke_batch_finish()`: writes the queued batch with one int3 pass, one tail pass
/// and one byte-0 pass, a sync after each.
///
/// # Safety
///
/// `text_mutex` is held, as it was for every [`smp_text_poke_batch_add`] of the batch.
pub(crate) unsafe fn smp_text_poke_batch_finish() {
    // SAFETY: forwarded contract; a direct call to `smp_text_poke_batch_finish` (bound at load).
    unsafe { __SCT__int3call_smp_text_poke_batch_finish() };
}
