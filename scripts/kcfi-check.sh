#!/usr/bin/env bash
# Part of `make check`: boot the guest in mode kcfi (scripts/guest/kcfi.sh) and judge it.
# Passes only if the module loaded and passed its self-test, and the kernel then trapped
# LKDTM's mistyped indirect call ("CFI failure at"); a kernel that survives it, or that never
# got there, fails. Prints "ok: ..." or "FAIL: ..." lines, and ends "kcfi: N passed, N failed".
set -uo pipefail
source "$(dirname "$0")/settings.sh"
out=$INT3CALL_OUT/kcfi.out console=$INT3CALL_OUT/kcfi.console
INT3CALL_GUEST_TIMEOUT=300 "$INT3CALL_TOP/scripts/run-guest.sh" kcfi >/dev/null 2>&1
pass=0 fail=0
judge() { # judge NAME CMD...
	if "${@:2}"; then echo "  ok: $1"; pass=$((pass + 1)); else echo "  FAIL: $1"; fail=$((fail + 1)); fi
}
judge "the module passed its self-test under kCFI" grep -q '^kcfi: self-test under kCFI: pass' "$out"
judge "LKDTM made its mistyped call" grep -q '^kcfi: calling through a mistyped pointer' "$out"
judge "kCFI trapped it: $(grep -m1 -o 'CFI failure at.*' "$console" | tr -d '\r')" grep -q 'CFI failure at' "$console"
judge "the call did not go through" sh -c "! grep -q 'survived' '$out' '$console'"
echo "kcfi: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
