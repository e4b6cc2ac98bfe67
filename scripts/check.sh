#!/usr/bin/env bash
# `make check`: the host unit tests (cargo test over the pure-logic files), then the module
# built against the test kernel and its KTAP selftests in a QEMU guest.
# Closing line: "N passed, N failed". Exit status: non-zero on any failure.
set -uo pipefail
source "$(dirname "$0")/settings.sh"
cd "$INT3CALL_TOP"
start=$(date +%s)

echo "== host unit tests (cargo test)"
unit_log=$(mktemp)
(cd rust/host && cargo test --offline) >"$unit_log" 2>&1
unit_rc=$?
grep -E '^test .* \.\.\. ' "$unit_log" | sed 's/^/  /'
read -r upass ufail < <(awk '/^test result:/ { p += $4; f += $6 } END { print p + 0, f + 0 }' "$unit_log")
if [ $unit_rc -ne 0 ] && [ "$ufail" -eq 0 ]; then tail -20 "$unit_log"; ufail=1; fi
echo "host: $upass passed, $ufail failed"
rm -f "$unit_log"

echo "== build (sysroot, kernel, module, initramfs)"
gpass=0 gfail=0
if ! "$INT3CALL_TOP/scripts/build-module.sh" >/dev/null || ! "$INT3CALL_TOP/scripts/initramfs.sh" >/dev/null; then
	echo "  FAIL: build"
	gfail=1
else
	echo "== guest selftests (QEMU TCG, 4 vCPUs)"
	qrc=0
	"$INT3CALL_TOP/scripts/run-guest.sh" check || qrc=$?
	verdict=$("$INT3CALL_TOP/scripts/guest-verdict.sh" check "$qrc")
	echo "$verdict"
	read -r gpass gfail < <(echo "$verdict" | sed -n 's/^guest: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
fi

echo "== wall time $(( $(date +%s) - start )) s"
echo "$((upass + gpass)) passed, $((ufail + gfail)) failed"
[ $((ufail + gfail)) -eq 0 ]
