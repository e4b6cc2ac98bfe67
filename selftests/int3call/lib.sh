#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the int3call selftests: KTAP output, module load/unload, debugfs access
# and dmesg checks. Modelled on tools/testing/selftests/livepatch/functions.sh.
# POSIX sh (the guest runs busybox).

KO=${INT3CALL_KO:-/int3call.ko}
# The test-only module that plants a foreign int3 at our site (test_modules/).
FOREIGN_KO=${INT3CALL_FOREIGN_KO:-$(dirname "$KO")/int3call_foreign.ko}
DBG=/sys/kernel/debug/int3call
KSFT_PASS=0 KSFT_FAIL=1 KSFT_SKIP=4
_ktap_n=0 _ktap_failed=0

ktap_plan() { echo "KTAP version 1"; echo "1..$1"; }
ktap_ok() { _ktap_n=$((_ktap_n + 1)); echo "ok $_ktap_n $*"; }
ktap_fail() { _ktap_n=$((_ktap_n + 1)); _ktap_failed=$((_ktap_failed + 1)); echo "not ok $_ktap_n $*"; }
ktap_skip() { _ktap_n=$((_ktap_n + 1)); echo "ok $_ktap_n $1 # SKIP $2"; }
# ktap_check NAME CMD...: one test point that passes when CMD succeeds.
ktap_check() { _name=$1; shift; if "$@"; then ktap_ok "$_name"; else ktap_fail "$_name"; fi; }
ktap_diag() { echo "# $*"; }
ktap_finish() { [ "$_ktap_failed" -eq 0 ] && exit $KSFT_PASS; exit $KSFT_FAIL; }
skip_all() { echo "KTAP version 1"; echo "1..0 # SKIP $*"; exit $KSFT_SKIP; }

# die MESSAGE: a broken precondition; the trap still cleans up.
die() { ktap_diag "error: $*"; exit $KSFT_FAIL; }

is_loaded() { grep -q '^int3call ' /proc/modules; }
foreign_loaded() { grep -q '^int3call_foreign ' /proc/modules; }
load_mod() { insmod "$KO" "$@"; }
unload_mod() { ! is_loaded || rmmod int3call; }

# Start every test from a clean slate and a clean log; unload on any exit.
setup() {
	[ "$(id -u)" = 0 ] || skip_all "needs root"
	[ -f "$KO" ] || skip_all "module $KO not found"
	[ -d /sys/kernel/debug ] || skip_all "no debugfs"
	unload_mod 2>/dev/null
	dmesg -c >/dev/null
	trap '! foreign_loaded || rmmod int3call_foreign; unload_mod 2>/dev/null' EXIT
}

# Reports of anything the kernel considers a bug, since the last `dmesg -c`: oopses and
# warnings, and what the debug kernel's detectors print (lockdep, KASAN, atomic sleep,
# RCU misuse, hung tasks, soft lockups, debugobjects).
SPLAT_RE='WARNING:|BUG:|Oops|Call Trace|general protection|lockdep|KASAN|possible recursive locking|possible circular locking|inconsistent lock state|suspicious RCU usage|sleeping function called from invalid context|INFO: task .* blocked|soft lockup|ODEBUG:'
splats() { dmesg | grep -E "$SPLAT_RE"; }
ktap_check_no_splat() {
	if s=$(splats); then ktap_fail "dmesg has no splat"; echo "$s" | sed 's/^/# /'; else ktap_ok "dmesg has no splat"; fi
}

# dbg_get FILE KEY: the value of "KEY: value" in a debugfs file.
dbg_get() { sed -n "s/^$2: //p" "$DBG/$1"; }
# dbg_write FILE VALUE: write as `echo` would; fails (non-zero) when the kernel refuses it.
dbg_write() { printf '%s\n' "$2" >"$DBG/$1" 2>/dev/null; }
# mode_of PATH: octal permission bits.
mode_of() { stat -c %a "$1"; }

# The site state as "state site_ok" (e.g. "custom yes").
site_is() { test "$(dbg_get mode state) $(dbg_get mode site_ok)" = "$1 yes"; }
# calls_give N V1 V2: call the traced function N times; the results split as given.
calls_give() {
	dbg_write call "$1" && test "$(dbg_get call v1) $(dbg_get call v2) $(dbg_get call corrupt)" = "$2 $3 0"
}
# wait_for CMD...: poll (every 0.1 s, at most 30 s) until CMD succeeds.
wait_for() {
	_i=0
	until "$@"; do
		_i=$((_i + 1)); [ $_i -le 300 ] || return 1
		sleep 0.1
	done
}
# busy_is WORD: the long write that owns the site (no, call, bench, torture).
busy_is() { test "$(dbg_get mode busy)" = "$1"; }
# A snapshot of every readable control file (for "state unchanged" checks).
snapshot() { for f in mode engine emulate callbacks; do echo "$f: $(cat "$DBG/$f")"; done; }
