#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Twenty load/unload cycles, each with a passing self-test, leave the kernel log clean.
. "$(dirname "$0")/lib.sh"
setup
CYCLES=20
ktap_plan 3
ok=0
i=0
while [ $i -lt $CYCLES ]; do
	i=$((i + 1))
	load_mod || break
	[ "$(dbg_get selftest result)" = pass ] || break
	unload_mod || break
	ok=$((ok + 1))
done
ktap_check "$CYCLES load/self-test/unload cycles succeed ($ok done)" test $ok -eq $CYCLES
ktap_check "module is not left loaded" sh -c '! grep -q "^int3call " /proc/modules'
ktap_check_no_splat
ktap_finish
