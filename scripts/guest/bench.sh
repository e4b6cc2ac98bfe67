#!/bin/sh
# The benchmark, run inside an icount guest (`make bench`): every row is timed REPS times and
# printed raw as "row NAME N NS" (N calls or flips took NS guest nanoseconds, which under
# -icount shift=0 are instructions). scripts/bench_report.py turns the rows into the table.
set -e
DBG=/sys/kernel/debug/int3call
REPS=${REPS:-5}
CALLS=${CALLS:-100000}
EMULATED=${EMULATED:-10000}
FLIPS=${FLIPS:-100}
# ftrace frees an op's trampoline after an RCU-tasks grace period on every unregister.
FTRACE_FLIPS=${FTRACE_FLIPS:-$((FLIPS / 10 + 1))}
# Many sites: the numbers of sites each engine flips (in batches of 256), and round trips per
# row (a flip of 4096 sites writes 12,288 times).
SITES_NS=${SITES_NS:-1 16 64 256 1024 4096}
SITE_FLIPS=${SITE_FLIPS:-$((FLIPS / 10 + 1))}
# w FILE VALUE: a control write; a refusal stops the run and says why (the module's warning).
w() {
	printf '%s\n' "$2" >"$DBG/$1" 2>/dev/null && return 0
	echo "bench: writing '$2' to $1 failed: $(dmesg | grep int3call | tail -1)"
	return 1
}
get() { sed -n "s/^$2: //p" "$DBG/$1"; }

# bench NAME WHAT COUNT: one timed run of our module, printed as a row.
bench() {
	w bench "$2 $3"
	echo "row $1 $(get bench n) $(get bench ns)"
}

# sites_flip ENGINE N: round trips of N sites to NOP and back, as rows per site: the whole flip,
# and on the module engine its syncs and its writes; and the syncs per flip.
sites_flip() {
	w bench "flips $SITE_FLIPS"
	flips=$(get bench n)
	echo "row sites_$1_$2 $((flips * $2)) $(get bench ns)"
	# The kernel's syncs are counted only while more than one site follows the state.
	syncs=$(get bench syncs)
	[ "$syncs" = "not counted" ] || echo "row syncs_$1_$2 $flips $syncs"
	if [ "$1" = module ]; then
		echo "row sites_module_$2_sync $((flips * $2)) $(get bench sync_ns)"
		echo "row sites_module_$2_write $((flips * $2)) $(get bench write_ns)"
	fi
}

# ftrace_ops NAME OPS REGS: one run of the kernel's ftrace-ops sample. It times its calls in
# its init and then refuses to load (EINVAL, by design), so the timing is read from dmesg.
ftrace_ops() {
	dmesg -c >/dev/null
	! insmod /ftrace-ops.ko nr_function_calls="$CALLS" nr_ops_relevant="$2" save_regs="$3" 2>/dev/null
	line=$(dmesg | grep -o "Attempted $CALLS calls to tracee_relevant.* in [0-9]*ns") ||
		{ echo "ftrace-ops printed no timing for $1"; dmesg | tail -5; exit 1; }
	ns=${line##* in }
	echo "row $1 $CALLS ${ns%ns}"
}

[ -f /ftrace-ops.ko ] || { echo "no /ftrace-ops.ko in the initramfs (CONFIG_SAMPLE_FTRACE_OPS=m)"; exit 1; }
clock=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)
case $clock in tsc*) ;; *) echo "clocksource is $clock, too coarse to time calls (boot with tsc=reliable under icount)"; exit 1 ;; esac
insmod /int3call.ko
echo "bench: $REPS reps; $CALLS calls per call row, $EMULATED emulated calls, $FLIPS round trips per flip row ($FTRACE_FLIPS on ftrace)"
echo "guest: $(grep -c ^processor /proc/cpuinfo) CPUs, clocksource $clock"
for rep in $(seq "$REPS"); do
	echo "rep $rep"
	bench plain plain "$CALLS"
	bench plain_direct plain_direct "$CALLS"
	bench ftrace_direct ftrace_direct "$CALLS"
	bench nop calls "$CALLS"
	# probe1 alone: our policy gives it a direct call; `mode` forces the other two paths.
	w callbacks +probe1
	[ "$(get mode state)" = direct ] || { echo "probe1 alone is not a direct call"; exit 1; }
	bench direct calls "$CALLS"
	w mode noregs
	bench noregs calls "$CALLS"
	w mode custom
	bench custom calls "$CALLS"
	bench emulated emulated "$EMULATED"
	for e in kernel module static_call; do
		w engine $e
		bench flip_$e flips "$FLIPS"
	done
	bench static_call_custom calls "$CALLS"
	# ftrace's own site: the engine changes only at rest.
	w callbacks -probe1; w engine ftrace; w callbacks +probe1
	bench ftrace_engine_1 calls "$CALLS"
	bench flip_ftrace flips "$FTRACE_FLIPS"
	w callbacks -probe1; w engine kernel; w callbacks +probe1; w mode custom
	w mode iterator
	bench iterator_1 calls "$CALLS"
	w callbacks +probe2
	bench iterator_2 calls "$CALLS"
	w callbacks +probe3; w callbacks +probe4
	bench iterator_4 calls "$CALLS"
	w callbacks +probe5; w callbacks +probe6; w callbacks +counter; w callbacks +livepatch
	bench iterator_8 calls "$CALLS"
	for cb in livepatch counter probe6 probe5 probe4 probe3 probe2 probe1; do w callbacks -$cb; done
	[ "$(get mode state)" = nop ] || { echo "site did not return to nop"; exit 1; }
	for e in kernel module; do
		w engine $e
		for n in $SITES_NS; do
			w sites "count=$n batch=256"; w callbacks +probe1; w mode custom
			sites_flip $e "$n"
			w callbacks -probe1
		done
	done
	# The handler's lookup among 1 and among 4095 table sites, all held at once.
	for n in 2 4096; do
		w sites "count=$n"; w callbacks +probe1; w mode custom
		# Net of the same sweeps with no int3: what the traps cost per call.
		w bench "emulated_sites $EMULATED"
		echo "row emulated_sites_$n $(get bench n) $(( $(get bench ns) - $(get bench base_ns) ))"
		w callbacks -probe1
	done
	w sites "count=1 batch=256"; w engine kernel
	ftrace_ops ftrace_0 0 N
	for n in 1 2 4 8; do
		ftrace_ops ftrace_${n}_regs $n Y
		ftrace_ops ftrace_${n}_noregs $n N
	done
done
rmmod int3call
