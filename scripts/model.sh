#!/usr/bin/env bash
# `make model`: the spin model of the int3 protocol (scripts/model/int3.pml, which says why it
# exists; batch.pml, two sites in one batch) on the step tables the code emits
# (rust/protocol.rs, test emit_model_steps). Prints
# each property's result with pan's states, memory and time, then spin's verdict on every
# protocol mutant and busted variant, with the trail of each counterexample, and ends
# "model: N passed, N failed". A point passes when spin's verdict is the expected one: every
# property holds for the code (the nop emulation's missed call must be found), every mutant
# caught, and the benign ones pass for the reason stated here. Exit status non-zero on a
# failed point. Spin and gcc run inside the sysroot; the whole run is about a minute.
set -uo pipefail
source "$(dirname "$0")/settings.sh"
cd "$INT3CALL_TOP"
root=$("$INT3CALL_TOP/scripts/sysroot.sh") || exit 1
start=$(date +%s)
# The bounds: 2 caller CPUs, 2 executions each, 2 flips (call custom -> call iterator ->
# nop), one foreign int3 owner; exhaustive search (no bitstate), depth limit 20000.
BOUNDS=${INT3CALL_MODEL_BOUNDS:--DNCPU=2 -DNEXEC=2 -DNFLIPS=2}
work=$(mktemp -d /tmp/int3call-model.XXXXXX)
trap 'rm -rf "$work"; rmdir "$root$work" 2>/dev/null' EXIT
pass=0 fail=0
ok() { echo "  ok: $1"; pass=$((pass + 1)); }
bad() { echo "  FAIL: $1"; fail=$((fail + 1)); }

# The tables, as the code has them: the host test writes them (never a copy kept here).
mkdir -p "$work/code" "$work/mutants"
if ! (cd rust/host && INT3CALL_MODEL_OUT="$work/code" cargo test --offline --lib -q emit_model_steps) \
	>"$work/cargo.log" 2>&1 || [ ! -s "$work/code/steps.pml" ]; then
	tail -20 "$work/cargo.log"
	echo "  FAIL: rust/protocol.rs did not emit the step tables"
	echo "model: 0 passed, 1 failed"
	exit 1
fi
cp scripts/model/int3.pml scripts/model/pan.sh "$work/code/"
cp "$work/code/"* "$work/mutants/"
# Table mutants, made from the emitted INT3_PROTOCOL in a copy: each sync dropped, byte 0
# before the tail, the whole instruction at once.
proto=$(sed -n '/^inline steps_int3_protocol() {$/,/^}$/p' "$work/code/steps.pml" | sed '1d;$d')
mutant() { printf 'inline steps_mut_%s() {\n%s\n}\n' "$1" "$2" >>"$work/mutants/steps.pml"; }
for n in 1 2 3; do mutant "drop_sync$n" "$(echo "$proto" | grep -vx "	sync($n);")"; done
mutant byte0_before_tail "$(echo "$proto" | sed 's/write_tail/SWAP/; s/write_byte0/write_tail/; s/SWAP/write_byte0/')"
mutant write_all "$(printf '\twrite_all();\n\tskip')"
# The batch model runs as int3.pml in a directory of its own, with the same tables.
mkdir -p "$work/batch"
cp "$work/mutants/steps.pml" scripts/model/pan.sh "$work/batch/"
cp scripts/model/batch.pml "$work/batch/int3.pml"

# run DIR KIND DEFINES...: one spin run; sets r_err (0 = holds), r_what, r_states, r_mem, r_time
run() {
	local dir=$1 kind=$2 out d name
	shift 2
	# A -D switch the model never reads would run the default silently (a renamed switch did).
	for d in $BOUNDS "$@"; do
		case $d in -D*) name=${d#-D}; name=${name%%=*} ;; *) continue ;; esac
		if ! grep -qw "$name" "$work/$dir/int3.pml"; then
			r_err=1 r_what="-D$name: a switch int3.pml never reads" r_states=0 r_mem=0 r_time=0
			return
		fi
	done
	# shellcheck disable=SC2086
	if ! in_sysroot_sharing "$work" "$root" sh "$work/$dir/pan.sh" "$work/$dir" "$kind" $BOUNDS "$@" >"$work/run.log" 2>&1; then
		r_err=1 r_what="spin or gcc failed: $(head -3 "$work/run.log" | tr '\n' ' ')" r_states=0 r_mem=0 r_time=0
		return
	fi
	out=$work/$dir/pan.out
	r_err=$(sed -n 's/.*errors: \([0-9]*\)$/\1/p' "$out")
	r_states=$(awk '/states, stored/ { print $1; exit }' "$out")
	r_mem=$(awk '/total actual memory usage/ { print $1; exit }' "$out")
	r_time=$(sed -n 's/^pan: elapsed time \([0-9.e+-]*\) seconds$/\1/p' "$out")
	r_what=$(sed -n 's/^pan:1: assertion violated *!(\([a-z0-9_]*\)).*/\1/p; s/^pan:1: \(non-progress cycle\).*/\1/p' "$out" | head -1)
	if grep -q 'max search depth too small' "$out"; then r_err=1 r_what="search depth too small: incomplete"; fi
	[ -n "$r_err" ] || { r_err=1 r_what="no verdict from pan: $(tail -2 "$out" | tr '\n' ' ')"; }
}
stats() { echo "$r_states states, $r_mem MB, $r_time s"; }
# The counterexample, as the model's own printf lines (spin -T -t). For a cycle: what the
# flipper and the foreign owner did before it, then the cycle's first lines.
trail() {
	local t=$work/$1/trail.out
	[ -f "$t" ] || return 0
	sed -n '/^spin: trail ends/q; /^spin: text of failed/d; /^spin: couldn.t find claim/d; p' "$t" >"$t.short"
	echo "      trail:"
	if grep -q 'START OF CYCLE' "$t.short"; then
		sed -n '/START OF CYCLE/q; /^\(flipper\|foreign\):/p' "$t.short" | sed 's/^/      | /'
		echo "      | ($(sed -n '/START OF CYCLE/q; p' "$t.short" | grep -vc '^\(flipper\|foreign\):') caller lines left out)"
		sed -n '/START OF CYCLE/,$p' "$t.short" | head -9 | sed 's/^/      | /'
		echo "      | ... (the cycle repeats)"
	else
		sed 's/^/      | /' "$t.short"
	fi
}

echo "== model: spin $(in_sysroot "$root" spin -V | awk '{ print $3 }') on scripts/model/int3.pml, tables emitted by rust/protocol.rs"
echo "   bounds: $BOUNDS (1 foreign int3 owner), exhaustive, pan -m20000 -w22"
# The guard itself: a switch the model does not read must fail its point, not run the default.
run code safety -DINT3CALL_NO_SUCH_SWITCH=1
case $r_what in
*"a switch int3.pml never reads") ok "a -D switch int3.pml never reads is refused (-DINT3CALL_NO_SUCH_SWITCH)" ;;
*) bad "a -D switch int3.pml never reads ran anyway (${r_what:-no error})" ;;
esac
echo "-- properties of the code (module engine: INT3_PROTOCOL and on_int3; kernel engine: alternative.c)"
# prop LABEL KIND EXPECT DEFINES...: one point (EXPECT: holds, or the violation spin must find)
prop() {
	local label=$1 kind=$2 expect=$3
	shift 3
	run "$PDIR" "$kind" "$@"
	if [ "$expect" = holds ]; then
		if [ "$r_err" = 0 ]; then ok "$label: holds ($(stats))"
		else bad "$label: VIOLATED, ${r_what:-error} ($(stats))"; trail "$PDIR"; fi
	else
		if [ "$r_err" != 0 ] && [ "$r_what" = "$expect" ]; then ok "$label: violated as expected, $r_what ($(stats))"
		else bad "$label: expected $expect, got ${r_what:-none} ($(stats))"; fi
		trail "$PDIR"
	fi
}
PDIR=code VDIR=mutants
M="-DENGINE=0" K="-DENGINE=1" NEW="-DEMULATION=0" OLD="-DEMULATION=1" NOP="-DEMULATION=2"
prop "(a) no torn instruction executes [module, new]" safety holds $M $NEW -DCHECK_A=1
prop "(a) no torn instruction executes [kernel, new]" safety holds $K $NEW -DCHECK_A=1
prop "(b) our int3s always claimed, a foreign one never [module, new]" safety holds $M $NEW -DCHECK_B=1
prop "(b) our int3s always claimed, a foreign one never [kernel, new]" safety holds $K $NEW -DCHECK_B=1
prop "(c) one call to a legal target; a trap as the emulation's [module, new]" safety holds $M $NEW -DCHECK_C=1
prop "(c) one call to a legal target; a trap as the emulation's [module, old]" safety holds $M $OLD -DCHECK_C=1
prop "(c) one call to a legal target; a trap as the emulation's [kernel, new]" safety holds $K $NEW -DCHECK_C=1
prop "(c) one call to a legal target; a trap as the emulation's [kernel, old]" safety holds $K $OLD -DCHECK_C=1
prop "(d) nop emulation: the 2019 missed call is found [module, nop]" safety c_call_missed_or_illegal $M $NOP -DCHECK_C=1
prop "(e) no CPU sent back to the site forever (non-progress cycles, weak fairness) [module, new]" progress holds $M $NEW
prop "(e) no CPU sent back to the site forever (non-progress cycles, weak fairness) [kernel, new]" progress holds $K $NEW
prop "(e) is not vacuous: claim_foreign rewinds a kept foreign int3 forever [module, new]" progress "non-progress cycle" \
	$M $NEW -DCLAIM_FOREIGN=1
prop "(f) the window closes only with no handler in it [module, new]" safety holds $M $NEW -DCHECK_F=1
prop "(f) the window closes only with no handler in it [kernel, new]" safety holds $K $NEW -DCHECK_F=1

echo "-- mutants and busted variants (module engine, emulation new; all of (a) (b) (c) (f), then (e) where they hold)"
# variant LABEL EXPECT DEFINES...: EXPECT is "caught:ASSERTION" (the property spin must find
# broken first), "benign: REASON" (safety and progress hold, for that reason) or "outside:
# REASON" (a bug the model does not contain: its table must pass the safety properties).
VCHECKS="-DCHECK_A=1 -DCHECK_B=1 -DCHECK_C=1 -DCHECK_F=1"
variant() {
	local label=$1 expect=$2 s_err s_what s_stats verdict
	shift 2
	run "$VDIR" safety $VCHECKS "$@"
	s_err=$r_err s_what=$r_what s_stats=$(stats)
	verdict="safety: ${s_what:-holds} ($s_stats)"
	case "$expect" in
	caught:*)
		if [ "$s_err" != 0 ] && [ "$s_what" = "${expect#caught:}" ]; then ok "$label: caught. $verdict"
		else bad "$label: expected ${expect#caught:}. $verdict"; fi
		trail "$VDIR" ;;
	outside:*)
		if [ "$s_err" = 0 ]; then ok "$label: passes; ${expect#outside: }. $verdict"
		else bad "$label: expected to pass. $verdict"; trail "$VDIR"; fi ;;
	benign:*)
		if [ "$s_err" != 0 ]; then bad "$label: expected benign. $verdict"; trail "$VDIR"; return; fi
		run "$VDIR" progress "$@"
		verdict="$verdict; progress: ${r_what:-holds} ($(stats))"
		if [ "$r_err" = 0 ]; then ok "$label: passes, benign under the model: ${expect#benign: }. $verdict"
		else bad "$label: expected benign. $verdict"; trail "$VDIR"; fi ;;
	esac
}
variant "mutant drop_sync1 (no sync after the int3)" caught:a_torn_instruction_ran -DSTEPS=steps_mut_drop_sync1
variant "mutant drop_sync2 (no sync after the tail)" caught:a_torn_instruction_ran -DSTEPS=steps_mut_drop_sync2
variant "mutant drop_sync3 (no sync after byte 0)" caught:f_window_closed_on_a_handler -DSTEPS=steps_mut_drop_sync3
variant "mutant byte0_before_tail" caught:a_torn_instruction_ran -DSTEPS=steps_mut_byte0_before_tail
variant "mutant write_all (the whole instruction at once)" caught:a_torn_instruction_ran -DSTEPS=steps_mut_write_all
variant "mutant rewind_gone_nop (handler jumps to the site, not past a NOP that stands)" \
	"benign: the rewound CPU leaves the handler into sync 3's pending IPI, whose refresh makes it fetch the NOP" \
	-DREWIND_GONE_NOP=1
variant "mutant claim_foreign (handler rewinds an int3 no flip of ours owns)" caught:b_foreign_int3_claimed -DCLAIM_FOREIGN=1
variant "busted=swap_emulation" caught:c_trap_off_emulation -DSTEPS=steps_busted_swap_emulation -DSWAP_EMULATION=1
variant "busted=iter_drop" "outside: the iterator's callbacks are not modelled, and its table is INT3_PROTOCOL" \
	-DSTEPS=steps_busted_iter_drop
variant "busted=lp_flaky" "outside: the live patch callback is not modelled, and its table is INT3_PROTOCOL" \
	-DSTEPS=steps_busted_lp_flaky
variant "busted=spin" "benign: the rewound CPU traps again only until byte 0 is written and sync 3 lands, then runs the new instruction (the guest's verdict counts the rewinds)" \
	-DSTEPS=steps_busted_spin -DBUSTED_SPIN=1
variant "busted=torn" caught:a_torn_instruction_ran -DSTEPS=steps_busted_torn
variant "busted=no_sync" caught:a_torn_instruction_ran -DSTEPS=steps_busted_no_sync

echo "-- a batch of two sites (scripts/model/batch.pml): each step over both sites, then one sync;"
echo "   a CPU traps on one site while the other's tail is written, and the handler finds its site"
PDIR=batch VDIR=batch VCHECKS="-DCHECK_A=1 -DCHECK_C=1 -DCHECK_F=1 -DCHECK_G=1"
prop "batch (a) no torn instruction on either site [module, new]" safety holds $M $NEW -DCHECK_A=1
prop "batch (a) no torn instruction on either site [kernel, new]" safety holds $K $NEW -DCHECK_A=1
prop "batch (c) one call to a legal target of the site called [module, new]" safety holds $M $NEW -DCHECK_C=1
prop "batch (c) one call to a legal target of the site called [module, old]" safety holds $M $OLD -DCHECK_C=1
prop "batch (c) one call to a legal target of the site called [kernel, new]" safety holds $K $NEW -DCHECK_C=1
prop "batch (d) nop emulation: the missed call is found [module, nop]" safety c_call_missed_or_illegal $M $NOP -DCHECK_C=1
prop "batch (e) no CPU sent back forever (non-progress cycles) [module, new]" progress holds $M $NEW
prop "batch (f) the window closes only with no handler in it [module, new]" safety holds $M $NEW -DCHECK_F=1
prop "batch (f) the window closes only with no handler in it [kernel, new]" safety holds $K $NEW -DCHECK_F=1
prop "batch (g) an emulated call returns into the site it trapped on [module, new]" safety holds $M $NEW -DCHECK_G=1
prop "batch (g) an emulated call returns into the site it trapped on [kernel, new]" safety holds $K $NEW -DCHECK_G=1
variant "batch: mutant drop_sync1" caught:a_torn_instruction_ran -DSTEPS=steps_mut_drop_sync1
variant "batch: mutant drop_sync2" caught:a_torn_instruction_ran -DSTEPS=steps_mut_drop_sync2
variant "batch: mutant byte0_before_tail" caught:a_torn_instruction_ran -DSTEPS=steps_mut_byte0_before_tail
variant "batch: busted=neighbour (the lookup finds the other site)" caught:g_returned_into_another_site \
	-DSTEPS=steps_busted_neighbour -DNEIGHBOUR=1
variant "batch: busted=skip_site (site B left unwritten)" caught:c_call_missed_or_illegal \
	-DSTEPS=steps_busted_skip_site -DSKIP_SITE=1

echo "== model wall time $(($(date +%s) - start)) s"
echo "model: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
