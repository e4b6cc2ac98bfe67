#!/usr/bin/env bash
# Boot the test kernel under QEMU TCG with the module and run MODE in the guest
# (check | demo | any scripts/guest/MODE.sh). Output: out/MODE.out (ours, from ttyS1) and
# out/MODE.console (the kernel console). Exit status: QEMU's, or 124 on timeout.
# Extra QEMU arguments may follow the mode (e.g. -icount shift=0,sleep=off). Environment:
# INT3CALL_QEMU (sysroot, the default: trixie's QEMU run inside the sysroot; host: the host's),
# INT3CALL_ACCEL (default tcg,thread=multi; icount needs tcg,thread=single), INT3CALL_APPEND
# (more kernel command line; unknown key=value words become the guest scripts' environment).
set -euo pipefail
source "$(dirname "$0")/settings.sh"
mode=${1:-check}; shift || true
root=$(sysroot_dir)
out=$INT3CALL_OUT
rm -f "$out/$mode.out" "$out/$mode.console"
# Inside the sysroot, out/ is shared at the same path and the kernel is at its sysroot path.
if [ "$INT3CALL_QEMU" = sysroot ]; then
	kernel=$(kernel_rel)/arch/x86/boot/bzImage
	runner=(in_sysroot_sharing "$out" "$root")
else
	kernel=$root$(kernel_rel)/arch/x86/boot/bzImage
	runner=()
fi
# Without ACPI the kernel reads the MP table, which lists one CPU per socket: hence sockets=4.
rc=0
"${runner[@]}" timeout --foreground -k 10 "${INT3CALL_GUEST_TIMEOUT:-1200}" qemu-system-x86_64 \
	-accel "${INT3CALL_ACCEL:-tcg,thread=multi}" -smp 4,sockets=4 -m 1G \
	-display none -monitor none -no-reboot \
	-serial "file:$out/$mode.console" -serial "file:$out/$mode.out" \
	-kernel "$kernel" -initrd "$out/initramfs.cpio.gz" \
	-append "console=ttyS0 panic=-1 oops=panic panic_on_warn=1 int3call_run=$mode ${INT3CALL_APPEND:-}" \
	"$@" </dev/null || rc=$?
exit $rc
