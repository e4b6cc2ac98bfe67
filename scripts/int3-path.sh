#!/usr/bin/env bash
# Part of `make check` (called by style.sh): the int3 path must not leave .kprobes.text. The
# die notifier (`notifier::on_die`, with every int3 handler of ours inlined into it) may call
# only code in .kprobes.text and the return thunk: anything else (a kernel-crate atomic's C
# helper, a panic on overflow, a function the compiler did not inline) is code a kprobe can
# land on while an int3 is being handled, and code that may print or sleep.
# Usage: int3-path.sh ROOT KO (KO's path inside the sysroot ROOT). Prints "ok: ..." or
# "FAIL: ..." and exits 0 or 1.
set -uo pipefail
source "$(dirname "$0")/settings.sh"
root=$1 ko=$2
dis=$(in_sysroot "$root" llvm-objdump -d -r --no-show-raw-insn --section=.kprobes.text "$ko") || {
	echo "FAIL: llvm-objdump could not read $ko"; exit 1; }
# Functions defined in .kprobes.text: the only targets a call from the handler may have.
inside=$(in_sysroot "$root" llvm-nm --defined-only "$ko" | awk '{print $3}' |
	grep -xFf <(echo "$dis" | sed -n 's/^[0-9a-f]* <\(.*\)>:$/\1/p'))
calls=$(echo "$dis" | awk '/^[0-9a-f]+ <.*>:$/ { f = $2 }
	f ~ /notifier6on_die/ && /R_X86_64_(PLT32|PC32)/ { t = $NF; sub(/[-+]0x[0-9a-f]+$/, "", t); print t }' | sort -u)
[ -n "$(echo "$dis" | grep 'notifier6on_die>:$')" ] || { echo "FAIL: no die notifier (on_die) in .kprobes.text of $ko"; exit 1; }
out=$(echo "$calls" | grep -vxF -e __x86_return_thunk -e .bss -e .data -e .rodata | grep -vxFf <(echo "$inside") || true)
if [ -n "$out" ]; then
	echo "FAIL: the die notifier calls out of .kprobes.text: $(echo $out | cut -c1-300)"
	exit 1
fi
echo "ok: the int3 path (on_die and the handlers inlined into it) calls nothing outside .kprobes.text"
