#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Unload is safe in every state. Each debugfs file pins the module while it is open, so
# rmmod is refused (at once, never hanging) while a file is open or a long write runs on it;
# once the file is closed or the write is ended (by `stop` or a signal), rmmod succeeds and the
# kernel log stays clean: no oops when a file is closed after the unload, no rmmod hanging
# under a torture or making its run end `fail`.
# CYCLES (default 4) unload-under-torture cycles go round the engines (so ftrace's ops and
# static_call's key are left mid-run too) and alternate the way the run is ended, with varied
# delays; `make soak` runs 100.
. "$(dirname "$0")/lib.sh"
setup
CYCLES=${CYCLES:-4}
ENGINES="kernel module ftrace static_call"
# The long writes that rmmod must wait for, one a line: FILE VALUE.
LONG_WRITES="
call 100000000
bench calls 100000000"
ktap_plan $(( $(count_lines "$LONG_WRITES") + 6 ))
t() { dbg_get torture "$1"; }
# refused: rmmod fails now, the module is still there.
refused() { ! rmmod int3call 2>/dev/null && is_loaded; }

# refused_while_running FILE VALUE: rmmod is refused while the write runs; a signal ends it,
# and then the module unloads.
refused_while_running() {
	load_mod || die "insmod failed"
	dbg_write callbacks +livepatch
	( dbg_write "$1" "$2" ) &
	_pid=$!
	_ok=1
	wait_for busy_is "$1" || _ok=0
	refused || _ok=0
	kill -TERM $_pid
	wait_for busy_is no || _ok=0
	wait $_pid
	unload_mod || _ok=0
	[ $_ok = 1 ]
}
check_refused_while_running() {
	_file=$1; shift
	ktap_check "$_file: rmmod refused while '$*' runs, unloads after a signal ends it" \
		refused_while_running "$_file" "$*"
}

# torture_cycles: CYCLES times, load, start a torture, try rmmod while it runs, end the run
# (stop or a signal), and unload. Every cycle must be refused while running, end `stopped`,
# and unload.
torture_cycles() {
	_bad=0 _verdicts=
	i=0
	while [ $i -lt $CYCLES ]; do
		i=$((i + 1))
		engine=$(echo $ENGINES | cut -d' ' -f$(( (i - 1) % $(count $ENGINES) + 1 )))
		delay=$(( (i * 7) % 5 ))  # 0..4 tenths of a second
		load_mod || { _bad=$((_bad + 1)); break; }
		( dbg_write torture "threads=4 flips=1000000 engine=$engine emulate=new window_us=5" ) &
		pid=$!
		ok=1
		wait_for busy_is torture || ok=0
		sleep "0.$delay"
		refused || { ktap_diag "cycle $i: rmmod was not refused during the run"; ok=0; }
		if [ $(( (i / 2) % 2 )) = 0 ]; then dbg_write torture stop; else kill -TERM $pid; fi
		wait_for busy_is no || ok=0
		wait $pid
		verdict=$(t verdict)
		_verdicts="$_verdicts $verdict"
		[ "$verdict" = stopped ] || { ktap_diag "cycle $i ($engine): verdict $verdict, missed $(t missed)"; ok=0; }
		unload_mod || { ktap_diag "cycle $i: rmmod failed after the run"; ok=0; }
		[ $ok = 1 ] || _bad=$((_bad + 1))
	done
	ktap_diag "verdicts:$_verdicts"
	ktap_diag "$CYCLES cycles, $_bad bad"
	test $_bad = 0 -a $i = $CYCLES
}

load_mod || die "insmod failed"
exec 3<"$DBG/stats"
ktap_check "rmmod is refused while a file is open for reading" refused
exec 3<&-
exec 4>"$DBG/call"
ktap_check "rmmod is refused while a file is open for writing" refused
exec 4>&-
ktap_check "rmmod succeeds once every file is closed" unload_mod
each check_refused_while_running "$LONG_WRITES"
ktap_check "unload-under-torture cycles: refused while running, ended stopped, unloaded" torture_cycles
ktap_check "module is not left loaded" is_unloaded
ktap_check_no_splat
ktap_finish
