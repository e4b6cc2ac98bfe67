#!/usr/bin/env bash
# `make verdicts`: build what is missing, boot the guest, and print the torture reports of
# new and old on both engines and of every busted variant (scripts/guest/verdicts.sh).
set -euo pipefail
source "$(dirname "$0")/settings.sh"
"$INT3CALL_TOP/scripts/build-module.sh" >/dev/null
"$INT3CALL_TOP/scripts/initramfs.sh" >/dev/null
rc=0
"$INT3CALL_TOP/scripts/run-guest.sh" verdicts || rc=$?
grep -v '^INT3CALL-GUEST-DONE' "$INT3CALL_OUT/verdicts.out"
grep -q '^INT3CALL-GUEST-DONE rc=0' "$INT3CALL_OUT/verdicts.out" ||
	die "verdicts run failed (qemu exit $rc; console: out/verdicts.console)"
