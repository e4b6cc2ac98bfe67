#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Exact int3 ownership. A user-mode int3 is dropped first. No kprobe can be placed on the
# traced function, a trampoline, a stub or our int3 handler (they live in .kprobes.text). An
# int3 at our site that another patcher owns (test_modules/int3call_foreign.c) is left to it:
# every hit reaches its handler, none is rewound (a rewound hit would trap on the same int3
# forever). And a flip checks what it overwrites: with the foreign int3 in the site it is
# refused.
. "$(dirname "$0")/lib.sh"
setup
[ -f "$FOREIGN_KO" ] || die "test module $FOREIGN_KO not found"
# The symbols no kprobe may be placed on, besides our die notifier. int3call_emul_p0_k2_t8:
# the stub a `new` hit on a flip to the iterator is sent to.
UNPROBEABLE="int3call_traced int3call_tramp_iterator int3call_emul_p0_k2_t8"
# Two points per symbol and for the notifier; 10 more.
ktap_plan $(( 2 * ($(count $UNPROBEABLE) + 1) + 10 ))
load_mod || die "insmod failed"
[ -f "$PROBE_KO" ] || die "test module $PROBE_KO not found"
handler=$(grep '\[int3call\]$' /proc/kallsyms | awk '$3 ~ /on_die/ { print $3; exit }')
[ -n "$handler" ] || die "our die notifier's symbol is not in /proc/kallsyms"
CALLS=100

# probe SYMBOL: place a kprobe on SYMBOL with register_kprobe() (test_modules/int3call_probe.c).
probe() { insmod "$PROBE_KO" sym="$1" 2>/dev/null && rmmod int3call_probe; }
no_probe() { ! probe "$1"; }
BLACKLIST=/sys/kernel/debug/kprobes/blacklist
blacklisted() { grep -q "	$1 \\[int3call\\]\$" "$BLACKLIST"; }
# check_unprobeable NAME SYMBOL: SYMBOL is on the kprobe blacklist, and a kprobe on it is refused.
check_unprobeable() {
	ktap_check "$1 is on the kprobe blacklist" blacklisted "$2"
	ktap_check "a kprobe on $1 is refused" no_probe "$2"
}

# A user-mode int3 reaches our notifier too; it must be dropped before anything is counted.
user_int3_ignored() {
	_notified=$(dbg_get stats int3_notified)
	"$(dirname "$0")/int3_user"
	_rc=$?
	ktap_diag "int3_user exited $_rc (a death by SIGTRAP is 133)"
	test $_rc = 133 -a "$(dbg_get stats int3_notified)" = "$_notified"
}

foreign_saw_every_hit() { test "$(cat /sys/module/int3call_foreign/parameters/hits)" = $CALLS; }
none_rewound() {
	test "$(dbg_get stats int3_foreign) $(dbg_get stats rewinds_gone) $(dbg_get stats rewinds_flip)" = "$CALLS 0 0"
}
refusal_logged() { klog | grep -q 'flip refused: site 0 holds \[cc, 1f, 44, 00, 00\], expected \[0f, 1f, 44, 00, 00\]'; }
nothing_changed() {
	test "$(snapshot)" = "$before" && test "$(dbg_get stats verify_refused)" = 1 &&
		test "$(dbg_get mode site)" = 'cc 1f 44 00 00'
}
flips_work() { dbg_write callbacks +livepatch && site_is custom && calls_give 20 0 20; }

# The method can succeed: a callback is an ordinary function of ours, and may be probed.
ktap_check "control: a kprobe on a callback (int3call_counter) is accepted" probe int3call_counter
for sym in $UNPROBEABLE; do
	check_unprobeable "$sym" "$sym"
done
ktap_diag "our die notifier: $handler"
check_unprobeable "our die notifier" "$handler"

ktap_check "a user-mode int3 (the process dies of SIGTRAP) is ignored before counting" user_int3_ignored

insmod "$FOREIGN_KO" || die "insmod $FOREIGN_KO failed"
dbg_write stats reset
ktap_check "with a foreign int3 in the site, $CALLS calls complete and run v1" calls_give $CALLS $CALLS 0
ktap_check "the foreign handler saw every hit" foreign_saw_every_hit
ktap_check "our notifier left every hit alone, rewound none" none_rewound
kmark
before=$(snapshot)
ktap_check "a flip over the foreign int3 is refused" dbg_refuses callbacks +livepatch
ktap_check "the refusal names the bytes found and expected" refusal_logged
ktap_check "nothing changed: state, site and counters" nothing_changed
rmmod int3call_foreign || die "rmmod int3call_foreign"
ktap_check "once the foreign int3 is gone, flips work again" flips_work
ktap_check_no_splat
ktap_finish
