// SPDX-License-Identifier: GPL-2.0
//! Cross-CPU calls and the online mask. Raw: 7.2's kernel crate has no `on_each_cpu*`
//! abstraction, and its `Cpumask` has no accessor for the global online mask.

use kernel::{
    bindings,
    cpu::CpuId,
    cpumask::Cpumask,
    ffi::c_void,
    prelude::*, //
};

/// Runs on every CPU from an IPI: a serialising instruction, so the CPU drops any stale
/// prefetched copy of the site (the kernel's `sync_core()`).
///
/// # Safety
///
/// None beyond the C ABI: `on_each_cpu` calls it with an `info` it never reads.
unsafe extern "C" fn serialize(_info: *mut c_void) {
    // SAFETY: `cpuid` is available on every x86-64 CPU and has no side effects.
    unsafe { core::arch::x86_64::__cpuid(0) };
}

/// The kernel's `smp_text_poke_sync_each_cpu()`: serialise every online CPU, and wait. An IPI
/// cannot land inside an int3 handler (it runs with interrupts off), so when this returns,
/// every hit taken before it has been fully handled.
///
/// Raw: 7.2's kernel crate has no cross-CPU call (`on_each_cpu*`) abstraction.
pub(crate) fn sync_each_cpu() {
    // SAFETY: `serialize` is a valid SMP call function that ignores `info`; the online mask is
    // the kernel's global, valid forever; `wait = true` keeps everything on our stack valid.
    unsafe {
        bindings::on_each_cpu_cond_mask(
            None,
            Some(serialize),
            core::ptr::null_mut(),
            true,
            &raw const bindings::__cpu_online_mask,
        )
    };
}

/// How many CPUs are online now.
pub(crate) fn online_count() -> usize {
    // SAFETY: as in `online_cpus`.
    let online = unsafe { Cpumask::from_raw(&raw const bindings::__cpu_online_mask) };
    (0..kernel::cpu::nr_cpu_ids())
        .filter_map(CpuId::from_u32)
        .filter(|&cpu| online.test(cpu))
        .count()
}

/// The online CPUs, in order (at most `max`): torture threads go there, not to CPUs that are
/// possible but offline, where a bound kthread would never run.
pub(crate) fn online_cpus(max: usize) -> KVec<CpuId> {
    let mut cpus = KVec::new();
    // SAFETY: `__cpu_online_mask` is the kernel's global online mask, valid forever; a CPU
    // going on- or offline meanwhile only changes which CPUs the threads land on.
    let online = unsafe { Cpumask::from_raw(&raw const bindings::__cpu_online_mask) };
    for id in 0..kernel::cpu::nr_cpu_ids() {
        if let Some(cpu) = CpuId::from_u32(id) {
            if online.test(cpu) && cpus.len() < max {
                // Room was checked; a failed push only means fewer CPUs used.
                let _ = cpus.push(cpu, GFP_KERNEL);
            }
        }
    }
    cpus
}
