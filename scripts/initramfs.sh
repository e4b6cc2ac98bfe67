#!/usr/bin/env bash
# Pack the guest's initramfs: static busybox, /init, the module, ftrace's sample module and
# the selftests. Result: out/initramfs.cpio.gz
set -euo pipefail
source "$(dirname "$0")/settings.sh"
root=$(sysroot_dir)
tree=$root$(kernel_rel)
stage=$root/tmp/int3call-initramfs
rm -rf "$stage"
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,selftests}
cp "$root/usr/bin/busybox" "$stage/bin/busybox"
cp "$INT3CALL_TOP/scripts/guest-init" "$stage/init"
cp "$INT3CALL_OUT/int3call.ko" "$INT3CALL_OUT/int3call_foreign.ko" "$INT3CALL_OUT/int3call_probe.ko" "$stage/"
if [ -f "$tree/samples/ftrace/ftrace-ops.ko" ]; then cp "$tree/samples/ftrace/ftrace-ops.ko" "$stage/"; fi
cp -r "$INT3CALL_TOP/selftests/int3call" "$stage/selftests/"
cp "$INT3CALL_OUT/int3_user" "$stage/selftests/int3call/"
cp "$INT3CALL_OUT/udb_probe" "$stage/"
[ ! -d "$INT3CALL_TOP/scripts/guest" ] || cp -r "$INT3CALL_TOP/scripts/guest" "$stage/guest"
chmod +x "$stage/init" "$stage"/selftests/int3call/*.sh
in_sysroot "$root" sh -c 'cd /tmp/int3call-initramfs && find . | cpio -o -H newc --quiet | gzip -1' \
	>"$INT3CALL_OUT/initramfs.cpio.gz"
rm -rf "$stage"
echo "$INT3CALL_OUT/initramfs.cpio.gz"
