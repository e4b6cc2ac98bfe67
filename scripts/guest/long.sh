#!/bin/sh
# A long torture: FLIPS flips per engine with emulate=new, to show that no call is missed over
# many flips (scripts/run-guest.sh long; not part of make check).
DBG=/sys/kernel/debug/int3call
insmod /int3call.ko
for e in kernel module; do
	w=0; [ $e = module ] && w=20
	start=$(date +%s)
	echo "threads=4 flips=${FLIPS:-10000} engine=$e emulate=new window_us=$w" > $DBG/torture; rc=$?
	echo "== $e: write rc=$rc, $(( $(date +%s) - start )) s (guest clock)"
	grep -E '^(verdict|flips|calls|v2|missed|corrupt|cb_livepatch|emulated_new|int3_hits|stale_int3|rewinds_gone|rewinds_flip|int3_foreign|window_real_us_avg|stopped):' $DBG/torture | tr '\n' ' '; echo
done
rmmod int3call
