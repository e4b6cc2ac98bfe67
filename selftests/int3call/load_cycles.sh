#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Twenty load/unload cycles, each with a passing self-test, leave the kernel log clean.
. "$(dirname "$0")/lib.sh"
setup
CYCLES=20
ktap_plan 3

# cycles: load, check the self-test, unload, CYCLES times; stops at the first failure.
cycles() {
	ok=0
	while [ $ok -lt $CYCLES ]; do
		load_mod || break
		[ "$(dbg_get selftest result)" = pass ] || break
		unload_mod || break
		ok=$((ok + 1))
	done
	ktap_diag "$ok of $CYCLES cycles done"
	[ $ok -eq $CYCLES ]
}

ktap_check "$CYCLES load/self-test/unload cycles succeed" cycles
ktap_check "module is not left loaded" is_unloaded
ktap_check_no_splat
ktap_finish
