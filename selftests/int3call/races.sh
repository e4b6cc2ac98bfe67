#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The control races. `selftest` keeps its result across `echo reset > stats`. `reset` and
# `stop` act under the same mutex as a torture's start: a reset, and a self-test with its own
# int3, are refused while a run owns the site, and a stop written as soon as the run is visible
# is never lost. window_us means microseconds (high-resolution timers, not a 4 ms tick), and
# the window is measured.
. "$(dirname "$0")/lib.sh"
setup
STOPS=5
ktap_plan 9
load_mod || die "insmod failed"
t() { dbg_get torture "$1"; }

# stops_never_lost: STOPS runs, each stopped the moment it shows; every one ends stopped, early.
stops_never_lost() {
	_ok=0 _run=0
	while [ $_run -lt $STOPS ]; do
		_run=$((_run + 1))
		( dbg_write torture "threads=2 flips=1000000 engine=kernel" ) &
		_pid=$!
		wait_for busy_is torture && dbg_write torture stop
		wait_for busy_is no
		wait $_pid
		[ "$(t stopped) $(t verdict)" = "yes stopped" ] && _ok=$((_ok + 1))
	done
	ktap_diag "$_ok of $STOPS runs ended stopped"
	test $_ok = $STOPS
}
hrtimers_active() { grep -q '^  .resolution: 1 nsecs' /proc/timer_list; }

dbg_write stats reset
ktap_check "selftest still says pass after a stats reset" test "$(dbg_get selftest result)" = pass
ktap_check "$STOPS stops written as the run starts all end their run" stops_never_lost

( dbg_write torture "threads=2 flips=1000000 engine=kernel" ) &
pid=$!
wait_for busy_is torture
ktap_check "reset is refused while a run owns the counters" dbg_refuses stats reset
ktap_check "selftest run is refused while a run owns the site" dbg_refuses selftest run
dbg_write torture stop
wait_for busy_is no
wait $pid
ktap_check "the run still ended stopped, not fail" test "$(t verdict)" = stopped

# window_us means microseconds: the kernel keeps sleeps shorter than a tick only with
# high-resolution timers on (a 250 Hz tick otherwise: .resolution 4000000 nsecs), and the real
# window is measured. Under TCG it is long and noisy (IPIs are slow), so only its floor is judged.
ktap_check "high-resolution timers are active (hrtimer resolution 1 ns)" hrtimers_active
# The floor and the ceiling: a window_us=0 run measures what the syncs alone cost; holding
# 2 x 2000 us must add at least 4000 us to each flip's window, and not ten times that (a
# loaded host delays each wake-up by a few ms at most; a window held 20 times too long adds
# 76 ms).
dbg_write torture "threads=2 flips=20 engine=module window_us=0"
avg0=$(t window_real_us_avg)
dbg_write torture "threads=2 flips=20 engine=module window_us=2000"
avg=$(t window_real_us_avg)
ktap_diag "measured window: mean $avg us, max $(t window_real_us_max) us; with window_us=0: mean $avg0 us"
ktap_check "window_us=2000: the int3 stood at least 2 x 2000 us per flip" test "$avg" -ge 4000
ktap_check "window_us=2000: and at most 10 x 4000 us more than a window_us=0 run's" \
	test "$avg" -le $((avg0 + 40000))
ktap_check_no_splat
ktap_finish
