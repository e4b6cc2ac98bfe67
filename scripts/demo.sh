#!/usr/bin/env bash
# `make demo`: build everything that is missing, boot the guest, and show the mechanism.
set -euo pipefail
source "$(dirname "$0")/settings.sh"
"$INT3CALL_TOP/scripts/build-module.sh" >/dev/null
"$INT3CALL_TOP/scripts/initramfs.sh" >/dev/null
rc=0
"$INT3CALL_TOP/scripts/run-guest.sh" demo || rc=$?
grep -v '^INT3CALL-GUEST-DONE' "$INT3CALL_OUT/demo.out"
grep -q '^INT3CALL-GUEST-DONE rc=0' "$INT3CALL_OUT/demo.out" ||
	die "demo failed (qemu exit $rc; console: out/demo.console)"
