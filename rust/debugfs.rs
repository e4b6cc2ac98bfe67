// SPDX-License-Identifier: GPL-2.0
//! `/sys/kernel/debug/int3call/`. Every file is 0600 (root only). Every write is checked:
//! bad input gets `-EINVAL` and a `pr_warn`, and changes nothing.

use crate::{
    command::{self, SelftestCmd, StatsCmd},
    control::Control,
    selftest, stats,
};
use core::fmt;
use kernel::{debugfs::Scope, prelude::*, uaccess::UserSliceReader};

/// Reads one write into `buf` and returns it as a trimmed word, or `EINVAL` with a warning.
fn read_word<'a>(
    file: &str,
    reader: &mut UserSliceReader,
    buf: &'a mut [u8; command::MAX_INPUT],
) -> Result<&'a str> {
    let n = reader.len();
    if n > buf.len() {
        pr_warn!("{}: {} ({} bytes, at most {})\n", file, command::Reject::TooLong.reason(), n, buf.len());
        return Err(EINVAL);
    }
    reader.read_slice(&mut buf[..n])?;
    command::text(&buf[..n]).map_err(|r| {
        pr_warn!("{}: {}\n", file, r.reason());
        EINVAL
    })
}

/// Looks a word up in a file's command table, or `EINVAL` with a warning naming the choices.
fn parse<T: Copy>(file: &str, word: &str, table: &[(&str, T)]) -> Result<T> {
    command::keyword(word, table).map_err(|_| {
        pr_warn!("{}: unknown value '{}'; expected one of:{}\n", file, word, Choices(table));
        EINVAL
    })
}

/// Formats a command table's names as " a b c".
struct Choices<'a, T>(&'a [(&'a str, T)]);

impl<T> kernel::fmt::Display for Choices<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|(name, _)| write!(f, " {name}"))
    }
}

fn selftest_show(_ctl: &Control, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let (runs, passes) = (stats::SELFTEST_RUNS.get(), stats::SELFTEST_PASSES.get());
    let verdict = if runs > 0 && runs == passes { "pass" } else { "fail" };
    writeln!(f, "result: {verdict}")?;
    writeln!(f, "runs: {runs}")?;
    writeln!(f, "passes: {passes}")?;
    writeln!(f, "last_value: {:#x}", selftest::last_value())?;
    writeln!(f, "expected: {:#x}", selftest::MAGIC)
}

fn selftest_write(ctl: &Control, reader: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; command::MAX_INPUT];
    let word = read_word("selftest", reader, &mut buf)?;
    match parse("selftest", word, &command::SELFTEST_CMDS)? {
        SelftestCmd::Run => {
            let _guard = ctl.lock.lock();
            selftest::run(&ctl.notifier)
        }
    }
}

fn stats_show(_ctl: &Control, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for (key, counter) in stats::ALL.iter() {
        writeln!(f, "{key}: {}", counter.get())?;
    }
    Ok(())
}

fn stats_write(ctl: &Control, reader: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; command::MAX_INPUT];
    let word = read_word("stats", reader, &mut buf)?;
    match parse("stats", word, &command::STATS_CMDS)? {
        StatsCmd::Reset => {
            let _guard = ctl.lock.lock();
            stats::ALL.iter().for_each(|(_, c)| c.reset());
            Ok(())
        }
    }
}

/// Creates the directory and its files; they go away when the returned scope is dropped.
pub(crate) fn create(
    ctl: impl PinInit<Control, Error> + 'static,
) -> impl PinInit<Scope<Control>, Error> {
    Scope::dir(ctl, c"int3call", |ctl, dir| {
        dir.read_write_callback_file(c"selftest", ctl, &selftest_show, &selftest_write);
        dir.read_write_callback_file(c"stats", ctl, &stats_show, &stats_write);
    })
}
