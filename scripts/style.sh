#!/usr/bin/env bash
# Part of `make check`: the kernel's own style tools on our Rust, inside the sysroot against the
# test kernel's tree. rustfmt --check with the tree's .rustfmt.toml, then a CLIPPY=1 module build
# (the tree's .clippy.toml and lint set) that must print no warning at all, then the int3 path
# of that build read back (int3-path.sh). Prints "ok: ..." or
# "FAIL: ..." lines, and ends "style: N passed, N failed".
set -uo pipefail
source "$(dirname "$0")/settings.sh"
root=$("$INT3CALL_TOP/scripts/sysroot.sh") || exit 1
tree=$("$INT3CALL_TOP/scripts/kernel.sh") || exit 1
rel=$(kernel_rel)
src=/src/int3call-style${INT3CALL_BUILD_TAG:-}-$INT3CALL_SERIES
pass=0 fail=0
ok() { echo "  ok: $1"; pass=$((pass + 1)); }
bad() { echo "  FAIL: $1"; fail=$((fail + 1)); }
mkdir -p "$root$src"
# shellcheck disable=SC2046
tar -C "$INT3CALL_TOP" -cf - Kbuild $(module_sources) | tar -C "$root$src" -xpf -
# Our sources only (rust/control/ included): extra_bindings.rs is generated.
files=$(module_sources | grep '\.rs$' | grep -v '^rust/extra_bindings.rs$')
# shellcheck disable=SC2086
if out=$(in_sysroot "$root" sh -c "cd $src && rustfmt --check --edition 2021 --config-path $rel/.rustfmt.toml $(echo $files)" 2>&1); then
	ok "rustfmt --check with the kernel's .rustfmt.toml: $(echo $files | wc -w) files clean"
else
	{ echo "$out" | grep '^Diff in' || echo "$out"; } | sed 's/^/    /' | head -20
	bad "rustfmt --check: $(echo "$out" | grep -c '^Diff in') place(s) to reformat (run rustfmt with the kernel's config)"
fi
log=$root$src.clippy.log
# Clippy speaks only while it compiles: drop the object so that every run compiles it.
rm -f "$root$src"/rust/*.o
if in_sysroot "$root" make -s -C "$rel" M="$src" LLVM=1 CLIPPY=1 modules >"$log" 2>&1; then
	n=$(grep -cE '^(warning|error)' "$log")
	if [ "$n" -eq 0 ]; then ok "CLIPPY=1 build: no warning"
	else grep -E -A4 '^(warning|error)' "$log" | head -30 | sed 's/^/    /'; bad "CLIPPY=1 build: $n warning line(s) (log: $log)"; fi
else
	tail -20 "$log" | sed 's/^/    /'; bad "CLIPPY=1 build failed (log: $log)"
fi
# The module just built: its int3 path must stay in .kprobes.text.
if line=$("$INT3CALL_TOP/scripts/int3-path.sh" "$root" "$src/int3call.ko"); then ok "${line#ok: }"; else bad "${line#FAIL: }"; fi
echo "style: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
