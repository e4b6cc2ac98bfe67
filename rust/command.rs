// SPDX-License-Identifier: GPL-2.0
//! Parsing of what userspace writes to the debugfs files. No kernel dependency: unit-tested
//! on the host. Every rejection says why, so the caller can `pr_warn` it.

use crate::busted::Busted;
use crate::names::{
    named,
    Named, //
};
use crate::policy::{
    callback_index,
    Emulation,
    Engine,
    StateKind, //
};
use crate::sites::SITES;
use crate::verdict::Scenario;

named! {
    /// The files of `/sys/kernel/debug/int3call/`. `debugfs.rs` gives each its `show` and
    /// `write`, in this order (checked at build time).
    pub(crate) enum File {
        Mode = "mode",
        Engine = "engine",
        Emulate = "emulate",
        Callbacks = "callbacks",
        Call = "call",
        Torture = "torture",
        Stats = "stats",
        Selftest = "selftest",
        Bench = "bench",
        Unwind = "unwind",
        Sites = "sites",
    }
}

/// The longest write any file accepts, newline included.
pub(crate) const MAX_INPUT: usize = 128;

/// Why a write was refused (the caller turns every one into `-EINVAL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reject {
    Empty,
    TooLong,
    NotText,
    Unknown,
    OutOfRange,
    /// A busted variant in code the engine does not run.
    WrongEngine,
    /// An emulation other than `new` on an engine whose int3 handler is the kernel's.
    KernelEmulates,
    /// The observer on `ftrace`, whose bytes only ftrace knows ahead of a flip.
    ObserverNeedsOurBytes,
    /// More than one site on an engine that flips one.
    OneSite,
}

impl Reject {
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Reject::Empty => "empty write",
            Reject::TooLong => "input too long",
            Reject::NotText => "input is not text",
            Reject::Unknown => "unknown value",
            Reject::OutOfRange => "number out of range",
            Reject::WrongEngine => {
                "this busted variant breaks code this engine does not run (scripts/torture.md: busted variants)"
            }
            Reject::KernelEmulates => {
                "on this engine the kernel's int3 handler emulates the new instruction: emulate=new only"
            }
            Reject::ObserverNeedsOurBytes => {
                "the observer needs the bytes of each flip ahead of it, which only ftrace knows, and ftrace picks its own trampolines: scenario=livepatch on engine=ftrace"
            }
            Reject::OneSite => "this engine flips one site: sites=N needs engine=kernel or engine=module",
        }
    }
}

/// Turns raw bytes into one trimmed word (surrounding whitespace, such as `echo`'s newline,
/// is ignored).
pub(crate) fn text(bytes: &[u8]) -> Result<&str, Reject> {
    if bytes.len() > MAX_INPUT {
        return Err(Reject::TooLong);
    }
    let s = core::str::from_utf8(bytes)
        .map_err(|_| Reject::NotText)?
        .trim();
    if s.is_empty() {
        return Err(Reject::Empty);
    }
    if s.bytes().any(|b| b.is_ascii_control()) {
        return Err(Reject::NotText);
    }
    Ok(s)
}

/// The value of `T` whose word is `input` (exact match).
pub(crate) fn keyword<T: Named>(input: &str) -> Result<T, Reject> {
    T::from_name(input).ok_or(Reject::Unknown)
}

/// Writes to `mode`: force a site state, or go back to ftrace's policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ModeCmd {
    Force(StateKind),
    Auto,
}
/// The word for [`ModeCmd::Auto`]; the others are [`StateKind`]'s.
pub(crate) const AUTO: &str = "auto";

/// A state kind, or [`AUTO`].
pub(crate) fn mode_cmd(input: &str) -> Result<ModeCmd, Reject> {
    if input == AUTO {
        return Ok(ModeCmd::Auto);
    }
    keyword(input).map(ModeCmd::Force)
}

/// Writes to `callbacks`: `+name` registers, `-name` unregisters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CallbackCmd {
    Add(usize),
    Remove(usize),
}

pub(crate) fn callback_cmd(input: &str) -> Result<CallbackCmd, Reject> {
    let (op, name) = input.split_at_checked(1).ok_or(Reject::Unknown)?;
    let cb = callback_index(name).ok_or(Reject::Unknown)?;
    match op {
        "+" => Ok(CallbackCmd::Add(cb)),
        "-" => Ok(CallbackCmd::Remove(cb)),
        _ => Err(Reject::Unknown),
    }
}

/// The most calls one write to `call` may ask for.
pub(crate) const MAX_CALLS: u64 = 100_000_000;

/// Writes to `call`: a decimal count, 1 to [`MAX_CALLS`].
pub(crate) fn call_count(input: &str) -> Result<u64, Reject> {
    if !input.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Reject::Unknown);
    }
    match input.parse::<u64>() {
        Ok(n) if (1..=MAX_CALLS).contains(&n) => Ok(n),
        _ => Err(Reject::OutOfRange),
    }
}

/// A torture run's parameters (see `torture_cmd`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TortureParams {
    /// Caller threads; 0 means one per possible CPU.
    pub(crate) threads: u32,
    /// Flips of the site (each adds or removes the second callback).
    pub(crate) flips: u32,
    pub(crate) engine: Engine,
    pub(crate) emulation: Emulation,
    /// Module engine: how long each protocol step is held open, in microseconds.
    pub(crate) window_us: u32,
    /// A known bug to inject into this run (off unless named).
    pub(crate) busted: Busted,
    /// What the run flips, and whether an observer watches the site's bytes.
    pub(crate) scenario: Scenario,
    /// Allows a destructive busted variant on bare metal, where it may crash the machine.
    pub(crate) busted_may_crash: bool,
    /// How many sites the run flips, and how many a batch holds (`None`: as `sites` says).
    pub(crate) sites: Option<usize>,
    pub(crate) batch: Option<usize>,
}

pub(crate) const TORTURE_DEFAULTS: TortureParams = TortureParams {
    threads: 0,
    flips: 1000,
    engine: Engine::Kernel,
    emulation: Emulation::New,
    window_us: 0,
    busted: Busted::None,
    scenario: Scenario::Livepatch,
    busted_may_crash: false,
    sites: None,
    batch: None,
};
pub(crate) const MAX_THREADS: u32 = 64;
pub(crate) const MAX_FLIPS: u32 = 10_000_000;
pub(crate) const MAX_WINDOW_US: u32 = 100_000;

/// Writes to `torture`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TortureCmd {
    Start(TortureParams),
    Stop,
}

/// A decimal `value` in `lo..=hi`.
fn number<T: TryFrom<u64> + PartialOrd>(value: &str, lo: T, hi: T) -> Result<T, Reject> {
    let digits =
        !value.is_empty() && value.len() <= 12 && value.bytes().all(|b| b.is_ascii_digit());
    let n = if digits {
        value.parse::<u64>().ok().and_then(|n| T::try_from(n).ok())
    } else {
        None
    };
    n.filter(|n| *n >= lo && *n <= hi).ok_or(Reject::OutOfRange)
}

/// `stop`, or `key=value` words (any order, defaults for the rest): `threads=N`,
/// `flips=N`, `engine=NAME`, `emulate=new|old|nop`, `window_us=N`, `busted=NAME`,
/// `scenario=livepatch|observer`, `busted_may_crash=yes`, `sites=N`, `batch=N`.
pub(crate) fn torture_cmd(input: &str) -> Result<TortureCmd, Reject> {
    if input == "stop" {
        return Ok(TortureCmd::Stop);
    }
    let mut p = TORTURE_DEFAULTS;
    for word in input.split_ascii_whitespace() {
        let (key, value) = word.split_once('=').ok_or(Reject::Unknown)?;
        match key {
            "threads" => p.threads = number(value, 1, MAX_THREADS)?,
            "flips" => p.flips = number(value, 1, MAX_FLIPS)?,
            "window_us" => p.window_us = number(value, 0, MAX_WINDOW_US)?,
            "sites" => p.sites = Some(number(value, 1, SITES)?),
            "batch" => p.batch = Some(number(value, 1, SITES)?),
            "engine" => p.engine = keyword(value)?,
            "emulate" => p.emulation = keyword(value)?,
            "busted" => p.busted = keyword(value)?,
            "scenario" => p.scenario = keyword(value)?,
            "busted_may_crash" if value == "yes" => p.busted_may_crash = true,
            _ => return Err(Reject::Unknown),
        }
    }
    if !p.busted.applies_to(p.engine) {
        return Err(Reject::WrongEngine);
    }
    if !p.engine.picks_emulation() && p.emulation != Emulation::New {
        return Err(Reject::KernelEmulates);
    }
    if p.engine == Engine::Ftrace && p.scenario.observed() {
        return Err(Reject::ObserverNeedsOurBytes);
    }
    if p.sites.is_some_and(|n| n > 1) && !p.engine.batches() {
        return Err(Reject::OneSite);
    }
    Ok(TortureCmd::Start(p))
}

/// A write to `sites`: how many entries follow the state, and how many a batch flips.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SitesCmd {
    pub(crate) count: Option<usize>,
    pub(crate) batch: Option<usize>,
}

/// `count=N` and/or `batch=N`, each 1 to [`SITES`].
pub(crate) fn sites_cmd(input: &str) -> Result<SitesCmd, Reject> {
    let mut cmd = SitesCmd {
        count: None,
        batch: None,
    };
    for word in input.split_ascii_whitespace() {
        match word.split_once('=').ok_or(Reject::Unknown)? {
            ("count", v) => cmd.count = Some(number(v, 1, SITES)?),
            ("batch", v) => cmd.batch = Some(number(v, 1, SITES)?),
            _ => return Err(Reject::Unknown),
        }
    }
    Ok(cmd)
}

named! {
    /// What a write to `bench` times.
    pub(crate) enum BenchWhat {
        /// Calls of the plain function (v1 with no site): the baseline.
        Plain = "plain",
        /// Calls of the plain function behind a direct call to probe1's direct entry that
        /// the assembler wrote: the floor of the `direct` path.
        PlainDirect = "plain_direct",
        /// Calls of the traced function, with the site as it is.
        Calls = "calls",
        /// Calls of the function ftrace owns, its site attached to probe1's direct entry by an
        /// ftrace direct call (`register_ftrace_direct`): the kernel's peer of `direct`.
        FtraceDirect = "ftrace_direct",
        /// Calls that run into the module engine's int3 and are emulated.
        Emulated = "emulated",
        /// Calls of the table's sites 1..count, each trapping on its own int3, all held at
        /// once: the handler's lookup among `count - 1` sites.
        EmulatedSites = "emulated_sites",
        /// Flips of the site, between its state and NOP, with the current engine.
        Flips = "flips",
    }
}

/// The most flips one write to `bench` may ask for (each takes three IPI rounds).
pub(crate) const MAX_BENCH_FLIPS: u64 = 100_000;
/// The most emulated calls one write to `bench` may ask for: they all run inside one flip's
/// window, with `text_mutex` held, which stalls every other text patcher meanwhile.
pub(crate) const MAX_BENCH_EMULATED: u64 = 100_000;

/// A write to `bench`: what to time, and how many times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BenchCmd {
    pub(crate) what: BenchWhat,
    pub(crate) n: u64,
}

/// `<what> <count>`, e.g. `calls 100000` or `flips 100`.
pub(crate) fn bench_cmd(input: &str) -> Result<BenchCmd, Reject> {
    let mut words = input.split_ascii_whitespace();
    let (Some(what), Some(count), None) = (words.next(), words.next(), words.next()) else {
        return Err(Reject::Unknown);
    };
    let what = keyword(what)?;
    let n = call_count(count)?;
    let max = match what {
        BenchWhat::Flips => MAX_BENCH_FLIPS,
        BenchWhat::Emulated | BenchWhat::EmulatedSites => MAX_BENCH_EMULATED,
        BenchWhat::Plain | BenchWhat::PlainDirect | BenchWhat::Calls | BenchWhat::FtraceDirect => {
            MAX_CALLS
        }
    };
    if n > max {
        return Err(Reject::OutOfRange);
    }
    Ok(BenchCmd { what, n })
}

named! {
    /// Writes to `selftest` and `unwind`.
    pub(crate) enum RunCmd {
        Run = "run",
    }
}

named! {
    /// Writes to `stats`.
    pub(crate) enum StatsCmd {
        Reset = "reset",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_trims_echo_newline_and_rejects_the_rest() {
        assert_eq!(text(b"run\n"), Ok("run"));
        assert_eq!(text(b"  run \t\n"), Ok("run"));
        assert_eq!(text(b""), Err(Reject::Empty));
        assert_eq!(text(b" \n"), Err(Reject::Empty));
        assert_eq!(text(&[b'a'; MAX_INPUT + 1]), Err(Reject::TooLong));
        assert_eq!(text(&[0xff, 0xfe]), Err(Reject::NotText));
        assert_eq!(text(b"r\x01n"), Err(Reject::NotText));
    }

    #[test]
    fn sites_commands_take_a_count_and_a_batch_within_the_table() {
        let both = sites_cmd("count=4096 batch=64");
        assert_eq!(
            both,
            Ok(SitesCmd {
                count: Some(4096),
                batch: Some(64)
            })
        );
        assert_eq!(sites_cmd("batch=1").map(|c| c.count), Ok(None));
        assert_eq!(sites_cmd("count=0"), Err(Reject::OutOfRange));
        assert_eq!(sites_cmd("count=4097"), Err(Reject::OutOfRange));
        assert_eq!(
            sites_cmd("batch=99999999999999999999"),
            Err(Reject::OutOfRange)
        );
        assert_eq!(sites_cmd("count=-1"), Err(Reject::OutOfRange));
        assert_eq!(sites_cmd("sites=4"), Err(Reject::Unknown));
        assert_eq!(sites_cmd("4"), Err(Reject::Unknown));
    }

    #[test]
    fn torture_takes_sites_on_the_batching_engines_only() {
        let Ok(TortureCmd::Start(p)) = torture_cmd("sites=4096 batch=256 engine=module") else {
            panic!("refused");
        };
        assert_eq!((p.sites, p.batch), (Some(4096), Some(256)));
        assert_eq!(
            torture_cmd("sites=2 engine=static_call"),
            Err(Reject::OneSite)
        );
        assert_eq!(torture_cmd("sites=2 engine=ftrace"), Err(Reject::OneSite));
        assert!(torture_cmd("sites=1 engine=static_call").is_ok());
        assert_eq!(torture_cmd("sites=4097"), Err(Reject::OutOfRange));
        assert_eq!(torture_cmd("batch=0"), Err(Reject::OutOfRange));
    }

    #[test]
    fn callback_commands() {
        assert_eq!(callback_cmd("+livepatch"), Ok(CallbackCmd::Add(0)));
        assert_eq!(callback_cmd("-counter"), Ok(CallbackCmd::Remove(1)));
        assert_eq!(callback_cmd("livepatch"), Err(Reject::Unknown));
        assert_eq!(callback_cmd("+"), Err(Reject::Unknown));
        assert_eq!(callback_cmd("+nosuch"), Err(Reject::Unknown));
        assert_eq!(callback_cmd("*counter"), Err(Reject::Unknown));
        assert_eq!(callback_cmd("+é"), Err(Reject::Unknown));
    }

    #[test]
    fn call_counts() {
        assert_eq!(call_count("1"), Ok(1));
        assert_eq!(call_count("1000"), Ok(1000));
        assert_eq!(call_count("0"), Err(Reject::OutOfRange));
        assert_eq!(call_count("100000001"), Err(Reject::OutOfRange));
        assert_eq!(
            call_count("99999999999999999999999"),
            Err(Reject::OutOfRange)
        );
        assert_eq!(call_count("-1"), Err(Reject::Unknown));
        assert_eq!(call_count("+5"), Err(Reject::Unknown));
        assert_eq!(call_count("0x10"), Err(Reject::Unknown));
    }

    #[test]
    fn torture_commands() {
        assert_eq!(torture_cmd("stop"), Ok(TortureCmd::Stop));
        let want = TortureParams {
            threads: 3,
            flips: 500,
            engine: Engine::Module,
            emulation: Emulation::Nop,
            window_us: 0,
            busted: Busted::None,
            scenario: Scenario::Livepatch,
            busted_may_crash: false,
            sites: None,
            batch: None,
        };
        assert_eq!(
            torture_cmd("threads=3 flips=500 engine=module emulate=nop window_us=0"),
            Ok(TortureCmd::Start(want))
        );
        assert_eq!(
            torture_cmd("flips=7"),
            Ok(TortureCmd::Start(TortureParams {
                flips: 7,
                ..TORTURE_DEFAULTS
            }))
        );
        assert_eq!(torture_cmd("threads=0"), Err(Reject::OutOfRange));
        assert_eq!(torture_cmd("threads=65"), Err(Reject::OutOfRange));
        assert_eq!(torture_cmd("window_us=100001"), Err(Reject::OutOfRange));
        assert_eq!(torture_cmd("flips=10000001"), Err(Reject::OutOfRange));
        assert_eq!(torture_cmd("flips=0"), Err(Reject::OutOfRange));
        // Each bound itself is accepted.
        let max = torture_cmd("threads=64 flips=10000000 window_us=100000");
        assert_eq!(
            max,
            Ok(TortureCmd::Start(TortureParams {
                threads: MAX_THREADS,
                flips: MAX_FLIPS,
                window_us: MAX_WINDOW_US,
                ..TORTURE_DEFAULTS
            }))
        );
        assert_eq!(torture_cmd("flips=x"), Err(Reject::OutOfRange));
        assert_eq!(torture_cmd("engine=fast"), Err(Reject::Unknown));
        assert_eq!(torture_cmd("colour=red"), Err(Reject::Unknown));
        assert_eq!(torture_cmd("flips"), Err(Reject::Unknown));
        let busted = TortureParams {
            busted: Busted::IterDrop,
            ..TORTURE_DEFAULTS
        };
        assert_eq!(
            torture_cmd("busted=iter_drop"),
            Ok(TortureCmd::Start(busted))
        );
        assert_eq!(torture_cmd("busted=iter"), Err(Reject::Unknown));
        assert_eq!(torture_cmd("busted=spin"), Err(Reject::WrongEngine));
        assert_eq!(
            torture_cmd("engine=ftrace busted=iter_drop"),
            Err(Reject::WrongEngine)
        );
        assert_eq!(
            torture_cmd("engine=static_call emulate=old"),
            Err(Reject::KernelEmulates)
        );
        assert_eq!(
            torture_cmd("engine=ftrace emulate=nop"),
            Err(Reject::KernelEmulates)
        );
        for scenario in ["observer", "noregs", "direct"] {
            assert_eq!(
                torture_cmd(&format!("engine=ftrace scenario={scenario}")),
                Err(Reject::ObserverNeedsOurBytes)
            );
        }
        let direct = TortureParams {
            engine: Engine::Module,
            scenario: Scenario::Direct,
            ..TORTURE_DEFAULTS
        };
        assert_eq!(
            torture_cmd("engine=module scenario=direct"),
            Ok(TortureCmd::Start(direct))
        );
        let on_static_call = TortureParams {
            engine: Engine::StaticCall,
            scenario: Scenario::Observer,
            busted: Busted::LpFlaky,
            ..TORTURE_DEFAULTS
        };
        assert_eq!(
            torture_cmd("engine=static_call scenario=observer busted=lp_flaky"),
            Ok(TortureCmd::Start(on_static_call))
        );
        let spin = TortureParams {
            busted: Busted::Spin,
            engine: Engine::Module,
            ..TORTURE_DEFAULTS
        };
        assert_eq!(
            torture_cmd("busted=spin engine=module"),
            Ok(TortureCmd::Start(spin))
        );
        let observer = TortureParams {
            scenario: Scenario::Observer,
            busted: Busted::Torn,
            engine: Engine::Module,
            busted_may_crash: true,
            ..TORTURE_DEFAULTS
        };
        assert_eq!(
            torture_cmd("scenario=observer engine=module busted=torn busted_may_crash=yes"),
            Ok(TortureCmd::Start(observer))
        );
        assert_eq!(torture_cmd("scenario=watch"), Err(Reject::Unknown));
        assert_eq!(torture_cmd("busted_may_crash=no"), Err(Reject::Unknown));
    }

    #[test]
    fn bench_commands() {
        assert_eq!(
            bench_cmd("calls 100000"),
            Ok(BenchCmd {
                what: BenchWhat::Calls,
                n: 100_000
            })
        );
        assert_eq!(
            bench_cmd(" plain  7 "),
            Ok(BenchCmd {
                what: BenchWhat::Plain,
                n: 7
            })
        );
        assert_eq!(
            bench_cmd("emulated 1"),
            Ok(BenchCmd {
                what: BenchWhat::Emulated,
                n: 1
            })
        );
        assert_eq!(
            bench_cmd("flips 100000"),
            Ok(BenchCmd {
                what: BenchWhat::Flips,
                n: MAX_BENCH_FLIPS
            })
        );
        assert_eq!(bench_cmd("flips 100001"), Err(Reject::OutOfRange));
        assert_eq!(
            bench_cmd("emulated 100000"),
            Ok(BenchCmd {
                what: BenchWhat::Emulated,
                n: MAX_BENCH_EMULATED
            })
        );
        assert_eq!(bench_cmd("emulated 100001"), Err(Reject::OutOfRange));
        assert_eq!(bench_cmd("calls 100000001"), Err(Reject::OutOfRange));
        assert_eq!(bench_cmd("calls 0"), Err(Reject::OutOfRange));
        assert_eq!(bench_cmd("calls"), Err(Reject::Unknown));
        assert_eq!(bench_cmd("calls 5 6"), Err(Reject::Unknown));
        assert_eq!(bench_cmd("jumps 5"), Err(Reject::Unknown));
        assert_eq!(bench_cmd("calls -5"), Err(Reject::Unknown));
    }

    #[test]
    fn mode_engine_emulation_words() {
        assert_eq!(mode_cmd("custom"), Ok(ModeCmd::Force(StateKind::Custom)));
        assert_eq!(mode_cmd("auto"), Ok(ModeCmd::Auto));
        assert_eq!(mode_cmd("new"), Err(Reject::Unknown));
        assert_eq!(keyword("module"), Ok(Engine::Module));
        assert_eq!(keyword("old"), Ok(Emulation::Old));
        assert_eq!(keyword::<Emulation>("bogus"), Err(Reject::Unknown));
    }

    #[test]
    fn keyword_matches_exactly() {
        assert_eq!(keyword("run"), Ok(RunCmd::Run));
        assert_eq!(keyword("reset"), Ok(StatsCmd::Reset));
        assert_eq!(keyword::<RunCmd>("RUN"), Err(Reject::Unknown));
        assert_eq!(keyword::<RunCmd>("runx"), Err(Reject::Unknown));
    }
}
