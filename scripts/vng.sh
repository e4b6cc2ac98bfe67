#!/usr/bin/env bash
# `make vng`: boot the test kernel with the sysroot's virtme-ng, on the sysroot's own root
# filesystem (vng's copy-on-write view of "the host", here trixie), and run the int3call
# selftests there with the kernel's own runner, from the kselftest install of
# kselftest-install.sh. TESTS="a.sh b.sh" runs only those (run_kselftest.sh -t int3call:a.sh).
# KVM when /dev/kvm really runs a guest, TCG otherwise; INT3CALL_VNG_ACCEL=kvm|tcg forces one.
# Output (printed: the runner's KTAP): out/vng.ktap (the runner's output), out/vng.out (its KTAP
# with each test's lines nested, for guest-verdict.sh), out/vng.console (the guest's kernel
# log) and out/vng.log (all vng printed). Exit status: vng's, 124 on timeout.
set -euo pipefail
source "$(dirname "$0")/settings.sh"
root=$("$INT3CALL_TOP/scripts/sysroot.sh")
tree=$("$INT3CALL_TOP/scripts/kernel.sh")
ksft=$("$INT3CALL_TOP/scripts/kselftest-install.sh")
rel=$(kernel_rel)
out=$INT3CALL_OUT
accel=${INT3CALL_VNG_ACCEL:-$("$INT3CALL_TOP/scripts/kvm-works.sh" "$tree/arch/x86/boot/bzImage")}
case $accel in
kvm) kvm_opt=() ;;
tcg) kvm_opt=(--disable-kvm) ;;
*) die "INT3CALL_VNG_ACCEL must be kvm or tcg, not $accel" ;;
esac
sel=(-c int3call)
if [ -n "${TESTS:-}" ]; then sel=(); for t in $TESTS; do sel+=(-t "int3call:$t"); done; fi
# debugfs and tracefs are where vng's init may not have mounted them; ftrace's sample module
# is in the tree (bench_smoke.sh runs it beside us). The runner's output and the kernel log go
# to files in out/ (a read-write share), not to vng's stdout, where the kernel console would
# interleave with them. Appended (>>): the runner writes each test's output through its own
# `4>>/dev/stdout`, a second open of the file; with a plain > the runner's own next line,
# written at the first open's offset, overwrote that output.
rm -f "$out/vng.ktap" "$out/vng.out" "$out/vng.console"
# vng links /dev/stdout to its own console port, not to the process's fd 1: the runner's
# `4>>/dev/stdout` then sent every test's own KTAP to vng's stdout, not to our file. Point it
# (in the guest's devtmpfs) where it points on any system.
guest="ln -sfn /proc/self/fd/1 /dev/stdout
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
cd $ksft && INT3CALL_FTRACE_OPS_KO=$rel/samples/ftrace/ftrace-ops.ko ./run_kselftest.sh ${sel[*]} >>$out/vng.ktap 2>&1
echo INT3CALL-GUEST-DONE rc=\$? >>$out/vng.ktap
dmesg >$out/vng.console"
log "vng ($accel): ${TESTS:-every int3call selftest} through run_kselftest.sh (log: $out/vng.log)"
rc=0
in_sysroot_sharing "$out" "$root" timeout --foreground -k 10 "${INT3CALL_GUEST_TIMEOUT:-1200}" \
	vng --run "$rel/arch/x86/boot/bzImage" --disable-microvm "${kvm_opt[@]}" --cpus 4 --memory 1G \
	--rwdir "$out" --verbose --append "panic=-1 oops=panic panic_on_warn=1" --exec "$guest" \
	</dev/null >"$out/vng.log" 2>&1 || rc=$?
# The kernel runner prefixes a test's own KTAP with "# "; guest-verdict.sh reads it nested.
touch "$out/vng.ktap" "$out/vng.console"
sed -nE 's/^# ((TAP|KTAP) version|1\.\.|(not )?ok [0-9])/    \1/p; /^(TAP version|1\.\.|(not )?ok [0-9]|INT3CALL-GUEST-DONE)/p' \
	"$out/vng.ktap" >"$out/vng.out"
cat "$out/vng.ktap"
exit $rc
