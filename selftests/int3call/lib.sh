#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the int3call selftests: KTAP output, module load/unload, debugfs access
# and kernel-log checks. Modelled on tools/testing/selftests/livepatch/functions.sh.
# POSIX sh: it runs in our busybox guest, in virtme-ng, and from a kernel tree's kselftest runner.

_here=$(cd "$(dirname "$0")" && pwd)
# The modules: INT3CALL_KO if set; else where the kselftest build puts them (TEST_GEN_MODS_DIR);
# else our busybox guest's /int3call.ko.
if [ -n "${INT3CALL_KO:-}" ]; then KO=$INT3CALL_KO
elif [ -f "$_here/test_modules/int3call.ko" ]; then KO=$_here/test_modules/int3call.ko
else KO=/int3call.ko; fi
# The test-only modules (test_modules/): one plants a foreign int3 at our site, one probes.
FOREIGN_KO=${INT3CALL_FOREIGN_KO:-$(dirname "$KO")/int3call_foreign.ko}
PROBE_KO=$(dirname "$KO")/int3call_probe.ko
# ftrace's sample module (samples/ftrace, CONFIG_SAMPLE_FTRACE_OPS=m), the peer bench_smoke.sh runs.
FTRACE_OPS_KO=${INT3CALL_FTRACE_OPS_KO:-/ftrace-ops.ko}
DBG=/sys/kernel/debug/int3call

# KTAP: the kernel's own helpers where they are (a kernel tree or a kselftest install has
# kselftest/ beside int3call/), ours with the same names and output in the busybox guest.
if [ -f "$_here/../kselftest/ktap_helpers.sh" ]; then . "$_here/../kselftest/ktap_helpers.sh"
else . "$_here/ktap_fallback.sh"; fi
ktap_plan() { ktap_print_header; ktap_set_plan "$1"; }
ktap_ok() { ktap_test_pass "$*"; }
ktap_fail() { ktap_test_fail "$*"; }
ktap_skip() { ktap_diag "$1: $2"; ktap_test_skip "$1"; }
# ktap_check NAME CMD...: one test point that passes when CMD succeeds.
ktap_check() { _name=$1; shift; if "$@"; then ktap_ok "$_name"; else ktap_fail "$_name"; fi; }
# Ours, not the kernel's ktap_print_msg: that one expands globs in the message.
ktap_diag() { echo "# $*"; }
# Exits KSFT_PASS only when every planned point ran and none failed.
ktap_finish() { ktap_finished; }
skip_all() { ktap_print_header; ktap_skip_all "$*"; exit "$KSFT_SKIP"; }

# die MESSAGE: a broken precondition; the trap still cleans up.
die() { ktap_diag "error: $*"; exit "$KSFT_FAIL"; }

# A plan is computed from the test's case lists: count WORD... is how many words,
# count_lines LIST how many lines.
count() { echo $#; }
count_lines() { printf '%s\n' "$1" | grep -c .; }
# each FUNCTION LIST: FUNCTION once per line of LIST, with that line's words as arguments,
# in this shell (a pipe into `while read` would run it in a subshell, which loses the KTAP
# counts of its points).
each() {
	_each_fn=$1 _each_ifs=$IFS
	set -f
	IFS='
'
	set -- $2
	IFS=$_each_ifs
	for _each_line; do
		set -- $_each_line
		set +f
		"$_each_fn" "$@"
		set -f
	done
	set +f
}

is_loaded() { grep -q '^int3call ' /proc/modules; }
is_unloaded() { ! is_loaded; }
foreign_loaded() { grep -q '^int3call_foreign ' /proc/modules; }
load_mod() { insmod "$KO" "$@"; }
unload_mod() { ! is_loaded || rmmod int3call; }

# The kernel log is shared (other tests, other users): never clear it. A test reads what came
# after its own canary line, written to /dev/kmsg, as the livepatch selftests do.
# kmark: a new canary; klog then prints only what the kernel logged after it.
_marks=0
kmark() {
	_marks=$((_marks + 1))
	_mark="int3call selftest $(basename "$0") pid $$ mark $_marks $(cat /proc/sys/kernel/random/uuid)"
	echo "$_mark" >/dev/kmsg
	wait_for sh -c 'dmesg | grep -qF "$1"' sh "$_mark" || die "the canary never reached the kernel log: $_mark"
}
# klog_since MARK: the kernel log after the line that holds MARK.
klog_since() { dmesg | awk -v m="$1" 'p; index($0, m) { p = 1 }'; }
klog() { klog_since "$_mark"; }

# Start every test from a clean slate and its own canary; unload on any exit.
setup() {
	[ "$(id -u)" = 0 ] || skip_all "needs root"
	[ -f "$KO" ] || skip_all "module $KO not found"
	[ -d /sys/kernel/debug ] || skip_all "no debugfs"
	unload_mod 2>/dev/null
	kmark
	_test_mark=$_mark
	trap '! foreign_loaded || rmmod int3call_foreign; unload_mod 2>/dev/null' EXIT
}

# Reports of anything the kernel considers a bug: panics, oopses and warnings, and what the
# debug kernel's detectors print (lockdep, KASAN, atomic sleep, RCU misuse, hung tasks, soft
# lockups, debugobjects). Declared here only: a test checks its own part of the kernel log
# with it (splats), and scripts/guest-verdict.sh reads this line to check a guest's whole
# console, so it stays one line, single-quoted.
SPLAT_RE='Kernel panic|WARNING:|BUG:|Oops|Call Trace|general protection|lockdep|KASAN|possible recursive locking|possible circular locking|inconsistent lock state|suspicious RCU usage|sleeping function called from invalid context|INFO: task .* blocked|soft lockup|ODEBUG:'
# splats: the reports since this test began.
splats() { klog_since "$_test_mark" | grep -E "$SPLAT_RE"; }
ktap_check_no_splat() {
	if s=$(splats); then ktap_fail "dmesg has no splat"; echo "$s" | sed 's/^/# /'; else ktap_ok "dmesg has no splat"; fi
}

# dbg_get FILE KEY: the value of "KEY: value" in a debugfs file.
dbg_get() { sed -n "s/^$2: //p" "$DBG/$1"; }
# dbg_write FILE VALUE: write as `echo` would; fails (non-zero) when the kernel refuses it.
dbg_write() { printf '%s\n' "$2" >"$DBG/$1" 2>/dev/null; }
# dbg_refuses FILE VALUE: the kernel refuses the write.
dbg_refuses() { ! dbg_write "$1" "$2"; }
# mode_of PATH: octal permission bits.
mode_of() { stat -c %a "$1"; }

# torture_flips ENGINE: the flips of a short torture run. Each of ftrace's waits for an
# RCU-tasks grace period (it frees the op's trampoline), about 0.25 s under TCG; each of
# static_call's writes two instructions (the key's trampoline, then the site).
torture_flips() { case $1 in ftrace) echo 10 ;; static_call) echo 50 ;; *) echo 100 ;; esac; }

# The site state as "state site_ok" (e.g. "custom yes").
site_is() { test "$(dbg_get mode state) $(dbg_get mode site_ok)" = "$1 yes"; }
# calls_give N V1 V2: call the traced function N times; the results split as given.
calls_give() {
	dbg_write call "$1" && test "$(dbg_get call v1) $(dbg_get call v2) $(dbg_get call corrupt)" = "$2 $3 0"
}
# on_cpu CPU CMD...: run CMD (a command, or a function of this file) in a process of its own
# pinned to CPU.
on_cpu() { _cpu=$1; shift; taskset -c "$_cpu" sh -c '. "$0"; "$@"' "$_here/lib.sh" "$@"; }
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
