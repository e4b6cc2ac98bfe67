#!/usr/bin/env bash
# `make demo` (MODE demo) and `make verdicts` (MODE verdicts): build everything that is
# missing, boot the guest, run scripts/guest/MODE.sh and print what it shows.
set -euo pipefail
source "$(dirname "$0")/settings.sh"
mode=${1:-demo}
"$INT3CALL_TOP/scripts/build-module.sh" >/dev/null
"$INT3CALL_TOP/scripts/initramfs.sh" >/dev/null
rc=0
"$INT3CALL_TOP/scripts/run-guest.sh" "$mode" || rc=$?
grep -v '^INT3CALL-GUEST-DONE' "$INT3CALL_OUT/$mode.out"
grep -q '^INT3CALL-GUEST-DONE rc=0' "$INT3CALL_OUT/$mode.out" ||
	die "$mode failed (qemu exit $rc; console: out/$mode.console)"
