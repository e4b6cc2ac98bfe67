#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The subset of the kernel's tools/testing/selftests/kselftest/ktap_helpers.sh that lib.sh
# uses, with the same names and output, for where that file is not beside us (our busybox
# guest). In a kernel tree or a kselftest install, lib.sh sources the kernel's own instead.
KSFT_PASS=0 KSFT_FAIL=1 KSFT_SKIP=4
KTAP_TESTNO=1 KTAP_CNT_PASS=0 KTAP_CNT_FAIL=0 KTAP_CNT_SKIP=0 KTAP_CNT_XFAIL=0
KSFT_NUM_TESTS=0

ktap_print_header() { echo "TAP version 13"; }
ktap_set_plan() { KSFT_NUM_TESTS=$1; echo "1..$1"; }
ktap_skip_all() { echo "1..0 # SKIP $*"; }
ktap_print_msg() { echo "# $*"; }
_ktap_line() { echo "$1 $KTAP_TESTNO $2${3:+ # $3}"; KTAP_TESTNO=$((KTAP_TESTNO + 1)); }
ktap_test_pass() { _ktap_line ok "$1"; KTAP_CNT_PASS=$((KTAP_CNT_PASS + 1)); }
ktap_test_fail() { _ktap_line "not ok" "$1"; KTAP_CNT_FAIL=$((KTAP_CNT_FAIL + 1)); }
ktap_test_skip() { _ktap_line ok "$1" SKIP; KTAP_CNT_SKIP=$((KTAP_CNT_SKIP + 1)); }
ktap_print_totals() {
	echo "# Totals: pass:$KTAP_CNT_PASS fail:$KTAP_CNT_FAIL xfail:$KTAP_CNT_XFAIL xpass:0 skip:$KTAP_CNT_SKIP error:0"
}
# Passes only when every planned point ran and none failed.
ktap_finished() {
	ktap_print_totals
	[ $((KTAP_CNT_PASS + KTAP_CNT_SKIP + KTAP_CNT_XFAIL)) -eq "$KSFT_NUM_TESTS" ] && exit "$KSFT_PASS"
	exit "$KSFT_FAIL"
}
