// SPDX-License-Identifier: GPL-2.0
//! int3call: a live-patched call site, flipped with the int3 protocol, whose int3 hits are
//! turned into calls by a Rust `int3_emulate_call` (the 2019 x86-64 fix), and measured.

use kernel::{debugfs::Scope, prelude::*};

mod bench;
mod callbacks;
mod command;
mod control;
mod debugfs;
mod emulate;
mod ffi;
mod frame;
mod insn;
mod notifier;
mod policy;
mod selftest;
mod site;
mod stats;
mod symbols;
mod torture;
mod traced;

module! {
    type: Int3Call,
    name: "int3call",
    authors: ["int3call developers"],
    description: "int3 call emulation for live-patched call sites, in Rust",
    license: "GPL",
}

struct Int3Call {
    /// Owns the control state; dropping it removes the debugfs files first, then the state
    /// (which unregisters the die notifier).
    debugfs: Pin<KBox<Scope<control::Control>>>,
}

impl kernel::Module for Int3Call {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        traced::check_layout()?;
        let syms = symbols::KernelSyms::resolve()?;
        let notifier = notifier::DieNotifier::register()?;
        selftest::run(&notifier)?;
        pr_info!("self-test passed: int3 at a module call site emulated as a call\n");
        let debugfs = KBox::pin_init(debugfs::create(control::Control::new(syms, notifier)), GFP_KERNEL)?;
        Ok(Self { debugfs })
    }
}

impl Drop for Int3Call {
    fn drop(&mut self) {
        let ctl = &**self.debugfs;
        // A torture run in progress ends at its next flip (refused: closed below).
        torture::STOP.store(true, kernel::sync::atomic::Relaxed);
        if let Err(e) = ctl.state.lock().restore(&ctl.syms) {
            pr_err!("unload: restoring the call site failed: {:?}\n", e);
        }
        // No task may still be inside a trampoline or the traced function when the text goes
        // away: wait until every task has passed a voluntary context switch.
        // SAFETY: process context (module exit), no locks held.
        unsafe { kernel::bindings::synchronize_rcu_tasks() };
    }
}
