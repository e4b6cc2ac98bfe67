#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The module loads (its load-time self-test passes), shows up, reaches every non-exported
# kernel function by a direct call through a bound static call (never through a pointer,
# which IBT and kCFI would trap), and unloads cleanly.
. "$(dirname "$0")/lib.sh"
setup
ktap_plan 9
ktap_check "insmod succeeds" load_mod
ktap_check "module is listed in /proc/modules" is_loaded
ktap_check "load log reports the self-test passed" sh -c 'dmesg | grep -q "int3call: self-test passed"'
for fn in kallsyms_lookup_name text_poke smp_text_poke_single; do
	how=$(dbg_get stats "reach_$fn")
	ktap_diag "reach_$fn: $how"
	# The jmp read back from the trampoline goes where the symbol lookup said.
	ktap_check "$fn is reached by a direct call via a static call that jumps to it" \
		sh -c "echo '$how' | grep -q '^direct call via static call, bound to \(0xffffffff[0-9a-f]*\), jumps to \1\$'"
done
ktap_check "rmmod succeeds" unload_mod
ktap_check "debugfs directory is gone after unload" test ! -e "$DBG"
ktap_check_no_splat
ktap_finish
