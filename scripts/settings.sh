# Settings shared by every script. Sourced, never run.
# The kernel series is pinned here and nowhere else. Linux 7.2 needs rustc >= 1.85.0 and
# bindgen >= 0.71.1, which is exactly what Debian trixie ships; check the tree's
# scripts/min-tool-version.sh before moving to a newer series.
INT3CALL_SERIES=${INT3CALL_SERIES:-7.2}
INT3CALL_SUITE=trixie
INT3CALL_CACHE=${INT3CALL_CACHE:-/var/cache/int3call}

# Packages that go into the sysroot (the kernel's Rust toolchain and build deps).
INT3CALL_SYSROOT_PKGS="rustc rust-src bindgen clang lld llvm libclang-dev build-essential bc bison flex
libelf-dev libssl-dev cpio kmod busybox-static python3 xz-utils zstd ca-certificates"

INT3CALL_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { printf '[int3call] %s\n' "$*" >&2; }
die() { printf '[int3call] error: %s\n' "$*" >&2; exit 1; }

# Short content hash used to key caches.
hash_of() { sha256sum | cut -c1-12; }

# The Debian mirror, read from the host's own apt sources (never written in the repo).
host_mirror() {
	local m
	m=$( { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{for (i = 2; i <= NF; i++) print $i}'
	       grep -hsE '^deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
	         sed -E 's/\[[^]]*\]//' | awk '{print $2}'; } | grep -v -- '-security' | grep -E '/debian/?$' | head -n1)
	[ -n "$m" ] || die "no Debian mirror found in /etc/apt/sources.list*; add one to the host's apt sources"
	printf '%s\n' "${m%/}"
}

sysroot_key() { printf '%s %s %s\n' "$INT3CALL_SUITE" "$INT3CALL_SERIES" "$INT3CALL_SYSROOT_PKGS" | hash_of; }
sysroot_dir() { printf '%s/sysroot-%s-%s\n' "$INT3CALL_CACHE" "$INT3CALL_SUITE" "$(sysroot_key)"; }

# Run a command inside the sysroot with /proc, /sys and /dev bound; always unmount.
in_sysroot() {
	local root=$1; shift
	local m rc=0
	for m in proc sys dev; do
		mountpoint -q "$root/$m" || mount --bind "/$m" "$root/$m"
	done
	chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@" || rc=$?
	for m in dev sys proc; do
		umount -l "$root/$m" 2>/dev/null || true
	done
	return $rc
}

# The kernel tree lives inside the sysroot (so the chroot sees it), keyed by series and fragment.
kernel_key() { { printf '%s\n' "$INT3CALL_SERIES"; cat "$INT3CALL_TOP/scripts/kernel.config"; } | hash_of; }
kernel_rel() { printf '/build/linux-%s-%s\n' "$INT3CALL_SERIES" "$(kernel_key)"; }
