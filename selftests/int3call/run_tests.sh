#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Minimal kselftest runner for the guest: runs TEST_PROGS from the Makefile with the timeout
# from `settings`, nests each test's KTAP, and reports ok / not ok / SKIP per test.
cd "$(dirname "$0")" || exit 1
tests=$(sed -n 's/^TEST_PROGS *:= *//p' Makefile)
timeout=$(sed -n 's/^timeout=//p' settings)
n=$(echo $tests | wc -w)
echo "TAP version 13"
echo "1..$n"
i=0 failed=0
for t in $tests; do
	i=$((i + 1))
	echo "# selftests: int3call: $t"
	{ timeout "${timeout:-300}" "./$t" 2>&1; echo $? >/tmp/ksft_rc; } | sed 's/^/    /'
	rc=$(cat /tmp/ksft_rc)
	case $rc in
	0) echo "ok $i selftests: int3call: $t" ;;
	4) echo "ok $i selftests: int3call: $t # SKIP" ;;
	124) echo "not ok $i selftests: int3call: $t # TIMEOUT ${timeout}s"; failed=$((failed + 1)) ;;
	*) echo "not ok $i selftests: int3call: $t # exit=$rc"; failed=$((failed + 1)) ;;
	esac
done
[ $failed -eq 0 ]
