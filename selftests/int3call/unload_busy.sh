#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Unload is safe in every state. Each debugfs file pins the module while it is open, so
# rmmod is refused (at once, never hanging) while a file is open or a long write runs on it;
# once the file is closed or the write is ended (by `stop` or a signal), rmmod succeeds and the
# kernel log stays clean. Before the fix: closing a file after rmmod oopsed the kernel, and
# rmmod during a torture hung (module engine) or made the run end `fail` (kernel engine).
# CYCLES (default 4) unload-under-torture cycles alternate the engine and the way the run is
# ended, with varied delays; `make soak` runs 100.
. "$(dirname "$0")/lib.sh"
setup
CYCLES=${CYCLES:-4}
ktap_plan 8
t() { dbg_get torture "$1"; }
# refused_then_unloaded: rmmod fails now, the module is still there.
refused() { ! rmmod int3call 2>/dev/null && is_loaded; }

load_mod || die "insmod failed"
exec 3<"$DBG/stats"
ktap_check "rmmod is refused while a file is open for reading" refused
exec 3<&-
exec 4>"$DBG/call"
ktap_check "rmmod is refused while a file is open for writing" refused
exec 4>&-
ktap_check "rmmod succeeds once every file is closed" unload_mod

# A long `call` and a long `bench`: refused while they run, ended by a signal, then unloaded.
for what in "call:100000000" "bench:calls 100000000"; do
	file=${what%%:*} value=${what#*:}
	load_mod || die "insmod failed"
	dbg_write callbacks +livepatch
	( dbg_write "$file" "$value" ) &
	pid=$!
	ok=1
	wait_for busy_is "$file" || ok=0
	refused || ok=0
	kill -TERM $pid
	wait_for busy_is no || ok=0
	wait $pid
	unload_mod || ok=0
	ktap_check "$file: rmmod refused while '$value' runs, unloads after a signal ends it" test $ok = 1
done

# Unload under a torture, CYCLES times.
fails=0 verdicts=
i=0
while [ $i -lt $CYCLES ]; do
	i=$((i + 1))
	engine=kernel; [ $((i % 2)) = 0 ] && engine=module
	delay=$(( (i * 7) % 5 ))  # 0..4 tenths of a second
	load_mod || { fails=$((fails + 1)); break; }
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
	verdicts="$verdicts $verdict"
	[ "$verdict" = stopped ] || { ktap_diag "cycle $i ($engine): verdict $verdict, missed $(t missed)"; ok=0; }
	unload_mod || { ktap_diag "cycle $i: rmmod failed after the run"; ok=0; }
	[ $ok = 1 ] || fails=$((fails + 1))
done
ktap_diag "verdicts:$verdicts"
ktap_check "$CYCLES unload-under-torture cycles: refused while running, ended stopped, unloaded ($fails bad)" \
	test $fails = 0 -a $i = $CYCLES
ktap_check "module is not left loaded" sh -c '! grep -q "^int3call " /proc/modules'
ktap_check_no_splat
ktap_finish
