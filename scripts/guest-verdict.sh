#!/usr/bin/env bash
# Judge a guest run: print one line per test from the KTAP in out/MODE.out, check the console
# for crashes, and print "guest: N passed, N failed". Exit non-zero on any failure, a missing
# sentinel (hang, crash), a timeout, or a panic/Oops/WARN/BUG on the console.
# Usage: guest-verdict.sh MODE QEMU_EXIT_STATUS
set -uo pipefail
source "$(dirname "$0")/settings.sh"
mode=$1 qemu_rc=$2
out=$INT3CALL_OUT/$mode.out console=$INT3CALL_OUT/$mode.console
[ -f "$out" ] || : >"$out"
# Leaf results are the indented subtests; a top-level line counts only when it has none.
read -r passed failed < <(awk '
	/^[ \t]+(not )?ok [0-9]+/ { leaf++; if ($1 == "not") lf++; else lp++; next }
	/^(not )?ok [0-9]+/ {
		if (leaf == 0) { if ($1 == "not") f++; else p++ }
		else { p += lp; f += lf; if ($1 == "not" && lf == 0) f++ }
		leaf = lp = lf = 0
	}
	END { print p + 0, f + 0 }' "$out")
grep -E '^[ \t]*(not )?ok [0-9]+' "$out" | sed 's/^/  /'
problems=()
[ "$qemu_rc" = 124 ] && problems+=("guest timed out")
grep -q '^INT3CALL-GUEST-DONE' "$out" || problems+=("guest never finished (no sentinel)")
# The console keeps every kernel message, including the debug kernel's detectors' reports.
if splat=$(grep -m3 -E 'Kernel panic|Oops|BUG:|WARNING:|general protection|Call Trace|possible recursive locking|possible circular locking|inconsistent lock state|suspicious RCU usage|sleeping function called from invalid context|INFO: task .* blocked|soft lockup|ODEBUG:' "$console"); then
	problems+=("kernel splat on the console: $(echo "$splat" | head -1)")
fi
[ "$((passed + failed))" -gt 0 ] || problems+=("no test ran")
for p in "${problems[@]}"; do echo "  FAIL: $p"; done
[ ${#problems[@]} -eq 0 ] || { echo "  (console: $console)"; failed=$((failed + 1)); }
echo "guest: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
