#!/usr/bin/env bash
# `make soak`: 100 unload-under-torture cycles (CYCLES=N to change) in the base guest, judged
# like `make check`: every KTAP point, the sentinel, and a console without splats.
set -uo pipefail
source "$(dirname "$0")/settings.sh"
"$INT3CALL_TOP/scripts/build-module.sh" >/dev/null && "$INT3CALL_TOP/scripts/initramfs.sh" >/dev/null || exit 1
start=$(date +%s)
rc=0
INT3CALL_APPEND="CYCLES=${CYCLES:-100}" "$INT3CALL_TOP/scripts/run-guest.sh" soak || rc=$?
grep '^# ' "$INT3CALL_OUT/soak.out"
"$INT3CALL_TOP/scripts/guest-verdict.sh" soak "$rc"
vrc=$?
echo "== wall time $(( $(date +%s) - start )) s"
exit $vrc
