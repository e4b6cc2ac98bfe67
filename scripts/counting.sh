# How `make check` (scripts/check.sh) counts: each stage's log or verdict into "passed,
# failed, skipped", and the closing line with the exit status. Sourced (bash), never run;
# tested on the host by scripts/test_counting.py. The rule everywhere: what did not report a
# count (a crash, a missing verdict line) is a failure, never a silent pass.

# closing_counts LINE TEXT MESSAGE: c_pass c_fail c_skip from the line of TEXT shaped as LINE,
# in which P, F and S stand for the counts, in that order: "guest: P passed, F failed, S
# skipped" (guest-verdict.sh) or "style: P passed, F failed" (a stage that skips nothing:
# c_skip is 0). A line of another shape or stage does not count; with no such line,
# "  FAIL: MESSAGE" and one failure.
closing_counts() {
	local re counts='\1 \2 0'
	re=$(echo "$1" | sed 's/\<[PFS]\>/\\([0-9][0-9]*\\)/g')
	case $1 in *' S skipped') counts='\1 \2 \3' ;; esac
	c_pass= c_fail= c_skip=
	read -r c_pass c_fail c_skip < <(echo "$2" | sed -n "s/^$re\$/$counts/p")
	[ -n "$c_pass" ] || { echo "  FAIL: $3"; c_pass=0 c_fail=1 c_skip=0; }
}

# cargo_counts LOG RC: judge the log of `cargo test` that exited RC. Prints its test lines
# and what fails, and sets upass ufail uskip: the sums of its "test result:" lines, at least
# one failure when cargo failed without a failed test (a build error), one more for any
# ignored test, and one more for any warning (a defect, as in the module build).
cargo_counts() {
	local log=$1 rc=$2
	grep -E '^test .* \.\.\. ' "$log" | sed 's/^/  /'
	read -r upass ufail uskip < <(awk '/^test result:/ { p += $4; f += $6; s += $8 } END { print p + 0, f + 0, s + 0 }' "$log")
	if [ "$rc" -ne 0 ] && [ "$ufail" -eq 0 ]; then tail -20 "$log"; ufail=1; fi
	if [ "$uskip" -gt 0 ]; then echo "  FAIL: $uskip host test(s) ignored"; ufail=$((ufail + 1)); fi
	if grep -qE '^(warning|error)(\[|:)' "$log"; then
		grep -E -A3 '^(warning|error)(\[|:)' "$log" | head -20 | sed 's/^/    /'
		echo "  FAIL: cargo test printed $(grep -cE '^warning(\[|:)' "$log") warning(s) and $(grep -cE '^error(\[|:)' "$log") error line(s)"; ufail=$((ufail + 1))
	fi
}

# unittest_counts LOG RC: judge the log of `python3 -m unittest -v` that exited RC. Prints its
# test lines and sets ppass pfail pskip; a skipped test is also a failure, and so is a
# non-zero exit without a failed test (an import error, a crash).
unittest_counts() {
	local log=$1 rc=$2
	grep -E ' \.\.\. ' "$log" | sed 's/^/  /'
	ppass=$(grep -c ' \.\.\. ok$' "$log")
	pfail=$(grep -cE ' \.\.\. (FAIL|ERROR)$' "$log")
	pskip=$(grep -cE ' \.\.\. skipped' "$log")
	if [ "$pskip" -gt 0 ]; then echo "  FAIL: $pskip python test(s) skipped"; pfail=$((pfail + 1)); fi
	if [ "$rc" -ne 0 ] && [ "$pfail" -eq 0 ]; then tail -20 "$log"; pfail=1; fi
}

# closing_line: "N passed, N failed, N skipped" over the host (u*) and guest (g*) counts; its
# status is non-zero on any failure.
closing_line() {
	echo "$((upass + gpass)) passed, $((ufail + gfail)) failed, $((uskip + gskip)) skipped"
	[ $((ufail + gfail)) -eq 0 ]
}

# fail_fast STAGE: with INT3CALL_FAIL_FAST=1 (make mutants), stop after the first stage that
# counted a failure: print the closing line of what was counted so far, exit non-zero.
# Unset, it does nothing.
fail_fast() {
	[ "${INT3CALL_FAIL_FAST:-}" = 1 ] || return 0
	[ $((ufail + gfail)) -gt 0 ] || return 0
	echo "== INT3CALL_FAIL_FAST=1: stopping after the first failed stage ($1)"
	closing_line
	exit 1
}
