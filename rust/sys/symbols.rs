// SPDX-License-Identifier: GPL-2.0
//! Resolves the kernel symbols int3call needs but the kernel does not export, and binds our
//! static calls to them (`kcall.rs`): every call into them is then a direct one.
//!
//! `kallsyms_lookup_name` itself is not exported either; its address comes from a kprobe
//! placed on it (register, read `kp.addr`, unregister), then it looks up the rest. Raw C:
//! 7.2's kernel crate has no kprobe abstraction (the bindings come from `extra_bindings.h`:
//! [`include/linux/kprobes.h`](srctree/include/linux/kprobes.h)).

use crate::sys::{
    ffi,
    kcall, //
};
use kernel::{
    bindings,
    prelude::*,
    sync::Mutex, //
};

/// Where a static call was bound: the kernel function's name, the static call, the address.
pub(crate) type Bound = (&'static CStr, kcall::Target, usize);

/// The non-exported kernel objects we use, resolved once at load. Only [`KernelSyms::resolve`]
/// makes one, so holding one proves what it found and bound.
///
/// # Invariants
///
/// - `text_mutex` is the kernel's own `text_mutex` (the one `text_poke` and
///   `smp_text_poke_single` require held), seen through the kernel crate's [`Mutex`]: a
///   statically initialised `struct mutex` that lives as long as the kernel.
/// - For each `(name, target, addr)` in `bound`, kallsyms (or the kprobe, for
///   `kallsyms_lookup_name`) gave `addr` as `name`'s entry, `target`'s static call was bound to
///   it and was read back jumping there (`kcall::check`).
pub(crate) struct KernelSyms {
    text_mutex: &'static Mutex<()>,
    bound: [Bound; 5],
}

/// The address a kprobe on `kallsyms_lookup_name` gives: its entry, or the instruction after
/// its ENDBR on an IBT kernel, which is as good a target for a direct jump.
fn kallsyms_lookup_name_addr() -> Result<usize> {
    let mut kp = ffi::kprobe {
        symbol_name: c"kallsyms_lookup_name".as_char_ptr(),
        ..Default::default()
    };
    // SAFETY: `kp` is a zero-initialised kprobe naming a symbol; it stays alive and in place
    // until `unregister_kprobe` below, which is all the kprobe core requires.
    let ret = unsafe { ffi::register_kprobe(&mut kp) };
    if ret < 0 {
        pr_err!(
            "cannot place a kprobe on kallsyms_lookup_name: error {}\n",
            ret
        );
        return Err(Error::from_errno(ret));
    }
    let addr = kp.addr as usize;
    // SAFETY: `kp` was registered above and is unregistered exactly once.
    unsafe { ffi::unregister_kprobe(&mut kp) };
    if addr == 0 {
        pr_err!("kprobe gave no address for kallsyms_lookup_name\n");
        return Err(ENOENT);
    }
    Ok(addr)
}

/// Looks up the first of `names` that exists; `ENOENT` with a message naming all of them.
fn lookup(names: &[&'static CStr]) -> Result<(usize, &'static CStr)> {
    for name in names {
        let addr = kcall::kallsyms_lookup_name(name);
        if addr != 0 {
            return Ok((addr, name));
        }
    }
    pr_err!(
        "kernel symbol not found: {:?} (is this an x86-64 kernel with KALLSYMS_ALL?)\n",
        names
    );
    Err(ENOENT)
}

impl KernelSyms {
    /// Resolves every symbol and binds every static call, or fails with `-ENOENT` naming the
    /// symbol that is missing, or `-EFAULT` if a bound trampoline does not jump where asked.
    pub(crate) fn resolve() -> Result<Self> {
        let kallsyms = kallsyms_lookup_name_addr()?;
        // SAFETY: the kprobe gave `kallsyms_lookup_name`'s entry (after any ENDBR); module
        // init runs in process context and holds no lock.
        unsafe { kcall::bind(kcall::Target::KallsymsLookupName, kallsyms) };
        kcall::check(kcall::Target::KallsymsLookupName, kallsyms)?;
        let (text_poke, _) = lookup(&[c"text_poke"])?;
        let (poke_single, poke_single_name) = lookup(&[c"smp_text_poke_single", c"text_poke_bp"])?;
        let (batch_add, batch_add_name) =
            lookup(&[c"smp_text_poke_batch_add", c"text_poke_queue"])?;
        let (batch_finish, batch_finish_name) =
            lookup(&[c"smp_text_poke_batch_finish", c"text_poke_finish"])?;
        let (text_mutex, _) = lookup(&[c"text_mutex"])?;
        // SAFETY: kallsyms gave the entries of `text_poke`, of `smp_text_poke_single` (or
        // `text_poke_bp`, the same prototype before 6.16) and of the batch pair (or
        // `text_poke_queue`/`text_poke_finish`, likewise); process context, no lock held.
        unsafe {
            kcall::bind(kcall::Target::TextPoke, text_poke);
            kcall::bind(kcall::Target::SmpTextPokeSingle, poke_single);
            kcall::bind(kcall::Target::SmpTextPokeBatchAdd, batch_add);
            kcall::bind(kcall::Target::SmpTextPokeBatchFinish, batch_finish);
        }
        kcall::check(kcall::Target::TextPoke, text_poke)?;
        kcall::check(kcall::Target::SmpTextPokeSingle, poke_single)?;
        kcall::check(kcall::Target::SmpTextPokeBatchAdd, batch_add)?;
        kcall::check(kcall::Target::SmpTextPokeBatchFinish, batch_finish)?;
        pr_info!(
            "bound static calls to kallsyms_lookup_name, text_poke, {}, {}, {}\n",
            poke_single_name.to_str().unwrap_or("?"),
            batch_add_name.to_str().unwrap_or("?"),
            batch_finish_name.to_str().unwrap_or("?")
        );
        // SAFETY: kallsyms gave the address of `text_mutex`, a `struct mutex` the kernel defines
        // statically initialised (`DEFINE_MUTEX` in kernel/extable.c) and never frees, so it is
        // a valid, initialised `bindings::mutex` for `'static`.
        let text_mutex = unsafe { Mutex::from_raw(text_mutex as *mut bindings::mutex) };
        // INVARIANT: `text_mutex` is the kernel's `text_mutex` (above); each static call in
        // `bound` was bound to the address beside it and checked.
        Ok(Self {
            text_mutex,
            bound: [
                (
                    c"kallsyms_lookup_name",
                    kcall::Target::KallsymsLookupName,
                    kallsyms,
                ),
                (c"text_poke", kcall::Target::TextPoke, text_poke),
                (
                    poke_single_name,
                    kcall::Target::SmpTextPokeSingle,
                    poke_single,
                ),
                (
                    batch_add_name,
                    kcall::Target::SmpTextPokeBatchAdd,
                    batch_add,
                ),
                (
                    batch_finish_name,
                    kcall::Target::SmpTextPokeBatchFinish,
                    batch_finish,
                ),
            ],
        })
    }

    /// The kernel's `text_mutex`, which every write to kernel or module text is made under.
    pub(crate) fn text_mutex(&self) -> &'static Mutex<()> {
        self.text_mutex
    }

    /// Where each static call was bound, for `stats`.
    pub(crate) fn bound(&self) -> &[Bound] {
        &self.bound
    }
}

/// Room for one `sprint_symbol` result: `KSYM_SYMBOL_LEN` is a C expression bindgen cannot
/// evaluate; it is under 700 bytes on x86-64 (a 512-byte name, a module name, a build ID).
const SYMBOL_LEN: usize = 1024;

/// A buffer that names code addresses as `symbol+off/size [module]` (the kernel's `%pS`).
///
/// Raw: 7.2's kernel crate has no kallsyms or symbol-printing abstraction.
pub(crate) struct SymbolName(KVec<u8>);

impl SymbolName {
    pub(crate) fn new() -> Result<Self> {
        Ok(Self(KVec::from_elem(0u8, SYMBOL_LEN, GFP_KERNEL)?))
    }

    /// The name of `addr`, or `?` if it does not print as UTF-8.
    pub(crate) fn of(&mut self, addr: usize) -> &str {
        // SAFETY: the buffer has room for `SYMBOL_LEN` bytes, more than `KSYM_SYMBOL_LEN`,
        // the most `sprint_symbol` writes (NUL included).
        unsafe { bindings::sprint_symbol(self.0.as_mut_ptr().cast(), addr) };
        CStr::from_bytes_until_nul(&self.0)
            .map(|s| s.to_str().unwrap_or("?"))
            .unwrap_or("?")
    }
}
