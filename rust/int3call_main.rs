// SPDX-License-Identifier: GPL-2.0
//! int3call: a live-patched call site, flipped with the int3 protocol, whose int3 hits are
//! turned into calls by a Rust `int3_emulate_call` (the 2019 x86-64 fix), and measured.

use kernel::prelude::*;
use sys::{
    debugfs_files,
    notifier,
    symbols, //
};

#[macro_use]
mod asm_conv;
mod busted;
mod callbacks;
mod command;
mod control;
mod debugfs;
mod emulate;
mod injected;
mod insn;
mod names;
mod policy;
mod protocol;
mod selftest;
mod site;
mod sites;
mod stats;
mod sys;
mod traced;
mod verdict;

module! {
    type: Int3Call,
    name: "int3call",
    authors: ["int3call developers"],
    description: "int3 call emulation for live-patched call sites, in Rust",
    license: "GPL",
}

struct Int3Call {
    /// Dropped first (fields drop in declaration order): removing the files waits for any
    /// operation on them to end. While a file is open the module is pinned
    /// (`debugfs_files.rs`), so exit never runs under an open file, a running `call`,
    /// `bench` or torture.
    _files: debugfs_files::Dir<control::Control>,
    /// The control state; dropping it unregisters the die notifier.
    ctl: Pin<KBox<control::Control>>,
}

impl kernel::Module for Int3Call {
    fn init(module: &'static ThisModule) -> Result<Self> {
        traced::check_layout()?;
        let syms = symbols::KernelSyms::resolve()?;
        let notifier = notifier::DieNotifier::register()?;
        selftest::run(&notifier)?;
        selftest::gone_int3_on_the_site()?;
        pr_info!("self-test passed: int3 at a module call site emulated as a call\n");
        let ctl = KBox::pin_init(control::Control::new(syms, notifier), GFP_KERNEL)?;
        // SAFETY: `ctl` is dropped after `files` (field order), so it outlives every file.
        let files =
            unsafe { debugfs_files::Dir::create(module, c"int3call", &*ctl, &debugfs::FILES)? };
        Ok(Self { _files: files, ctl })
    }
}

impl Drop for Int3Call {
    fn drop(&mut self) {
        // No file is open (each pins the module), so no write runs: no torture caller
        // thread exists (a run stops its callers before its write returns), and no task is
        // inside the traced function, a trampoline or a stub, since only our own writers
        // and callers ever enter them. Hence no grace period is waited for here: the only
        // readers left are CPUs inside our die notifier, which `unregister_die_notifier`
        // waits for (synchronize_rcu) when `ctl` drops.
        if let Err(e) = self.ctl.close() {
            pr_err!("unload: restoring the call site failed: {:?}\n", e);
        }
        let b = site::read_entry(0);
        let f = site::read_ftrace_site();
        let (not_nop, _) = site::entries_not_in(policy::SiteState::Nop, crate::sites::SITES);
        pr_info!(
            "unload: site restored to {:02x} {:02x} {:02x} {:02x} {:02x}, ftrace's site to {:02x} {:02x} {:02x} {:02x} {:02x}, {} of {} sites not a NOP\n",
            b[0],
            b[1],
            b[2],
            b[3],
            b[4],
            f[0],
            f[1],
            f[2],
            f[3],
            f[4],
            not_nop,
            crate::sites::SITES
        );
    }
}
