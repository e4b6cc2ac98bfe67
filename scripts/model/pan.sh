#!/bin/sh
# One spin run, inside the sysroot (scripts/model.sh calls it): pan.sh DIR KIND DEFINES...
# KIND is "safety" (assertions, exhaustive) or "progress" (non-progress cycles under weak
# fairness). Leaves pan's report in DIR/pan.out and, when pan found an error, the
# counterexample replayed by spin in DIR/trail.out (for safety, the shortest: pan -i).
set -e
dir=$1 kind=$2
shift 2
cd "$dir"
rm -f pan pan.[bchmpt] pan.out pan.short int3.pml.trail trail.out
spin -a "$@" int3.pml >spin.log 2>&1 || { cat spin.log; exit 2; }
case $kind in
safety) cc=-DSAFETY run="-m20000" ;;
progress) cc=-DNP run="-m20000 -l -f" ;;
*) echo "pan.sh: unknown kind $kind" >&2; exit 2 ;;
esac
# -O0: the runs are small, so compiling pan costs more than running it.
gcc -O0 -w $cc -o pan pan.c
# shellcheck disable=SC2086
./pan -w22 $run >pan.out 2>&1 || true
grep -q 'errors: [1-9]' pan.out || exit 0
if [ "$kind" = safety ]; then
	# Again for the shortest counterexample (-i needs -DREACH): cheap, bounded by the first.
	gcc -O0 -w -DSAFETY -DREACH -o pan pan.c
	./pan -w22 -m20000 -i >pan.short 2>&1 || true
fi
spin -T -t "$@" int3.pml >trail.out 2>&1 || true
