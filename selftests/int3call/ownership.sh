#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Exact int3 ownership. A user-mode int3 is dropped first. No kprobe can be placed on the traced function, a trampoline, a stub
# or our int3 handler (they live in .kprobes.text). An int3 at our site that another patcher
# owns (test_modules/int3call_foreign.c) is left to it: every hit reaches its handler, none is
# rewound. Before the fix our notifier rewound such a hit and the CPU trapped on it forever.
# And a flip checks what it overwrites: with the foreign int3 in the site it is refused.
. "$(dirname "$0")/lib.sh"
setup
[ -f "$FOREIGN_KO" ] || die "test module $FOREIGN_KO not found"
ktap_plan 18
load_mod || die "insmod failed"
[ -f "$PROBE_KO" ] || die "test module $PROBE_KO not found"
# probe SYMBOL: place a kprobe on SYMBOL with register_kprobe() (test_modules/int3call_probe.c).
probe() { insmod "$PROBE_KO" sym="$1" 2>/dev/null && rmmod int3call_probe; }
no_probe() { ! probe "$1"; }
handler=$(grep '\[int3call\]$' /proc/kallsyms | awk '$3 ~ /on_die/ { print $3; exit }')
[ -n "$handler" ] || die "our die notifier's symbol is not in /proc/kallsyms"
# The method can succeed: a callback is an ordinary function of ours, and may be probed.
ktap_check "control: a kprobe on a callback (int3call_counter) is accepted" probe int3call_counter
BLACKLIST=/sys/kernel/debug/kprobes/blacklist
blacklisted() { grep -q "	$1 \\[int3call\\]\$" "$BLACKLIST"; }
# int3call_emul_p0_k2_t8: the stub a `new` hit on a flip to the iterator is sent to.
for sym in int3call_traced int3call_tramp_iterator int3call_emul_p0_k2_t8 "$handler"; do
	short=$(echo "$sym" | cut -c1-48)
	ktap_check "$short is on the kprobe blacklist" blacklisted "$sym"
	ktap_check "a kprobe on $short is refused" no_probe "$sym"
done

# A user-mode int3 reaches our notifier too; it must be dropped before anything is counted.
before_n=$(dbg_get stats int3_notified)
"$(dirname "$0")/int3_user"
rc=$?
ktap_check "a user-mode int3 (the process died of SIGTRAP: exit $rc) is ignored before counting" \
	test $rc = 133 -a "$(dbg_get stats int3_notified)" = "$before_n"

calls=100
insmod "$FOREIGN_KO" || die "insmod $FOREIGN_KO failed"
dbg_write stats reset
ktap_check "with a foreign int3 in the site, $calls calls complete and run v1" calls_give $calls $calls 0
ktap_check "the foreign handler saw every hit" \
	test "$(cat /sys/module/int3call_foreign/parameters/hits)" = $calls
ktap_check "our notifier left every hit alone, rewound none" \
	test "$(dbg_get stats int3_foreign) $(dbg_get stats rewinds_gone) $(dbg_get stats rewinds_flip)" = "$calls 0 0"
kmark
before=$(snapshot)
ktap_check "a flip over the foreign int3 is refused" sh -c "! printf '+livepatch\n' >$DBG/callbacks 2>/dev/null"
refusal_logged() { klog | grep -q 'flip refused: the site holds \[cc, 1f, 44, 00, 00\], expected \[0f, 1f, 44, 00, 00\]'; }
ktap_check "the refusal names the bytes found and expected" refusal_logged
ktap_check "nothing changed: state, site and counters" \
	sh -c ". ./lib.sh; test \"\$(snapshot)\" = '$before' && test \$(dbg_get stats verify_refused) = 1 && test \"\$(dbg_get mode site)\" = 'cc 1f 44 00 00'"
rmmod int3call_foreign || die "rmmod int3call_foreign"
ktap_check "once the foreign int3 is gone, flips work again" \
	sh -c ". ./lib.sh; dbg_write callbacks +livepatch && site_is custom && calls_give 20 0 20"
ktap_check_no_splat
ktap_finish
