// SPDX-License-Identifier: GPL-2.0
//! Resolves the kernel symbols int3call needs but the kernel does not export.
//!
//! `kallsyms_lookup_name` itself is not exported either; its address comes from a kprobe
//! placed on it (register, read `kp.addr`, unregister), then it looks up the rest.

use crate::ffi;
use core::ffi::CStr;
use kernel::{bindings, prelude::*};

/// The first four bytes of a function entry when IBT is on; a kprobe then sits after them.
const ENDBR64: [u8; 4] = [0xf3, 0x0f, 0x1e, 0xfa];

/// Non-exported kernel entry points, resolved once at load.
pub(crate) struct KernelSyms {
    pub(crate) text_poke: ffi::TextPokeFn,
    pub(crate) poke_single: ffi::SmpTextPokeSingleFn,
    pub(crate) text_mutex: *mut bindings::mutex,
}

// SAFETY: the fields are addresses of kernel functions and of the global `text_mutex`; they
// are valid for the kernel's lifetime and safe to use from any thread.
unsafe impl Send for KernelSyms {}
// SAFETY: as above; the struct is never mutated after `resolve`.
unsafe impl Sync for KernelSyms {}

fn kallsyms_lookup_name() -> Result<ffi::KallsymsLookupNameFn> {
    let mut kp = ffi::kprobe {
        symbol_name: c"kallsyms_lookup_name".as_ptr(),
        ..Default::default()
    };
    // SAFETY: `kp` is a zero-initialised kprobe naming a symbol; it stays alive and in place
    // until `unregister_kprobe` below, which is all the kprobe core requires.
    let ret = unsafe { ffi::register_kprobe(&mut kp) };
    if ret < 0 {
        pr_err!("cannot place a kprobe on kallsyms_lookup_name: error {}\n", ret);
        return Err(Error::from_errno(ret));
    }
    let mut addr = kp.addr.cast::<u8>();
    // SAFETY: `kp` was registered above and is unregistered exactly once.
    unsafe { ffi::unregister_kprobe(&mut kp) };
    if addr.is_null() {
        pr_err!("kprobe gave no address for kallsyms_lookup_name\n");
        return Err(ENOENT);
    }
    // SAFETY: `addr` is inside kernel text, so the four bytes before it are mapped text too.
    let before = unsafe { core::ptr::read(addr.wrapping_sub(4).cast::<[u8; 4]>()) };
    if before == ENDBR64 {
        addr = addr.wrapping_sub(4);
    }
    // SAFETY: `addr` is the entry of `kallsyms_lookup_name`, whose prototype is the type's.
    Ok(unsafe { core::mem::transmute::<*mut u8, ffi::KallsymsLookupNameFn>(addr) })
}

/// Looks up the first of `names` that exists; `ENOENT` with a message naming all of them.
fn lookup(
    lookup_name: ffi::KallsymsLookupNameFn,
    names: &[&'static CStr],
) -> Result<(usize, &'static CStr)> {
    for name in names {
        // SAFETY: `lookup_name` is `kallsyms_lookup_name` and `name` is NUL-terminated.
        let addr = unsafe { lookup_name(name.as_ptr()) };
        if addr != 0 {
            return Ok((addr as usize, name));
        }
    }
    pr_err!("kernel symbol not found: {:?} (is this an x86-64 kernel with KALLSYMS_ALL?)\n", names);
    Err(ENOENT)
}

impl KernelSyms {
    /// Resolves every symbol, or fails with `-ENOENT` naming the one that is missing.
    pub(crate) fn resolve() -> Result<Self> {
        let lookup_name = kallsyms_lookup_name()?;
        let (text_poke, _) = lookup(lookup_name, &[c"text_poke"])?;
        let (poke_single, poke_single_name) =
            lookup(lookup_name, &[c"smp_text_poke_single", c"text_poke_bp"])?;
        let (text_mutex, _) = lookup(lookup_name, &[c"text_mutex"])?;
        pr_info!("resolved text_poke, {:?}, text_mutex\n", poke_single_name);
        Ok(Self {
            // SAFETY: kallsyms gave the entry of `text_poke`, whose prototype is the type's.
            text_poke: unsafe { core::mem::transmute::<usize, ffi::TextPokeFn>(text_poke) },
            // SAFETY: the entry of `smp_text_poke_single` (or `text_poke_bp`, same prototype).
            poke_single: unsafe {
                core::mem::transmute::<usize, ffi::SmpTextPokeSingleFn>(poke_single)
            },
            text_mutex: text_mutex as *mut bindings::mutex,
        })
    }
}
