#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Bad input on every control file is refused with an error and a warning in the log, and
# the state reads back unchanged.
. "$(dirname "$0")/lib.sh"
setup
ktap_plan 33
load_mod || die "insmod failed"
dbg_write engine module && dbg_write emulate old && dbg_write callbacks +livepatch || die "setup"
before=$(snapshot)
long=$(head -c 200 /dev/zero | tr '\0' x)  # over MAX_INPUT (128)
# refused FILE VALUE: the write fails, a warning names the file, nothing changed.
refused() {
	kmark
	if printf '%s\n' "$2" >"$DBG/$1" 2>/dev/null; then return 1; fi
	klog | grep -q "int3call: $1: \|int3call: mode: custom needs" || { echo "# no warning for $1"; return 1; }
	test "$(snapshot)" = "$before"
}
for case in "engine:bogus" "engine:KERNEL" "engine:$long" "emulate:newest" "emulate:" \
	"mode:custom2" "mode:" "callbacks:livepatch" "callbacks:+nosuch" "callbacks:-counter" \
	"callbacks:+livepatch" "callbacks:$long" "call:0" "call:abc" "call:-5" "call:999999999999" \
	"stats:bogus" "selftest:go" "torture:threads=0" "torture:colour=red" "torture:flips=x" \
	"torture:" "torture:scenario=watch" "torture:busted_may_crash=no" "bench:jumps 5" "bench:calls 0" "bench:flips 100001" "bench:calls" \
	"unwind:go" "unwind:$long"; do
	file=${case%%:*} value=${case#*:}
	ktap_check "$file refuses '$(echo "$value" | cut -c1-12)'" refused "$file" "$value"
done
ktap_check "mode custom with two callbacks is refused" sh -c ". ./lib.sh; dbg_write callbacks +counter; before=\$(snapshot); ! dbg_write mode custom && test \"\$(snapshot)\" = \"\$before\""
ktap_check "the state still works after all that" sh -c ". ./lib.sh; site_is iterator && calls_give 50 0 50"
ktap_check_no_splat
ktap_finish
