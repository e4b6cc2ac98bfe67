#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Thousands of sites, flipped in batches: with `sites count=4096`, every flip rewrites the 4096
# traced sites, `batch` at a time, on the kernel engine (smp_text_poke_batch_add/finish) and
# on the module engine (one int3 pass, one tail pass, one byte-0 pass per batch). Each batch
# costs three syncs, counted on both engines; the kernel's own batch splits past 256 entries.
# Every site returns its own results, so a call that lands in another site shows. A flip with
# one site not holding its state is refused whole. Unload restores every site.
. "$(dirname "$0")/lib.sh"
setup
ENGINES="kernel module"
EMULATIONS="new old nop"
BAD_WRITES="
count=0
count=4097
batch=0
batch=x
sites=4
4096"
ktap_plan $(( $(count_lines "$BAD_WRITES") + $(count $ENGINES) * 8 + $(count $ENGINES) * $(count $EMULATIONS) + 8 ))
load_mod || die "insmod failed"
s() { dbg_get sites "$1"; }
t() { dbg_get torture "$1"; }
syncs() { dbg_get stats syncs; }

# refused VALUE: a bad write to sites gets EINVAL and a warning; nothing changes.
refused() {
	_before=$(cat "$DBG/sites")
	kmark
	dbg_refuses sites "$1" && klog | grep -q "int3call: sites: " &&
		test "$(cat "$DBG/sites")" = "$_before"
}
each_refused() { ktap_check "sites refuses '$1'" refused "$1"; }
each each_refused "$BAD_WRITES"

# holding STATE: every one of the 4096 sites holds the bytes of STATE.
holding() { test "$(s state) $(s holding) $(s first_not_holding)" = "$1 4096 none"; }
# flip_costs SYNCS CMD: the flip CMD (a callbacks write) made SYNCS syncs.
flip_costs() {
	_want=$1; shift
	_s0=$(syncs)
	dbg_write callbacks "$1" || return 1
	_got=$(( $(syncs) - _s0 ))
	ktap_diag "$1: $_got syncs"
	test "$_got" = "$_want"
}
# batched ENGINE: 64 sites in one batch take three syncs there and back. If not, the engine
# makes syncs per site, and the 4096-site points below would outlast the test's timeout: stop.
batched() {
	dbg_write engine "$1" && dbg_write sites "count=64 batch=64" || return 1
	flip_costs 3 +livepatch && flip_costs 3 -livepatch
}
for engine in $ENGINES; do
	if batched $engine; then
		ktap_ok "$engine: 64 sites in one batch: 3 syncs a flip"
	else
		ktap_fail "$engine: 64 sites in one batch: 3 syncs a flip"
		die "$engine does not batch: each site costs its own syncs"
	fi
	dbg_write engine $engine && dbg_write sites "count=4096 batch=256" || die "setup $engine"
	ktap_check "$engine: 4096 sites, 16 batches of 256: 48 syncs, every site patched" \
		eval 'flip_costs 48 +livepatch && holding custom'
	ktap_check "$engine: 8192 calls over every site run v2, none from another site" \
		eval 'calls_give 8192 0 8192 && test "$(dbg_get call wrong_site)" = 0'
	ktap_check "$engine: to the iterator, 48 syncs" eval 'flip_costs 48 +counter && holding iterator'
	dbg_write sites batch=4096
	# One batch of 4096: ours takes three syncs; the kernel's splits it every 256 entries.
	case $engine in kernel) want=48 ;; module) want=3 ;; esac
	ktap_check "$engine: one batch of 4096 sites: $want syncs" \
		eval "flip_costs $want -counter && holding custom"
	ktap_check "$engine: back to NOP, every site" eval 'dbg_write callbacks -livepatch && holding nop'
	ktap_check "$engine: the number of sites changes only at rest" \
		eval 'dbg_write callbacks +counter && dbg_refuses sites count=1 && dbg_write callbacks -counter'
	ktap_check "$engine: static_call flips one site, so it is refused with 4096" dbg_refuses engine static_call
	dbg_write sites "count=1 batch=256"
done

# torture over 4096 sites: every emulation passes, every call from the site called, three
# syncs a batch.
tortured() {
	dbg_write torture "threads=4 flips=4 engine=$1 emulate=$2 sites=4096 batch=256"
	ktap_diag "$1/$2: verdict $(t verdict), broken $(t broken), calls $(t calls), missed $(t missed), worst $(t worst_site), syncs $(t syncs) for $(t batches) batches"
	test "$(t verdict) $(t sites) $(t wrong_site) $(t unwritten)" = "pass 4096 0 0" &&
		test "$(t syncs)" = $(( $(t batches) * 3 )) && test "$(t batches)" = 64
}
for engine in $ENGINES; do
	for emulation in $EMULATIONS; do
		ktap_check "$engine/$emulation: torture over 4096 sites passes" tortured $engine $emulation
	done
done
ktap_check "the nop emulation misses calls, and names its worst site" \
	eval 'case $(t worst_site) in [0-9]*" missed "[1-9]*) true ;; *) false ;; esac'

# A flip with one site not holding its state is refused whole: a foreign int3 on site 0.
insmod "$FOREIGN_KO" || die "insmod $FOREIGN_KO failed"
dbg_write engine module && dbg_write sites "count=4096 batch=256" || die "setup"
kmark
ktap_check "a flip of 4096 sites over a foreign int3 on site 0 is refused" dbg_refuses callbacks +livepatch
ktap_check "the refusal names site 0" eval "klog | grep -q 'flip refused: site 0 holds \\[cc'"
ktap_check "nothing was written: the 4095 others still hold the NOP" \
	eval 'test "$(s state) $(s holding) $(s first_not_holding)" = "nop 4095 0"'
rmmod int3call_foreign || die "rmmod int3call_foreign"
# The last site of the last batch: every site is verified, not only the first of each batch.
insmod "$FOREIGN_KO" target=int3call_site_4095 || die "insmod $FOREIGN_KO target=int3call_site_4095"
ktap_check "a foreign int3 on site 4095 refuses the flip too, and names it" \
	eval "dbg_refuses callbacks +livepatch && klog | grep -q 'flip refused: site 4095 holds \\[cc' &&
		test \"\$(s holding) \$(s first_not_holding)\" = '4095 4095'"
rmmod int3call_foreign || die "rmmod int3call_foreign"
ktap_check "with both gone, the 4096 sites flip" eval 'dbg_write callbacks +livepatch && holding custom'
kmark
ktap_check "unload with 4096 sites patched restores every one" \
	eval "unload_mod && klog | grep -q 'unload: .*, 0 of 4096 sites not a NOP'"
ktap_check_no_splat
ktap_finish
