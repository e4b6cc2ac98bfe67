#!/usr/bin/env bash
# Judge a guest run: print one line per test point from the KTAP in out/MODE.out, check the
# console for crashes, and print "guest: N passed, N failed, N skipped". Exit non-zero on
# any failure, on any skip (module, debugfs and root are always there in our guest, so a
# skip means the test did not run), on a test that printed fewer or more points than its
# plan, on a missing sentinel (hang, crash) or a non-zero runner exit, on a timeout, and on
# a panic/Oops/WARN/BUG or a detector's report on the console.
# Usage: guest-verdict.sh MODE QEMU_EXIT_STATUS [DIR]   (DIR: where MODE.out is; default out/)
set -uo pipefail
source "$(dirname "$0")/settings.sh"
mode=$1 qemu_rc=$2 dir=${3:-$INT3CALL_OUT}
out=$dir/$mode.out console=$dir/$mode.console
[ -f "$out" ] || : >"$out"
grep -E '^[ \t]*(not )?ok [0-9]+' "$out" | sed 's/^/  /'
# Where the guest's time went (the runner prints "# T took N s" after each test).
times=$(tr -d '\r' <"$out" | sed -n 's/^# \([^ ]*\) took \([0-9]*\) s$/\1 \2 s/p' | paste -sd, - | sed 's/,/, /g')
[ -z "$times" ] || echo "  times: $times"
# A test's points are its indented lines; its top-level line closes it. A top-level
# "not ok" without a failing point (timeout, crash) is one failure of its own.
summary=$(awk '
	function skipped(line) { return line ~ /#[ \t]*[Ss][Kk][Ii][Pp]/ }
	/^1\.\.[0-9]+/ && !tplan { tplan = substr($1, 4) + 0; next }
	/^[ \t]+1\.\.[0-9]+/ { plan = $1; sub(/^1\.\./, "", plan); plan += 0; planned = 1; next }
	/^[ \t]+(not )?ok [0-9]+/ {
		n++
		if (skipped($0)) ls++; else if ($1 == "not") lf++; else lp++
		next
	}
	/^(not )?ok [0-9]+/ {
		top++
		name = $0; sub(/^(not )?ok [0-9]+ (selftests: [^:]*: )?/, "", name); sub(/ #.*/, "", name)
		if (skipped($0) && n == 0) { s++; print "SKIPPED " name }
		else {
			p += lp; f += lf; s += ls
			if ($1 == "not" && lf == 0) f++
			if (!planned) { f++; print "PROBLEM " name ": no KTAP plan" }
			else if (n != plan) { f++; print "PROBLEM " name ": printed " n " of " plan " planned points" }
			if (ls) print "SKIPPED " ls " point(s) of " name
		}
		n = lp = lf = ls = planned = 0
	}
	END {
		if (tplan != top) { f++; print "PROBLEM the runner planned " tplan + 0 " tests and reported " top + 0 }
		print "SUMMARY", p + 0, f + 0, s + 0
	}' "$out")
read -r _ passed failed skips < <(echo "$summary" | grep '^SUMMARY')
problems=()
while read -r line; do problems+=("${line#PROBLEM }"); done < <(echo "$summary" | grep '^PROBLEM')
if [ "$skips" -gt 0 ]; then
	echo "$summary" | sed -n 's/^SKIPPED /  skipped: /p'
	problems+=("$skips skipped: every guest test must run here (module, debugfs and root are always there)")
fi
[ "$qemu_rc" = 124 ] && problems+=("guest timed out")
# The serial port ends lines with CR LF.
if ! sentinel=$(grep -m1 '^INT3CALL-GUEST-DONE' "$out" | tr -d '\r') || [ -z "$sentinel" ]; then
	problems+=("guest never finished (no sentinel)")
elif [ "$sentinel" != "INT3CALL-GUEST-DONE rc=0" ]; then
	problems+=("the guest's runner exited non-zero ($sentinel)")
fi
# The console keeps every kernel message since boot, including the debug kernel's detectors'
# reports. What counts as a report is the selftests' SPLAT_RE (selftests/int3call/lib.sh), read
# from there. A lockdep kernel's boot banner names lockdep and reports nothing.
splat_re=$(sed -n "s/^SPLAT_RE='\(.*\)'\$/\1/p" "$INT3CALL_TOP/selftests/int3call/lib.sh")
if [ -z "$splat_re" ]; then
	problems+=("no SPLAT_RE line in selftests/int3call/lib.sh: the console was not checked")
elif splat=$(grep -E "$splat_re" "$console" | grep -vF 'RCU lockdep checking is enabled.'); then
	problems+=("kernel splat on the console: $(echo "$splat" | head -1)")
fi
[ "$((passed + failed))" -gt 0 ] || problems+=("no test ran")
# INT3CALL_EXPECT_TESTS=N: how many tests the runner must have planned (a runner that reads
# fewer from the Makefile, or a Makefile that forgot one, would otherwise pass).
tplan=$(grep -m1 -E '^1\.\.[0-9]+' "$out" | tr -d '\r' | sed 's/^1\.\.//; s/ .*//')
if [ -n "${INT3CALL_EXPECT_TESTS:-}" ] && [ "${tplan:-0}" != "$INT3CALL_EXPECT_TESTS" ]; then
	problems+=("the runner planned ${tplan:-no} tests, not the $INT3CALL_EXPECT_TESTS expected")
fi
for p in "${problems[@]}"; do echo "  FAIL: $p"; done
[ ${#problems[@]} -eq 0 ] || { echo "  (console: $console)"; failed=$((failed + ${#problems[@]})); }
echo "guest: $passed passed, $failed failed, $skips skipped"
[ "$failed" -eq 0 ]
