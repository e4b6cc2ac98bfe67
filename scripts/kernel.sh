#!/usr/bin/env bash
# Build (once per series, flavour and fragments) the Rust-enabled test kernel inside the
# sysroot. INT3CALL_FLAVOUR=debug builds the debug kernel (see settings.sh).
# Prints the tree's path on the host.
set -euo pipefail
source "$(dirname "$0")/settings.sh"
root=$("$(dirname "$0")/sysroot.sh")
rel=$(kernel_rel)
tree=$root$rel
if [ -f "$tree/.int3call-ready" ]; then
	echo "$tree"; exit 0
fi
log "building Linux $INT3CALL_SERIES ($INT3CALL_FLAVOUR) in $tree (several minutes; log: $tree.log)"
rm -rf "$tree"; mkdir -p "$tree"
tar -C "$tree" --strip-components=1 -xf "$root/usr/src/linux-source-$INT3CALL_SERIES.tar.xz"
frags=()
while read -r f; do cp "$f" "$tree/"; frags+=("$(basename "$f")"); done < <(kernel_fragments)
start=$(date +%s)
if ! in_sysroot "$root" sh -ec "
	cd $rel
	make LLVM=1 tinyconfig
	scripts/kconfig/merge_config.sh -m .config ${frags[*]}
	make LLVM=1 olddefconfig
	make LLVM=1 rustavailable
	make LLVM=1 -j$(nproc)
" >"$tree.log" 2>&1; then
	tail -30 "$tree.log" >&2; die "kernel build failed (log: $tree.log)"
fi
# A fragment line that olddefconfig dropped means a silently different kernel: refuse it. Each
# option is judged by its last word in merge order (a later fragment may turn one off).
missing=$(kernel_fragments | xargs cat | sed -nE 's/^(CONFIG_[A-Z0-9_]+)=(.*)$/\1 \1=\2/p; s/^# (CONFIG_[A-Z0-9_]+) is not set$/\1 off/p' |
	awk '{ last[$1] = $2 } END { for (o in last) print last[o] }' | grep -E '^CONFIG_[A-Z0-9_]+=([ym]|[0-9]+)$' |
	while read -r l; do grep -qx "$l" "$tree/.config" || echo "$l"; done)
[ -z "$missing" ] || die "options dropped by olddefconfig: $missing"
# The hardening must really be on (and MODVERSIONS off): anything else tests another kernel.
# The unhardened flavour, for the bench, must really have it off.
for on in X86_KERNEL_IBT CFI MITIGATION_RETHUNK MITIGATION_RETPOLINE MITIGATION_SLS; do
	if [ "$INT3CALL_FLAVOUR" = unhardened ]; then
		! grep -q "^CONFIG_$on=y" "$tree/.config" || die "CONFIG_$on must be off in the unhardened kernel"
	else
		grep -q "^CONFIG_$on=y" "$tree/.config" || die "CONFIG_$on must be on: the test kernel is a hardened one"
	fi
done
grep -q "^CONFIG_UNWINDER_ORC=y" "$tree/.config" || die "CONFIG_UNWINDER_ORC must be on"
! grep -q "^CONFIG_MODVERSIONS=y" "$tree/.config" || die "CONFIG_MODVERSIONS must be off"
log "kernel built in $(( $(date +%s) - start )) s"
touch "$tree/.int3call-ready"
echo "$tree"
