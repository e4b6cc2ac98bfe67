#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The verdict catches a broken mechanism: each known bug injected with busted=NAME (one run
# only, as locktorture's lock_busted) must end "fail", naming the invariant it breaks, and the
# write must fail with EIO. The next plain run must pass again: the bug never outlives its run.
# (torn and no_sync are not caught under TCG, which never tears a fetch: the spin model,
# make model, catches them.)
. "$(dirname "$0")/lib.sh"
setup
ktap_plan 14
load_mod || die "insmod failed"
t() { dbg_get torture "$1"; }
# busted NAME ENGINE INVARIANT: the run fails, and INVARIANT is among the broken ones.
busted() {
	w=0; [ "$2" = module ] && w=100
	! dbg_write torture "threads=4 flips=100 engine=$2 window_us=$w busted=$1" &&
		test "$(t verdict) $(t busted) $(t engine)" = "fail $1 $2" &&
		case " $(t broken) " in *" $3 "*) true ;; *) false ;; esac
}
for case in "swap_policy kernel target" "swap_policy module target" "iter_drop kernel missed" \
	"iter_drop module missed" "lp_flaky kernel livepatch" "lp_flaky module missed" "spin module rewinds"; do
	set -- $case
	if busted "$@"; then ok=ktap_ok; else ok=ktap_fail; fi
	$ok "busted=$1 on $2 fails, broken: $3 (verdict: $(t verdict), broken: $(t broken))"
done
logged() { klog_since "$_test_mark" | grep -q "$1"; }
ktap_check "the log names the injected variant" logged "busted variant 'spin' injected on purpose"
spin_refused_on_kernel() {
	kmark
	! printf 'engine=kernel busted=spin\n' >"$DBG/torture" && klog | grep -q 'busted variant breaks the module engine'
}
ktap_check "busted=spin on the kernel engine is refused (EINVAL)" spin_refused_on_kernel
ktap_check "busted=bogus is refused" sh -c "! printf 'busted=bogus\n' >$DBG/torture"
for e in kernel module; do
	w=0; [ $e = module ] && w=100
	dbg_write torture "threads=4 flips=100 engine=$e window_us=$w"
	ktap_check "$e: the next plain run passes, busted: none (broken: $(t broken))" \
		test "$(t verdict) $(t busted) $(t broken) $(t engine)" = "pass none none $e"
done
ktap_check "calls after the runs run v1 (no variant left on)" sh -c ". ./lib.sh; calls_give 100 100 0"
ktap_check_no_splat
ktap_finish
