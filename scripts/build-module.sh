#!/usr/bin/env bash
# Build int3call.ko against the cached test kernel, inside the sysroot. The sources are
# copied into the sysroot (no bind mount of the clone), so build outputs stay out of it.
# Result: out/int3call.ko
set -euo pipefail
source "$(dirname "$0")/settings.sh"
tree=$("$(dirname "$0")/kernel.sh")
root=$(sysroot_dir)
src=/src/int3call
mkdir -p "$root$src" "$INT3CALL_TOP/out"
# tar keeps mtimes, so kbuild rebuilds only what changed.
tar -C "$INT3CALL_TOP" -cf - Kbuild rust/*.rs rust/*.h | tar -C "$root$src" -xpf -
in_sysroot "$root" make -s -C "$(kernel_rel)" M="$src" LLVM=1 modules >&2
cp "$root$src/int3call.ko" "$INT3CALL_TOP/out/int3call.ko"
echo "$INT3CALL_TOP/out/int3call.ko"
