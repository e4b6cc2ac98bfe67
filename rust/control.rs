// SPDX-License-Identifier: GPL-2.0
//! The module's control state: what the debugfs files act on. Writers are serialised by
//! one mutex; nothing here is touched from the int3 path.

use crate::{notifier::DieNotifier, symbols::KernelSyms};
use kernel::{new_mutex, prelude::*, sync::Mutex};

#[pin_data]
pub(crate) struct Control {
    pub(crate) syms: KernelSyms,
    pub(crate) notifier: DieNotifier,
    /// Serialises every write (self-test runs now, flips later).
    #[pin]
    pub(crate) lock: Mutex<()>,
}

impl Control {
    pub(crate) fn new(syms: KernelSyms, notifier: DieNotifier) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            syms,
            notifier,
            lock <- new_mutex!(()),
        }? Error)
    }
}
