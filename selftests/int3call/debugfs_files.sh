#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The debugfs files exist, are root-only (0600), and refuse bad input with -EINVAL and a
# warning while leaving the state as it was.
. "$(dirname "$0")/lib.sh"
setup
FILES="mode engine emulate callbacks call torture stats selftest bench unwind sites"
ktap_plan $(( $(count $FILES) + 7 ))
load_mod || die "insmod failed"

long=$(head -c 200 /dev/zero | tr '\0' x)  # over MAX_INPUT (128), written without a newline
over_long_refused() { ! printf '%s' "$long" >"$DBG/selftest"; }
refusals_logged() { test "$(klog | grep -c 'int3call: \(stats\|selftest\): ')" -ge 3; }

ktap_check "debugfs directory exists" test -d "$DBG"
for f in $FILES; do
	ktap_check "$f has mode 0600" test "$(mode_of "$DBG/$f" 2>/dev/null)" = 600
done
before=$(cat "$DBG/stats")
ktap_check "stats refuses garbage" dbg_refuses stats bogus
ktap_check "selftest refuses an empty write" dbg_refuses selftest ""
ktap_check "selftest refuses an over-long write" over_long_refused
ktap_check "refusals are logged" refusals_logged
ktap_check "refused writes changed nothing" test "$(cat "$DBG/stats")" = "$before"
ktap_check_no_splat
ktap_finish
