#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The module loads (its load-time self-test passes), shows up, reaches every non-exported
# kernel function by a direct call through a bound static call (never through a pointer,
# which IBT and kCFI would trap), and unloads cleanly.
. "$(dirname "$0")/lib.sh"
setup
# The non-exported kernel functions the module calls.
REACHED="kallsyms_lookup_name text_poke smp_text_poke_single"
ktap_plan $(( $(count $REACHED) + 6 ))

selftest_logged() { klog | grep -q "int3call: self-test passed"; }
# reach_ok FN: the jmp read back from FN's static-call trampoline goes to FN as /proc/kallsyms
# has it (kallsyms_lookup_name's kprobe address is after its ENDBR on an IBT kernel: +4).
reach_ok() {
	_to=$(dbg_get stats "reach_$1" | sed -n 's/^direct call via static call, bound to 0x[0-9a-f]*, jumps to 0x\([0-9a-f]*\)$/\1/p')
	_sym=$(awk -v n="$1" '$3 == n { print $1; exit }' /proc/kallsyms)
	ktap_diag "reach_$1: $(dbg_get stats "reach_$1"); /proc/kallsyms: $_sym"
	[ -n "$_to" ] && [ -n "$_sym" ] && [ $((0x$_sym)) -ne 0 ] || return 1
	[ $((0x$_to)) -eq $((0x$_sym)) ] || { [ "$1" = kallsyms_lookup_name ] && [ $((0x$_to)) -eq $((0x$_sym + 4)) ]; }
}

ktap_check "insmod succeeds" load_mod
ktap_check "module is listed in /proc/modules" is_loaded
ktap_check "load log reports the self-test passed" selftest_logged
for fn in $REACHED; do
	ktap_check "$fn is reached by a direct call via a static call that jumps to it" reach_ok "$fn"
done
ktap_check "rmmod succeeds" unload_mod
ktap_check "debugfs directory is gone after unload" test ! -e "$DBG"
ktap_check_no_splat
ktap_finish
