// SPDX-License-Identifier: GPL-2.0
//! Flipping the traced function's call site, with either engine, and the module engine's
//! int3 handling.
//!
//! Both engines run the int3 protocol of `smp_text_poke_single()`: int3 on byte 0, sync every
//! CPU, write bytes 1..4, sync, write byte 0, sync. A CPU that runs into the int3 meanwhile is sent, by an emulated
//! `call`, to the stub of the chosen emulation (`traced.rs`).

use crate::{
    busted::Busted,
    emulate::{
        self,
        CpuFrame, //
    },
    injected,
    insn::{
        self,
        Insn, //
    },
    policy::{
        self,
        Emulation,
        Engine,
        SiteState, //
    },
    protocol::{
        self,
        Step, //
    },
    sites,
    stats,
    sys::{
        ftrace,
        kcall,
        static_call,
        symbols::KernelSyms,
        sync_probe, //
    },
    traced, //
};
use core::ops::Range;
use core::sync::atomic::{
    AtomicBool,
    AtomicUsize,
    Ordering, //
};
use kernel::{
    prelude::*,
    sync::{
        atomic::{
            Acquire,
            Atomic,
            Full,
            Relaxed, //
        },
        MutexGuard, //
    },
    time::{
        delay::fsleep,
        Delta,
        Instant,
        Monotonic, //
    }, //
};

/// The module engine's open window: entries `WINDOW_LO..WINDOW_HI` (`sites.rs`) carry our
/// int3 (`WINDOW_HI == 0`: none), and the stub a hit on one is emulated as a call to. Opened
/// before the batch's int3s go in and closed after its last sync, so the handler always sees
/// a complete window.
///
/// These are `core`'s atomics: the int3 path reads them, and must not call the kernel
/// crate's C helpers (`stats.rs` says why).
static WINDOW_LO: AtomicUsize = AtomicUsize::new(0);
static WINDOW_HI: AtomicUsize = AtomicUsize::new(0);
static WINDOW_TARGET: AtomicUsize = AtomicUsize::new(0);
/// The entries one of our flips (either engine) is rewriting, `FLIP_LO..FLIP_HI` (empty when
/// none): an int3 there is ours until the flip's last sync, so a CPU sent back to the site
/// cannot trap on it forever.
static FLIP_LO: AtomicUsize = AtomicUsize::new(0);
static FLIP_HI: AtomicUsize = AtomicUsize::new(0);
/// Likewise for the site ftrace owns, while one of our ftrace flips runs.
static FLIPPING_FTRACE: AtomicBool = AtomicBool::new(false);

/// For the torture's observer: the flip in progress, as a sequence with three phases per
/// flip. `FLIP_SEQ % 3 == 1`: its bytes are being published (a look then judges nothing);
/// `== 2`: it runs, and `FLIP_OLD`/`FLIP_NEW` hold its bytes (little-endian, in the low five
/// bytes); `== 0`: at rest, and `FLIP_NEW` is what the last flip wrote. The bytes change only
/// in the first phase, so a look that saw the same sequence before and after saw them whole.
static FLIP_SEQ: Atomic<u64> = Atomic::new(0);
static FLIP_OLD: Atomic<u64> = Atomic::new(0);
static FLIP_NEW: Atomic<u64> = Atomic::new(0);

/// The five site bytes packed as the observer reads them.
pub(crate) fn pack(bytes: &[u8; insn::SITE_LEN]) -> u64 {
    let mut word = [0u8; 8];
    word[..insn::SITE_LEN].copy_from_slice(bytes);
    u64::from_le_bytes(word)
}

/// The five site bytes of a packed word.
pub(crate) fn unpack(word: u64) -> [u8; insn::SITE_LEN] {
    let mut bytes = [0u8; insn::SITE_LEN];
    bytes.copy_from_slice(&word.to_le_bytes()[..insn::SITE_LEN]);
    bytes
}

/// One look at the site, for the torture's observer.
pub(crate) struct Look {
    /// A flip was in progress throughout the look.
    pub(crate) in_flip: bool,
    /// That flip's bytes; at rest, `new` is what the last flip wrote (what must stand).
    pub(crate) old: [u8; insn::SITE_LEN],
    pub(crate) new: [u8; insn::SITE_LEN],
    /// The site's bytes, in one snapshot.
    pub(crate) seen: [u8; insn::SITE_LEN],
}

/// Looks at the site; `None` when a flip began or ended during the look, or was being
/// published when it began (a seqlock reader).
pub(crate) fn observe() -> Option<Look> {
    let seq = FLIP_SEQ.load(Acquire);
    if seq % 3 == 1 {
        return None;
    }
    let (old, new) = if seq == 0 {
        (insn::NOP5, insn::NOP5)
    } else {
        (
            unpack(FLIP_OLD.load(Relaxed)),
            unpack(FLIP_NEW.load(Relaxed)),
        )
    };
    let seen = unpack(read_site_word());
    // The loads above before the second look at the sequence: the reader's smp_rmb(), a
    // compiler barrier on x86 (loads are not reordered with loads).
    core::sync::atomic::compiler_fence(Ordering::SeqCst);
    (FLIP_SEQ.load(Relaxed) == seq).then_some(Look {
        in_flip: seq % 3 == 2,
        old,
        new,
        seen,
    })
}

/// The eight bytes from the site on, in one load. The site starts its function, which is
/// 16-byte aligned (`traced.rs`, checked at load by `traced::check_layout`), so this is one
/// aligned 8-byte load, atomic on x86-64: the snapshot is of one moment, never a mix of two.
#[inline(always)]
fn read_site_word() -> u64 {
    // SAFETY: the site is 16-byte aligned module text, mapped for the module's lifetime, and
    // the function it starts is longer than 8 bytes; a volatile aligned load is one `mov`,
    // the kernel's READ_ONCE(), which may race with `text_poke()` (it sees one moment).
    unsafe { core::ptr::read_volatile(traced::site() as *const u64) }
}

/// Where the module engine's flips spend their time: in syncs, and in writes (every
/// `text_poke()`), in nanoseconds (instructions under `-icount shift=0`).
pub(crate) static SYNC_NS: stats::Counter = stats::Counter::new();
pub(crate) static WRITE_NS: stats::Counter = stats::Counter::new();

/// How long the module engine's int3 stood in the site (from the first sync to the write of
/// byte 0), in nanoseconds: what `window_us` asked for, measured.
pub(crate) static WINDOW_NS_SUM: stats::Counter = stats::Counter::new();
pub(crate) static WINDOW_NS_MAX: Atomic<u64> = Atomic::new(0);
pub(crate) static WINDOWS: stats::Counter = stats::Counter::new();

/// `text_mutex`, held for as long as this guard lives: the kernel crate's guard for the
/// kernel's own mutex.
///
/// # Invariants
///
/// The guard holds the kernel's `text_mutex` (the only constructor, [`TextMutexGuard::lock`],
/// takes it from [`KernelSyms`]), so a `&TextMutexGuard` proves it held.
struct TextMutexGuard {
    _held: MutexGuard<'static, ()>,
}

impl TextMutexGuard {
    /// Takes `text_mutex`; may sleep. Callers are in process context: a debugfs write, module
    /// exit or our kthread.
    fn lock(syms: &KernelSyms) -> Self {
        // INVARIANT: `KernelSyms::text_mutex` is the kernel's `text_mutex` (its invariant).
        Self {
            _held: syms.text_mutex().lock(),
        }
    }
}

/// Writes `bytes` at `addr` in our own text.
fn poke(_guard: &TextMutexGuard, addr: usize, bytes: &[u8]) {
    // SAFETY: `addr..addr + bytes.len()` lies in the traced function's site, module text that
    // lives as long as the module; `text_mutex` is held (the guard proves it).
    unsafe { kcall::text_poke(addr, bytes) };
}

/// The int3 protocol, in Rust: runs `steps` (`protocol.rs`, the table the spin model checks)
/// over the entries `batch` at once (each step on every site of the batch, then one sync for
/// all), each site rewritten to `insn`, with our die notifier emulating hits as a call to
/// `stub` while the window is open. `hold` runs after each sync but the last.
fn module_engine(
    guard: &TextMutexGuard,
    batch: Range<usize>,
    insn: Insn,
    stub: usize,
    steps: &[Step],
    mut hold: impl FnMut(),
) -> Result {
    let layout = traced::layout();
    // Every site's bytes encode (a call reaches its target) before anything is written.
    for e in batch.clone() {
        insn::encode(layout.site_of(e), insn).ok_or(ERANGE)?;
    }
    let skipped = skipped_entry(&batch);
    // Each site of the batch with its new bytes, but the one `busted=skip_site` leaves out;
    // computed again for each pass, which allocates nothing.
    let written = batch
        .clone()
        .filter(move |&e| Some(e) != skipped)
        .filter_map(move |e| {
            let site = layout.site_of(e);
            insn::encode(site, insn).map(|new| (site, new))
        });
    WINDOW_TARGET.store(stub, Ordering::Relaxed);
    WINDOW_LO.store(batch.start, Ordering::Relaxed);
    WINDOW_HI.store(batch.end, Ordering::Release);
    // One clock read per step: the end of a step is the start of the next (but after a hold).
    let mut mark = Instant::<Monotonic>::now();
    let mut opened = None;
    let mut ns = 0;
    for (i, step) in steps.iter().enumerate() {
        match step {
            Step::PlantInt3 => written
                .clone()
                .for_each(|(site, _)| poke(guard, site, &[insn::INT3])),
            Step::Sync => {
                crate::sys::smp::sync_each_cpu();
                stats::SYNCS.inc();
            }
            Step::WriteTail => written
                .clone()
                .for_each(|(site, new)| poke(guard, site + 1, &new[1..])),
            Step::WriteByte0 | Step::WriteAll => {
                let len = if *step == Step::WriteAll {
                    insn::SITE_LEN
                } else {
                    1
                };
                written
                    .clone()
                    .for_each(|(site, new)| poke(guard, site, &new[..len]));
            }
        }
        let now = Instant::<Monotonic>::now();
        let spent = u64::try_from((now - mark).as_nanos()).unwrap_or(0);
        match step {
            Step::Sync => SYNC_NS.add(spent),
            _ => WRITE_NS.add(spent),
        }
        match step {
            Step::PlantInt3 => opened = Some(now),
            Step::WriteByte0 | Step::WriteAll => {
                if let Some(t) = opened.take() {
                    ns = u64::try_from((now - t).as_nanos()).unwrap_or(0);
                }
            }
            Step::Sync | Step::WriteTail => {}
        }
        mark = now;
        if protocol::holds_after(steps, i) {
            hold();
            mark = Instant::<Monotonic>::now();
        }
    }
    WINDOW_HI.store(0, Ordering::Release);
    WINDOW_NS_SUM.add(ns);
    WINDOWS.inc();
    // Only flips, which `text_mutex` serialises, write the maximum.
    if ns > WINDOW_NS_MAX.load(Relaxed) {
        WINDOW_NS_MAX.store(ns, Relaxed);
    }
    Ok(())
}

/// `busted=skip_site`: the entry of `batch` a flip leaves unwritten (its middle one), if the
/// batch has two or more.
fn skipped_entry(batch: &Range<usize>) -> Option<usize> {
    (injected::busted(Busted::SkipSite) && batch.len() >= 2).then(|| batch.start + batch.len() / 2)
}

/// Zeroes the window measurements (with the other counters).
pub(crate) fn reset_window_stats() {
    WINDOW_NS_SUM.reset();
    WINDOWS.reset();
    WINDOW_NS_MAX.store(0, Relaxed);
}

/// The mean and the longest measured window since the last reset, in nanoseconds.
pub(crate) fn window_stats() -> (u64, u64) {
    let n = WINDOWS.get();
    (
        if n == 0 { 0 } else { WINDOW_NS_SUM.get() / n },
        WINDOW_NS_MAX.load(Relaxed),
    )
}

/// What the entries of a flip must hold before it writes.
#[derive(Clone, Copy)]
pub(crate) enum Expect {
    /// The bytes of this state: the state the control says they are in.
    State(SiteState),
    /// Any instruction of ours (a NOP, or a call to one of our callees): restoring the
    /// sites to rest after a run that may have left some behind (`busted=skip_site`).
    Ours,
}

/// Refuses to write unless every entry of `entries` holds what `expect` says: something else
/// (another patcher, a stray write, a skipped site) changed it, and overwriting would destroy
/// its instruction. The whole flip is refused, and nothing written. ftrace does the same
/// before every patch (`ftrace_verify_code`). Runs with `text_mutex` held.
fn verify(_guard: &TextMutexGuard, entries: Range<usize>, expect: Expect) -> Result {
    let layout = traced::layout();
    for e in entries {
        let site = layout.site_of(e);
        let found = read_entry(e);
        let ok = match expect {
            Expect::State(state) => {
                let want = insn::encode(site, insn_of(state)).ok_or(ERANGE)?;
                if found != want {
                    pr_err!(
                        "flip refused: site {} holds {:02x?}, expected {:02x?}; nothing written\n",
                        e,
                        found,
                        want
                    );
                }
                found == want
            }
            Expect::Ours => {
                let ours = match insn::decode(site, &found) {
                    Some(Insn::Nop) => true,
                    Some(Insn::Call(to)) => traced::is_callee(to),
                    None => false,
                };
                if !ours {
                    pr_err!(
                        "flip refused: site {} holds {:02x?}, no instruction of ours; nothing written\n",
                        e,
                        found
                    );
                }
                ours
            }
        };
        if !ok {
            stats::VERIFY_REFUSED.inc();
            return Err(EBUSY);
        }
    }
    Ok(())
}

/// Marks `entries` as being flipped by us until dropped.
struct Flipping;

impl Flipping {
    fn begin(entries: Range<usize>) -> Self {
        FLIP_LO.store(entries.start, Ordering::Relaxed);
        FLIP_HI.store(entries.end, Ordering::Release);
        Flipping
    }
}

impl Drop for Flipping {
    fn drop(&mut self) {
        FLIP_HI.store(0, Ordering::Release);
    }
}

/// Marks the site ftrace owns as being flipped by us until dropped.
struct FlippingFtrace;

impl FlippingFtrace {
    fn begin() -> Self {
        FLIPPING_FTRACE.store(true, Ordering::Release);
        FlippingFtrace
    }
}

impl Drop for FlippingFtrace {
    fn drop(&mut self) {
        FLIPPING_FTRACE.store(false, Ordering::Release);
    }
}

/// Publishes a flip to the observer until dropped (after the flip's last write and sync).
struct Published;

impl Published {
    fn begin(old: &[u8; insn::SITE_LEN], new: &[u8; insn::SITE_LEN]) -> Self {
        // Publishing (a seqlock writer): the bytes are stored only after a reader can see
        // that they are changing, and the flip runs only after they are stored. `Full`: the
        // stores after each step stay after it.
        FLIP_SEQ.fetch_add(1, Full);
        FLIP_OLD.store(pack(old), Relaxed);
        FLIP_NEW.store(pack(new), Relaxed);
        FLIP_SEQ.fetch_add(1, Full);
        Published
    }
}

impl Drop for Published {
    fn drop(&mut self) {
        // At rest, after the flip's last write and sync.
        FLIP_SEQ.fetch_add(1, Full);
    }
}

/// Keeps the int3 window open for a while, so that calling CPUs land in it.
fn hold_for(window: Delta) {
    if window.as_micros_ceil() > 0 {
        fsleep(window);
    }
}

/// The instruction a site in `state` holds.
pub(crate) fn insn_of(state: SiteState) -> Insn {
    traced::callee(state).map_or(Insn::Nop, Insn::Call)
}

/// Rewrites the sites of `entries` with the bytes they hold for `state`, on the module engine,
/// and runs `during` once while our int3s are in (after step 1): every call of one of them it
/// makes traps and is emulated as a call to where the site already goes.
pub(crate) fn hold_int3(
    syms: &KernelSyms,
    state: SiteState,
    entries: Range<usize>,
    during: impl FnOnce(),
) -> Result {
    let stub = traced::stub(policy::stub_index(Emulation::New, state.kind(), state));
    let guard = TextMutexGuard::lock(syms);
    verify(&guard, entries.clone(), Expect::State(state))?;
    let _flipping = Flipping::begin(entries.clone());
    let mut during = Some(during);
    module_engine(
        &guard,
        entries,
        insn_of(state),
        stub,
        protocol::INT3_PROTOCOL,
        || {
            if let Some(f) = during.take() {
                f()
            }
        },
    )?;
    stats::FLIPS_MODULE.inc();
    Ok(())
}

/// What a flip is asked to do.
pub(crate) struct Flip {
    /// What every entry holds before, as far as the control knows.
    pub(crate) old: SiteState,
    pub(crate) new: SiteState,
    /// What the entries must hold before the flip writes anything.
    pub(crate) expect: Expect,
    pub(crate) engine: Engine,
    pub(crate) emulation: Emulation,
    /// Module engine only: how long to hold each step open.
    pub(crate) window: Delta,
    /// Entries `0..sites` flip, `batch` at a time (`sites.rs`).
    pub(crate) sites: usize,
    pub(crate) batch: usize,
}

/// `busted=swap_emulation`: the emulation whose target a flip wrongly emulates.
fn swapped(emulation: Emulation) -> Emulation {
    match emulation {
        Emulation::New => Emulation::Old,
        Emulation::Old => Emulation::New,
        Emulation::Nop => Emulation::Nop,
    }
}

/// Rewrites entries `0..flip.sites` from `flip.old` to `flip.new`, live, a batch at a time
/// in ascending order. Every entry is verified before anything is written.
pub(crate) fn flip(syms: &KernelSyms, flip: &Flip) -> Result {
    let acts_as = if injected::busted(Busted::SwapEmulation) {
        policy::emulated(swapped(flip.emulation), flip.old, flip.new)
    } else {
        policy::emulated(flip.emulation, flip.old, flip.new)
    };
    let stub = traced::stub(policy::stub_index(flip.emulation, flip.new.kind(), acts_as));
    let site0 = traced::site();
    let guard = TextMutexGuard::lock(syms);
    verify(&guard, 0..flip.sites, flip.expect)?;
    let old0 = read_entry(0);
    let new0 = insn::encode(site0, insn_of(flip.new)).ok_or(ERANGE)?;
    let _flipping = Flipping::begin(0..flip.sites);
    let _published = Published::begin(&old0, &new0);
    match flip.engine {
        Engine::Kernel => {
            // Only while the probe is placed (more than one site): else nothing would count.
            let _counting = sync_probe::counting()
                .then(|| sync_probe::Counting::begin(crate::sys::smp::online_count()));
            for batch in sites::batches(flip.sites, flip.batch) {
                kernel_batch(&guard, batch, insn_of(flip.new), stub)?;
            }
            stats::FLIPS_KERNEL.inc();
        }
        Engine::Module => {
            let steps = protocol::steps(injected::current());
            for batch in sites::batches(flip.sites, flip.batch) {
                module_engine(&guard, batch, insn_of(flip.new), stub, steps, || {
                    hold_for(flip.window)
                })?;
            }
            stats::FLIPS_MODULE.inc();
        }
        Engine::StaticCall => {
            // The kernel takes `text_mutex` itself; what the site holds was verified above,
            // and no flip of ours can run before the kernel's (the control mutex). One site:
            // the key has one (`control.rs` refuses more).
            drop(guard);
            let func = traced::callee(flip.new).unwrap_or(0);
            let old = match insn::decode(site0, &old0) {
                Some(Insn::Call(to)) => to,
                _ => 0,
            };
            // SAFETY: the control mutex (held by our caller) serialises every use of the key.
            unsafe { static_call::key_names(old) };
            // SAFETY: `func` is 0 or one of our callees; process context, and neither
            // `text_mutex` (dropped above) nor any lock the update takes is held.
            unsafe { static_call::update(func) };
            stats::FLIPS_STATIC_CALL.inc();
        }
        Engine::Ftrace => {
            pr_err!("flip: the ftrace engine flips by registering ops, not by a state\n");
            return Err(EINVAL);
        }
    }
    Ok(())
}

/// The kernel engine's flip of the entries `batch`: one `smp_text_poke_batch_add()` per site,
/// in ascending address order, then `smp_text_poke_batch_finish()`; one site goes through
/// `smp_text_poke_single()`. The kernel's int3 handler emulates a hit as a call to `stub`
/// from the site hit (its entry's `emulate` bytes, found by binary search).
fn kernel_batch(_guard: &TextMutexGuard, batch: Range<usize>, insn: Insn, stub: usize) -> Result {
    let layout = traced::layout();
    if batch.len() == 1 {
        let site = layout.site_of(batch.start);
        let new = insn::encode(site, insn).ok_or(ERANGE)?;
        let emulate = insn::encode_call(site, stub).ok_or(ERANGE)?;
        // SAFETY: the site is our own module text; `text_mutex` is held; both buffers are
        // 5 valid bytes (the kernel copies them before returning), and `emulate` is a
        // `call` the kernel's int3 handler can emulate, relative to `site`.
        unsafe { kcall::smp_text_poke_single(site, &new, &emulate) };
        return Ok(());
    }
    let skipped = skipped_entry(&batch);
    let order: &mut dyn Iterator<Item = usize> = if injected::busted(Busted::OutOfOrder) {
        &mut batch.clone().rev()
    } else {
        &mut batch.clone()
    };
    for e in order.filter(|&e| Some(e) != skipped) {
        let site = layout.site_of(e);
        let new = insn::encode(site, insn).ok_or(ERANGE)?;
        let emulate = insn::encode_call(site, stub).ok_or(ERANGE)?;
        // SAFETY: as for `smp_text_poke_single` above; the batch is finished below, before
        // `text_mutex` is released.
        unsafe { kcall::smp_text_poke_batch_add(site, &new, &emulate) };
    }
    // SAFETY: `text_mutex` is held, as it was for every add above.
    unsafe { kcall::smp_text_poke_batch_finish() };
    Ok(())
}

/// A flip on the engine `ftrace`: registers (or unregisters) the op of callback `cb`, and
/// ftrace moves the site it owns. Published to the callers like any flip, and our die
/// notifier takes an int3 of it that the kernel's handler declined, as for the kernel engine.
pub(crate) fn ftrace_flip(cb: usize, register: bool) -> Result {
    let _flipping = FlippingFtrace::begin();
    let bytes = read_ftrace_site();
    let _published = Published::begin(&bytes, &bytes);
    if register {
        ftrace::register(cb)?;
    } else {
        ftrace::unregister(cb)?;
    }
    stats::FLIPS_FTRACE.inc();
    Ok(())
}

/// The five bytes of the site ftrace owns.
#[inline(always)]
pub(crate) fn read_ftrace_site() -> [u8; insn::SITE_LEN] {
    // SAFETY: 5 bytes of our own, always-mapped text; a racing flip only shows a mix.
    unsafe { core::ptr::read_volatile(traced::ftrace_site() as *const [u8; insn::SITE_LEN]) }
}

/// Whether the site ftrace owns holds what ftrace's policy gives `state`: a NOP; the one op's
/// own trampoline for `custom`; a call elsewhere (ftrace's list caller) for `iterator`.
pub(crate) fn ftrace_site_ok(state: SiteState) -> bool {
    let site = traced::ftrace_site();
    match (state, insn::decode(site, &read_ftrace_site())) {
        (SiteState::Nop, Some(Insn::Nop)) => true,
        (SiteState::Custom(cb), Some(Insn::Call(to))) => to == ftrace::trampoline(cb),
        (SiteState::Iterator, Some(Insn::Call(to))) => {
            (0..policy::CALLBACKS.len()).all(|cb| to != ftrace::trampoline(cb))
        }
        _ => false,
    }
}

/// The flip sequence (`FLIP_SEQ`): a caller that reads the same value before and after its
/// calls, at rest (`% 3 == 0`), made none of them while a flip was in progress.
pub(crate) fn flip_seq() -> u64 {
    FLIP_SEQ.load(Relaxed)
}

/// The five bytes entry `e`'s site holds now (`e < sites::SITES`).
#[inline(always)]
pub(crate) fn read_entry(e: usize) -> [u8; insn::SITE_LEN] {
    // SAFETY: the site is 5 bytes of our own, always-mapped text (`e` is an entry); a racing
    // flip can only make the copy show a mix of old, int3 and new bytes, which is what it is.
    unsafe { core::ptr::read_volatile(traced::layout().site_of(e) as *const [u8; insn::SITE_LEN]) }
}

/// How many of entries `0..sites` do not hold the bytes of `state`, and the first of them.
pub(crate) fn entries_not_in(state: SiteState, sites: usize) -> (usize, Option<usize>) {
    let layout = traced::layout();
    let mut bad = (0, None);
    for e in 0..sites {
        if insn::encode(layout.site_of(e), insn_of(state)) != Some(read_entry(e)) {
            bad.0 += 1;
            bad.1 = bad.1.or(Some(e));
        }
    }
    bad
}

/// Die-notifier hook for int3s on our sites (every entry, and the site ftrace owns). Runs in
/// int3 context: atomics only.
///
/// It claims a hit only when it is safe to: the int3 is gone (a complete instruction stands
/// there), or our module engine's window holds it (emulate the call the emulation picks), or
/// another of our flips owns it (run the site again; the flip removes its int3 within one
/// flip). Any other int3 belongs to someone else (a kprobe, kgdb): rewinding onto it would
/// trap forever, so it is left alone.
///
/// A gone int3 is not simply rewound: under TCG a CPU can keep running a stale translation
/// of the site that still holds the int3, and a rewind then traps again forever (seen: four
/// caller threads stuck for good). Emulating the complete instruction that stands there now
/// moves the CPU past the site, so every trap completes one call.
///
/// The entry is found with arithmetic (`sites::Layout::entry_of`): the cost does not grow
/// with the number of sites, or with the size of the batch.
#[inline(always)]
pub(crate) fn on_int3(frame: &mut impl CpuFrame, site: usize) -> bool {
    if site == traced::ftrace_site() {
        return on_ftrace_int3(frame, site);
    }
    let layout = traced::layout();
    let Some(e) = layout.entry_of(site) else {
        return false;
    };
    // SAFETY: `site` is our own mapped text; reading one byte has no side effect.
    let byte = unsafe { core::ptr::read_volatile(site as *const u8) };
    if byte != insn::INT3 {
        // The int3 was removed after this CPU hit it. Byte 0 is written last, so the tail is
        // complete; should a new flip have begun meanwhile, the mix decodes to one of our
        // trampolines (both are legitimate) or to nothing we know (then run the site again).
        // Byte 0 as read above, with the tail: no flip can write a tail while this CPU is
        // in the handler (each tail write waits for a sync), so this is one instruction.
        let mut bytes = read_entry(e);
        bytes[0] = byte;
        past_a_gone_int3(frame, site, &bytes, traced::is_callee);
        return true;
    }
    // Having seen our int3, see the window that was opened before it was written: the
    // kernel's smp_rmb() in smp_text_poke_int3_handler(). On x86 (TSO, loads are not
    // reordered with loads) that is a compiler barrier, which is all this emits; the C
    // helper behind kernel::sync::barrier::smp_rmb() would be a call out of .kprobes.text.
    core::sync::atomic::compiler_fence(Ordering::Acquire);
    let hi = WINDOW_HI.load(Ordering::Acquire);
    if e < hi && e >= WINDOW_LO.load(Ordering::Relaxed) {
        if injected::busted(Busted::Spin) {
            // The bug: run the site again (and trap again) until the int3 is gone.
            stats::REWINDS_FLIP.inc();
            emulate::int3_emulate_jmp(frame, site);
            return true;
        }
        stats::INT3_HITS.inc();
        let target = WINDOW_TARGET.load(Ordering::Relaxed);
        // The bug: the lookup lands on the neighbouring entry.
        let found = if injected::busted(Busted::Neighbour) {
            e ^ 1
        } else {
            e
        };
        // SAFETY: `frame` is the trap frame of a kernel-mode int3 on our 5-byte call site, so
        // the int3 entry left a gap below `sp` for the return address; `target` is our stub,
        // and `found` one of our entries (`SITES` is even).
        unsafe { emulate::int3_emulate_call_from(frame, layout.site_of(found), target) };
        return true;
    }
    rewind_if_flipping(frame, site, Some(e))
}

/// The last word of both handlers on an int3 that still stands at `site`: while one of our
/// flips (a kernel-engine flip, a static_call update, an ftrace op change) owns the site, it
/// is that flip's int3, which the kernel's handler declined (its bookkeeping was not yet, or
/// no longer, visible to this CPU) and which is gone when the flip ends: run the site again.
/// Any other belongs to someone else.
#[inline(always)]
fn rewind_if_flipping(frame: &mut impl CpuFrame, site: usize, entry: Option<usize>) -> bool {
    let ours = match entry {
        Some(e) => e < FLIP_HI.load(Ordering::Acquire) && e >= FLIP_LO.load(Ordering::Relaxed),
        None => FLIPPING_FTRACE.load(Ordering::Acquire),
    };
    if ours {
        stats::REWINDS_FLIP.inc();
        emulate::int3_emulate_jmp(frame, site);
        return true;
    }
    stats::INT3_FOREIGN.inc();
    false
}

/// Sends a CPU that trapped on an int3 already gone from `site` on, as the complete
/// instruction `bytes` now there says (`emulate::after_gone_int3`): past a NOP, into a call
/// whose target `known` accepts, or back to the site for anything else.
#[inline(always)]
fn past_a_gone_int3(
    frame: &mut impl CpuFrame,
    site: usize,
    bytes: &[u8; insn::SITE_LEN],
    known: impl Fn(usize) -> bool,
) {
    match emulate::after_gone_int3(site, insn::decode(site, bytes), known) {
        emulate::AfterGone::Past(ip) => {
            stats::STALE_INT3.inc();
            emulate::int3_emulate_jmp(frame, ip);
        }
        emulate::AfterGone::Call(target) => {
            stats::STALE_INT3.inc();
            // SAFETY: a kernel-mode int3 on a 5-byte call site of ours (the entry left the gap
            // below `sp`); `target` is a call `known` accepts at that site: one of our
            // trampolines, or the call ftrace completed at its own site.
            unsafe { emulate::int3_emulate_call(frame, target) };
        }
        emulate::AfterGone::Rewind(ip) => {
            stats::REWINDS_GONE.inc();
            emulate::int3_emulate_jmp(frame, ip);
        }
    }
}

/// An int3 on the site ftrace owns that the kernel's handler declined: ftrace writes that site
/// with the kernel's int3 protocol, so the handler saw the int3 gone or its batch not yet (or
/// no longer) visible. A gone int3 is emulated as the complete instruction that stands there
/// now (any `call`: ftrace's trampolines are not ours to list), as on our own site; an int3
/// still there during one of our ftrace flips is run again. Anything else is not ours.
#[inline(always)]
fn on_ftrace_int3(frame: &mut impl CpuFrame, site: usize) -> bool {
    // SAFETY: `site` is our own mapped text; reading one byte has no side effect.
    let byte = unsafe { core::ptr::read_volatile(site as *const u8) };
    if byte != insn::INT3 {
        let mut bytes = read_ftrace_site();
        bytes[0] = byte;
        // Any call: ftrace's trampolines are not ours to list.
        past_a_gone_int3(frame, site, &bytes, |_| true);
        return true;
    }
    rewind_if_flipping(frame, site, None)
}
