#!/bin/sh
# The torture's verdicts side by side: new and old on both engines (their signatures), then
# every busted variant and the invariant it broke. `make verdicts` runs it.
DBG=/sys/kernel/debug/int3call
insmod /int3call.ko || exit 1
keys='verdict busted broken calls missed cb_livepatch cb_counter emulated_new emulated_old emulated_nop to_custom to_iterator int3_hits rewinds_gone rewinds_flip int3_foreign stale_int3'
show() {
	echo "== $*"
	for k in $keys; do printf '  %-13s %s\n' "$k:" "$(sed -n "s/^$k: //p" $DBG/torture)"; done
}
run() { echo "$1" >$DBG/torture 2>/dev/null; show "$1"; }
for e in kernel module; do
	w=0; [ $e = module ] && w=100
	for p in new old; do run "threads=4 flips=${FLIPS:-200} engine=$e emulate=$p window_us=$w"; done
done
for b in swap_emulation iter_drop lp_flaky; do
	for e in kernel module; do
		w=0; [ $e = module ] && w=100
		run "threads=4 flips=${FLIPS:-200} engine=$e window_us=$w busted=$b"
	done
done
for b in spin torn no_sync; do run "threads=4 flips=${FLIPS:-200} engine=module window_us=100 busted=$b"; done
rmmod int3call
