#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Under fire: 4 caller threads call the traced function while the site flips between the
# custom and the iterator trampoline, on each engine with each policy. With new/old no call
# is missed; with nop (the pre-2019 behaviour) calls are missed, exactly one per skipped hit.
# Each policy leaves its signature: the target its hits went to in each direction of a flip
# (to_custom, to_iterator), which the module's verdict checks ("broken: target").
# A run with no int3 hit proves nothing: it is retried with a wider window, then failed.
. "$(dirname "$0")/lib.sh"
setup
ktap_plan 8
load_mod || die "insmod failed"
t() { dbg_get torture "$1"; }
# torture ENGINE POLICY: run until a run lands hits (window doubles each try, 3 tries).
torture() {
	w=100 flips=100
	for try in 1 2 3; do
		[ "$1" = module ] || w=0
		dbg_write torture "threads=4 flips=$flips engine=$1 emulate=$2 window_us=$w" || return 1
		[ "$(t verdict)" = inconclusive ] || return 0
		ktap_diag "$1/$2: no int3 hit in try $try, widening the window"
		w=$((w * 4)) flips=$((flips * 2))
	done
}
for engine in kernel module; do
	for policy in new old nop; do
		torture $engine $policy
		summary="calls=$(t calls) missed=$(t missed) flips=$(t flips); to_custom: $(t to_custom); to_iterator: $(t to_iterator)"
		case $policy in
		nop) expect="missed = emulated_nop > 0"
		     check() { test "$(t verdict) $(t broken)" = "pass none" -a "$(t missed)" -gt 0 -a "$(t missed)" = "$(t emulated_nop)"; } ;;
		*) expect="0 missed"
		   check() { test "$(t verdict) $(t broken) $(t busted)" = "pass none none" -a "$(t missed)" = 0 -a "$(t "emulated_$policy")" -gt 0; } ;;
		esac
		ktap_check "$engine/$policy: $expect, invariants hold ($summary)" check
	done
done
# stop ends a long run early and cleanly.
( dbg_write torture "threads=2 flips=1000000 engine=module window_us=100" ) &
bg=$!
wait_for busy_is torture
dbg_write torture stop
wait $bg
ktap_check "stop ends a run early with its invariants intact" test "$(t stopped) $(t verdict)" = "yes stopped"
ktap_check_no_splat
ktap_finish
