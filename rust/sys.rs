// SPDX-License-Identifier: GPL-2.0
//! Every wrapper over a raw C binding, in one folder: what the kernel crate of 7.2 does not
//! abstract yet. A later kernel's abstractions replace files here, not callers elsewhere.
//!
//! * `ffi`: the bindings and errnos `kernel::bindings` lacks (bindgen, see `Kbuild`).
//! * `frame`: `struct pt_regs` seen through the pure `emulate::CpuFrame` trait.
//! * `notifier`: the die notifier that receives int3s.
//! * `kthread`: kernel threads bound to a CPU, stopped before they are freed.
//! * `kcall`: static calls of ours that reach non-exported kernel functions directly.
//! * `symbols`: resolves those functions at load, and names code addresses.
//! * `smp`: cross-CPU calls (the protocol's sync) and the online mask.
//! * `static_call`: the traced site's own static-call key (the engine `static_call`).
//! * `sync_probe`: a kprobe that counts the kernel engine's CPU syncs.
//! * `ftrace`: the ftrace ops of the engine `ftrace`, one per callback.
//! * `unwind`: the ORC stack trace taken in a callback.
//! * `debugfs_files`: debugfs files whose `.owner` pins the module while open.

pub(crate) mod debugfs_files;
pub(crate) mod ffi;
pub(crate) mod frame;
pub(crate) mod ftrace;
pub(crate) mod kcall;
pub(crate) mod kthread;
pub(crate) mod notifier;
pub(crate) mod smp;
pub(crate) mod static_call;
pub(crate) mod symbols;
pub(crate) mod sync_probe;
pub(crate) mod unwind;
