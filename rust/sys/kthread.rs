// SPDX-License-Identifier: GPL-2.0
//! Kernel threads bound to a CPU, stopped when dropped.
//!
//! Linux 7.2's kernel crate has no kthread abstraction: `kthread_create_on_node`,
//! `kthread_bind`, `kthread_stop` and `kthread_should_stop` have no wrapper, so this file calls
//! them raw, and is the only one that does. What the crate does have is used: the task is held
//! as an `ARef<Task>` (its reference count taken with `get_task_struct` and dropped with
//! `put_task_struct` by the `AlwaysRefCounted` impl), and woken with `Task::wake_up`.

use kernel::{
    bindings,
    cpu::CpuId,
    error::from_err_ptr,
    ffi::{
        c_int,
        c_void, //
    },
    prelude::*,
    sync::aref::ARef,
    task::Task,
    types::NotThreadSafe, //
};

/// What a kthread runs.
pub(crate) trait ThreadFn {
    /// The thread's body, given the `data` it was started with. Return when
    /// [`Running::should_stop`] says so: dropping the [`Kthread`] waits for that.
    fn run(thread: &Running, data: usize);
}

/// Handed to [`ThreadFn::run`]: the proof that the code runs in a kthread of ours.
///
/// # Invariants
///
/// Only [`entry`] makes one, on the stack of the kthread it runs in, and it cannot leave that
/// thread (`!Send`, borrowed by `run`): `current` is a kthread whenever it is used.
pub(crate) struct Running(NotThreadSafe);

impl Running {
    /// Whether [`Kthread`]'s drop asked this thread to stop (`kthread_should_stop`).
    pub(crate) fn should_stop(&self) -> bool {
        // SAFETY: `current` is a kthread (the type invariant), as `kthread_should_stop` requires
        // (it reads `current`'s `struct kthread`).
        unsafe { bindings::kthread_should_stop() }
    }

    /// Gives the CPU up voluntarily (`schedule()` while runnable): a quiescent state for
    /// RCU-tasks, which a preemption is not. Returns at once if nothing else is runnable.
    pub(crate) fn schedule(&self) {
        // SAFETY: a kthread in process context with no lock held (the type invariant: only
        // its thread function, which holds none, has a `Running`) may call `schedule()`.
        unsafe { bindings::schedule() }
    }
}

/// The C entry point of a kthread running `F`.
///
/// # Safety
///
/// Called only by the kthread core, as the thread function [`Kthread::start`] gave it.
unsafe extern "C" fn entry<F: ThreadFn>(data: *mut c_void) -> c_int {
    // INVARIANT: we are the kthread `Kthread::start` created; `me` stays on its stack.
    let me = Running(NotThreadSafe);
    F::run(&me, data as usize);
    0
}

/// A started kthread, bound to one CPU; `kthread_stop` when dropped, which waits for it to
/// return.
///
/// It must be dropped before the module's code goes away: a leaked `Kthread`
/// (`mem::forget`, a leaked container) leaves its thread running our text after `rmmod`. Its
/// only user keeps them in a local that a debugfs write drops before it returns, and an open
/// file pins the module (`debugfs_files.rs`).
///
/// # Invariants
///
/// `task` is a kthread made by `kthread_create_on_node` with [`entry`] as its function, bound
/// and woken, on which `kthread_stop` has not been called yet. The `ARef` is our own reference
/// (`get_task_struct`), so the `task_struct` stays valid until `kthread_stop` is done with it,
/// even if the thread exits first.
pub(crate) struct Kthread {
    task: ARef<Task>,
}

impl Kthread {
    /// Creates a kthread named `<name>/<index>` that runs `F::run(data)` on `cpu`, and wakes
    /// it. May sleep. Fails with what `kthread_create_on_node` returned (`EINTR` if the caller
    /// got a fatal signal meanwhile).
    pub(crate) fn start<F: ThreadFn>(
        name: &'static CStr,
        index: u32,
        data: usize,
        cpu: CpuId,
    ) -> Result<Self> {
        // SAFETY: `entry::<F>` has the thread function's C prototype and takes `data` by value
        // (no pointer is dereferenced); the format takes a string and an unsigned int, which
        // are passed, and `name` is NUL-terminated.
        let raw = from_err_ptr(unsafe {
            bindings::kthread_create_on_node(
                Some(entry::<F>),
                data as *mut c_void,
                bindings::NUMA_NO_NODE,
                c"%s/%u".as_char_ptr(),
                name.as_char_ptr(),
                index as kernel::ffi::c_uint,
            )
        })?;
        // SAFETY: `raw` is a new kthread, not yet woken, so it cannot have exited: a valid
        // `task_struct`, which `Task` wraps (`repr(transparent)`). The reference only lives
        // until `ARef::from` takes our own count on it.
        let task: ARef<Task> = ARef::from(unsafe { &*raw.cast::<Task>() });
        // SAFETY: `task` is a kthread that has not run yet, which is when `kthread_bind` may be
        // called; `cpu` is a valid CPU number (`CpuId`'s invariant).
        unsafe { bindings::kthread_bind(task.as_ptr(), cpu.as_u32()) };
        task.wake_up();
        // INVARIANT: created with `entry::<F>`, bound, woken, not stopped; our own reference.
        Ok(Self { task })
    }
}

impl Drop for Kthread {
    fn drop(&mut self) {
        // SAFETY: `task` is a kthread of ours not yet stopped, and our reference keeps its
        // `task_struct` valid throughout (the type invariant); this is the one `kthread_stop`.
        unsafe { bindings::kthread_stop(self.task.as_ptr()) };
        // `self.task` drops next: `put_task_struct`.
    }
}
