// SPDX-License-Identifier: GPL-2.0
//! Every binding to the kernel that `kernel::bindings` lacks, in one place.
//!
//! * `die_args`, `DIE_INT3`, `(un)register_die_notifier` and `struct kprobe` come from
//!   `extra_bindings.h`, run through bindgen at build time (see `Kbuild`), never hand-copied.
//! * The non-exported text-patching functions are resolved at load time (`symbols.rs`); their
//!   C prototypes are written down here as function-pointer types.

#![allow(dead_code)]

use core::ffi::{c_char, c_ulong, c_void};

#[allow(
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    dead_code,
    unused_imports,
    clippy::all,
    unreachable_pub,
    missing_docs,
    unsafe_op_in_unsafe_fn
)]
mod generated {
    // Types the kernel crate already has (`pt_regs`, `notifier_block`, `list_head`...) are
    // taken from it, so pointers we get from the die chain are the kernel crate's types.
    use kernel::bindings::*;
    include!("extra_bindings.rs");
}

pub(crate) use generated::{
    die_args, die_val_DIE_INT3 as DIE_INT3, kprobe, register_die_notifier, register_kprobe,
    unregister_die_notifier, unregister_kprobe,
};

/// `unsigned long kallsyms_lookup_name(const char *name)`.
pub(crate) type KallsymsLookupNameFn = unsafe extern "C" fn(name: *const c_char) -> c_ulong;

/// `void *text_poke(void *addr, const void *opcode, size_t len)`; caller holds `text_mutex`.
pub(crate) type TextPokeFn =
    unsafe extern "C" fn(addr: *mut c_void, opcode: *const c_void, len: usize) -> *mut c_void;

/// `void smp_text_poke_single(void *addr, const void *opcode, size_t len, const void *emulate)`,
/// named `text_poke_bp` before Linux 6.16 with the same prototype; caller holds `text_mutex`.
pub(crate) type SmpTextPokeSingleFn =
    unsafe extern "C" fn(addr: *mut c_void, opcode: *const c_void, len: usize, emulate: *const c_void);
