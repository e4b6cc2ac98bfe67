#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A signal ends every long write: the write stops within seconds (uninterrupted, each runs
# for minutes under TCG), says so in the log, and leaves the state consistent and usable. No
# long write holds the control mutex to its end.
. "$(dirname "$0")/lib.sh"
setup
ktap_plan 6
load_mod || die "insmod failed"

# interrupted FILE VALUE BUSY LOGLINE [STATE]: start the write, wait until it owns the site, send
# SIGTERM; it must end, log LOGLINE, and leave the state as it was (the site in STATE,
# default custom).
interrupted() {
	kmark
	( dbg_write "$1" "$2" ) &
	_pid=$!
	wait_for busy_is "$3" || { ktap_diag "$1 never started"; kill -TERM $_pid; return 1; }
	kill -TERM $_pid
	wait_for busy_is no || { ktap_diag "$1 still running after the signal"; return 1; }
	wait $_pid
	klog | grep -q "$4" || { ktap_diag "no '$4' in the log"; return 1; }
	test "$(snapshot)" = "$before" && site_is "${5:-custom}"
}
report_says_stopped() {
	ktap_diag "the interrupted run made $(dbg_get torture flips) flips"
	test "$(dbg_get torture verdict) $(dbg_get torture stopped) $(dbg_get torture interrupted)" = "stopped yes yes"
}
still_works() { dbg_write callbacks +livepatch && calls_give 50 0 50; }

dbg_write callbacks +livepatch || die "+livepatch"
before=$(snapshot)
ktap_check "a signal ends 'call 100000000'" interrupted call 100000000 call "call: interrupted by a signal"
ktap_check "a signal ends 'bench calls 100000000'" interrupted bench "calls 100000000" bench "bench: interrupted by a signal"
dbg_write callbacks -livepatch || die "-livepatch"
before=$(snapshot)
ktap_check "a signal ends a torture of 10^7 flips" \
	interrupted torture "threads=2 flips=10000000 engine=module window_us=100" torture "torture: interrupted by a signal" nop
ktap_check "the interrupted run's report says stopped, not fail" report_says_stopped
ktap_check "the state still works after all that" still_works
ktap_check_no_splat
ktap_finish
