#!/usr/bin/env bash
# `make check`: the host unit tests (cargo test over the pure-logic files), then the module
# built against the test kernel and its KTAP selftests in a QEMU guest, then the bench smoke.
# `make check-debug` (INT3CALL_FLAVOUR=debug): the selftests (but INT3CALL_DEBUG_OMITS) and the
# kCFI guest on the debug kernel, where any lockdep, KASAN, atomic-sleep, RCU, hung-task or
# soft-lockup report fails the run, and the console must show that lockdep and KASAN are active.
# Closing line: "N passed, N failed, N skipped". Exit status: non-zero on any failure; a
# skipped guest test is one (guest-verdict.sh), so is an ignored host test.
# INT3CALL_FAIL_FAST=1 (make mutants sets it): stop after the first stage that counted a
# failure, with the closing line of what was counted so far.
set -uo pipefail
source "$(dirname "$0")/settings.sh"
# The counting (tested on the host: scripts/test_counting.py).
source "$INT3CALL_TOP/scripts/counting.sh"
cd "$INT3CALL_TOP"
start=$(date +%s)

upass=0 ufail=0 uskip=0
gpass=0 gfail=0 gskip=0
"$INT3CALL_TOP/scripts/host-deps.sh" || { echo "FAIL: host packages"; ufail=1; closing_line; exit 1; }
debug=0; [ "$INT3CALL_FLAVOUR" = debug ] && debug=1
# The selftests that also run through the kernel's runner in vng: the module's load and its
# static calls, every flip, the test-only modules and the int3 helper that the kselftest
# build makes, and the ORC stack trace (make vng runs them all).
VNG_TESTS=${INT3CALL_VNG_TESTS:-load_unload.sh transitions.sh ownership.sh unwind.sh}
if [ $debug = 0 ]; then

echo "== host unit tests (cargo test)"
unit_log=$(mktemp)
(cd rust/host && cargo test --offline) >"$unit_log" 2>&1
unit_rc=$?
# As for the module build, a warning is a defect, not noise to scroll past (cargo_counts).
cargo_counts "$unit_log" "$unit_rc"
rm -f "$unit_log"

echo "== host unit tests of the harness and the bench report (python3 unittest)"
py_log=$(mktemp)
(cd scripts && PYTHONDONTWRITEBYTECODE=1 python3 -m unittest -v test_bench_report test_guest_verdict test_ktap_helpers test_counting) >"$py_log" 2>&1
py_rc=$?
unittest_counts "$py_log" "$py_rc"
rm -f "$py_log"
upass=$((upass + ppass)) ufail=$((ufail + pfail)) uskip=$((uskip + pskip))
echo "host: $upass passed, $ufail failed, $uskip skipped"
fi
fail_fast "host unit tests"

# script_stage NAME SCRIPT: runs scripts/SCRIPT, shows its lines but its closing one
# ("NAME: P passed, F failed"), and adds its counts to the host stages'.
script_stage() {
	local out
	out=$("$INT3CALL_TOP/scripts/$2" 2>&1)
	echo "$out" | grep -v "^$1: "
	closing_counts "$1: P passed, F failed" "$out" "no verdict from $2"
	upass=$((upass + c_pass)) ufail=$((ufail + c_fail))
}

# The model does not depend on the kernel: it runs with the default series only (CI's 7.3 run
# would repeat the same minute of spin on the same table).
if [ $debug = 0 ] && [ "$INT3CALL_SERIES" != "$INT3CALL_SERIES_DEFAULT" ]; then
	echo "== model: not run for Linux $INT3CALL_SERIES (kernel-independent; make check on $INT3CALL_SERIES_DEFAULT runs it)"
elif [ $debug = 0 ] && [ "${INT3CALL_SKIP_MODEL:-}" = 1 ]; then
	# make mutants, for a mutant of none of the model's inputs: its baseline run passed the model
	# on the same inputs (scripts/mutants.py, MODEL_INPUTS).
	echo "== model: not run (INT3CALL_SKIP_MODEL=1: the mutant changes none of its inputs)"
elif [ $debug = 0 ]; then
	# What TCG cannot show (it never tears a fetch): spin on the protocol table the code emits.
	echo "== model: spin on the int3 protocol (make model; one point per property and per mutant)"
	script_stage model model.sh
fi
fail_fast model

if [ $debug = 0 ]; then
	echo "== style: the kernel's rustfmt and clippy on our Rust"
	script_stage style style.sh
fi
fail_fast style

echo "== build (sysroot, kernel, module, initramfs)"
gpass=0 gfail=0 gskip=0
if ! "$INT3CALL_TOP/scripts/build-module.sh" >/dev/null || ! "$INT3CALL_TOP/scripts/initramfs.sh" >/dev/null; then
	echo "  FAIL: build"
	gfail=1 built=0
else
	built=1
	omits=$(guest_omits)
	echo "== guest selftests (QEMU TCG, 4 vCPUs)${omits:+; left to the base kernel: $omits}"
	qrc=0
	# Names without ".sh": the kernel takes a boot parameter with a dot for a module's and never
	# passes it to init.
	omit_arg=$(echo $omits | sed 's/\.sh//g; s/ /,/g')
	# Fail fast in the guest too: the runner stops after the first failed test.
	stop_arg=; [ "${INT3CALL_FAIL_FAST:-}" = 1 ] && stop_arg=" int3call_failfast=1"
	INT3CALL_APPEND="${INT3CALL_APPEND:-}${omit_arg:+ int3call_omit=$omit_arg}$stop_arg" \
		"$INT3CALL_TOP/scripts/run-guest.sh" check || qrc=$?
	verdict=$(INT3CALL_EXPECT_TESTS=$(guest_progs | wc -l) "$INT3CALL_TOP/scripts/guest-verdict.sh" check "$qrc")
	echo "$verdict"
	# A verdict line that did not parse is a failure, never a silent pass.
	closing_counts "guest: P passed, F failed, S skipped" "$verdict" "no verdict line from guest-verdict.sh"; gpass=$c_pass gfail=$c_fail gskip=$c_skip
	if [ $debug = 1 ]; then
		# A debug kernel that is not one would pass everything: its detectors must be on.
		for want in "Lock dependency validator" "KernelAddressSanitizer initialized"; do
			if grep -q "$want" "$INT3CALL_OUT/check.console"; then
				echo "  ok: console shows '$(grep -m1 "$want" "$INT3CALL_OUT/check.console" | sed 's/^\[[^]]*\] //')'"
				gpass=$((gpass + 1))
			else
				echo "  FAIL: no '$want' on the console: the debug kernel's detectors are off"
				gfail=$((gfail + 1))
			fi
		done
	fi
fi
fail_fast "build and guest selftests"

kpass=0 kfail=0
# On both kernels: CI runs 7.3 on the debug one only, and 7.3's kCFI checks are the ones an
# old emulator cannot show (settings.sh, the emulator).
if [ "$built" = 1 ]; then
	echo "== hardening: the console of the selftest guest, then kCFI caught in a guest of its own"
	grep -E 'CFI: |Spectre V2 :|RETBleed:|Speculative Return Stack Overflow:|ITS:' "$INT3CALL_OUT/check.console" |
		sed 's/^\[[^]]*\] /  console: /' | tr -d '\r'
	kcfi=$("$INT3CALL_TOP/scripts/kcfi-check.sh")
	echo "$kcfi" | grep -v '^kcfi: '
	closing_counts "kcfi: P passed, F failed" "$kcfi" "no verdict from kcfi-check.sh"; kpass=$c_pass kfail=$c_fail
fi
gpass=$((gpass + kpass)) gfail=$((gfail + kfail))
fail_fast hardening

vpass=0 vfail=0 vskip=0
if [ "$built" = 1 ] && [ $debug = 0 ]; then
	# The path a developer takes in their own tree: the target installed by the kernel's
	# kselftest Makefile (modules from TEST_GEN_MODS_DIR), run by run_kselftest.sh in vng.
	echo "== kselftest runner in virtme-ng: $VNG_TESTS"
	vlog=$(mktemp)
	vrc=0
	TESTS="$VNG_TESTS" "$INT3CALL_TOP/scripts/vng.sh" 2>"$vlog" >/dev/null || vrc=$?
	grep -v '^\[int3call\] vng' "$vlog" | tail -20 | sed 's/^/  /'
	rm -f "$vlog"
	verdict=$(INT3CALL_EXPECT_TESTS=$(echo $VNG_TESTS | wc -w) "$INT3CALL_TOP/scripts/guest-verdict.sh" vng "$vrc")
	echo "$verdict" | sed 's/^guest: /vng: /'
	closing_counts "guest: P passed, F failed, S skipped" "$verdict" "no verdict line for the vng run"; vpass=$c_pass vfail=$c_fail vskip=$c_skip
	if [ "$vrc" -ne 0 ]; then echo "  FAIL: vng exited $vrc (log: $INT3CALL_OUT/vng.log)"; vfail=$((vfail + 1)); fi
fi
gpass=$((gpass + vpass)) gfail=$((gfail + vfail)) gskip=$((gskip + vskip))
fail_fast vng

bpass=0 bfail=0
if [ "$built" = 1 ] && [ $debug = 0 ]; then
	echo "== bench smoke: the whole make bench pipeline with tiny counts (icount guest; no time is judged)"
	bench_dir=$(mktemp -d)
	if REPS=1 CALLS=1000 EMULATED=100 FLIPS=2 INT3CALL_RESULTS=$bench_dir "$INT3CALL_TOP/scripts/bench.sh" \
		>"$bench_dir/log" 2>&1 && [ -s "$bench_dir/bench.md" ] && [ -s "$bench_dir/bench.svg" ]; then
		echo "  ok: every row measured, table and plot written"
		bpass=1
	else
		tail -15 "$bench_dir/log" | sed 's/^/  /'
		echo "  FAIL: bench pipeline"
		bfail=1
	fi
	rm -rf "$bench_dir"
fi
gpass=$((gpass + bpass)) gfail=$((gfail + bfail))

echo "== wall time $(( $(date +%s) - start )) s"
closing_line
