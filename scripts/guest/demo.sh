#!/bin/sh
# The demo, run inside the guest: load the module, flip the traced function's call site
# through nop -> custom -> iterator -> custom -> nop on both engines, calling it after each
# flip, and print what happened as a table.
set -e
DBG=/sys/kernel/debug/int3call
CALLS=1000
get() { sed -n "s/^$2: //p" "$DBG/$1"; }
w() { echo "$2" >"$DBG/$1"; }

insmod /int3call.ko
echo "int3call demo: the traced function is called $CALLS times after each step."
echo "v1 = original body ran, v2 = the live patch applied. A call that hits the int3 while a"
echo "flip is in flight is emulated (int3 hits / emulated); see the torture for those."
echo
printf '%-7s %-14s %-9s %-8s %-7s %6s %6s %6s %9s %8s %5s %8s %5s\n' \
	engine step state site emulate calls v1 v2 livepatch counter int3 emulated flips
for engine in kernel module; do
	w engine $engine
	w stats reset
	for step in +livepatch +counter -counter -livepatch; do
		w callbacks $step
		w call $CALLS
		emul=$(( $(get stats emulated_new) + $(get stats emulated_old) + $(get stats emulated_nop) ))
		printf '%-7s %-14s %-9s %-8s %-7s %6s %6s %6s %9s %8s %5s %8s %5s\n' \
			$engine "$step" "$(get mode state)" "$(get mode site | cut -c1-2)..." "$(cat $DBG/emulate)" \
			"$(get call calls)" "$(get call v1)" "$(get call v2)" \
			"$(get stats cb_livepatch)" "$(get stats cb_counter)" "$(get stats int3_hits)" "$emul" \
			"$(( $(get stats flips_kernel) + $(get stats flips_module) ))"
	done
done
echo
echo "forced flips through mode (livepatch registered, kernel engine):"
w engine kernel
w callbacks +livepatch
for m in iterator nop custom auto; do
	w mode $m
	w call $CALLS
	printf '  mode=%-9s -> state %-9s site %s  v1=%s v2=%s\n' $m "$(get mode state)" "$(get mode site)" "$(get call v1)" "$(get call v2)"
done
w mode auto
w callbacks -livepatch
echo
echo "the fastest path one callback allows (kernel engine): the live patch needs pt_regs, the"
echo "counter only its arguments kept, a probe nothing (it keeps every register itself):"
for cb in livepatch counter probe1; do
	w callbacks +$cb
	w call $CALLS
	printf '  %-9s alone -> state %-8s site %s  v1=%s v2=%s\n' $cb "$(get mode state)" "$(get mode site)" "$(get call v1)" "$(get call v2)"
	w callbacks -$cb
done
echo
echo "under fire: 4 threads call the traced function while the site flips custom <-> iterator"
echo "(live patch registered throughout, so every v1 result is a missed call):"
printf '%-7s %-7s %6s %10s %10s %9s %9s %8s  %s\n' engine emulate flips calls missed int3hits emulated rewinds verdict
for engine in kernel module; do
	for p in nop new old; do
		win=0; [ $engine = module ] && win=100
		w torture "threads=4 flips=${TORTURE_FLIPS:-200} engine=$engine emulate=$p window_us=$win"
		t() { get torture "$1"; }
		printf '%-7s %-7s %6s %10s %10s %9s %9s %8s  %s\n' $engine $p "$(t flips)" "$(t calls)" "$(t missed)" \
			"$( [ $engine = module ] && t int3_hits || echo -)" "$(( $(t emulated_new) + $(t emulated_old) + $(t emulated_nop) ))" \
			"$(( $(t rewinds_gone) + $(t rewinds_flip) ))" "$(t verdict)"
	done
done
echo "int3hits: hits our die notifier emulated (module engine; the kernel's own handler takes the"
echo "kernel engine's). emulated: hits that reached an emulation stub, on either engine."
rmmod int3call
echo "rmmod: site restored, module unloaded"
