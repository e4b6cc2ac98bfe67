// SPDX-License-Identifier: GPL-2.0
//! Every binding to the kernel that `kernel::bindings` lacks, in one place.
//!
//! * `die_args`, `DIE_INT3`, `(un)register_die_notifier`, `struct kprobe`, the unwinder's
//!   `struct unwind_state` and functions, and `struct ftrace_ops` with the functions that
//!   register it (as an op, or as a direct call) come from `extra_bindings.h`, run through
//!   bindgen at build time (see `Kbuild`), never hand-copied.
//! * The non-exported kernel functions are reached through our own static calls
//!   (`kcall.rs`), whose prototypes are declared there.

#[allow(
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    dead_code,
    // `struct unwind_state` points to `task_struct`, some of whose members are empty structs
    // in this configuration; only pointers to them cross the boundary.
    improper_ctypes,
    // What the kernel's own `bindings` crate allows in generated code.
    clippy::undocumented_unsafe_blocks,
    clippy::cast_lossless,
    clippy::ptr_as_ptr,
    clippy::ref_as_ptr,
    clippy::as_underscore,
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
    // C types as the coding guidelines want them (`--ctypes-prefix ffi`): `kernel::ffi`.
    use kernel::ffi;
    include!("../extra_bindings.rs");
}

pub(crate) use generated::{
    __unwind_start,
    die_args,
    die_val_DIE_INT3 as DIE_INT3,
    ftrace_free_filter,
    ftrace_ops,
    ftrace_regs,
    ftrace_set_filter_ip,
    kprobe,
    register_die_notifier,
    register_ftrace_direct,
    register_ftrace_function,
    register_kprobe,
    stack_type_STACK_TYPE_UNKNOWN as STACK_TYPE_UNKNOWN,
    unregister_die_notifier,
    unregister_ftrace_direct,
    unregister_ftrace_function,
    unregister_kprobe,
    unwind_get_return_address,
    unwind_next_frame,
    unwind_state, //
    FTRACE_OPS_FL_IPMODIFY,
    FTRACE_OPS_FL_SAVE_REGS,
};

/// `-ENODATA`, which 7.2's kernel crate does not name.
pub(crate) fn enodata() -> kernel::error::Error {
    kernel::error::Error::from_errno(-(kernel::bindings::ENODATA as i32))
}

/// `-EOPNOTSUPP`, which 7.2's kernel crate does not name (its `ENOTSUPP` is another errno).
pub(crate) fn eopnotsupp() -> kernel::error::Error {
    kernel::error::Error::from_errno(-(kernel::bindings::EOPNOTSUPP as i32))
}
