#!/bin/sh
# The demo, run inside the guest: load the module and show what it did.
set -e
DBG=/sys/kernel/debug/int3call
echo "== insmod int3call.ko"
insmod /int3call.ko
dmesg | grep 'int3call:' | sed 's/^\[[^]]*\] /   /'
echo "== $DBG/selftest (an int3 in module text, turned into a call by the Rust int3_emulate_call)"
sed 's/^/   /' $DBG/selftest
echo "== echo run > selftest; cat stats"
echo run >$DBG/selftest
sed 's/^/   /' $DBG/stats
rmmod int3call
echo "== rmmod: done"
