#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A stack trace taken inside a callback unwinds through our asm: callback, trampoline (custom,
# no-regs or iterator), the traced function just after its site (+0x5), the asm that calls it
# with canaries in the callee-saved registers, then its caller in the module, and on through
# the kernel to the system call, with no unwinder error (what livepatch's reliable stack
# check needs). Fails if objtool wrote no ORC data for the trampoline or the traced function.
. "$(dirname "$0")/lib.sh"
setup
ktap_plan 11
load_mod || die "insmod failed"

# frames: the symbols the latest `echo run > unwind` (after the latest kmark) logged, one per line.
frames() { klog | sed -n 's/.*int3call: unwind: #[0-9]* //p'; }
# chain_ok SYM...: the trace starts in the callback (int3call_counter, unless it tail-called
# the capture), then has exactly SYM... (each a symbol+offset prefix), then a function of ours
# that is neither our asm, a callback, nor the traced function: its caller. The guess
# unwinder, or a frame without ORC data, puts stale or missing return addresses in between.
chain_ok() {
	frames | awk -v want="$*" '
		BEGIN { n = split(want, w, " "); i = 1; res = 1 }
		i == 1 && /^int3call_counter\+/ { next }
		i <= n { if (index($0, w[i]) != 1) exit; i++; next }
		{ res = !(/\[int3call\]$/ && !/^int3call_(traced|tramp|noregs|iterate|livepatch|counter|probe[0-9])/); exit }
		END { exit res }'
}
frames_have() { frames | grep -q "$1"; }
show_frames() { frames | sed 's/^/# /'; }
refusal_says_why() { klog | grep -q 'int3call: unwind: the site (nop) does not call the counter'; }

ktap_check "unwind is refused while the site is a NOP" dbg_refuses unwind run
ktap_check "the refusal says why" refusal_says_why

dbg_write callbacks +counter
kmark
# The write fails (EIO) unless the trace was reliable: no unwinder error, no unknown return
# address, and the walk reached the system call's entry registers. The counter alone takes its
# no-regs trampoline, which saves seven registers with pushes that only ORC data describes.
ktap_check "no-regs trampoline: unwind runs, reliably" dbg_write unwind run
show_frames
ktap_check "noregs: callback <- int3call_noregs_counter <- int3call_traced+0x5 <- int3call_traced_checked <- our caller" \
	chain_ok int3call_noregs_counter+ int3call_traced+0x5/ int3call_traced_checked+
ktap_check "noregs: the walk leaves the module through vfs_write" frames_have '^vfs_write+'

dbg_write mode custom
kmark
ktap_check "custom trampoline: unwind runs, reliably" dbg_write unwind run
show_frames
ktap_check "custom: callback <- int3call_tramp_counter <- int3call_traced+0x5 <- int3call_traced_checked <- our caller" \
	chain_ok int3call_tramp_counter+ int3call_traced+0x5/ int3call_traced_checked+
ktap_check "custom: the walk leaves the module through vfs_write" frames_have '^vfs_write+'

dbg_write mode auto
dbg_write callbacks +probe1
kmark
ktap_check "iterator trampoline: unwind runs, reliably" dbg_write unwind run
show_frames
ktap_check "iterator: callback <- int3call_iterate <- int3call_tramp_iterator <- int3call_traced+0x5 <- int3call_traced_checked <- our caller" \
	chain_ok int3call_iterate+ int3call_tramp_iterator+ int3call_traced+0x5/ int3call_traced_checked+
ktap_check_no_splat
ktap_finish
