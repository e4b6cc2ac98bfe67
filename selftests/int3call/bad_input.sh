#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Bad input on every control file is refused with an error and a warning in the log, and
# the state reads back unchanged.
. "$(dirname "$0")/lib.sh"
setup
long=$(head -c 200 /dev/zero | tr '\0' x)  # over MAX_INPUT (128)
# The writes to refuse, one a line: FILE VALUE.
BAD_WRITES="
engine bogus
engine KERNEL
engine $long
emulate newest
emulate
mode custom2
mode
callbacks livepatch
callbacks +nosuch
callbacks -counter
callbacks +livepatch
callbacks $long
call 0
call abc
call -5
call 999999999999
stats bogus
selftest go
torture threads=0
torture colour=red
torture flips=x
torture
torture scenario=watch
torture busted_may_crash=no
bench jumps 5
bench calls 0
bench flips 100001
bench calls
unwind go
unwind $long"
ktap_plan $(( $(count_lines "$BAD_WRITES") + 4 ))
load_mod || die "insmod failed"
dbg_write engine module && dbg_write emulate old && dbg_write callbacks +livepatch || die "setup"
before=$(snapshot)

# refused FILE VALUE: the write fails, a warning names the file, nothing changed.
refused() {
	kmark
	if printf '%s\n' "$2" >"$DBG/$1" 2>/dev/null; then return 1; fi
	klog | grep -q "int3call: $1: \|int3call: mode: custom needs" || { echo "# no warning for $1"; return 1; }
	test "$(snapshot)" = "$before"
}
# check_refused FILE VALUE...: the point for one bad write (the value's first 12 characters
# name it).
check_refused() {
	_file=$1; shift
	ktap_check "$_file refuses '$(echo "$*" | cut -c1-12)'" refused "$_file" "$*"
}
# With two callbacks the site runs the iterator: custom, which calls one, is refused.
custom_refused_with_two_callbacks() {
	dbg_write callbacks +counter
	_two=$(snapshot)
	! dbg_write mode custom && test "$(snapshot)" = "$_two"
}
still_works() { site_is iterator && calls_give 50 0 50; }
# On static_call the kernel's handler emulates the new instruction: with emulate old, a flip
# is refused with the reason, and the site stays a NOP.
kernel_emulated_flip_refused_with_old() {
	dbg_write callbacks -counter && dbg_write callbacks -livepatch &&
		dbg_write engine static_call || return 1
	kmark
	! dbg_write callbacks +counter &&
		klog | grep -q "int3call: engine static_call: the kernel's int3 handler emulates the new instruction: set emulate to new" &&
		site_is nop && test -z "$(cat "$DBG/callbacks")"
}

each check_refused "$BAD_WRITES"
ktap_check "mode custom with two callbacks is refused" custom_refused_with_two_callbacks
ktap_check "the state still works after all that" still_works
ktap_check "a flip on static_call with emulate old is refused" kernel_emulated_flip_refused_with_old
ktap_check_no_splat
ktap_finish
