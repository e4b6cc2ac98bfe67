#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Under fire: 4 caller threads call the traced function while the site flips between the
# custom and the iterator trampoline, on each engine with each emulation. With new/old no call
# is missed; with nop (the pre-2019 behaviour) calls are missed, exactly one per skipped hit.
# On ftrace and static_call the kernel's handler emulates the new instruction, so only `new`
# runs (old and nop are refused), no hit can be counted, and the run must show calls made
# while flips were in progress instead.
# Each emulation leaves its signature: the target its hits went to in each direction of a flip
# (to_custom, to_iterator), which the module's verdict checks ("broken: target").
# A run with no int3 hit proves nothing (the write fails with ENODATA): it is retried with a
# wider window, then failed.
. "$(dirname "$0")/lib.sh"
setup
ENGINES="kernel module ftrace static_call"
EMULATIONS="new old nop"
ktap_plan $(( $(count $ENGINES) * $(count $EMULATIONS) + 5 ))
load_mod || die "insmod failed"
t() { dbg_get torture "$1"; }

# torture ENGINE EMULATION: run until a run lands hits (window doubles each try, 3 tries); the
# status of the last write.
torture() {
	w=100 flips=$(torture_flips "$1")
	for try in 1 2 3; do
		[ "$1" = module ] || w=0
		dbg_write torture "threads=4 flips=$flips engine=$1 emulate=$2 window_us=$w" && return 0
		[ "$(t verdict)" = inconclusive ] || return 1
		ktap_diag "$1/$2: no int3 hit in try $try, widening the window"
		w=$((w * 4)) flips=$((flips * 2))
	done
	return 1
}
# passes ENGINE EMULATION: a run passes, its report is its own (its engine, emulation and
# scenario, read back), and it leaves its emulation's count: no miss with new or old, one miss per
# emulated hit with nop.
passes() {
	torture "$1" "$2"; _rc=$?
	ktap_diag "$1/$2: rc=$_rc calls=$(t calls) missed=$(t missed) flips=$(t flips); to_custom: $(t to_custom); to_iterator: $(t to_iterator)"
	test "$_rc $(t verdict) $(t broken) $(t busted) $(t scenario) $(t engine) $(t emulate)" = "0 pass none none livepatch $1 $2" || return 1
	kernel_emulates "$1" && {
		ktap_diag "$1/$2: calls_in_flip=$(t calls_in_flip) cb_counter=$(t cb_counter)"
		test "$(t missed) $(t emulated_new)" = "0 0" -a "$(t calls_in_flip)" -gt 0 &&
			dbg_get torture not_countable | grep -q "kernel's int3 handler"
		return
	}
	case $2 in
	nop) test "$(t missed)" -gt 0 -a "$(t missed)" = "$(t emulated_nop)" ;;
	*) test "$(t missed)" = 0 -a "$(t "emulated_$2")" -gt 0 ;;
	esac
}
# kernel_emulates ENGINE: the kernel's int3 handler, not our stubs, emulates on ENGINE.
kernel_emulates() { case $1 in ftrace | static_call) true ;; *) false ;; esac; }
# emulation_refused ENGINE EMULATION: where the kernel emulates, any emulation but new is
# refused (EINVAL) with a message, and no run starts.
emulation_refused() {
	kmark
	! dbg_write torture "threads=2 flips=10 engine=$1 emulate=$2" &&
		klog | grep -q "the kernel's int3 handler emulates the new instruction" &&
		test "$(t running)" = no
}
# A write that cannot start leaves a report of its own (verdict none), never the last run's.
start_refused() {
	kmark
	! dbg_write torture "engine=module emulate=old busted=spin flips=10" &&
		klog | grep -q "torture: needs the site at rest" &&
		test "$(t running) $(t verdict) $(t engine) $(t emulate) $(t busted) $(t flips)" = "no none module old spin 0"
}
# A failing run fails its write with EIO, whatever else ended it.
failing_run_fails() {
	! dbg_write torture "flips=10 busted=lp_flaky" && test "$(t verdict) $(t busted)" = "fail lp_flaky"
}

for engine in $ENGINES; do
	for emulation in $EMULATIONS; do
		if kernel_emulates $engine && [ $emulation != new ]; then
			ktap_check "$engine/$emulation: refused, the kernel emulates the new instruction" emulation_refused $engine $emulation
			continue
		fi
		case $engine/$emulation in
		*/nop) expect="missed = emulated_nop > 0" ;;
		ftrace/* | static_call/*) expect="0 missed, calls met the flips" ;;
		*) expect="0 missed" ;;
		esac
		ktap_check "$engine/$emulation: $expect, invariants hold" passes $engine $emulation
	done
done
# stop ends a long run early and cleanly.
( dbg_write torture "threads=2 flips=1000000 engine=module window_us=100" ) &
bg=$!
wait_for busy_is torture
dbg_write torture stop
wait $bg
ktap_check "stop ends a run early with its invariants intact" test "$(t stopped) $(t verdict)" = "yes stopped"
dbg_write callbacks +counter
ktap_check "a torture refused on a site not at rest leaves its own report (verdict none)" start_refused
dbg_write callbacks -counter
ktap_check "the site is at rest again: a run starts and passes" torture kernel new
ktap_check "a failing run fails the write (busted=lp_flaky)" failing_run_fails
ktap_check_no_splat
ktap_finish
