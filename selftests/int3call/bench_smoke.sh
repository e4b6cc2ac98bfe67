#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A short run of everything `make bench` times, with no time threshold: each timed run must
# read back what it ran, and the counters must show the timed path really ran (every call
# hit its callbacks, every emulated call trapped, every flip happened). The ftrace-ops peer
# must run, call its ops, and report its timing.
. "$(dirname "$0")/lib.sh"
setup
ENGINES="kernel module ftrace static_call"
ktap_plan $(( $(count $ENGINES) + 16 ))
load_mod || die "insmod failed"
# timed WHAT COUNT N STATE: a bench write succeeds and reads back WHAT, N and STATE, and a
# time in ns above 0 (the guest's clocksource is the ACPI PM timer with high-resolution
# timers, races.sh checks it: a bench that timed nothing reads 0).
timed() {
	dbg_write bench "$1 $2" &&
		test "$(dbg_get bench what) $(dbg_get bench n) $(dbg_get bench state)" = "$1 $3 $4" &&
		test "$(dbg_get bench ns)" -gt 0
}
hits() { dbg_get stats "cb_$1"; }
stat() { dbg_get stats "$1"; }

flips_refused_at_nop() {
	kmark
	! dbg_write bench "flips 3" && klog | grep -q "bench: flips needs a callback" && site_is nop
}
# probe1_calls WHAT STATE: 1000 timed calls of WHAT with the site in STATE, each hit probe1.
probe1_calls() {
	p1=$(hits probe1)
	timed "$1" 1000 1000 "$2" && test "$(hits probe1)" -eq $((p1 + 1000))
}
custom_calls() { probe1_calls calls custom; }
path_calls() { dbg_write mode "$1" && probe1_calls calls "$1"; }
emulated_calls() {
	h=$(stat int3_hits) p1=$(hits probe1)
	timed emulated 100 100 custom && test "$(dbg_get bench engine)" = module &&
		test "$(stat int3_hits) $(hits probe1)" = "$((h + 100)) $((p1 + 100))" && site_is custom
}
# flips_on ENGINE: 3 round trips are 6 flips on that engine, and the site is back. (The site
# rests while the engine changes: ftrace's site is another one.)
flips_on() {
	dbg_write callbacks -probe1 && dbg_write engine "$1" && dbg_write callbacks +probe1 || return 1
	[ "$1" = ftrace ] || dbg_write mode custom || return 1
	f=$(stat "flips_$1")
	timed flips 3 6 custom && test "$(stat "flips_$1")" -eq $((f + 6)) && site_is custom
}
ftrace_calls() {
	dbg_write callbacks -probe1 && dbg_write engine ftrace && dbg_write callbacks +probe1 || return 1
	custom_calls && test "$(dbg_get bench engine)" = ftrace
}
# With our op on ftrace's site, a direct call there would take the site from it: refused, and
# nothing ran. Then back to static_call for the rest.
ftrace_direct_refused() {
	kmark
	p1=$(hits probe1)
	! dbg_write bench "ftrace_direct 1000" &&
		klog | grep -q "bench: ftrace_direct needs the site ftrace owns without our ops" &&
		test "$(hits probe1)" -eq "$p1" || return 1
	dbg_write callbacks -probe1 && dbg_write engine static_call && dbg_write callbacks +probe1 &&
		dbg_write mode custom
}
iterator_calls() {
	dbg_write mode iterator && dbg_write callbacks +probe2 || return 1
	p1=$(hits probe1) p2=$(hits probe2)
	timed calls 1000 1000 iterator && test "$(dbg_get bench callbacks)" = 2 &&
		test "$(hits probe1) $(hits probe2)" = "$((p1 + 1000)) $((p2 + 1000))"
}
# The bench checks every result's body: with the live patch in the iterator, all are v2.
livepatched_calls() {
	dbg_write callbacks +livepatch && timed calls 1000 1000 iterator && test "$(hits livepatch)" -ge 1000
}
ftrace_ops_peer() {
	[ -f "$FTRACE_OPS_KO" ] || return 1
	kmark
	! insmod "$FTRACE_OPS_KO" nr_function_calls=1000 nr_ops_relevant=2 save_regs=Y check_count=Y 2>/dev/null &&
		klog | grep -q "Attempted 1000 calls to tracee_relevant.* in [0-9]*ns" &&
		! klog | grep -q "Counter called"
}

ktap_check "plain: 1000 calls of the function without a site" timed plain 1000 1000 nop
ktap_check "calls: 1000 calls at NOP" timed calls 1000 1000 nop
ktap_check "flips at NOP are refused with a warning, the site unchanged" flips_refused_at_nop
ktap_check "plain_direct: 1000 calls behind a direct call, each hit probe1" probe1_calls plain_direct nop
ktap_check "ftrace_direct: 1000 calls through ftrace's direct call, each hit probe1" \
	probe1_calls ftrace_direct nop
dbg_write callbacks +probe1 || die "+probe1"
ktap_check "direct: 1000 calls through the site's direct call, each hit probe1" probe1_calls calls direct
ktap_check "noregs: 1000 calls through the no-regs trampoline, each hit probe1" path_calls noregs
dbg_write mode custom || die "mode custom"
ktap_check "custom: 1000 calls, each hit probe1" custom_calls
ktap_check "emulated: 100 calls, each trapped on our int3 and hit probe1" emulated_calls
for engine in $ENGINES; do
	ktap_check "flips on the $engine engine: 3 round trips = 6 flips" flips_on $engine
done
ktap_check "static_call: 1000 calls through the site it flipped, each hit probe1" custom_calls
ktap_check "ftrace: 1000 calls through our op on ftrace's site, each hit probe1" ftrace_calls
ktap_check "ftrace_direct with our op on ftrace's site: refused, nothing ran" ftrace_direct_refused
ktap_check "iterator, 2 callbacks: 1000 calls, each hit both" iterator_calls
ktap_check "iterator with the live patch: every timed call ran v2" livepatched_calls
if [ -f "$FTRACE_OPS_KO" ]; then
	ktap_check "ftrace-ops sample (2 ops, regs): ran, called its ops, printed its timing" ftrace_ops_peer
else
	ktap_skip "ftrace-ops sample" "no $FTRACE_OPS_KO (CONFIG_SAMPLE_FTRACE_OPS=m; INT3CALL_FTRACE_OPS_KO=path)"
fi
ktap_check_no_splat
ktap_finish
