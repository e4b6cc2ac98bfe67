#!/usr/bin/env bash
# `make bench`: build what is missing, boot the guest with -icount shift=0 (guest time counts
# instructions, so the numbers repeat on a noisy host), run scripts/guest/bench.sh, and turn
# its raw rows into the table: printed, and written to results/bench.md and results/bench.svg.
# Environment: REPS, CALLS, EMULATED, FLIPS (passed to the guest script; see it for defaults);
# INT3CALL_RESULTS, where the report goes (default results/).
set -euo pipefail
source "$(dirname "$0")/settings.sh"
"$INT3CALL_TOP/scripts/host-deps.sh"
"$INT3CALL_TOP/scripts/build-module.sh" >/dev/null
"$INT3CALL_TOP/scripts/initramfs.sh" >/dev/null
# Under icount the TSC calibrates against the PIT exactly (1 GHz, one tick per instruction), but
# the boot-time TSC sync check fails in round-robin mode; without the TSC the clock is jiffies.
guest_env="tsc=reliable"
for v in REPS CALLS EMULATED FLIPS; do [ -z "${!v:-}" ] || guest_env+=" $v=${!v}"; done
# icount runs every vCPU in one thread (round robin); sleep=off lets idle time jump ahead.
rc=0
INT3CALL_ACCEL=tcg,thread=single INT3CALL_APPEND="$guest_env" \
	"$INT3CALL_TOP/scripts/run-guest.sh" bench -icount shift=0,sleep=off || rc=$?
out=$INT3CALL_OUT/bench.out
grep -q '^INT3CALL-GUEST-DONE rc=0' "$out" || {
	tail -20 "$out" >&2
	die "bench guest failed (qemu exit $rc; console: out/bench.console)"
}
! grep -m3 -E 'Kernel panic|Oops|BUG:|WARNING:|Call Trace' "$INT3CALL_OUT/bench.console" ||
	die "kernel splat on the console during the bench (out/bench.console)"
PYTHONDONTWRITEBYTECODE=1 python3 "$INT3CALL_TOP/scripts/bench_report.py" "$out" "${INT3CALL_RESULTS:-$INT3CALL_TOP/results}"
