#!/bin/sh
# Guest mode kcfi (make check, scripts/kcfi-check.sh judges it): kCFI is enforced in this
# kernel. The module loads and runs its self-test (the die notifier, debugfs and kthread
# callbacks are indirect calls from C into Rust, each checked against its type hash), then
# LKDTM's CFI_FORWARD_PROTO calls a function through a pointer of the wrong type. With kCFI
# the kernel traps ("CFI failure at ...") and, with oops=panic, the guest stops there; a
# kernel without kCFI survives the call and LKDTM logs "FAIL: survived".
DBG=/sys/kernel/debug/int3call
# First the emulator: kCFI's trap on 7.3 is the UDB byte, which must raise #UD.
/udb_probe
insmod /int3call.ko || { echo "kcfi: insmod failed"; exit 1; }
echo run >$DBG/selftest && echo "kcfi: self-test under kCFI: $(sed -n 's/^result: //p' $DBG/selftest)"
rmmod int3call && echo "kcfi: module unloaded"
echo "kcfi: calling through a mistyped pointer (LKDTM CFI_FORWARD_PROTO)"
echo CFI_FORWARD_PROTO >/sys/kernel/debug/provoke-crash/DIRECT
echo "kcfi: survived the mistyped call"
