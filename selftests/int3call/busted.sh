#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The verdict catches a broken mechanism: each known bug injected with busted=NAME (one run
# only, as locktorture's lock_busted) must end "fail", naming the invariant it breaks, and the
# write must fail with EIO. The next plain run must pass again: the bug never outlives its run.
# (torn and no_sync are not caught under TCG, which never tears a fetch: the spin model,
# make model, catches them.)
. "$(dirname "$0")/lib.sh"
setup
# The variants, one a line: VARIANT ENGINE INVARIANT [SITES], the invariant it breaks on that
# engine, with SITES sites flipped in one batch (1 unless given).
VARIANTS="
swap_emulation kernel target
swap_emulation module target
iter_drop kernel missed
iter_drop module missed
lp_flaky kernel livepatch
lp_flaky module missed
lp_flaky ftrace missed
lp_flaky static_call missed
iter_drop static_call missed
spin module rewinds
neighbour module site
skip_site module written 64
skip_site kernel written 64
out_of_order kernel syncs 64"
ENGINES="kernel module ftrace static_call"
ktap_plan $(( $(count_lines "$VARIANTS") + $(count $ENGINES) + 7 ))
load_mod || die "insmod failed"
t() { dbg_get torture "$1"; }
# window ENGINE: the window_us of the runs here (the module engine's int3 must stand a while).
window() { if [ "$1" = module ]; then echo 100; else echo 0; fi; }

# busted VARIANT ENGINE INVARIANT [SITES]: the run fails, and INVARIANT is among the broken ones.
busted() {
	# Ten flips of a batch are plenty: each writes every site of it.
	_flips=$(torture_flips "$2"); [ -z "$4" ] || _flips=10
	! dbg_write torture "threads=4 flips=$_flips engine=$2 window_us=$(window "$2") busted=$1 sites=${4:-1} batch=${4:-1}"
	_refused=$?
	ktap_diag "busted=$1 on $2: verdict: $(t verdict), broken: $(t broken)"
	[ $_refused = 0 ] &&
		test "$(t verdict) $(t busted) $(t engine)" = "fail $1 $2" &&
		case " $(t broken) " in *" $3 "*) true ;; *) false ;; esac
}
check_busted() { ktap_check "busted=$1 on $2${4:+ with $4 sites} fails, broken: $3" busted "$@"; }
logged() { klog_since "$_test_mark" | grep -q "$1"; }
# refused_on ENGINE VARIANT: a variant in code ENGINE does not run is refused (EINVAL).
refused_on() {
	kmark
	! printf 'engine=%s busted=%s\n' "$1" "$2" >"$DBG/torture" &&
		klog | grep -q 'busted variant breaks code this engine does not run'
}
# plain_run_passes ENGINE: a run without a variant passes, and says busted: none.
plain_run_passes() {
	dbg_write torture "threads=4 flips=$(torture_flips "$1") engine=$1 window_us=$(window "$1")"
	ktap_diag "$1: verdict: $(t verdict), broken: $(t broken)"
	test "$(t verdict) $(t busted) $(t broken) $(t engine)" = "pass none none $1"
}

each check_busted "$VARIANTS"
ktap_check "the log names the injected variant" logged "busted variant 'spin' injected on purpose"
ktap_check "busted=spin on the kernel engine is refused (EINVAL)" refused_on kernel spin
ktap_check "busted=iter_drop on ftrace (its list function is ftrace's) is refused" refused_on ftrace iter_drop
ktap_check "busted=swap_emulation on static_call (the kernel emulates) is refused" refused_on static_call swap_emulation
ktap_check "busted=bogus is refused" dbg_refuses torture busted=bogus
for engine in $ENGINES; do
	ktap_check "$engine: the next plain run passes, busted: none" plain_run_passes $engine
done
ktap_check "calls after the runs run v1 (no variant left on)" calls_give 100 100 0
ktap_check_no_splat
ktap_finish
