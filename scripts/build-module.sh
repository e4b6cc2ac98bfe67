#!/usr/bin/env bash
# Build int3call.ko, and the selftests' test-only module, against the cached test kernel of
# the current flavour, inside the sysroot. The sources are copied into the sysroot (no bind
# mount of the clone), so build outputs stay out of it.
# Result: $INT3CALL_OUT/int3call.ko, $INT3CALL_OUT/int3call_foreign.ko and $INT3CALL_OUT/int3_user
set -euo pipefail
source "$(dirname "$0")/settings.sh"
tree=$("$(dirname "$0")/kernel.sh")
root=$(sysroot_dir)
# INT3CALL_BUILD_TAG keeps a separate build (make mutants): kbuild judges by mtime, so a
# mutated copy must never share objects with the real sources.
src=/src/int3call-$INT3CALL_FLAVOUR${INT3CALL_BUILD_TAG:-}
mods=selftests/int3call/test_modules
mkdir -p "$root$src" "$INT3CALL_OUT"
# tar keeps mtimes, so kbuild rebuilds only what changed.
tar -C "$INT3CALL_TOP" -cf - Kbuild rust/*.rs rust/*.h $mods/Makefile $mods/*.c | tar -C "$root$src" -xpf -
in_sysroot "$root" make -s -C "$(kernel_rel)" M="$src" LLVM=1 modules >&2
in_sysroot "$root" make -s -C "$(kernel_rel)" M="$src/$mods" LLVM=1 modules >&2
cp "$root$src/int3call.ko" "$root$src/$mods/int3call_foreign.ko" "$root$src/$mods/int3call_probe.ko" "$INT3CALL_OUT/"
# A user-mode int3 for ownership.sh (static: the guest has no libc).
cp "$INT3CALL_TOP/selftests/int3call/int3_user.c" "$root$src/"
in_sysroot "$root" cc -static -O2 -o "$src/int3_user" "$src/int3_user.c"
cp "$root$src/int3_user" "$INT3CALL_OUT/"
echo "$INT3CALL_OUT/int3call.ko"
