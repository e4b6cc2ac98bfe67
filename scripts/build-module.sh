#!/usr/bin/env bash
# Build int3call.ko, and the selftests' test-only module, against the cached test kernel of
# the current flavour, inside the sysroot. The sources are copied into the sysroot (no bind
# mount of the clone), so build outputs stay out of it.
# Result: $INT3CALL_OUT/int3call.ko, int3call_foreign.ko, int3call_probe.ko, int3_user and udb_probe
set -euo pipefail
source "$(dirname "$0")/settings.sh"
tree=$("$(dirname "$0")/kernel.sh")
root=$(sysroot_dir)
# INT3CALL_BUILD_TAG keeps a separate build (make mutants): kbuild judges by mtime, so a
# mutated copy must never share objects with the real sources.
src=/src/int3call-$INT3CALL_FLAVOUR${INT3CALL_BUILD_TAG:-}
[ "$INT3CALL_SERIES" = "$INT3CALL_SERIES_DEFAULT" ] || src=$src-$INT3CALL_SERIES
mods=selftests/int3call/test_modules
mkdir -p "$root$src" "$INT3CALL_OUT"
# tar keeps mtimes, so kbuild rebuilds only what changed.
# shellcheck disable=SC2046
tar -C "$INT3CALL_TOP" -cf - Kbuild $(module_sources) $mods/Makefile $mods/*.c | tar -C "$root$src" -xpf -
# objtool judges the code against the kernel's conventions (ORC, IBT, return thunks): any word
# from it is a defect. On one, drop the objects, so that the next build runs objtool again
# instead of passing on a cached object.
build() { # build DIR (inside the sysroot)
	local log=$root$1.build.log
	in_sysroot "$root" make -s -C "$(kernel_rel)" M="$1" LLVM=1 modules >"$log" 2>&1 ||
		{ cat "$log" >&2; die "build of $1 failed"; }
	cat "$log" >&2
	if grep -qE '(warning|error): objtool' "$log"; then
		find "$root$1" -name '*.o' -delete; rm -f "$root$1"/*.ko
		die "objtool: $(grep -cE '(warning|error): objtool' "$log") warning(s) building $1 (above); it must build clean"
	fi
}
build "$src"
build "$src/$mods"
cp "$root$src/int3call.ko" "$root$src/$mods/int3call_foreign.ko" "$root$src/$mods/int3call_probe.ko" "$INT3CALL_OUT/"
# The guests' user-mode helpers, static: the guest has no libc.
helper() { # helper SOURCE (relative to the top): out/<name>
	local name; name=$(basename "$1" .c)
	cp "$INT3CALL_TOP/$1" "$root$src/"
	in_sysroot "$root" cc -static -O2 -o "$src/$name" "$src/$name.c"
	cp "$root$src/$name" "$INT3CALL_OUT/"
}
helper selftests/int3call/int3_user.c # a user-mode int3, for ownership.sh
helper scripts/guest/udb_probe.c      # does the emulator raise #UD on UDB? (the kcfi guest)
echo "$INT3CALL_OUT/int3call.ko"
