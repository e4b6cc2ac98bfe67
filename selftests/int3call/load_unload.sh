#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The module loads (its load-time self-test passes), shows up, and unloads cleanly.
. "$(dirname "$0")/lib.sh"
setup
ktap_plan 6
ktap_check "insmod succeeds" load_mod
ktap_check "module is listed in /proc/modules" is_loaded
ktap_check "load log reports the self-test passed" sh -c 'dmesg | grep -q "int3call: self-test passed"'
ktap_check "rmmod succeeds" unload_mod
ktap_check "debugfs directory is gone after unload" test ! -e "$DBG"
ktap_check_no_splat
ktap_finish
