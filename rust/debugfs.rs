// SPDX-License-Identifier: GPL-2.0
//! `/sys/kernel/debug/int3call/`. Every file is 0600 (root only). Every write is checked:
//! bad input gets `-EINVAL` and a `pr_warn`, and changes nothing.

use crate::sys::debugfs_files::Spec;
use crate::{
    busted::Busted,
    callbacks,
    command::{
        self,
        BenchWhat,
        CallbackCmd,
        File,
        ModeCmd,
        RunCmd,
        StatsCmd,
        TortureCmd, //
    },
    control::{
        self,
        bench,
        torture,
        Control, //
    },
    insn,
    names::Named,
    policy::{
        self,
        Emulation,
        Engine,
        StateKind, //
    },
    selftest,
    site,
    stats,
    sys::{
        kcall,
        unwind, //
    },
    traced,
    verdict::{
        self,
        Direction,
        Invariant,
        Scenario,
        Target, //
    }, //
};
use core::fmt;
use kernel::{
    prelude::*,
    uaccess::UserSliceReader, //
};

/// Reads one write into `buf` and returns it as a trimmed word, or `EINVAL` with a warning.
fn read_word<'a>(
    file: File,
    reader: &mut UserSliceReader,
    buf: &'a mut [u8; command::MAX_INPUT],
) -> Result<&'a str> {
    let n = reader.len();
    if n > buf.len() {
        pr_warn!(
            "{}: {} ({} bytes, at most {})\n",
            file.name(),
            command::Reject::TooLong.reason(),
            n,
            buf.len()
        );
        return Err(EINVAL);
    }
    reader.read_slice(&mut buf[..n])?;
    command::text(&buf[..n]).map_err(|r| {
        pr_warn!("{}: {}\n", file.name(), r.reason());
        EINVAL
    })
}

/// The value of `T` whose word is `word`, or `EINVAL` with a warning naming the choices.
fn parse<T: Named>(file: File, word: &str) -> Result<T> {
    command::keyword(word).map_err(|_| {
        pr_warn!(
            "{}: unknown value '{}'; expected one of: {}\n",
            file.name(),
            word,
            choices::<T>()
        );
        EINVAL
    })
}

/// Formats words as `a|b|c`, for a refusal's list of choices.
struct Choices<I>(I);

impl<I: Iterator<Item = &'static str> + Clone> kernel::fmt::Display for Choices<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        for word in self.0.clone() {
            write!(f, "{sep}{word}")?;
            sep = "|";
        }
        Ok(())
    }
}

/// The words of `T`, as choices.
fn choices<T: Named>() -> Choices<impl Iterator<Item = &'static str> + Clone> {
    Choices(T::VALUES.iter().map(|v| v.name()))
}

fn mode_show(ctl: &Control, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let st = ctl.lock();
    writeln!(f, "state: {}", st.site().kind().name())?;
    if let Some(cb) = st.site().callback() {
        writeln!(f, "callback: {}", policy::CALLBACKS[cb])?;
    }
    writeln!(
        f,
        "forced: {}",
        if st.forced().is_some() { "yes" } else { "no" }
    )?;
    writeln!(f, "busy: {}", st.busy().map_or("no", File::name))?;
    // The site under test: ftrace's on `ftrace`, ours on the other engines.
    let on_ftrace = st.engine() == Engine::Ftrace;
    let b = if on_ftrace {
        site::read_ftrace_site()
    } else {
        site::read_entry(0)
    };
    writeln!(
        f,
        "site: {:02x} {:02x} {:02x} {:02x} {:02x}",
        b[0], b[1], b[2], b[3], b[4]
    )?;
    // Whether the live bytes decode to what the state says: a check a test can assert on.
    let ok = if on_ftrace {
        site::ftrace_site_ok(st.site())
    } else {
        insn::decode(traced::site(), &b) == Some(site::insn_of(st.site()))
    };
    writeln!(f, "site_ok: {}", if ok { "yes" } else { "no" })
}

fn mode_write(ctl: &Control, reader: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; command::MAX_INPUT];
    let word = read_word(File::Mode, reader, &mut buf)?;
    let cmd = command::mode_cmd(word).map_err(|_| {
        pr_warn!(
            "mode: unknown value '{}'; expected one of: {}|{}\n",
            word,
            choices::<StateKind>(),
            command::AUTO
        );
        EINVAL
    })?;
    let mode = match cmd {
        ModeCmd::Force(m) => Some(m),
        ModeCmd::Auto => None,
    };
    ctl.gate(File::Mode)?.set_mode(mode)
}

fn engine_show(ctl: &Control, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    writeln!(f, "{}", ctl.lock().engine().name())
}

fn engine_write(ctl: &Control, reader: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; command::MAX_INPUT];
    let word = read_word(File::Engine, reader, &mut buf)?;
    let engine = parse(File::Engine, word)?;
    ctl.gate(File::Engine)?.set_engine(engine)
}

fn emulate_show(ctl: &Control, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    writeln!(f, "{}", ctl.lock().emulation().name())
}

fn emulate_write(ctl: &Control, reader: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; command::MAX_INPUT];
    let word = read_word(File::Emulate, reader, &mut buf)?;
    let emulation = parse(File::Emulate, word)?;
    ctl.gate(File::Emulate)?.set_emulation(emulation)
}

fn callbacks_show(_ctl: &Control, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mask = callbacks::registered();
    let names = policy::CALLBACKS
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0);
    let mut sep = "";
    for (_, name) in names {
        write!(f, "{sep}{name}")?;
        sep = " ";
    }
    writeln!(f)
}

fn callbacks_write(ctl: &Control, reader: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; command::MAX_INPUT];
    let word = read_word(File::Callbacks, reader, &mut buf)?;
    let cmd = command::callback_cmd(word).map_err(|_| {
        pr_warn!(
            "callbacks: '{}' is not +name or -name with a name among: {}\n",
            word,
            Choices(policy::CALLBACKS.iter().copied())
        );
        EINVAL
    })?;
    let gate = ctl.gate(File::Callbacks)?;
    match cmd {
        CallbackCmd::Add(cb) => gate.add_callback(cb),
        CallbackCmd::Remove(cb) => gate.remove_callback(cb),
    }
}

/// A summary, never a line per site: how many follow the state, how many hold its bytes,
/// and the first that does not.
fn sites_show(ctl: &Control, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let st = ctl.lock();
    writeln!(f, "count: {}", st.sites())?;
    writeln!(f, "batch: {}", st.batch())?;
    writeln!(f, "table: {}", crate::sites::SITES)?;
    writeln!(f, "state: {}", st.site().kind().name())?;
    if st.engine() == Engine::Ftrace {
        return writeln!(f, "holding: not ours (engine ftrace flips its own site)");
    }
    let (bad, first) = site::entries_not_in(st.site(), st.sites());
    writeln!(f, "holding: {}", st.sites() - bad)?;
    match first {
        Some(e) => writeln!(f, "first_not_holding: {e}"),
        None => writeln!(f, "first_not_holding: none"),
    }
}

fn sites_write(ctl: &Control, reader: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; command::MAX_INPUT];
    let word = read_word(File::Sites, reader, &mut buf)?;
    let cmd = command::sites_cmd(word).map_err(|r| {
        pr_warn!(
            "sites: '{}': {} (count=N and/or batch=N, each 1 to {})\n",
            word,
            r.reason(),
            crate::sites::SITES
        );
        EINVAL
    })?;
    let gate = ctl.gate(File::Sites)?;
    let count = cmd.count.unwrap_or(gate.sites());
    let batch = cmd.batch.unwrap_or(gate.batch());
    gate.set_sites(count, batch)
}

fn call_show(ctl: &Control, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let r = ctl.lock().last_call();
    writeln!(f, "calls: {}", r.calls)?;
    writeln!(f, "v1: {}", r.v1)?;
    writeln!(f, "v2: {}", r.v2)?;
    writeln!(f, "corrupt: {}", r.corrupt)?;
    writeln!(f, "wrong_site: {}", r.wrong_site)?;
    writeln!(f, "wrong_callback: {}", r.wrong_callback)
}

fn call_write(ctl: &Control, reader: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; command::MAX_INPUT];
    let word = read_word(File::Call, reader, &mut buf)?;
    let n = command::call_count(word).map_err(|r| {
        pr_warn!(
            "call: '{}': {} (a count from 1 to {})\n",
            word,
            r.reason(),
            command::MAX_CALLS
        );
        EINVAL
    })?;
    control::call(ctl, n).map(|_| ())
}

fn selftest_show(_ctl: &Control, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let (runs, passes) = (stats::SELFTEST_RUNS.get(), stats::SELFTEST_PASSES.get());
    // The latest run's outcome, which `echo reset > stats` does not erase.
    writeln!(f, "result: {}", selftest::last_result())?;
    writeln!(f, "runs: {runs}")?;
    writeln!(f, "passes: {passes}")?;
    writeln!(f, "last_value: {:#x}", selftest::last_value())?;
    writeln!(f, "expected: {:#x}", selftest::MAGIC)
}

fn selftest_write(ctl: &Control, reader: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; command::MAX_INPUT];
    let word = read_word(File::Selftest, reader, &mut buf)?;
    match parse(File::Selftest, word)? {
        RunCmd::Run => {
            // Through the gate: a self-test plants its own int3, never under a flip or a run.
            let _gate = ctl.gate(File::Selftest)?;
            selftest::run(&ctl.notifier)
        }
    }
}

fn unwind_show(_ctl: &Control, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match unwind::last() {
        None => writeln!(f, "reliable: none"),
        Some(t) => {
            writeln!(f, "reliable: {}", if t.reliable { "yes" } else { "no" })?;
            writeln!(f, "frames: {}", t.walked)
        }
    }
}

fn unwind_write(ctl: &Control, reader: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; command::MAX_INPUT];
    let word = read_word(File::Unwind, reader, &mut buf)?;
    match parse(File::Unwind, word)? {
        RunCmd::Run => control::unwind(ctl).map(|_| ()),
    }
}

fn stats_show(ctl: &Control, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    // How each non-exported kernel function is reached: never through a pointer.
    for &(name, target, addr) in ctl.syms.bound().iter() {
        // What the trampoline holds now, read back: the proof, not the intent.
        let name = name.to_str().unwrap_or("?");
        match kcall::jump_target(target) {
            Some(to) => writeln!(
                f,
                "reach_{name}: direct call via static call, bound to {addr:#x}, jumps to {to:#x}"
            )?,
            None => writeln!(
                f,
                "reach_{name}: static call holds no jmp (bound to {addr:#x})"
            )?,
        }
    }
    for (key, counter) in stats::ALL.iter() {
        writeln!(f, "{key}: {}", counter.get())?;
    }
    for (name, hits) in policy::CALLBACKS.iter().zip(callbacks::HITS.iter()) {
        writeln!(f, "cb_{name}: {}", hits.get())?;
    }
    for p in Emulation::ALL {
        writeln!(f, "emulated_{}: {}", p.name(), traced::emulated_by(p))?;
    }
    write!(f, "counter_per_cpu:")?;
    for c in callbacks::PER_CPU
        .iter()
        .take(kernel::bindings::NR_CPUS as usize)
    {
        write!(f, " {}", c.get())?;
    }
    writeln!(f)
}

fn stats_write(ctl: &Control, reader: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; command::MAX_INPUT];
    let word = read_word(File::Stats, reader, &mut buf)?;
    match parse(File::Stats, word)? {
        StatsCmd::Reset => {
            ctl.gate(File::Stats)?.reset_counters();
            Ok(())
        }
    }
}

fn torture_show(ctl: &Control, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let st = ctl.lock();
    let r = st.last_torture();
    let running = st.busy() == Some(File::Torture);
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    writeln!(f, "running: {}", yes_no(running))?;
    writeln!(f, "verdict: {}", r.verdict.name())?;
    writeln!(f, "scenario: {}", r.scenario.name())?;
    writeln!(f, "engine: {}", r.engine.map_or("-", |e| e.name()))?;
    writeln!(f, "emulate: {}", r.emulation.map_or("-", |p| p.name()))?;
    writeln!(f, "busted: {}", r.busted.name())?;
    write!(f, "broken:")?;
    if r.broken == 0 {
        write!(f, " none")?;
    }
    for i in Invariant::ALL
        .into_iter()
        .filter(|i| r.broken & i.bit() != 0)
    {
        write!(f, " {}", i.name())?;
    }
    writeln!(f)?;
    writeln!(f, "threads: {}", r.threads)?;
    writeln!(f, "window_us: {}", r.window_us)?;
    writeln!(f, "sites: {}", r.sites)?;
    writeln!(f, "batch: {}", r.batch)?;
    writeln!(f, "flips: {}", r.flips)?;
    writeln!(f, "calls: {}", r.calls)?;
    writeln!(f, "v1: {}", r.v1)?;
    writeln!(f, "v2: {}", r.v2)?;
    writeln!(f, "missed: {}", r.missed)?;
    match r.worst_site {
        Some((e, n)) => writeln!(f, "worst_site: {e} missed {n}")?,
        None => writeln!(f, "worst_site: none")?,
    }
    writeln!(f, "corrupt: {}", r.corrupt)?;
    writeln!(f, "wrong_site: {}", r.wrong_site)?;
    writeln!(f, "unwritten: {}", r.unwritten)?;
    match r.first_unwritten {
        Some(e) => writeln!(f, "first_unwritten: {e}")?,
        None => writeln!(f, "first_unwritten: none")?,
    }
    writeln!(f, "batches: {}", r.batches)?;
    match r.syncs {
        Some(n) => writeln!(f, "syncs: {n}")?,
        None => writeln!(f, "syncs: not counted")?,
    }
    writeln!(f, "cb_livepatch: {}", r.cb_livepatch)?;
    writeln!(f, "cb_counter: {}", r.cb_counter)?;
    writeln!(f, "cb_probe1: {}", r.cb_probe1)?;
    writeln!(f, "cb_unregistered: {}", r.cb_unregistered)?;
    for p in Emulation::ALL {
        writeln!(f, "emulated_{}: {}", p.name(), r.emulated[p as usize])?;
    }
    // The emulation's signature: where its hits went, per direction of the flip.
    for d in Direction::ALL {
        write!(f, "{}:", d.name())?;
        for t in Target::ALL {
            write!(
                f,
                " {}={}",
                t.name(),
                r.by_direction[d as usize][t as usize]
            )?;
        }
        writeln!(f)?;
    }
    writeln!(f, "calls_in_flip: {}", r.calls_in_flip)?;
    if r.engine.is_some_and(|e| !e.picks_emulation()) {
        // Said, not shown as zeros that look like a measurement.
        writeln!(
            f,
            "not_countable: emulated hits and their targets: the kernel's int3 handler emulates on this engine"
        )?;
    }
    writeln!(f, "int3_hits: {}", r.int3_hits)?;
    writeln!(f, "stale_int3: {}", r.stale_int3)?;
    writeln!(f, "rewinds_gone: {}", r.rewinds_gone)?;
    writeln!(f, "rewinds_flip: {}", r.rewinds_flip)?;
    writeln!(f, "int3_foreign: {}", r.int3_foreign)?;
    writeln!(f, "window_real_us_avg: {}", r.window_ns_avg / 1000)?;
    writeln!(f, "window_real_us_max: {}", r.window_ns_max / 1000)?;
    writeln!(f, "snapshots: {}", r.snapshots)?;
    writeln!(f, "snapshots_in_flip: {}", r.snapshots_in_flip)?;
    writeln!(f, "snapshots_int3: {}", r.snapshots_int3)?;
    writeln!(f, "illegal: {}", r.illegal)?;
    match r.first_illegal {
        Some(i) => writeln!(
            f,
            "first_illegal: {:02x?} in the flip {:02x?} -> {:02x?}",
            i.seen, i.old, i.new
        )?,
        None => writeln!(f, "first_illegal: none")?,
    }
    writeln!(f, "stopped: {}", yes_no(r.stopped))?;
    writeln!(f, "interrupted: {}", yes_no(r.interrupted))
}

fn torture_write(ctl: &Control, reader: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; command::MAX_INPUT];
    let word = read_word(File::Torture, reader, &mut buf)?;
    let cmd = command::torture_cmd(word).map_err(|r| {
        pr_warn!(
            "torture: '{}': {}; expected 'stop' or threads=1..{} flips=1..{} engine={} emulate={} window_us=0..{} scenario={} [busted={}] [busted_may_crash=yes]\n",
            word,
            r.reason(),
            command::MAX_THREADS,
            command::MAX_FLIPS,
            choices::<Engine>(),
            choices::<Emulation>(),
            command::MAX_WINDOW_US,
            choices::<Scenario>(),
            choices::<Busted>()
        );
        EINVAL
    })?;
    match cmd {
        TortureCmd::Stop => {
            torture::stop(ctl);
            Ok(())
        }
        TortureCmd::Start(p) => verdict_status(&torture::run(ctl, &p)?),
    }
}

/// The write's exit status is the verdict (`verdict::status`): `fail` EIO, even when a
/// signal also ended the run; a signal EINTR; `inconclusive` ENODATA (retry with a wider
/// window); `pass` and `stopped` (by `echo stop`) success.
fn verdict_status(report: &verdict::Report) -> Result {
    match verdict::status(report) {
        verdict::Status::Failed => {
            let why = if report.busted == Busted::None {
                ""
            } else {
                " (busted on purpose)"
            };
            pr_err!(
                "torture: an invariant broke{} (cat torture for the numbers)\n",
                why
            );
            Err(EIO)
        }
        verdict::Status::Interrupted => {
            pr_info!(
                "torture: interrupted by a signal after {} flips\n",
                report.flips
            );
            Err(EINTR)
        }
        verdict::Status::Inconclusive => {
            pr_warn!("torture: inconclusive: no call landed in an int3 window (or the observer never saw the int3); widen window_us or add flips\n");
            Err(crate::sys::ffi::enodata())
        }
        verdict::Status::Done => Ok(()),
    }
}

fn bench_show(ctl: &Control, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let r = ctl.lock().last_bench();
    writeln!(f, "what: {}", r.what.map_or("-", BenchWhat::name))?;
    writeln!(f, "state: {}", r.state.map_or("-", |s| s.kind().name()))?;
    writeln!(f, "callbacks: {}", r.callbacks)?;
    writeln!(f, "engine: {}", r.engine.map_or("-", |e| e.name()))?;
    writeln!(f, "n: {}", r.n)?;
    writeln!(f, "ns: {}", r.ns)?;
    writeln!(f, "window_ns: {}", r.window_ns)?;
    writeln!(f, "sites: {}", r.sites)?;
    writeln!(f, "base_ns: {}", r.base_ns)?;
    match r.syncs {
        Some(n) => writeln!(f, "syncs: {n}")?,
        None => writeln!(f, "syncs: not counted")?,
    }
    writeln!(f, "sync_ns: {}", r.sync_ns)?;
    writeln!(f, "write_ns: {}", r.write_ns)
}

fn bench_write(ctl: &Control, reader: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; command::MAX_INPUT];
    let word = read_word(File::Bench, reader, &mut buf)?;
    let cmd = command::bench_cmd(word).map_err(|r| {
        pr_warn!(
            "bench: '{}': {}; expected '<what> <count>' with what among: {} and count 1..{} (emulated: ..{}, flips: ..{})\n",
            word,
            r.reason(),
            choices::<BenchWhat>(),
            command::MAX_CALLS,
            command::MAX_BENCH_EMULATED,
            command::MAX_BENCH_FLIPS
        );
        EINVAL
    })?;
    bench::run(ctl, cmd).map(|_| ())
}

// The files are `command::File`'s words, in its order: the one declaration of them.
const _: () = {
    /// Whether the C string `c` spells `word` (a `const fn`: `==` on slices is not one yet).
    const fn spells(c: &CStr, word: &str) -> bool {
        let (c, w) = (c.to_bytes(), word.as_bytes());
        if c.len() != w.len() {
            return false;
        }
        let mut i = 0;
        while i < c.len() {
            if c[i] != w[i] {
                return false;
            }
            i += 1;
        }
        true
    }

    assert!(FILES.len() == File::ALL.len());
    let mut i = 0;
    while i < FILES.len() {
        assert!(spells(FILES[i].name, File::ALL[i].name()));
        i += 1;
    }
};

/// The files of `/sys/kernel/debug/int3call/`, all 0600 (see `debugfs_files.rs`).
pub(crate) static FILES: [Spec<Control>; File::ALL.len()] = [
    Spec {
        name: c"mode",
        show: mode_show,
        write: mode_write,
    },
    Spec {
        name: c"engine",
        show: engine_show,
        write: engine_write,
    },
    Spec {
        name: c"emulate",
        show: emulate_show,
        write: emulate_write,
    },
    Spec {
        name: c"callbacks",
        show: callbacks_show,
        write: callbacks_write,
    },
    Spec {
        name: c"call",
        show: call_show,
        write: call_write,
    },
    Spec {
        name: c"torture",
        show: torture_show,
        write: torture_write,
    },
    Spec {
        name: c"stats",
        show: stats_show,
        write: stats_write,
    },
    Spec {
        name: c"selftest",
        show: selftest_show,
        write: selftest_write,
    },
    Spec {
        name: c"bench",
        show: bench_show,
        write: bench_write,
    },
    Spec {
        name: c"unwind",
        show: unwind_show,
        write: unwind_write,
    },
    Spec {
        name: c"sites",
        show: sites_show,
        write: sites_write,
    },
];
