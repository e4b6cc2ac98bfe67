#!/usr/bin/env bash
# Build (once) the Debian trixie sysroot that holds the kernel's Rust toolchain and the kernel
# source. Cached under $INT3CALL_CACHE, keyed by suite, series and package list.
set -euo pipefail
source "$(dirname "$0")/settings.sh"
"$(dirname "$0")/host-deps.sh"
[ "$(printf '%s\n' "$INT3CALL_SERIES_MIN" "$INT3CALL_SERIES" | sort -V | head -n1)" = "$INT3CALL_SERIES_MIN" ] ||
	die "Linux $INT3CALL_SERIES is too old: int3call needs the kernel crate of Linux $INT3CALL_SERIES_MIN or newer (tested: $INT3CALL_SERIES_TESTED)"
root=$(sysroot_dir)
# sysroot_install ROOT WHAT APT-ARGS...: apt-get install into an existing sysroot, as root and
# under a lock (two series set up at once must not share dpkg). Fails if apt-get does.
sysroot_install() {
	local root=$1 what=$2; shift 2
	[ "$(id -u)" = 0 ] || die "adding $what to the sysroot needs root"
	exec 9>"$root.lock"; flock 9
	log "apt-get install $what into the sysroot"
	in_sysroot "$root" apt-get update -qq
	in_sysroot "$root" apt-get install -y -qq --no-install-recommends "$@" >/dev/null || return 1
	in_sysroot "$root" apt-get clean
}
# Another series' source goes into the same sysroot (same toolchain), once.
add_series() {
	local src="$1/usr/src/linux-source-$INT3CALL_SERIES.tar.xz"
	[ ! -f "$src" ] || return 0
	sysroot_install "$1" "linux-source-$INT3CALL_SERIES (from $INT3CALL_SUITE-backports)" \
		-t "$INT3CALL_SUITE-backports" "linux-source-$INT3CALL_SERIES" && [ -f "$src" ] ||
		die "linux-source-$INT3CALL_SERIES is not in $INT3CALL_SUITE-backports: pick a series the archive has (apt-cache search linux-source in the sysroot)"
	in_sysroot "$1" dpkg-query -W -f '${Package} ${Version}\n' rustc rust-src bindgen clang lld 'linux-source-*' \
		>"$1/.int3call-versions"
}
# Tools that came after a sysroot was made go into it once, the same way.
add_tools() {
	# Installed means "ii": dpkg-query -W alone also lists a package apt only knows of.
	local have
	# shellcheck disable=SC2086
	have=$(in_sysroot "$1" dpkg-query -W -f '${db:Status-Abbrev}\n' $INT3CALL_SYSROOT_TOOLS 2>/dev/null | grep -c '^ii' || true)
	[ "$have" -ne "$(echo $INT3CALL_SYSROOT_TOOLS | wc -w)" ] || return 0
	# shellcheck disable=SC2086
	sysroot_install "$1" "$INT3CALL_SYSROOT_TOOLS" $INT3CALL_SYSROOT_TOOLS ||
		die "cannot install $INT3CALL_SYSROOT_TOOLS into the sysroot"
}
# The emulator from backports (settings.sh says why), upgraded in a sysroot that has an older one.
add_emulator() {
	local v
	v=$(in_sysroot "$1" dpkg-query -W -f '${db:Status-Abbrev} ${Version}\n' "$INT3CALL_QEMU_PKG" 2>/dev/null |
		sed -n 's/^ii *//p' || true)
	[ -n "$v" ] && dpkg --compare-versions "$v" ge "$INT3CALL_QEMU_MIN" && return 0
	sysroot_install "$1" "$INT3CALL_QEMU_PKG (from $INT3CALL_SUITE-backports)" \
		-t "$INT3CALL_SUITE-backports" "$INT3CALL_QEMU_PKG" ||
		die "cannot install $INT3CALL_QEMU_PKG from $INT3CALL_SUITE-backports into the sysroot"
	v=$(in_sysroot "$1" dpkg-query -W -f '${Version}' "$INT3CALL_QEMU_PKG")
	dpkg --compare-versions "$v" ge "$INT3CALL_QEMU_MIN" ||
		die "$INT3CALL_QEMU_PKG $v is older than $INT3CALL_QEMU_MIN, whose TCG raises #UD on UDB (settings.sh)"
}
if [ -f "$root/.int3call-ready" ]; then
	add_series "$root"
	add_tools "$root"
	add_emulator "$root"
	echo "$root"; exit 0
fi
[ "$(id -u)" = 0 ] || die "debootstrap needs root (or bring your own tree: make KDIR=/path LLVM=1)"
mirror=$(host_mirror)
tmp=$root.partial
rm -rf "$tmp"; mkdir -p "$INT3CALL_CACHE"
log "debootstrap $INT3CALL_SUITE into $tmp"
debootstrap --variant=minbase "$INT3CALL_SUITE" "$tmp" "$mirror" >"$INT3CALL_CACHE/debootstrap.log" 2>&1 ||
	{ tail -20 "$INT3CALL_CACHE/debootstrap.log" >&2; die "debootstrap failed (log: $INT3CALL_CACHE/debootstrap.log)"; }
cat >"$tmp/etc/apt/sources.list" <<SRC
deb $mirror $INT3CALL_SUITE main
deb $mirror $INT3CALL_SUITE-updates main
deb $mirror $INT3CALL_SUITE-backports main
SRC
log "apt-get install the toolchain"
in_sysroot "$tmp" apt-get update -qq
# shellcheck disable=SC2086
in_sysroot "$tmp" apt-get install -y -qq --no-install-recommends $INT3CALL_SYSROOT_PKGS >/dev/null
add_series "$tmp"
add_tools "$tmp"
add_emulator "$tmp"
touch "$tmp/.int3call-ready"
mv "$tmp" "$root"
log "sysroot ready: $root"
echo "$root"
