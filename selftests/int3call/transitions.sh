#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Every transition on both engines: nop -> custom -> iterator -> custom -> nop as callbacks
# come and go (ftrace's policy), then forced flips through `mode`. After each one the live
# site bytes match the state, the call results match the live patch, and the callback hit
# counts are exact.
. "$(dirname "$0")/lib.sh"
setup
N=200
ktap_plan 29
load_mod || die "insmod failed"
# hits CB: the hit count of callback CB.
hits() { dbg_get stats "cb_$1"; }
for engine in kernel module; do
	dbg_write engine $engine || die "engine $engine"
	dbg_write stats reset
	ktap_check "$engine: at rest the site is a NOP and calls run v1" sh -c ". ./lib.sh; site_is nop && calls_give $N $N 0"
	dbg_write callbacks +livepatch
	ktap_check "$engine: +livepatch -> custom trampoline, every call runs v2" \
		sh -c ". ./lib.sh; site_is custom && test \$(dbg_get mode callback) = livepatch && calls_give $N 0 $N"
	ktap_check "$engine: livepatch called once per call" test "$(hits livepatch)" -eq $N
	dbg_write callbacks +counter
	ktap_check "$engine: +counter -> iterator, every call runs v2" sh -c ". ./lib.sh; site_is iterator && calls_give $N 0 $N"
	ktap_check "$engine: iterator called both callbacks once per call" \
		test "$(hits livepatch) $(hits counter)" = "$((2 * N)) $N"
	dbg_write callbacks -counter
	ktap_check "$engine: -counter -> back to the custom trampoline" sh -c ". ./lib.sh; site_is custom && calls_give $N 0 $N"
	ktap_check "$engine: counter no longer called" test "$(hits livepatch) $(hits counter)" = "$((3 * N)) $N"
	dbg_write callbacks -livepatch
	ktap_check "$engine: -livepatch -> NOP, calls run v1 again" sh -c ". ./lib.sh; site_is nop && calls_give $N $N 0"
	ktap_check "$engine: flips counted (4)" test "$(dbg_get stats flips_$engine)" -eq 4
done
# Forced flips, on both engines, with only the counter registered: the result stays v1.
for engine in kernel module; do
	dbg_write engine $engine
	dbg_write callbacks +counter
	dbg_write stats reset
	ktap_check "$engine: mode iterator forces the iterator" sh -c ". ./lib.sh; dbg_write mode iterator && site_is iterator && calls_give $N $N 0 && test \$(dbg_get mode forced) = yes"
	ktap_check "$engine: mode nop forces a NOP: the counter is not called" sh -c ". ./lib.sh; dbg_write mode nop && site_is nop && calls_give $N $N 0 && test \$(dbg_get stats cb_counter) -eq $N"
	ktap_check "$engine: mode custom forces the counter's custom trampoline" sh -c ". ./lib.sh; dbg_write mode custom && site_is custom && test \$(dbg_get mode callback) = counter && calls_give $N $N 0 && test \$(dbg_get stats cb_counter) -eq $((2 * N))"
	ktap_check "$engine: mode auto returns to the policy" sh -c ". ./lib.sh; dbg_write mode auto && site_is custom && test \$(dbg_get mode forced) = no"
	dbg_write callbacks -counter
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
	taskset -c "$cpu" sh -c ". ./lib.sh; calls_give $N $N 0" || return 1
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
