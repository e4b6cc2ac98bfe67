#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Every transition on every engine: nop -> custom -> iterator -> custom -> nop as callbacks
# come and go (ftrace's policy), then forced flips through `mode`. After each one the live
# site bytes match the state, the call results match the live patch, and the callback hit
# counts are exact. On ftrace the site is ftrace's: custom must be the live patch op's own
# trampoline (ftrace's one-op fast path), iterator a call elsewhere (its list caller), and
# `mode` refuses to force anything, since ftrace's policy picks the state. Then the fast
# paths our policy gives one callback: the counter its no-regs trampoline, a probe a direct
# call, the live patch only the custom (regs) trampoline.
. "$(dirname "$0")/lib.sh"
setup
ENGINES="kernel module ftrace static_call"
N=200
FAST_ENGINES="kernel module static_call"
# Per engine: 9 points as callbacks come and go, 4 as `mode` forces the site; then 5 more;
# then 5 per engine that flips our site, for the fast paths.
ktap_plan $(( $(count $ENGINES) * (9 + 4) + 5 + $(count $FAST_ENGINES) * 5 ))
load_mod || die "insmod failed"

# hits CB: the hit count of callback CB.
hits() { dbg_get stats "cb_$1"; }
# site_runs_v1 STATE, site_runs_v2 STATE: the site is in STATE, and N calls all run the
# original body (v1), or all run the live patch (v2).
site_runs_v1() { site_is "$1" && calls_give $N $N 0; }
site_runs_v2() { site_is "$1" && calls_give $N 0 $N; }
livepatch_in_custom() { site_is custom && test "$(dbg_get mode callback)" = livepatch && calls_give $N 0 $N; }

# Moving to or from ftrace changes the site under test: refused unless both are at rest, so
# that no site is left patched under an engine that no longer tracks it.
switch_waits_for_rest() {
	dbg_write engine kernel && dbg_write callbacks +livepatch || return 1
	kmark
	dbg_refuses engine ftrace && klog | grep -q "both must be at rest first" &&
		test "$(cat "$DBG/engine")" = kernel && site_is custom &&
		dbg_write callbacks -livepatch && dbg_write engine ftrace && dbg_write engine kernel
}
ktap_check "engine ftrace is refused while our site is patched, accepted at rest" switch_waits_for_rest

# Engines that share our site take it as another left it: static_call's key names what the
# site holds before each update, or the kernel, seeing the key already name the function it
# is given, would write nothing.
static_call_after_module() {
	dbg_write engine static_call && dbg_write callbacks +livepatch &&
		dbg_write engine module && dbg_write callbacks +counter &&
		dbg_write engine static_call && dbg_write callbacks -counter || return 1
	site_is custom && calls_give $N 0 $N && dbg_write callbacks -livepatch && site_is nop
}
ktap_check "static_call moves the site another engine left: iterator -> custom" static_call_after_module

for engine in $ENGINES; do
	dbg_write engine $engine || die "engine $engine"
	dbg_write stats reset
	ktap_check "$engine: at rest the site is a NOP and calls run v1" site_runs_v1 nop
	dbg_write callbacks +livepatch
	ktap_check "$engine: +livepatch -> custom trampoline, every call runs v2" livepatch_in_custom
	ktap_check "$engine: livepatch called once per call" test "$(hits livepatch)" -eq $N
	dbg_write callbacks +counter
	ktap_check "$engine: +counter -> iterator, every call runs v2" site_runs_v2 iterator
	ktap_check "$engine: iterator called both callbacks once per call" \
		test "$(hits livepatch) $(hits counter)" = "$((2 * N)) $N"
	dbg_write callbacks -counter
	ktap_check "$engine: -counter -> back to the custom trampoline" site_runs_v2 custom
	ktap_check "$engine: counter no longer called" test "$(hits livepatch) $(hits counter)" = "$((3 * N)) $N"
	dbg_write callbacks -livepatch
	ktap_check "$engine: -livepatch -> NOP, calls run v1 again" site_runs_v1 nop
	ktap_check "$engine: flips counted (4)" test "$(dbg_get stats flips_$engine)" -eq 4
done

# Forced flips, with only the counter registered: the result stays v1.
# forced STATE: `mode STATE` puts the site in STATE, and N calls run v1.
forced() { dbg_write mode "$1" && site_runs_v1 "$1"; }
forced_iterator() { forced iterator && test "$(dbg_get mode forced)" = yes; }
forced_nop() { forced nop && test "$(hits counter)" -eq $N; }
forced_custom() {
	forced custom && test "$(dbg_get mode callback)" = counter && test "$(hits counter)" -eq $((2 * N))
}
# Our policy gives the counter alone its no-regs trampoline; ftrace's, its op's own.
back_to_auto() {
	want=noregs; [ "$engine" = ftrace ] && want=custom
	dbg_write mode auto && site_is $want && test "$(dbg_get mode forced)" = no
}
# refused STATE: on ftrace, `mode STATE` is refused, saying why, and the site stays the
# counter's op.
refused() {
	kmark
	dbg_refuses mode "$1" && klog | grep -q "ftrace's policy picks the state" &&
		site_is custom && test "$(dbg_get mode forced)" = no && calls_give $N $N 0
}
for engine in $ENGINES; do
	dbg_write engine $engine
	dbg_write callbacks +counter
	dbg_write stats reset
	if [ $engine = ftrace ]; then
		for state in iterator nop custom; do
			ktap_check "$engine: mode $state is refused (ftrace's policy picks), the site unchanged" refused $state
		done
		ktap_check "$engine: mode auto is accepted" back_to_auto
	else
		ktap_check "$engine: mode iterator forces the iterator" forced_iterator
		ktap_check "$engine: mode nop forces a NOP: the counter is not called" forced_nop
		ktap_check "$engine: mode custom forces the counter's custom trampoline" forced_custom
		ktap_check "$engine: mode auto returns to the policy" back_to_auto
	fi
	dbg_write callbacks -counter
done

# The fast paths. `call` also fails (EIO) unless each call ran exactly the callbacks its
# state runs, once each: a path to the wrong callback fails every point that calls.
# alone CB STATE: CB alone puts the site in STATE, N calls run v1, and CB ran once per call.
alone() {
	dbg_write stats reset && dbg_write callbacks "+$1" || return 1
	site_is "$2" && test "$(dbg_get mode callback)" = "$1" && calls_give $N $N 0 &&
		test "$(hits "$1")" -eq $N
}
# forced_path STATE: `mode STATE` moves probe1's site there, and calls still run it.
forced_path() { dbg_write mode "$1" && site_is "$1" && calls_give $N $N 0; }
probe_paths() {
	forced_path custom && forced_path noregs && forced_path direct &&
		dbg_write mode auto && site_is direct && test "$(hits probe1)" -eq $((4 * N))
}
# refuses_path CB STATE: `mode STATE` is refused for CB alone, saying why, and the site stays.
refuses_path() {
	kmark
	dbg_refuses mode "$2" && klog | grep -q "$1 cannot take the $2 path" &&
		site_is "$3" && test "$(dbg_get mode forced)" = no
}
livepatch_keeps_its_regs() {
	dbg_write callbacks +livepatch && refuses_path livepatch noregs custom &&
		refuses_path livepatch direct custom && calls_give $N 0 $N
}
for engine in $FAST_ENGINES; do
	dbg_write engine $engine
	ktap_check "$engine: the counter alone -> its no-regs trampoline, once per call" alone counter noregs
	ktap_check "$engine: the counter refuses mode direct (it needs a trampoline)" \
		refuses_path counter direct noregs
	dbg_write callbacks -counter
	ktap_check "$engine: probe1 alone -> a direct call to it, once per call" alone probe1 direct
	ktap_check "$engine: probe1 takes mode custom, noregs, direct, and auto gives direct" probe_paths
	dbg_write callbacks -probe1
	ktap_check "$engine: the live patch refuses mode noregs and direct, and still applies" \
		livepatch_keeps_its_regs
	dbg_write callbacks -livepatch
done

# The live patch with a forced NOP: calls miss it, and the module says so.
dbg_write callbacks +livepatch
dbg_write mode nop
ktap_check "forced NOP with the live patch registered: v1 runs (the patch is bypassed)" calls_give $N $N 0
dbg_write mode auto
dbg_write callbacks -livepatch

# The counter counts on the CPU that made the call: pin the caller to the last online CPU, and
# exactly its slot grows by N (a count on the wrong CPU, or only in the sum, fails).
counts_on_the_calling_cpu() {
	cpu=$(($(nproc) - 1))
	dbg_write callbacks +counter || return 1
	before=$(dbg_get stats counter_per_cpu)
	on_cpu "$cpu" calls_give $N $N 0 || return 1
	after=$(dbg_get stats counter_per_cpu)
	dbg_write callbacks -counter
	echo "$before" "|" "$after" | awk -v cpu="$cpu" -v n="$N" '{
		half = (NF - 1) / 2
		for (i = 1; i <= half; i++) {
			want = $i + (i - 1 == cpu ? n : 0)
			if ($(half + 1 + i) != want) { print "# cpu " i - 1 ": " $i " -> " $(half + 1 + i) ", want " want; bad = 1 }
		}
		exit bad }'
}
ktap_check "the counter counts each call on the CPU that made it" counts_on_the_calling_cpu
ktap_check_no_splat
ktap_finish
