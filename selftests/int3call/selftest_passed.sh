#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The load-time self-test passed: an int3 in module text was turned into a call by the Rust
# int3_emulate_call, the callee recorded its value, and the run returned. Re-running it from
# debugfs passes again and is counted by the die notifier.
. "$(dirname "$0")/lib.sh"
setup
ktap_plan 7
load_mod || die "insmod failed"

rerun_counted() {
	test "$(dbg_get stats selftest_hits)" -eq $((hits + 1)) -a "$(dbg_get selftest runs)" = "$(dbg_get selftest passes)"
}
reset_zeroes() { dbg_write stats reset && test "$(dbg_get stats selftest_hits)" -eq 0; }

ktap_check "self-test result is pass" test "$(dbg_get selftest result)" = pass
ktap_check "callee recorded the expected value" \
	test "$(dbg_get selftest last_value)" = "$(dbg_get selftest expected)"
hits=$(dbg_get stats selftest_hits)
ktap_check "die notifier handled the load-time int3" test "$hits" -ge 1
ktap_check "writing run re-runs the self-test" dbg_write selftest run
ktap_check "the re-run hit the site and passed" rerun_counted
ktap_check "stats reset zeroes the counters" reset_zeroes
ktap_check_no_splat
ktap_finish
