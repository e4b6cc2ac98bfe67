#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The debugfs files exist, are root-only (0600), and refuse bad input with -EINVAL and a
# warning while leaving the state as it was.
. "$(dirname "$0")/lib.sh"
setup
FILES="mode engine emulate callbacks call torture stats selftest bench unwind"
ktap_plan 17
load_mod || die "insmod failed"
ktap_check "debugfs directory exists" test -d "$DBG"
for f in $FILES; do
	ktap_check "$f has mode 0600" test "$(mode_of "$DBG/$f" 2>/dev/null)" = 600
done
before=$(cat "$DBG/stats")
ktap_check "stats refuses garbage" sh -c '! printf "bogus\n" >'"$DBG"'/stats'
ktap_check "selftest refuses an empty write" sh -c '! printf "\n" >'"$DBG"'/selftest'
long=$(head -c 200 /dev/zero | tr '\0' x)
ktap_check "selftest refuses an over-long write" sh -c "! printf '$long' >$DBG/selftest"
ktap_check "refusals are logged" test "$(klog | grep -c 'int3call: \(stats\|selftest\): ')" -ge 3
ktap_check "refused writes changed nothing" test "$(cat "$DBG/stats")" = "$before"
ktap_check_no_splat
ktap_finish
