#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Minimal kselftest runner for our busybox guest (a kernel tree uses run_kselftest.sh): runs
# TEST_PROGS from the Makefile with the timeout from `settings`, nests each test's KTAP, and
# reports ok / not ok / SKIP per test.
cd "$(dirname "$0")" || exit 1
# TEST_PROGS may span lines ending in a backslash.
tests=$(awk '/^TEST_PROGS[ \t]*:=/ { on = 1; sub(/^TEST_PROGS[ \t]*:=/, "") }
	on { more = sub(/\\[ \t]*$/, ""); printf "%s ", $0; if (!more) on = 0 }' Makefile)
# int3call_omit=a,b on the kernel command line (the debug kernel's, scripts/settings.sh) leaves
# a.sh and b.sh out of the plan.
# (The Makefile's lines start with tabs: the names are spaced out first.)
tests=" $(echo $tests) "
for o in $(echo "${int3call_omit:-}" | tr ',' ' '); do
	tests=$(echo "$tests" | sed "s| $o\.sh | |")
done
timeout=$(sed -n 's/^timeout=//p' settings)
n=$(echo $tests | wc -w)
[ "$n" -gt 0 ] || { echo "no TEST_PROGS in Makefile"; exit 1; }
echo "TAP version 13"
echo "1..$n"
i=0 failed=0
for t in $tests; do
	i=$((i + 1))
	echo "# selftests: int3call: $t"
	began=$(date +%s)
	{ timeout "${timeout:-300}" "./$t" 2>&1; echo $? >/tmp/ksft_rc; } | sed 's/^/    /'
	rc=$(cat /tmp/ksft_rc)
	case $rc in
	0) echo "ok $i selftests: int3call: $t" ;;
	4) echo "ok $i selftests: int3call: $t # SKIP" ;;
	124) echo "not ok $i selftests: int3call: $t # TIMEOUT ${timeout}s"; failed=$((failed + 1)) ;;
	*) echo "not ok $i selftests: int3call: $t # exit=$rc"; failed=$((failed + 1)) ;;
	esac
	echo "# $t took $(($(date +%s) - began)) s"
	# int3call_failfast=1 (make mutants): the first failed test is enough; the plan then
	# counts the tests not run as failures.
	if [ $failed -gt 0 ] && [ "${int3call_failfast:-}" = 1 ]; then
		echo "# int3call_failfast=1: stopping after $t"
		break
	fi
done
[ $failed -eq 0 ]
