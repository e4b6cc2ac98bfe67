#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Unloading while the site is patched restores it, on every engine, before the text goes
# away: the module reads both sites (its own and ftrace's) back after restoring them and logs
# the bytes, which must be the original NOPs (ops unregistered, static-call key back to none),
# and how many of the 4096 traced sites are not a NOP, which must be none. (A reload brings fresh text, so checking after a reload proves nothing.)
. "$(dirname "$0")/lib.sh"
setup
ENGINES="kernel module ftrace static_call"
# The fast paths, one a line: ENGINE CALLBACK STATE (the callback alone gives that state).
FAST="
module probe1 direct
kernel counter noregs
static_call probe1 direct"
ktap_plan $(( ($(count $ENGINES) + $(count_lines "$FAST")) * 3 + 1 ))
NOP5="0f 1f 44 00 00"

# restored_to_nop: the unload logged both sites restored to the NOP.
restored_to_nop() {
	_restored=$(klog | sed -n 's/.*unload: site restored to //p')
	ktap_diag "logged: site restored to ${_restored:-nothing}"
	test "$_restored" = "$NOP5, ftrace's site to $NOP5, 0 of 4096 sites not a NOP"
}

for engine in $ENGINES; do
	load_mod || die "insmod failed"
	dbg_write engine $engine
	# The batching engines flip the whole table, which unload must restore too.
	case $engine in kernel | module) dbg_write sites "count=4096 batch=256" ;; esac
	dbg_write callbacks +livepatch && dbg_write callbacks +counter
	ktap_check "$engine: site is patched (iterator) before unload" site_is iterator
	kmark
	ktap_check "$engine: rmmod with the site patched succeeds" unload_mod
	ktap_check "$engine: the unload logged the site restored to the NOP" restored_to_nop
done
# unload_from ENGINE CALLBACK STATE: the same, with the site (every site the engine batches)
# calling a fast path.
unload_from() {
	load_mod || die "insmod failed"
	dbg_write engine "$1"
	case $1 in kernel | module) dbg_write sites "count=4096 batch=256" ;; esac
	dbg_write callbacks "+$2"
	ktap_check "$1: site is patched ($3) before unload" site_is "$3"
	kmark
	ktap_check "$1, $3: rmmod with the site patched succeeds" unload_mod
	ktap_check "$1, $3: the unload logged the site restored to the NOP" restored_to_nop
}
each unload_from "$FAST"
ktap_check_no_splat
ktap_finish
