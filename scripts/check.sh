#!/usr/bin/env bash
# `make check`: the host unit tests (cargo test over the pure-logic files), then the module
# built against the test kernel and its KTAP selftests in a QEMU guest, then the bench smoke.
# `make check-debug` (INT3CALL_FLAVOUR=debug): the same selftests on the debug kernel, where
# any lockdep, KASAN, atomic-sleep, RCU, hung-task or soft-lockup report fails the run, and
# the console must show that lockdep and KASAN are active.
# Closing line: "N passed, N failed, N skipped". Exit status: non-zero on any failure; a
# skipped guest test is one (guest-verdict.sh), so is an ignored host test.
set -uo pipefail
source "$(dirname "$0")/settings.sh"
cd "$INT3CALL_TOP"
start=$(date +%s)

"$INT3CALL_TOP/scripts/host-deps.sh" || { echo "FAIL: host packages"; echo "0 passed, 1 failed"; exit 1; }
debug=0; [ "$INT3CALL_FLAVOUR" = debug ] && debug=1
# guest_counts: "P F S" from guest-verdict.sh's "guest: P passed, F failed, S skipped" on stdin
# (nothing if there is no such line, which the callers count as a failure).
guest_counts() { sed -n 's/^guest: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p'; }
# The selftests that also run through the kernel's runner in vng: the module's load and its
# static calls, every flip, the test-only modules and the int3 helper that the kselftest
# build makes, and the ORC stack trace (make vng runs them all).
VNG_TESTS=${INT3CALL_VNG_TESTS:-load_unload.sh transitions.sh ownership.sh unwind.sh}
upass=0 ufail=0 uskip=0
if [ $debug = 0 ]; then

echo "== host unit tests (cargo test)"
unit_log=$(mktemp)
(cd rust/host && cargo test --offline) >"$unit_log" 2>&1
unit_rc=$?
grep -E '^test .* \.\.\. ' "$unit_log" | sed 's/^/  /'
read -r upass ufail uskip < <(awk '/^test result:/ { p += $4; f += $6; s += $8 } END { print p + 0, f + 0, s + 0 }' "$unit_log")
if [ $unit_rc -ne 0 ] && [ "$ufail" -eq 0 ]; then tail -20 "$unit_log"; ufail=1; fi
if [ "$uskip" -gt 0 ]; then echo "  FAIL: $uskip host test(s) ignored"; ufail=$((ufail + 1)); fi
# As for the module build: a warning is a defect, not noise to scroll past.
if grep -qE '^(warning|error)(\[|:)' "$unit_log"; then
	grep -E -A3 '^(warning|error)(\[|:)' "$unit_log" | head -20 | sed 's/^/    /'
	echo "  FAIL: cargo test printed $(grep -cE '^warning(\[|:)' "$unit_log") warning(s)"; ufail=$((ufail + 1))
fi
rm -f "$unit_log"

echo "== host unit tests of the bench report (python3 unittest)"
py_log=$(mktemp)
(cd scripts && PYTHONDONTWRITEBYTECODE=1 python3 -m unittest -v test_bench_report test_guest_verdict) >"$py_log" 2>&1
py_rc=$?
grep -E ' \.\.\. ' "$py_log" | sed 's/^/  /'
ppass=$(grep -c ' \.\.\. ok$' "$py_log")
pfail=$(grep -cE ' \.\.\. (FAIL|ERROR)$' "$py_log")
pskip=$(grep -cE ' \.\.\. skipped' "$py_log")
if [ "$pskip" -gt 0 ]; then echo "  FAIL: $pskip python test(s) skipped"; pfail=$((pfail + 1)); fi
if [ $py_rc -ne 0 ] && [ "$pfail" -eq 0 ]; then tail -20 "$py_log"; pfail=1; fi
rm -f "$py_log"
upass=$((upass + ppass)) ufail=$((ufail + pfail)) uskip=$((uskip + pskip))
echo "host: $upass passed, $ufail failed, $uskip skipped"
fi

spass=0 sfail=0
if [ $debug = 0 ]; then
	echo "== style: the kernel's rustfmt and clippy on our Rust"
	style=$("$INT3CALL_TOP/scripts/style.sh" 2>&1)
	echo "$style" | grep -v '^style: '
	read -r spass sfail < <(echo "$style" | sed -n 's/^style: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
	[ -n "$spass" ] || { echo "  FAIL: no verdict from style.sh"; spass=0 sfail=1; }
fi
upass=$((upass + spass)) ufail=$((ufail + sfail))

echo "== build (sysroot, kernel, module, initramfs)"
gpass=0 gfail=0 gskip=0
if ! "$INT3CALL_TOP/scripts/build-module.sh" >/dev/null || ! "$INT3CALL_TOP/scripts/initramfs.sh" >/dev/null; then
	echo "  FAIL: build"
	gfail=1 built=0
else
	built=1
	echo "== guest selftests (QEMU TCG, 4 vCPUs)"
	qrc=0
	"$INT3CALL_TOP/scripts/run-guest.sh" check || qrc=$?
	verdict=$(INT3CALL_EXPECT_TESTS=$(selftest_progs | wc -l) "$INT3CALL_TOP/scripts/guest-verdict.sh" check "$qrc")
	echo "$verdict"
	read -r gpass gfail gskip < <(echo "$verdict" | guest_counts)
	# A verdict line that did not parse is a failure, never a silent pass.
	[ -n "$gpass" ] || { echo "  FAIL: no verdict line from guest-verdict.sh"; gpass=0 gfail=1 gskip=0; }
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

kpass=0 kfail=0
if [ "$built" = 1 ] && [ $debug = 0 ]; then
	echo "== hardening: the console of the selftest guest, then kCFI caught in a guest of its own"
	grep -E 'CFI: |Spectre V2 :|RETBleed:|Speculative Return Stack Overflow:|ITS:' "$INT3CALL_OUT/check.console" |
		sed 's/^\[[^]]*\] /  console: /' | tr -d '\r'
	kcfi=$("$INT3CALL_TOP/scripts/kcfi-check.sh")
	echo "$kcfi" | grep -v '^kcfi: '
	read -r kpass kfail < <(echo "$kcfi" | sed -n 's/^kcfi: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
	[ -n "$kpass" ] || { echo "  FAIL: no verdict from kcfi-check.sh"; kpass=0 kfail=1; }
fi
gpass=$((gpass + kpass)) gfail=$((gfail + kfail))

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
	read -r vpass vfail vskip < <(echo "$verdict" | guest_counts)
	[ -n "$vpass" ] || { echo "  FAIL: no verdict line for the vng run"; vpass=0 vfail=1 vskip=0; }
	if [ "$vrc" -ne 0 ]; then echo "  FAIL: vng exited $vrc (log: $INT3CALL_OUT/vng.log)"; vfail=$((vfail + 1)); fi
fi
gpass=$((gpass + vpass)) gfail=$((gfail + vfail)) gskip=$((gskip + vskip))

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
echo "$((upass + gpass)) passed, $((ufail + gfail)) failed, $((uskip + gskip)) skipped"
[ $((ufail + gfail)) -eq 0 ]
