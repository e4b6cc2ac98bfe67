#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Unloading while the site is patched restores it (on both engines), the log stays clean,
# and a reload starts from a NOP site with no callbacks.
. "$(dirname "$0")/lib.sh"
setup
ktap_plan 9
for engine in kernel module; do
	load_mod || die "insmod failed"
	dbg_write engine $engine
	dbg_write callbacks +livepatch && dbg_write callbacks +counter
	ktap_check "$engine: site is patched (iterator) before unload" site_is iterator
	ktap_check "$engine: rmmod with the site patched succeeds" unload_mod
	load_mod || die "reload failed"
	ktap_check "$engine: after reload the site is the original NOP" \
		test "$(dbg_get mode state) $(dbg_get mode site)" = "nop 0f 1f 44 00 00"
	ktap_check "$engine: after reload no callback is registered, calls run v1" \
		sh -c ". ./lib.sh; test -z \"\$(cat $DBG/callbacks)\" && calls_give 20 20 0"
	unload_mod
done
ktap_check_no_splat
ktap_finish
