#!/usr/bin/env bash
# Print "kvm" if /dev/kvm really runs a guest here, else "tcg". Some hosts (this CI machine)
# have a /dev/kvm that opens but never runs a vCPU: QEMU then hangs without a word. The probe
# boots BZIMAGE with no init; a working KVM prints the kernel banner within seconds. The answer
# is kept for this boot of the host.
set -euo pipefail
source "$(dirname "$0")/settings.sh"
kernel=$1
cache=$INT3CALL_CACHE/kvm-works.$(cat /proc/sys/kernel/random/boot_id)
[ ! -f "$cache" ] || { cat "$cache"; exit 0; }
answer=tcg
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	root=$(sysroot_dir)
	probe=$(mktemp -d)
	in_sysroot_sharing "$probe" "$root" timeout -k 5 20 qemu-system-x86_64 -accel kvm -m 256M -nodefaults \
		-display none -no-reboot -serial "file:$probe/console" -kernel "${kernel#"$root"}" \
		-append "console=ttyS0 panic=-1 init=/int3call-no-init" </dev/null >/dev/null 2>&1 || true
	! grep -q 'Linux version' "$probe/console" 2>/dev/null || answer=kvm
	rm -rf "$probe"
fi
mkdir -p "$INT3CALL_CACHE"; echo "$answer" >"$cache"
echo "$answer"
