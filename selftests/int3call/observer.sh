#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The scenarios without the live patch: the site flips NOP <-> a call to one callback, by one
# path (observer: the counter's custom trampoline; noregs: its no-regs trampoline; direct: a
# direct call to probe1), while 3 threads call it and a fourth snapshots its 5 bytes, checking each
# snapshot against the legal states of the flip in progress (old; int3 with the old, a mixed
# or the new tail; new). A NOP is then no miss, so the handler's gone-NOP path and the order
# of the writes are what is under test. Under TCG a CPU never fetches a torn instruction, but
# the bytes in memory still show each step: a byte 0 written before the tail is seen here.
# Each fast path runs with each emulation, and each emulation leaves its signature on it
# (to_noregs / to_direct), which the verdict checks ("broken: target").
. "$(dirname "$0")/lib.sh"
setup
# The runs, one a line: SCENARIO ENGINE EMULATION.
RUNS="
observer kernel new
observer module new
observer module old
observer kernel nop
noregs kernel new
noregs module old
noregs module nop
noregs static_call new
direct module new
direct kernel old
direct kernel nop
direct static_call new"
ktap_plan $(( $(count_lines "$RUNS") + 3 ))
load_mod || die "insmod failed"
t() { dbg_get torture "$1"; }

# observe SCENARIO ENGINE EMULATION: run until a run is judged (a run with no hit or no int3
# seen is inconclusive, ENODATA: retried with twice the flips, 3 tries); the write succeeds
# only on a pass.
observe() {
	w=0; [ "$2" = module ] && w=100
	flips=200; [ "$2" = static_call ] && flips=60
	for try in 1 2 3; do
		dbg_write torture "scenario=$1 threads=3 flips=$flips engine=$2 emulate=$3 window_us=$w" && return 0
		[ "$(t verdict)" = inconclusive ] || return 1
		ktap_diag "$1 $2/$3: inconclusive in try $try, doubling the flips"
		flips=$((flips * 2))
	done
	return 1
}
# observed_legal SCENARIO ENGINE EMULATION: the run passes, no snapshot was illegal, and the
# callback the scenario flips ran (the verdict also fails on any other callback that ran).
observed_legal() {
	observe "$1" "$2" "$3"; _rc=$?
	ktap_diag "$1 $2/$3: rc $_rc; snapshots $(t snapshots), in a flip $(t snapshots_in_flip), with the int3 $(t snapshots_int3), illegal $(t illegal): $(t first_illegal); broken: $(t broken)"
	to=$1; [ "$1" = observer ] && to=custom
	ktap_diag "$1 $2/$3: to_$to: $(t "to_$to"); to_nop: $(t to_nop); cb_counter $(t cb_counter), cb_probe1 $(t cb_probe1), cb_unregistered $(t cb_unregistered)"
	cb=cb_counter; [ "$1" = direct ] && cb=cb_probe1
	test "$_rc $(t verdict) $(t scenario) $(t engine) $(t emulate) $(t broken) $(t illegal) $(t v2)" = "0 pass $1 $2 $3 none 0 0" &&
		test "$(t $cb)" -gt 0 -a "$(t cb_unregistered)" = 0
}
check_observed() { ktap_check "$1 $2/$3: pass, every snapshot legal" observed_legal "$1" "$2" "$3"; }
saw_int3_and_rest() { test "$(t snapshots_int3)" -gt 0 -a "$(t snapshots)" -gt "$(t snapshots_in_flip)"; }
nop_again() { site_is nop && test "$(cat "$DBG/callbacks")" = '' && calls_give 100 100 0; }

each check_observed "$RUNS"
ktap_check "the observer saw the int3 in the window and the site at rest" saw_int3_and_rest
ktap_check "the site is a NOP again, with no callback" nop_again
ktap_check_no_splat
ktap_finish
