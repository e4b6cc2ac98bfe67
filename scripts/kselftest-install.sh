#!/usr/bin/env bash
# Put selftests/int3call into the test kernel's tree as tools/testing/selftests/int3call, and
# let the kernel's own kselftest build install it, as a developer would in their tree:
#   make -C tools/testing/selftests TARGETS=int3call LLVM=1 INT3CALL_SRC=... install INSTALL_PATH=...
# That builds int3call.ko and the test-only modules against the tree (TEST_GEN_MODS_DIR) and
# the int3 helper (TEST_GEN_FILES), and writes run_kselftest.sh and kselftest-list.txt.
# Result: $INT3CALL_OUT/kselftest (printed), a path that is the same inside the sysroot.
set -euo pipefail
source "$(dirname "$0")/settings.sh"
root=$("$INT3CALL_TOP/scripts/sysroot.sh")
tree=$("$INT3CALL_TOP/scripts/kernel.sh")
rel=$(kernel_rel)
# rsync: lib.mk's install copies with it.
in_sysroot "$root" dpkg-query -W rsync >/dev/null 2>&1 || die "rsync is missing from the sysroot (INT3CALL_SYSROOT_TOOLS)"
# The module's sources, where the kselftest Makefile is told to find them (INT3CALL_SRC).
src=/src/int3call-ksft${INT3CALL_BUILD_TAG:-}-$INT3CALL_FLAVOUR-$INT3CALL_SERIES
rm -rf "$root$src"; mkdir -p "$root$src"
# shellcheck disable=SC2046
tar -C "$INT3CALL_TOP" -cf - Kbuild $(module_sources) |
	tar -C "$root$src" -xpf -
rm -f "$root$src/rust/extra_bindings.rs"
target=$tree/tools/testing/selftests/int3call
rm -rf "$target"
cp -r "$INT3CALL_TOP/selftests/int3call" "$target"
dest=$INT3CALL_OUT/kselftest
rm -rf "$dest"; mkdir -p "$dest"
log=$INT3CALL_OUT/kselftest-install.log
if ! in_sysroot_sharing "$INT3CALL_OUT" "$root" make -C "$rel/tools/testing/selftests" TARGETS=int3call LLVM=1 \
	INT3CALL_SRC="$src" install INSTALL_PATH="$dest" >"$log" 2>&1; then
	tail -30 "$log" >&2; die "kselftest install failed (log: $log)"
fi
if grep -E '(warning|error): objtool' "$log" >&2; then die "objtool warnings in the kselftest build (log: $log)"; fi
for f in run_kselftest.sh kselftest-list.txt kselftest/ktap_helpers.sh int3call/lib.sh int3call/int3_user \
	int3call/test_modules/int3call.ko int3call/test_modules/int3call_foreign.ko int3call/test_modules/int3call_probe.ko; do
	[ -e "$dest/$f" ] || die "the kselftest install has no $f (log: $log)"
done
# The kernel's list must name every test program, no more, no less.
want=$(selftest_progs | sed 's/^/int3call:/')
have=$(sort "$dest/kselftest-list.txt")
[ "$have" = "$want" ] || die "kselftest-list.txt differs from selftests/int3call/*.sh: $(diff <(echo "$want") <(echo "$have") | grep '^[<>]' | tr '\n' ' ')"
echo "$dest"
