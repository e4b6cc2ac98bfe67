#!/usr/bin/env bash
# Part of `make check`: boot the guest in mode kcfi (scripts/guest/kcfi.sh) and judge it.
# Passes only if the module loaded and passed its self-test, and the kernel then trapped
# LKDTM's mistyped indirect call ("CFI failure at"); a kernel that survives it, or that never
# got there, fails. Prints "ok: ..." or "FAIL: ..." lines, and ends "kcfi: N passed, N failed".
set -uo pipefail
source "$(dirname "$0")/settings.sh"
out=$INT3CALL_OUT/kcfi.out console=$INT3CALL_OUT/kcfi.console
rc=0
INT3CALL_GUEST_TIMEOUT=300 "$INT3CALL_TOP/scripts/run-guest.sh" kcfi >/dev/null 2>&1 || rc=$?
pass=0 fail=0
judge() { # judge NAME CMD...
	if "${@:2}"; then echo "  ok: $1"; pass=$((pass + 1)); else echo "  FAIL: $1"; fail=$((fail + 1)); fi
}
[ "$rc" -ne 124 ] || echo "  (the kcfi guest timed out)"
caught=$(grep -m1 -o 'CFI failure at .*lkdtm_increment_int.*' "$console" 2>/dev/null | tr -d '\r')
judge "the guest ran (its output and console are there)" test -s "$out" -a -s "$console"
# An emulator that runs UDB (0xd6) as SALC cannot show kCFI on 7.3 (settings.sh, the emulator).
judge "the emulator raises #UD on UDB (0xd6), where 7.3's kCFI checks trap" grep -q '^udb: sigill' "$out"
judge "the module passed its self-test under kCFI" grep -q '^kcfi: self-test under kCFI: pass' "$out"
judge "LKDTM made its mistyped call" grep -q 'lkdtm: Calling mismatched prototype' "$console"
judge "kCFI trapped it: $caught" test -n "$caught"
judge "the call did not go through" sh -c "test -s '$out' && ! grep -q 'survived' '$out' '$console'"
# A failure must be explainable from the CI log alone: what the guest and the kernel said about
# CFI and LKDTM (the CFI mode line shows kCFI vs FineIBT vs off).
if [ "$fail" -gt 0 ]; then
	{ grep -hE 'CFI|lkdtm|survived|Kernel panic' "$console" "$out" 2>/dev/null || echo "(no CFI or LKDTM line)"; } |
		tr -d '\r' | head -20 | sed 's/^/    /'
	echo "    (qemu exit $rc; console: $console)"
fi
echo "kcfi: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
